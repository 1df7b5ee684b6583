use integrate::webhook::webhook;

#[webhook(scheme = "slack", header = "X-Signature", prefix = "v0=", secret_env = "SECRET")]
#[derive(serde::Deserialize)]
pub struct Event {}

fn main() {}
