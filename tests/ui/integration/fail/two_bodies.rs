use integrate::prelude::*;

#[derive(serde::Serialize)]
pub struct A;

#[integration(base_url = "https://api.example.com")]
pub trait Api {
    #[post("/x")]
    async fn x(&self, #[body] a: &A, #[body] b: &A) -> integrate::Result<()>;
}
fn main() {}
