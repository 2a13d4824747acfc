//! edgebench's harness: command line, plans, the timing loop, running cases
//! and writing their records. Backends live in `edgebench-backends`,
//! analysis and exporters in `edgebench-reports`.
//!
//! Layers, each importing only the ones below it: `cmd/` (one file per
//! subcommand) over the workflows (`sweep/`, `sustained/`, `execute`) over
//! the shared rooms (`model`, `session`, `measure`, `record`, `plan`) over
//! the leaves (`exit`, `flags`, `output`, `provenance`, `prompt`, `cache`).
#![deny(missing_docs)]

pub mod bandwidth;
pub mod cache;
pub mod cli;
pub mod cmd;
pub mod cooldown;
pub mod execute;
pub mod exit;
pub mod flags;
pub mod load;
pub mod load_batched;
pub mod measure;
pub mod model;
pub mod output;
pub mod plan;
pub mod preflight;
pub mod prompt;
pub mod provenance;
pub mod record;
pub mod roofline;
pub mod session;
pub mod sustained;
pub mod sweep;
