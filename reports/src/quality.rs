//! The quality tax of a quantisation: the same token ids through a reference
//! model (the f16/f32 file of the same weights) and through a quantised
//! model, compared position by position as llama.cpp's `perplexity` tool does
//! in KL-divergence mode (`--kl-divergence`): the KL divergence of the
//! model's next-token distribution from the reference's, whether their top
//! tokens agree, and the log-likelihood each gives the actual next token,
//! from which the perplexity ratio follows. docs/quality.md gives the
//! definitions.
//!
//! Figures on synthetic models (random weights, seeded ids) measure the
//! quantisation error of the logits, not task accuracy; the record says so.

use serde::{Deserialize, Serialize};

use crate::record::ToolInfo;

/// `log softmax(logits)` in f64.
pub fn log_softmax(logits: &[f32]) -> Vec<f64> {
    let max = logits
        .iter()
        .fold(f64::NEG_INFINITY, |m, &v| m.max(f64::from(v)));
    let sum: f64 = logits.iter().map(|&v| (f64::from(v) - max).exp()).sum();
    let log_z = max + sum.ln();
    logits.iter().map(|&v| f64::from(v) - log_z).collect()
}

/// `KL(P‖Q) = Σ p·(log p − log q)` from log-probabilities, in nats; `P` is
/// the reference. Clamped at 0 (rounding can give −1e-17 for equal inputs).
pub fn kl_divergence(log_p: &[f64], log_q: &[f64]) -> f64 {
    log_p
        .iter()
        .zip(log_q)
        .map(|(&lp, &lq)| lp.exp() * (lp - lq))
        .sum::<f64>()
        .max(0.0)
}

fn argmax(v: &[f64]) -> usize {
    v.iter()
        .enumerate()
        .fold((0, f64::NEG_INFINITY), |(bi, bv), (i, &x)| {
            if x > bv { (i, x) } else { (bi, bv) }
        })
        .0
}

/// One model's figures against the reference.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QualityStats {
    /// Positions compared (each a next-token distribution).
    pub positions: usize,
    /// Mean KL divergence, nats.
    pub mean_kld: f64,
    /// 99th percentile (nearest rank) of the per-position KL divergence.
    pub p99_kld: f64,
    /// Largest per-position KL divergence.
    pub max_kld: f64,
    /// Fraction of positions whose most likely tokens agree (0..1).
    pub top1_agreement: f64,
    /// Perplexity of the given next tokens under the reference.
    pub ppl_reference: f64,
    /// Perplexity of the given next tokens under the model.
    pub ppl: f64,
    /// `ln(ppl / ppl_reference)`: the mean log-likelihood lost per token.
    pub ln_ppl_ratio: f64,
}

impl QualityStats {
    /// `ppl − ppl_reference`.
    pub fn delta_ppl(&self) -> f64 {
        self.ppl - self.ppl_reference
    }
}

/// Why two logit sequences cannot be compared.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QualityError {
    /// Different numbers of positions.
    #[error("the reference gave {reference} positions and the model {model}")]
    Positions {
        /// Reference positions.
        reference: usize,
        /// Model positions.
        model: usize,
    },
    /// Different vocabulary sizes at a position.
    #[error(
        "position {position}: the reference has {reference} logits and the model {model}; \
         the models do not share a vocabulary"
    )]
    Vocab {
        /// The position.
        position: usize,
        /// Reference vocabulary.
        reference: usize,
        /// Model vocabulary.
        model: usize,
    },
    /// Nothing to compare.
    #[error("no positions to compare")]
    Empty,
}

