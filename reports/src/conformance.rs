//! The `conformance` record kind: the same token ids run through two (model,
//! backend) pairs with teacher forcing, and how far their logits agree.
//!
//! Per compared position: whether the two argmaxes (top-1 tokens) agree, the
//! largest absolute logit difference, and the cosine similarity of the two
//! logit vectors. A pair passes when all three stay within the tolerance of
//! its class (see [`Tolerance`] and docs/conformance.md).
//!
//! Why tolerances differ by class: for quantised weights (q4_0, q8_0 and the
//! k-quants) llama.cpp quantises the *activations* to 8-bit blocks before the
//! dot product (`vec_dot_type` q8_0/q8_K), while ONNX Runtime's MatMulNBits
//! and candle each do it their own way (or not at all), so two correct
//! engines differ by up to a few percent of the logit range. f16 weights are
//! multiplied with f16-rounded activations by llama.cpp on CPU, so even the
//! float class allows more than f32 rounding. Random synthetic weights make
//! near-ties between the top two logits common, so top-1 agreement is
//! required on most positions, not all.
use serde::{Deserialize, Serialize};

use crate::record::{RecordKind, ToolInfo};

/// The tolerance class of a pair: the coarser of its two models decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ToleranceClass {
    /// f32 or f16 weights on both sides.
    Float,
    /// Quantised weights (q8_0, q4_0, k-quants, MatMulNBits) on either side.
    Quantised,
}

impl ToleranceClass {
    /// The class of a model from its weight type name (`f32`, `f16`,
    /// `bf16`, `q8_0`, `q4_0`, `q4_k_m`...). Unknown names count as
    /// quantised (the looser class), never as float.
    pub fn of_quant(quant: Option<&str>) -> ToleranceClass {
        match quant.map(|q| q.to_ascii_lowercase()) {
            Some(q)
                if matches!(
                    q.as_str(),
                    "f32" | "f16" | "bf16" | "all_f32" | "mostly_f16"
                ) =>
            {
                ToleranceClass::Float
            }
            _ => ToleranceClass::Quantised,
        }
    }

    /// The coarser of two classes.
    pub fn coarser(self, other: ToleranceClass) -> ToleranceClass {
        if self == ToleranceClass::Quantised || other == ToleranceClass::Quantised {
            ToleranceClass::Quantised
        } else {
            ToleranceClass::Float
        }
    }
}

/// Pass limits for one pair.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Tolerance {
    /// The class these limits come from (or `None`-like custom: still the
    /// class of the pair, with limits overridden on the command line).
    pub class: ToleranceClass,
    /// Fraction of compared positions whose top-1 tokens must agree.
    pub min_top1_agreement: f64,
    /// The lowest cosine similarity allowed at any position.
    pub min_cosine: f64,
    /// The largest absolute logit difference allowed at any position, as a
    /// fraction of that position's reference logit range (max - min): logits
    /// of different models live on different scales.
    pub max_abs_diff_rel: f64,
}

impl Tolerance {
    /// The documented limits of a class (docs/conformance.md).
    pub fn for_class(class: ToleranceClass) -> Tolerance {
        match class {
            ToleranceClass::Float => Tolerance {
                class,
                min_top1_agreement: 0.95,
                min_cosine: 0.9999,
                max_abs_diff_rel: 0.02,
            },
            ToleranceClass::Quantised => Tolerance {
                class,
                min_top1_agreement: 0.80,
                min_cosine: 0.995,
                max_abs_diff_rel: 0.10,
            },
        }
    }
}

/// One side of a compared pair.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConformanceSide {
    /// Model file as given.
    pub model: String,
    /// sha256 of the model (for ONNX: of the model file and its external data).
    pub sha256: String,
    /// Weight type (`q4_0`, `f16`...) when known.
    pub quant: Option<String>,
    /// Backend id, e.g. `llama.cpp`, `onnx:cpu`, `cpu`.
    pub backend: String,
    /// Backend version as the backend reports it.
    pub backend_version: String,
    /// Execution provider that actually ran (ONNX Runtime).
    pub execution_provider: Option<String>,
}

