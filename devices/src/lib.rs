//! Devices for edgebench: host facts and the probe, process memory, device
//! profiles (TOML), telemetry sampling and the memory-bandwidth probe.
//! Depends on no other edgebench crate.
#![deny(missing_docs)]

pub mod bandwidth;
pub mod host;
pub mod limits;
pub mod load_lengths;
pub mod memory;
pub mod probe;
pub mod profile;
pub mod telemetry;

pub use host::HostInfo;
pub use probe::{BackendAvailability, ProbeReport};
