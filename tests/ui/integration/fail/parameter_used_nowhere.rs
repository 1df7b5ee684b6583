use integrate::prelude::*;

#[integration(base_url = "https://api.example.com")]
pub trait Api {
    #[get("/customers")]
    async fn customers(&self, limit: u32) -> integrate::Result<()>;
}
fn main() {}
