use integrate::prelude::*;

#[integration(
    base_url = "https://api.example.com",
    circuit_breaker(consecutive_failures = 5, failure_ratio = 0.5, window = "30s"),
)]
pub trait Api {
    #[get("/x")]
    async fn x(&self) -> integrate::Result<()>;
}
fn main() {}
