//! llama.cpp end to end on the tiny synthetic models: the real backend, the
//! real CLI, records checked against the file and the request.
#![cfg(feature = "llama")]
mod common;
use common::edgebench;
use sha2::{Digest, Sha256};

fn run_llama(quant: &str) -> (serde_json::Value, tempfile::TempDir) {
    let cache = tempfile::tempdir().unwrap();
    let out = cache.path().join("r.json");
    edgebench(cache.path())
        .args([
            "run",
            "--shape",
            "request",
            "-m",
            &format!("synth:tiny-{quant}"),
            "-b",
            "llama.cpp",
            "-p",
            "32",
            "-n",
            "8",
            "-d",
            "0,16",
            "-r",
            "2",
            "-t",
            "2",
            "-q",
            "-o",
            "json",
            "--out",
        ])
        .arg(&out)
        .assert()
        .success();
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    (v, cache)
}

fn check(quant: &str, expect_quant: &str) {
    let (records, _cache) = run_llama(quant);
    let records = records.as_array().unwrap();
    assert_eq!(records.len(), 2, "one case per depth");
    for r in records {
        assert_eq!(r["schema_version"], 2);
        assert_eq!(r["workload"]["shape"], "request");
        assert_eq!(r["status"], "ok", "{}", r["reason"]);
        assert_eq!(r["backend"]["id"], "llama.cpp");
        assert_eq!(r["model"]["quant"], expect_quant);
        assert_eq!(r["model"]["arch"], "llama");
        let m = &r["metrics"];
        assert!(m["decode_tps"]["mean"].as_f64().unwrap() > 0.0);
        assert!(m["prefill_tps"]["mean"].as_f64().unwrap() > 0.0);
        assert!(m["ttft_ms"]["p50"].as_f64().unwrap() > 0.0);
        assert_eq!(m["tokens_generated"], serde_json::json!([8, 8]));
        assert_eq!(m["itl_ms"]["n"], 2 * 7);
        assert_eq!(m["decode_tps"]["samples"].as_array().unwrap().len(), 2);
        assert!(m["peak_rss_bytes"].as_u64().unwrap() > 0);
        // The recorded hash is the file's.
        let path = r["model"]["path"].as_str().unwrap();
        let digest = Sha256::digest(std::fs::read(path).unwrap());
        let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(r["model"]["sha256"], hex);
        assert_eq!(
            r["model"]["size_bytes"].as_u64().unwrap(),
            std::fs::metadata(path).unwrap().len()
        );
    }
    assert_eq!(records[1]["workload"]["test"], "req32+8 @ d16");
    assert_eq!(records[1]["workload"]["n_ctx"], 16 + 32 + 8);
}

#[test]
fn tiny_q4_0_runs_on_llama_cpp() {
    check("q4_0", "Q4_0");
}

#[test]
fn tiny_q8_0_runs_on_llama_cpp() {
    check("q8_0", "Q8_0");
}

/// llama-bench's test shapes on each real backend: `-p 32 -n 8 -pg 32,8
/// -d 0,16` gives pp32, tg8, pp32+tg8 at both depths, with the metrics each
/// shape has: a tg test starts from a fresh token (no prompt), even at
/// depth 0.
#[cfg(all(feature = "cpu", feature = "onnx"))]
#[test]
fn llama_bench_shapes_run_on_every_backend() {
    let cache = tempfile::tempdir().unwrap();
    for backend in ["llama.cpp", "cpu", "onnx:cpu"] {
        let out = cache
            .path()
            .join(format!("{}.json", backend.replace(':', "-")));
        edgebench(cache.path())
            .args(["run", "-m", "synth:tiny-q4_0", "-b", backend, "-t", "1"])
            .args([
                "-p", "32", "-n", "8", "-pg", "32,8", "-d", "0,16", "-r", "2",
            ])
            .args(["-q", "-o", "json", "--out"])
            .arg(&out)
            .assert()
            .success();
        let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
        let records = v.as_array().unwrap();
        let names: Vec<&str> = records
            .iter()
            .map(|r| r["workload"]["test"].as_str().unwrap())
            .collect();
        assert_eq!(
            names,
            [
                "pp32",
                "tg8",
                "pp32+tg8",
                "pp32 @ d16",
                "tg8 @ d16",
                "pp32+tg8 @ d16"
            ],
            "{backend}"
        );
        for r in records {
            let m = &r["metrics"];
            let shape = r["workload"]["shape"].as_str().unwrap();
            assert_eq!(r["status"], "ok", "{backend} {shape}: {}", r["reason"]);
            let has = |k: &str| m[k]["mean"].as_f64().is_some_and(|x| x > 0.0);
            assert_eq!(has("prefill_tps"), shape != "tg", "{backend} {shape}");
            assert_eq!(has("decode_tps"), shape != "pp", "{backend} {shape}");
            assert!(
                m["ttft_ms"].is_null(),
                "{backend} {shape}: only requests have TTFT"
            );
            let steps = m["itl_ms"]["n"].as_u64().unwrap_or(0);
            assert_eq!(
                steps,
                if shape == "pp" { 0 } else { 2 * 8 },
                "{backend} {shape}"
            );
        }
    }
}
