use integrate::prelude::*;

#[integration(
    base_url = "https://api.example.com",
    base_url = "https://other.example.com",
    retry(max_attempts = 2, max_attempts = 3),
)]
pub trait Api {
    #[get("/x")]
    #[retry(jitter = "none")]
    #[retry(max_attempts = 1)]
    async fn x(&self) -> integrate::Result<()>;
}
fn main() {}
