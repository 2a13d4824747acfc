//! The report's content, section by section, as [`Section`]s both
//! renderings share.
use std::collections::BTreeSet;

use super::Report;
use super::charts::Chart;
use super::cost::{DUTY_CYCLE, SECONDS_PER_MONTH};
use super::device::{DeviceResults, pair_of, ranking};
use super::doc::{Block, Section};
use super::fmt::{num, opt, opt_usd, signed, thousands, usd};
use super::table::{Cell, Table, Tone};
use crate::record::Status;
use crate::slo::{BYTES_PER_MB, Verdict};
use crate::stats::Summary;

/// Every section, in reading order.
pub fn build(report: &Report, charts: &[(String, Result<Chart, String>)]) -> Vec<Section> {
    vec![
        summary(report),
        verdicts(report),
        cost(report),
        chart_section(report, charts),
        cases(report),
        provenance(report),
    ]
}

fn summary(report: &Report) -> Section {
    let mut s = Section::new("Summary", "summary");
    let n_cases: usize = report.devices.iter().map(|d| d.records.len()).sum();
    let n_ok: usize = report
        .devices
        .iter()
        .flat_map(|d| &d.records)
        .filter(|r| r.status == Status::Ok)
        .count();
    s.para(format!(
        "{} device(s), {n_cases} case(s) ({n_ok} ok), from: {}.",
        report.devices.len(),
        report.inputs.join(", ")
    ));
    if let Some(p) = &report.slo_profile {
        s.para(format!(
            "Every device is judged by the SLOs of {p} (--slo-profile); its [cost] stands in where a device's own profile has none."
        ));
    }
    if !report.warnings.is_empty() {
        s.push(Block::Sub("Warnings".into()));
        s.push(Block::List(report.warnings.clone()));
    }
    s.push(Block::Sub(
        "Devices that meet every SLO, cheapest first".into(),
    ));
    let ranked = ranking(&report.devices);
    if ranked.is_empty() {
        s.para("No device meets every SLO (or no SLOs were given): see the verdicts below.");
    } else {
        let mut t = Table::new(&[
            "#",
            "device",
            "SLO checks",
            ">cost",
            "cost basis",
            ">devices needed",
        ]);
        for (k, (d, cost, basis)) in ranked.iter().enumerate() {
            let devices = d
                .capacity
                .as_ref()
                .and_then(|(_, c)| c.devices_needed)
                .map_or_else(|| "-".to_owned(), |n| n.to_string());
            t.row(vec![
                (k + 1).to_string().into(),
                d.label.clone().into(),
                format!("{} passed", d.verdicts.len()).into(),
                opt_usd(*cost).into(),
                (*basis).into(),
                devices.into(),
            ]);
        }
        s.push(Block::Table(t));
    }
    let failing: Vec<String> = report
        .devices
        .iter()
        .filter(|d| !d.meets_every_slo())
        .map(|d| {
            if d.verdicts.is_empty() {
                format!("{}: no SLOs to check", d.label)
            } else {
                let failed = d.verdicts.iter().filter(|v| !v.pass).count();
                format!(
                    "{}: {failed} of {} SLO checks failed",
                    d.label,
                    d.verdicts.len()
                )
            }
        })
        .collect();
    if !failing.is_empty() {
        s.para("Not ranked:");
        s.push(Block::List(failing));
    }
    s
}

/// Every (model, backend) column over all devices.
fn columns(report: &Report) -> Vec<(String, String)> {
    let set: BTreeSet<(String, String)> = report
        .devices
        .iter()
        .flat_map(DeviceResults::pairs)
        .collect();
    set.into_iter().collect()
}

fn verdict_line(v: &Verdict, with_case: bool) -> String {
    let result = if v.pass { "PASS" } else { "FAIL" };
    let case = if with_case {
        format!(" [{} t{}]", v.test, v.threads)
    } else {
        String::new()
    };
    match (v.measured, v.margin) {
        (Some(m), Some(margin)) => format!(
            "{result} {}{case}: {} {} {} (margin {})",
            v.slo,
            num(m),
            v.op,
            num(v.threshold),
            signed(margin)
        ),
        _ => format!(
            "{result} {}{case}: {}",
            v.slo,
            v.note.as_deref().unwrap_or("not measured")
        ),
    }
}

