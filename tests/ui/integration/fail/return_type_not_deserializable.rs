use integrate::prelude::*;

pub struct Customer {
    pub id: String,
}

#[integration(base_url = "https://api.example.com")]
pub trait Api {
    #[get("/customers/{id}")]
    async fn customer(&self, id: &str) -> integrate::Result<Customer>;

    #[get("/customers/{id}")]
    async fn response(&self, id: &str) -> integrate::Result<integrate::Response<Customer>>;
}
fn main() {}
