//! The report's content, section by section, as [`Section`]s both
//! renderings share.
use std::collections::BTreeSet;

mod answer;
mod cases;
mod cost;
mod load;
mod provenance;
mod quality;
mod sustained;

use super::Report;
use super::charts::{Chart, LOAD_STEM_PREFIX, SUSTAINED_STEM_PREFIX};
use super::device::{DeviceResults, ranking};
use super::doc::{Block, Section};
use super::fmt::{num, opt, opt_usd, signed};
use super::table::{Cell, Table, Tone};
use crate::record::Status;
use crate::slo::Verdict;

/// Every section, in reading order.
pub fn build(report: &Report, charts: &[(String, Result<Chart, String>)]) -> Vec<Section> {
    vec![
        answer::section(report),
        summary(report),
        verdicts(report),
        cost::section(report),
        quality::section(report),
        chart_section(report, charts),
        sustained::section(report, charts),
        load::section(report, charts),
        cases::section(report),
        provenance::provenance(report),
    ]
}

fn summary(report: &Report) -> Section {
    let mut s = Section::new("Summary", "summary");
    let n_cases: usize = report.devices.iter().map(|d| d.cases().count()).sum();
    let n_ok: usize = report
        .devices
        .iter()
        .flat_map(DeviceResults::cases)
        .filter(|r| r.status == Status::Ok)
        .count();
    let n_sustained: usize = report
        .devices
        .iter()
        .map(|d| d.sustained_runs().count())
        .sum();
    let sustained = if n_sustained > 0 {
        format!(", {n_sustained} sustained run(s)")
    } else {
        String::new()
    };
    s.para(format!(
        "{} device(s), {n_cases} case(s) ({n_ok} ok){sustained}, from: {}.",
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
    s.para("Rows are devices, columns (model, backend): ✓ PASS when every SLO check of that pair passed, ✗ FAIL otherwise, with the worst margin in % of its limit (positive inside the limit). Each cell opens (click, or hover) to its checks: the measured value against the limit, in the metric's unit (ms, tok/s or MiB), and the margin; every check is also in the table below.");
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
            let pass = vs.iter().all(|v| v.pass);
            let (mark, tone) = if pass {
                (answer::PASS_MARK, Tone::Pass)
            } else {
                (answer::FAIL_MARK, Tone::Fail)
            };
            let worst = vs
                .iter()
                .map(|v| super::decide::headroom(v))
                .min_by(f64::total_cmp);
            let margin = match worst {
                Some(w) if w.is_finite() => format!("worst margin {w:+.0} %"),
                _ => "not measured".into(),
            };
            let compact = vec![mark.to_owned(), margin];
            row.push(Cell::compact(compact, tone, lines).sorted_by(worst));
        }
        t.row(row);
    }
    s.push(Block::Table(t));
    s.push(Block::Sub("Every SLO check".into()));
    let mut all = Table::new(&[
        "device",
        "model",
        "backend",
        "test",
        ">threads",
        "SLO",
        "limit",
        ">measured",
        ">margin (%)",
        "result",
    ]);
    for d in &report.devices {
        for v in &d.verdicts {
            let (mark, tone) = if v.pass {
                (answer::PASS_MARK, Tone::Pass)
            } else {
                (answer::FAIL_MARK, Tone::Fail)
            };
            all.row(vec![
                d.label.clone().into(),
                v.model.clone().into(),
                v.backend.clone().into(),
                v.test.clone().into(),
                if v.threads == 0 {
                    "*".to_owned()
                } else {
                    v.threads.to_string()
                }
                .into(),
                v.slo.clone().into(),
                format!("{} {} {}", v.metric, v.op, num(v.threshold)).into(),
                v.measured.map_or_else(|| "-".into(), num).into(),
                v.margin_pct
                    .map_or_else(|| "-".into(), |p| format!("{p:+.1}"))
                    .into(),
                Cell::lines(
                    vec![match (&v.note, v.pass) {
                        (Some(n), false) => format!("{mark}: {n}"),
                        _ => mark.to_owned(),
                    }],
                    tone,
                ),
            ]);
        }
    }
    if all.rows.is_empty() {
        s.para("No SLO checks.");
    } else {
        s.push(Block::Table(all));
    }
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

/// Adds the charts whose stem starts with `prefix` (drawn in their own
/// section, not among the case charts); whether there was one.
fn push_charts(s: &mut Section, charts: &[(String, Result<Chart, String>)], prefix: &str) -> bool {
    let mut drawn = false;
    for c in charts.iter().filter_map(|(_, c)| c.as_ref().ok()) {
        if c.stem.starts_with(prefix) {
            drawn = true;
            s.push(Block::Chart {
                stem: c.stem.clone(),
                title: c.title.clone(),
                alt: c.alt.clone(),
            });
        }
    }
    drawn
}

fn chart_section(report: &Report, charts: &[(String, Result<Chart, String>)]) -> Section {
    let mut s = Section::new("Charts", "charts");
    for (title, chart) in charts {
        match chart {
            // Drawn in their own section.
            Ok(c)
                if c.stem.starts_with(SUSTAINED_STEM_PREFIX)
                    || c.stem.starts_with(LOAD_STEM_PREFIX) => {}
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
    ratios(report, &mut s);
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
    s.push(Block::Sub("Conformance across backends".into()));
    let mut t = Table::new(&[
        "reference",
        "compared",
        "class",
        ">positions",
        ">top-1 agree",
        ">max diff / range",
        ">min cosine",
        "verdict",
    ]);
    for c in &report.conformance {
        for p in &c.pairs {
            let side = |x: &crate::conformance::ConformanceSide| {
                let file = std::path::Path::new(&x.model)
                    .file_name()
                    .map_or(x.model.clone(), |f| f.to_string_lossy().into_owned());
                format!("{file} on {}", x.backend)
            };
            t.row(vec![
                side(&p.a).into(),
                side(&p.b).into(),
                format!("{:?}", p.tolerance.class).to_lowercase().into(),
                p.positions.len().to_string().into(),
                format!(
                    "{:.3} (≥ {:.2})",
                    p.top1_agreement, p.tolerance.min_top1_agreement
                )
                .into(),
                format!(
                    "{:.4} (≤ {:.2})",
                    p.max_abs_diff_rel, p.tolerance.max_abs_diff_rel
                )
                .into(),
                format!("{:.5} (≥ {})", p.min_cosine, p.tolerance.min_cosine).into(),
                if p.pass {
                    Cell::lines(vec!["pass".into()], Tone::Pass)
                } else {
                    Cell::lines(
                        std::iter::once("FAIL".to_string())
                            .chain(p.failures.iter().cloned())
                            .collect(),
                        Tone::Fail,
                    )
                },
            ]);
        }
    }
    if t.rows.is_empty() {
        s.para("No conformance results in these inputs.");
    } else {
        s.para(
            "Same token ids through each pair, teacher-forced; logits compared position by \
             position against the reference (docs/conformance.md gives the tolerances).",
        );
        s.push(Block::Table(t));
    }
    s
}

/// For two devices or more: each device against the first, per metric,
/// over the cases both ran (same model, backend, test and threads): the
/// geometric mean of the ratios, with its range and the number of cases.
fn ratios(report: &Report, s: &mut Section) {
    if report.devices.len() < 2 {
        return;
    }
    type Get = fn(&crate::record::Record) -> Option<f64>;
    let metrics: [(&str, Get); 5] = [
        ("decode tok/s (p50)", |r| {
            r.metrics.decode_tps.as_ref().map(|x| x.p50)
        }),
        ("prefill tok/s (p50)", |r| {
            r.metrics.prefill_tps.as_ref().map(|x| x.p50)
        }),
        ("TTFT p99 (ms)", |r| {
            r.metrics.ttft_ms.as_ref().map(|x| x.p99)
        }),
        ("inter-token p99 (ms)", |r| {
            r.metrics.itl_ms.as_ref().map(|x| x.p99)
        }),
        ("end-to-end mean (ms)", |r| {
            r.metrics.e2e_ms.as_ref().map(|x| x.mean)
        }),
    ];
    let base = &report.devices[0];
    s.push(Block::Sub(format!(
        "Device against device (ratio to {})",
        base.label
    )));
    s.para(format!(
        "Each device's figure divided by {}'s, over the cases both ran (same model, backend, test and threads): geometric mean, then the range and the number of cases. Above 1 is faster for rates and slower for latencies.",
        base.label
    ));
    let key = |r: &crate::record::Record| {
        let (m, b) = super::device::pair_of(r);
        (m, b, r.workload.test.clone(), r.workload.threads)
    };
    let mut headers = vec!["metric".to_owned()];
    headers.extend(
        report.devices[1..]
            .iter()
            .map(|d| format!(">{} / {}", d.label, base.label)),
    );
    let mut t = Table::new(&headers.iter().map(String::as_str).collect::<Vec<_>>());
    for (name, get) in metrics {
        let mut row: Vec<Cell> = vec![name.into()];
        for d in &report.devices[1..] {
            let rs: Vec<f64> = d
                .cases()
                .filter(|r| r.status == Status::Ok)
                .filter_map(|r| {
                    let b = base
                        .cases()
                        .filter(|x| x.status == Status::Ok)
                        .find(|x| key(x) == key(r))?;
                    let (x, y) = (get(r)?, get(b)?);
                    (x > 0.0 && y > 0.0).then(|| x / y)
                })
                .collect();
            if rs.is_empty() {
                row.push(Cell::lines(vec!["no common case".into()], Tone::Muted));
                continue;
            }
            let g = (rs.iter().map(|x| x.ln()).sum::<f64>() / rs.len() as f64).exp();
            let lo = rs.iter().copied().fold(f64::INFINITY, f64::min);
            let hi = rs.iter().copied().fold(0.0, f64::max);
            row.push(
                Cell::text(format!("{g:.2}x ({lo:.2}-{hi:.2}, {} cases)", rs.len()))
                    .sorted_by(Some(g)),
            );
        }
        t.row(row);
    }
    s.push(Block::Table(t));
}
