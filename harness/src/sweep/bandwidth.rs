//! The sweep's bandwidth phase: the memory-bandwidth probe whose read
//! figure gives every case its measured roofline ceiling.
use edgebench_devices::HostInfo;
use edgebench_devices::profile::Profile;
use edgebench_reports::bandwidth::BandwidthRecord;
use edgebench_reports::record::DeviceRef;

use super::store::Store;

/// The sweep's bandwidth probe: reused from OUT/bandwidth.json on
/// `--resume`, else measured (unless the profile turns it off) and written
/// there. A failed probe is reported and the sweep goes on without it.
pub fn measure_or_reuse(
    profile: &Profile,
    store: &Store,
    host: &HostInfo,
    device: &DeviceRef,
) -> Option<BandwidthRecord> {
    if !profile.matrix.bandwidth {
        return None;
    }
    let path = store.dir().join("bandwidth.json");
    if let Ok(text) = std::fs::read_to_string(&path)
        && let Ok(record) = serde_json::from_str(&text)
    {
        return Some(record);
    }
    let cpus = edgebench_devices::bandwidth::logical_cpus().max(1) as u32;
    let threads = profile
        .matrix
        .threads
        .iter()
        .copied()
        .max()
        .unwrap_or(1)
        .min(cpus);
    eprintln!(
        "edgebench: measuring memory bandwidth ({threads} thread(s); [matrix] bandwidth = false skips this)"
    );
    let measured = crate::bandwidth::measure(
        &[threads],
        None,
        edgebench_devices::bandwidth::MIN_ITERATIONS,
        host,
        Some(device.clone()),
        profile.device.mem_bandwidth_gbs,
    );
    match measured {
        Ok(record) => {
            let written = serde_json::to_string_pretty(&record)
                .map_err(anyhow::Error::from)
                .and_then(|t| crate::output::write_atomically(&path, t.as_bytes()));
            if let Err(e) = written {
                eprintln!("edgebench: warning: cannot write {}: {e:#}", path.display());
            }
            Some(record)
        }
        Err(e) => {
            eprintln!(
                "edgebench: warning: the bandwidth probe failed ({e:#}); cases get no measured ceiling"
            );
            None
        }
    }
}
