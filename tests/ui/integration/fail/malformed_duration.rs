use integrate::prelude::*;

#[integration(
    base_url = "https://api.example.com",
    timeout(total = "30 seconds", attempt = "1.5s"),
    retry(initial_backoff = "200"),
)]
pub trait Api {
    #[get("/x")]
    #[timeout(total = "2d")]
    async fn x(&self) -> integrate::Result<()>;
}
fn main() {}
