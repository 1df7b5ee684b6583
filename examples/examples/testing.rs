//! `cargo run -p integrate-examples --example testing`: see [`integrate_examples::testing`].

fn main() -> std::process::ExitCode {
    integrate_examples::main_paused(integrate_examples::testing::run(&mut std::io::stdout()))
}
