//! The first section: the answer. One line per model and workload saying
//! which option to pick and why, then a table per model and workload of
//! every option, passing ones ranked, failing ones with the SLO they miss
//! and by how much.
use super::super::Report;
use super::super::decide::{Basis, Choice, Decision, Standing, decide, headroom};
use super::super::doc::{Block, Section};
use super::super::fmt::num;
use super::super::table::{Cell, Table, Tone};
use crate::slo::Verdict;

/// `✓` / `✗` / `–`: the mark tells the verdict apart by shape as well as
/// by colour, so a greyscale print keeps it.
pub const PASS_MARK: &str = "✓ PASS";
/// See [`PASS_MARK`].
pub const FAIL_MARK: &str = "✗ FAIL";
/// See [`PASS_MARK`].
pub const NONE_MARK: &str = "– no SLO";

/// `SLO: measured op limit (+12.3 % headroom)`.
pub fn verdict_brief(v: &Verdict) -> String {
    match (v.measured, v.margin_pct) {
        (Some(m), Some(p)) => format!(
            "{}: {} {} {} ({:+.1} % {})",
            v.slo,
            num(m),
            v.op,
            num(v.threshold),
            p,
            if p >= 0.0 {
                "headroom"
            } else {
                "over the limit"
            }
        ),
        (Some(m), None) => format!("{}: {} {} {}", v.slo, num(m), v.op, num(v.threshold)),
        _ => format!("{}: {}", v.slo, v.note.as_deref().unwrap_or("not measured")),
    }
}

fn basis_text(d: &Decision) -> String {
    match &d.basis {
        Basis::Cost => "ranked by fleet cost per million generated tokens, cheapest first".into(),
        Basis::Primary {
            metric,
            op,
            why_not_cost,
        } => format!(
            "ranked by {metric} ({} first; the profile's first SLO metric), since {why_not_cost}",
            if op == ">=" { "highest" } else { "lowest" }
        ),
        Basis::InputOrder => "in input order (no cost and no SLO to rank by)".into(),
    }
}

/// The one-line answer for a decision.
fn headline(d: &Decision) -> String {
    let n = d.meets.len() + d.fails.len() + d.unjudged.len();
    let head = format!("{} · {}", d.model, d.test);
    match d.meets.first() {
        Some(best) => {
            let cost = best
                .usd_per_mtok
                .map_or_else(String::new, |x| format!(", ${x:.2} per Mtok"));
            let binding = best
                .binding()
                .map_or_else(String::new, |v| match v.margin_pct {
                    Some(p) => format!("; binding SLO: {} ({p:.0} % headroom)", v.slo),
                    None => format!("; binding SLO: {}", v.slo),
                });
            format!(
                "{head}: {} of {n} option(s) meet every SLO. Pick {}{cost}{binding}.",
                d.meets.len(),
                best.label()
            )
        }
        None if !d.fails.is_empty() => {
            let near = &d.fails[0];
            let miss = near
                .failed()
                .first()
                .map_or_else(|| "did not run".into(), |v| verdict_brief(v));
            format!(
                "{head}: none of {n} option(s) meets every SLO. Nearest: {}, {miss}.",
                near.label()
            )
        }
        None => format!("{head}: no SLO applies to its {n} option(s)."),
    }
}

fn row(rank: String, c: &Choice) -> Vec<Cell> {
    let (mark, tone) = match c.standing {
        Standing::Meets => (PASS_MARK, Tone::Pass),
        Standing::Fails => (FAIL_MARK, Tone::Fail),
        Standing::Unjudged => (NONE_MARK, Tone::Muted),
    };
    let why: Vec<String> = match c.standing {
        Standing::Meets => c
            .binding()
            .map(|v| vec![format!("binding: {}", verdict_brief(v))])
            .unwrap_or_default(),
        Standing::Fails => {
            let f = c.failed();
            if f.is_empty() {
                vec![format!(
                    "case {}: {}",
                    c.record.status.as_str(),
                    c.record.reason.as_deref().unwrap_or("no reason recorded")
                )]
            } else {
                f.iter().map(|v| verdict_brief(v)).collect()
            }
        }
        Standing::Unjudged => vec!["no SLO of the profile applies".into()],
    };
    let worst = c
        .verdicts
        .iter()
        .map(|v| headroom(v))
        .min_by(f64::total_cmp);
    let ttft = c
        .record
        .metrics
        .ttft_ms
        .as_ref()
        .filter(|_| c.record.status == crate::record::Status::Ok)
        .map(|s| s.p99);
    vec![
        rank.into(),
        c.label().into(),
        Cell::lines(vec![mark.into()], tone).sorted_by(worst),
        c.usd_per_mtok
            .map_or_else(|| "-".into(), |x| format!("{x:.2}"))
            .into(),
        c.decode_tps.map_or_else(|| "-".into(), num).into(),
        ttft.map_or_else(|| "-".into(), num).into(),
        Cell::lines(why, Tone::Plain).sorted_by(worst),
    ]
}

