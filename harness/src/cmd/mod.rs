//! The subcommands, one file each, each an entry function from parsed flags
//! to an exit code. Bad input is an `Err` (exit 2, see `crate::exit`).
pub mod bandwidth;
pub mod compare;
pub mod conform;
pub mod history;
pub mod import;
pub mod load;
pub mod probe;
pub mod quality;
pub mod report;
pub mod roofline;
pub mod run;
pub mod sustained;
pub mod sweep;
pub mod synth;
pub mod worker;

use anyhow::Result;

use crate::cli::Command;

/// Runs `command`; returns its exit code.
pub fn dispatch(command: &Command) -> Result<i32> {
    match command {
        Command::Run(args) => run::run(args),
        Command::Sweep(args) => sweep::sweep(args),
        Command::Probe(args) => probe::probe(args),
        Command::Roofline(args) => roofline::roofline(args),
        Command::Bandwidth(args) => bandwidth::bandwidth(args),
        Command::Synth(args) => synth::synth(args),
        Command::Sustained(args) => sustained::sustained(args),
        Command::Load(args) => load::load(args),
        Command::Report(args) => report::report(args),
        Command::Compare(args) => compare::compare(args),
        Command::History(args) => history::history(args),
        Command::Conform(args) => conform::conform(args),
        Command::Quality(args) => quality::quality(args),
        Command::Import(args) => import::import(args),
        Command::Worker => worker::worker(),
    }
}
