//! Memory-bandwidth probe: STREAM-style Copy, Scale, Add and Triad plus a
//! read-only sum (what LLM decode mostly does), by the rules of
//! docs/metrics.md ("Memory bandwidth").
//!
//! - Arrays of f64, each at least 4x the last-level cache (read from sysfs;
//!   [`DEFAULT_LLC_BYTES`] assumed when unknown) and at least 1M elements,
//!   unless `--size-mb` says otherwise.
//! - One thread per CPU, pinned (distinct physical cores first), each owning
//!   one static contiguous chunk of every array: the same chunk for the
//!   first-touch initialisation and for every kernel.
//! - A spinning barrier before and after every pass; the pass is timed by
//!   worker 0 between the two. Of `iterations` (>= 10) passes, the first is
//!   discarded; best, slowest and mean are over the rest.
//! - Afterwards each worker checks its chunk against STREAM's expected
//!   values (and the read sum), so a wrong kernel is an error, not a figure.

mod buffer;
pub mod cache;
pub mod check;
pub mod config;
pub mod error;
mod exec;
pub mod kernel;
pub mod pin;
pub mod result;

use std::path::Path;

pub use buffer::partition;
pub use cache::{DEFAULT_LLC_BYTES, last_level_cache_bytes, last_level_cache_bytes_at};
pub use config::{BandwidthConfig, MIN_ITERATIONS, auto_array_bytes, parse_thread_list};
pub use error::BandwidthError;
pub use kernel::Kernel;
pub use result::BandwidthResult;

/// Measures all five kernels ([`Kernel::ALL`]) with one set of arrays.
pub fn run(config: &BandwidthConfig) -> Result<Vec<BandwidthResult>, BandwidthError> {
    run_kernels(config, &Kernel::ALL)
}

/// Measures one kernel.
pub fn run_kernel(
    config: &BandwidthConfig,
    kernel: Kernel,
) -> Result<BandwidthResult, BandwidthError> {
    let mut results = run_kernels(config, &[kernel])?;
    results.pop().ok_or(BandwidthError::WorkerPanicked)
}

/// The logical CPUs this process may use (what `-t` is checked against).
pub fn logical_cpus() -> usize {
    pin::allowed_cpus().len()
}

/// Measures `kernels` in order with one set of arrays (re-initialised
/// between kernels by the same threads).
pub fn run_kernels(
    config: &BandwidthConfig,
    kernels: &[Kernel],
) -> Result<Vec<BandwidthResult>, BandwidthError> {
    let cpus = pin::allowed_cpus();
    let llc = last_level_cache_bytes();
    let array_bytes = config.resolved_array_bytes(llc);
    config.validate(cpus.len(), total_ram_bytes(), array_bytes)?;
    let elements = usize::try_from(array_bytes / 8)
        .map_err(|_| BandwidthError::AllocationFailed { bytes: array_bytes })?;
    let ordered = pin::order_by_core(&cpus, Path::new("/"));
    let threads = config.threads as usize;
    let measured = exec::execute(kernels, &ordered[..threads], elements, config.iterations)?;
    let notes = notes(config, llc, array_bytes, measured.pinned);
    let mut results = vec![];
    for (&kernel, samples) in kernels.iter().zip(measured.samples_ns) {
        let mut r = BandwidthResult::from_samples(
            kernel,
            config.threads,
            array_bytes,
            samples,
            measured.pinned,
        )
        .ok_or(BandwidthError::WorkerPanicked)?;
        r.notes = notes.clone();
        if kernel != Kernel::Read {
            r.notes.push(
                "bytes counted as STREAM does: the write-allocate read of the destination \
                 array is not counted"
                    .to_string(),
            );
        }
        results.push(r);
    }
    Ok(results)
}

fn notes(
    config: &BandwidthConfig,
    llc: Option<u64>,
    array_bytes: u64,
    pinned: bool,
) -> Vec<String> {
    let mib = |b: u64| b as f64 / f64::from(1u32 << 20);
    let mut notes = vec![];
    match llc {
        None if config.array_bytes.is_none() => notes.push(format!(
            "last-level cache size unknown: assumed {:.0} MiB, arrays sized 4x that",
            mib(DEFAULT_LLC_BYTES)
        )),
        Some(llc) if array_bytes < llc.saturating_mul(4) => notes.push(format!(
            "arrays of {:.1} MiB are smaller than 4x the {:.1} MiB last-level cache: \
             figures partly measure the cache",
            mib(array_bytes),
            mib(llc)
        )),
        _ => {}
    }
    if !pinned {
        notes.push(
            "threads could not be pinned to CPUs on this platform: figures may vary more"
                .to_string(),
        );
    }
    notes
}

fn total_ram_bytes() -> Option<u64> {
    use sysinfo::{MemoryRefreshKind, RefreshKind, System};
    let sys = System::new_with_specifics(
        RefreshKind::nothing().with_memory(MemoryRefreshKind::nothing().with_ram()),
    )
    .ok()?;
    Some(sys.total_memory()).filter(|&b| b > 0)
}
