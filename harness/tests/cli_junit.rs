//! `--junit FILE` on `sweep`, `compare` and `history check`: each file
//! validates against the common JUnit schema (Jenkins xunit's junit-10.xsd,
//! with xmllint) and, read back by a real XML parser, holds as many tests,
//! failures and skips as the command's JSON output has verdicts; it is
//! written when the command exits 1 on them; a path that cannot be written
//! is refused, naming the flag, before anything runs.
#![cfg_attr(not(feature = "history"), allow(dead_code))]
mod common;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use common::edgebench;
use edgebench_reports::Record;
use edgebench_reports::compare::estimate::SplitMix64;
use edgebench_reports::synthetic::{self, SyntheticCase};
use predicates::prelude::*;
use serde_json::Value;

/// The JUnit schema the files must satisfy (source and license in its header).
fn xsd() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../reports/tests/fixtures/junit-10.xsd")
}

/// xmllint's stdout; the test fails, saying what to install, without it.
fn xmllint(args: &[&str], file: &Path) -> std::process::Output {
    std::process::Command::new("xmllint")
        .args(args)
        .arg(file)
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "xmllint could not run ({e}); these tests need it to validate the JUnit files: \
                 run scripts/setup.sh (it installs libxml2-utils)"
            )
        })
}

/// `file` is valid XML and valid against the JUnit schema.
fn assert_schema_valid(file: &Path) {
    let xsd = xsd();
    let out = xmllint(&["--noout", "--schema", xsd.to_str().unwrap()], file);
    assert!(
        out.status.success(),
        "{} does not validate against {}:\n{}\n{}",
        file.display(),
        xsd.display(),
        String::from_utf8_lossy(&out.stderr),
        std::fs::read_to_string(file).unwrap_or_default()
    );
}

/// An XPath 1.0 number over `file`, e.g. `count(//testcase[failure])`.
fn xpath(file: &Path, expr: &str) -> usize {
    let out = xmllint(&["--xpath", expr], file);
    let text = String::from_utf8_lossy(&out.stdout);
    text.trim()
        .parse()
        .unwrap_or_else(|e| panic!("{expr} on {}: '{text}' ({e})", file.display()))
}

/// Tests, failures, errors, skipped as a parser reads them back: counted
/// from the elements, and checked against the totals the file declares.
fn counts(file: &Path) -> (usize, usize, usize, usize) {
    let tests = xpath(file, "count(//testcase)");
    let failures = xpath(file, "count(//testcase[failure])");
    let errors = xpath(file, "count(//testcase[error])");
    let skipped = xpath(file, "count(//testcase[skipped])");
    assert_eq!(xpath(file, "number(/testsuites/@tests)"), tests);
    assert_eq!(xpath(file, "number(/testsuites/@failures)"), failures);
    assert_eq!(xpath(file, "number(/testsuites/@errors)"), errors);
    assert_eq!(xpath(file, "sum(//testsuite/@tests)"), tests);
    assert_eq!(xpath(file, "sum(//testsuite/@failures)"), failures);
    assert_eq!(xpath(file, "sum(//testsuite/@skipped)"), skipped);
    (tests, failures, errors, skipped)
}

fn json(bytes: &[u8]) -> Value {
    serde_json::from_slice(bytes).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}):\n{}",
            String::from_utf8_lossy(bytes)
                .chars()
                .take(2000)
                .collect::<String>()
        )
    })
}

/// Two mock cases and three SLOs: one met, one missed, one with nothing to
/// judge (no `[sustained]` run).
const PROFILE: &str = r#"
[device]
name = "junit box"
class = "server"

[[model]]
id = "tiny"
synth = { preset = "tiny", quant = "q4_0", seed = 42 }

[matrix]
backends = ["mock"]
threads = [1]
n_prompt = [16, 24]
n_gen = [5]
reps = 3
warmup = 0
timeout = 30
bandwidth = false

[[slo]]
name = "decode floor"
metric = "decode_tps.p50"
op = ">="
threshold = 100.0

[[slo]]
name = "decode <dream> & \"more\""
metric = "decode_tps.p50"
op = ">="
threshold = 1000000.0

[[slo]]
name = "holds its speed"
metric = "sustained_ratio"
op = ">="
threshold = 0.8
"#;

