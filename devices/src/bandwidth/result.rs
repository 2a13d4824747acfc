//! One kernel's bandwidth figures at one thread count, and how they are
//! derived from the per-pass times.

use serde::{Deserialize, Serialize};

use super::kernel::Kernel;

/// Bandwidth of one kernel at one thread count.
///
/// GB/s are 1e9 bytes per second of STREAM-counted bytes
/// ([`Kernel::bytes_per_element`] x elements per pass; write-allocate
/// traffic not counted).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct BandwidthResult {
    /// Kernel name: `copy`, `scale`, `add`, `triad` or `read`.
    pub kernel: String,
    /// Worker threads.
    pub threads: u32,
    /// Bytes per array (three arrays of f64).
    pub array_bytes: u64,
    /// Bytes one pass moves, as STREAM counts them.
    pub bytes_per_iteration: u64,
    /// Passes the statistics are over: all but the first.
    pub iterations_measured: u32,
    /// Best (fastest pass) GB/s.
    pub gbs: f64,
    /// Slowest measured pass, GB/s.
    pub min_gbs: f64,
    /// Bytes over the mean time of the measured passes, GB/s (as STREAM's
    /// "Avg time").
    pub avg_gbs: f64,
    /// Time of the fastest pass, seconds.
    pub best_s: f64,
    /// Whether every worker thread was pinned to its own CPU.
    pub pinned: bool,
    /// Nanoseconds of every pass, the excluded first one included at index 0.
    pub samples_ns: Vec<u64>,
    /// Caveats: assumed cache size, unpinned threads, small arrays, bytes
    /// not counted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

impl BandwidthResult {
    /// Builds the figures from all pass times (the first is excluded from
    /// the statistics). `None` when there are fewer than two passes.
    pub fn from_samples(
        kernel: Kernel,
        threads: u32,
        array_bytes: u64,
        samples_ns: Vec<u64>,
        pinned: bool,
    ) -> Option<BandwidthResult> {
        let measured = samples_ns.get(1..).filter(|m| !m.is_empty())?;
        let bytes = kernel.bytes_per_iteration(array_bytes / 8);
        // A pass under 1 ns is not measurable; count it as 1 ns, not as infinite GB/s.
        let gbs_at = |ns: f64| bytes as f64 / ns.max(1.0);
        let best = measured.iter().copied().min()? as f64;
        let worst = measured.iter().copied().max()? as f64;
        let mean = measured.iter().map(|&t| t as f64).sum::<f64>() / measured.len() as f64;
        Some(BandwidthResult {
            kernel: kernel.name().to_string(),
            threads,
            array_bytes,
            bytes_per_iteration: bytes,
            iterations_measured: u32::try_from(measured.len()).unwrap_or(u32::MAX),
            gbs: gbs_at(best),
            min_gbs: gbs_at(worst),
            avg_gbs: gbs_at(mean),
            best_s: best / 1e9,
            pinned,
            samples_ns,
            notes: vec![],
        })
    }

    /// Best GB/s as a fraction of a theoretical peak (a profile's
    /// `mem_bandwidth_gbs`); `None` for a peak that is not positive.
    pub fn fraction_of_peak(&self, peak_gbs: f64) -> Option<f64> {
        (peak_gbs.is_finite() && peak_gbs > 0.0).then(|| self.gbs / peak_gbs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_pass_is_excluded() {
        // 1000 elements of triad: 24_000 bytes; passes of 100 (excluded), 10, 20, 30 ns.
        let r = BandwidthResult::from_samples(Kernel::Triad, 2, 8000, vec![100, 10, 20, 30], true)
            .unwrap();
        assert_eq!(r.bytes_per_iteration, 24_000);
        assert_eq!(r.iterations_measured, 3);
        assert_eq!(r.gbs, 2400.0);
        assert_eq!(r.min_gbs, 800.0);
        assert_eq!(r.avg_gbs, 1200.0);
        assert_eq!(r.best_s, 10e-9);
        assert_eq!(r.fraction_of_peak(4800.0), Some(0.5));
        assert_eq!(r.fraction_of_peak(0.0), None);
        assert!(BandwidthResult::from_samples(Kernel::Read, 1, 8, vec![5], true).is_none());
    }
}
