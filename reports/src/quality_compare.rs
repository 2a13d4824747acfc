//! Quality regressions: two quality records (`edgebench quality --out`)
//! compared model by model. Quality figures are deterministic for a given
//! model file, backend build and token ids, so there is no sampling noise
//! to test against: a change beyond the threshold is a real change (a new
//! quantiser, a backend kernel that lost precision, a different file).
use serde::{Deserialize, Serialize};

use crate::quality::{QualityRecord, QualityRow, QualityStats};

/// A mean KLD this much higher (nats) is never "the same", whatever the
/// threshold: below it, floating-point reordering across builds.
pub const KLD_FLOOR: f64 = 1e-6;

/// Top-1 agreement this many percentage points lower is worse.
pub const TOP1_POINTS: f64 = 1.0;

/// How a model's quality moved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QualityVerdict {
    /// Mean KLD up beyond the threshold, or top-1 down by more than
    /// [`TOP1_POINTS`]: a regression.
    Worse,
    /// The opposite.
    Better,
    /// Within both.
    Same,
}

/// One model on one backend, in both records.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QualityChange {
    /// The model file's name, its quant and backend.
    pub label: String,
    /// Baseline figures.
    pub baseline: QualityStats,
    /// Candidate figures.
    pub candidate: QualityStats,
    /// Mean KLD change, % of the baseline's (infinite from 0).
    pub mean_kld_change_pct: f64,
    /// Top-1 agreement change, percentage points.
    pub top1_change_points: f64,
    /// The verdict.
    pub verdict: QualityVerdict,
}

/// The comparison.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QualityComparison {
    /// The threshold, % of the baseline's mean KLD.
    pub threshold_pct: f64,
    /// Rows found in both.
    pub changes: Vec<QualityChange>,
    /// Rows of one side only (another model, backend, reference or ids).
    pub unmatched: Vec<String>,
}

impl QualityComparison {
    /// Whether any model got worse.
    pub fn has_regression(&self) -> bool {
        self.changes
            .iter()
            .any(|c| c.verdict == QualityVerdict::Worse)
    }
}

/// What must agree for two rows to be compared: the model file, the
/// backend, the reference file and the token ids.
fn key(q: &QualityRecord, r: &QualityRow) -> (String, String, String, usize, String) {
    (
        r.side.sha256.clone(),
        r.side.backend.clone(),
        q.reference.sha256.clone(),
        q.n_tokens,
        q.tokens_source.clone(),
    )
}

fn label(r: &QualityRow) -> String {
    let file = std::path::Path::new(&r.side.model).file_name().map_or_else(
        || r.side.model.clone(),
        |f| f.to_string_lossy().into_owned(),
    );
    format!("{file} · {} · {}", r.side.quant, r.side.backend)
}

/// How a mean KLD moved from `before` to `after`: the change in % of
/// `before` (infinite from 0) and whether that is worse, better or the
/// same at `threshold_pct` (a change under [`KLD_FLOOR`] nats is the same).
pub fn judge_kld(before: f64, after: f64, threshold_pct: f64) -> (f64, QualityVerdict) {
    let pct = if before > 0.0 {
        (after - before) / before * 100.0
    } else if after > 0.0 {
        f64::INFINITY
    } else {
        0.0
    };
    let beyond = (after - before).abs() > KLD_FLOOR && pct.abs() > threshold_pct;
    let verdict = match (beyond, after > before) {
        (true, true) => QualityVerdict::Worse,
        (true, false) => QualityVerdict::Better,
        (false, _) => QualityVerdict::Same,
    };
    (pct, verdict)
}

/// How top-1 agreement (%) moved: the change in percentage points and
/// whether it is beyond [`TOP1_POINTS`] either way.
pub fn judge_top1(before_pct: f64, after_pct: f64) -> (f64, QualityVerdict) {
    let points = after_pct - before_pct;
    let verdict = if points < -TOP1_POINTS {
        QualityVerdict::Worse
    } else if points > TOP1_POINTS {
        QualityVerdict::Better
    } else {
        QualityVerdict::Same
    };
    (points, verdict)
}

/// Compares every row of `baseline` with the candidate's row of the same
/// key; `threshold_pct` is the mean-KLD change (% of the baseline's) that
/// counts as worse or better.
pub fn compare_quality(
    baseline: &[QualityRecord],
    candidate: &[QualityRecord],
    threshold_pct: f64,
) -> QualityComparison {
    let rows = |v: &'_ [QualityRecord]| -> Vec<(_, QualityRow)> {
        v.iter()
            .flat_map(|q| q.rows.iter().map(move |r| (key(q, r), r.clone())))
            .collect()
    };
    let (base, cand) = (rows(baseline), rows(candidate));
    let mut changes = vec![];
    let mut unmatched = vec![];
    for (k, b) in &base {
        let Some((_, c)) = cand.iter().find(|(ck, _)| ck == k) else {
            unmatched.push(format!("baseline only: {}", label(b)));
            continue;
        };
        let (pct, by_kld) = judge_kld(b.stats.mean_kld, c.stats.mean_kld, threshold_pct);
        let (top1, by_top1) = judge_top1(
            b.stats.top1_agreement * 100.0,
            c.stats.top1_agreement * 100.0,
        );
        let verdict = if by_kld == QualityVerdict::Worse || by_top1 == QualityVerdict::Worse {
            QualityVerdict::Worse
        } else if by_kld == QualityVerdict::Better || by_top1 == QualityVerdict::Better {
            QualityVerdict::Better
        } else {
            QualityVerdict::Same
        };
        changes.push(QualityChange {
            label: label(b),
            baseline: b.stats.clone(),
            candidate: c.stats.clone(),
            mean_kld_change_pct: pct,
            top1_change_points: top1,
            verdict,
        });
    }
    for (k, c) in &cand {
        if !base.iter().any(|(bk, _)| bk == k) {
            unmatched.push(format!("candidate only: {}", label(c)));
        }
    }
    QualityComparison {
        threshold_pct,
        changes,
        unmatched,
    }
}

