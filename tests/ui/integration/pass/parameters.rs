//! Every parameter kind, with the value types each accepts.

use integrate::prelude::*;

#[derive(serde::Serialize)]
pub struct NewCharge {
    pub amount: u32,
}

#[derive(serde::Serialize, Clone, Copy)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Active,
}

#[integration(base_url = "https://api.example.com")]
pub trait Parameters {
    #[get("/customers/{id}/charges/{number}")]
    async fn path(&self, id: &str, number: u64) -> integrate::Result<()>;

    #[get("/search")]
    async fn query(
        &self,
        #[query] limit: u32,
        #[query] starting_after: Option<&str>,
        #[query("ids[]")] ids: &[u64],
        #[query] tags: Vec<String>,
        #[query] status: Status,
        #[query] exact: bool,
    ) -> integrate::Result<()>;

    #[get("/headers")]
    async fn header(
        &self,
        #[header("X-Trace")] trace: &str,
        #[header("X-Count")] count: u16,
        #[header("X-Maybe")] maybe: Option<String>,
    ) -> integrate::Result<()>;

    #[post("/charges")]
    async fn body(&self, #[body] charge: &NewCharge) -> integrate::Result<()>;

    #[put("/charges/{id}")]
    async fn owned_body(&self, id: String, #[body] charge: NewCharge) -> integrate::Result<()>;

    #[post("/forms")]
    async fn form(&self, #[form] charge: &NewCharge) -> integrate::Result<()>;

    #[post("/orders/{order}")]
    #[idempotent]
    async fn idempotency_key(
        &self,
        order: u64,
        #[idempotency_key] key: &str,
        #[body] charge: &NewCharge,
    ) -> integrate::Result<()>;

    #[get("/lifetimes/{id}")]
    async fn lifetimes<'a>(&self, id: &'a str, #[query] q: Option<&'a str>) -> integrate::Result<()>;

    #[delete("/orders/{order}")]
    async fn key_alone(&self, order: u64, #[idempotency_key] key: String) -> integrate::Result<()>;
}

fn main() {
    let client = ParametersClient::builder().build().unwrap();
    drop(client.path("cus_1", 2));
    drop(client.query(1, None, &[1, 2], vec![], Status::Active, true));
    drop(client.header("t", 1, None));
    drop(client.body(&NewCharge { amount: 1 }));
    drop(client.owned_body("x".into(), NewCharge { amount: 1 }));
    drop(client.form(&NewCharge { amount: 1 }));
    drop(client.idempotency_key(1, "k", &NewCharge { amount: 1 }));
    drop(client.key_alone(1, "k".into()));
    drop(client.lifetimes("x", Some("y")));
}
