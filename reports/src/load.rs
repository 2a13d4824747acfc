//! Reading result files back: a JSON array, a single JSON object, or JSON
//! Lines, each record's `schema_version` checked (and older ones migrated)
//! before it is deserialised into a [`Record`].
use std::fmt;
use std::path::{Path, PathBuf};

use serde_json::Value;
use thiserror::Error;

use crate::record::{Record, SCHEMA_VERSION};

/// Where in a results file a record sits, for error messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Location {
    /// The file holds a single record.
    Document,
    /// The n-th record (from 1) of a JSON array.
    Element(usize),
    /// The record on line n (from 1) of a JSON Lines file.
    Line(usize),
}

impl fmt::Display for Location {
    /// Empty for [`Location::Document`], else " record n" or " line n", so
    /// it can follow the file name directly.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::Document => Ok(()),
            Location::Element(n) => write!(f, " record {n}"),
            Location::Line(n) => write!(f, " line {n}"),
        }
    }
}

/// Why a results file could not be read.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum LoadError {
    /// The file could not be read (missing, unreadable, not UTF-8).
    #[error("cannot read results file {}: {source}", .path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// What the OS said.
        source: std::io::Error,
    },
    /// The text is not valid JSON.
    #[error("{} line {line} column {column}: malformed JSON: {message}", .path.display())]
    Json {
        /// The file.
        path: PathBuf,
        /// Line in the file, from 1.
        line: usize,
        /// Column in that line, from 1.
        column: usize,
        /// What serde_json said, without its position.
        message: String,
    },
    /// A value where a record belongs is not a JSON object.
    #[error("{}{location}: expected a result record (a JSON object), found {found}", .path.display())]
    NotARecord {
        /// The file.
        path: PathBuf,
        /// The record's place in it.
        location: Location,
        /// The kind of JSON value found instead ("an array", "a number"...).
        found: &'static str,
    },
    /// The record has no `schema_version` field.
    #[error(
        "{}{location}: no schema_version field, so this is not an edgebench result record \
         (records written by this build have schema_version {SCHEMA_VERSION})",
        .path.display()
    )]
    MissingSchemaVersion {
        /// The file.
        path: PathBuf,
        /// The record's place in it.
        location: Location,
    },
    /// `schema_version` is not a whole number from 1 up (0, negative, text...).
    #[error(
        "{}{location}: schema_version {found} is not valid; it must be a whole number from 1 \
         (records written by this build have schema_version {SCHEMA_VERSION})",
        .path.display()
    )]
    InvalidSchemaVersion {
        /// The file.
        path: PathBuf,
        /// The record's place in it.
        location: Location,
        /// The value found, as JSON text.
        found: String,
    },
    /// The record was written by a newer edgebench than this one.
    #[error(
        "{}{location}: schema_version {found} is newer than this build of edgebench knows \
         ({known}); upgrade edgebench to read it",
        .path.display()
    )]
    NewerSchema {
        /// The file.
        path: PathBuf,
        /// The record's place in it.
        location: Location,
        /// The version in the file.
        found: u64,
        /// The newest version this build reads ([`SCHEMA_VERSION`]).
        known: u32,
    },
    /// An older record could not be brought up to the current schema.
    #[error(
        "{}{location}: cannot migrate a schema_version {from} record to {SCHEMA_VERSION}: {reason}",
        .path.display()
    )]
    Migration {
        /// The file.
        path: PathBuf,
        /// The record's place in it.
        location: Location,
        /// The version in the file.
        from: u32,
        /// What was wrong with it.
        reason: String,
    },
    /// The record has a supported version but does not match its schema
    /// (a missing field, a wrong type...).
    #[error("{}{location}: not a valid result record: {source}", .path.display())]
    Record {
        /// The file.
        path: PathBuf,
        /// The record's place in it.
        location: Location,
        /// What serde_json said.
        source: serde_json::Error,
    },
}

/// One step that turns a record of schema version v into version v + 1.
type Migration = fn(Value) -> Result<Value, String>;

/// `MIGRATIONS[i]` turns a schema `i + 1` record into schema `i + 2`.
///
/// When [`SCHEMA_VERSION`] is bumped this array's length changes with it,
/// so the build fails until a step is added here (together with a golden
/// file of the old version under tests/). Each step also sets
/// `schema_version`.
const MIGRATIONS: [Migration; SCHEMA_VERSION as usize - 1] = [v1_to_v2];

