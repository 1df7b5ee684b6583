//! `cargo run -p integrate-examples --example webhooks`: see [`integrate_examples::webhooks`].

fn main() -> std::process::ExitCode {
    integrate_examples::main_paused(integrate_examples::webhooks::run(&mut std::io::stdout()))
}
