//! The report's answer: for each model and workload, which deployment
//! options (device × backend × quantisation × settings) meet every SLO that
//! applies to them, cheapest first, each with the SLO that binds it and its
//! headroom; which fail, on which SLO and by how much; and the trade-off
//! between the fastest and the cheapest option that pass.
//!
//! Ranking: by cost per million generated tokens when every passing option
//! has one (the device's `[cost]` with `monthly_queries`, sized by that
//! option's own mean end-to-end latency); otherwise by the profile's primary
//! SLO metric (its first per-case `[[slo]]`), best first. Ties keep the
//! order of the inputs (device order, then record order).
use std::cmp::Ordering;

use edgebench_devices::profile::{Slo, SloOp};

use super::cost::Capacity;
use super::device::{DeviceResults, pair_of};
use crate::record::{Record, Status, TestShape};
use crate::slo::{self, Verdict};

/// Where an option stands against its SLOs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    /// Every SLO that applies passed (and at least one applies).
    Meets,
    /// At least one SLO that applies failed (or the case did not run).
    Fails,
    /// No SLO applies to it.
    Unjudged,
}

/// One deployment option: one case on one device.
#[derive(Debug, Clone)]
pub struct Choice<'a> {
    /// The device it ran on.
    pub device: &'a DeviceResults,
    /// Its record.
    pub record: &'a Record,
    /// The verdicts of the SLOs that apply to it.
    pub verdicts: Vec<&'a Verdict>,
    /// Pass, fail or not judged.
    pub standing: Standing,
    /// Fleet cost per million generated tokens at the profile's volume,
    /// USD, sized by this option's mean end-to-end latency.
    pub usd_per_mtok: Option<f64>,
    /// Decode rate, tok/s (p50).
    pub decode_tps: Option<f64>,
    /// The primary SLO metric's value for it.
    pub primary: Option<f64>,
}

impl<'a> Choice<'a> {
    /// `device · backend · QUANT · tN`.
    pub fn label(&self) -> String {
        format!(
            "{} · {} · {} · t{}",
            self.device.label,
            self.record.backend.id,
            self.record.model.quant,
            self.record.workload.threads
        )
    }

    /// The passing verdict with the least headroom (in % of its limit).
    pub fn binding(&self) -> Option<&'a Verdict> {
        self.verdicts
            .iter()
            .copied()
            .filter(|v| v.pass)
            .min_by(|a, b| headroom(a).total_cmp(&headroom(b)))
    }

    /// The failing verdicts, worst first.
    pub fn failed(&self) -> Vec<&'a Verdict> {
        let mut f: Vec<&Verdict> = self.verdicts.iter().copied().filter(|v| !v.pass).collect();
        f.sort_by(|a, b| headroom(a).total_cmp(&headroom(b)));
        f
    }

    /// The worst margin over its verdicts, in % of the limit (negative:
    /// failing); None when nothing was measured.
    pub fn worst_margin_pct(&self) -> Option<f64> {
        self.verdicts
            .iter()
            .filter_map(|v| v.margin_pct)
            .min_by(f64::total_cmp)
    }
}

/// A verdict's margin in % of its limit; a verdict without a measured
/// value counts as infinitely bad.
pub fn headroom(v: &Verdict) -> f64 {
    v.margin_pct
        .unwrap_or(v.margin.unwrap_or(f64::NEG_INFINITY))
}

/// How the options of a decision are ranked.
#[derive(Debug, Clone, PartialEq)]
pub enum Basis {
    /// By cost per million generated tokens, cheapest first.
    Cost,
    /// By the primary SLO metric (its dotted name and op), best first.
    Primary {
        /// e.g. `decode_tps.p50`.
        metric: String,
        /// `>=` (higher is better) or `<=` (lower is better).
        op: String,
        /// Why cost could not rank them.
        why_not_cost: String,
    },
    /// Nothing to rank by: input order.
    InputOrder,
}

/// The answer for one model and workload.
#[derive(Debug, Clone)]
pub struct Decision<'a> {
    /// The model without its quantisation suffix (`small` for
    /// `small-q4_0`), so its quantisations are options of one decision.
    pub model: String,
    /// The workload, e.g. `req128+32`.
    pub test: String,
    /// Options that meet every SLO, ranked.
    pub meets: Vec<Choice<'a>>,
    /// Options that fail, least bad first.
    pub fails: Vec<Choice<'a>>,
    /// Options no SLO applies to.
    pub unjudged: Vec<Choice<'a>>,
    /// How `meets` is ranked.
    pub basis: Basis,
}

