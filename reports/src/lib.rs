//! Result schema, statistics, exporters, comparisons, SLO verdicts and
//! hardware-selection reports for edgebench. Analysis only: this crate never
//! runs a backend, and names backends by their string ids.
#![deny(missing_docs)]

pub mod bandwidth;
pub mod compare;
pub mod conformance;
pub mod export;
pub mod import;
pub mod input;
pub mod junit;
pub mod load;
pub mod load_run;
pub mod quality;
pub mod quality_compare;
pub mod record;
pub mod report;
pub mod rng;
pub mod roofline;
pub mod slo;
pub mod stats;
pub mod sustained;
pub mod synthetic;

pub use export::{ExportError, Format, UnknownFormat, render};
pub use load::{LoadError, read_records};
pub use record::{Record, SCHEMA_VERSION, Status};
pub use stats::Summary;
