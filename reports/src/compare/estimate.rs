//! The change of one metric between two sets of raw samples: the % change of
//! the mean with a seeded percentile-bootstrap confidence interval, and the
//! verdict drawn from it.
//!
//! Method: each side is resampled with replacement independently,
//! [`BOOTSTRAP_RESAMPLES`] times, from a SplitMix64 generator seeded with
//! [`BOOTSTRAP_SEED`] (same input, same interval, on every machine); the
//! interval is the 2.5th and 97.5th percentiles of 100 x (mean_c / mean_b - 1)
//! over the resamples. The verdict, with `t` the threshold in %:
//!
//! - fewer than [`MIN_SAMPLES`] samples on either side: `inconclusive`
//!   (a bootstrap of 3 points has only 10 distinct means; it cannot show
//!   that two things are the same);
//! - the whole interval within [-t, +t]: `same`;
//! - the interval excludes 0 and the point change is beyond t in the bad
//!   direction: `slower` (good direction: `faster`);
//! - anything else (a wide interval, or a significant change smaller than t
//!   whose interval still reaches past t): `inconclusive`.
use serde::{Deserialize, Serialize};

// Kept at this path for code written before the generator had its own module.
pub use crate::rng::SplitMix64;

/// Fewest samples per side for any verdict other than `inconclusive`.
pub const MIN_SAMPLES: usize = 5;
/// Bootstrap resamples per metric.
pub const BOOTSTRAP_RESAMPLES: usize = 4000;
/// Seed of the bootstrap's generator.
pub const BOOTSTRAP_SEED: u64 = 0x00ed_6ebe_2c40_0001;
/// Confidence level of the interval.
pub const CONFIDENCE: f64 = 0.95;

/// Which way is better for a metric.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Better {
    /// Rates: more tokens per second is better.
    Higher,
    /// Latencies: fewer milliseconds is better.
    Lower,
}

/// The outcome for one metric of one case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Significantly better, by more than the threshold.
    Faster,
    /// Significantly worse, by more than the threshold.
    Slower,
    /// The whole confidence interval lies within the threshold.
    Same,
    /// Too few samples, or an interval too wide to say.
    Inconclusive,
}

impl Verdict {
    /// Lower-case name for tables.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Faster => "faster",
            Verdict::Slower => "slower",
            Verdict::Same => "same",
            Verdict::Inconclusive => "inconclusive",
        }
    }
}

/// One metric compared.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Estimate {
    /// Baseline mean, in the metric's unit.
    pub baseline_mean: f64,
    /// Candidate mean, in the metric's unit.
    pub candidate_mean: f64,
    /// Baseline sample count.
    pub baseline_n: usize,
    /// Candidate sample count.
    pub candidate_n: usize,
    /// 100 x (candidate mean / baseline mean - 1).
    pub change_pct: f64,
    /// Lower end of the bootstrap interval of `change_pct`; None when there
    /// are too few samples to compute one.
    pub ci_low_pct: Option<f64>,
    /// Upper end of the interval.
    pub ci_high_pct: Option<f64>,
    /// The verdict.
    pub verdict: Verdict,
    /// Why the verdict is inconclusive, when it is.
    pub note: Option<String>,
}

/// Compares `baseline` and `candidate` samples (finite, as [`crate::Summary`]
/// keeps them); `threshold_pct` >= 0.
pub fn estimate(
    baseline: &[f64],
    candidate: &[f64],
    better: Better,
    threshold_pct: f64,
) -> Estimate {
    let mb = mean(baseline);
    let mc = mean(candidate);
    let change_pct = pct_change(mb, mc);
    let mut e = Estimate {
        baseline_mean: mb,
        candidate_mean: mc,
        baseline_n: baseline.len(),
        candidate_n: candidate.len(),
        change_pct,
        ci_low_pct: None,
        ci_high_pct: None,
        verdict: Verdict::Inconclusive,
        note: None,
    };
    if baseline.len() < MIN_SAMPLES || candidate.len() < MIN_SAMPLES {
        e.note = Some(format!(
            "{} vs {} samples; at least {MIN_SAMPLES} on each side are needed for a verdict; \
             raise the repetitions",
            baseline.len(),
            candidate.len()
        ));
        return e;
    }
    if !(mb.is_finite() && mb != 0.0 && change_pct.is_finite()) {
        e.note = Some("the baseline mean is 0 or not finite; no % change exists".into());
        return e;
    }
    let (lo, hi) = bootstrap_ci(baseline, candidate);
    e.ci_low_pct = Some(lo);
    e.ci_high_pct = Some(hi);
    let t = threshold_pct.max(0.0);
    let worse = match better {
        Better::Higher => change_pct < 0.0,
        Better::Lower => change_pct > 0.0,
    };
    let significant = lo > 0.0 || hi < 0.0;
    e.verdict = if lo >= -t && hi <= t {
        Verdict::Same
    } else if significant && change_pct.abs() > t {
        if worse {
            Verdict::Slower
        } else {
            Verdict::Faster
        }
    } else {
        e.note = Some(if significant {
            format!("a significant change, but its interval reaches past the {t}% threshold")
        } else {
            format!(
                "the interval is wider than the {t}% threshold; more repetitions would narrow it"
            )
        });
        Verdict::Inconclusive
    };
    e
}