impl Decision<'_> {
    /// Ranked by cost, and two or more passing options all cost the same
    /// (a fleet is whole devices: at a small volume one device of each
    /// option serves it), so the tie-break decided.
    pub fn costs_tie(&self) -> bool {
        self.basis == Basis::Cost
            && self.meets.len() >= 2
            && self
                .meets
                .windows(2)
                .all(|w| w[0].usd_per_mtok == w[1].usd_per_mtok)
    }

    /// One line on the trade-off that matters: the fastest passing option
    /// (decode rate) against the first-ranked one; with a single passing
    /// option, a cheaper one that fails and what it misses. None when
    /// there is no such contrast.
    pub fn tradeoff(&self) -> Option<String> {
        let best = self.meets.first()?;
        if self.meets.len() < 2 {
            let best_cost = best.usd_per_mtok?;
            let cheaper = self
                .fails
                .iter()
                .filter(|c| c.usd_per_mtok.is_some_and(|x| x < best_cost))
                .min_by(|a, b| {
                    a.usd_per_mtok
                        .unwrap_or(0.0)
                        .total_cmp(&b.usd_per_mtok.unwrap_or(0.0))
                })?;
            let cost = cheaper.usd_per_mtok?;
            let miss = cheaper.failed().first().map(|v| {
                v.margin_pct.map_or_else(
                    || {
                        format!(
                            "{} ({})",
                            v.slo,
                            v.note.as_deref().unwrap_or("not measured")
                        )
                    },
                    |p| format!("{} by {:.1} %", v.slo, -p),
                )
            })?;
            return Some(format!(
                "Trade-off: {} would cost ${cost:.2}/Mtok, {:.0} % less than {} (${best_cost:.2}/Mtok), but misses {miss}.",
                cheaper.label(),
                (1.0 - cost / best_cost) * 100.0,
                best.label()
            ));
        }
        let fastest = self
            .meets
            .iter()
            .filter(|c| c.decode_tps.is_some())
            .max_by(|a, b| {
                a.decode_tps
                    .unwrap_or(0.0)
                    .total_cmp(&b.decode_tps.unwrap_or(0.0))
            })?;
        let rank_word = match self.basis {
            Basis::Cost => "cheapest",
            _ => "first-ranked",
        };
        let tps = |c: &Choice| {
            c.decode_tps
                .map_or_else(|| "-".into(), |x| format!("{x:.1} tok/s"))
        };
        let cost = |c: &Choice| {
            c.usd_per_mtok
                .map_or_else(String::new, |x| format!(" at ${x:.2}/Mtok"))
        };
        if self.costs_tie() {
            let slowest = self
                .meets
                .iter()
                .filter(|c| c.decode_tps.is_some_and(|x| x > 0.0))
                .min_by(|a, b| {
                    a.decode_tps
                        .unwrap_or(0.0)
                        .total_cmp(&b.decode_tps.unwrap_or(0.0))
                })?;
            return Some(format!(
                "All {} passing options cost the same per Mtok at this volume (${:.2}: the same whole number of devices serves it), so speed decides: the fastest, {} ({}), decodes {:.1}x as fast as the slowest, {} ({}).",
                self.meets.len(),
                best.usd_per_mtok.unwrap_or(0.0),
                fastest.label(),
                tps(fastest),
                fastest.decode_tps.unwrap_or(0.0) / slowest.decode_tps.unwrap_or(f64::NAN),
                slowest.label(),
                tps(slowest)
            ));
        }
        if std::ptr::eq(fastest.record, best.record) {
            return Some(format!(
                "{} is both the fastest ({}) and the {rank_word}{} of the {} options that pass.",
                best.label(),
                tps(best),
                cost(best),
                self.meets.len()
            ));
        }
        let speedup = fastest
            .decode_tps
            .zip(best.decode_tps)
            .filter(|(_, b)| *b > 0.0)
            .map(|(f, b)| format!(", {:.2}x the decode rate", f / b))
            .unwrap_or_default();
        let premium = match (fastest.usd_per_mtok, best.usd_per_mtok) {
            (Some(f), Some(b)) if b > 0.0 => format!(" for {:.2}x the cost per Mtok", f / b),
            _ => String::new(),
        };
        Some(format!(
            "Trade-off: the fastest, {} ({}{}), against the {rank_word}, {} ({}{}){speedup}{premium}.",
            fastest.label(),
            tps(fastest),
            cost(fastest),
            best.label(),
            tps(best),
            cost(best)
        ))
    }
}

/// The model's id without a trailing quantisation (`tiny-q4_0` with quant
/// `Q4_0` gives `tiny`); the id itself when it does not end in its quant.
pub fn model_family(r: &Record) -> String {
    let id = pair_of(r).0;
    let quant = r.model.quant.to_ascii_lowercase();
    let lower = id.to_ascii_lowercase();
    if !quant.is_empty() && lower.ends_with(&quant) {
        let stem = &id[..id.len() - quant.len()];
        let stem = stem.trim_end_matches(['-', '_', '.']);
        if !stem.is_empty() {
            return stem.to_owned();
        }
    }
    id
}

/// The primary SLO: the first per-case SLO of the first device that has
/// any.
fn primary_slo(devices: &[DeviceResults]) -> Option<&Slo> {
    devices
        .iter()
        .flat_map(|d| d.slos.iter())
        .find(|s| !s.metric.is_sustained())
}

