//! A record as the store keeps it (identity columns, content hash, one
//! measurement per metric), and a stored point as `check` reads it back.
use edgebench_reports::Record;
use edgebench_reports::compare::{Better, CaseKey, METRICS, metric_summary};
use edgebench_reports::quality::QualityRecord;
use sha2::{Digest, Sha256};

use crate::error::HistoryError;

/// One metric of one record.
#[derive(Debug, Clone, PartialEq)]
pub struct Measurement {
    /// Metric name, e.g. `decode_tps`.
    pub metric: &'static str,
    /// Mean over the repetitions.
    pub mean: f64,
    /// Sample sd, when n >= 2.
    pub sd: Option<f64>,
    /// Sample count.
    pub n: i64,
    /// Median.
    pub p50: f64,
}

/// A record ready to insert.
#[derive(Debug, Clone)]
pub struct NewResult {
    /// sha256 of the record's JSON: the same record added twice is stored once.
    pub content_sha256: String,
    /// Case identity.
    pub key: CaseKey,
    /// Short model name for tables.
    pub model_label: String,
    /// RFC 3339 start time.
    pub timestamp: String,
    /// Status name.
    pub status: String,
    /// Status reason.
    pub reason: Option<String>,
    /// edgebench version that measured it.
    pub edgebench_version: String,
    /// edgebench commit that measured it.
    pub edgebench_commit: Option<String>,
    /// The file it was read from.
    pub source: String,
    /// The record as JSON.
    pub record_json: String,
    /// Its measurements.
    pub measurements: Vec<Measurement>,
}

impl NewResult {
    /// The row for `record`, read from `source`.
    pub fn of(record: &Record, source: &str) -> Result<NewResult, HistoryError> {
        let record_json = serde_json::to_string(record)?;
        let content_sha256 = sha256_hex(&record_json);
        let measurements = METRICS
            .iter()
            .filter_map(|&(metric, _)| {
                let s = metric_summary(record, metric)?;
                Some(Measurement {
                    metric,
                    mean: s.mean,
                    sd: s.sd,
                    n: i64::try_from(s.n).unwrap_or(i64::MAX),
                    p50: s.p50,
                })
            })
            .collect();
        Ok(NewResult {
            content_sha256,
            key: CaseKey::of(record),
            model_label: record.model_label(),
            timestamp: record.timestamp.clone(),
            status: record.status.as_str().to_string(),
            reason: record.reason.clone(),
            edgebench_version: record.edgebench.version.clone(),
            edgebench_commit: record.edgebench.commit.clone(),
            source: source.to_string(),
            record_json,
            measurements,
        })
    }
}

/// The metrics a quality row is stored as (`edgebench quality`, a sweep's
/// quality step), with the direction that is better. Each is one figure
/// per run, deterministic for a model file, backend build and token ids:
/// `check` compares them run to run against a threshold, not for a change
/// point in noise.
pub const QUALITY_METRICS: [(&str, Better); 2] = [
    ("quality_mean_kld", Better::Lower),
    ("quality_top1_pct", Better::Higher),
];

/// Whether `metric` is one of [`QUALITY_METRICS`].
pub fn is_quality(metric: &str) -> bool {
    QUALITY_METRICS.iter().any(|(m, _)| *m == metric)
}

impl NewResult {
    /// The rows for a quality record, one per model and backend measured:
    /// its case key is the record's device, the model's sha256, the
    /// backend and a workload naming the reference and the token ids, so
    /// a series is one model against one reference on the same ids.
    /// `device` stands in when the record has none (older records).
    pub fn of_quality(
        q: &QualityRecord,
        device: &str,
        source: &str,
    ) -> Result<Vec<NewResult>, HistoryError> {
        q.rows
            .iter()
            .map(|row| {
                let one = QualityRecord {
                    rows: vec![row.clone()],
                    ..q.clone()
                };
                let record_json = serde_json::to_string(&one)?;
                let ref_sha: String = q.reference.sha256.chars().take(12).collect();
                let file = std::path::Path::new(&row.side.model)
                    .file_name()
                    .map_or_else(
                        || row.side.model.clone(),
                        |f| f.to_string_lossy().into_owned(),
                    );
                let st = &row.stats;
                let n = i64::try_from(st.positions).unwrap_or(i64::MAX);
                let m = |metric, v: f64| Measurement {
                    metric,
                    mean: v,
                    sd: None,
                    n,
                    p50: v,
                };
                Ok(NewResult {
                    content_sha256: sha256_hex(&record_json),
                    key: CaseKey {
                        device: q.device.clone().unwrap_or_else(|| device.to_string()),
                        model_sha256: row.side.sha256.clone(),
                        backend: row.side.backend.clone(),
                        execution_provider: None,
                        workload: format!(
                            "quality vs {ref_sha} ({}) on {} tokens, {}",
                            q.reference.quant, q.n_tokens, q.tokens_source
                        ),
                    },
                    model_label: format!("{file} {}", row.side.quant),
                    timestamp: q.timestamp.clone(),
                    status: "ok".into(),
                    reason: None,
                    edgebench_version: q.edgebench.version.clone(),
                    edgebench_commit: q.edgebench.commit.clone(),
                    source: source.to_string(),
                    record_json,
                    measurements: vec![
                        m(QUALITY_METRICS[0].0, st.mean_kld),
                        m(QUALITY_METRICS[1].0, st.top1_agreement * 100.0),
                    ],
                })
            })
            .collect()
    }
}

fn sha256_hex(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// One stored measurement of an `ok` result, as `check` reads it.
#[derive(Debug, Clone, PartialEq)]
pub struct Point {
    /// Case identity.
    pub key: CaseKey,
    /// Short model name.
    pub model_label: String,
    /// Metric name.
    pub metric: String,
    /// RFC 3339 start time of the run.
    pub timestamp: String,
    /// edgebench commit of the run.
    pub edgebench_commit: Option<String>,
    /// The metric's mean in that run.
    pub mean: f64,
}

/// The query both stores run to read points back, oldest first.
pub const POINTS_SQL: &str = "SELECT r.device, r.model_sha256, r.backend, r.execution_provider,
        r.workload, r.model_label, m.metric, r.timestamp, r.edgebench_commit, m.mean
    FROM results r JOIN measurements m ON m.result_id = r.id
    WHERE r.status = 'ok'
    ORDER BY r.timestamp, r.id, m.metric";
