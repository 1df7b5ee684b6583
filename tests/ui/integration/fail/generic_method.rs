use integrate::prelude::*;

#[integration(base_url = "https://api.example.com")]
pub trait Api {
    #[get("/x")]
    async fn x<T: serde::Serialize + Send + Sync>(&self, #[query] value: T) -> integrate::Result<()>;
}
fn main() {}
