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
        assert_eq!(r["schema_version"], 1);
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
    assert_eq!(records[1]["workload"]["test"], "pp32+tg8@d16");
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
