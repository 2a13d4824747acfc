//! Runs the memory-bandwidth probe (devices) and wraps its results in a
//! versioned `bandwidth` record (reports), for `edgebench bandwidth` and for
//! the probe every sweep runs before its model cases.
use anyhow::{Result, anyhow};
use edgebench_devices::HostInfo;
use edgebench_devices::bandwidth::{self, BandwidthConfig};
use edgebench_reports::SCHEMA_VERSION;
use edgebench_reports::bandwidth::BandwidthRecord;
use edgebench_reports::record::{DeviceRef, RecordKind};

use crate::provenance;

/// Measures every kernel at each thread count.
pub fn measure(
    threads: &[u32],
    array_bytes: Option<u64>,
    iterations: u32,
    host: &HostInfo,
    device: Option<DeviceRef>,
    peak_gbs: Option<f64>,
) -> Result<BandwidthRecord> {
    let started = std::time::SystemTime::now();
    let mut results = vec![];
    for &t in threads {
        let config = BandwidthConfig {
            threads: t,
            array_bytes,
            iterations,
        };
        results.extend(bandwidth::run(&config).map_err(|e| anyhow!("{e}"))?);
    }
    Ok(BandwidthRecord {
        schema_version: SCHEMA_VERSION,
        kind: RecordKind::Bandwidth,
        edgebench: provenance::tool_info(),
        host: host.clone(),
        device,
        peak_gbs,
        timestamp: provenance::timestamp(started),
        results,
    })
}
