//! Every return kind; the decoder is chosen by the type.

use integrate::prelude::*;
use integrate::{Bytes, Response};

#[derive(serde::Deserialize)]
pub struct Customer {
    pub id: String,
}

#[integration(base_url = "https://api.example.com")]
pub trait Returns {
    #[delete("/unit")]
    async fn unit(&self) -> integrate::Result<()>;

    #[get("/text")]
    async fn text(&self) -> integrate::Result<String>;

    #[get("/text")]
    async fn std_text(&self) -> integrate::Result<std::string::String>;

    #[get("/raw")]
    async fn bytes(&self) -> integrate::Result<Bytes>;

    #[get("/customer")]
    async fn json(&self) -> integrate::Result<Customer>;

    #[get("/customers")]
    async fn json_list(&self) -> integrate::Result<Vec<Customer>>;

    #[get("/anything")]
    async fn value(&self) -> integrate::Result<serde_json::Value>;

    #[get("/customer")]
    async fn response(&self) -> integrate::Result<Response<Customer>>;

    #[head("/customer")]
    async fn head(&self) -> integrate::Result<integrate::Response<()>>;

    #[get("/raw")]
    async fn raw_response(&self) -> integrate::Result<Response<Bytes>>;

    #[get("/prelude")]
    async fn prelude_result(&self) -> Result<Customer>;

    #[get("/explicit")]
    async fn explicit_error(&self) -> integrate::Result<Customer, integrate::Error>;
}

fn main() {
    let client = ReturnsClient::from_env().unwrap();
    let _ = client.clone();
    let _ = format!("{client:?}");
}
