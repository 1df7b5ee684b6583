use integrate::webhook::webhook;

#[webhook(scheme = "stripes", secret_env = "SECRET")]
#[derive(serde::Deserialize)]
pub struct Event {}

fn main() {}
