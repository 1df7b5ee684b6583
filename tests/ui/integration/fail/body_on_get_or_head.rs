use integrate::prelude::*;

#[derive(serde::Serialize)]
pub struct A;

#[integration(base_url = "https://api.example.com")]
pub trait Api {
    #[get("/x")]
    async fn x(&self, #[body] a: &A) -> integrate::Result<()>;

    #[head("/y")]
    async fn y(&self, #[form] a: &A) -> integrate::Result<()>;
}
fn main() {}
