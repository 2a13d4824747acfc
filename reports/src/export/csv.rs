//! CSV export: a flat table for spreadsheets and data frames, one row per
//! record, one column per scalar (raw samples are left to JSON).
//!
//! Fields are quoted as RFC 4180 says: a field holding a comma, a double
//! quote, CR or LF is enclosed in double quotes, with inner quotes doubled.
//! Rows end with LF. An absent value is an empty cell.
use crate::record::{Metrics, Record};
use crate::stats::Summary;

/// Reads one cell of a record.
type Field = fn(&Record) -> String;

/// Picks one summarised metric out of a record's metrics.
type MetricOf = fn(&Metrics) -> Option<&Summary>;

/// Reads one statistic of a summary as a cell.
type StatOf = fn(&Summary) -> String;

/// Columns before the metric summaries: name and how to read it.
const LEADING: [(&str, Field); 29] = [
    ("schema_version", |r| r.schema_version.to_string()),
    ("timestamp", |r| r.timestamp.clone()),
    ("status", |r| r.status.as_str().to_string()),
    ("reason", |r| opt(r.reason.as_ref())),
    ("host_cpu_model", |r| opt(r.host.cpu_model.as_ref())),
    ("host_hostname", |r| opt(r.host.hostname.as_ref())),
    ("backend_id", |r| r.backend.id.clone()),
    ("backend_version", |r| r.backend.version.clone()),
    ("backend_device", |r| r.backend.device.clone()),
    ("backend_execution_provider", |r| {
        opt(r.backend.execution_provider.as_ref())
    }),
    ("model_path", |r| r.model.path.clone()),
    ("model_sha256", |r| r.model.sha256.clone()),
    ("model_quant", |r| r.model.quant.clone()),
    ("model_arch", |r| r.model.arch.clone()),
    ("model_n_params", |r| r.model.n_params.to_string()),
    ("model_size_bytes", |r| r.model.size_bytes.to_string()),
    ("test", |r| r.workload.test.clone()),
    ("shape", |r| r.workload.shape.id().to_owned()),
    ("n_prompt", |r| r.workload.n_prompt.to_string()),
    ("n_gen", |r| r.workload.n_gen.to_string()),
    ("n_depth", |r| r.workload.n_depth.to_string()),
    ("reps", |r| r.workload.reps.to_string()),
    ("warmup", |r| r.workload.warmup.to_string()),
    ("threads", |r| r.workload.threads.to_string()),
    ("batch", |r| r.workload.batch.to_string()),
    ("ubatch", |r| r.workload.ubatch.to_string()),
    ("n_gpu_layers", |r| opt(r.workload.n_gpu_layers.as_ref())),
    ("n_ctx", |r| r.workload.n_ctx.to_string()),
    ("seed", |r| r.workload.seed.to_string()),
];

/// Metrics with a full summary, in column order.
const METRICS: [(&str, MetricOf); 5] = [
    ("ttft_ms", |m| m.ttft_ms.as_ref()),
    ("prefill_tps", |m| m.prefill_tps.as_ref()),
    ("decode_tps", |m| m.decode_tps.as_ref()),
    ("itl_ms", |m| m.itl_ms.as_ref()),
    ("e2e_ms", |m| m.e2e_ms.as_ref()),
];

/// Statistics of each summarised metric, in column order.
const STATS: [(&str, StatOf); 8] = [
    ("mean", |s| s.mean.to_string()),
    ("sd", |s| opt(s.sd.as_ref())),
    ("p50", |s| s.p50.to_string()),
    ("p90", |s| s.p90.to_string()),
    ("p99", |s| s.p99.to_string()),
    ("min", |s| s.min.to_string()),
    ("max", |s| s.max.to_string()),
    ("n", |s| s.n.to_string()),
];

/// Columns after the metric summaries.
const TRAILING: [(&str, Field); 2] = [
    ("load_ms", |r| opt(r.metrics.load_ms.as_ref())),
    ("peak_rss_bytes", |r| opt(r.metrics.peak_rss_bytes.as_ref())),
];

/// The CSV text for `records`: a header row, then one row per record.
pub(super) fn render(records: &[Record]) -> String {
    let mut out = String::new();
    push_row(&mut out, &header());
    for r in records {
        push_row(&mut out, &row(r));
    }
    out
}

/// The header row's names. Built from the same tables as [`row`], so the
/// two cannot drift apart.
fn header() -> Vec<String> {
    let mut names: Vec<String> = LEADING.iter().map(|(n, _)| n.to_string()).collect();
    for (metric, _) in METRICS {
        for (stat, _) in STATS {
            names.push(format!("{metric}_{stat}"));
        }
    }
    names.extend(TRAILING.iter().map(|(n, _)| n.to_string()));
    names
}

/// One record's fields, in header order; a metric that is absent gives
/// empty cells for all its statistics.
fn row(r: &Record) -> Vec<String> {
    let mut fields: Vec<String> = LEADING.iter().map(|(_, get)| get(r)).collect();
    for (_, metric) in METRICS {
        match metric(&r.metrics) {
            Some(s) => fields.extend(STATS.iter().map(|(_, stat)| stat(s))),
            None => fields.extend(STATS.iter().map(|_| String::new())),
        }
    }
    fields.extend(TRAILING.iter().map(|(_, get)| get(r)));
    fields
}

/// The value's text, or an empty cell.
fn opt<T: ToString>(x: Option<&T>) -> String {
    x.map(ToString::to_string).unwrap_or_default()
}

/// Appends one row: fields quoted where needed, joined by commas, LF at the end.
fn push_row(out: &mut String, fields: &[String]) {
    for (i, field) in fields.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        push_field(out, field);
    }
    out.push('\n');
}

/// Appends one field, quoted per RFC 4180 when it holds `,` `"` CR or LF.
fn push_field(out: &mut String, field: &str) {
    if field.contains([',', '"', '\r', '\n']) {
        out.push('"');
        out.push_str(&field.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(field);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn quoted(field: &str) -> String {
        let mut out = String::new();
        push_field(&mut out, field);
        out
    }

    #[test]
    fn quoting_follows_rfc_4180() {
        assert_eq!(quoted("plain text"), "plain text");
        assert_eq!(quoted(""), "");
        assert_eq!(quoted("a,b"), "\"a,b\"");
        assert_eq!(quoted("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(quoted("\""), "\"\"\"\"");
        assert_eq!(quoted("two\nlines"), "\"two\nlines\"");
        assert_eq!(quoted("cr\rhere"), "\"cr\rhere\"");
        assert_eq!(quoted("crlf\r\n"), "\"crlf\r\n\"");
        assert_eq!(quoted(" spaces kept "), " spaces kept ");
    }

    #[test]
    fn row_joins_with_commas_and_ends_with_lf() {
        let mut out = String::new();
        push_row(&mut out, &["a".into(), "b,c".into(), String::new()]);
        assert_eq!(out, "a,\"b,c\",\n");
    }

    #[test]
    fn header_has_every_column_once() {
        let h = header();
        assert_eq!(
            h.len(),
            LEADING.len() + METRICS.len() * STATS.len() + TRAILING.len()
        );
        let mut unique = h.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), h.len());
        assert!(h.iter().all(|n| !n.is_empty()));
    }
}
