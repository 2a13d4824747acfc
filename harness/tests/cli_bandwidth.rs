//! `edgebench bandwidth`: bad flags are named; results come in every format.
mod common;
use common::edgebench;
use predicates::prelude::*;

#[test]
fn zero_or_too_many_threads_are_refused() {
    let cache = tempfile::tempdir().unwrap();
    edgebench(cache.path())
        .args(["bandwidth", "-t", "0"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("-t/--threads must be >= 1"));
    edgebench(cache.path())
        .args(["bandwidth", "-t", "100000"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("logical CPUs"));
    edgebench(cache.path())
        .args(["bandwidth", "--reps", "3"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--reps 3"));
}

#[test]
fn json_record_is_versioned_with_every_kernel() {
    let cache = tempfile::tempdir().unwrap();
    let out = edgebench(cache.path())
        .args(["bandwidth", "-t", "1", "--size-mb", "16", "-o", "json"])
        .assert()
        .success();
    let v: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert_eq!(v["schema_version"], 2);
    assert_eq!(v["kind"], "bandwidth");
    let results = v["results"].as_array().unwrap();
    assert_eq!(results.len(), 5);
    for r in results {
        assert!(r["gbs"].as_f64().unwrap() >= r["avg_gbs"].as_f64().unwrap());
        assert!(r["avg_gbs"].as_f64().unwrap() >= r["min_gbs"].as_f64().unwrap());
        assert_eq!(r["iterations_measured"], 9);
    }
}
