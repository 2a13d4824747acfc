//! edgebench's harness: command line, plans, the timing loop, running cases
//! and writing their records. Backends live in `edgebench-backends`,
//! analysis and exporters in `edgebench-reports`.
#![deny(missing_docs)]

pub mod bandwidth;
pub mod cache;
pub mod cli;
pub mod commands;
pub mod compare;
pub mod conform;
pub mod cooldown;
pub mod history;
pub mod measure;
pub mod output;
pub mod plan;
pub mod prompt;
pub mod provenance;
pub mod report_cmd;
pub mod roofline;
pub mod run;
pub mod sustained;
pub mod sweep;