/// Schema 2 records the test shape (`workload.shape`) and names edgebench's
/// request-shaped test `req512+128`, because `pp512+tg128` is llama-bench's
/// pg test, a different measurement. A version 1 record was a request
/// (named `pp512+tg128`, or `pp512` without generation, which times exactly
/// what llama-bench's pp test times and so becomes one), or, imported from
/// llama-bench, already one of llama-bench's tests. The depth suffix
/// becomes llama-bench's ` @ d512`; a sustained run keeps its
/// `sustained/` prefix.
fn v1_to_v2(mut value: Value) -> Result<Value, String> {
    let Value::Object(fields) = &mut value else {
        return Err("not an object".into());
    };
    fields.insert("schema_version".into(), Value::from(2));
    let imported = fields.get("imported").is_some_and(|v| !v.is_null());
    let Some(Value::Object(w)) = fields.get_mut("workload") else {
        return Ok(value); // bandwidth and conformance records have none
    };
    let count = |w: &serde_json::Map<String, Value>, key: &str| -> Result<u32, String> {
        match w.get(key) {
            None | Some(Value::Null) => Ok(0),
            Some(v) => v
                .as_u64()
                .and_then(|n| u32::try_from(n).ok())
                .ok_or_else(|| format!("workload.{key} is {v}, not a token count")),
        }
    };
    let (p, n, d) = (
        count(w, "n_prompt")?,
        count(w, "n_gen")?,
        count(w, "n_depth")?,
    );
    let shape = if imported || n == 0 {
        crate::record::TestShape::llama_bench(p, n)
    } else {
        crate::record::TestShape::Request
    };
    let old = w.get("test").and_then(Value::as_str).unwrap_or_default();
    let prefix = if old.starts_with("sustained/") {
        "sustained/"
    } else {
        ""
    };
    let name = format!("{prefix}{}", shape.test_name(p, n, d));
    w.insert("test".into(), Value::from(name));
    w.insert("shape".into(), Value::from(shape.id()));
    Ok(value)
}

/// Reads every record in the file at `path`: a JSON array of records, a
/// single record, or JSON Lines (one record per line, blank lines allowed).
/// An empty file holds no records.
///
/// Each record's `schema_version` is checked before it is deserialised: a
/// newer one is refused, an older one migrated to [`SCHEMA_VERSION`].
pub fn read_records(path: &Path) -> Result<Vec<Record>, LoadError> {
    let text = std::fs::read_to_string(path).map_err(|source| LoadError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    parse_records(&text, path)
}

/// [`read_records`] on text already in memory; `path` names it in errors.
pub fn parse_records(text: &str, path: &Path) -> Result<Vec<Record>, LoadError> {
    // Editors on Windows may start a UTF-8 file with a byte-order mark.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    raw_values(text, path)?
        .into_iter()
        .map(|(location, value)| to_record(value, path, location))
        .collect()
}

/// Splits the text into JSON values, each with its place in the file.
fn raw_values(text: &str, path: &Path) -> Result<Vec<(Location, Value)>, LoadError> {
    let Some(first) = text.lines().find(|l| !l.trim().is_empty()) else {
        return Ok(Vec::new());
    };
    let first = first.trim();
    if first.starts_with('[') {
        let values: Vec<Value> =
            serde_json::from_str(text).map_err(|e| json_error(path, &e, None))?;
        return Ok(values
            .into_iter()
            .enumerate()
            .map(|(i, v)| (Location::Element(i + 1), v))
            .collect());
    }
    // A first line that is a whole JSON value means JSON Lines; otherwise
    // the file should be one multi-line document. If it is not one either
    // and its first line is more than a lone "{", that line is most likely
    // a JSON Lines record cut short: blame it by its line number.
    if serde_json::from_str::<Value>(first).is_ok() {
        return json_lines(text, path);
    }
    match serde_json::from_str::<Value>(text) {
        Ok(value) => Ok(vec![(Location::Document, value)]),
        Err(_) if first.starts_with('{') && first != "{" => json_lines(text, path),
        Err(e) => Err(json_error(path, &e, None)),
    }
}

/// One value per non-blank line.
fn json_lines(text: &str, path: &Path) -> Result<Vec<(Location, Value)>, LoadError> {
    let mut values = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let value = serde_json::from_str(line).map_err(|e| json_error(path, &e, Some(i + 1)))?;
        values.push((Location::Line(i + 1), value));
    }
    Ok(values)
}

/// A syntax error at its place in the file: serde's own line, or `line`
/// when one line was parsed on its own.
fn json_error(path: &Path, e: &serde_json::Error, line: Option<usize>) -> LoadError {
    let full = e.to_string();
    let position = format!(" at line {} column {}", e.line(), e.column());
    let message = full.strip_suffix(&position).unwrap_or(&full).to_string();
    LoadError::Json {
        path: path.to_path_buf(),
        line: line.unwrap_or(e.line()),
        column: e.column(),
        message,
    }
}

/// Checks the version, migrates, then deserialises one record.
fn to_record(value: Value, path: &Path, location: Location) -> Result<Record, LoadError> {
    let version = schema_version(&value, path, location)?;
    let value = migrate(value, version).map_err(|reason| LoadError::Migration {
        path: path.to_path_buf(),
        location,
        from: version,
        reason,
    })?;
    serde_json::from_value(value).map_err(|source| LoadError::Record {
        path: path.to_path_buf(),
        location,
        source,
    })
}