/// The comparison of one position.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PositionResult {
    /// Token position (0-based) whose next-token logits were compared.
    pub pos: u32,
    /// Top-1 token of the reference side (A).
    pub top1_a: u32,
    /// Top-1 token of side B.
    pub top1_b: u32,
    /// Largest |a - b| over the vocabulary.
    pub max_abs_diff: f64,
    /// Reference logit range at this position (max - min of A).
    pub range_a: f64,
    /// Cosine similarity of the two logit vectors.
    pub cosine: f64,
}

/// One compared pair with its verdict.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PairResult {
    /// Reference side.
    pub a: ConformanceSide,
    /// Compared side.
    pub b: ConformanceSide,
    /// The limits applied.
    pub tolerance: Tolerance,
    /// Positions compared.
    pub positions: Vec<PositionResult>,
    /// Fraction of positions with the same top-1 token.
    pub top1_agreement: f64,
    /// Largest absolute logit difference over all positions.
    pub max_abs_diff: f64,
    /// Largest `max_abs_diff / range_a` over all positions.
    pub max_abs_diff_rel: f64,
    /// Smallest cosine similarity over all positions.
    pub min_cosine: f64,
    /// Mean cosine similarity.
    pub mean_cosine: f64,
    /// Whether every limit held.
    pub pass: bool,
    /// The limits that failed, each saying measured vs allowed.
    pub failures: Vec<String>,
}

/// A conformance check: the token ids used and every pair's result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConformanceRecord {
    /// Schema version ([`crate::SCHEMA_VERSION`]).
    pub schema_version: u32,
    /// Always `conformance`.
    pub kind: RecordKind,
    /// The edgebench build.
    pub edgebench: ToolInfo,
    /// When the check ran, RFC 3339 UTC.
    pub timestamp: String,
    /// Prompt tokens run as one prefill before the decode steps.
    pub n_prefill: u32,
    /// The token ids fed to every pair (prefill, then one per decode step).
    pub tokens: Vec<u32>,
    /// Every pair, each compared against the first (model, backend).
    pub pairs: Vec<PairResult>,
    /// Whether every pair passed.
    pub pass: bool,
}

/// What a difference reads as when it cannot be measured (a NaN or an
/// infinity in either vector, vectors of different lengths, no logits):
/// the largest finite f64, so the record still round-trips through JSON
/// (which has no infinity) and the limits still fail.
pub const UNMEASURABLE: f64 = f64::MAX;

/// Compares two logit vectors of one position.
pub fn compare_position(pos: u32, a: &[f32], b: &[f32]) -> PositionResult {
    let n = a.len().min(b.len());
    let (mut dot, mut na, mut nb, mut max_abs) = (0.0f64, 0.0f64, 0.0f64, 0.0f64);
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for i in 0..n {
        let (x, y) = (f64::from(a[i]), f64::from(b[i]));
        dot += x * y;
        na += x * x;
        nb += y * y;
        max_abs = max_abs.max((x - y).abs());
        lo = lo.min(x);
        hi = hi.max(x);
    }
    if n == 0 || a.len() != b.len() || a.iter().chain(b).any(|v| !v.is_finite()) {
        max_abs = UNMEASURABLE;
    }
    // Two all-zero (or empty) vectors are not "the same logits": a model
    // that outputs nothing must not pass.
    let cosine = if na > 0.0 && nb > 0.0 {
        dot / (na.sqrt() * nb.sqrt())
    } else {
        0.0
    };
    PositionResult {
        pos,
        top1_a: argmax(a),
        top1_b: argmax(b),
        max_abs_diff: max_abs,
        range_a: if n == 0 { 0.0 } else { hi - lo },
        cosine: if cosine.is_finite() { cosine } else { 0.0 },
    }
}

/// Index of the largest value (the first of equal ones); NaN never wins.
pub fn argmax(v: &[f32]) -> u32 {
    let mut best = 0usize;
    for (i, &x) in v.iter().enumerate() {
        if x > v[best] || v[best].is_nan() {
            best = i;
        }
    }
    best as u32
}

