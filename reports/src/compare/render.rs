//! The comparison as Markdown for a CI job log: a one-line verdict, the
//! table of changes, then what was left out and why.
use std::fmt::Write;

use super::{Comparison, Side, Verdict};

fn side(s: Side) -> &'static str {
    match s {
        Side::Baseline => "baseline",
        Side::Candidate => "candidate",
    }
}

/// `|` would end a table cell early; names come from profiles and files.
fn cell(text: &str) -> String {
    text.replace('|', "\\|")
}

fn signed(x: f64) -> String {
    format!("{x:+.2}%")
}

/// Markdown summary of `c`.
pub fn to_markdown(c: &Comparison) -> String {
    let count = |v| c.with_verdict(v).len();
    let mut s = String::new();
    let head = if c.has_regression() {
        "REGRESSION"
    } else {
        "no regression"
    };
    let _ = writeln!(
        s,
        "## edgebench compare: {head}\n\n{} slower, {} faster, {} same, {} inconclusive \
         (threshold {}%, 95% bootstrap interval of the mean's change, at least {} samples \
         per side for a verdict)\n",
        count(Verdict::Slower),
        count(Verdict::Faster),
        count(Verdict::Same),
        count(Verdict::Inconclusive),
        c.threshold_pct,
        c.min_samples
    );
    if !c.cases.is_empty() {
        s.push_str("| case | metric | baseline | candidate | change | 95% CI | verdict |\n");
        s.push_str("|---|---|---:|---:|---:|---|---|\n");
        for case in &c.cases {
            for m in &case.metrics {
                let e = &m.estimate;
                let ci = match (e.ci_low_pct, e.ci_high_pct) {
                    (Some(lo), Some(hi)) => format!("[{}, {}]", signed(lo), signed(hi)),
                    _ => "-".into(),
                };
                let verdict = match (e.verdict, &e.note) {
                    (Verdict::Slower, _) => "**slower**".to_string(),
                    (v, Some(note)) => format!("{} ({note})", v.as_str()),
                    (v, None) => v.as_str().to_string(),
                };
                let _ = writeln!(
                    s,
                    "| {} | {} | {:.3} (n={}) | {:.3} (n={}) | {} | {ci} | {verdict} |",
                    cell(&case.label),
                    m.metric,
                    e.baseline_mean,
                    e.baseline_n,
                    e.candidate_mean,
                    e.candidate_n,
                    signed(e.change_pct)
                );
            }
        }
        s.push('\n');
    }
    if !c.skipped.is_empty() {
        s.push_str("### Left out\n\n");
        for k in &c.skipped {
            let _ = writeln!(s, "- {} ({}): {}", k.label, side(k.side), k.reason);
        }
        s.push('\n');
    }
    if !c.unmatched.is_empty() {
        s.push_str("### Unmatched\n\n");
        for u in &c.unmatched {
            let _ = writeln!(s, "- only in {}: {}", side(u.only_in), u.label);
        }
        s.push('\n');
    }
    s
}