/// Compares the model's logits with the reference's at every position.
/// `next[i]` is the token that follows position `i` (the log-likelihood
/// uses the positions that have one: `next.len()` may be one shorter than
/// the logits, the last position having no next token).
pub fn compare(
    reference: &[Vec<f32>],
    model: &[Vec<f32>],
    next: &[u32],
) -> Result<QualityStats, QualityError> {
    if reference.len() != model.len() {
        return Err(QualityError::Positions {
            reference: reference.len(),
            model: model.len(),
        });
    }
    if reference.is_empty() {
        return Err(QualityError::Empty);
    }
    let mut klds = Vec::with_capacity(reference.len());
    let (mut agree, mut ll_ref, mut ll, mut n_ll) = (0usize, 0.0f64, 0.0f64, 0usize);
    for (i, (r, m)) in reference.iter().zip(model).enumerate() {
        if r.len() != m.len() {
            return Err(QualityError::Vocab {
                position: i,
                reference: r.len(),
                model: m.len(),
            });
        }
        let (lp, lq) = (log_softmax(r), log_softmax(m));
        klds.push(kl_divergence(&lp, &lq));
        if argmax(&lp) == argmax(&lq) {
            agree += 1;
        }
        if let Some(&t) = next.get(i).filter(|&&t| (t as usize) < lp.len()) {
            ll_ref += lp[t as usize];
            ll += lq[t as usize];
            n_ll += 1;
        }
    }
    let n = klds.len();
    let mean_kld = klds.iter().sum::<f64>() / n as f64;
    let mut sorted = klds.clone();
    sorted.sort_by(f64::total_cmp);
    let rank = ((0.99 * n as f64).ceil() as usize).clamp(1, n);
    let (ppl_reference, ppl) = if n_ll > 0 {
        ((-ll_ref / n_ll as f64).exp(), (-ll / n_ll as f64).exp())
    } else {
        (f64::NAN, f64::NAN)
    };
    Ok(QualityStats {
        positions: n,
        mean_kld,
        p99_kld: sorted[rank - 1],
        max_kld: sorted[n - 1],
        top1_agreement: agree as f64 / n as f64,
        ppl_reference,
        ppl,
        ln_ppl_ratio: if n_ll > 0 {
            (ll_ref - ll) / n_ll as f64
        } else {
            f64::NAN
        },
    })
}

/// A (model, backend) of a quality check.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QualitySide {
    /// The model file.
    pub model: String,
    /// Its SHA-256.
    pub sha256: String,
    /// Its weight type (`q4_k_m`, `f16`...).
    pub quant: String,
    /// The backend id.
    pub backend: String,
    /// The backend's version.
    pub backend_version: String,
}

/// One quantised model's result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QualityRow {
    /// The model measured.
    pub side: QualitySide,
    /// Its figures against the reference.
    pub stats: QualityStats,
}

/// The record `edgebench quality` writes (`kind: "quality"`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QualityRecord {
    /// Always `"quality"`.
    pub kind: String,
    /// Version of this record's layout ([`QUALITY_SCHEMA_VERSION`]).
    pub schema_version: u32,
    /// The edgebench build that measured.
    pub edgebench: ToolInfo,
    /// When it was measured (RFC 3339).
    pub timestamp: String,
    /// Where the token ids came from: `seeded ids (seed N)` or a text.
    pub tokens_source: String,
    /// Token ids run through every model.
    pub n_tokens: usize,
    /// The reference.
    pub reference: QualitySide,
    /// Each model against it.
    pub rows: Vec<QualityRow>,
    /// What the figures mean here (random weights: quantisation error only).
    pub note: String,
    /// The device it ran on, as `compare` and `history` key results: the
    /// profile's device in a sweep, else `host:<board, cpu or hostname>`
    /// (absent in records made before it was kept).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device: Option<String>,
}

/// Version of [`QualityRecord`]'s layout.
pub const QUALITY_SCHEMA_VERSION: u32 = 1;

impl QualityRecord {
    /// A Markdown table, one row per model.
    pub fn to_markdown(&self) -> String {
        let mut s = format!(
            "Reference: {} on {} ({}); {} tokens, {}.\n\n",
            self.reference.model,
            self.reference.backend,
            self.reference.quant,
            self.n_tokens,
            self.tokens_source
        );
        s.push_str(
            "| model | quant | backend | mean KLD | p99 KLD | max KLD | top-1 | PPL | ref PPL | ln(PPL/ref) |\n\
             |---|---|---|---:|---:|---:|---:|---:|---:|---:|\n",
        );
        for r in &self.rows {
            let st = &r.stats;
            s.push_str(&format!(
                "| {} | {} | {} | {:.6} | {:.6} | {:.6} | {:.1} % | {:.3} | {:.3} | {:+.5} |\n",
                r.side.model,
                r.side.quant,
                r.side.backend,
                st.mean_kld,
                st.p99_kld,
                st.max_kld,
                st.top1_agreement * 100.0,
                st.ppl,
                st.ppl_reference,
                st.ln_ppl_ratio
            ));
        }
        s.push('\n');
        s.push_str(&self.note);
        s.push('\n');
        s
    }
}

