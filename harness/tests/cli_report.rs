//! `edgebench report` and the report a sweep writes for its own results,
//! through the binary with the mock backend.
mod common;
use std::path::{Path, PathBuf};

use common::edgebench;
use predicates::prelude::*;

const PROFILE: &str = r#"
[device]
name = "test box"
class = "server"
price_usd = 500
mem_bandwidth_gbs = 50

[[model]]
id = "tiny"
synth = { preset = "tiny", quant = "q4_0", seed = 42 }

[matrix]
backends = ["mock", "onnx:cuda"]
threads = [1]
n_prompt = [16, 32]
n_gen = [5]
reps = 3
warmup = 0
timeout = 30
bandwidth = false

[[slo]]
name = "decode floor"
backend = "mock"
metric = "decode_tps.p50"
op = ">="
threshold = 100.0

[cost]
lifecycle_usd_per_month = 3
engineering_usd = 5000
cloud_cost_per_query_usd = 0.0005
monthly_queries = 2000000
"#;

/// A finished mock sweep in `dir/out`.
fn mock_sweep(dir: &Path) -> PathBuf {
    let profile = dir.join("box.toml");
    std::fs::write(&profile, PROFILE).unwrap();
    let out = dir.join("out");
    edgebench(dir)
        .args(["sweep", "--device"])
        .arg(&profile)
        .arg("--out")
        .arg(&out)
        .args(["--mock-spec", "prefill_us=100,decode_us=2000"])
        .assert()
        .success()
        .stderr(predicate::str::contains("edgebench: report: open file://"))
        .stderr(predicate::str::contains("report.html"));
    out
}

#[test]
fn a_sweep_ends_with_its_report() {
    let dir = tempfile::tempdir().unwrap();
    let out = mock_sweep(dir.path());
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(html.contains("test box"));
    assert!(html.contains("<svg"));
    let md = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(md.contains("PASS decode floor"), "{md}");
    assert!(md.contains("ep_unavailable"), "{md}");
    // Small multiples per model: the model "tiny".
    assert!(out.join("charts/decode-tps-tiny.png").is_file());
}

#[test]
fn report_of_a_sweep_folder_into_another_folder() {
    let dir = tempfile::tempdir().unwrap();
    let out = mock_sweep(dir.path());
    let rep = dir.path().join("rep");
    edgebench(dir.path())
        .arg("report")
        .arg(&out)
        .arg("--out")
        .arg(&rep)
        .args(["--format", "md"])
        .assert()
        .success()
        .stderr(predicate::str::contains("report.md"));
    assert!(rep.join("report.md").is_file());
    assert!(!rep.join("report.html").exists(), "--format md only");
    let md = std::fs::read_to_string(rep.join("report.md")).unwrap();
    assert!(
        md.contains("devices for V"),
        "cost model from the sweep's profile: {md}"
    );
}

#[test]
fn slo_profile_judges_plain_result_files() {
    let dir = tempfile::tempdir().unwrap();
    let out = mock_sweep(dir.path());
    let rep = dir.path().join("rep");
    // The case files alone carry no profile.
    edgebench(dir.path())
        .arg("report")
        .arg(out.join("cases"))
        .arg("--out")
        .arg(&rep)
        .arg("--slo-profile")
        .arg(dir.path().join("box.toml"))
        .assert()
        .success();
    let md = std::fs::read_to_string(rep.join("report.md")).unwrap();
    assert!(md.contains("SLOs from"), "{md}");
    assert!(md.contains("PASS decode floor"), "{md}");
}

