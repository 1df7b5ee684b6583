use integrate::prelude::*;

#[integration(base_url = "https://api.example.com", retries = 3)]
pub trait Api {
    #[get("/x")]
    async fn x(&self) -> integrate::Result<()>;
}
fn main() {}