/// A Markdown table, one row per model, and the unmatched rows.
pub fn to_markdown(c: &QualityComparison) -> String {
    use std::fmt::Write;
    let mut s = format!(
        "Quality comparison: mean KLD change beyond {} % of the baseline's (and {KLD_FLOOR} \
         nats), or top-1 agreement down by more than {TOP1_POINTS} point, is a regression.\n\n\
         | model | baseline mean KLD | candidate mean KLD | change | top-1 baseline | top-1 \
         candidate | verdict |\n|---|---:|---:|---:|---:|---:|---|\n",
        c.threshold_pct
    );
    for x in &c.changes {
        let _ = writeln!(
            s,
            "| {} | {:.6} | {:.6} | {:+.1} % | {:.1} % | {:.1} % | {} |",
            x.label,
            x.baseline.mean_kld,
            x.candidate.mean_kld,
            x.mean_kld_change_pct,
            x.baseline.top1_agreement * 100.0,
            x.candidate.top1_agreement * 100.0,
            match x.verdict {
                QualityVerdict::Worse => "WORSE",
                QualityVerdict::Better => "better",
                QualityVerdict::Same => "same",
            }
        );
    }
    if !c.unmatched.is_empty() {
        s.push_str("\nNot compared (no row with the same model file, backend, reference and ids on the other side):\n\n");
        for u in &c.unmatched {
            let _ = writeln!(s, "- {u}");
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::quality::QualitySide;

    fn rec(kld: f64, top1: f64) -> QualityRecord {
        let side = |q: &str, sha: &str| QualitySide {
            model: format!("/m/{q}.gguf"),
            sha256: sha.into(),
            quant: q.into(),
            backend: "llama.cpp".into(),
            backend_version: "1".into(),
        };
        let stats = QualityStats {
            positions: 128,
            mean_kld: kld,
            p99_kld: kld * 3.0,
            max_kld: kld * 5.0,
            top1_agreement: top1,
            ppl_reference: 10.0,
            ppl: 10.1,
            ln_ppl_ratio: 0.01,
        };
        QualityRecord {
            kind: "quality".into(),
            schema_version: 1,
            edgebench: crate::record::ToolInfo {
                version: "0".into(),
                commit: None,
                dirty: None,
            },
            timestamp: "t".into(),
            tokens_source: "seeded ids (seed 42)".into(),
            n_tokens: 128,
            reference: side("f16", "r"),
            rows: vec![QualityRow {
                side: side("q4_k_m", "a"),
                stats,
            }],
            note: String::new(),
            device: None,
        }
    }

    #[test]
    fn a_higher_kld_or_a_lower_top1_is_a_regression() {
        let base = [rec(0.0100, 0.96)];
        let same = compare_quality(&base, &[rec(0.0103, 0.955)], 5.0);
        assert_eq!(same.changes[0].verdict, QualityVerdict::Same);
        assert!(!same.has_regression());
        let worse = compare_quality(&base, &[rec(0.0110, 0.96)], 5.0);
        assert_eq!(worse.changes[0].verdict, QualityVerdict::Worse);
        assert!((worse.changes[0].mean_kld_change_pct - 10.0).abs() < 1e-9);
        assert!(worse.has_regression());
        let top1 = compare_quality(&base, &[rec(0.0100, 0.94)], 5.0);
        assert_eq!(top1.changes[0].verdict, QualityVerdict::Worse);
        let better = compare_quality(&base, &[rec(0.0080, 0.96)], 5.0);
        assert_eq!(better.changes[0].verdict, QualityVerdict::Better);
        // Below the floor, a large relative change of a tiny KLD is noise.
        let tiny = compare_quality(&[rec(1e-8, 1.0)], &[rec(5e-8, 1.0)], 5.0);
        assert_eq!(tiny.changes[0].verdict, QualityVerdict::Same);
        assert!(to_markdown(&worse).contains("| WORSE |"));
    }

    #[test]
    fn other_files_or_ids_are_not_compared() {
        let mut other = rec(0.01, 0.96);
        other.rows[0].side.sha256 = "b".into();
        let c = compare_quality(&[rec(0.01, 0.96)], &[other], 5.0);
        assert!(c.changes.is_empty());
        assert_eq!(c.unmatched.len(), 2);
        let mut ids = rec(0.01, 0.96);
        ids.tokens_source = "seeded ids (seed 7)".into();
        assert!(
            compare_quality(&[rec(0.01, 0.96)], &[ids], 5.0)
                .changes
                .is_empty()
        );
    }
}