#[test]
fn bad_inputs_exit_2_with_a_message() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope");
    edgebench(dir.path())
        .arg("report")
        .arg(&missing)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no such file or folder"));

    let empty = dir.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    edgebench(dir.path())
        .arg("report")
        .arg(&empty)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no results found"));

    let newer = dir.path().join("newer.json");
    std::fs::write(&newer, "[{\"schema_version\": 42}]").unwrap();
    edgebench(dir.path())
        .arg("report")
        .arg(&newer)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("schema_version 42 is newer"))
        .stderr(predicate::str::contains("upgrade edgebench"));

    edgebench(dir.path())
        .args(["report", "x", "--format", "pdf"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("`pdf` is not a report format"));

    edgebench(dir.path())
        .args(["report", "x", "--slo-profile", "missing.toml"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--slo-profile"));

    edgebench(dir.path()).arg("report").assert().code(2);
}

#[test]
fn a_corrupt_file_is_named_and_the_rest_reported() {
    let dir = tempfile::tempdir().unwrap();
    let out = mock_sweep(dir.path());
    let broken = out.join("cases").join("broken.json");
    std::fs::write(&broken, "{\"schema_version\": 1, ").unwrap();
    let rep = dir.path().join("rep");
    edgebench(dir.path())
        .arg("report")
        .arg(out.join("cases"))
        .arg("--out")
        .arg(&rep)
        .assert()
        .success()
        .stderr(predicate::str::contains("warning: skipped"))
        .stderr(predicate::str::contains("broken.json"));
    let md = std::fs::read_to_string(rep.join("report.md")).unwrap();
    assert!(md.contains("broken.json"), "the warning is in the report");
    assert!(md.contains("test box"));
}

#[test]
fn a_corrupt_sweep_json_falls_back_to_its_case_files() {
    let dir = tempfile::tempdir().unwrap();
    let out = mock_sweep(dir.path());
    std::fs::write(out.join("sweep.json"), "{\"kind\": \"sweep\", ").unwrap();
    let rep = dir.path().join("rep");
    edgebench(dir.path())
        .arg("report")
        .arg(&out)
        .arg("--out")
        .arg(&rep)
        .assert()
        .success()
        .stderr(predicate::str::contains("sweep.json"))
        .stderr(predicate::str::contains("reporting its case files"));
    let md = std::fs::read_to_string(rep.join("report.md")).unwrap();
    assert!(md.contains("4 case(s)"), "{md}");
}

#[test]
fn a_standalone_sustained_record_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("sustained.json");
    edgebench(dir.path())
        .args(["sustained", "-b", "mock", "--mock-spec", "decode_us=2000"])
        .args([
            "-p",
            "8",
            "-n",
            "16",
            "--duration",
            "2s",
            "--window",
            "250ms",
        ])
        .arg("--out")
        .arg(&file)
        .assert()
        .success();
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(text.trim_start().starts_with('{'), "one object: {text}");
    let rep = dir.path().join("rep");
    edgebench(dir.path())
        .arg("report")
        .arg(&file)
        .arg("--out")
        .arg(&rep)
        .assert()
        .success();
    let md = std::fs::read_to_string(rep.join("report.md")).unwrap();
    let section = md
        .split("## Sustained throughput and temperature")
        .nth(1)
        .and_then(|s| s.split("\n## ").next())
        .unwrap_or_else(|| panic!("no sustained section: {md}"));
    assert!(!section.contains("No sustained results"), "{section}");
    // Its row: the mock's model and backend, a 2 s run.
    let row = section
        .lines()
        .find(|l| l.contains("| mock |"))
        .unwrap_or_else(|| panic!("no row for the run: {section}"));
    assert!(row.contains("| 2 |"), "duration 2 s: {row}");
    assert!(md.contains("0 case(s) (0 ok), 1 sustained run(s)"), "{md}");
    // Not an ordinary case: the case table is empty and the case charts
    // are not drawn.
    assert!(!md.contains("](charts/decode-tps-"), "{md}");
    assert!(rep.join("charts/sustained-decode-tps.png").is_file());
    let html = std::fs::read_to_string(rep.join("report.html")).unwrap();
    assert!(html.contains("<figure id=\"chart-sustained-decode-tps\""));
}
