//! `edgebench roofline` and the roofline section of every record.
mod common;
use common::{edgebench, mock_run};
use predicates::prelude::*;

fn jetson_profile() -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../profiles/jetson.toml")
}

#[test]
fn predicts_ceilings_from_the_profile_bandwidth() {
    let cache = tempfile::tempdir().unwrap();
    let out = edgebench(cache.path())
        .args([
            "roofline",
            "-m",
            "synth:tiny-q4_0",
            "-c",
            "0,1024",
            "-o",
            "json",
            "--device",
        ])
        .arg(jetson_profile())
        .assert()
        .success();
    let p: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    let w = p["weight_bytes_per_token"].as_f64().unwrap();
    let kv = p["kv_bytes_per_context_token"].as_f64().unwrap();
    // tiny: 4 layers x 2 KV heads x head_dim 64 x (K + V) x 2 bytes (f16).
    assert_eq!(kv, (4 * 2 * 64 * 2 * 2) as f64);
    let rows = p["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 2);
    let c0 = rows[0]["ceiling_tps_peak"].as_f64().unwrap();
    assert!(
        (c0 - 204.8e9 / w).abs() < 1e-6 * c0,
        "{c0} vs {}",
        204.8e9 / w
    );
    let c1 = rows[1]["ceiling_tps_peak"].as_f64().unwrap();
    assert!((c1 - 204.8e9 / (w + 1024.0 * kv)).abs() < 1e-6 * c1);
}

#[test]
fn a_profile_without_bandwidth_is_refused_with_the_key_named() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("nobw.toml");
    std::fs::write(
        &p,
        "[device]\nname = \"x\"\nclass = \"server\"\n\n[[model]]\nid = \"t\"\n\
         synth = { preset = \"tiny\", quant = \"q4_0\" }\n\n[matrix]\nbackends = [\"mock\"]\n\
         threads = [1]\nn_prompt = [8]\nn_gen = [2]\n",
    )
    .unwrap();
    edgebench(dir.path())
        .args(["roofline", "-m", "synth:tiny-q4_0", "--device"])
        .arg(&p)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("mem_bandwidth_gbs"));
}

#[test]
fn every_run_record_carries_bytes_per_token_and_achieved_bandwidth() {
    let cache = tempfile::tempdir().unwrap();
    let out = edgebench(cache.path())
        .args(mock_run(&["-o", "json"]))
        .assert()
        .success();
    let v: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    let r = &v[0]["roofline"];
    let bytes = r["bytes_per_token"].as_f64().unwrap();
    assert!(bytes > 1e6, "tiny reads about 2.4 MB per token: {bytes}");
    let decode = v[0]["metrics"]["decode_tps"]["mean"].as_f64().unwrap();
    let achieved = r["achieved_gbs"].as_f64().unwrap();
    assert!((achieved - bytes * decode / 1e9).abs() < 1e-9 * achieved.max(1.0));
    // `run` measures no bandwidth and has no profile: no ceilings, never zeros.
    assert!(r["ceiling_tps_measured"].is_null() && r["ceiling_tps_peak"].is_null());
}

#[test]
fn run_with_a_measured_bandwidth_shows_decode_as_a_share_of_its_ceiling() {
    let cache = tempfile::tempdir().unwrap();
    edgebench(cache.path())
        .args(mock_run(&["--read-gbs", "10"]))
        .assert()
        .success()
        .stdout(predicate::str::contains("% of ceiling"));
    edgebench(cache.path())
        .args(mock_run(&["--read-gbs=0"]))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--read-gbs"));
}
