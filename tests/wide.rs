//! A wide declaration: fifty methods using every feature of
//! `#[integration]`, compiled with pedantic lints and `missing_docs` to
//! show that the generated code stays quiet.

#![warn(clippy::pedantic, missing_docs)]

use integrate::integration;
use serde::{Deserialize, Serialize};

/// A customer.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Customer {
    /// Its id.
    pub id: String,
}

/// A charge.
#[derive(Debug, Deserialize)]
pub struct Charge {
    /// Its id.
    pub id: String,
}

/// A new charge.
#[derive(Debug, Serialize)]
pub struct NewCharge {
    /// In cents.
    pub amount: u64,
}

/// A status filter.
#[derive(Debug, Clone, Copy, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Active.
    Active,
}

/// Fifty calls.
#[integration(
    base_url = "https://api.example.com/v1",
    auth = api_key(header = "X-Api-Key", env = "WIDE_API_KEY"),
    retry(max_attempts = 4, initial_backoff = "200ms", max_backoff = "10s", jitter = "equal"),
    circuit_breaker(failure_ratio = 0.5, min_calls = 10, window = "30s", open_for = "15s", half_open_calls = 1),
    rate_limit(requests = 100, per = "1s", burst = 20),
    timeout(connect = "2s", attempt = "10s", total = "30s"),
)]
pub trait WideApi {
    /// Call number 0: `GET /customers/{id}`.
    #[get("/v0/customers/{id}")]
    async fn fetch_0(&self, id: &str) -> integrate::Result<Customer>;

    /// Call number 1: `GET /customers/{id}/charges`.
    #[get("/v1/customers/{id}/charges")]
    async fn list_1(
        &self,
        id: u64,
        #[query] limit: u32,
        #[query] starting_after: Option<&str>,
    ) -> integrate::Result<Vec<Charge>>;

    /// Call number 2: `GET /search`.
    #[get("/v2/search")]
    #[timeout(attempt = "2s", total = "5s")]
    async fn search_2(
        &self,
        #[query("q")] query: &str,
        #[query] tags: &[&str],
        #[query] status: Status,
    ) -> integrate::Result<String>;