/// The answer section.
pub fn section(report: &Report) -> Section {
    let mut s = Section::new("Answer", "answer");
    let decisions = decide(&report.devices);
    if decisions.is_empty() {
        s.para("No cases in these inputs: nothing to decide.");
        return s;
    }
    s.para(
        "For each model and workload: the options (device · backend · quantisation · threads) \
         that meet every SLO that applies to them, best first, with the SLO that binds and its \
         headroom; then those that fail, with the SLO they miss and by how much. A model's \
         quantisations are options of one model.",
    );
    s.push(Block::List(decisions.iter().map(headline).collect()));
    let notes: Vec<String> = report
        .devices
        .iter()
        .filter_map(|d| {
            let n = d.cost.as_ref()?.inputs.cost.note.as_ref()?;
            Some(format!("{}: cost inputs: {n}", d.label))
        })
        .collect();
    if !notes.is_empty() {
        s.push(Block::List(notes));
    }
    for d in &decisions {
        s.push(Block::Sub(format!("{} · {}", d.model, d.test)));
        let tie = if d.costs_tie() {
            "; they all cost the same, so the profile's first SLO metric, then decode rate, orders them"
        } else {
            ""
        };
        s.para(format!("Options {}{tie}.", basis_text(d)));
        let quality = !report.quality.is_empty();
        let mut head = vec![
            "#",
            "option",
            "verdict",
            ">$ per Mtok",
            ">decode tok/s (p50)",
            ">TTFT p99 (ms)",
        ];
        if quality {
            head.push("quality vs reference");
        }
        head.push("binding SLO, or the SLOs missed");
        let mut t = Table::new(&head);
        let ranked = d
            .meets
            .iter()
            .enumerate()
            .map(|(k, c)| ((k + 1).to_string(), c));
        let rest = d
            .fails
            .iter()
            .chain(&d.unjudged)
            .map(|c| ("-".to_string(), c));
        for (rank, c) in ranked.chain(rest) {
            let mut cells = row(rank, c);
            if quality {
                let q = quality_of(report, c).map_or_else(
                    || "not measured".to_string(),
                    |(_, r)| {
                        format!(
                            "mean KLD {} · top-1 {:.1} %",
                            kld_text(r.stats.mean_kld),
                            r.stats.top1_agreement * 100.0
                        )
                    },
                );
                cells.insert(cells.len() - 1, q.into());
            }
            t.row(cells);
        }
        s.push(Block::Table(t));
        if let Some(line) = d.tradeoff() {
            s.para(line);
        }
        let tax = quality_tax(report, d);
        if !tax.is_empty() {
            s.para(
                "The quality each quantisation costs, against the most faithful option on the \
                 same device and backend (edgebench quality; on synthetic weights it measures \
                 the quantisation error, not task accuracy):",
            );
            s.push(Block::List(tax));
        }
    }
    s
}

/// The quality row for an option's model file (by SHA-256), on its
/// backend where measured there.
fn quality_of<'a>(
    report: &'a Report,
    c: &Choice<'_>,
) -> Option<(
    &'a crate::quality::QualityRecord,
    &'a crate::quality::QualityRow,
)> {
    crate::quality::lookup(
        &report.quality,
        &c.record.model.sha256,
        &c.record.backend.id,
    )
}

/// `Q4_K_M: 1.7x the decode rate of Q8_0 on box · llama.cpp, mean KLD
/// 0.0200, top-1 96.0 %`: each option with a quality figure against the
/// option of the same device, backend and threads with the lowest mean
/// KLD (the most faithful quantisation measured), when their quants differ.
fn quality_tax(report: &Report, d: &Decision<'_>) -> Vec<String> {
    let all: Vec<&Choice<'_>> = d.meets.iter().chain(&d.fails).chain(&d.unjudged).collect();
    let with_q: Vec<(&Choice<'_>, f64, f64)> = all
        .iter()
        .filter_map(|c| {
            let (_, r) = quality_of(report, c)?;
            Some((*c, r.stats.mean_kld, r.stats.top1_agreement))
        })
        .collect();
    let same = |a: &Choice<'_>, b: &Choice<'_>| {
        a.device.label == b.device.label
            && a.record.backend.id == b.record.backend.id
            && a.record.workload.threads == b.record.workload.threads
    };
    let mut out = vec![];
    for &(c, kld, top1) in &with_q {
        let Some(&(best, _, _)) = with_q
            .iter()
            .filter(|(o, _, _)| same(o, c))
            .min_by(|a, b| a.1.total_cmp(&b.1))
        else {
            continue;
        };
        if best.record.model.quant == c.record.model.quant {
            continue;
        }
        let speed = match (c.decode_tps, best.decode_tps) {
            (Some(a), Some(b)) if b > 0.0 => format!(
                "{:.2}x the decode rate of {}",
                a / b,
                best.record.model.quant
            ),
            _ => format!(
                "against {} (no decode rate to compare)",
                best.record.model.quant
            ),
        };
        out.push(format!(
            "{}: {speed} on {} · {}, mean KLD {}, top-1 {:.1} %",
            c.record.model.quant,
            c.device.label,
            c.record.backend.id,
            kld_text(kld),
            top1 * 100.0
        ));
    }
    out
}

/// A KL divergence with three significant digits: `0.0148`, `1.20e-5`.
fn kld_text(x: f64) -> String {
    if x != 0.0 && x.abs() < 1e-3 {
        format!("{x:.2e}")
    } else {
        format!("{x:.4}")
    }
}
