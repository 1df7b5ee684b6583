use integrate::prelude::*;

#[integration(base_url = "https://api.example.com", retry(max_attempts = "4", jitter = full), timeout(total = 30))]
pub trait Api {
    #[get("/x")]
    async fn x(&self) -> integrate::Result<()>;
}
fn main() {}