    /// Call number 3: `POST /charges`.
    #[post("/v3/charges")]
    #[idempotent]
    async fn create_3(&self, #[body] charge: &NewCharge) -> integrate::Result<Charge>;

    /// Call number 4: `POST /orders/{order}/charges`.
    #[post("/v4/orders/{order}/charges")]
    #[idempotent(header = "X-Idempotency-Key")]
    async fn charge_4(
        &self,
        order: u64,
        #[idempotency_key] key: &str,
        #[form] charge: &NewCharge,
    ) -> integrate::Result<integrate::Response<Charge>>;

    /// Call number 5: `PUT /customers/{id}`.
    #[put("/v5/customers/{id}")]
    #[retry(max_attempts = 2, jitter = "none")]
    async fn replace_5(
        &self,
        id: &str,
        #[body] customer: &Customer,
        #[header("X-Trace")] trace: Option<&str>,
    ) -> integrate::Result<integrate::Response<()>>;

    /// Call number 6: `PATCH /customers/{id}`.
    #[patch("/v6/customers/{id}")]
    #[rate_limit(requests = 10, per = "1s", burst = 2)]
    async fn update_6(&self, id: &str, #[body] customer: &Customer) -> integrate::Result<Customer>;

    /// Call number 7: `DELETE /customers/{id}`.
    #[delete("/v7/customers/{id}")]
    #[retry(max_attempts = 1)]
    async fn remove_7(&self, id: &str) -> integrate::Result<()>;

    /// Call number 8: `HEAD /customers/{id}`.
    #[head("/v8/customers/{id}")]
    async fn exists_8(&self, id: &str) -> integrate::Result<integrate::Response<()>>;

    /// Call number 9: `GET /raw/{id}`.
    #[get("/v9/raw/{id}")]
    #[retry(initial_backoff = "50ms", max_backoff = "1s")]
    async fn download_9(&self, id: &str) -> integrate::Result<integrate::Bytes>;

    /// Call number 10: `GET /customers/{id}`.
    #[get("/v10/customers/{id}")]
    async fn fetch_10(&self, id: &str) -> integrate::Result<Customer>;

    /// Call number 11: `GET /customers/{id}/charges`.
    #[get("/v11/customers/{id}/charges")]
    async fn list_11(
        &self,
        id: u64,
        #[query] limit: u32,
        #[query] starting_after: Option<&str>,
    ) -> integrate::Result<Vec<Charge>>;

    /// Call number 12: `GET /search`.
    #[get("/v12/search")]
    #[timeout(attempt = "2s", total = "5s")]
    async fn search_12(
        &self,
        #[query("q")] query: &str,
        #[query] tags: &[&str],
        #[query] status: Status,
    ) -> integrate::Result<String>;

    /// Call number 13: `POST /charges`.
    #[post("/v13/charges")]
    #[idempotent]
    async fn create_13(&self, #[body] charge: &NewCharge) -> integrate::Result<Charge>;

    /// Call number 14: `POST /orders/{order}/charges`.
    #[post("/v14/orders/{order}/charges")]
    #[idempotent(header = "X-Idempotency-Key")]
    async fn charge_14(
        &self,
        order: u64,
        #[idempotency_key] key: &str,
        #[form] charge: &NewCharge,
    ) -> integrate::Result<integrate::Response<Charge>>;

    /// Call number 15: `PUT /customers/{id}`.
    #[put("/v15/customers/{id}")]
    #[retry(max_attempts = 2, jitter = "none")]
    async fn replace_15(
        &self,
        id: &str,
        #[body] customer: &Customer,
        #[header("X-Trace")] trace: Option<&str>,
    ) -> integrate::Result<integrate::Response<()>>;

    /// Call number 16: `PATCH /customers/{id}`.
    #[patch("/v16/customers/{id}")]
    #[rate_limit(requests = 10, per = "1s", burst = 2)]
    async fn update_16(&self, id: &str, #[body] customer: &Customer)
    -> integrate::Result<Customer>;

    /// Call number 17: `DELETE /customers/{id}`.
    #[delete("/v17/customers/{id}")]
    #[retry(max_attempts = 1)]
    async fn remove_17(&self, id: &str) -> integrate::Result<()>;

    /// Call number 18: `HEAD /customers/{id}`.
    #[head("/v18/customers/{id}")]
    async fn exists_18(&self, id: &str) -> integrate::Result<integrate::Response<()>>;

    /// Call number 19: `GET /raw/{id}`.
    #[get("/v19/raw/{id}")]
    #[retry(initial_backoff = "50ms", max_backoff = "1s")]
    async fn download_19(&self, id: &str) -> integrate::Result<integrate::Bytes>;

    /// Call number 20: `GET /customers/{id}`.
    #[get("/v20/customers/{id}")]
    async fn fetch_20(&self, id: &str) -> integrate::Result<Customer>;

    /// Call number 21: `GET /customers/{id}/charges`.
    #[get("/v21/customers/{id}/charges")]
    async fn list_21(
        &self,
        id: u64,
        #[query] limit: u32,
        #[query] starting_after: Option<&str>,
    ) -> integrate::Result<Vec<Charge>>;

    /// Call number 22: `GET /search`.
    #[get("/v22/search")]
    #[timeout(attempt = "2s", total = "5s")]
    async fn search_22(
        &self,
        #[query("q")] query: &str,
        #[query] tags: &[&str],
        #[query] status: Status,
    ) -> integrate::Result<String>;

    /// Call number 23: `POST /charges`.
    #[post("/v23/charges")]
    #[idempotent]
    async fn create_23(&self, #[body] charge: &NewCharge) -> integrate::Result<Charge>;

    /// Call number 24: `POST /orders/{order}/charges`.
    #[post("/v24/orders/{order}/charges")]
    #[idempotent(header = "X-Idempotency-Key")]
    async fn charge_24(
        &self,
        order: u64,
        #[idempotency_key] key: &str,
        #[form] charge: &NewCharge,
    ) -> integrate::Result<integrate::Response<Charge>>;

    /// Call number 25: `PUT /customers/{id}`.
    #[put("/v25/customers/{id}")]
    #[retry(max_attempts = 2, jitter = "none")]
    async fn replace_25(
        &self,
        id: &str,
        #[body] customer: &Customer,
        #[header("X-Trace")] trace: Option<&str>,
    ) -> integrate::Result<integrate::Response<()>>;

    /// Call number 26: `PATCH /customers/{id}`.
    #[patch("/v26/customers/{id}")]
    #[rate_limit(requests = 10, per = "1s", burst = 2)]
    async fn update_26(&self, id: &str, #[body] customer: &Customer)
    -> integrate::Result<Customer>;

    /// Call number 27: `DELETE /customers/{id}`.
    #[delete("/v27/customers/{id}")]
    #[retry(max_attempts = 1)]
    async fn remove_27(&self, id: &str) -> integrate::Result<()>;

    /// Call number 28: `HEAD /customers/{id}`.
    #[head("/v28/customers/{id}")]
    async fn exists_28(&self, id: &str) -> integrate::Result<integrate::Response<()>>;

    /// Call number 29: `GET /raw/{id}`.
    #[get("/v29/raw/{id}")]
    #[retry(initial_backoff = "50ms", max_backoff = "1s")]
    async fn download_29(&self, id: &str) -> integrate::Result<integrate::Bytes>;

    /// Call number 30: `GET /customers/{id}`.
    #[get("/v30/customers/{id}")]
    async fn fetch_30(&self, id: &str) -> integrate::Result<Customer>;

    /// Call number 31: `GET /customers/{id}/charges`.
    #[get("/v31/customers/{id}/charges")]
    async fn list_31(
        &self,
        id: u64,
        #[query] limit: u32,
        #[query] starting_after: Option<&str>,
    ) -> integrate::Result<Vec<Charge>>;

    /// Call number 32: `GET /search`.
    #[get("/v32/search")]
    #[timeout(attempt = "2s", total = "5s")]
    async fn search_32(
        &self,
        #[query("q")] query: &str,
        #[query] tags: &[&str],
        #[query] status: Status,
    ) -> integrate::Result<String>;

    /// Call number 33: `POST /charges`.
    #[post("/v33/charges")]
    #[idempotent]
    async fn create_33(&self, #[body] charge: &NewCharge) -> integrate::Result<Charge>;

    /// Call number 34: `POST /orders/{order}/charges`.
    #[post("/v34/orders/{order}/charges")]
    #[idempotent(header = "X-Idempotency-Key")]
    async fn charge_34(
        &self,
        order: u64,
        #[idempotency_key] key: &str,
        #[form] charge: &NewCharge,
    ) -> integrate::Result<integrate::Response<Charge>>;

    /// Call number 35: `PUT /customers/{id}`.
    #[put("/v35/customers/{id}")]
    #[retry(max_attempts = 2, jitter = "none")]
    async fn replace_35(
        &self,
        id: &str,
        #[body] customer: &Customer,
        #[header("X-Trace")] trace: Option<&str>,
    ) -> integrate::Result<integrate::Response<()>>;

    /// Call number 36: `PATCH /customers/{id}`.
    #[patch("/v36/customers/{id}")]
    #[rate_limit(requests = 10, per = "1s", burst = 2)]
    async fn update_36(&self, id: &str, #[body] customer: &Customer)
    -> integrate::Result<Customer>;

    /// Call number 37: `DELETE /customers/{id}`.
    #[delete("/v37/customers/{id}")]
    #[retry(max_attempts = 1)]
    async fn remove_37(&self, id: &str) -> integrate::Result<()>;

    /// Call number 38: `HEAD /customers/{id}`.
    #[head("/v38/customers/{id}")]
    async fn exists_38(&self, id: &str) -> integrate::Result<integrate::Response<()>>;

    /// Call number 39: `GET /raw/{id}`.
    #[get("/v39/raw/{id}")]
    #[retry(initial_backoff = "50ms", max_backoff = "1s")]
    async fn download_39(&self, id: &str) -> integrate::Result<integrate::Bytes>;

    /// Call number 40: `GET /customers/{id}`.
    #[get("/v40/customers/{id}")]
    async fn fetch_40(&self, id: &str) -> integrate::Result<Customer>;

    /// Call number 41: `GET /customers/{id}/charges`.
    #[get("/v41/customers/{id}/charges")]
    async fn list_41(
        &self,
        id: u64,
        #[query] limit: u32,
        #[query] starting_after: Option<&str>,
    ) -> integrate::Result<Vec<Charge>>;

    /// Call number 42: `GET /search`.
    #[get("/v42/search")]
    #[timeout(attempt = "2s", total = "5s")]
    async fn search_42(
        &self,
        #[query("q")] query: &str,
        #[query] tags: &[&str],
        #[query] status: Status,
    ) -> integrate::Result<String>;

    /// Call number 43: `POST /charges`.
    #[post("/v43/charges")]
    #[idempotent]
    async fn create_43(&self, #[body] charge: &NewCharge) -> integrate::Result<Charge>;

    /// Call number 44: `POST /orders/{order}/charges`.
    #[post("/v44/orders/{order}/charges")]
    #[idempotent(header = "X-Idempotency-Key")]
    async fn charge_44(
        &self,
        order: u64,
        #[idempotency_key] key: &str,
        #[form] charge: &NewCharge,
    ) -> integrate::Result<integrate::Response<Charge>>;

    /// Call number 45: `PUT /customers/{id}`.
    #[put("/v45/customers/{id}")]
    #[retry(max_attempts = 2, jitter = "none")]
    async fn replace_45(
        &self,
        id: &str,
        #[body] customer: &Customer,
        #[header("X-Trace")] trace: Option<&str>,
    ) -> integrate::Result<integrate::Response<()>>;

    /// Call number 46: `PATCH /customers/{id}`.
    #[patch("/v46/customers/{id}")]
    #[rate_limit(requests = 10, per = "1s", burst = 2)]
    async fn update_46(&self, id: &str, #[body] customer: &Customer)
    -> integrate::Result<Customer>;

    /// Call number 47: `DELETE /customers/{id}`.
    #[delete("/v47/customers/{id}")]
    #[retry(max_attempts = 1)]
    async fn remove_47(&self, id: &str) -> integrate::Result<()>;

    /// Call number 48: `HEAD /customers/{id}`.
    #[head("/v48/customers/{id}")]
    async fn exists_48(&self, id: &str) -> integrate::Result<integrate::Response<()>>;

    /// Call number 49: `GET /raw/{id}`.
    #[get("/v49/raw/{id}")]
    #[retry(initial_backoff = "50ms", max_backoff = "1s")]
    async fn download_49(&self, id: &str) -> integrate::Result<integrate::Bytes>;
}
