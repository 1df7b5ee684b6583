use integrate::prelude::*;

#[integration(base_url = "https://api.example.com")]
pub trait Api {
    #[get("/x")]
    async fn x() -> integrate::Result<()>;

    #[get("/y")]
    async fn y(&mut self) -> integrate::Result<()>;

    #[get("/z")]
    async fn z(self) -> integrate::Result<()>;
}
fn main() {}
