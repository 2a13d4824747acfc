//! Summary statistics over raw samples: mean, sample sd, min/max and
//! percentiles by linear interpolation between order statistics.
//!
//! Percentiles follow Hyndman & Fan type 7 (numpy's and R's default): for
//! sorted samples x[0..n) and quantile q, h = (n - 1) q, and the result is
//! x[floor h] + (h - floor h) (x[floor h + 1] - x[floor h]).
use serde::{Deserialize, Serialize};

/// One metric summarised from its raw samples, which are kept beside it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// Arithmetic mean of the samples. For `*_tps` metrics the samples are
    /// per-repetition rates, so this is llama-bench's `avg_ts` (mean of rates).
    pub mean: f64,
    /// Sample standard deviation (n - 1 denominator); `None` when n < 2.
    pub sd: Option<f64>,
    /// Smallest sample.
    pub min: f64,
    /// Median (type-7 interpolation).
    pub p50: f64,
    /// 90th percentile (type-7 interpolation).
    pub p90: f64,
    /// 99th percentile (type-7 interpolation).
    pub p99: f64,
    /// Largest sample.
    pub max: f64,
    /// Number of samples.
    pub n: usize,
    /// The raw samples in the order they were measured.
    pub samples: Vec<f64>,
}

impl Summary {
    /// Summarises `samples`; `None` when there are none or any is not finite
    /// (a statistic over a NaN would silently lie).
    pub fn from_samples(samples: Vec<f64>) -> Option<Summary> {
        if samples.is_empty() || samples.iter().any(|x| !x.is_finite()) {
            return None;
        }
        let mut sorted = samples.clone();
        sorted.sort_by(f64::total_cmp);
        let n = samples.len();
        let mean = samples.iter().sum::<f64>() / n as f64;
        let sd = (n >= 2).then(|| {
            let ss: f64 = samples.iter().map(|x| (x - mean) * (x - mean)).sum();
            (ss / (n - 1) as f64).sqrt()
        });
        Some(Summary {
            mean,
            sd,
            min: sorted[0],
            p50: percentile_sorted(&sorted, 0.50),
            p90: percentile_sorted(&sorted, 0.90),
            p99: percentile_sorted(&sorted, 0.99),
            max: sorted[n - 1],
            n,
            samples,
        })
    }

    /// Coefficient of variation (sd / mean), when both exist and mean != 0.
    pub fn cv(&self) -> Option<f64> {
        self.sd
            .filter(|_| self.mean != 0.0)
            .map(|sd| sd / self.mean.abs())
    }
}

/// Type-7 percentile of already sorted, non-empty samples; `q` in [0, 1].
pub fn percentile_sorted(sorted: &[f64], q: f64) -> f64 {
    debug_assert!(!sorted.is_empty());
    let q = q.clamp(0.0, 1.0);
    let h = (sorted.len() - 1) as f64 * q;
    let lo = h.floor() as usize;
    let hi = (lo + 1).min(sorted.len() - 1);
    sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9 * b.abs().max(1.0)
    }

    #[test]
    fn hand_computed_values() {
        // 1..=10: mean 5.5, sd sqrt(82.5/9) = 3.0276503540974917
        let s = Summary::from_samples((1..=10).map(f64::from).collect()).unwrap();
        assert!(close(s.mean, 5.5));
        assert!(close(s.sd.unwrap(), 3.027_650_354_097_491_7));
        assert_eq!((s.min, s.max, s.n), (1.0, 10.0, 10));
        // h = 9 * 0.5 = 4.5 -> 5 + 0.5 * (6 - 5)
        assert!(close(s.p50, 5.5));
        // h = 9 * 0.9 = 8.1 -> 9 + 0.1 * 1
        assert!(close(s.p90, 9.1));
        // h = 9 * 0.99 = 8.91 -> 9.91
        assert!(close(s.p99, 9.91));
    }

    #[test]
    fn percentiles_ignore_sample_order_but_samples_keep_it() {
        let s = Summary::from_samples(vec![30.0, 10.0, 20.0]).unwrap();
        assert_eq!(s.samples, vec![30.0, 10.0, 20.0]);
        assert!(close(s.p50, 20.0));
        // h = 2 * 0.9 = 1.8 -> 20 + 0.8 * 10
        assert!(close(s.p90, 28.0));
    }

    #[test]
    fn single_sample_has_no_sd() {
        let s = Summary::from_samples(vec![4.0]).unwrap();
        assert_eq!(s.sd, None);
        assert_eq!((s.p50, s.p99, s.mean), (4.0, 4.0, 4.0));
    }

    #[test]
    fn empty_or_non_finite_is_none() {
        assert!(Summary::from_samples(vec![]).is_none());
        assert!(Summary::from_samples(vec![1.0, f64::NAN]).is_none());
        assert!(Summary::from_samples(vec![f64::INFINITY]).is_none());
    }

    #[test]
    fn mean_of_rates_is_not_rate_of_means() {
        // llama-bench's avg_ts: two reps of 100 tokens in 1 s and 4 s give
        // rates 100 and 25 t/s; the mean of rates is 62.5, whereas total
        // tokens / total time would be 40.
        let s = Summary::from_samples(vec![100.0 / 1.0, 100.0 / 4.0]).unwrap();
        assert!(close(s.mean, 62.5));
    }
}
