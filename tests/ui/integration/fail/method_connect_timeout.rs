use integrate::prelude::*;

#[integration(base_url = "https://api.example.com")]
pub trait Api {
    #[get("/x")]
    #[timeout(connect = "1s", total = "5s")]
    async fn x(&self) -> integrate::Result<()>;
}
fn main() {}