#[test]
fn sweep_junit_is_valid_and_written_when_an_slo_fails() {
    let dir = tempfile::tempdir().unwrap();
    let profile = dir.path().join("box.toml");
    std::fs::write(&profile, PROFILE).unwrap();
    let out = dir.path().join("out");
    // Inside the --out folder, which does not exist yet: both get made.
    let junit = out.join("junit/slo.xml");
    edgebench(&dir.path().join("cache"))
        .args(["sweep", "--fail-on-slo", "--device"])
        .arg(&profile)
        .arg("--out")
        .arg(&out)
        .arg("--junit")
        .arg(&junit)
        .args(["--mock-spec", "prefill_us=100,decode_us=1000"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("an SLO failed (--fail-on-slo)"));
    assert_schema_valid(&junit);
    let summary = json(&std::fs::read(out.join("sweep.json")).unwrap());
    let verdicts = summary["verdicts"].as_array().unwrap();
    let failed = verdicts.iter().filter(|v| v["pass"] == false).count();
    // Two cases x two SLOs, and one SLO that matched no case.
    assert_eq!((verdicts.len(), failed), (5, 3), "{verdicts:?}");
    assert_eq!(counts(&junit), (verdicts.len(), failed, 0, 0));
    assert_eq!(xpath(&junit, "count(//testcase[failure/@type='slo'])"), 3);
    // A missed limit carries the measured value, the limit and the margin;
    // a check with nothing measured carries its note.
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(
        xml.contains(
            "name=\"decode &lt;dream&gt; &amp; &quot;more&quot;: decode_tps.p50 &gt;= 1000000\""
        ),
        "{xml}"
    );
    assert!(
        xml.contains("message=\"measured 1000, limit &gt;= 1000000, margin -999000 (-99.9%)\""),
        "{xml}"
    );
    assert!(
        xml.contains("message=\"nothing measured: no sustained run matched this SLO"),
        "{xml}"
    );
    assert!(xml.contains("<testsuite name=\"junit box\""), "{xml}");
}

#[test]
fn an_unwritable_junit_path_is_refused_before_anything_runs() {
    let dir = tempfile::tempdir().unwrap();
    let profile = dir.path().join("box.toml");
    std::fs::write(&profile, PROFILE).unwrap();
    let out = dir.path().join("out");
    // Its folder would have to be where a file is.
    let under_a_file = profile.join("slo.xml");
    edgebench(&dir.path().join("cache"))
        .args(["sweep", "--device"])
        .arg(&profile)
        .arg("--out")
        .arg(&out)
        .arg("--junit")
        .arg(&under_a_file)
        .args(["--mock-spec", "decode_us=1000"])
        .assert()
        .code(2)
        .stderr(
            predicate::str::contains(format!("--junit {}", under_a_file.display()))
                .and(predicate::str::contains("cannot create its folder")),
        );
    assert!(
        !out.exists(),
        "nothing may run when --junit cannot be written"
    );
    // A folder is not a file name.
    let b = write(
        dir.path(),
        "b.json",
        &[synthetic::record(&case("req64+16"), &rates(100.0, 10, 1))],
    );
    edgebench(&dir.path().join("cache"))
        .arg("compare")
        .arg(&b)
        .arg(&b)
        .arg("--junit")
        .arg(dir.path())
        .assert()
        .code(2)
        .stdout(predicate::str::is_empty())
        .stderr(
            predicate::str::contains(format!("--junit {}", dir.path().display()))
                .and(predicate::str::contains("is a folder")),
        );
}

/// `n` rates around `mean` with 2 % noise.
fn rates(mean: f64, n: usize, seed: u64) -> Vec<f64> {
    let mut rng = SplitMix64(seed);
    (0..n).map(|_| mean * (1.0 + 0.02 * rng.normal())).collect()
}

fn case(test: &str) -> SyntheticCase<'_> {
    SyntheticCase {
        test,
        ..SyntheticCase::default()
    }
}

fn write(dir: &Path, name: &str, records: &[Record]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, serde_json::to_string_pretty(records).unwrap()).unwrap();
    path
}

