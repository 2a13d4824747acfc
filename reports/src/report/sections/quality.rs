//! The quality section: every quality check in the inputs (edgebench
//! quality), each quantised model against its reference (docs/quality.md).
use crate::report::Report;
use crate::report::doc::{Block, Section};
use crate::report::table::Table;

fn file_name(p: &str) -> String {
    std::path::Path::new(p)
        .file_name()
        .map_or_else(|| p.to_owned(), |f| f.to_string_lossy().into_owned())
}

/// The section.
pub(super) fn section(report: &Report) -> Section {
    let mut s = Section::new("Quality against the reference", "quality");
    if report.quality.is_empty() {
        s.para(
            "No quality results in these inputs (edgebench quality MODEL... --reference REF \
             --out FILE writes them).",
        );
        return s;
    }
    s.para(
        "The same token ids through the reference and each model, teacher-forced; per position \
         the KL divergence of the next-token distributions, top-1 agreement, and the \
         perplexity of the given next tokens, as llama.cpp's perplexity tool in KL-divergence \
         mode defines them (docs/quality.md).",
    );
    let mut t = Table::new(&[
        "reference",
        "model",
        "quant",
        "backend",
        ">positions",
        ">mean KLD",
        ">p99 KLD",
        ">max KLD",
        ">top-1 %",
        ">ln(PPL/ref)",
    ]);
    let mut notes = vec![];
    for q in &report.quality {
        for r in &q.rows {
            let st = &r.stats;
            t.row(vec![
                format!(
                    "{} on {}",
                    file_name(&q.reference.model),
                    q.reference.backend
                )
                .into(),
                file_name(&r.side.model).into(),
                r.side.quant.clone().into(),
                r.side.backend.clone().into(),
                st.positions.to_string().into(),
                format!("{:.6}", st.mean_kld).into(),
                format!("{:.6}", st.p99_kld).into(),
                format!("{:.6}", st.max_kld).into(),
                format!("{:.1}", st.top1_agreement * 100.0).into(),
                format!("{:+.5}", st.ln_ppl_ratio).into(),
            ]);
        }
        let note = format!("{} tokens, {}: {}", q.n_tokens, q.tokens_source, q.note);
        if !notes.contains(&note) {
            notes.push(note);
        }
    }
    s.push(Block::Table(t));
    s.push(Block::List(notes));
    s
}
