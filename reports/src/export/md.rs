//! Markdown export: a table for reading (one row per record, columns padded
//! so the raw text lines up too), then one line per failure and per warning.
use crate::record::{Record, Status};
use crate::stats::Summary;

/// Shown in a cell whose value is absent.
const ABSENT: &str = "–";

/// Column headers and whether each is numeric (right-aligned).
const COLUMNS: [(&str, bool); 12] = [
    ("model", false),
    ("backend", false),
    ("threads", true),
    ("test", false),
    ("prefill t/s", true),
    ("decode t/s", true),
    ("TTFT p50 ms", true),
    ("TTFT p99 ms", true),
    ("ITL p50 ms", true),
    ("ITL p99 ms", true),
    ("peak RSS", true),
    ("status", false),
];

/// The Markdown table and notes for `records`, ending with a newline.
pub(super) fn render(records: &[Record]) -> String {
    let rows: Vec<[String; 12]> = records.iter().map(row).collect();
    let mut widths = COLUMNS.map(|(name, _)| name.chars().count());
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }

    let mut out = String::new();
    let header = COLUMNS.map(|(name, _)| name.to_string());
    push_row(&mut out, &header, &widths);
    let rule: Vec<String> = COLUMNS
        .iter()
        .zip(widths)
        .map(|((_, numeric), w)| {
            if *numeric {
                format!("{}:", "-".repeat(w.saturating_sub(1).max(3)))
            } else {
                "-".repeat(w.max(3))
            }
        })
        .collect();
    out.push_str(&format!("| {} |\n", rule.join(" | ")));
    for row in &rows {
        push_row(&mut out, row, &widths);
    }

    let notes = notes(records);
    if !notes.is_empty() {
        out.push('\n');
        for note in notes {
            out.push_str(&note);
            out.push('\n');
        }
    }
    out
}

/// Appends one table row, each cell padded to its column's width.
fn push_row(out: &mut String, cells: &[String; 12], widths: &[usize; 12]) {
    let padded: Vec<String> = cells
        .iter()
        .zip(widths)
        .zip(COLUMNS)
        .map(|((cell, w), (_, numeric))| {
            let pad = " ".repeat(w.saturating_sub(cell.chars().count()));
            if numeric {
                format!("{pad}{cell}")
            } else {
                format!("{cell}{pad}")
            }
        })
        .collect();
    out.push_str(&format!("| {} |\n", padded.join(" | ")));
}

/// The cells of one record's row.
fn row(r: &Record) -> [String; 12] {
    let m = &r.metrics;
    [
        cell(&r.model_label()),
        cell(&backend_label(r)),
        r.workload.threads.to_string(),
        cell(&r.workload.test),
        mean_sd(m.prefill_tps.as_ref()),
        decode_cell(r),
        fixed2(m.ttft_ms.as_ref().map(|s| s.p50)),
        fixed2(m.ttft_ms.as_ref().map(|s| s.p99)),
        fixed2(m.itl_ms.as_ref().map(|s| s.p50)),
        fixed2(m.itl_ms.as_ref().map(|s| s.p99)),
        m.peak_rss_bytes.map_or_else(|| ABSENT.to_string(), mib),
        r.status.as_str().to_string(),
    ]
}

/// Decode mean ± sd, with the share of the measured-bandwidth ceiling the
/// roofline gives when the sweep measured the device's bandwidth.
fn decode_cell(r: &Record) -> String {
    let base = mean_sd(r.metrics.decode_tps.as_ref());
    match r
        .roofline
        .as_ref()
        .and_then(|x| x.decode_pct_of_measured_ceiling)
    {
        Some(pct) => format!("{base} ({pct:.0}% of ceiling)"),
        None => base,
    }
}

/// One line per record that is not ok, then one per warning.
fn notes(records: &[Record]) -> Vec<String> {
    let failures = records.iter().filter(|r| r.status != Status::Ok).map(|r| {
        format!(
            "- {} {} {}: {}: {}",
            r.model_label(),
            backend_label(r),
            r.workload.test,
            r.status.as_str(),
            one_line(r.reason.as_deref().unwrap_or("no reason recorded")),
        )
    });
    let warnings = records.iter().flat_map(|r| {
        r.warnings.iter().map(move |w| {
            format!(
                "- warning ({} {}): {}",
                r.model_label(),
                r.workload.test,
                one_line(w)
            )
        })
    });
    failures.chain(warnings).collect()
}

/// Backend id, with the execution provider in parentheses when there is one.
fn backend_label(r: &Record) -> String {
    match &r.backend.execution_provider {
        Some(ep) => format!("{} ({ep})", r.backend.id),
        None => r.backend.id.clone(),
    }
}

/// "mean ± sd" with two decimals; the sd is left out when there is none.
fn mean_sd(s: Option<&Summary>) -> String {
    match s {
        Some(Summary {
            mean, sd: Some(sd), ..
        }) => format!("{mean:.2} ± {sd:.2}"),
        Some(Summary { mean, sd: None, .. }) => format!("{mean:.2}"),
        None => ABSENT.to_string(),
    }
}

fn fixed2(x: Option<f64>) -> String {
    x.map_or_else(|| ABSENT.to_string(), |x| format!("{x:.2}"))
}

/// Bytes as MiB with one decimal.
fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / (1024.0 * 1024.0))
}

/// Text made safe for a table cell: no line breaks, pipes escaped.
fn cell(text: &str) -> String {
    one_line(text).replace('|', "\\|")
}

/// Line breaks turned into spaces so a note stays one list item.
fn one_line(text: &str) -> String {
    text.replace("\r\n", " ").replace(['\r', '\n'], " ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_escape_pipes_and_line_breaks() {
        assert_eq!(cell("a|b\nc\r\nd"), "a\\|b c d");
    }

    #[test]
    fn mean_sd_formats() {
        let one = Summary::from_samples(vec![2.0]);
        let two = Summary::from_samples(vec![1.0, 3.0]);
        assert_eq!(mean_sd(one.as_ref()), "2.00");
        assert_eq!(mean_sd(two.as_ref()), "2.00 ± 1.41");
        assert_eq!(mean_sd(None), "–");
    }

    #[test]
    fn mib_has_one_decimal() {
        assert_eq!(mib(3 * 1024 * 1024 / 2), "1.5 MiB");
    }
}
