//! Peak, steady state, sustained rate, degradation and t_10/t_25 from a rate
//! series (see the module above for the definitions).

/// Peak is searched within the first this-many seconds.
const PEAK_WITHIN_S: f64 = 60.0;
/// A steady span lasts at least this long.
const STEADY_SPAN_S: f64 = 120.0;
/// Largest |slope| of a steady span, % of its mean per minute.
const STEADY_MAX_SLOPE_PCT_PER_MIN: f64 = 1.0;
/// Largest coefficient of variation of a steady span.
const STEADY_MAX_CV: f64 = 0.03;
/// Without a steady span, S is the median of the last this-share of the run.
const TAIL_SHARE: f64 = 0.2;

/// The rate-only part of a sustained summary.
#[derive(Debug, Clone, PartialEq)]
pub struct RateSummary {
    /// Peak P.
    pub peak: f64,
    /// Steady span (start_s, end_s), if any.
    pub steady: Option<(f64, f64)>,
    /// Sustained S.
    pub sustained: f64,
    /// 1 - S/P.
    pub degradation: f64,
    /// First window end from which the rolling median stays <= 0.90 P.
    pub t10_s: Option<f64>,
    /// First window end from which the rolling median stays <= 0.75 P.
    pub t25_s: Option<f64>,
}

/// Analyses windows given as (start_s, end_s, rate) in time order, of a run
/// lasting `duration_s`. None for an empty series or a zero peak.
pub fn analyze_rates(windows: &[(f64, f64, f64)], duration_s: f64) -> Option<RateSummary> {
    if windows.is_empty() {
        return None;
    }
    let rates: Vec<f64> = windows.iter().map(|w| w.2).collect();
    let rm = rolling_median(&rates);
    let first = windows[0].0;
    // Only full 3-window medians where there are three windows, so a lone
    // fast first window cannot be the peak.
    let from = if rm.len() >= 3 { 2 } else { 0 };
    let peak = windows
        .iter()
        .zip(&rm)
        .skip(from)
        .filter(|(w, _)| w.1 - first <= PEAK_WITHIN_S)
        .map(|(_, &m)| m)
        .fold(f64::NAN, f64::max);
    // Windows longer than 60 s: the first full rolling median is the peak.
    let peak = if peak.is_nan() { rm[from] } else { peak };
    if peak.is_nan() || peak <= 0.0 {
        return None;
    }
    let steady = steady_span(windows);
    let sustained = match steady {
        Some((i, j)) => median(&rates[i..=j]),
        None => {
            let cut = duration_s * (1.0 - TAIL_SHARE);
            let tail: Vec<f64> = windows.iter().filter(|w| w.0 >= cut).map(|w| w.2).collect();
            if tail.is_empty() {
                rates[rates.len() - 1]
            } else {
                median(&tail)
            }
        }
    };
    // Falls are counted from the peak on: the ramp up to it is no fall.
    let at_peak = (from..rm.len()).find(|&k| rm[k] >= peak).unwrap_or(from);
    let stays_below = |share: f64| {
        let limit = (1.0 - share) * peak;
        (at_peak..rm.len().saturating_sub(1))
            .find(|&k| rm[k] <= limit && rm[k + 1] <= limit)
            .map(|k| windows[k].1)
    };
    Some(RateSummary {
        peak,
        steady: steady.map(|(i, j)| (windows[i].0, windows[j].1)),
        sustained,
        degradation: 1.0 - sustained / peak,
        t10_s: stays_below(0.10),
        t25_s: stays_below(0.25),
    })
}

/// Trailing median over the last three values (fewer at the start).
pub fn rolling_median(rates: &[f64]) -> Vec<f64> {
    (0..rates.len())
        .map(|k| median(&rates[k.saturating_sub(2)..=k]))
        .collect()
}

/// The first steady span as window indices (i, j), extended while it stays steady.
fn steady_span(windows: &[(f64, f64, f64)]) -> Option<(usize, usize)> {
    for i in 0..windows.len() {
        let j = (i..windows.len()).find(|&j| windows[j].1 - windows[i].0 >= STEADY_SPAN_S)?;
        if is_steady(&windows[i..=j]) {
            let mut end = j;
            while end + 1 < windows.len() && is_steady(&windows[i..=end + 1]) {
                end += 1;
            }
            return Some((i, end));
        }
    }
    None
}

fn is_steady(span: &[(f64, f64, f64)]) -> bool {
    let n = span.len() as f64;
    if span.len() < 3 {
        return false;
    }
    let mean = span.iter().map(|w| w.2).sum::<f64>() / n;
    if mean.is_nan() || mean <= 0.0 {
        return false;
    }
    let var = span.iter().map(|w| (w.2 - mean).powi(2)).sum::<f64>() / (n - 1.0);
    let cv = var.sqrt() / mean;
    // Least-squares slope of rate against window mid-time, in minutes.
    let t: Vec<f64> = span.iter().map(|w| (w.0 + w.1) / 2.0 / 60.0).collect();
    let t_mean = t.iter().sum::<f64>() / n;
    let sxx: f64 = t.iter().map(|x| (x - t_mean).powi(2)).sum();
    let sxy: f64 = t
        .iter()
        .zip(span)
        .map(|(x, w)| (x - t_mean) * (w.2 - mean))
        .sum();
    let slope_pct = if sxx > 0.0 {
        100.0 * (sxy / sxx) / mean
    } else {
        0.0
    };
    slope_pct.abs() < STEADY_MAX_SLOPE_PCT_PER_MIN && cv < STEADY_MAX_CV
}

