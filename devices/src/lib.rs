//! Host facts and process memory for edgebench (device profiles and telemetry
//! sensors join this crate later). Depends on no other edgebench crate.
#![deny(missing_docs)]

pub mod host;
pub mod memory;
pub mod probe;
pub mod profile;

pub use host::HostInfo;
pub use probe::{BackendAvailability, ProbeReport};
