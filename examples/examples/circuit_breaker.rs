//! `cargo run -p integrate-examples --example circuit_breaker`: see [`integrate_examples::circuit_breaker`].

fn main() -> std::process::ExitCode {
    integrate_examples::main_paused(integrate_examples::circuit_breaker::run(
        &mut std::io::stdout(),
    ))
}
