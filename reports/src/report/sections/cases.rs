//! The per-case results table.
use crate::record::Status;
use crate::report::Report;
use crate::report::device::pair_of;
use crate::report::doc::{Block, Section};
use crate::report::fmt::{num, opt};
use crate::report::table::{Cell, Table, Tone};
use crate::slo::BYTES_PER_MB;
use crate::stats::Summary;

fn mean_sd(s: Option<&Summary>) -> String {
    match s {
        Some(s) => match s.sd {
            Some(sd) => format!("{:.2} ± {:.2}", s.mean, sd),
            None => format!("{:.2}", s.mean),
        },
        None => "-".into(),
    }
}

/// Every ordinary case of every device (sustained runs have their own
/// section).
pub(super) fn section(report: &Report) -> Section {
    let mut s = Section::new("All cases", "cases");
    let mut t = Table::new(&[
        "device",
        "model",
        "backend",
        "test",
        ">threads",
        "status",
        ">decode tok/s",
        ">prefill tok/s",
        ">TTFT p50 / p99 ms",
        ">ITL p99 ms",
        ">e2e mean ms",
        ">peak RSS MiB",
    ]);
    for d in &report.devices {
        for r in d.cases() {
            let (m, b) = pair_of(r);
            let ok = r.status == Status::Ok;
            let status = if ok {
                Cell::text("ok")
            } else {
                Cell::lines(
                    vec![format!(
                        "{}: {}",
                        r.status.as_str(),
                        r.reason.as_deref().unwrap_or("no reason recorded")
                    )],
                    Tone::Fail,
                )
            };
            let ttft = r.metrics.ttft_ms.as_ref().map_or_else(
                || "-".into(),
                |s| format!("{} / {}", num(s.p50), num(s.p99)),
            );
            t.row(vec![
                d.label.clone().into(),
                m.into(),
                b.into(),
                r.workload.test.clone().into(),
                r.workload.threads.to_string().into(),
                status,
                mean_sd(r.metrics.decode_tps.as_ref()).into(),
                mean_sd(r.metrics.prefill_tps.as_ref()).into(),
                ttft.into(),
                opt(r.metrics.itl_ms.as_ref().map(|s| s.p99)).into(),
                opt(r.metrics.e2e_ms.as_ref().map(|s| s.mean)).into(),
                opt(r
                    .metrics
                    .peak_rss_bytes
                    .map(|b| (b as f64 / BYTES_PER_MB).round()))
                .into(),
            ]);
        }
    }
    if t.rows.is_empty() {
        s.para(
            "No ordinary cases in these inputs (sustained runs are listed in their own section).",
        );
    } else {
        s.push(Block::Table(t));
    }
    s
}
