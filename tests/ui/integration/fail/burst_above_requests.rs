use integrate::prelude::*;

#[integration(base_url = "https://api.example.com", rate_limit(requests = 10, per = "1s", burst = 20))]
pub trait Api {
    #[get("/x")]
    #[rate_limit(requests = 1, per = "1s", burst = 2)]
    async fn x(&self) -> integrate::Result<()>;
}
fn main() {}
