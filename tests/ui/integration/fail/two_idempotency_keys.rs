use integrate::prelude::*;

#[integration(base_url = "https://api.example.com")]
pub trait Api {
    #[post("/x")]
    #[idempotent]
    async fn x(&self, #[idempotency_key] a: &str, #[idempotency_key] b: &str) -> integrate::Result<()>;
}
fn main() {}
