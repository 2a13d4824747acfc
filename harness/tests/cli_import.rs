//! `edgebench import llama-bench` through the binary: records written,
//! then read by `compare` (a slowdown in a second llama-bench run is found)
//! and `report` (the imported device is reported); bad files exit 2 with
//! the file, line and field, and write nothing.
mod common;
use std::path::{Path, PathBuf};

use common::edgebench;
use predicates::prelude::*;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../reports/tests/fixtures/llama-bench")
        .join(name)
}

fn import(dir: &Path, files: &[PathBuf], out: &Path) -> assert_cmd::assert::Assert {
    edgebench(dir)
        .args(["import", "llama-bench"])
        .args(files)
        .arg("--out")
        .arg(out)
        .assert()
}

#[test]
fn imported_results_go_through_compare_and_report() {
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().join("base.json");
    import(dir.path(), &[fixture("b5163.json")], &base)
        .success()
        .stderr(predicate::str::contains(
            "2 llama-bench test(s): pp512, tg128",
        ));
    // A second llama-bench run of the same build, 20 % slower at tg128.
    let mut rows: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(fixture("b5163.json")).unwrap()).unwrap();
    for s in rows[1]["samples_ts"].as_array_mut().unwrap() {
        *s = serde_json::json!(s.as_f64().unwrap() * 0.8);
    }
    let slower = dir.path().join("slower.json");
    std::fs::write(&slower, rows.to_string()).unwrap();
    let cand = dir.path().join("cand.json");
    import(dir.path(), &[slower], &cand).success();
    edgebench(dir.path())
        .arg("compare")
        .arg(&base)
        .arg(&cand)
        .assert()
        .code(1)
        .stdout(predicate::str::contains("REGRESSION").and(predicate::str::contains("**slower**")));

    // The report takes them with edgebench's own, as a device of its own.
    let out = dir.path().join("report");
    edgebench(dir.path())
        .arg("report")
        .arg(&base)
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
    let md = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(md.contains("AMD Ryzen 7 7800X3D"), "{md}");
    assert!(md.contains("imported from llama-bench b5163"), "{md}");
}

#[test]
fn a_bad_file_exits_2_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.json");
    import(
        dir.path(),
        &[fixture("b5163.jsonl"), fixture("bad-n-prompt.jsonl")],
        &out,
    )
    .code(2)
    .stderr(
        predicate::str::contains("bad-n-prompt.jsonl line 2")
            .and(predicate::str::contains("field `n_prompt`")),
    );
    assert!(!out.exists(), "nothing written when a file is bad");
    import(dir.path(), &[fixture("truncated.json")], &out)
        .code(2)
        .stderr(predicate::str::contains("truncated.json line"));
}
