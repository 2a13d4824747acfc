//! `edgebench compare` on synthetic records written by the test: verdicts,
//! skipped and unmatched cases, and exit codes (1 on a regression, 2 on bad input).
mod common;
use std::path::{Path, PathBuf};

use common::edgebench;
use edgebench_reports::Record;
use edgebench_reports::compare::estimate::SplitMix64;
use edgebench_reports::synthetic::{self, SyntheticCase};
use predicates::prelude::*;

/// `n` decode rates around `mean` with 2 % noise.
fn rates(mean: f64, n: usize, seed: u64) -> Vec<f64> {
    let mut rng = SplitMix64(seed);
    (0..n).map(|_| mean * (1.0 + 0.02 * rng.normal())).collect()
}

fn write(dir: &Path, name: &str, records: &[Record]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, serde_json::to_string_pretty(records).unwrap()).unwrap();
    path
}

fn case() -> SyntheticCase<'static> {
    SyntheticCase::default()
}

fn compare(base: &Path, cand: &Path, extra: &[&str]) -> assert_cmd::assert::Assert {
    let cache = tempfile::tempdir().unwrap();
    edgebench(cache.path())
        .arg("compare")
        .arg(base)
        .arg(cand)
        .args(extra)
        .assert()
}

#[test]
fn a_ten_percent_slowdown_with_ten_samples_is_slower_and_exits_1() {
    let dir = tempfile::tempdir().unwrap();
    let b = write(
        dir.path(),
        "b.json",
        &[synthetic::record(&case(), &rates(100.0, 10, 1))],
    );
    let c = write(
        dir.path(),
        "c.json",
        &[synthetic::record(&case(), &rates(90.0, 10, 2))],
    );
    compare(&b, &c, &[]).code(1).stdout(
        predicate::str::contains("REGRESSION")
            .and(predicate::str::contains("| decode_tps |"))
            .and(predicate::str::contains("**slower**")),
    );
    // Within a 15 % threshold it is no regression (the interval reaches past it).
    compare(&b, &c, &["--threshold", "15"]).code(0);
}

#[test]
fn noise_only_is_same_and_exits_0() {
    let dir = tempfile::tempdir().unwrap();
    let b = write(
        dir.path(),
        "b.json",
        &[synthetic::record(&case(), &rates(100.0, 10, 3))],
    );
    let c = write(
        dir.path(),
        "c.json",
        &[synthetic::record(&case(), &rates(100.0, 10, 4))],
    );
    let out = compare(&b, &c, &["-o", "json"])
        .code(0)
        .get_output()
        .stdout
        .clone();
    let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    let metrics = v["cases"][0]["metrics"].as_array().unwrap();
    assert_eq!(metrics.len(), 2, "decode_tps and ttft_ms: {v}");
    for m in metrics {
        assert_eq!(m["verdict"], "same", "{m}");
        assert!(m["ci_low_pct"].as_f64().unwrap() >= -5.0);
    }
}

#[test]
fn three_against_three_is_inconclusive_never_same() {
    let dir = tempfile::tempdir().unwrap();
    let b = write(
        dir.path(),
        "b.json",
        &[synthetic::record(&case(), &[100.0, 100.0, 100.0])],
    );
    let c = write(
        dir.path(),
        "c.json",
        &[synthetic::record(&case(), &[100.0, 100.0, 100.0])],
    );
    compare(&b, &c, &[]).code(0).stdout(
        predicate::str::contains("inconclusive (3 vs 3 samples")
            .and(predicate::str::contains("| same").not()),
    );
    // Even a large drop over 3 samples is not called slower.
    let c = write(
        dir.path(),
        "c2.json",
        &[synthetic::record(&case(), &[50.0, 51.0, 49.0])],
    );
    compare(&b, &c, &[])
        .code(0)
        .stdout(predicate::str::contains("inconclusive"));
}

