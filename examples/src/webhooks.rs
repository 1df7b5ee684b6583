//! Webhooks: a GitHub-style delivery verified over its raw bytes, then
//! admitted (its id claimed and its job queued in one step) and processed
//! once by a worker, whatever the provider sends twice or forges. Runs in
//! process (`Receiver::receive`), no socket.

use std::io::Write;
use std::sync::{Arc, Mutex};

use integrate::store::InMemoryBackend;
use integrate::webhook::{Receiver, WebhookVerifier, webhook};
use integrate_testkit::WebhookSender;
use serde::Deserialize;

use crate::{ExampleError, ensure};

/// A pull request event; GitHub names each delivery in `X-GitHub-Delivery`.
#[webhook(scheme = "github", secret_env = ["GITHUB_WEBHOOK_SECRET", "GITHUB_WEBHOOK_SECRET_PREVIOUS"])]
#[derive(Debug, Clone, Deserialize)]
pub struct PullRequest {
    /// `opened`, `closed`, ...
    pub action: String,
    /// The pull request number.
    pub number: u64,
}

fn env(name: &str) -> Option<String> {
    match name {
        "GITHUB_WEBHOOK_SECRET" => Some("new-secret".to_owned()),
        "GITHUB_WEBHOOK_SECRET_PREVIOUS" => Some("old-secret".to_owned()),
        _ => None,
    }
}

/// Sends five deliveries to a receiver and prints the answers and what the
/// worker ran.
///
/// # Errors
///
/// When a delivery is not answered as the guide says.
pub async fn run(out: &mut impl Write) -> Result<(), ExampleError> {
    let verifier = WebhookVerifier::<PullRequest>::builder().env(env).build()?;
    let receiver = Receiver::builder(verifier)
        .backend(
            InMemoryBackend::builder()
                .max_ids(1_000)
                .max_depth(100)
                .build()?,
        )
        .build()?;
    let ran = Arc::new(Mutex::new(Vec::new()));
    let seen = ran.clone();
    let pool = receiver
        .workers()
        .workers(1)
        .spawn(move |event: PullRequest| {
            let seen = seen.clone();
            async move {
                seen.lock()
                    .map_err(|_| "poisoned")?
                    .push(format!("#{} {}", event.number, event.action));
                Ok::<(), &'static str>(())
            }
        })?;

    let sender = WebhookSender::github("new-secret");
    let opened = sender.sign_with_id("d-1", r#"{"action":"opened","number":7}"#);
    let deliveries = [
        ("signed", opened.clone(), 202),
        ("redelivered", opened.clone(), 200),
        ("tampered", opened.tampered(), 401),
        (
            "signed with the previous secret",
            WebhookSender::github("old-secret")
                .sign_with_id("d-2", r#"{"action":"closed","number":7}"#),
            202,
        ),
        (
            "unsigned",
            opened.without_header("X-Hub-Signature-256"),
            400,
        ),
    ];
    let mut answers = Vec::new();
    for (what, delivery, expected) in deliveries {
        let (headers, body) = delivery.into_parts();
        let status = receiver.receive(&headers, body).await.status().as_u16();
        ensure(
            status == expected,
            format!("{what}: {status}, expected {expected}"),
        )?;
        answers.push(format!("{what} {status}"));
    }
    writeln!(out, "answers: {}", answers.join(", "))?;
    pool.drain().await?;
    let ran = ran.lock().map_err(|_| "poisoned")?.clone();
    writeln!(
        out,
        "the worker ran: {} (each delivery once)",
        ran.join(", ")
    )?;
    ensure(
        ran == ["#7 opened", "#7 closed"],
        "each event once, in order",
    )?;
    Ok(())
}
