//! Reading what the report is made of: sweep output folders, sweep.json
//! files and result files (JSON array, JSON Lines, single record).
//!
//! Sustained runs are records like any other (`kind` "sustained", read from
//! sweep.json, case files, or the single object `edgebench sustained --out`
//! writes); the report keeps them apart from ordinary cases by their kind.
//!
//! A file that cannot be read or parsed is named in a warning and the rest
//! is still reported; a file of a newer schema is refused outright (a report
//! that silently leaves a device out would mislead whoever reads it).
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::error::ReportError;
use super::profile::ProfileFacts;
use crate::bandwidth::BandwidthRecord;
use crate::load::{LoadError, parse_records};
use crate::record::{Record, SCHEMA_VERSION};

/// Folders are searched this deep for sweep folders and result files.
const MAX_DEPTH: usize = 4;

/// The results of one sweep, or of one result file.
#[derive(Debug, Clone)]
pub struct Run {
    /// The file it was read from.
    pub source: PathBuf,
    /// Its case records.
    pub records: Vec<Record>,
    /// The profile the sweep ran (sweep.json only).
    pub profile: Option<ProfileFacts>,
    /// The sweep's bandwidth probe.
    pub bandwidth: Option<BandwidthRecord>,
}

/// Everything read from the inputs.
#[derive(Debug, Clone, Default)]
pub struct Loaded {
    /// One entry per sweep or result file, in input order.
    pub runs: Vec<Run>,
    /// Files skipped and why, each naming the file.
    pub warnings: Vec<String>,
    /// Conformance checks: standalone files and those a sweep.json holds.
    pub conformance: Vec<crate::conformance::ConformanceRecord>,
    /// Quality checks (`edgebench quality --out`).
    pub quality: Vec<crate::quality::QualityRecord>,
}

impl Loaded {
    /// Number of records (ordinary cases and sustained runs) over every run.
    pub fn record_count(&self) -> usize {
        self.runs.iter().map(|r| r.records.len()).sum()
    }
}

/// Reads every input. Errors: a path that does not exist, a newer schema,
/// or no records at all.
pub fn load(inputs: &[PathBuf]) -> Result<Loaded, ReportError> {
    let mut loaded = Loaded::default();
    for path in inputs {
        if !path.exists() {
            return Err(ReportError::MissingInput(path.clone()));
        }
        if path.is_dir() {
            load_dir(path, 0, &mut loaded)?;
        } else {
            load_file(path, &mut loaded)?;
        }
    }
    if loaded.record_count() == 0 {
        let inputs = inputs
            .iter()
            .map(|p| p.display().to_string())
            .collect::<Vec<_>>()
            .join(", ");
        let why = if loaded.warnings.is_empty() {
            String::new()
        } else {
            format!(" ({})", loaded.warnings.join("; "))
        };
        return Err(ReportError::NoResults { inputs, why });
    }
    Ok(loaded)
}

/// A sweep folder (sweep.json, else its cases/), or a folder of them and
/// of result files.
fn load_dir(dir: &Path, depth: usize, loaded: &mut Loaded) -> Result<(), ReportError> {
    let summary = dir.join("sweep.json");
    let cases = dir.join("cases");
    if summary.is_file() {
        let before = loaded.runs.len();
        load_file(&summary, loaded)?;
        if loaded.runs.len() > before || !cases.is_dir() {
            return Ok(());
        }
        // sweep.json was unreadable: its case files still hold the results.
    }
    if cases.is_dir() {
        let files: Vec<PathBuf> = sorted_entries(&cases, loaded)
            .into_iter()
            .filter(|f| is_result_file(f))
            .collect();
        if files.is_empty() {
            return Ok(());
        }
        let why = if summary.is_file() {
            "sweep.json could not be read"
        } else {
            "no sweep.json (the sweep did not finish)"
        };
        loaded.warnings.push(format!(
            "{}: {why}; reporting its case files without the profile's SLOs and cost",
            dir.display()
        ));
        let before = loaded.runs.len();
        for f in &files {
            load_file(f, loaded)?;
        }
        merge_runs_from(loaded, before, dir);
        return Ok(());
    }
    for entry in sorted_entries(dir, loaded) {
        if entry.is_dir() {
            if depth < MAX_DEPTH {
                load_dir(&entry, depth + 1, loaded)?;
            }
        } else if is_result_file(&entry) && !is_report_output(&entry) {
            load_file(&entry, loaded)?;
        }
    }
    Ok(())
}

/// The runs added since `from` become one run named by `dir`.
fn merge_runs_from(loaded: &mut Loaded, from: usize, dir: &Path) {
    let merged: Vec<Record> = loaded.runs.drain(from..).flat_map(|r| r.records).collect();
    if !merged.is_empty() {
        loaded.runs.push(Run {
            source: dir.to_path_buf(),
            records: merged,
            profile: None,
            bandwidth: None,
        });
    }
}

fn sorted_entries(dir: &Path, loaded: &mut Loaded) -> Vec<PathBuf> {
    match std::fs::read_dir(dir) {
        Ok(rd) => {
            let mut v: Vec<PathBuf> = rd.filter_map(|e| e.ok().map(|e| e.path())).collect();
            v.sort();
            v
        }
        Err(e) => {
            loaded
                .warnings
                .push(format!("{}: cannot list the folder: {e}", dir.display()));
            Vec::new()
        }
    }
}

fn is_result_file(p: &Path) -> bool {
    matches!(
        p.extension().and_then(|e| e.to_str()),
        Some("json" | "jsonl")
    )
}