#[test]
fn invalid_and_hot_cases_are_left_out_with_the_reason_and_unmatched_are_listed() {
    let dir = tempfile::tempdir().unwrap();
    let other = SyntheticCase {
        test: "req512+128",
        ..case()
    };
    let only_base = SyntheticCase {
        backend: "llama.cpp",
        ..case()
    };
    let b = write(
        dir.path(),
        "b.json",
        &[
            synthetic::record(&case(), &rates(100.0, 10, 5)),
            synthetic::record(&other, &rates(100.0, 10, 6)),
            synthetic::record(&only_base, &rates(100.0, 10, 7)),
        ],
    );
    let mut invalid = synthetic::record(&case(), &rates(50.0, 10, 8));
    invalid.status = edgebench_reports::Status::Invalid;
    invalid.reason =
        Some("started at 81.5 °C (gpu-thermal), above the profile's max_start_temp_c".into());
    let mut hot = synthetic::record(&other, &rates(50.0, 10, 9));
    hot.thermal_at_start = vec![edgebench_devices::probe::TemperatureReading {
        sensor: "cpu-thermal".into(),
        temp_c: 90.0,
    }];
    let c = write(dir.path(), "c.json", &[invalid, hot]);
    compare(&b, &c, &["--max-start-temp-c", "70"])
        .code(0)
        .stdout(
            predicate::str::contains("### Left out")
                .and(predicate::str::contains(
                    "(candidate): invalid: started at 81.5 °C",
                ))
                .and(predicate::str::contains("hot start: 90.0 °C (cpu-thermal)"))
                .and(predicate::str::contains("only in baseline"))
                .and(predicate::str::contains("llama.cpp")),
        )
        .stderr(predicate::str::contains("no case could be compared"));
}

#[test]
fn a_sweep_folder_is_read_through_its_sweep_json() {
    let dir = tempfile::tempdir().unwrap();
    let sweep = dir.path().join("sweep");
    std::fs::create_dir(&sweep).unwrap();
    let summary = serde_json::json!({
        "profile": "x",
        "records": [synthetic::record(&case(), &rates(100.0, 10, 10))],
    });
    std::fs::write(sweep.join("sweep.json"), summary.to_string()).unwrap();
    let c = write(
        dir.path(),
        "c.json",
        &[synthetic::record(&case(), &rates(80.0, 10, 11))],
    );
    compare(&sweep, &c, &[])
        .code(1)
        .stdout(predicate::str::contains("**slower**"));
}

#[test]
fn bad_input_exits_2_and_names_the_problem() {
    let dir = tempfile::tempdir().unwrap();
    let good = write(
        dir.path(),
        "b.json",
        &[synthetic::record(&case(), &rates(100.0, 10, 1))],
    );
    compare(&good, &dir.path().join("missing.json"), &[])
        .code(2)
        .stderr(predicate::str::contains("missing.json"));
    let mut future =
        serde_json::to_value(synthetic::record(&case(), &rates(100.0, 10, 1))).unwrap();
    future["schema_version"] = 99.into();
    let future_path = dir.path().join("future.json");
    std::fs::write(&future_path, future.to_string()).unwrap();
    compare(&good, &future_path, &[]).code(2).stderr(
        predicate::str::contains("schema_version 99 is newer")
            .and(predicate::str::contains("future.json")),
    );
    compare(&good, &good, &["--threshold=-3"])
        .code(2)
        .stderr(predicate::str::contains(
            "--threshold -3: give a percentage",
        ));
    let empty = dir.path().join("empty.jsonl");
    std::fs::write(&empty, "").unwrap();
    compare(&good, &empty, &[])
        .code(2)
        .stderr(predicate::str::contains("holds no result records"));
}

/// Two real (mock-backend) sweeps, the candidate's decode 25 % slower:
/// their folders compare as `slower` and exit 1. A sweep.json carries its own
/// `schema_version` and `"kind": "sweep"`; reading it must not mistake it
/// for a record.
#[test]
fn real_sweep_folders_compare() {
    let dir = tempfile::tempdir().unwrap();
    let profile = dir.path().join("box.toml");
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
backends = ["mock"]
threads = [1]
n_prompt = [8]
n_gen = [6]
reps = 8
warmup = 0
bandwidth = false
"#,
    )
    .unwrap();
    let sweep = |name: &str, decode_us: u32| {
        let out = dir.path().join(name);
        edgebench(&dir.path().join("cache"))
            .args(["sweep", "--device"])
            .arg(&profile)
            .arg("--out")
            .arg(&out)
            .args([
                "--mock-spec",
                &format!("decode_us={decode_us},jitter_pct=2"),
            ])
            .assert()
            .success();
        out
    };
    let base = sweep("base", 1000);
    let cand = sweep("cand", 1250);
    compare(&base, &cand, &[])
        .code(1)
        .stdout(predicate::str::contains("**slower**"));
    compare(&base.join("sweep.json"), &base, &[])
        .code(0)
        .stdout(predicate::str::contains("same"));
    // A newer sweep.json is refused, not read as records.
    let text = std::fs::read_to_string(base.join("sweep.json")).unwrap();
    let newer = text.replacen("\"schema_version\": 2", "\"schema_version\": 99", 1);
    assert_ne!(text, newer, "sweep.json has a schema_version");
    std::fs::write(dir.path().join("newer.json"), newer).unwrap();
    compare(&dir.path().join("newer.json"), &cand, &[])
        .code(2)
        .stderr(predicate::str::contains("99"));
}
