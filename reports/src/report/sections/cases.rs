//! The per-case results table and the provenance table.
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

/// Where every figure comes from.
pub(super) fn provenance(report: &Report) -> Section {
    let mut s = Section::new("Provenance", "provenance");
    let mut t = Table::new(&[
        "device",
        "host",
        "edgebench",
        "backends",
        "models",
        "ran",
        "from",
    ]);
    for d in &report.devices {
        let Some(first) = d.records.first() else {
            continue;
        };
        let h = &first.host;
        let mut host = vec![format!(
            "{} ({}), {} cores / {} threads, {}",
            h.cpu_model.as_deref().unwrap_or("unknown CPU"),
            h.arch,
            h.physical_cores
                .map_or_else(|| "?".into(), |c| c.to_string()),
            h.logical_cores,
            crate::report::fmt::gib(h.ram_bytes)
        )];
        host.push(format!(
            "host {}; {}; kernel {}",
            h.hostname.as_deref().unwrap_or("?"),
            h.os.as_deref().unwrap_or("unknown OS"),
            h.kernel.as_deref().unwrap_or("?")
        ));
        if let Some(b) = &h.board {
            host.push(format!("board {b}"));
        }
        for g in &h.gpus {
            host.push(format!("GPU {g}"));
        }
        if let Some(m) = h
            .nvpmodel_mode
            .as_ref()
            .or(first.device.as_ref().and_then(|d| d.power_mode.as_ref()))
        {
            host.push(format!("power mode {m}"));
        }
        let mut tools: Vec<String> = d
            .records
            .iter()
            .map(|r| {
                let e = &r.edgebench;
                let dirty = if e.dirty == Some(true) {
                    " (dirty)"
                } else {
                    ""
                };
                match &e.commit {
                    Some(c) => format!("{} {}{dirty}", e.version, prefix(c, 12)),
                    None => e.version.clone(),
                }
            })
            .collect();
        tools.sort();
        tools.dedup();
        let mut backends: Vec<String> = d
            .records
            .iter()
            .filter(|r| r.status == Status::Ok)
            .map(|r| {
                let f = if r.backend.build_features.is_empty() {
                    String::new()
                } else {
                    format!(" [{}]", r.backend.build_features.join(", "))
                };
                format!(
                    "{} {} on {}{f}",
                    r.backend.id, r.backend.version, r.backend.device
                )
            })
            .collect();
        backends.sort();
        backends.dedup();
        let mut models: Vec<String> = d
            .records
            .iter()
            .filter(|r| !r.model.sha256.is_empty())
            .map(|r| {
                format!(
                    "{} {} sha256 {}",
                    pair_of(r).0,
                    r.model.quant,
                    prefix(&r.model.sha256, 16)
                )
            })
            .collect();
        models.sort();
        models.dedup();
        let mut times: Vec<&str> = d.records.iter().map(|r| r.timestamp.as_str()).collect();
        times.sort();
        let ran = match (times.first(), times.last()) {
            (Some(a), Some(b)) if a != b => vec![format!("{a} to"), (*b).to_owned()],
            (Some(a), _) => vec![(*a).to_owned()],
            _ => vec![],
        };
        let mut from = d.sources.clone();
        if let Some(p) = &d.profile {
            from.push(format!("profile {}", p.origin));
        }
        t.row(vec![
            d.label.clone().into(),
            Cell::lines(host, Tone::Plain),
            Cell::lines(tools, Tone::Plain),
            Cell::lines(
                if backends.is_empty() {
                    vec!["-".into()]
                } else {
                    backends
                },
                Tone::Plain,
            ),
            Cell::lines(
                if models.is_empty() {
                    vec!["-".into()]
                } else {
                    models
                },
                Tone::Plain,
            ),
            Cell::lines(ran, Tone::Plain),
            Cell::lines(from, Tone::Plain),
        ]);
    }
    s.push(Block::Table(t));
    s
}

/// The first `n` characters of `s` (files may hold anything, so never a
/// byte slice that could split a character).
fn prefix(s: &str, n: usize) -> String {
    s.chars().take(n).collect()
}