/// The quality row measured for a model file (by SHA-256) in `records`:
/// on `backend` where there is one, else on any backend (the same weights
/// give nearly the same figures on each; the row names its backend).
pub fn lookup<'a>(
    records: &'a [QualityRecord],
    sha256: &str,
    backend: &str,
) -> Option<(&'a QualityRecord, &'a QualityRow)> {
    let rows = || {
        records
            .iter()
            .flat_map(|q| q.rows.iter().map(move |r| (q, r)))
            .filter(|(_, r)| !sha256.is_empty() && r.side.sha256 == sha256)
    };
    rows()
        .find(|(_, r)| r.side.backend == backend)
        .or_else(|| rows().next())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kld_of_a_model_against_itself_is_zero() {
        let l = vec![vec![0.5f32, -1.0, 2.0, 0.0], vec![3.0, 3.0, -2.0, 1.0]];
        let s = compare(&l, &l, &[2, 1]).unwrap();
        assert_eq!(s.mean_kld, 0.0);
        assert_eq!(s.max_kld, 0.0);
        assert_eq!(s.top1_agreement, 1.0);
        assert_eq!(s.ppl, s.ppl_reference);
        assert_eq!(s.ln_ppl_ratio, 0.0);
    }

    #[test]
    fn hand_computed_kld_on_four_tokens() {
        // P = (0.4, 0.3, 0.2, 0.1), Q = (0.25, 0.25, 0.25, 0.25): logits are
        // the log-probabilities themselves.
        let p = [0.4f64, 0.3, 0.2, 0.1];
        let r: Vec<f32> = p.iter().map(|v| v.ln() as f32).collect();
        let m = vec![0.0f32; 4];
        // KL = Σ p ln(p / 0.25) = 0.4 ln 1.6 + 0.3 ln 1.2 + 0.2 ln 0.8 + 0.1 ln 0.4
        let expect = 0.4 * 1.6f64.ln() + 0.3 * 1.2f64.ln() + 0.2 * 0.8f64.ln() + 0.1 * 0.4f64.ln();
        assert!((expect - 0.106_440).abs() < 1e-6, "{expect}");
        let s = compare(std::slice::from_ref(&r), std::slice::from_ref(&m), &[1]).unwrap();
        assert!((s.mean_kld - expect).abs() < 1e-6, "{}", s.mean_kld);
        // Next token 1: ln p = ln 0.3, ln q = ln 0.25.
        assert!((s.ppl_reference - 1.0 / 0.3).abs() < 1e-5);
        assert!((s.ppl - 4.0).abs() < 1e-5);
        assert!((s.ln_ppl_ratio - (0.3f64 / 0.25).ln()).abs() < 1e-6);
        // Uniform Q: every logit ties, argmax picks the first, as P's does.
        assert_eq!(s.top1_agreement, 1.0);
        let s = compare(&[m], &[r], &[]).unwrap();
        assert_eq!(s.top1_agreement, 1.0);
        assert!(s.ppl.is_nan(), "no next tokens: no perplexity");
    }

    #[test]
    fn percentile_and_disagreement() {
        // 100 positions: 99 equal, one where the model's top token differs.
        let same = vec![1.0f32, 0.0, 0.0];
        let mut reference = vec![same.clone(); 100];
        let mut model = reference.clone();
        reference[37] = vec![2.0, 0.0, 0.0];
        model[37] = vec![0.0, 2.0, 0.0];
        let s = compare(&reference, &model, &[]).unwrap();
        assert_eq!(s.top1_agreement, 0.99);
        assert!(s.max_kld > 0.0);
        // Nearest rank: the 99th of 100 sorted values is still 0.
        assert_eq!(s.p99_kld, 0.0);
        assert!((s.mean_kld - s.max_kld / 100.0).abs() < 1e-12);
    }

    #[test]
    fn mismatched_inputs_are_refused() {
        let a = vec![vec![0.0f32; 4]];
        let b = vec![vec![0.0f32; 5]];
        let e = compare(&a, &b, &[]).unwrap_err().to_string();
        assert!(
            e.contains("4 logits") && e.contains("5") && e.contains("vocabulary"),
            "{e}"
        );
        assert!(matches!(
            compare(&a, &[], &[]),
            Err(QualityError::Positions { .. })
        ));
        assert_eq!(compare(&[], &[], &[]), Err(QualityError::Empty));
    }
}
