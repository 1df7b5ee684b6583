//! `cargo run -p integrate-examples --example rate_limit`: see [`integrate_examples::rate_limit`].

fn main() -> std::process::ExitCode {
    integrate_examples::main_paused(integrate_examples::rate_limit::run(&mut std::io::stdout()))
}
