//! SLO verdicts: each profile SLO checked against every result record its
//! filter matches, with the measured value, the signed margin and a note
//! saying why when there is nothing to compare.
//!
//! Units are the metric's: milliseconds for `*_ms`, tokens per second for
//! `*_tps`, and MiB (2^20 bytes, as `free -m` counts) for `peak_rss_mb`.
use edgebench_devices::profile::{Slo, SloMetric, Stat, SummaryMetric};
use serde::{Deserialize, Serialize};

use crate::record::{Record, Status};
use crate::stats::Summary;

/// Bytes in one MiB, the unit of `peak_rss_mb`.
pub const BYTES_PER_MB: f64 = 1_048_576.0;

/// The outcome of one SLO on one case.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Verdict {
    /// The SLO's name.
    pub slo: String,
    /// The metric's dotted name, e.g. `ttft_ms.p99`.
    pub metric: String,
    /// `<=` or `>=`.
    pub op: String,
    /// The limit, in the metric's unit.
    pub threshold: f64,
    /// The case's model: its profile id, else its label (synthetic spec or
    /// file name); `*` when no case matched the SLO.
    pub model: String,
    /// The case's backend id; `*` when no case matched.
    pub backend: String,
    /// The case's workload name, e.g. `req512+128`; `*` when no case matched.
    pub test: String,
    /// The case's CPU threads; 0 when no case matched.
    pub threads: u32,
    /// The measured value in the metric's unit; None when the case failed or
    /// did not measure the metric.
    pub measured: Option<f64>,
    /// Whether the case met the SLO. A case without a measured value fails.
    pub pass: bool,
    /// How far inside the limit the value is, in the metric's unit: positive
    /// passes, negative fails (threshold - measured for `<=`, measured -
    /// threshold for `>=`).
    pub margin: Option<f64>,
    /// The margin as a percentage of the threshold; None when the threshold
    /// is 0 or nothing was measured.
    pub margin_pct: Option<f64>,
    /// Why there is no measured value, when there is none.
    pub note: Option<String>,
}

/// One verdict per (SLO, matching record), in SLO order then record order;
/// an SLO that matches no record gets one failing verdict saying so.
///
/// An SLO matches a record when its `model` (if set) equals the record's
/// `model.id` and its `backend` (if set) equals the record's `backend.id`,
/// or `backend.id:ep` where ep is the execution provider in short lower-case
/// form (`CUDAExecutionProvider` -> `onnx:cuda`).
pub fn evaluate(slos: &[Slo], records: &[Record]) -> Vec<Verdict> {
    let mut out = Vec::new();
    for slo in slos {
        let before = out.len();
        for r in records.iter().filter(|r| matches(slo, r)) {
            out.push(verdict(slo, r));
        }
        if out.len() == before {
            out.push(Verdict {
                model: slo.model.clone().unwrap_or_else(|| "*".into()),
                backend: slo.backend.clone().unwrap_or_else(|| "*".into()),
                test: "*".into(),
                threads: 0,
                note: Some(if slo.metric.is_sustained() {
                    "no sustained run matched this SLO; add a [sustained] section naming its model and backend to the profile".into()
                } else {
                    "no case matched this SLO's filter; check its model and backend against the sweep's cases".into()
                }),
                ..blank(slo)
            });
        }
    }
    out
}

/// Whether every verdict passed (true for an empty list).
pub fn all_pass(verdicts: &[Verdict]) -> bool {
    verdicts.iter().all(|v| v.pass)
}

/// The verdicts as a Markdown table, one row per verdict, then a count.
pub fn render_verdicts_md(verdicts: &[Verdict]) -> String {
    let mut s = String::from(
        "| SLO | model | backend | test | threads | metric | limit | measured | margin | result |\n\
         | --- | --- | --- | --- | ---: | --- | --- | ---: | ---: | --- |\n",
    );
    for v in verdicts {
        let threads = if v.threads == 0 {
            "*".to_owned()
        } else {
            v.threads.to_string()
        };
        let measured = v.measured.map_or_else(|| "-".to_owned(), num);
        let margin = match (v.margin, v.margin_pct) {
            (Some(m), Some(p)) => format!("{}{} ({:+.1}%)", sign(m), num(m.abs()), p),
            (Some(m), None) => format!("{}{}", sign(m), num(m.abs())),
            _ => "-".to_owned(),
        };
        let result = match (&v.note, v.pass) {
            (_, true) => "PASS".to_owned(),
            (Some(n), false) => format!("FAIL: {n}"),
            (None, false) => "FAIL".to_owned(),
        };
        s.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} | {} {} | {} | {} | {} |\n",
            cell(&v.slo),
            cell(&v.model),
            cell(&v.backend),
            cell(&v.test),
            threads,
            cell(&v.metric),
            v.op,
            num(v.threshold),
            measured,
            margin,
            cell(&result),
        ));
    }
    let passed = verdicts.iter().filter(|v| v.pass).count();
    s.push_str(&format!(
        "\n{passed} of {} SLO checks passed.\n",
        verdicts.len()
    ));
    s
}

