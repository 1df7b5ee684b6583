use integrate::webhook::webhook;

#[webhook(scheme = "github", secret_env = "SECRET", tolerance = "5m")]
#[derive(serde::Deserialize)]
pub struct Push {}

#[webhook(scheme = "shopify", secret_env = "SECRET", tolerance = "5m")]
#[derive(serde::Deserialize)]
pub struct Order {}

fn main() {}
