use integrate::prelude::*;

#[integration(base_url = "https://api.example.com", rate_limit(requests = 0, per = "1s"))]
pub trait Api {
    #[get("/x")]
    #[rate_limit(requests = 0, per = "1m")]
    async fn x(&self) -> integrate::Result<()>;
}
fn main() {}
