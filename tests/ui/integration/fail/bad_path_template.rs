use integrate::prelude::*;

#[integration(base_url = "https://api.example.com")]
pub trait Api {
    #[get("customers/{id}")]
    async fn a(&self, id: &str) -> integrate::Result<()>;

    #[get("/customers/{id")]
    async fn b(&self, id: &str) -> integrate::Result<()>;

    #[get("/search?q={q}")]
    async fn c(&self, q: &str) -> integrate::Result<()>;

    #[get]
    async fn d(&self) -> integrate::Result<()>;
}
fn main() {}