/// One decision per (model family, workload), in order of first
/// appearance; ordinary cases only.
pub fn decide(devices: &[DeviceResults]) -> Vec<Decision<'_>> {
    let primary = primary_slo(devices);
    let mut groups: Vec<((String, String), Vec<Choice>)> = Vec::new();
    for d in devices {
        let price = d.cost.as_ref().map(|c| &c.inputs);
        for r in d.cases() {
            let (m, b) = pair_of(r);
            let verdicts: Vec<&Verdict> = d
                .verdicts
                .iter()
                .filter(|v| {
                    v.model == m
                        && v.backend == b
                        && v.test == r.workload.test
                        && v.threads == r.workload.threads
                })
                .collect();
            let standing = if verdicts.is_empty() {
                if r.status == Status::Ok {
                    Standing::Unjudged
                } else {
                    Standing::Fails
                }
            } else if verdicts.iter().all(|v| v.pass) {
                Standing::Meets
            } else {
                Standing::Fails
            };
            let ok = r.status == Status::Ok;
            // Only a request is what a user sends: llama-bench's pp, tg and
            // pg tests time parts of one and must not size a fleet.
            // A capacity measured under load for this option and request
            // shape sizes the fleet; else one request at a time.
            let measured = d.load_capacity_for(r);
            let usd_per_mtok = price
                .filter(|_| ok && r.workload.shape == TestShape::Request)
                .and_then(|i| match measured {
                    Some(c) => Capacity::from_rate(i, c.rps, c.concurrency, r.workload.n_gen),
                    None => r
                        .metrics
                        .e2e_ms
                        .as_ref()
                        .and_then(|e2e| Capacity::compute(i, e2e.mean, r.workload.n_gen)),
                })
                .and_then(|c| c.edge_usd_per_mtok);
            let choice = Choice {
                device: d,
                record: r,
                verdicts,
                standing,
                usd_per_mtok,
                decode_tps: r.metrics.decode_tps.as_ref().filter(|_| ok).map(|s| s.p50),
                primary: primary
                    .filter(|_| ok)
                    .and_then(|s| slo::measure(s.metric, r).ok()),
            };
            let key = (model_family(r), r.workload.test.clone());
            match groups.iter_mut().find(|(k, _)| *k == key) {
                Some((_, v)) => v.push(choice),
                None => groups.push((key, vec![choice])),
            }
        }
    }
    groups
        .into_iter()
        .map(|((model, test), choices)| rank(model, test, choices, primary))
        .collect()
}

fn rank<'a>(
    model: String,
    test: String,
    choices: Vec<Choice<'a>>,
    primary: Option<&Slo>,
) -> Decision<'a> {
    let (mut meets, rest): (Vec<Choice>, Vec<Choice>) = choices
        .into_iter()
        .partition(|c| c.standing == Standing::Meets);
    let (mut fails, unjudged): (Vec<Choice>, Vec<Choice>) = rest
        .into_iter()
        .partition(|c| c.standing == Standing::Fails);
    let basis = if !meets.is_empty() && meets.iter().all(|c| c.usd_per_mtok.is_some()) {
        Basis::Cost
    } else if let Some(p) = primary {
        let why_not_cost = if meets.iter().all(|c| c.device.cost.is_none()) {
            "no [cost] in the profile".to_owned()
        } else {
            "cost per million tokens needs [cost] monthly_queries for every device".to_owned()
        };
        Basis::Primary {
            metric: p.metric.as_str().to_owned(),
            op: p.op.as_str().to_owned(),
            why_not_cost,
        }
    } else {
        Basis::InputOrder
    };
    let key = |c: &Choice| -> Option<f64> {
        match &basis {
            Basis::Cost => c.usd_per_mtok,
            Basis::Primary { op, .. } => c.primary.map(|x| {
                if SloOp::parse(op) == Some(SloOp::AtLeast) {
                    -x
                } else {
                    x
                }
            }),
            Basis::InputOrder => Some(0.0),
        }
    };
    // Options without a figure last; equal costs (a fleet is whole
    // devices, so options often cost the same) by the primary SLO metric,
    // then by decode rate; then input order (stable sort).
    let by = |x: Option<f64>, y: Option<f64>| match (x, y) {
        (Some(x), Some(y)) => x.total_cmp(&y),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => Ordering::Equal,
    };
    let better_primary = |c: &Choice| -> Option<f64> {
        let p = primary?;
        c.primary
            .map(|x| if p.op == SloOp::AtLeast { -x } else { x })
    };
    meets.sort_by(|a, b| {
        by(key(a), key(b))
            .then_with(|| by(better_primary(a), better_primary(b)))
            .then_with(|| by(a.decode_tps.map(|x| -x), b.decode_tps.map(|x| -x)))
    });
    // Failing options: the nearest miss first.
    fails.sort_by(|a, b| {
        let w = |c: &Choice| {
            c.failed()
                .first()
                .map_or(f64::NEG_INFINITY, |v| headroom(v))
        };
        w(b).total_cmp(&w(a))
    });
    Decision {
        model,
        test,
        meets,
        fails,
        unjudged,
        basis,
    }
}
