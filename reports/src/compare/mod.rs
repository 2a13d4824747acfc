//! Baseline comparison: cases of two result sets matched by identity, each
//! metric's % change with a bootstrap confidence interval and a verdict
//! (faster, slower, same, inconclusive). See docs/compare.md.
pub mod estimate;
pub mod identity;
pub mod render;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::record::Record;
use crate::stats::Summary;
pub use estimate::{Better, Estimate, MIN_SAMPLES, Verdict};
pub use identity::{CaseKey, device_key};

/// Default threshold: changes smaller than this many % are not regressions.
pub const DEFAULT_THRESHOLD_PCT: f64 = 5.0;

/// The metrics compared, with the direction that is better.
pub const METRICS: [(&str, Better); 5] = [
    ("decode_tps", Better::Higher),
    ("prefill_tps", Better::Higher),
    ("ttft_ms", Better::Lower),
    ("e2e_ms", Better::Lower),
    ("itl_ms", Better::Lower),
];

/// Settings of a comparison.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Options {
    /// Changes within +/- this many % are `same`; beyond it, `slower` or `faster`.
    pub threshold_pct: f64,
    /// Leave out records that started above this temperature (°C), besides
    /// those a sweep already marked invalid for it.
    pub max_start_temp_c: Option<f64>,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            threshold_pct: DEFAULT_THRESHOLD_PCT,
            max_start_temp_c: None,
        }
    }
}

/// Which result set something belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Side {
    /// The baseline (first argument).
    Baseline,
    /// The candidate (second argument).
    Candidate,
}

/// One metric of one case.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MetricChange {
    /// The metric's name, e.g. `decode_tps`.
    pub metric: String,
    /// Which direction is better.
    pub better: Better,
    /// The change, its interval and verdict.
    #[serde(flatten)]
    pub estimate: Estimate,
}

/// One matched case.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CaseChange {
    /// Its identity.
    pub key: CaseKey,
    /// One line naming it for tables.
    pub label: String,
    /// Every metric both sides measured.
    pub metrics: Vec<MetricChange>,
}

/// A case left out, or some of its records, with the reason.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Skipped {
    /// Its identity.
    pub key: CaseKey,
    /// One line naming it.
    pub label: String,
    /// The side whose records were unusable.
    pub side: Side,
    /// Why (status and reason, or the hot start).
    pub reason: String,
}

/// A case present on one side only.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Unmatched {
    /// Its identity.
    pub key: CaseKey,
    /// One line naming it.
    pub label: String,
    /// The side that has it.
    pub only_in: Side,
}

/// The whole comparison.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Comparison {
    /// The threshold used, %.
    pub threshold_pct: f64,
    /// Fewest samples per side for a verdict other than inconclusive.
    pub min_samples: usize,
    /// Matched, comparable cases, in key order.
    pub cases: Vec<CaseChange>,
    /// Matched cases left out (or compared on part of their records), with the reason.
    pub skipped: Vec<Skipped>,
    /// Cases on one side only.
    pub unmatched: Vec<Unmatched>,
}

impl Comparison {
    /// Every (case, metric) whose verdict is `v`.
    pub fn with_verdict(&self, v: Verdict) -> Vec<(&CaseChange, &MetricChange)> {
        self.cases
            .iter()
            .flat_map(|c| c.metrics.iter().map(move |m| (c, m)))
            .filter(|(_, m)| m.estimate.verdict == v)
            .collect()
    }

    /// Whether any metric of any case is significantly slower beyond the threshold.
    pub fn has_regression(&self) -> bool {
        !self.with_verdict(Verdict::Slower).is_empty()
    }
}

/// Compares `candidate` against `baseline`. Records sharing a key on one
/// side (repeated runs) pool their samples; unusable ones are left out.
pub fn compare(baseline: &[Record], candidate: &[Record], opts: &Options) -> Comparison {
    let base = group(baseline);
    let cand = group(candidate);
    let mut out = Comparison {
        threshold_pct: opts.threshold_pct,
        min_samples: MIN_SAMPLES,
        cases: Vec::new(),
        skipped: Vec::new(),
        unmatched: Vec::new(),
    };
    for (key, b) in &base {
        let label = key.label(&b[0].model_label());
        let Some(c) = cand.get(key) else {
            out.unmatched.push(Unmatched {
                key: key.clone(),
                label,
                only_in: Side::Baseline,
            });
            continue;
        };
        let usable_b = usable(b, opts);
        let usable_c = usable(c, opts);
        let mut skip = false;
        for (side, (records, reasons)) in
            [(Side::Baseline, &usable_b), (Side::Candidate, &usable_c)]
        {
            if reasons.is_empty() {
                continue;
            }
            // A case with some unusable runs is still compared on the rest,
            // but says so.
            let total = records.len() + reasons.len();
            let reason = if records.is_empty() {
                skip = true;
                reasons.join("; ")
            } else {
                format!(
                    "{} of {total} records left out, compared on the rest: {}",
                    reasons.len(),
                    reasons.join("; ")
                )
            };
            out.skipped.push(Skipped {
                key: key.clone(),
                label: label.clone(),
                side,
                reason,
            });
        }
        if skip {
            continue;
        }
        let metrics = METRICS
            .iter()
            .filter_map(|&(name, better)| {
                let sb = samples(&usable_b.0, name)?;
                let sc = samples(&usable_c.0, name)?;
                Some(MetricChange {
                    metric: name.to_string(),
                    better,
                    estimate: estimate::estimate(&sb, &sc, better, opts.threshold_pct),
                })
            })
            .collect();
        out.cases.push(CaseChange {
            key: key.clone(),
            label,
            metrics,
        });
    }
    for (key, c) in &cand {
        if !base.contains_key(key) {
            out.unmatched.push(Unmatched {
                key: key.clone(),
                label: key.label(&c[0].model_label()),
                only_in: Side::Candidate,
            });
        }
    }
    out
}

fn group(records: &[Record]) -> BTreeMap<CaseKey, Vec<&Record>> {
    let mut map: BTreeMap<CaseKey, Vec<&Record>> = BTreeMap::new();
    for r in records {
        map.entry(CaseKey::of(r)).or_default().push(r);
    }
    map
}

/// The comparable records of one side, and the reasons the others are not.
fn usable<'a>(records: &[&'a Record], opts: &Options) -> (Vec<&'a Record>, Vec<String>) {
    let mut ok = Vec::new();
    let mut reasons = Vec::new();
    for r in records {
        match identity::exclusion(r, opts.max_start_temp_c) {
            None => ok.push(*r),
            Some(why) => reasons.push(why),
        }
    }
    (ok, reasons)
}

/// The pooled raw samples of `metric` over `records`; None when none has it.
fn samples(records: &[&Record], metric: &str) -> Option<Vec<f64>> {
    let mut all = Vec::new();
    let mut any = false;
    for r in records {
        if let Some(s) = metric_summary(r, metric) {
            any = true;
            all.extend_from_slice(&s.samples);
        }
    }
    any.then_some(all)
}

/// The summary of a metric by name.
pub fn metric_summary<'a>(record: &'a Record, metric: &str) -> Option<&'a Summary> {
    let m = &record.metrics;
    match metric {
        "decode_tps" => m.decode_tps.as_ref(),
        "prefill_tps" => m.prefill_tps.as_ref(),
        "ttft_ms" => m.ttft_ms.as_ref(),
        "e2e_ms" => m.e2e_ms.as_ref(),
        "itl_ms" => m.itl_ms.as_ref(),
        _ => None,
    }
}