fn verdicts(report: &Report) -> Section {
    let mut s = Section::new("SLO verdicts", "slo");
    s.para("Rows are devices, columns (model, backend). Each line is one SLO on one case: PASS or FAIL, the measured value against the limit (in the metric's unit: ms, tok/s or MiB) and the margin (positive inside the limit).");
    let cols = columns(report);
    let mut headers: Vec<String> = vec!["device".into()];
    headers.extend(cols.iter().map(|(m, b)| format!("{m} · {b}")));
    let mut t = Table::new(&headers.iter().map(String::as_str).collect::<Vec<_>>());
    for d in &report.devices {
        let mut row: Vec<Cell> = vec![d.label.clone().into()];
        let pairs = d.pairs();
        for (m, b) in &cols {
            if !pairs.contains(&(m.clone(), b.clone())) {
                row.push(Cell::lines(
                    vec!["not run on this device".into()],
                    Tone::Muted,
                ));
                continue;
            }
            let vs: Vec<&Verdict> = d
                .verdicts
                .iter()
                .filter(|v| &v.model == m && &v.backend == b)
                .collect();
            if vs.is_empty() {
                let why = if d.slos.is_empty() {
                    "no SLOs given"
                } else {
                    "no SLO applies"
                };
                row.push(Cell::lines(vec![why.into()], Tone::Muted));
                continue;
            }
            let cases: BTreeSet<(&str, u32)> =
                vs.iter().map(|v| (v.test.as_str(), v.threads)).collect();
            let lines = vs
                .iter()
                .map(|v| verdict_line(v, cases.len() > 1))
                .collect();
            let tone = if vs.iter().all(|v| v.pass) {
                Tone::Pass
            } else {
                Tone::Fail
            };
            row.push(Cell::lines(lines, tone));
        }
        t.row(row);
    }
    s.push(Block::Table(t));
    for d in &report.devices {
        let unmatched: Vec<String> = d
            .verdicts
            .iter()
            .filter(|v| v.test == "*")
            .map(|v| verdict_line(v, false))
            .collect();
        if !unmatched.is_empty() {
            s.para(format!("{}: SLOs that matched no case:", d.label));
            s.push(Block::List(unmatched));
        }
        if d.slos.is_empty() {
            s.para(format!(
                "{}: no SLOs (its results carry no profile); pass --slo-profile PROFILE to judge it.",
                d.label
            ));
        } else if let Some(o) = &d.slo_origin {
            let passed = d.verdicts.iter().filter(|v| v.pass).count();
            s.para(format!(
                "{}: {passed} of {} SLO checks passed (SLOs from {o}).",
                d.label,
                d.verdicts.len()
            ));
        }
    }
    s
}

