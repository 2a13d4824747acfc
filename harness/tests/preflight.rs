//! The memory pre-flight (issue 18): a case that cannot fit is refused
//! before anything loads, with needed against available memory and what to
//! change; a case that fits by a small margin runs; `--force` runs it anyway
//! and the record says so; a sweep records refused cases `invalid` and goes
//! on. The machine's available memory comes from a fixture tree
//! (`EDGEBENCH_SYSFS_ROOT`), so the figures are the same on every machine.
mod common;
use std::path::Path;
use std::time::{Duration, Instant};

use common::{edgebench, mock_run};
use serde_json::Value;

/// A fixture root whose /proc/meminfo says `kib` KiB are available.
fn machine_with(dir: &Path, kib: u64) -> std::path::PathBuf {
    let root = dir.join(format!("root-{kib}"));
    std::fs::create_dir_all(root.join("proc")).unwrap();
    std::fs::write(
        root.join("proc/meminfo"),
        format!("MemTotal: {} kB\nMemAvailable: {kib} kB\n", kib * 2),
    )
    .unwrap();
    root
}

/// The tiny model on real llama.cpp where compiled in (mock otherwise: it is
/// checked with llama.cpp's formula).
fn backend() -> &'static str {
    if cfg!(feature = "llama") {
        "llama.cpp"
    } else {
        "mock"
    }
}

#[test]
fn a_ten_million_token_prompt_is_refused_at_once_with_the_numbers() {
    let cache = tempfile::tempdir().unwrap();
    // Warm the synthetic model's cache so the timing covers the check only.
    edgebench(cache.path())
        .args(["synth", "--preset", "tiny", "--quant", "q4_0", "--out"])
        .arg(cache.path().join("warm.gguf"))
        .assert()
        .success();
    let root = machine_with(cache.path(), 8 << 20); // an 8 GiB board
    let t = Instant::now();
    let out = edgebench(cache.path())
        .env("EDGEBENCH_SYSFS_ROOT", &root)
        .args([
            "run",
            "--shape",
            "request",
            "-m",
            "synth:tiny-q4_0",
            "-b",
            backend(),
        ])
        .args(["-p", "10000000", "-n", "16", "-r", "1"])
        .timeout(Duration::from_secs(60))
        .output()
        .unwrap();
    let took = t.elapsed();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    for want in [
        "refused before loading",
        "needs about",
        "KV cache for 10000016 tokens",
        "8.0 GiB is available (MemAvailable",
        "-p/--n-prompt",
        "--force",
        "training context of 2048 tokens",
        "--allow-long-context",
    ] {
        assert!(err.contains(want), "missing '{want}' in:\n{err}");
    }
    // Refused before any token: well under a second of work (the bound is
    // loose for a loaded CI machine; a run that starts takes minutes).
    assert!(took < Duration::from_secs(10), "took {took:?}");
}

fn run_json(cache: &Path, root: &Path, extra: &[&str]) -> (Option<i32>, String, Option<Value>) {
    let out = edgebench(cache)
        .env("EDGEBENCH_SYSFS_ROOT", root)
        .args(mock_run(&["-m", "synth:tiny-q4_0", "-p", "64", "-n", "4"]))
        .args(["-o", "json"])
        .args(extra)
        .output()
        .unwrap();
    let json = serde_json::from_slice::<Value>(&out.stdout).ok();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        json,
    )
}

