//! The pure-Rust `cpu` backend through the CLI, on a real synthetic model:
//! `run` measures with it; a sweep gives each of its thread counts its own
//! worker (candle fixes its pool per process); `run` with two thread counts
//! says why the second cannot run in the same process.
#![cfg(feature = "cpu")]
mod common;

use common::edgebench;
use serde_json::Value;

#[test]
fn run_measures_with_the_cpu_backend() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("r.json");
    edgebench(dir.path())
        .args([
            "run",
            "-q",
            "--shape",
            "request",
            "-b",
            "cpu",
            "-m",
            "synth:tiny-q8_0",
            "-t",
            "1",
        ])
        .args(["-p", "16", "-n", "4", "-r", "2", "-o", "json", "--out"])
        .arg(&out)
        .assert()
        .success();
    let v: Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    let r = &v[0];
    assert_eq!(r["status"], "ok", "{}", r["reason"]);
    assert_eq!(r["backend"]["id"], "cpu");
    assert!(
        r["backend"]["version"]
            .as_str()
            .unwrap()
            .starts_with("candle ")
    );
    assert!(r["metrics"]["decode_tps"]["mean"].as_f64().unwrap() > 0.0);
    assert_eq!(r["metrics"]["tokens_generated"], serde_json::json!([4, 4]));
}

#[test]
fn a_second_thread_count_in_one_process_is_refused_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("r.json");
    edgebench(dir.path())
        .env_remove("CANDLE_NUM_THREADS")
        .args([
            "run", "-q", "--shape", "request", "-b", "cpu", "-t", "1,2", "-p", "8", "-n", "2",
            "-r", "1",
        ])
        .args(["-o", "json", "--out"])
        .arg(&out)
        .assert()
        .code(1);
    let v: Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    assert_eq!(v[0]["status"], "ok", "{}", v[0]["reason"]);
    assert_eq!(v[1]["status"], "failed");
    let why = v[1]["reason"].as_str().unwrap();
    assert!(why.contains("thread pool once per process"), "{why}");
}

#[test]
fn a_sweep_runs_each_cpu_thread_count_in_its_own_worker() {
    let dir = tempfile::tempdir().unwrap();
    let profile = dir.path().join("p.toml");
    std::fs::write(
        &profile,
        r#"
[device]
name = "box"
class = "server"

[[model]]
id = "tiny"
synth = { preset = "tiny", quant = "q4_0" }

[matrix]
backends = ["cpu"]
threads = [1, 2]
n_prompt = [8]
n_gen = [3]
reps = 1
warmup = 0
bandwidth = false
"#,
    )
    .unwrap();
    let out = dir.path().join("out");
    edgebench(dir.path())
        .env_remove("CANDLE_NUM_THREADS")
        .args(["sweep", "--device"])
        .arg(&profile)
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
    let s: Value = serde_json::from_slice(&std::fs::read(out.join("sweep.json")).unwrap()).unwrap();
    let recs = s["records"].as_array().unwrap();
    assert_eq!(recs.len(), 2);
    for r in recs {
        assert_eq!(r["status"], "ok", "{}", r["reason"]);
    }
}
