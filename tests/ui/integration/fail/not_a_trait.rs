use integrate::prelude::*;

#[integration(base_url = "https://api.example.com")]
pub struct Api;
fn main() {}
