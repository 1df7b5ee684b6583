use integrate::prelude::*;

#[integration(base_url = "https://api.example.com", auth = token(env = "TOKEN"))]
pub trait Api {
    #[get("/x")]
    async fn x(&self) -> integrate::Result<()>;
}
fn main() {}
