//! edgebench: the command-line entry point. Reads as a table of contents:
//! parse flags, run the subcommand, map the outcome to an exit code.
use clap::Parser;
use edgebench::cli::Cli;
use edgebench::cmd;
use edgebench::exit::EXIT_BAD_INPUT;

fn main() {
    let cli = Cli::parse_from(edgebench::cli::llama_bench_spelling(std::env::args_os()));
    match cmd::dispatch(&cli.command) {
        Ok(code) => std::process::exit(code),
        Err(e) => {
            eprintln!("edgebench: error: {e:#}");
            std::process::exit(EXIT_BAD_INPUT);
        }
    }
}