/// The record's `schema_version`, read from the raw JSON so that a newer
/// record is refused for what it is rather than for a field it renamed.
fn schema_version(value: &Value, path: &Path, location: Location) -> Result<u32, LoadError> {
    let path = path.to_path_buf();
    let Value::Object(fields) = value else {
        return Err(LoadError::NotARecord {
            path,
            location,
            found: kind_of(value),
        });
    };
    let Some(raw) = fields.get("schema_version") else {
        return Err(LoadError::MissingSchemaVersion { path, location });
    };
    match raw.as_u64() {
        Some(v) if v > u64::from(SCHEMA_VERSION) => Err(LoadError::NewerSchema {
            path,
            location,
            found: v,
            known: SCHEMA_VERSION,
        }),
        Some(v) if v >= 1 => u32::try_from(v).map_err(|_| LoadError::InvalidSchemaVersion {
            path: path.clone(),
            location,
            found: raw.to_string(),
        }),
        _ => Err(LoadError::InvalidSchemaVersion {
            path,
            location,
            found: raw.to_string(),
        }),
    }
}

/// Brings a record of schema `from` (1..=SCHEMA_VERSION) up to
/// [`SCHEMA_VERSION`], one step per version.
fn migrate(mut value: Value, from: u32) -> Result<Value, String> {
    let done = usize::try_from(from.saturating_sub(1)).unwrap_or(usize::MAX);
    for step in MIGRATIONS.iter().skip(done) {
        value = step(value)?;
    }
    Ok(value)
}

/// "an array", "a number"... for error messages.
fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Vec<Record>, LoadError> {
        parse_records(text, Path::new("r.jsonl"))
    }

    #[test]
    fn a_byte_order_mark_is_skipped() {
        let err = parse("\u{feff}[{\"schema_version\": 9}]").unwrap_err();
        assert!(
            matches!(err, LoadError::NewerSchema { found: 9, .. }),
            "{err}"
        );
    }

    #[test]
    fn empty_or_blank_text_holds_no_records() {
        assert!(parse("").unwrap().is_empty());
        assert!(parse("\n  \n\r\n").unwrap().is_empty());
        assert!(parse("[]").unwrap().is_empty());
    }

    #[test]
    fn newer_version_is_refused_before_the_fields_are_looked_at() {
        let err = parse("{\"schema_version\": 7}").unwrap_err();
        assert!(matches!(
            err,
            LoadError::NewerSchema {
                found: 7,
                known: SCHEMA_VERSION,
                ..
            }
        ));
        let msg = err.to_string();
        assert!(msg.contains("r.jsonl line 1"), "{msg}");
        assert!(msg.contains("upgrade edgebench"), "{msg}");
    }

    #[test]
    fn missing_zero_or_odd_versions_are_refused() {
        let err = parse("{\"kind\": \"llm\"}").unwrap_err();
        assert!(
            matches!(err, LoadError::MissingSchemaVersion { .. }),
            "{err}"
        );
        for bad in ["0", "-1", "1.5", "\"1\"", "null"] {
            let err = parse(&format!("{{\"schema_version\": {bad}}}")).unwrap_err();
            assert!(
                matches!(err, LoadError::InvalidSchemaVersion { .. }),
                "{bad}: {err}"
            );
            assert!(err.to_string().contains(bad), "{err}");
        }
    }

    #[test]
    fn a_current_record_missing_fields_names_the_field() {
        let err = parse("[{\"schema_version\": 1}]").unwrap_err();
        assert!(matches!(
            err,
            LoadError::Record {
                location: Location::Element(1),
                ..
            }
        ));
        assert!(err.to_string().contains("missing field"), "{err}");
    }

    #[test]
    fn non_objects_are_not_records() {
        let err = parse("{\"schema_version\": 1}\n42\n").unwrap_err();
        // Line 1 is checked first and fails on its missing fields.
        assert!(matches!(
            err,
            LoadError::Record {
                location: Location::Line(1),
                ..
            }
        ));
        let err = parse("[42]").unwrap_err();
        assert!(err.to_string().contains("found a number"), "{err}");
    }

    #[test]
    fn malformed_multi_line_document_gives_serde_position() {
        let err = parse("{\n  \"schema_version\": 1,\n  oops\n}\n").unwrap_err();
        let LoadError::Json { line, column, .. } = err else {
            panic!("{err}");
        };
        assert_eq!((line, column), (3, 3));
    }

    #[test]
    fn malformed_json_line_gives_its_line_number() {
        let err = parse("{\"schema_version\": 1}\n\n{\"schema_version\": \n").unwrap_err();
        let LoadError::Json { line, .. } = &err else {
            panic!("{err}");
        };
        assert_eq!(*line, 3);
        assert!(
            err.to_string().starts_with("r.jsonl line 3 column"),
            "{err}"
        );
    }

    #[test]
    fn truncated_first_line_of_json_lines_is_blamed_on_line_one() {
        let err = parse("{\"schema_version\": 1, \"ki\n{\"schema_version\": 1}\n").unwrap_err();
        assert!(matches!(err, LoadError::Json { line: 1, .. }), "{err}");
    }
}