/// Aggregates positions into a pair's result and verdict.
pub fn judge(
    a: ConformanceSide,
    b: ConformanceSide,
    tolerance: Tolerance,
    positions: Vec<PositionResult>,
) -> PairResult {
    let n = positions.len().max(1) as f64;
    let agree = positions.iter().filter(|p| p.top1_a == p.top1_b).count() as f64;
    let top1_agreement = if positions.is_empty() { 0.0 } else { agree / n };
    let max_abs_diff = positions.iter().map(|p| p.max_abs_diff).fold(0.0, f64::max);
    let max_abs_diff_rel = positions
        .iter()
        .map(|p| {
            if p.max_abs_diff >= UNMEASURABLE {
                UNMEASURABLE
            } else if p.range_a > 0.0 {
                (p.max_abs_diff / p.range_a).min(UNMEASURABLE)
            } else {
                // A flat reference row: no scale to judge a difference on.
                UNMEASURABLE
            }
        })
        .fold(0.0, f64::max);
    let min_cosine = positions
        .iter()
        .map(|p| p.cosine)
        .fold(f64::INFINITY, f64::min);
    let min_cosine = if positions.is_empty() {
        0.0
    } else {
        min_cosine
    };
    let mean_cosine = positions.iter().map(|p| p.cosine).sum::<f64>() / n;
    let mut failures = vec![];
    if positions.is_empty() {
        failures.push("no positions were compared".to_string());
    }
    if top1_agreement < tolerance.min_top1_agreement {
        failures.push(format!(
            "top-1 agreement {:.3} < {:.3}",
            top1_agreement, tolerance.min_top1_agreement
        ));
    }
    if min_cosine < tolerance.min_cosine {
        failures.push(format!(
            "min cosine {:.6} < {:.6}",
            min_cosine, tolerance.min_cosine
        ));
    }
    if max_abs_diff_rel > tolerance.max_abs_diff_rel || max_abs_diff_rel.is_nan() {
        failures.push(format!(
            "max |logit diff| {:.4} = {:.4} of the logit range > {:.4}",
            max_abs_diff, max_abs_diff_rel, tolerance.max_abs_diff_rel
        ));
    }
    PairResult {
        a,
        b,
        tolerance,
        positions,
        top1_agreement,
        max_abs_diff,
        max_abs_diff_rel,
        min_cosine,
        mean_cosine,
        pass: failures.is_empty(),
        failures,
    }
}

