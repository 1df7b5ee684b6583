use integrate::prelude::*;

#[integration(base_url = "https://api.example.com/v1")]
pub trait Api {
    #[delete("/users/{id}/../refunds")]
    async fn a(&self, id: &str) -> integrate::Result<()>;

    #[get("/users/%2e%2E")]
    async fn b(&self) -> integrate::Result<()>;
}
fn main() {}
