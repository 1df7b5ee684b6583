use integrate::prelude::*;

pub struct Filter;

#[integration(base_url = "https://api.example.com")]
pub trait Api {
    #[get("/customers")]
    async fn customers(&self, #[query] filter: Filter) -> integrate::Result<()>;

    #[post("/customers")]
    async fn create(&self, #[body] filter: &Filter) -> integrate::Result<()>;
}
fn main() {}
