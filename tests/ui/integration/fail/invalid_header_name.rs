use integrate::prelude::*;

#[integration(base_url = "https://api.example.com", auth = api_key(header = "X Api Key", env = "KEY"))]
pub trait Api {
    #[get("/x")]
    async fn x(&self, #[header("X-Trace:")] trace: &str) -> integrate::Result<()>;
}
fn main() {}
