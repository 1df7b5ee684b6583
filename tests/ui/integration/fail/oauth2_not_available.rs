use integrate::prelude::*;

#[integration(base_url = "https://api.example.com", auth = oauth2(token_url = "https://auth.example.com/token", client_id_env = "ID"))]
pub trait Api {
    #[get("/x")]
    async fn x(&self) -> integrate::Result<()>;
}
fn main() {}
