use integrate::prelude::*;

#[integration(base_url = "api.example.com/v1")]
pub trait Relative {
    #[get("/x")]
    async fn x(&self) -> integrate::Result<()>;
}

#[integration(base_url = "ftp://files.example.com")]
pub trait OtherScheme {
    #[get("/x")]
    async fn x(&self) -> integrate::Result<()>;
}

#[integration(base_url = "https://user:secret@api.example.com?key=1")]
pub trait Credentials {
    #[get("/x")]
    async fn x(&self) -> integrate::Result<()>;
}
fn main() {}
