//! `cargo run -p integrate-examples --example timeouts`: see [`integrate_examples::timeouts`].

fn main() -> std::process::ExitCode {
    integrate_examples::main_paused(integrate_examples::timeouts::run(&mut std::io::stdout()))
}