#[test]
fn a_case_that_fits_by_a_small_margin_runs_and_one_just_short_is_refused() {
    let cache = tempfile::tempdir().unwrap();
    // The exact need, from a forced run on a machine with 1 MiB.
    let tight = machine_with(cache.path(), 1024);
    let (code, err, json) = run_json(cache.path(), &tight, &["--force"]);
    assert_eq!(code, Some(0), "{err}");
    let rec = &json.unwrap()[0];
    let pf = &rec["preflight"];
    assert_eq!(pf["forced"], true, "{pf}");
    assert_eq!(pf["available_bytes"], 1024 * 1024);
    let need = pf["need_bytes"].as_u64().unwrap();
    let parts: u64 = [
        "weights_bytes",
        "kv_cache_bytes",
        "compute_bytes",
        "runtime_bytes",
    ]
    .iter()
    .map(|k| pf[k].as_u64().unwrap())
    .sum();
    assert_eq!(need, parts, "{pf}");
    assert!(
        rec["warnings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|w| w.as_str().unwrap().contains("forced past the pre-flight")),
        "{rec}"
    );
    // 64 KiB more than the need: runs, not forced.
    let fits = machine_with(cache.path(), need.div_ceil(1024) + 64);
    let (code, err, json) = run_json(cache.path(), &fits, &[]);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(json.unwrap()[0]["preflight"]["forced"], false);
    // 64 KiB less: refused, exit 2, nothing on stdout.
    let short = machine_with(cache.path(), need / 1024 - 64);
    let (code, err, json) = run_json(cache.path(), &short, &[]);
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("needs about") && err.contains("--force"),
        "{err}"
    );
    assert!(json.is_none());
}

#[test]
fn a_sweep_records_refused_cases_invalid_and_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let write_profile = |name: &str, extra: &str| {
        let p = dir.path().join(name);
        std::fs::write(
            &p,
            format!(
                r#"
[device]
name = "test box"
class = "server"

[[model]]
id = "tiny"
synth = {{ preset = "tiny", quant = "q4_0", seed = 42 }}

[matrix]
backends = ["mock"]
threads = [1]
n_prompt = [16, 3000]
n_gen = [4]
reps = 2
warmup = 0
bandwidth = false
{extra}
"#
            ),
        )
        .unwrap();
        p
    };
    let sweep = |profile: &Path, out: &Path| {
        edgebench(dir.path())
            .args(["sweep", "--device"])
            .arg(profile)
            .arg("--out")
            .arg(out)
            .args(["--mock-spec", "prefill_us=10,decode_us=100"])
            .output()
            .unwrap()
    };
    let records = |out: &Path| -> Vec<Value> {
        let s: Value =
            serde_json::from_slice(&std::fs::read(out.join("sweep.json")).unwrap()).unwrap();
        s["records"].as_array().unwrap().clone()
    };
    // 3000 + 4 tokens is past the tiny model's 2048-token training context.
    let out = dir.path().join("plain");
    let res = sweep(&write_profile("plain.toml", ""), &out);
    let err = String::from_utf8_lossy(&res.stderr);
    let recs = records(&out);
    assert_eq!(recs.len(), 2, "{err}");
    let by_test = |t: &str| recs.iter().find(|r| r["workload"]["test"] == t).unwrap();
    assert_eq!(by_test("req16+4")["status"], "ok");
    let long = by_test("req3000+4");
    assert_eq!(long["status"], "invalid", "{long}");
    let reason = long["reason"].as_str().unwrap();
    assert!(
        reason.contains("training context of 2048") && reason.contains("allow_long_context"),
        "{reason}"
    );
    assert_eq!(long["preflight"]["n_ctx"], 3004);
    // The profile key runs it, and the record says it was forced.
    let out = dir.path().join("allowed");
    sweep(
        &write_profile("allowed.toml", "allow_long_context = true"),
        &out,
    );
    let recs = records(&out);
    let long = recs
        .iter()
        .find(|r| r["workload"]["test"] == "req3000+4")
        .unwrap();
    assert_eq!(long["status"], "ok", "{long}");
    assert_eq!(long["preflight"]["forced"], true);
    // No memory at all: every case refused, the model never loaded.
    let root = machine_with(dir.path(), 1);
    let out = dir.path().join("nomem");
    let res = edgebench(dir.path())
        .env("EDGEBENCH_SYSFS_ROOT", &root)
        .args(["sweep", "--device"])
        .arg(write_profile("nomem.toml", ""))
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    let recs = records(&out);
    assert_eq!(recs.len(), 2, "{}", String::from_utf8_lossy(&res.stderr));
    for r in &recs {
        assert_eq!(r["status"], "invalid", "{r}");
        let reason = r["reason"].as_str().unwrap();
        assert!(
            reason.contains("needs about") && reason.contains("[matrix] force"),
            "{reason}"
        );
        assert!(r["metrics"]["load_ms"].is_null(), "loaded anyway: {r}");
    }
}
