use integrate::prelude::*;

#[integration(base_url = "https://api.example.com")]
pub trait Api {
    #[get("/x")]
    async fn x(&self) -> String;

    #[get("/y")]
    async fn y(&self);

    #[get("/z")]
    async fn z(&self) -> Option<String>;
}
fn main() {}
