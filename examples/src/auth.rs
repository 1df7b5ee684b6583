//! Auth and secrets: credentials from an environment source, never in
//! `Debug` or errors; a missing variable named at build time; a custom
//! signer run on every attempt. Run it with `cargo run -p
//! integrate-examples --example auth`; the guide is `docs/auth.md`.

use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use integrate::prelude::*;
use integrate::transport::BoxFuture;
use integrate::{Auth, Bytes, Call, Client, Method, RetryPolicy, SignRequest, http};
use integrate_testkit::{FakeProvider, Reply, Route};

use crate::{ExampleError, ensure, failed};

/// A CRM API authenticated with a bearer token read from `CRM_TOKEN`.
#[integration(base_url = "https://crm.example/v1", auth = bearer(env = "CRM_TOKEN"))]
pub trait Crm {
    /// A contact, as text.
    #[get("/contacts/{id}")]
    async fn contact(&self, id: &str) -> integrate::Result<String>;
}

/// The secrets store of this example: a map instead of the process
/// environment.
fn secrets(name: &str) -> Option<String> {
    (name == "CRM_TOKEN").then(|| "crm_s3cr3t".to_owned())
}

/// A signer that stamps each attempt with its number.
#[derive(Default)]
struct Stamp(Arc<AtomicU32>);

impl SignRequest for Stamp {
    fn sign<'a>(
        &'a self,
        request: &'a mut http::Request<Bytes>,
    ) -> BoxFuture<'a, integrate::Result<()>> {
        Box::pin(async move {
            let n = self.0.fetch_add(1, Ordering::Relaxed) + 1;
            request
                .headers_mut()
                .insert("x-signature", http::HeaderValue::from(n));
            Ok(())
        })
    }
}

/// Runs the example, writing a few lines to `out`.
///
/// # Errors
///
/// When the client does not behave as the guide says.
pub async fn run(out: &mut impl Write) -> Result<(), ExampleError> {
    let provider = FakeProvider::in_process();
    provider
        .given(Route::get("/contacts/{id}").header("authorization", "Bearer crm_s3cr3t"))
        .respond(Reply::text(200, "Ada Lovelace"));
    let client = CrmClient::builder()
        .base_url(provider.url())
        .transport(provider.transport())
        .env(secrets)
        .build()?;
    let contact = client.contact("c1").await?;
    let debug = format!("{client:?}");
    writeln!(
        out,
        "bearer from CRM_TOKEN: {contact}; token in Debug: {}",
        debug.contains("crm_s3cr3t")
    )?;
    ensure(!debug.contains("crm_s3cr3t"), "the token leaked into Debug")?;

    let missing = failed(
        CrmClient::builder().env(|_| None).build(),
        "missing variable",
    )?;
    writeln!(out, "no CRM_TOKEN: {} error: {missing}", missing.kind())?;
    ensure(
        missing.kind() == ErrorKind::Config && missing.to_string().contains("CRM_TOKEN"),
        "the missing variable is not named",
    )?;

    // A custom signer runs on every attempt, inside the attempt timeout.
    provider.reset();
    provider
        .given(Route::get("/signed"))
        .respond_seq([Reply::status(503), Reply::text(200, "ok")]);
    let signed = Client::builder()
        .base_url(provider.url())
        .transport(provider.transport())
        .auth(Auth::custom(Stamp::default()))
        .retry(RetryPolicy::default().max_attempts(2))
        .build()?;
    signed.execute(Call::new(Method::GET, "/signed")).await?;
    let stamps = provider.journal().idempotency_keys("x-signature");
    writeln!(out, "SignRequest on each attempt: x-signature {stamps:?}")?;
    ensure(
        stamps == [Some("1".into()), Some("2".into())],
        "the signer did not run per attempt",
    )?;
    Ok(())
}
