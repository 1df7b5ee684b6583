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
