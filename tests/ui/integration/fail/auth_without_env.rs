use integrate::prelude::*;

#[integration(base_url = "https://api.example.com", auth = bearer())]
pub trait Bearer {
    #[get("/x")]
    async fn x(&self) -> integrate::Result<()>;
}

#[integration(base_url = "https://api.example.com", auth = api_key(header = "X-Api-Key"))]
pub trait ApiKey {
    #[get("/x")]
    async fn x(&self) -> integrate::Result<()>;
}

#[integration(base_url = "https://api.example.com", auth = basic(username_env = "USER"))]
pub trait Basic {
    #[get("/x")]
    async fn x(&self) -> integrate::Result<()>;
}
fn main() {}
