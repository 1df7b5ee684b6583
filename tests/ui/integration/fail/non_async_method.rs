use integrate::prelude::*;

#[integration(base_url = "https://api.example.com")]
pub trait Api {
    #[get("/x")]
    fn x(&self) -> integrate::Result<()>;
}
fn main() {}
