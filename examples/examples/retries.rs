//! `cargo run -p integrate-examples --example retries`: see [`integrate_examples::retries`].

fn main() -> std::process::ExitCode {
    integrate_examples::main_paused(integrate_examples::retries::run(&mut std::io::stdout()))
}
