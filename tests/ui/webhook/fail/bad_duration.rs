use integrate::webhook::webhook;

#[webhook(scheme = "stripe", secret_env = "SECRET", tolerance = "5 minutes")]
#[derive(serde::Deserialize)]
pub struct Event {}

fn main() {}
