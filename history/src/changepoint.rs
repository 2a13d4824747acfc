//! Change-point detection over one series, in the manner of hunter /
//! Apache Otava: binary segmentation that splits a segment where a
//! two-sample t statistic is largest, keeps the split when its p-value is
//! below `max_pvalue`, and recurses into both halves; then the change
//! points are re-tested between their final neighbouring segments and the
//! weakest dropped until all pass.
//!
//! Values are taken as logarithms, so a change is a ratio and the noise is
//! relative; the t statistic uses the pooled variance of the two sides,
//! i.e. the series' own noise, so a noisy phone needs a larger step than a
//! quiet server before it alarms.

/// Settings of the detector.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Params {
    /// A split is kept when its two-sided p-value is below this.
    pub max_pvalue: f64,
    /// Fewest points on each side of a split.
    pub min_segment: usize,
}

/// Defaults: p < 1e-4 and at least 3 runs on each side (a regression can
/// be told three nights after it lands).
pub const DEFAULT_PARAMS: Params = Params {
    max_pvalue: 1e-4,
    min_segment: 3,
};

/// One change point.
#[derive(Debug, Clone, PartialEq)]
pub struct ChangePoint {
    /// Index of the first point after the change.
    pub index: usize,
    /// Geometric mean of the segment before it.
    pub before: f64,
    /// Geometric mean of the segment after it.
    pub after: f64,
    /// 100 x (after / before - 1).
    pub change_pct: f64,
    /// The t statistic between the two segments (of the logs; negative
    /// when the values fell).
    pub t: f64,
    /// Two-sided p-value of the t test between the two segments.
    pub p_value: f64,
    /// Pooled sd of the two segments' logs, x 100: the noise in %.
    pub noise_pct: f64,
}

/// Change points of `values` (all > 0 and finite; others make the series
/// unusable and give none), in index order.
pub fn detect(values: &[f64], params: &Params) -> Vec<ChangePoint> {
    if values.iter().any(|v| !(v.is_finite() && *v > 0.0)) {
        return Vec::new();
    }
    let logs: Vec<f64> = values.iter().map(|v| v.ln()).collect();
    let m = params.min_segment.max(2);
    let mut cps = Vec::new();
    split(&logs, 0, logs.len(), m, params.max_pvalue, &mut cps);
    cps.sort_unstable();
    // Re-test each change between its final neighbours; drop the weakest
    // failing one and repeat.
    loop {
        let tested: Vec<(usize, Test)> = cps
            .iter()
            .enumerate()
            .map(|(i, &cp)| {
                let a = if i == 0 { 0 } else { cps[i - 1] };
                let b = cps.get(i + 1).copied().unwrap_or(logs.len());
                (cp, t_test(&logs[a..cp], &logs[cp..b]))
            })
            .collect();
        let weakest = tested
            .iter()
            .enumerate()
            .filter(|(_, (_, t))| t.p >= params.max_pvalue)
            .max_by(|a, b| a.1.1.p.total_cmp(&b.1.1.p))
            .map(|(i, _)| i);
        match weakest {
            Some(i) => {
                cps.remove(i);
            }
            None => {
                return tested
                    .into_iter()
                    .map(|(index, t)| ChangePoint {
                        index,
                        before: t.mean_a.exp(),
                        after: t.mean_b.exp(),
                        change_pct: 100.0 * ((t.mean_b - t.mean_a).exp() - 1.0),
                        t: t.t,
                        p_value: t.p,
                        noise_pct: 100.0 * t.sd,
                    })
                    .collect();
            }
        }
    }
}

/// Pooled two-sample t test.
#[derive(Debug, Clone, Copy)]
struct Test {
    mean_a: f64,
    mean_b: f64,
    sd: f64,
    t: f64,
    p: f64,
}

fn t_test(a: &[f64], b: &[f64]) -> Test {
    let (na, nb) = (a.len() as f64, b.len() as f64);
    let mean_a = a.iter().sum::<f64>() / na;
    let mean_b = b.iter().sum::<f64>() / nb;
    let ss = a.iter().map(|x| (x - mean_a).powi(2)).sum::<f64>()
        + b.iter().map(|x| (x - mean_b).powi(2)).sum::<f64>();
    let df = na + nb - 2.0;
    let sd = (ss / df).sqrt();
    let se = sd * (1.0 / na + 1.0 / nb).sqrt();
    let t = if se > 0.0 {
        (mean_b - mean_a) / se
    } else if mean_a == mean_b {
        0.0
    } else {
        f64::INFINITY
    };
    Test {
        mean_a,
        mean_b,
        sd,
        t,
        p: crate::tdist::two_sided_p(t, df),
    }
}

