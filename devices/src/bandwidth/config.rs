//! Settings of one bandwidth run and their checks: thread count, array size
//! (auto from the last-level cache, or `--size-mb`), iterations.

use serde::{Deserialize, Serialize};

use super::cache::DEFAULT_LLC_BYTES;
use super::error::BandwidthError;

/// STREAM's minimum: 10 iterations, of which the first is discarded.
pub const MIN_ITERATIONS: u32 = 10;

/// Smallest auto-sized array: 1M f64 elements (8 MiB), STREAM's other rule.
pub const MIN_AUTO_ARRAY_BYTES: u64 = (1 << 20) * 8;

/// What to measure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BandwidthConfig {
    /// Worker threads, each pinned to its own CPU (>= 1, at most the logical
    /// CPUs this process may use).
    pub threads: u32,
    /// Bytes per array (there are three arrays); `None` sizes them
    /// automatically: `max(4 x last-level cache, 8 MiB)`, see
    /// [`auto_array_bytes`].
    pub array_bytes: Option<u64>,
    /// Timed passes of each kernel, >= 10. The first is a warm-up: it is kept
    /// in the samples but excluded from best, min and average, which are over
    /// the `iterations - 1` others.
    pub iterations: u32,
}

impl Default for BandwidthConfig {
    fn default() -> Self {
        BandwidthConfig {
            threads: 1,
            array_bytes: None,
            iterations: MIN_ITERATIONS,
        }
    }
}

impl BandwidthConfig {
    /// Bytes per array for `--size-mb N` (MiB per array).
    pub fn size_mb_to_bytes(size_mb: u64) -> u64 {
        size_mb.saturating_mul(1 << 20)
    }

    /// Checks the settings against the machine: `cpus` logical CPUs this
    /// process may use, `ram_bytes` of RAM (`None`: not checked) and the
    /// array size actually used (see [`BandwidthConfig::resolved_array_bytes`]).
    pub fn validate(
        &self,
        cpus: usize,
        ram_bytes: Option<u64>,
        array_bytes: u64,
    ) -> Result<(), BandwidthError> {
        check_threads(self.threads, cpus)?;
        if self.iterations < MIN_ITERATIONS {
            return Err(BandwidthError::TooFewIterations {
                iterations: self.iterations,
            });
        }
        if array_bytes / 8 < u64::from(self.threads) {
            return Err(BandwidthError::ArrayTooSmall {
                array_bytes,
                threads: self.threads,
            });
        }
        let needed_bytes = array_bytes.saturating_mul(3);
        if let Some(ram_bytes) = ram_bytes
            && needed_bytes > ram_bytes / 2
        {
            return Err(BandwidthError::ArrayTooBig {
                array_bytes,
                needed_bytes,
                ram_bytes,
            });
        }
        Ok(())
    }

    /// Bytes per array this config uses, rounded down to whole f64 elements,
    /// given the last-level cache (`None`: unknown, [`DEFAULT_LLC_BYTES`]
    /// is assumed).
    pub fn resolved_array_bytes(&self, llc_bytes: Option<u64>) -> u64 {
        let bytes = self
            .array_bytes
            .unwrap_or_else(|| auto_array_bytes(llc_bytes.unwrap_or(DEFAULT_LLC_BYTES)));
        bytes / 8 * 8
    }
}

/// Automatic array size: at least 4x the last-level cache and at least 1M
/// elements, rounded up to a whole MiB.
pub fn auto_array_bytes(llc_bytes: u64) -> u64 {
    let bytes = llc_bytes.saturating_mul(4).max(MIN_AUTO_ARRAY_BYTES);
    bytes.div_ceil(1 << 20).saturating_mul(1 << 20)
}

/// Checks one thread count against the logical CPUs available.
pub fn check_threads(threads: u32, cpus: usize) -> Result<(), BandwidthError> {
    if threads == 0 {
        return Err(BandwidthError::ZeroThreads);
    }
    if usize::try_from(threads).map_or(true, |t| t > cpus) {
        return Err(BandwidthError::TooManyThreads { threads, cpus });
    }
    Ok(())
}

/// Parses `-t/--threads`: one count (`4`) or a comma list (`1,2,4`) for a
/// scaling table, each >= 1 and at most `cpus`. Spaces around items are
/// allowed, an empty item is an error, and the order given is kept.
pub fn parse_thread_list(text: &str, cpus: usize) -> Result<Vec<u32>, BandwidthError> {
    let bad = || BandwidthError::BadThreadList {
        value: text.to_string(),
    };
    let mut threads = vec![];
    for item in text.split(',') {
        let n: u32 = item.trim().parse().map_err(|_| bad())?;
        check_threads(n, cpus)?;
        threads.push(n);
    }
    Ok(threads)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auto_size_is_four_times_llc_and_at_least_1m_elements() {
        assert_eq!(auto_array_bytes(32 << 20), 128 << 20);
        assert_eq!(auto_array_bytes(1 << 20), 8 << 20);
        assert_eq!(auto_array_bytes(3 << 20), 12 << 20);
        assert_eq!(auto_array_bytes(1_000_000), 8 << 20);
        let c = BandwidthConfig::default();
        assert_eq!(c.resolved_array_bytes(None), 256 << 20);
        let c = BandwidthConfig {
            array_bytes: Some(1001),
            ..c
        };
        assert_eq!(c.resolved_array_bytes(Some(1)), 1000);
    }
}
