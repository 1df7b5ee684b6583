use integrate::prelude::*;

#[integration(base_url = "https://api.example.com")]
pub trait Api {
    #[get("/customers/{id}")]
    async fn customer(&self, customer_id: &str) -> integrate::Result<()>;

    #[get("/charges/{charge}")]
    async fn charge(&self, #[query] charge: &str) -> integrate::Result<()>;
}
fn main() {}