/// index.jsonl holds keys, not records.
fn is_report_output(p: &Path) -> bool {
    p.file_name().is_some_and(|n| n == "index.jsonl")
}

/// One file: a sweep summary, a bandwidth record, or result records.
fn load_file(path: &Path, loaded: &mut Loaded) -> Result<(), ReportError> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) => {
            loaded
                .warnings
                .push(format!("{}: skipped, cannot read it: {e}", path.display()));
            return Ok(());
        }
    };
    if let Ok(Value::Object(fields)) = serde_json::from_str::<Value>(&text) {
        match fields.get("kind").and_then(Value::as_str) {
            Some("sweep") => return load_summary(path, &fields, loaded),
            Some("bandwidth") => return Ok(()), // read through its sweep.json
            Some("conformance") => {
                match serde_json::from_value(Value::Object(fields)) {
                    Ok(c) => loaded.conformance.push(c),
                    Err(e) => loaded.warnings.push(format!(
                        "{}: skipped, not a conformance record this edgebench can read: {e}",
                        path.display()
                    )),
                }
                return Ok(());
            }
            Some("quality") => {
                let version = fields.get("schema_version").and_then(Value::as_u64);
                if version.is_some_and(|v| v > u64::from(crate::quality::QUALITY_SCHEMA_VERSION)) {
                    loaded.warnings.push(format!(
                        "{}: skipped, a quality record of schema {} (this edgebench reads up \
                         to {}): report it with a newer edgebench",
                        path.display(),
                        version.unwrap_or(0),
                        crate::quality::QUALITY_SCHEMA_VERSION
                    ));
                    return Ok(());
                }
                match serde_json::from_value(Value::Object(fields)) {
                    Ok(q) => loaded.quality.push(q),
                    Err(e) => loaded.warnings.push(format!(
                        "{}: skipped, not a quality record this edgebench can read: {e}",
                        path.display()
                    )),
                }
                return Ok(());
            }
            _ => {}
        }
    }
    match parse_records(&text, path) {
        Ok(records) => {
            if !records.is_empty() {
                loaded.runs.push(Run {
                    source: path.to_path_buf(),
                    records,
                    profile: None,
                    bandwidth: None,
                });
            }
            Ok(())
        }
        Err(e @ LoadError::NewerSchema { .. }) => Err(ReportError::NewerSchema(e)),
        Err(e) => {
            loaded.warnings.push(format!("skipped {e}"));
            Ok(())
        }
    }
}

/// A sweep.json: its version first, then records, profile and bandwidth.
fn load_summary(
    path: &Path,
    fields: &serde_json::Map<String, Value>,
    loaded: &mut Loaded,
) -> Result<(), ReportError> {
    if let Some(v) = fields.get("schema_version").and_then(Value::as_u64)
        && v > u64::from(SCHEMA_VERSION)
    {
        return Err(ReportError::NewerSummary {
            path: path.to_path_buf(),
            found: v,
            known: SCHEMA_VERSION,
        });
    }
    let records_value = fields.get("records").cloned().unwrap_or(Value::Null);
    let records = match records_value {
        Value::Array(a) => {
            let text = serde_json::to_string(&a).unwrap_or_else(|_| "[]".into());
            match parse_records(&text, path) {
                Ok(r) => r,
                Err(e @ LoadError::NewerSchema { .. }) => {
                    return Err(ReportError::NewerSchema(e));
                }
                Err(e) => {
                    loaded.warnings.push(format!("skipped {e}"));
                    return Ok(());
                }
            }
        }
        _ => {
            loaded.warnings.push(format!(
                "{}: skipped, a sweep summary without a `records` array",
                path.display()
            ));
            return Ok(());
        }
    };
    let profile = match fields.get("profile") {
        Some(p) if !p.is_null() => match ProfileFacts::from_sweep_json(p) {
            Ok(f) => Some(f),
            Err(e) => {
                loaded.warnings.push(format!(
                    "{}: its profile cannot be read ({e}); no SLOs or cost from it",
                    path.display()
                ));
                None
            }
        },
        _ => None,
    };
    let bandwidth = match fields.get("bandwidth") {
        Some(b) if !b.is_null() => match serde_json::from_value::<BandwidthRecord>(b.clone()) {
            Ok(b) => Some(b),
            Err(e) => {
                loaded.warnings.push(format!(
                    "{}: its bandwidth result cannot be read ({e}); left out",
                    path.display()
                ));
                None
            }
        },
        _ => None,
    };
    if fields.get("complete").and_then(Value::as_bool) == Some(false) {
        loaded.warnings.push(format!(
            "{}: the sweep did not complete (interrupted); its missing cases are not in this report",
            path.display()
        ));
    }
    if let Some(Value::Array(checks)) = fields.get("conformance") {
        for c in checks {
            match serde_json::from_value(c.clone()) {
                Ok(c) => loaded.conformance.push(c),
                Err(e) => loaded.warnings.push(format!(
                    "{}: a conformance result was skipped: {e}",
                    path.display()
                )),
            }
        }
    }
    if let Some(Value::Array(checks)) = fields.get("quality") {
        for q in checks {
            match serde_json::from_value(q.clone()) {
                Ok(q) => loaded.quality.push(q),
                Err(e) => loaded.warnings.push(format!(
                    "{}: a quality result was skipped: {e}",
                    path.display()
                )),
            }
        }
    }
    loaded.runs.push(Run {
        source: path.to_path_buf(),
        records,
        profile,
        bandwidth,
    });
    Ok(())
}