fn cost(report: &Report) -> Section {
    let mut s = Section::new("Cost: edge against cloud", "cost");
    s.para(format!(
        "The cost model of MEASUREMENT.md from each profile's [cost], inputs exactly as given, then what the measurements add: the queries per month one device serves at the measured mean end-to-end latency (one request at a time, duty cycle {DUTY_CYCLE}, {} s per month), the devices the stated volume needs and what they cost.",
        thousands(SECONDS_PER_MONTH)
    ));
    let mut without = Vec::new();
    for d in &report.devices {
        let Some(c) = &d.cost else {
            without.push(d.label.clone());
            continue;
        };
        let i = &c.inputs;
        s.push(Block::Sub(d.label.clone()));
        s.para(format!(
            "Inputs: CAPEX = {}, C_lifecycle = {} per month, C_eng = {}, T = {} months, C_query = {}, V = {} queries per month, price_usd = {}.",
            usd(i.capex_usd),
            usd(i.lifecycle_usd_per_month),
            usd(i.engineering_usd),
            num(i.horizon_months),
            usd(i.cloud_cost_per_query_usd),
            i.monthly_queries.map_or_else(|| "not given".to_owned(), thousands),
            opt_usd(i.price_usd),
        ));
        let mut t = Table::new(&["quantity", "formula", "with the inputs", ">value"]);
        let v = i.monthly_queries;
        let t_m = num(i.horizon_months);
        t.row(vec![
            "cloud cost over T".into(),
            "C_query × V × T".into(),
            v.map_or_else(
                || "V not given".to_owned(),
                |v| format!("{} × {} × {t_m}", i.cloud_cost_per_query_usd, thousands(v)),
            )
            .into(),
            opt_usd(c.cloud_usd).into(),
        ]);
        t.row(vec![
            "edge cost over T".into(),
            "CAPEX + C_lifecycle × T + C_eng".into(),
            format!(
                "{} + {} × {t_m} + {}",
                num(i.capex_usd),
                num(i.lifecycle_usd_per_month),
                num(i.engineering_usd)
            )
            .into(),
            usd(c.edge_usd).into(),
        ]);
        let savings = match (c.savings_usd, c.savings_pct) {
            (Some(x), Some(p)) => format!("{} ({:+.1}%)", usd(x), p),
            (Some(x), None) => usd(x),
            _ => "-".into(),
        };
        let tone = match c.savings_usd {
            Some(x) if x >= 0.0 => Tone::Pass,
            Some(_) => Tone::Fail,
            None => Tone::Plain,
        };
        t.row(vec![
            "savings over T".into(),
            "cloud - edge (and / cloud)".into(),
            "".into(),
            Cell::lines(vec![savings], tone),
        ]);
        t.row(vec![
            "tipping volume V_tipping".into(),
            "(CAPEX + C_lifecycle × T + C_eng) / (C_query × T)".into(),
            format!(
                "{} / ({} × {t_m})",
                num(c.edge_usd),
                i.cloud_cost_per_query_usd
            )
            .into(),
            format!("{} queries/month", thousands(c.tipping_queries_per_month)).into(),
        ]);
        if let Some((label, k)) = &d.capacity {
            t.row(vec![
                "request shape".into(),
                "the heaviest ok case (largest mean e2e)".into(),
                label.clone().into(),
                format!("{} ms, {} tokens", num(k.e2e_ms), k.n_gen).into(),
            ]);
            t.row(vec![
                "queries per month, one device".into(),
                "s per month × duty / (e2e_ms / 1000)".into(),
                format!(
                    "{} × {DUTY_CYCLE} / {}",
                    thousands(SECONDS_PER_MONTH),
                    num(k.e2e_ms / 1000.0)
                )
                .into(),
                thousands(k.queries_per_month_per_device).into(),
            ]);
            if let (Some(v), Some(n)) = (v, k.devices_needed) {
                t.row(vec![
                    "devices for V".into(),
                    "ceil(V / queries per device)".into(),
                    format!(
                        "ceil({} / {})",
                        thousands(v),
                        thousands(k.queries_per_month_per_device)
                    )
                    .into(),
                    n.to_string().into(),
                ]);
                let covered = match k.capex_covers {
                    Some(true) => ("yes", Tone::Pass),
                    Some(false) => ("no", Tone::Fail),
                    None => ("-", Tone::Plain),
                };
                t.row(vec![
                    "fleet hardware; covered by CAPEX?".into(),
                    "devices × price_usd <= CAPEX".into(),
                    format!("{n} × {} vs {}", num(i.unit_price_usd()), num(i.capex_usd)).into(),
                    Cell::lines(
                        vec![format!("{}: {}", opt_usd(k.fleet_hardware_usd), covered.0)],
                        covered.1,
                    ),
                ]);
                t.row(vec![
                    "fleet cost over T".into(),
                    "devices × (price_usd + C_lifecycle × T) + C_eng".into(),
                    format!(
                        "{n} × ({} + {} × {t_m}) + {}",
                        num(i.unit_price_usd()),
                        num(i.lifecycle_usd_per_month),
                        num(i.engineering_usd)
                    )
                    .into(),
                    opt_usd(k.fleet_edge_usd).into(),
                ]);
                t.row(vec![
                    "fleet savings over T".into(),
                    "cloud - fleet".into(),
                    "".into(),
                    opt_usd(k.fleet_savings_usd).into(),
                ]);
                t.row(vec![
                    "edge cost per million generated tokens".into(),
                    "fleet / (V × T × n_gen) × 1e6".into(),
                    format!(
                        "{} / ({} × {t_m} × {}) × 1e6",
                        num(k.fleet_edge_usd.unwrap_or(0.0)),
                        thousands(v),
                        k.n_gen
                    )
                    .into(),
                    opt_usd(k.edge_usd_per_mtok).into(),
                ]);
            }
            t.row(vec![
                "cloud cost per million generated tokens".into(),
                "C_query / n_gen × 1e6".into(),
                format!("{} / {} × 1e6", i.cloud_cost_per_query_usd, k.n_gen).into(),
                opt_usd(k.cloud_usd_per_mtok).into(),
            ]);
        } else {
            t.row(vec![
                "queries per month, one device".into(),
                "needs an ok case with e2e_ms".into(),
                "".into(),
                "-".into(),
            ]);
        }
        s.push(Block::Table(t));
    }
    if !without.is_empty() {
        s.para(format!(
            "No [cost] for: {}. Add a [cost] section to the device profile, or pass --slo-profile with one.",
            without.join(", ")
        ));
    }
    s
}