impl ConformanceRecord {
    /// A Markdown table: one row per pair.
    pub fn to_markdown(&self) -> String {
        let mut out = format!(
            "Conformance: {} tokens ({} prefill, then one per decode step), teacher-forced; \
             each pair against the first.\n\n",
            self.tokens.len(),
            self.n_prefill
        );
        out.push_str(
            "| reference | compared | class | top-1 agree | max abs diff (rel) | min cosine | mean cosine | verdict |\n\
             |---|---|---|---:|---:|---:|---:|---|\n",
        );
        for p in &self.pairs {
            let side = |s: &ConformanceSide| {
                format!(
                    "{} on {}",
                    std::path::Path::new(&s.model)
                        .file_name()
                        .map_or(s.model.clone(), |f| f.to_string_lossy().into_owned()),
                    s.backend
                )
            };
            out.push_str(&format!(
                "| {} | {} | {} | {:.3} (≥ {:.2}) | {:.4} ({:.4} ≤ {:.2}) | {:.6} (≥ {}) | {:.6} | {} |\n",
                side(&p.a),
                side(&p.b),
                match p.tolerance.class {
                    ToleranceClass::Float => "float",
                    ToleranceClass::Quantised => "quantised",
                },
                p.top1_agreement,
                p.tolerance.min_top1_agreement,
                p.max_abs_diff,
                p.max_abs_diff_rel,
                p.tolerance.max_abs_diff_rel,
                p.min_cosine,
                p.tolerance.min_cosine,
                p.mean_cosine,
                if p.pass {
                    "PASS".to_string()
                } else {
                    format!("FAIL: {}", p.failures.join("; "))
                }
            ));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn side(name: &str) -> ConformanceSide {
        ConformanceSide {
            model: name.into(),
            sha256: "0".repeat(64),
            quant: Some("q4_0".into()),
            backend: "mock".into(),
            backend_version: "1".into(),
            execution_provider: None,
        }
    }

    #[test]
    fn identical_logits_pass_and_differences_are_measured() {
        let a = [0.0f32, 1.0, 5.0, -2.0];
        let same = compare_position(3, &a, &a);
        assert_eq!(same.max_abs_diff, 0.0);
        assert!((same.cosine - 1.0).abs() < 1e-12);
        assert_eq!((same.top1_a, same.top1_b), (2, 2));
        assert_eq!(same.range_a, 7.0);
        let b = [0.0f32, 6.0, 5.0, -2.0];
        let diff = compare_position(3, &a, &b);
        assert_eq!(diff.max_abs_diff, 5.0);
        assert_eq!((diff.top1_a, diff.top1_b), (2, 1));
        assert!(diff.cosine < 0.9);
    }

    #[test]
    fn verdicts_follow_the_tolerance() {
        let tol = Tolerance::for_class(ToleranceClass::Float);
        let a: Vec<f32> = (0..100).map(|i| (i as f32 * 0.37).sin()).collect();
        let near: Vec<f32> = a.iter().map(|x| x + 1e-4).collect();
        let pos: Vec<_> = (0..10).map(|p| compare_position(p, &a, &near)).collect();
        let ok = judge(side("a"), side("b"), tol, pos);
        assert!(ok.pass, "{:?}", ok.failures);
        assert_eq!(ok.top1_agreement, 1.0);
        // A perturbed side: one logit raised past the top one at every position.
        let mut far = a.clone();
        far[0] = 10.0;
        let pos: Vec<_> = (0..10).map(|p| compare_position(p, &a, &far)).collect();
        let bad = judge(side("a"), side("b"), tol, pos);
        assert!(!bad.pass);
        assert_eq!(bad.top1_agreement, 0.0);
        assert_eq!(bad.failures.len(), 3, "{:?}", bad.failures);
        assert!(bad.to_string_table().contains("FAIL"));
        // Nothing compared is never a pass.
        assert!(!judge(side("a"), side("b"), tol, vec![]).pass);
    }

    #[test]
    fn nan_length_mismatch_and_flat_logits_fail_and_round_trip() {
        let a = [1.0f32, 2.0];
        let p = compare_position(0, &a, &[1.0, f32::NAN]);
        assert_eq!(p.max_abs_diff, UNMEASURABLE);
        let q = compare_position(1, &a, &[1.0]);
        assert_eq!(q.max_abs_diff, UNMEASURABLE);
        let zeros = compare_position(2, &[0.0, 0.0], &[0.0, 0.0]);
        assert_eq!(zeros.cosine, 0.0);
        let empty = compare_position(3, &[], &[]);
        assert_eq!(empty.max_abs_diff, UNMEASURABLE);
        let tol = Tolerance::for_class(ToleranceClass::Quantised);
        for pos in [p, q, zeros, empty] {
            let r = judge(side("a"), side("b"), tol, vec![pos]);
            assert!(!r.pass, "{pos:?}");
        }
        // A failing record is written and read back intact (JSON has no
        // infinity or NaN: serde_json would write null and fail to read it).
        let rec = record_of(judge(side("a"), side("b"), tol, vec![p, q]));
        let text = serde_json::to_string(&rec).unwrap();
        let back: ConformanceRecord = serde_json::from_str(&text).unwrap();
        assert_eq!(back, rec);
    }

    #[test]
    fn classes() {
        assert_eq!(ToleranceClass::of_quant(Some("F16")), ToleranceClass::Float);
        assert_eq!(
            ToleranceClass::of_quant(Some("q8_0")),
            ToleranceClass::Quantised
        );
        assert_eq!(ToleranceClass::of_quant(None), ToleranceClass::Quantised);
        assert_eq!(
            ToleranceClass::Float.coarser(ToleranceClass::Quantised),
            ToleranceClass::Quantised
        );
    }

    /// A record holding one pair.
    fn record_of(pair: PairResult) -> ConformanceRecord {
        ConformanceRecord {
            schema_version: crate::SCHEMA_VERSION,
            kind: RecordKind::Conformance,
            edgebench: ToolInfo {
                version: "0".into(),
                commit: None,
                dirty: None,
            },
            timestamp: String::new(),
            n_prefill: 1,
            tokens: vec![1, 2],
            pass: pair.pass,
            pairs: vec![pair],
        }
    }

    impl PairResult {
        fn to_string_table(&self) -> String {
            record_of(self.clone()).to_markdown()
        }
    }
}