fn mean(x: &[f64]) -> f64 {
    if x.is_empty() {
        return f64::NAN;
    }
    x.iter().sum::<f64>() / x.len() as f64
}

fn pct_change(base: f64, cand: f64) -> f64 {
    100.0 * (cand / base - 1.0)
}

/// Percentile bootstrap interval of the % change of the mean.
fn bootstrap_ci(baseline: &[f64], candidate: &[f64]) -> (f64, f64) {
    let mut rng = SplitMix64(BOOTSTRAP_SEED);
    let mut changes: Vec<f64> = (0..BOOTSTRAP_RESAMPLES)
        .map(|_| {
            let b = resampled_mean(baseline, &mut rng);
            let c = resampled_mean(candidate, &mut rng);
            pct_change(b, c)
        })
        .filter(|x| x.is_finite())
        .collect();
    if changes.is_empty() {
        return (f64::NEG_INFINITY, f64::INFINITY);
    }
    changes.sort_by(f64::total_cmp);
    let tail = (1.0 - CONFIDENCE) / 2.0;
    (
        crate::stats::percentile_sorted(&changes, tail),
        crate::stats::percentile_sorted(&changes, 1.0 - tail),
    )
}

fn resampled_mean(x: &[f64], rng: &mut SplitMix64) -> f64 {
    let n = x.len();
    let sum: f64 = (0..n).map(|_| x[rng.index_below(n)]).sum();
    sum / n as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn noisy(mean: f64, sd_pct: f64, n: usize, seed: u64) -> Vec<f64> {
        let mut rng = SplitMix64(seed);
        (0..n)
            .map(|_| mean * (1.0 + sd_pct / 100.0 * rng.normal()))
            .collect()
    }

    #[test]
    fn ten_percent_slower_with_ten_samples() {
        let b = noisy(100.0, 2.0, 10, 1);
        let c = noisy(90.0, 2.0, 10, 2);
        let e = estimate(&b, &c, Better::Higher, 5.0);
        assert_eq!(e.verdict, Verdict::Slower, "{e:?}");
        assert!(e.ci_high_pct.unwrap() < -5.0, "{e:?}");
        // The same change in a latency is an improvement.
        let e = estimate(&b, &c, Better::Lower, 5.0);
        assert_eq!(e.verdict, Verdict::Faster, "{e:?}");
    }

    #[test]
    fn noise_only_is_same() {
        for seed in 0..20 {
            let b = noisy(100.0, 2.0, 10, 100 + seed);
            let c = noisy(100.0, 2.0, 10, 200 + seed);
            let e = estimate(&b, &c, Better::Higher, 5.0);
            assert_eq!(e.verdict, Verdict::Same, "seed {seed}: {e:?}");
        }
    }

    #[test]
    fn three_against_three_is_never_same() {
        for (b, c) in [
            (vec![100.0, 100.0, 100.0], vec![100.0, 100.0, 100.0]),
            (vec![100.0, 101.0, 99.0], vec![60.0, 61.0, 59.0]),
        ] {
            let e = estimate(&b, &c, Better::Higher, 5.0);
            assert_eq!(e.verdict, Verdict::Inconclusive, "{e:?}");
            assert!(e.note.unwrap().contains("at least 5"));
            assert_eq!(e.ci_low_pct, None);
        }
    }

    #[test]
    fn a_wide_interval_is_inconclusive() {
        let b = noisy(100.0, 30.0, 6, 7);
        let c = noisy(100.0, 30.0, 6, 8);
        let e = estimate(&b, &c, Better::Higher, 2.0);
        assert_eq!(e.verdict, Verdict::Inconclusive, "{e:?}");
    }

    #[test]
    fn the_interval_is_reproducible() {
        let b = noisy(100.0, 5.0, 12, 3);
        let c = noisy(97.0, 5.0, 12, 4);
        assert_eq!(
            estimate(&b, &c, Better::Higher, 1.0),
            estimate(&b, &c, Better::Higher, 1.0)
        );
    }
}