fn median(v: &[f64]) -> f64 {
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    let n = s.len();
    if n == 0 {
        f64::NAN
    } else if n % 2 == 1 {
        s[n / 2]
    } else {
        (s[n / 2 - 1] + s[n / 2]) / 2.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 5-second windows over `minutes`, rate from `f(t_end_s)`.
    fn series(minutes: f64, f: impl Fn(f64) -> f64) -> Vec<(f64, f64, f64)> {
        let n = (minutes * 60.0 / 5.0) as usize;
        (0..n)
            .map(|k| {
                let (a, b) = (k as f64 * 5.0, (k + 1) as f64 * 5.0);
                (a, b, f(b))
            })
            .collect()
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9
    }

    #[test]
    fn flat_series_is_steady_with_no_degradation() {
        let s = analyze_rates(&series(10.0, |_| 40.0), 600.0).unwrap();
        assert!(close(s.peak, 40.0));
        assert!(close(s.sustained, 40.0));
        assert!(close(s.degradation, 0.0));
        // Steady from the start, extended to the end.
        assert_eq!(s.steady, Some((0.0, 600.0)));
        assert_eq!((s.t10_s, s.t25_s), (None, None));
    }

    #[test]
    fn step_drop_at_three_minutes() {
        // 40 tok/s, then 28 (-30 %) from the window ending at 185 s.
        let s = analyze_rates(
            &series(10.0, |t| if t <= 180.0 { 40.0 } else { 28.0 }),
            600.0,
        )
        .unwrap();
        assert!(close(s.peak, 40.0));
        // The first steady span is the flat start; it ends before the drop.
        let (a, b) = s.steady.unwrap();
        assert_eq!(a, 0.0);
        assert!(b <= 185.0, "{b}");
        assert!(close(s.sustained, 40.0));
        // The rolling median (3 windows) falls at the second low window
        // (ends 190 s) and stays there.
        assert_eq!(s.t10_s, Some(190.0));
        assert_eq!(s.t25_s, Some(190.0));
    }

    #[test]
    fn slow_decline_has_no_steady_state_and_uses_the_tail() {
        // Linear from 40 down to 24 (-40 %) over 10 minutes: ~4 %/min.
        let f = |t: f64| 40.0 - 16.0 * t / 600.0;
        let s = analyze_rates(&series(10.0, f), 600.0).unwrap();
        assert_eq!(s.steady, None);
        // Peak: the first full rolling median (windows ending 5, 10, 15 s)
        // is the largest: f(10).
        assert!(close(s.peak, f(10.0)), "{}", s.peak);
        // Tail: windows starting at >= 480 s (ends 485..600), median of 24
        // windows = mean of the 12th and 13th.
        let expect = (f(540.0) + f(545.0)) / 2.0;
        assert!(close(s.sustained, expect), "{} vs {expect}", s.sustained);
        assert!(close(s.degradation, 1.0 - expect / s.peak));
        // 0.9 P is crossed near 150 s; 0.75 P near 375 s.
        let t10 = s.t10_s.unwrap();
        let t25 = s.t25_s.unwrap();
        assert!((145.0..=165.0).contains(&t10), "{t10}");
        assert!((370.0..=390.0).contains(&t25), "{t25}");
    }

    #[test]
    fn noisy_with_outliers_keeps_a_robust_peak() {
        // 30 tok/s with +-1 % alternation and two single-window spikes to 60.
        let f = |t: f64| {
            if t == 20.0 || t == 300.0 {
                60.0
            } else if ((t / 5.0) as u64).is_multiple_of(2) {
                30.3
            } else {
                29.7
            }
        };
        let s = analyze_rates(&series(10.0, f), 600.0).unwrap();
        // A lone spike never becomes a rolling median.
        assert!(close(s.peak, 30.3), "{}", s.peak);
        assert!(s.steady.is_some());
        assert!((29.7..=30.3).contains(&s.sustained));
        assert!(s.degradation < 0.02);
        assert_eq!(s.t10_s, None);
    }

    #[test]
    fn too_short_for_a_steady_state() {
        // 90 s: no 120 s span exists.
        let s = analyze_rates(&series(1.5, |t| 50.0 - t / 10.0), 90.0).unwrap();
        assert_eq!(s.steady, None);
        // Tail: windows starting at >= 72 s (75, 80, 85; ends 80..90).
        assert!(close(s.sustained, 50.0 - 8.5), "{}", s.sustained);
    }

    #[test]
    fn a_slow_start_is_not_a_fall() {
        // 10, 20, then 40 tok/s for ten minutes: no t_10, no degradation.
        let f = |t: f64| match t {
            t if t <= 5.0 => 10.0,
            t if t <= 10.0 => 20.0,
            _ => 40.0,
        };
        let s = analyze_rates(&series(10.0, f), 600.0).unwrap();
        assert!(close(s.peak, 40.0));
        assert_eq!((s.t10_s, s.t25_s), (None, None));
        assert!(close(s.degradation, 0.0));
    }

    #[test]
    fn empty_or_zero_series_is_none() {
        assert_eq!(analyze_rates(&[], 10.0), None);
        assert_eq!(analyze_rates(&[(0.0, 5.0, 0.0)], 10.0), None);
    }
}
