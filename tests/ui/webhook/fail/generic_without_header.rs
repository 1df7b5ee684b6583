use integrate::webhook::webhook;

#[webhook(signature = "hmac-sha256", encoding = "base64", secret_env = "SECRET")]
#[derive(serde::Deserialize)]
pub struct Event {}

fn main() {}
