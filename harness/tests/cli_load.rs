//! `edgebench load`: open-loop load from the command line, on the mock's
//! virtual clock (exact) and on llama.cpp (real), and its bad input.
mod common;
use common::edgebench;
use predicates::prelude::*;

fn json(out: &[u8]) -> serde_json::Value {
    serde_json::from_slice(out).expect("JSON on stdout")
}

/// Requests of 32 + 8 tokens cost 0.32 + 7 x 0.1 = 1.02 ms on the mock:
/// one at a time, capacity is below 1 / 1.02 ms = 980 req/s, and with a
/// 5 ms TTFT limit on the p99 it is the TTFT that binds.
#[test]
fn mock_load_runs_and_capacity() {
    let cache = tempfile::tempdir().unwrap();
    let out = edgebench(cache.path())
        .args([
            "load",
            "-b",
            "mock",
            "--mock-spec",
            "prefill_us=10,decode_us=100",
        ])
        .args([
            "-p",
            "32",
            "-n",
            "8",
            "--rate",
            "500,1200",
            "--requests",
            "2000",
        ])
        .args(["--ttft-ms", "5", "--capacity", "-o", "json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v = json(&out.stdout);
    assert_eq!(v["kind"], "load");
    assert_eq!(v["schema_version"], 2);
    assert_eq!(v["backend"]["id"], "mock");
    let l = &v["load"];
    assert_eq!(l["concurrency"], serde_json::json!([1]));
    assert!((l["service_ms"].as_f64().unwrap() - 1.02).abs() < 1e-9);
    let runs = l["points"].as_array().unwrap();
    assert_eq!(runs.len(), 2);
    assert_eq!(runs[0]["samples"].as_array().unwrap().len(), 2000);
    assert_eq!(runs[0]["overloaded"], false);
    // 1200 req/s is past what one request at a time can serve.
    assert_eq!(runs[1]["overloaded"], true);
    assert!(runs[1]["served_rps"].as_f64().unwrap() < 981.0);
    assert_eq!(runs[0]["concurrency"], 1);
    let cap = &l["capacity"][0];
    assert_eq!(cap["concurrency"], 1);
    let (rps, failed) = (
        cap["rps"].as_f64().unwrap(),
        cap["failed_rps"].as_f64().unwrap(),
    );
    assert!(rps > 100.0 && rps < failed && failed < 980.4, "{cap}");
    assert!((failed - rps) / failed <= 0.02, "{cap}");
    assert!(
        cap["binding"].as_str().unwrap().starts_with("TTFT p99"),
        "{cap}"
    );
}

#[test]
fn bad_load_flags_are_named() {
    let cache = tempfile::tempdir().unwrap();
    for (args, want) in [
        (vec!["--rate", "0"], "--rate 0"),
        (vec!["--rate=-2"], "--rate -2"),
        (vec!["--rate", "1", "--requests", "0"], "--requests 0"),
        (vec!["--rate", "1", "-n", "0"], "-n/--n-gen 0"),
        (vec!["--rate", "1", "--ttft-ms", "0"], "--ttft-ms 0"),
        (vec![], "--rate"),
        (vec!["--rate", "1", "-c", "0"], "--concurrency 0"),
        (vec!["--rate", "1", "-c", "1,300"], "at most 256 sequences"),
        // The mock runs one sequence at a time: said, not run serially.
        (
            vec!["--rate", "1", "-c", "4"],
            "unsupported: concurrency > 1 on mock",
        ),
    ] {
        edgebench(cache.path())
            .args(["load", "-b", "mock"])
            .args(&args)
            .assert()
            .code(2)
            .stderr(predicate::str::contains(want));
    }
}

/// The real backend: every request served with its tokens, TTFT from
/// arrival at least the service's own prefill.
#[cfg(feature = "llama")]
#[test]
fn llama_cpp_serves_an_open_loop_load() {
    let cache = tempfile::tempdir().unwrap();
    let out = edgebench(cache.path())
        .args([
            "load",
            "-m",
            "synth:tiny-q4_0",
            "-b",
            "llama.cpp",
            "-t",
            "2",
        ])
        .args([
            "-p",
            "32",
            "-n",
            "8",
            "--rate",
            "50",
            "--requests",
            "20",
            "-c",
            "1,4",
            "-o",
            "json",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v = json(&out.stdout);
    let runs = v["load"]["points"].as_array().unwrap();
    assert_eq!(runs.len(), 2, "one run per concurrency");
    for (run, c) in runs.iter().zip([1, 4]) {
        assert_eq!(run["concurrency"], c);
        assert_eq!(run["dropped"], 0);
        let samples = run["samples"].as_array().unwrap();
        assert_eq!(samples.len(), 20);
        for s in samples {
            assert!(s["end_ns"].as_u64().unwrap() > s["first_token_ns"].as_u64().unwrap());
            assert!(s["start_ns"].as_u64().unwrap() >= s["arrival_ns"].as_u64().unwrap());
            assert_eq!(s["itl_ns"].as_array().unwrap().len(), 7, "c {c}");
        }
        assert!(run["ttft_ms"]["p50"].as_f64().unwrap() > 0.0);
        assert!(run["gen_tps"].as_f64().unwrap() > 0.0);
    }
    assert_eq!(v["backend"]["id"], "llama.cpp");
    // The record reads back as a record (report, compare, history).
    let r: edgebench_reports::Record = serde_json::from_value(v.clone()).unwrap();
    assert_eq!(r.kind, edgebench_reports::record::RecordKind::Load);
}
