use integrate::prelude::*;

#[integration(base_url = "https://api.example.com", circuit_breaker(failure_ratio = 1.5))]
pub trait High {
    #[get("/x")]
    async fn x(&self) -> integrate::Result<()>;
}

#[integration(base_url = "https://api.example.com", circuit_breaker(failure_ratio = 0.0))]
pub trait Zero {
    #[get("/x")]
    async fn x(&self) -> integrate::Result<()>;
}
fn main() {}
