//! The load section: per load run and concurrency, the capacity the
//! search found, what bound it, and the throughput and TTFT at that rate
//! (docs/load.md), then the load charts.
use crate::record::Record;
use crate::report::Report;
use crate::report::charts::{Chart, LOAD_STEM_PREFIX, load_lines};
use crate::report::device::pair_of;
use crate::report::doc::{Block, Section};
use crate::report::fmt::num;
use crate::report::table::Table;

/// Shown where a run has no such figure.
const ABSENT: &str = "–";

/// The section, with the load charts among `charts`.
pub(super) fn section(report: &Report, charts: &[(String, Result<Chart, String>)]) -> Section {
    let mut s = Section::new("Capacity under load", "load");
    if report
        .devices
        .iter()
        .all(|d| d.load_runs().next().is_none() && d.stopped_load_runs().next().is_none())
    {
        s.para("No load results in these inputs.");
        return s;
    }
    s.para(
        "Open-loop load runs (edgebench load, or a profile's [load] section): requests arrive \
         on a seeded schedule whether or not the device is free; TTFT counts the time queued. \
         Capacity is the highest arrival rate tried at which the p99 of every latency limit \
         held, no request was dropped and the queue did not grow; the next rate tried failed \
         for the binding reason (docs/load.md).",
    );
    for d in &report.devices {
        let runs: Vec<_> = d.load_runs().collect();
        let stopped: Vec<String> = d.stopped_load_runs().map(stopped_line).collect();
        if runs.is_empty() && stopped.is_empty() {
            continue;
        }
        s.push(Block::Sub(d.label.clone()));
        for line in stopped {
            s.para(line);
        }
        if runs.is_empty() {
            continue;
        }
        let mut t = Table::new(&[
            "model",
            "backend",
            ">threads",
            "request lengths",
            ">concurrency",
            ">capacity (req/s)",
            ">fails at (req/s)",
            "binding",
            ">gen tok/s at capacity",
            ">TTFT p99 at capacity (ms)",
        ]);
        for r in runs {
            let Some(run) = r.load.as_ref() else { continue };
            let (m, b) = pair_of(r);
            let lengths = run
                .lengths
                .clone()
                .unwrap_or_else(|| format!("fixed {}+{}", r.workload.n_prompt, r.workload.n_gen));
            for k in &run.capacity {
                let at = k.trials.iter().find(|p| p.rate_rps == k.rps);
                t.row(vec![
                    m.clone().into(),
                    b.clone().into(),
                    r.workload.threads.to_string().into(),
                    lengths.clone().into(),
                    k.concurrency.to_string().into(),
                    if k.rps > 0.0 {
                        num(k.rps)
                    } else {
                        "none held".into()
                    }
                    .into(),
                    k.failed_rps
                        .map_or_else(|| "every rate tried held".into(), num)
                        .into(),
                    k.binding.clone().unwrap_or_else(|| ABSENT.into()).into(),
                    at.map_or(ABSENT.into(), |p| num(p.gen_tps)).into(),
                    at.and_then(|p| p.ttft_ms.as_ref())
                        .map_or(ABSENT.into(), |x| num(x.p99))
                        .into(),
                ]);
            }
        }
        if t.rows.is_empty() {
            s.para("Load runs without a capacity search: see the charts for their runs.");
        } else {
            s.push(Block::Table(t));
        }
    }
    if !super::push_charts(&mut s, charts, LOAD_STEM_PREFIX) {
        s.para("No chart: no load run has a run to draw.");
    }
    let lines = load_lines(&report.devices);
    if !lines.is_empty() {
        s.para(format!(
            "Charts: {} line(s), one per option and concurrency; points are the runs at each \
             --rate and the capacity search's trials.",
            lines.len()
        ));
    }
    s
}

/// What a load run that stopped before its end had measured: its status
/// and reason, the runs and searches it finished, and the bracket the cut
/// search had reached. It sizes no fleet.
fn stopped_line(r: &Record) -> String {
    let (m, b) = pair_of(r);
    let mut line = format!(
        "{m} on {b}: the load run stopped before its end ({}: {}). What it had measured is \
         kept here and sizes no fleet.",
        r.status.as_str(),
        r.reason.as_deref().unwrap_or("no reason given")
    );
    let Some(run) = r.load.as_ref() else {
        return line;
    };
    line.push_str(&format!(" Runs finished: {}.", run.points.len()));
    for k in &run.capacity {
        let bracket = match (k.rps > 0.0, k.failed_rps) {
            (true, Some(f)) => format!("held at {} req/s, failed at {} req/s", num(k.rps), num(f)),
            (true, None) => format!("held at {} req/s, no rate tried failed", num(k.rps)),
            (false, Some(f)) => format!("no rate held, failed at {} req/s", num(f)),
            (false, None) => "no trial finished".into(),
        };
        let state = if k.finished {
            "search finished"
        } else {
            "search cut"
        };
        line.push_str(&format!(
            " Concurrency {}: {state} after {} trial(s), {bracket}.",
            k.concurrency,
            k.tried.len()
        ));
    }
    line
}
