//! Reading result files back: round trips through every JSON shape, and the
//! refusals a user sees for files this build cannot read.
mod common;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use edgebench_reports::load::Location;
use edgebench_reports::{Format, LoadError, SCHEMA_VERSION, read_records, render};

/// A file in the temp folder, unique to this process and call, removed on drop.
struct TempFile(PathBuf);

impl TempFile {
    fn with(name: &str, text: &str) -> TempFile {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let path = std::env::temp_dir().join(format!(
            "edgebench-reports-test-{}-{n}-{name}",
            std::process::id()
        ));
        std::fs::write(&path, text).expect("write temp file");
        TempFile(path)
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

#[test]
fn serde_json_parses_floats_exactly() {
    // Without serde_json's `float_roundtrip` feature its float parser may be
    // one ulp off, so raw samples read back would differ from those written.
    let x = 0.950_146_187_582_614_9_f64;
    let back: f64 =
        serde_json::from_str(&serde_json::to_string(&x).expect("serialise")).expect("parse");
    assert_eq!(
        back, x,
        "serde_json must be built with its float_roundtrip feature (workspace Cargo.toml)"
    );
}

fn round_trip(format: Format, name: &str) {
    let records = common::records();
    let text = render(&records, format).expect("render");
    let file = TempFile::with(name, &text);
    let back = read_records(file.path()).expect("read back");
    assert_eq!(back, records, "{format} round trip");
}

#[test]
fn json_round_trips() {
    round_trip(Format::Json, "results.json");
}

#[test]
fn jsonl_round_trips() {
    round_trip(Format::Jsonl, "results.jsonl");
}

#[test]
fn a_single_pretty_object_reads_as_one_record() {
    let record = common::records().remove(0);
    let text = serde_json::to_string_pretty(&record).expect("serialise");
    let file = TempFile::with("single.json", &text);
    assert_eq!(read_records(file.path()).expect("read"), vec![record]);
}

#[test]
fn jsonl_with_blank_lines_and_crlf_reads() {
    let records = common::records();
    let jsonl = render(&records, Format::Jsonl).expect("render");
    let text = format!("\n{}\r\n\n", jsonl.trim_end().replace('\n', "\r\n\n"));
    let file = TempFile::with("gaps.jsonl", &text);
    assert_eq!(read_records(file.path()).expect("read"), records);
}

/// The fixture records as JSON Lines, with record `index` changed by `edit`.
fn jsonl_with(index: usize, mut edit: impl FnMut(&mut serde_json::Value)) -> String {
    let mut out = String::new();
    for (i, record) in common::records().iter().enumerate() {
        let mut value = serde_json::to_value(record).expect("to value");
        if i == index {
            edit(&mut value);
        }
        out.push_str(&value.to_string());
        out.push('\n');
    }
    out
}

#[test]
fn newer_schema_is_refused_naming_file_and_versions() {
    let newer = u64::from(SCHEMA_VERSION) + 1;
    // A newer schema may rename anything; the refusal must come from the
    // version, not from a field this build no longer finds.
    let text = jsonl_with(1, |v| {
        v["schema_version"] = newer.into();
        v.as_object_mut().expect("object").remove("metrics");
    });
    let file = TempFile::with("newer.jsonl", &text);
    let err = read_records(file.path()).expect_err("newer schema must be refused");
    match &err {
        LoadError::NewerSchema {
            path,
            location,
            found,
            known,
        } => {
            assert_eq!(path, file.path());
            assert_eq!(*location, Location::Line(2));
            assert_eq!((*found, *known), (newer, SCHEMA_VERSION));
        }
        other => panic!("expected NewerSchema, got {other:?}"),
    }
    let msg = err.to_string();
    assert!(msg.contains(&file.path().display().to_string()), "{msg}");
    assert!(msg.contains(&format!("schema_version {newer}")), "{msg}");
    assert!(msg.contains(&format!("({SCHEMA_VERSION})")), "{msg}");
    assert!(msg.contains("upgrade edgebench"), "{msg}");
}

#[test]
fn newer_schema_in_an_array_names_the_record() {
    let mut values: Vec<serde_json::Value> = common::records()
        .iter()
        .map(|r| serde_json::to_value(r).expect("to value"))
        .collect();
    values[2]["schema_version"] = 99.into();
    let text = serde_json::to_string_pretty(&values).expect("serialise");
    let file = TempFile::with("newer.json", &text);
    let err = read_records(file.path()).expect_err("refused");
    assert!(
        matches!(
            err,
            LoadError::NewerSchema {
                location: Location::Element(3),
                found: 99,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("newer.json record 3"), "{err}");
}

#[test]
fn missing_or_zero_schema_version_is_refused() {
    let text = jsonl_with(0, |v| {
        v.as_object_mut().expect("object").remove("schema_version");
    });
    let file = TempFile::with("missing.jsonl", &text);
    let err = read_records(file.path()).expect_err("refused");
    assert!(
        matches!(err, LoadError::MissingSchemaVersion { .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("no schema_version"), "{err}");

    let text = jsonl_with(2, |v| v["schema_version"] = 0.into());
    let file = TempFile::with("zero.jsonl", &text);
    let err = read_records(file.path()).expect_err("refused");
    assert!(
        matches!(
            err,
            LoadError::InvalidSchemaVersion {
                location: Location::Line(3),
                ..
            }
        ),
        "{err:?}"
    );
    assert!(
        err.to_string().contains("schema_version 0 is not valid"),
        "{err}"
    );
}

#[test]
fn jsonl_bad_line_reports_its_line_number() {
    let good = render(&common::records(), Format::Jsonl).expect("render");
    let mut lines: Vec<&str> = good.lines().collect();
    // Line 3 of the file: a record cut off mid-write.
    let truncated = &lines[1][..40];
    lines.insert(1, "");
    lines[2] = truncated;
    let file = TempFile::with("bad.jsonl", &(lines.join("\n") + "\n"));
    let err = read_records(file.path()).expect_err("malformed line");
    assert!(matches!(err, LoadError::Json { line: 3, .. }), "{err:?}");
    let msg = err.to_string();
    assert!(msg.contains("bad.jsonl line 3 column"), "{msg}");
}

#[test]
fn jsonl_wrong_record_reports_its_line_number() {
    let text = jsonl_with(2, |v| v["status"] = "exploded".into());
    let file = TempFile::with("status.jsonl", &text);
    let err = read_records(file.path()).expect_err("unknown status");
    assert!(
        matches!(
            err,
            LoadError::Record {
                location: Location::Line(3),
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("exploded"), "{err}");
}

#[test]
fn malformed_json_file_gives_serde_line_and_column() {
    let text = render(&common::records(), Format::Json).expect("render");
    // Drop the comma after the first "schema_version": 2 (file line 3).
    let broken = text.replacen("\"schema_version\": 2,", "\"schema_version\": 2", 1);
    let file = TempFile::with("broken.json", &broken);
    let err = read_records(file.path()).expect_err("malformed");
    assert!(matches!(err, LoadError::Json { line: 4, .. }), "{err:?}");
}

#[test]
fn a_missing_file_names_the_file() {
    let path = std::env::temp_dir().join("edgebench-reports-test-does-not-exist.json");
    let err = read_records(&path).expect_err("missing");
    assert!(matches!(err, LoadError::Io { .. }), "{err:?}");
    assert!(err.to_string().contains("does-not-exist.json"), "{err}");
}

/// Schema 1 records (as a previous build wrote them) read as schema 2: a
/// request gets its own name, a prompt-only case becomes llama-bench's pp
/// test it always was, an imported record keeps llama-bench's name, and
/// the depth suffix becomes llama-bench's.
#[test]
fn schema_1_records_migrate_to_test_shapes() {
    use edgebench_reports::record::TestShape;
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/schema-v1/records.jsonl");
    let records = read_records(&path).unwrap();
    let got: Vec<(TestShape, &str, u32)> = records
        .iter()
        .map(|r| (r.workload.shape, r.workload.test.as_str(), r.schema_version))
        .collect();
    assert_eq!(
        got,
        [
            (TestShape::Request, "req16+4", 2),
            (TestShape::Request, "req16+4 @ d32", 2),
            (TestShape::Pp, "pp16", 2),
            (TestShape::Pp, "pp16 @ d32", 2),
            (TestShape::Request, "sustained/req16+4", 2),
            (TestShape::Pg, "pp512+tg128 @ d512", 2),
            (TestShape::Tg, "tg128", 2),
        ]
    );
    // Everything else is untouched: the metrics of the first record.
    let raw: serde_json::Value = serde_json::from_str(
        std::fs::read_to_string(&path)
            .unwrap()
            .lines()
            .next()
            .unwrap(),
    )
    .unwrap();
    let mean = raw["metrics"]["decode_tps"]["mean"].as_f64().unwrap();
    assert_eq!(records[0].metrics.decode_tps.as_ref().unwrap().mean, mean);
}

/// A v1 record whose token counts are not numbers names the field.
#[test]
fn a_bad_v1_workload_is_named() {
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/schema-v1/records.jsonl"),
    )
    .unwrap();
    let first = text
        .lines()
        .next()
        .unwrap()
        .replace("\"n_gen\":4", "\"n_gen\":\"four\"");
    let f = TempFile::with("bad-v1.jsonl", &first);
    let e = read_records(&f.0).unwrap_err().to_string();
    assert!(e.contains("workload.n_gen"), "{e}");
}
