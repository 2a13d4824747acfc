//! `history check`: every series (device x model x backend x workload x
//! metric) of stored `ok` runs, oldest first, through change-point
//! detection; each change in the bad direction is a regression, named by
//! the run where it started.
use std::collections::BTreeMap;
use std::fmt::Write;

use edgebench_reports::compare::{Better, CaseKey, METRICS};
use edgebench_reports::quality_compare::{
    KLD_FLOOR, QualityVerdict, TOP1_POINTS, judge_kld, judge_top1,
};
use serde::Serialize;

use crate::changepoint::{self, Params};
use crate::error::HistoryError;
use crate::row::{Point, QUALITY_METRICS, is_quality};

/// Settings of a check.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckOptions {
    /// Only changes newly raised by the runs at or after this time (RFC 3339
    /// or YYYY-MM-DD, compared as UTC text): a change the earlier runs alone
    /// already showed is left out. Earlier runs still give the baseline and
    /// the noise.
    pub since: Option<String>,
    /// The detector's settings.
    pub params: Params,
    /// A quality series' mean KLD rising more than this % of the run
    /// before it (and by more than `KLD_FLOOR` nats) is a regression, as in
    /// `edgebench compare` on two quality records; top-1 agreement falling
    /// by more than `TOP1_POINTS` points is one too.
    pub quality_threshold_pct: f64,
}

impl Default for CheckOptions {
    fn default() -> CheckOptions {
        CheckOptions {
            since: None,
            params: changepoint::DEFAULT_PARAMS,
            quality_threshold_pct: edgebench_reports::compare::DEFAULT_THRESHOLD_PCT,
        }
    }
}

/// Checks that `since` looks like `YYYY-MM-DD` or an RFC 3339 time, so
/// that comparing it with stored timestamps as text is meaningful.
pub fn validate_since(since: &str) -> Result<(), HistoryError> {
    let b = since.as_bytes();
    let digits =
        |r: std::ops::Range<usize>| r.clone().all(|i| b.get(i).is_some_and(u8::is_ascii_digit));
    let date_ok = b.len() >= 10
        && digits(0..4)
        && b[4] == b'-'
        && digits(5..7)
        && b[7] == b'-'
        && digits(8..10);
    if date_ok && (b.len() == 10 || b[10] == b'T') {
        Ok(())
    } else {
        Err(HistoryError::BadSince(since.to_string()))
    }
}

/// One change found in a series.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Regression {
    /// The case.
    pub key: CaseKey,
    /// Short model name.
    pub model_label: String,
    /// The metric.
    pub metric: String,
    /// Timestamp of the first run after the change.
    pub started_at: String,
    /// edgebench commit of that run.
    pub started_commit: Option<String>,
    /// Its position in the series (0 = oldest run).
    pub run_index: usize,
    /// Runs in the series.
    pub runs: usize,
    /// Geometric mean before the change.
    pub before: f64,
    /// Geometric mean after it.
    pub after: f64,
    /// 100 x (after / before - 1); negative for a slower rate.
    pub change_pct: f64,
    /// p-value of the t test between the segments around it (none for a
    /// quality metric: one deterministic figure a run, judged on a
    /// threshold).
    pub p_value: Option<f64>,
    /// The series' noise around the change, % (pooled sd of logs x 100;
    /// none for a quality metric).
    pub noise_pct: Option<f64>,
}

/// The outcome of a check.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CheckReport {
    /// Series examined.
    pub series: usize,
    /// Series with too few runs to test (fewer than 2 x min_segment).
    pub too_short: usize,
    /// Changes in the bad direction, oldest first.
    pub regressions: Vec<Regression>,
    /// Changes in the good direction, oldest first.
    pub improvements: Vec<Regression>,
}

/// Runs the detector over every series in `points` (oldest first).
pub fn check(points: &[Point], opts: &CheckOptions) -> CheckReport {
    let mut series: BTreeMap<(CaseKey, String), Vec<&Point>> = BTreeMap::new();
    for p in points {
        series
            .entry((p.key.clone(), p.metric.clone()))
            .or_default()
            .push(p);
    }
    let mut report = CheckReport {
        series: series.len(),
        too_short: 0,
        regressions: Vec::new(),
        improvements: Vec::new(),
    };
    for ((key, metric), mut pts) in series {
        pts.sort_by(|a, b| a.timestamp.cmp(&b.timestamp));
        if is_quality(&metric) {
            if pts.len() < 2 {
                report.too_short += 1;
            } else {
                quality_changes(&key, &metric, &pts, opts, &mut report);
            }
            continue;
        }
        if pts.len() < 2 * opts.params.min_segment {
            report.too_short += 1;
            continue;
        }
        let better = METRICS
            .iter()
            .find(|(m, _)| *m == metric)
            .map_or(Better::Higher, |&(_, b)| b);
        let values: Vec<f64> = pts.iter().map(|p| p.mean).collect();
        // With --since, report what the runs since then newly raise: a
        // change the earlier runs alone already showed was reported before.
        // (A change is first detectable min_segment runs after it starts, so
        // filtering on its start date would hide every nightly regression.)
        let known: Option<Vec<usize>> = opts.since.as_deref().map(|s| {
            let before = pts.iter().take_while(|p| p.timestamp.as_str() < s).count();
            if before == pts.len() {
                // No run since: nothing new can have been raised.
                (0..pts.len()).collect()
            } else if before >= 2 * opts.params.min_segment {
                changepoint::detect(&values[..before], &opts.params)
                    .into_iter()
                    .map(|cp| cp.index)
                    .collect()
            } else {
                Vec::new()
            }
        });
        for cp in changepoint::detect(&values, &opts.params) {
            let first = pts[cp.index];
            if known.as_ref().is_some_and(|k| {
                k.iter()
                    .any(|&i| i.abs_diff(cp.index) <= opts.params.min_segment)
            }) {
                continue;
            }
            let r = Regression {
                key: key.clone(),
                model_label: first.model_label.clone(),
                metric: metric.clone(),
                started_at: first.timestamp.clone(),
                started_commit: first.edgebench_commit.clone(),
                run_index: cp.index,
                runs: pts.len(),
                before: cp.before,
                after: cp.after,
                change_pct: cp.change_pct,
                p_value: Some(cp.p_value),
                noise_pct: Some(cp.noise_pct),
            };
            let worse = match better {
                Better::Higher => cp.change_pct < 0.0,
                Better::Lower => cp.change_pct > 0.0,
            };
            if worse {
                report.regressions.push(r);
            } else {
                report.improvements.push(r);
            }
        }
    }
    report
        .regressions
        .sort_by(|a, b| a.started_at.cmp(&b.started_at));
    report
        .improvements
        .sort_by(|a, b| a.started_at.cmp(&b.started_at));
    report
}

