//! The sustained section: one table of sustained runs per device (the
//! figures of docs/sustained.md), then their rate and temperature charts.
use crate::record::{Record, Status};
use crate::report::Report;
use crate::report::charts::{Chart, SUSTAINED_STEM_PREFIX};
use crate::report::device::pair_of;
use crate::report::doc::{Block, Section};
use crate::report::fmt::num;
use crate::report::table::{Cell, Table};
use crate::sustained::SustainedRun;

/// Shown where a run has no such figure.
const ABSENT: &str = "–";

/// The section, with the sustained charts among `charts`.
pub(super) fn section(report: &Report, charts: &[(String, Result<Chart, String>)]) -> Section {
    let mut s = Section::new("Sustained throughput and temperature", "sustained");
    let any = report
        .devices
        .iter()
        .any(|d| d.sustained_runs().next().is_some());
    if !any {
        s.para("No sustained results in these inputs.");
        return s;
    }
    s.para(
        "Sustained runs (edgebench sustained, or a profile's [sustained] section): requests back to back for the run's duration, the decode rate measured per window (docs/sustained.md). Peak P is the best 3-window rolling median in the first 60 s; sustained S the median over the steady span (steady: yes), else over the last 20 % of the run (steady: no); ratio = S/P; degradation = 100 × (1 - S/P); t_10 and t_25: when the rate fell 10 % (25 %) below the peak to stay; throttled: share of telemetry samples with a throttle signal on; J/token: all energy over all generated tokens; recovery: seconds until the hottest sensor was back within 1 °C of its start (--cooldown-watch). – where the run has no such figure.",
    );
    for d in &report.devices {
        let runs: Vec<&Record> = d.sustained_runs().collect();
        if runs.is_empty() {
            continue;
        }
        s.push(Block::Sub(d.label.clone()));
        let mut t = Table::new(&[
            "model",
            "backend",
            ">threads",
            ">duration (s)",
            ">peak tok/s",
            ">sustained tok/s",
            ">sustained_ratio",
            ">degradation %",
            "steady",
            ">t_10 (s)",
            ">t_25 (s)",
            ">throttled time %",
            ">J/token",
            ">recovery (s)",
        ]);
        let mut not_measured = Vec::new();
        for r in runs {
            let (m, b) = pair_of(r);
            match (&r.sustained, r.status) {
                (Some(run), status) => {
                    let mut row = vec![
                        m.clone().into(),
                        b.clone().into(),
                        r.workload.threads.to_string().into(),
                    ];
                    row.extend(figures(run));
                    t.row(row);
                    if status != Status::Ok {
                        not_measured.push(status_line(&m, &b, r));
                    }
                }
                (None, _) => not_measured.push(status_line(&m, &b, r)),
            }
        }
        if !t.rows.is_empty() {
            s.push(Block::Table(t));
        }
        if !not_measured.is_empty() {
            s.para("Runs that did not complete as asked:");
            s.push(Block::List(not_measured));
        }
        let notes: Vec<String> = d
            .sustained_runs()
            .filter_map(|r| r.sustained.as_ref().map(|run| (r, run)))
            .flat_map(|(r, run)| {
                let (m, b) = pair_of(r);
                run.summary
                    .notes
                    .iter()
                    .chain(&run.summary.recovery_note)
                    .map(move |n| format!("{m} · {b}: {n}"))
            })
            .collect();
        if !notes.is_empty() {
            s.push(Block::List(notes));
        }
    }
    if !super::push_charts(&mut s, charts, SUSTAINED_STEM_PREFIX) {
        s.para("No chart: no sustained run completed a window.");
    }
    s
}

/// duration, peak, S, ratio, degradation, steady, t_10, t_25, throttled %,
/// J/token, recovery.
fn figures(run: &SustainedRun) -> Vec<Cell> {
    let x = &run.summary;
    let opt = |v: Option<f64>| {
        v.filter(|v| v.is_finite())
            .map_or_else(|| ABSENT.to_owned(), num)
    };
    let steady = match (x.steady, x.steady_start_s, x.steady_end_s) {
        (true, Some(a), Some(b)) => format!("yes ({}–{} s)", num(a), num(b)),
        (true, _, _) => "yes".to_owned(),
        (false, _, _) => "no".to_owned(),
    };
    vec![
        num(run.settings.duration_s).into(),
        num(x.peak_tps).into(),
        num(x.sustained_tps).into(),
        format!("{:.3}", x.sustained_ratio).into(),
        format!("{:.1}", x.degradation_pct).into(),
        steady.into(),
        opt(x.t10_s).into(),
        opt(x.t25_s).into(),
        x.throttled_fraction
            .filter(|f| f.is_finite())
            .map_or_else(|| ABSENT.to_owned(), |f| format!("{:.1}", f * 100.0))
            .into(),
        opt(x.energy.as_ref().map(|e| e.per_token_j)).into(),
        opt(x.recovery_s).into(),
    ]
}

/// "model · backend: status: reason".
fn status_line(m: &str, b: &str, r: &Record) -> String {
    format!(
        "{m} · {b}: {}: {}",
        r.status.as_str(),
        r.reason.as_deref().unwrap_or("no reason recorded")
    )
}