#[test]
fn compare_junit_round_trips_the_verdict_counts() {
    let dir = tempfile::tempdir().unwrap();
    // Slower by 10 %, the same, too few samples, and one case per side only.
    let base = [
        synthetic::record(&case("req64+16"), &rates(100.0, 10, 1)),
        synthetic::record(&case("req128+16"), &rates(100.0, 10, 3)),
        synthetic::record(&case("req256+16"), &rates(100.0, 3, 5)),
        synthetic::record(&case("req512+16"), &rates(100.0, 10, 7)),
    ];
    let cand = [
        synthetic::record(&case("req64+16"), &rates(90.0, 10, 2)),
        synthetic::record(&case("req128+16"), &rates(100.0, 10, 4)),
        synthetic::record(&case("req256+16"), &rates(100.0, 3, 6)),
        synthetic::record(&case("req1024+16"), &rates(100.0, 10, 8)),
    ];
    let b = write(dir.path(), "b.json", &base);
    let c = write(dir.path(), "c.json", &cand);
    let junit = dir.path().join("compare.xml");
    let out = edgebench(&dir.path().join("cache"))
        .arg("compare")
        .arg(&b)
        .arg(&c)
        .args(["-o", "json", "--junit"])
        .arg(&junit)
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    assert_schema_valid(&junit);
    let v = json(&out);
    let metrics: Vec<&Value> = v["cases"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|c| c["metrics"].as_array().unwrap())
        .collect();
    let with = |verdict: &str| metrics.iter().filter(|m| m["verdict"] == verdict).count();
    let compared: BTreeSet<String> = v["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["key"].to_string())
        .collect();
    let not_compared: BTreeSet<String> = v["unmatched"]
        .as_array()
        .unwrap()
        .iter()
        .chain(v["skipped"].as_array().unwrap())
        .map(|u| u["key"].to_string())
        .filter(|k| !compared.contains(k))
        .collect();
    assert_eq!(not_compared.len(), 2, "{v}");
    assert!(with("slower") >= 1 && with("inconclusive") >= 1, "{v}");
    assert_eq!(
        counts(&junit),
        (
            metrics.len() + not_compared.len(),
            with("slower"),
            0,
            with("inconclusive") + not_compared.len()
        )
    );
    assert_eq!(
        xpath(&junit, "count(//testcase[failure/@type='regression'])"),
        with("slower")
    );
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(
        xml.contains("message=\"decode_tps slower: change -"),
        "{xml}"
    );
    assert!(xml.contains("limit ±5%, margin -"), "{xml}");
}

/// Hourly runs of `test` from 2026-06-01: decode around 100 t/s with 2 %
/// noise, `step_pct` % slower from run `step_at` on.
#[cfg(feature = "history")]
fn runs(test: &str, n: usize, step_at: usize, step_pct: f64, seed: u64) -> Vec<Record> {
    let mut rng = SplitMix64(seed);
    (0..n)
        .map(|i| {
            let level = if i >= step_at {
                100.0 - step_pct
            } else {
                100.0
            };
            let l = level * (1.0 + 0.02 * rng.normal());
            let samples: Vec<f64> = (0..5).map(|_| l * (1.0 + 0.005 * rng.normal())).collect();
            let ts = format!("2026-06-{:02}T{:02}:00:00.000Z", 1 + i / 24, i % 24);
            synthetic::record(
                &SyntheticCase {
                    timestamp: &ts,
                    ..case(test)
                },
                &samples,
            )
        })
        .collect()
}

#[cfg(feature = "history")]
#[test]
fn history_check_junit_round_trips_the_verdict_counts() {
    let dir = tempfile::tempdir().unwrap();
    let store = format!("sqlite:{}", dir.path().join("h.sqlite").display());
    // A 6 % step, a quiet series, and one too short to test.
    let mut records = runs("req64+16", 60, 45, 6.0, 3);
    records.extend(runs("req128+16", 60, 60, 0.0, 4));
    records.extend(runs("req256+16", 4, 4, 0.0, 5));
    let file = write(dir.path(), "all.json", &records);
    edgebench(&dir.path().join("cache"))
        .args(["history", "add", "--store", &store])
        .arg(&file)
        .assert()
        .code(0);
    let junit = dir.path().join("history.xml");
    let out = edgebench(&dir.path().join("cache"))
        .args([
            "history", "check", "--store", &store, "-o", "json", "--junit",
        ])
        .arg(&junit)
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    assert_schema_valid(&junit);
    let v = json(&out);
    let failing: BTreeSet<String> = v["regressions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| format!("{} {}", r["key"], r["metric"]))
        .collect();
    let series = v["series"].as_u64().unwrap() as usize;
    let too_short = v["too_short"].as_u64().unwrap() as usize;
    // decode_tps and ttft_ms of three cases; the short case's two too short.
    assert_eq!((series, too_short), (6, 2), "{v}");
    assert!(!failing.is_empty(), "{v}");
    assert_eq!(counts(&junit), (series, failing.len(), 0, too_short));
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(xml.contains("<failure message=\"decode_tps -"), "{xml}");
    assert!(
        xml.contains("(#46 of 60)") || xml.contains("from run 46 of 60"),
        "{xml}"
    );
}
