use integrate::prelude::*;

#[derive(serde::Serialize)]
pub struct Charge;

#[integration(
    base_url = "https://api.example.com",
    retry(max_attempts = 0, jitter = "sometimes"),
    timeout(total = "soon"),
)]
pub trait Payments {
    #[get("/customers/{id}")]
    async fn customer(&self, customer_id: &str) -> integrate::Result<()>;

    #[get("/charges")]
    #[idempotent]
    async fn charges(&self, #[body] charge: &Charge) -> integrate::Result<()>;

    fn refund(&self) -> integrate::Result<()>;
}

/// The client and the trait still exist: no "cannot find type" below.
pub async fn use_it(client: &PaymentsClient) -> integrate::Result<()> {
    client.customer("cus_1").await
}
fn main() {}
