//! A record as the store keeps it (identity columns, content hash, one
//! measurement per metric), and a stored point as `check` reads it back.
use edgebench_reports::Record;
use edgebench_reports::compare::{CaseKey, METRICS, metric_summary};
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
        let content_sha256 = Sha256::digest(record_json.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
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
