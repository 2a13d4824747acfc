//! The load section: per load run and concurrency, the capacity the
//! search found, what bound it, and the throughput and TTFT at that rate
//! (docs/load.md), then the load charts.
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
        .all(|d| d.load_runs().next().is_none())
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
        if runs.is_empty() {
            continue;
        }
        s.push(Block::Sub(d.label.clone()));
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