fn chart_section(report: &Report, charts: &[(String, Result<Chart, String>)]) -> Section {
    let mut s = Section::new("Charts", "charts");
    for (title, chart) in charts {
        match chart {
            Ok(c) => s.push(Block::Chart {
                stem: c.stem.clone(),
                title: c.title.clone(),
                alt: c.alt.clone(),
            }),
            Err(why) => {
                s.push(Block::Sub(title.clone()));
                s.para(format!("Not drawn: {why}."));
            }
        }
    }
    s.push(Block::Sub("Memory bandwidth".into()));
    let mut t = Table::new(&["device", ">best read (GB/s)", ">peak (GB/s)", ">% of peak"]);
    for d in &report.devices {
        let read = d.bandwidth.as_ref().and_then(|b| b.best_read_gbs());
        let peak = d.profile.as_ref().and_then(|p| p.mem_bandwidth_gbs);
        let pct = read
            .zip(peak)
            .map(|(r, p)| format!("{:.1}%", r / p * 100.0));
        if read.is_some() || peak.is_some() {
            t.row(vec![
                d.label.clone().into(),
                opt(read).into(),
                opt(peak).into(),
                pct.unwrap_or_else(|| "-".into()).into(),
            ]);
        }
    }
    if t.rows.is_empty() {
        s.para("No bandwidth results or profile peaks in these inputs.");
    } else {
        s.push(Block::Table(t));
    }
    s.push(Block::Sub("Sustained throughput and temperature".into()));
    s.para(if report.sustained_seen > 0 {
        format!(
            "{} sustained result(s) found, but this build of edgebench cannot chart them yet.",
            report.sustained_seen
        )
    } else {
        "No sustained results in these inputs.".into()
    });
    s.push(Block::Sub("Conformance across backends".into()));
    s.para(if report.conformance_seen > 0 {
        format!(
            "{} conformance result(s) found, but this build of edgebench cannot chart them yet.",
            report.conformance_seen
        )
    } else {
        "No conformance results in these inputs.".into()
    });
    s
}

fn mean_sd(s: Option<&Summary>) -> String {
    match s {
        Some(s) => match s.sd {
            Some(sd) => format!("{:.2} ± {:.2}", s.mean, sd),
            None => format!("{:.2}", s.mean),
        },
        None => "-".into(),
    }
}

fn cases(report: &Report) -> Section {
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
        for r in &d.records {
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
    s.push(Block::Table(t));
    s
}

fn provenance(report: &Report) -> Section {
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
            super::fmt::gib(h.ram_bytes)
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
