//! Results named on a command line: a results file (JSON array, JSON
//! Lines, one record), a sweep's `sweep.json`, or a sweep's output folder.
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::load::{LoadError, parse_records, read_records};
use crate::record::Record;

/// Reads every record `path` holds. A folder is read as a sweep's output:
/// its `sweep.json`, else every `cases/*.json` (a sweep cut short). A
/// `sweep.json`-shaped file (an object with a `records` array) gives its
/// records; each is version-checked like any other.
pub fn read_results(path: &Path) -> Result<Vec<Record>, LoadError> {
    if path.is_dir() {
        let summary = path.join("sweep.json");
        if summary.is_file() {
            return read_file(&summary);
        }
        let cases = path.join("cases");
        let mut files: Vec<PathBuf> = std::fs::read_dir(&cases)
            .map_err(|source| LoadError::Io {
                path: cases.clone(),
                source,
            })?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect();
        files.sort();
        let mut out = Vec::new();
        for f in files {
            out.extend(read_records(&f)?);
        }
        return Ok(out);
    }
    read_file(path)
}

fn read_file(path: &Path) -> Result<Vec<Record>, LoadError> {
    let text = std::fs::read_to_string(path).map_err(|source| LoadError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    // A sweep summary (`"kind": "sweep"`, as `edgebench sweep` writes it, or
    // an object with a `records` array and no version of its own): its
    // version is checked first, then each record like any other.
    if let Ok(Value::Object(map)) = serde_json::from_str::<Value>(&text)
        && let Some(records @ Value::Array(_)) = map.get("records")
        && (map.get("kind").and_then(Value::as_str) == Some("sweep")
            || !map.contains_key("schema_version"))
    {
        if let Some(found) = map.get("schema_version").and_then(Value::as_u64)
            && found > u64::from(crate::SCHEMA_VERSION)
        {
            return Err(LoadError::NewerSchema {
                path: path.to_path_buf(),
                location: crate::load::Location::Document,
                found,
                known: crate::SCHEMA_VERSION,
            });
        }
        return parse_records(&records.to_string(), path);
    }
    parse_records(&text, path)
}
