//! Sweeps with a `[sustained]` section and with `[matrix] cooldown`, on the
//! mock backend, reading sensors from a fixture tree (EDGEBENCH_SYSFS_ROOT,
//! inherited by the worker and sustained processes).
mod common;
use std::path::{Path, PathBuf};

use common::edgebench;
use serde_json::Value;

fn profile(dir: &Path, extra_matrix: &str, tail: &str) -> PathBuf {
    let p = dir.join("p.toml");
    std::fs::write(
        &p,
        format!(
            r#"
[device]
name = "test box"
class = "sbc"

[[model]]
id = "tiny"
synth = {{ preset = "tiny", quant = "q4_0", seed = 42 }}

[matrix]
backends = ["mock"]
threads = [1]
n_prompt = [16]
n_gen = [5]
reps = 2
warmup = 0
timeout = 60
bandwidth = false
{extra_matrix}
{tail}
"#
        ),
    )
    .unwrap();
    p
}

/// A sysfs tree with one thermal zone at `temp_c`.
fn sensors(dir: &Path, temp_c: f64) -> PathBuf {
    let root = dir.join("sys-root");
    let zone = root.join("sys/class/thermal/thermal_zone0");
    std::fs::create_dir_all(&zone).unwrap();
    std::fs::write(zone.join("type"), "soc-thermal\n").unwrap();
    set_temp(&root, temp_c);
    root
}

fn set_temp(root: &Path, temp_c: f64) {
    let path = root.join("sys/class/thermal/thermal_zone0/temp");
    std::fs::write(path, format!("{}\n", (temp_c * 1000.0) as i64)).unwrap();
}

fn sweep(dir: &Path, profile: &Path, root: &Path) -> (assert_cmd::assert::Assert, Value) {
    let out = dir.join("out");
    let assert = edgebench(&dir.join("cache"))
        .env("EDGEBENCH_SYSFS_ROOT", root)
        .args(["sweep", "--device"])
        .arg(profile)
        .arg("--out")
        .arg(&out)
        .args(["--mock-spec", "prefill_us=50,decode_us=2000"])
        .assert();
    let summary = std::fs::read(out.join("sweep.json"))
        .map(|b| serde_json::from_slice(&b).unwrap())
        .unwrap_or(Value::Null);
    (assert, summary)
}

#[test]
fn sustained_section_runs_after_the_matrix_with_its_slos() {
    let dir = tempfile::tempdir().unwrap();
    let root = sensors(dir.path(), 45.0);
    let p = profile(
        dir.path(),
        "cooldown = { max_temp_c = 60, timeout_s = 5 }",
        r#"
[sustained]
duration = "2s"
window = "250ms"
n_prompt = 8
n_gen = 16
telemetry_hz = 10.0

[[slo]]
name = "holds its speed"
metric = "sustained_ratio"
op = ">="
threshold = 0.8

[[slo]]
name = "decode floor"
metric = "decode_tps.p50"
op = ">="
threshold = 100.0
"#,
    );
    let dry = edgebench(&dir.path().join("cache"))
        .args(["sweep", "--dry-run", "--device"])
        .arg(&p)
        .assert()
        .success();
    let listing = String::from_utf8(dry.get_output().stdout.clone()).unwrap();
    assert!(listing.contains("tiny/mock/t1/sustained"), "{listing}");
    let (assert, s) = sweep(dir.path(), &p, &root);
    assert.success();
    let records = s["records"].as_array().unwrap();
    assert_eq!(records.len(), 2, "one matrix case and one sustained run");
    let sus = records.iter().find(|r| r["kind"] == "sustained").unwrap();
    assert_eq!(sus["status"], "ok", "{}", sus["reason"]);
    assert_eq!(sus["model"]["id"], "tiny");
    assert_eq!(sus["device"]["name"], "test box");
    assert_eq!(sus["workload"]["test"], "sustained/req8+16");
    assert_eq!(sus["thermal_at_start"][0]["temp_c"], 45.0);
    let windows = sus["sustained"]["windows"].as_array().unwrap();
    assert!(windows.len() >= 4, "{} windows", windows.len());
    assert_eq!(windows[0]["temp_max_c"], 45.0);
    // Each SLO is judged on its own kind of record only.
    let verdicts = s["verdicts"].as_array().unwrap();
    assert_eq!(verdicts.len(), 2, "{verdicts:?}");
    let ratio = verdicts
        .iter()
        .find(|v| v["metric"] == "sustained_ratio")
        .unwrap();
    assert_eq!(ratio["test"], "sustained/req8+16");
    assert!(ratio["measured"].as_f64().unwrap() > 0.8);
    let floor = verdicts
        .iter()
        .find(|v| v["metric"] == "decode_tps.p50")
        .unwrap();
    assert_eq!(floor["test"], "req16+5");
    // The per-case record of the store holds the sustained run too.
    let stored = std::fs::read_dir(dir.path().join("out/cases"))
        .unwrap()
        .count();
    assert_eq!(stored, 2);
}

#[test]
fn a_device_that_stays_hot_makes_its_cases_invalid() {
    let dir = tempfile::tempdir().unwrap();
    let root = sensors(dir.path(), 91.5);
    let p = profile(
        dir.path(),
        "cooldown = { max_temp_c = 60, timeout_s = 1 }",
        "",
    );
    let (assert, s) = sweep(dir.path(), &p, &root);
    // A sweep's exit code does not depend on its cases' statuses (only
    // --fail-on-slo gates); the record says what happened.
    assert.success();
    let r = &s["records"][0];
    assert_eq!(r["status"], "invalid");
    let reason = r["reason"].as_str().unwrap();
    assert!(reason.contains("did not cool below 60 °C"), "{reason}");
    assert!(reason.contains("soc-thermal at 91.5 °C"), "{reason}");
    assert_eq!(r["thermal_at_start"][0]["temp_c"], 91.5);
}

#[test]
fn a_device_that_cools_in_time_runs_after_waiting() {
    let dir = tempfile::tempdir().unwrap();
    let root = sensors(dir.path(), 80.0);
    let p = profile(
        dir.path(),
        "cooldown = { max_temp_c = 60, timeout_s = 30 }",
        "",
    );
    let fan = {
        let root = root.clone();
        std::thread::spawn(move || {
            std::thread::sleep(std::time::Duration::from_millis(1500));
            set_temp(&root, 42.0);
        })
    };
    let (assert, s) = sweep(dir.path(), &p, &root);
    fan.join().unwrap();
    assert.success();
    let r = &s["records"][0];
    assert_eq!(r["status"], "ok", "{}", r["reason"]);
    assert_eq!(r["thermal_at_start"][0]["temp_c"], 42.0);
    let warnings = r["warnings"].to_string();
    assert!(warnings.contains("waited"), "{warnings}");
}
