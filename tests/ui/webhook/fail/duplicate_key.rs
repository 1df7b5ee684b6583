use integrate::webhook::webhook;

#[webhook(scheme = "stripe", secret_env = "A", secret_env = "B", max_body = 0)]
#[derive(serde::Deserialize)]
pub struct Event {}

fn main() {}