/// Running sums of a series (centred on its mean, for precision), so that
/// any segment's t statistic costs O(1) and a split search O(n).
struct Prefix {
    sum: Vec<f64>,
    sum_sq: Vec<f64>,
}

impl Prefix {
    fn new(x: &[f64]) -> Prefix {
        let centre = x.iter().sum::<f64>() / x.len().max(1) as f64;
        let mut sum = Vec::with_capacity(x.len() + 1);
        let mut sum_sq = Vec::with_capacity(x.len() + 1);
        let (mut s, mut q) = (0.0, 0.0);
        sum.push(0.0);
        sum_sq.push(0.0);
        for v in x {
            let d = v - centre;
            s += d;
            q += d * d;
            sum.push(s);
            sum_sq.push(q);
        }
        Prefix { sum, sum_sq }
    }

    /// (n, mean, sum of squared deviations) of x[a..b).
    fn stats(&self, a: usize, b: usize) -> (f64, f64, f64) {
        let n = (b - a) as f64;
        let s = self.sum[b] - self.sum[a];
        let q = self.sum_sq[b] - self.sum_sq[a];
        let mean = s / n;
        (n, mean, (q - s * mean).max(0.0))
    }

    /// |t| of the pooled two-sample t test between x[a..tau) and x[tau..b).
    fn abs_t(&self, a: usize, tau: usize, b: usize) -> f64 {
        let (na, ma, ssa) = self.stats(a, tau);
        let (nb, mb, ssb) = self.stats(tau, b);
        let sd = ((ssa + ssb) / (na + nb - 2.0)).sqrt();
        let se = sd * (1.0 / na + 1.0 / nb).sqrt();
        if se > 0.0 {
            ((mb - ma) / se).abs()
        } else if ma == mb {
            0.0
        } else {
            f64::INFINITY
        }
    }
}

/// Finds the strongest split of x[a..b) and recurses while significant.
fn split(x: &[f64], a: usize, b: usize, m: usize, max_p: f64, out: &mut Vec<usize>) {
    let prefix = Prefix::new(x);
    split_in(x, &prefix, a, b, m, max_p, out);
}

fn split_in(
    x: &[f64],
    prefix: &Prefix,
    a: usize,
    b: usize,
    m: usize,
    max_p: f64,
    out: &mut Vec<usize>,
) {
    if b - a < 2 * m {
        return;
    }
    let mut best: Option<(usize, f64)> = None;
    for tau in a + m..=b - m {
        let t = prefix.abs_t(a, tau, b);
        if best.is_none_or(|(_, bt)| t > bt) {
            best = Some((tau, t));
        }
    }
    let Some((tau, _)) = best else { return };
    // The p-value from the exact two-pass test of the chosen split.
    if t_test(&x[a..tau], &x[tau..b]).p >= max_p {
        return;
    }
    out.push(tau);
    split_in(x, prefix, a, tau, m, max_p, out);
    split_in(x, prefix, tau, b, m, max_p, out);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_clean_step_is_found_where_it_is() {
        let mut v = vec![100.0; 30];
        v.extend(vec![90.0; 10]);
        // A little noise so the variance is not zero.
        for (i, x) in v.iter_mut().enumerate() {
            *x *= 1.0 + 0.001 * ((i * 7 % 5) as f64 - 2.0);
        }
        let cps = detect(&v, &DEFAULT_PARAMS);
        assert_eq!(cps.len(), 1, "{cps:?}");
        assert_eq!(cps[0].index, 30);
        assert!((cps[0].change_pct + 10.0).abs() < 0.5, "{cps:?}");
    }

    #[test]
    fn running_sums_agree_with_the_two_pass_test() {
        let x: Vec<f64> = (0..50)
            .map(|i| (100.0 + ((i * 37 % 11) as f64) - if i > 30 { 4.0 } else { 0.0 }).ln())
            .collect();
        let p = Prefix::new(&x);
        for (a, tau, b) in [(0, 25, 50), (3, 31, 40), (10, 13, 16)] {
            let direct = t_test(&x[a..tau], &x[tau..b]).t.abs();
            assert!(
                (p.abs_t(a, tau, b) - direct).abs() < 1e-9 * direct.max(1.0),
                "{a} {tau} {b}"
            );
        }
    }

    #[test]
    fn flat_or_bad_series_have_none() {
        assert!(detect(&[5.0; 20], &DEFAULT_PARAMS).is_empty());
        assert!(detect(&[1.0, 2.0], &DEFAULT_PARAMS).is_empty());
        assert!(detect(&[1.0, f64::NAN, 1.0, 1.0, 1.0, 1.0, 1.0], &DEFAULT_PARAMS).is_empty());
    }
}