fn matches(slo: &Slo, r: &Record) -> bool {
    let model_ok = match &slo.model {
        None => true,
        Some(id) => r.model.id.as_deref() == Some(id.as_str()),
    };
    let backend_ok = match &slo.backend {
        None => true,
        Some(b) => *b == r.backend.id || Some(b.as_str()) == backend_with_ep(r).as_deref(),
    };
    // Sustained metrics come from sustained runs only, and the per-case
    // metrics from ordinary cases only (a sustained run's own TTFT and
    // decode figures are read from its record, not counted twice).
    use crate::record::RecordKind;
    let kind_ok = match r.kind {
        RecordKind::Sustained => slo.metric.is_sustained(),
        RecordKind::Llm | RecordKind::Bandwidth => !slo.metric.is_sustained(),
        // A load run's latencies are under queueing at chosen rates: its
        // capacity sizes the fleet; the SLO verdicts stay on the cases.
        RecordKind::Load | RecordKind::Conformance => false,
    };
    model_ok && backend_ok && kind_ok
}

/// `onnx:cuda` for backend `onnx` with provider `CUDAExecutionProvider`.
fn backend_with_ep(r: &Record) -> Option<String> {
    let ep = r.backend.execution_provider.as_ref()?;
    let short = ep.strip_suffix("ExecutionProvider").unwrap_or(ep);
    Some(format!("{}:{}", r.backend.id, short.to_ascii_lowercase()))
}

fn blank(slo: &Slo) -> Verdict {
    Verdict {
        slo: slo.name.clone(),
        metric: slo.metric.as_str().to_owned(),
        op: slo.op.as_str().to_owned(),
        threshold: slo.threshold,
        model: String::new(),
        backend: String::new(),
        test: String::new(),
        threads: 0,
        measured: None,
        pass: false,
        margin: None,
        margin_pct: None,
        note: None,
    }
}

fn verdict(slo: &Slo, r: &Record) -> Verdict {
    let base = Verdict {
        model: r.model.id.clone().unwrap_or_else(|| r.model_label()),
        backend: r.backend.id.clone(),
        test: r.workload.test.clone(),
        threads: r.workload.threads,
        ..blank(slo)
    };
    if r.status != Status::Ok {
        let why = r.reason.as_deref().unwrap_or("no reason recorded");
        return Verdict {
            note: Some(format!("case {}: {why}", r.status.as_str())),
            ..base
        };
    }
    let measured = match measure(slo.metric, r) {
        Ok(x) => x,
        Err(note) => {
            return Verdict {
                note: Some(note),
                ..base
            };
        }
    };
    let margin = slo.op.margin(measured, slo.threshold);
    Verdict {
        measured: Some(measured),
        pass: slo.op.holds(measured, slo.threshold),
        margin: Some(margin),
        margin_pct: (slo.threshold != 0.0).then(|| 100.0 * margin / slo.threshold.abs()),
        ..base
    }
}

/// The metric's value in `r`, or why there is none.
pub fn measure(metric: SloMetric, r: &Record) -> Result<f64, String> {
    let not_measured = || format!("{metric} not measured in this case");
    match metric {
        SloMetric::Summary(m, stat) => {
            let m_ = &r.metrics;
            let summary = match m {
                SummaryMetric::TtftMs => &m_.ttft_ms,
                SummaryMetric::PrefillTps => &m_.prefill_tps,
                SummaryMetric::DecodeTps => &m_.decode_tps,
                SummaryMetric::ItlMs => &m_.itl_ms,
                SummaryMetric::E2eMs => &m_.e2e_ms,
                // A metric a later build adds, read by this one.
                _ => &None,
            };
            let Some(s) = summary else {
                let hint = match m {
                    SummaryMetric::DecodeTps | SummaryMetric::ItlMs if r.workload.n_gen < 2 => {
                        " (n_gen < 2: no decode steps)"
                    }
                    _ => "",
                };
                return Err(format!("{}{hint}", not_measured()));
            };
            stat_of(s, stat).ok_or_else(not_measured)
        }
        SloMetric::PeakRssMb => r
            .metrics
            .peak_rss_bytes
            .map(|b| b as f64 / BYTES_PER_MB)
            .ok_or_else(not_measured),
        SloMetric::SustainedRatio | SloMetric::DegradationPct => {
            let Some(run) = &r.sustained else {
                return Err(format!(
                    "{metric} comes from sustained runs; this case is not one (add a \
                     [sustained] section to the profile, or run `edgebench sustained`)"
                ));
            };
            Ok(match metric {
                SloMetric::SustainedRatio => run.summary.sustained_ratio,
                _ => run.summary.degradation_pct,
            })
        }
        _ => Err(format!("{metric} is not measured by this edgebench")),
    }
}

fn stat_of(s: &Summary, stat: Stat) -> Option<f64> {
    match stat {
        Stat::Mean => Some(s.mean),
        Stat::Min => Some(s.min),
        Stat::P50 => Some(s.p50),
        Stat::P90 => Some(s.p90),
        Stat::P99 => Some(s.p99),
        Stat::Max => Some(s.max),
        _ => None,
    }
}

fn sign(x: f64) -> &'static str {
    if x < 0.0 { "-" } else { "+" }
}

/// A number with precision that suits its size: 2048, 1234.5, 12.35, 0.123.
fn num(x: f64) -> String {
    let a = x.abs();
    if x.fract() == 0.0 && a < 1e15 {
        format!("{x:.0}")
    } else if a >= 1000.0 {
        format!("{x:.1}")
    } else if a >= 1.0 {
        format!("{x:.2}")
    } else {
        format!("{x:.3}")
    }
}

/// A table cell: pipes escaped, line breaks flattened.
fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace(['\n', '\r'], " ")
}
