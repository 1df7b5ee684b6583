//! `cargo run -p integrate-examples --example idempotency`: see [`integrate_examples::idempotency`].

fn main() -> std::process::ExitCode {
    integrate_examples::main_paused(integrate_examples::idempotency::run(&mut std::io::stdout()))
}
