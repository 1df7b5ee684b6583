use integrate::prelude::*;

#[integration(base_url = "https://api.example.com", retry(max_attempts = 0))]
pub trait Api {
    #[get("/x")]
    #[retry(max_attempts = 0)]
    async fn x(&self) -> integrate::Result<()>;
}
fn main() {}
