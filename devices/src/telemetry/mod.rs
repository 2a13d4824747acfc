//! Device telemetry: which sensors exist ([`Sources`]), a background
//! [`Sampler`] that reads them at a fixed rate into a preallocated table, and
//! the [`TelemetrySnapshot`] every record carries from the start of its case.
//!
//! Everything is read from files under a root (a fixture tree in tests) except
//! NVML, which only the real root ("/") queries. A sensor that does not exist
//! has no channel; a channel whose file cannot be read at one instant holds
//! no value for that sample (`null` in JSON): never 0, never an error.

mod channels;
mod nvml;
mod read;
mod sampler;
mod snapshot;
mod sources;

/// NVML throttle-reason bits that mean a thermal or power slowdown (not
/// idle, not an application clock setting).
pub const NVML_THROTTLING_REASONS: u64 = nvml::THROTTLING;
/// Raspberry Pi `get_throttled` bits that mean throttled now (bit 2) or at
/// the soft temperature limit now (bit 3).
pub const PI_THROTTLED_NOW: u64 = 0b1100;

pub use channels::{Channel, ChannelKind, TelemetrySeries, TripPoint};
pub use sampler::{Sampler, SamplerError};
pub use snapshot::{Reading, TelemetrySnapshot};
pub use sources::Sources;

/// Where sensors are read from: `EDGEBENCH_SYSFS_ROOT` when set (tests point
/// it at a fixture tree; sweep workers inherit it), else "/".
pub fn sysfs_root() -> std::path::PathBuf {
    std::env::var_os("EDGEBENCH_SYSFS_ROOT")
        .filter(|v| !v.is_empty())
        .map_or_else(|| std::path::PathBuf::from("/"), std::path::PathBuf::from)
}
