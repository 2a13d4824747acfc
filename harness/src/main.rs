//! edgebench: the command-line entry point. Reads as a table of contents:
//! parse flags, run the subcommand, map the outcome to an exit code.
use clap::Parser;
use edgebench::cli::{Cli, Command};
use edgebench::commands::{self, EXIT_BAD_INPUT};

fn main() {
    let cli = Cli::parse();
    let result = match &cli.command {
        Command::Run(args) => commands::run(args),
        Command::Sweep(args) => commands::sweep(args),
        Command::Probe(args) => commands::probe(args),
        Command::Roofline(args) => commands::roofline(args),
        Command::Bandwidth(args) => commands::bandwidth(args),
        Command::Synth(args) => commands::synth(args),
        Command::Sustained(args) => edgebench::sustained::command(args),
        Command::Report(args) => edgebench::report_cmd::report(args),
        Command::Compare(args) => edgebench::compare::compare(args),
        Command::History(args) => edgebench::history::history(args),
        Command::Conform(args) => edgebench::conform::conform(args),
        Command::Worker => edgebench::sweep::worker::main(),
    };
    match result {
        Ok(code) => std::process::exit(code),
        Err(e) => {
            eprintln!("edgebench: error: {e:#}");
            std::process::exit(EXIT_BAD_INPUT);
        }
    }
}
