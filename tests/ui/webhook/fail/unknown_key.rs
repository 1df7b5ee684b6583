use integrate::webhook::webhook;

#[webhook(scheme = "stripe", secret = "SECRET")]
#[derive(serde::Deserialize)]
pub struct Event {}

fn main() {}
