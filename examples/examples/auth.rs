//! `cargo run -p integrate-examples --example auth`: see [`integrate_examples::auth`].

fn main() -> std::process::ExitCode {
    integrate_examples::main_paused(integrate_examples::auth::run(&mut std::io::stdout()))
}
