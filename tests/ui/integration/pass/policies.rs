//! Every key of the grammar, on the trait and on methods.

use integrate::prelude::*;

#[integration(
    base_url = "https://api.example.com/v1",
    auth = bearer(env = "EXAMPLE_TOKEN"),
    retry(max_attempts = 4, initial_backoff = "200ms", max_backoff = "10s", jitter = "full"),
    circuit_breaker(failure_ratio = 0.5, min_calls = 10, window = "30s", open_for = "15s", half_open_calls = 1),
    rate_limit(requests = 100, per = "1s", burst = 20),
    timeout(connect = "2s", attempt = "10s", total = "30s"),
)]
pub trait Everything {
    #[get("/a")]
    #[retry(max_attempts = 1, initial_backoff = "1s", max_backoff = "5m", jitter = "equal")]
    async fn retry(&self) -> integrate::Result<()>;

    #[get("/b")]
    #[retry(jitter = "none")]
    #[timeout(attempt = "150ms", total = "1h")]
    async fn timeout(&self) -> integrate::Result<()>;

    #[get("/c")]
    #[rate_limit(requests = 10, per = "1m", burst = 1)]
    async fn rate_limit(&self) -> integrate::Result<()>;

    #[get("/d")]
    #[rate_limit(requests = 5, per = "1s")]
    async fn another_rate_limit(&self) -> integrate::Result<()>;

    #[post("/e")]
    #[idempotent]
    async fn idempotent(&self) -> integrate::Result<()>;

    #[patch("/f")]
    #[idempotent(header = "X-Idempotency-Key")]
    async fn idempotent_header(&self) -> integrate::Result<()>;

    #[put("/g")]
    #[idempotent]
    async fn put(&self) -> integrate::Result<()>;

    #[delete("/h")]
    #[idempotent]
    async fn delete(&self) -> integrate::Result<()>;
}

#[integration(
    base_url = "http://127.0.0.1:8080",
    auth = api_key(header = "X-Api-Key", env = "API_KEY"),
    circuit_breaker(consecutive_failures = 5, open_for = "10s", half_open_calls = 2),
    rate_limit(requests = 1, per = "1h"),
    retry(max_attempts = 1),
)]
pub(crate) trait Consecutive {
    #[get("/")]
    async fn root(&self) -> integrate::Result<()>;
}

#[integration(base_url = "https://api.example.com", auth = api_key(query = "key", env = "API_KEY"))]
trait QueryKey {
    #[get("/x")]
    async fn x(&self) -> integrate::Result<()>;
}

#[integration(
    base_url = "https://api.example.com",
    auth = basic(username_env = "USER", password_env = "PASSWORD"),
    timeout(total = "5s"),
)]
trait Basic {
    #[get("/x")]
    async fn x(&self) -> integrate::Result<()>;
}

#[integration(base_url = "https://api.example.com", auth = none)]
trait NoAuth {
    #[get("/x")]
    async fn x(&self) -> integrate::Result<()>;

    /// A provided method is kept as written.
    async fn twice(&self) -> integrate::Result<()> {
        self.x().await?;
        self.x().await
    }
}

fn main() {
    let vars = |name: &str| (!name.ends_with("_BASE_URL")).then(|| format!("value of {name}"));
    let everything = EverythingClient::builder().env(vars).build().unwrap();
    let retry = everything.as_ref().retry_policy();
    assert_eq!(retry.get_max_attempts(), 4);
    assert_eq!(retry.get_initial_backoff(), std::time::Duration::from_millis(200));
    assert_eq!(everything.as_ref().timeouts().get_connect(), std::time::Duration::from_secs(2));
    let _ = ConsecutiveClient::builder().env(vars).build().unwrap();
    let _ = QueryKeyClient::builder().env(vars).build().unwrap();
    let _ = BasicClient::builder().env(vars).build().unwrap();
    let no_auth = NoAuthClient::from_env().unwrap();
    drop(no_auth.twice());
}
