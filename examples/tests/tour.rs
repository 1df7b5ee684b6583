//! The tour runs to the end, within 30 s, and every scenario is handled.

use std::time::{Duration, Instant};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_tour_handles_every_scenario() {
    let started = Instant::now();
    let mut out = Vec::new();
    let outcomes = integrate_examples::tour::run(&mut out)
        .await
        .expect("the tour runs");
    let elapsed = started.elapsed();
    let text = String::from_utf8(out).expect("utf-8 output");
    assert!(
        elapsed < Duration::from_secs(30),
        "took {elapsed:?}\n{text}"
    );

    // The example's exit status is 0 exactly when every outcome is handled.
    for o in &outcomes {
        assert!(
            o.handled,
            "{} not handled: {}\n{text}",
            o.scenario, o.result
        );
    }
    let expected = [
        "normal call",
        "503s retried with backoff",
        "429 + Retry-After honoured",
        "POST vs idempotent POST",
        "timeout",
        "circuit breaker",
        "rate limiter",
        "webhooks",
    ];
    let names: Vec<_> = outcomes.iter().map(|o| o.scenario).collect();
    for name in expected {
        assert!(names.contains(&name), "missing scenario {name}: {names:?}");
    }

    // A header, at most five lines per scenario, an outcome line each, and
    // the summary.
    assert!(text.starts_with("integrate tour:"), "{text}");
    let body = text.split("\nSummary\n").next().unwrap_or_default();
    for block in body.split("\n[").skip(1) {
        let lines: Vec<_> = block.lines().skip(1).filter(|l| !l.is_empty()).collect();
        assert!(lines.len() <= 5, "more than five lines:\n[{block}");
        assert!(
            lines
                .last()
                .is_some_and(|l| l.trim_start().starts_with("=> ok:")),
            "no ok outcome line:\n[{block}"
        );
    }
    let summary = text.split("\nSummary\n").nth(1).expect("a summary");
    for name in expected {
        assert!(
            summary
                .lines()
                .any(|l| l.contains(name) && l.contains("handled")),
            "{name} not in the summary:\n{summary}"
        );
    }
    assert!(summary.contains(&format!("{0} of {0} scenarios handled", outcomes.len())));
}

/// The example itself: exit status 0, the summary, and no tracing output
/// when `RUST_LOG` is not set.
#[test]
fn the_tour_example_exits_zero_quietly() {
    use std::process::Command;

    // target/<profile>/deps/<this test> -> target/<profile>/examples/tour
    let exe = std::env::current_exe().expect("the test's path");
    let profile_dir = exe
        .parent()
        .and_then(std::path::Path::parent)
        .expect("target/<profile>");
    let tour = profile_dir.join("examples").join("tour");
    if !tour.exists() {
        // `cargo test` builds examples; a filtered run may not have.
        let status = Command::new(env!("CARGO"))
            .args([
                "build",
                "-q",
                "-p",
                "integrate-examples",
                "--example",
                "tour",
            ])
            .status()
            .expect("cargo runs");
        assert!(status.success(), "the tour example builds");
    }
    let started = Instant::now();
    let output = Command::new(&tour)
        .env_remove("RUST_LOG")
        .output()
        .expect("the tour runs");
    let elapsed = started.elapsed();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "exit status {:?}\n{stdout}\n{stderr}",
        output.status
    );
    assert!(elapsed < Duration::from_secs(30), "took {elapsed:?}");
    assert!(
        stderr.is_empty(),
        "output on stderr without RUST_LOG:\n{stderr}"
    );
    assert!(
        !stdout.contains(" DEBUG ") && !stdout.contains(" WARN "),
        "{stdout}"
    );
    assert!(stdout.contains("8 of 8 scenarios handled"), "{stdout}");
}
