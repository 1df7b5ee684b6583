use integrate::webhook::webhook;

#[webhook(scheme = "stripe", secret_env = "SECRET")]
pub struct Event {
    pub id: String,
}

fn main() {}
