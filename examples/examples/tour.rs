//! The tour: `cargo run -p integrate-examples --example tour`.
//!
//! Set `RUST_LOG=integrate=debug` to see the spans and retry events.

use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    if std::env::var_os("RUST_LOG").is_some() {
        tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
            .with_writer(std::io::stderr)
            .init();
    }
    let mut out = std::io::stdout().lock();
    match integrate_examples::tour::run(&mut out).await {
        Ok(outcomes) if outcomes.iter().all(|o| o.handled) => ExitCode::SUCCESS,
        Ok(_) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("the tour could not run: {e}");
            ExitCode::FAILURE
        }
    }
}