/// A quality series, run against the run before it: mean KLD by
/// `judge_kld` at the threshold, top-1 agreement by `judge_top1` (the rules
/// of `edgebench compare` on two quality records). With `since`, only the
/// changes into runs at or after it.
fn quality_changes(
    key: &CaseKey,
    metric: &str,
    pts: &[&Point],
    opts: &CheckOptions,
    report: &mut CheckReport,
) {
    for (i, w) in pts.windows(2).enumerate() {
        let (a, b) = (w[0], w[1]);
        if opts
            .since
            .as_deref()
            .is_some_and(|s| b.timestamp.as_str() < s)
        {
            continue;
        }
        let verdict = if metric == QUALITY_METRICS[0].0 {
            judge_kld(a.mean, b.mean, opts.quality_threshold_pct).1
        } else {
            judge_top1(a.mean, b.mean).1
        };
        let r = Regression {
            key: key.clone(),
            model_label: b.model_label.clone(),
            metric: metric.to_string(),
            started_at: b.timestamp.clone(),
            started_commit: b.edgebench_commit.clone(),
            run_index: i + 1,
            runs: pts.len(),
            before: a.mean,
            after: b.mean,
            change_pct: if a.mean != 0.0 {
                100.0 * (b.mean / a.mean - 1.0)
            } else {
                f64::INFINITY
            },
            p_value: None,
            noise_pct: None,
        };
        match verdict {
            QualityVerdict::Worse => report.regressions.push(r),
            QualityVerdict::Better => report.improvements.push(r),
            QualityVerdict::Same => {}
        }
    }
}

/// The report as Markdown for a CI log.
pub fn to_markdown(r: &CheckReport, opts: &CheckOptions) -> String {
    let mut s = String::new();
    let head = if r.regressions.is_empty() {
        "no regression"
    } else {
        "REGRESSION"
    };
    let _ = writeln!(
        s,
        "## edgebench history check: {head}\n\n{} series, {} too short to test; {} regression(s), \
         {} improvement(s){} (change points by binary segmentation, t test p < {}, at least {} runs \
         per side)\n",
        r.series,
        r.too_short,
        r.regressions.len(),
        r.improvements.len(),
        opts.since
            .as_ref()
            .map_or(String::new(), |s| format!(" since {s}")),
        opts.params.max_pvalue,
        opts.params.min_segment
    );
    let _ = writeln!(
        s,
        "Quality series (quality_mean_kld, quality_top1_pct) are compared run to run: worse when \
         the mean KLD rises more than {} % and {KLD_FLOOR:e} nats, or top-1 agreement falls more \
         than {TOP1_POINTS} point(s).\n",
        opts.quality_threshold_pct
    );
    for (title, list) in [
        ("Regressions", &r.regressions),
        ("Improvements", &r.improvements),
    ] {
        if list.is_empty() {
            continue;
        }
        let _ = writeln!(s, "### {title}\n");
        s.push_str("| case | metric | started (run) | commit | before | after | change | p-value | noise |\n");
        s.push_str("|---|---|---|---|---:|---:|---:|---:|---:|\n");
        for g in list {
            let _ = writeln!(
                s,
                "| {} | {} | {} (#{} of {}) | {} | {} | {} | {:+.2}% | {} | {} |",
                g.key.label(&g.model_label).replace('|', "\\|"),
                g.metric,
                g.started_at,
                g.run_index + 1,
                g.runs,
                g.started_commit.as_deref().unwrap_or("-"),
                figure(g.before),
                figure(g.after),
                g.change_pct,
                g.p_value.map_or_else(|| "-".into(), |p| format!("{p:.2e}")),
                g.noise_pct
                    .map_or_else(|| "-".into(), |n| format!("{n:.2}%"))
            );
        }
        s.push('\n');
    }
    s
}

/// A figure for the tables: three decimals, or three significant digits
/// below 0.01 (a mean KLD of a good quant is ~1e-5).
pub fn figure(x: f64) -> String {
    if x != 0.0 && x.abs() < 0.01 {
        format!("{x:.3e}")
    } else {
        format!("{x:.3}")
    }
}
