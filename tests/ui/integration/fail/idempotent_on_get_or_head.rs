use integrate::prelude::*;

#[integration(base_url = "https://api.example.com")]
pub trait Api {
    #[get("/x")]
    #[idempotent]
    async fn x(&self) -> integrate::Result<()>;

    #[head("/y")]
    #[idempotent(header = "X-Key")]
    async fn y(&self) -> integrate::Result<()>;
}
fn main() {}
