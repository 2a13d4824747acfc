//! Why a report could not be built or written.
use std::path::PathBuf;

use thiserror::Error;

use crate::load::LoadError;

/// A report that cannot be made. Problems with single files that leave the
/// rest readable (a corrupt JSON file) are warnings, not errors.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum ReportError {
    /// A path given as input does not exist.
    #[error("{}: no such file or folder; give sweep output folders, sweep.json or result files", .0.display())]
    MissingInput(PathBuf),
    /// A file was written by a newer edgebench than this one.
    #[error("{0}")]
    NewerSchema(LoadError),
    /// A sweep summary says it is of a newer schema than this build reads.
    #[error(
        "{}: schema_version {found} is newer than this build of edgebench knows ({known}); upgrade edgebench to read it",
        .path.display()
    )]
    NewerSummary {
        /// The file.
        path: PathBuf,
        /// The version in it.
        found: u64,
        /// The newest version this build reads.
        known: u32,
    },
    /// Nothing in the inputs was a result record.
    #[error(
        "no results found in {inputs}{why}; give the folder a sweep wrote (it holds sweep.json) or result files from `edgebench run --out`"
    )]
    NoResults {
        /// The inputs as given, joined.
        inputs: String,
        /// The warnings that explain it, if any, already formatted.
        why: String,
    },
    /// A report file or chart could not be written.
    #[error("cannot write {}: {source}", .path.display())]
    Write {
        /// The file.
        path: PathBuf,
        /// What the OS said.
        source: std::io::Error,
    },
    /// A chart could not be drawn.
    #[error("cannot draw the chart {name}: {message}")]
    Chart {
        /// The chart's file stem.
        name: String,
        /// What the drawing library said.
        message: String,
    },
}
