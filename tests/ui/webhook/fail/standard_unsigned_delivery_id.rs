use integrate::webhook::webhook;

// Standard Webhooks signs `webhook-id`; another header is not covered by
// the signature.
#[webhook(scheme = "standard", secret_env = "SECRET", delivery_id = header("X-Request-Id"))]
#[derive(serde::Deserialize)]
pub struct Message {}

// The signed id under either family's name is fine, and so is a field.
#[webhook(scheme = "standard", secret_env = "SECRET", delivery_id = header("svix-id"))]
#[derive(serde::Deserialize)]
pub struct Svix {}

#[webhook(scheme = "standard", secret_env = "SECRET", delivery_id = field("id"))]
#[derive(serde::Deserialize)]
pub struct ById {}

fn main() {}
