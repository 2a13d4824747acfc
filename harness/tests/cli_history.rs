//! `edgebench history add|check` through the CLI on an SQLite store in a
//! temp folder: idempotent add, a regression found with the run where it
//! started (exit 1), quiet noise (exit 0), and bad input (exit 2).
#![cfg_attr(not(feature = "history"), allow(dead_code))]
mod common;
#[cfg(feature = "history")]
#[path = "../../history/tests/common/server.rs"]
mod pg_server;
use std::path::{Path, PathBuf};

use common::edgebench;
use edgebench_reports::Record;
use edgebench_reports::compare::estimate::SplitMix64;
use edgebench_reports::synthetic::{self, SyntheticCase};
use predicates::prelude::*;

/// Night `i` (0-based) as a timestamp: hourly runs from 2026-06-01.
fn night(i: usize) -> String {
    format!("2026-06-{:02}T{:02}:00:00.000Z", 1 + i / 24, i % 24)
}

/// Nightly records: decode around 100 t/s, 2 % noise, `step_pct` % slower from `step_at`.
fn nightly(nights: usize, step_at: usize, step_pct: f64, seed: u64) -> Vec<Record> {
    let mut rng = SplitMix64(seed);
    (0..nights)
        .map(|i| {
            let level = if i >= step_at {
                100.0 - step_pct
            } else {
                100.0
            };
            let l = level * (1.0 + 0.02 * rng.normal());
            let samples: Vec<f64> = (0..5).map(|_| l * (1.0 + 0.005 * rng.normal())).collect();
            let ts = night(i);
            synthetic::record(
                &SyntheticCase {
                    timestamp: &ts,
                    ..Default::default()
                },
                &samples,
            )
        })
        .collect()
}

fn write_jsonl(dir: &Path, name: &str, records: &[Record]) -> PathBuf {
    let path = dir.join(name);
    let text: String = records
        .iter()
        .map(|r| serde_json::to_string(r).unwrap() + "\n")
        .collect();
    std::fs::write(&path, text).unwrap();
    path
}

#[cfg(feature = "history")]
fn history(dir: &Path, args: &[&str]) -> assert_cmd::assert::Assert {
    edgebench(&dir.join("cache"))
        .arg("history")
        .args(args)
        .assert()
}

/// `history check -o json` on `store`, which must find a regression (exit 1).
#[cfg(feature = "history")]
fn check_json_failing(dir: &Path, store: &str) -> serde_json::Value {
    let out = history(dir, &["check", "--store", store, "-o", "json"])
        .code(1)
        .get_output()
        .stdout
        .clone();
    serde_json::from_slice(&out).unwrap()
}

#[cfg(feature = "history")]
#[test]
fn add_is_idempotent_and_check_names_where_the_regression_started() {
    let dir = tempfile::tempdir().unwrap();
    let store = format!("sqlite:{}", dir.path().join("h.sqlite").display());
    let records = nightly(60, 45, 6.0, 3);
    let a = write_jsonl(dir.path(), "a.jsonl", &records[..30]);
    let b = write_jsonl(dir.path(), "b.jsonl", &records[30..]);
    let a_s = a.display().to_string();
    let b_s = b.display().to_string();
    history(dir.path(), &["add", &a_s, "--store", &store])
        .code(0)
        .stderr(predicate::str::contains(
            "30 record(s) added, 0 already present",
        ));
    history(dir.path(), &["add", &a_s, &b_s, "--store", &store])
        .code(0)
        .stderr(predicate::str::contains(
            "30 record(s) added, 30 already present",
        ));
    history(dir.path(), &["check", "--store", &store])
        .code(1)
        .stdout(
            predicate::str::contains("REGRESSION")
                .and(predicate::str::contains(format!(
                    "{} (#46 of 60)",
                    night(45)
                )))
                .and(predicate::str::contains("decode_tps")),
        );
    let v = check_json_failing(dir.path(), &store);
    let r = &v["regressions"][0];
    assert_eq!(r["run_index"], 45, "{v}");
    assert!((r["change_pct"].as_f64().unwrap() + 6.0).abs() < 1.5, "{r}");
    assert!(r["p_value"].as_f64().unwrap() < 1e-4, "{r}");
    // Changes that started before --since are history, not news.
    history(
        dir.path(),
        &["check", "--store", &store, "--since", "2026-06-03"],
    )
    .code(0)
    .stdout(predicate::str::contains("no regression"));
}

/// The nightly job: each night adds its run and checks `--since` that run.
/// A 6 % step at night 40 must fail some night soon after it (a change is
/// first detectable a few runs after it starts), never before it, and stop
/// failing once it has been reported.
#[cfg(feature = "history")]
#[test]
fn nightly_checks_raise_a_step_once_soon_after_it_lands() {
    let dir = tempfile::tempdir().unwrap();
    let store = format!("sqlite:{}", dir.path().join("h.sqlite").display());
    let records = nightly(60, 40, 6.0, 7);
    let seed = write_jsonl(dir.path(), "seed.jsonl", &records[..30]);
    history(
        dir.path(),
        &["add", &seed.display().to_string(), "--store", &store],
    )
    .code(0);
    let mut failing = Vec::new();
    for (i, r) in records.iter().enumerate().skip(30) {
        let f = write_jsonl(dir.path(), &format!("n{i}.jsonl"), std::slice::from_ref(r));
        history(
            dir.path(),
            &["add", &f.display().to_string(), "--store", &store],
        )
        .code(0);
        let code = history(
            dir.path(),
            &["check", "--store", &store, "--since", &night(i)],
        )
        .get_output()
        .status
        .code();
        match code {
            Some(1) => failing.push(i),
            Some(0) => {}
            other => panic!("night {i}: exit {other:?}"),
        }
    }
    assert!(!failing.is_empty(), "the step was never raised");
    assert!(
        failing[0] >= 40 && failing[0] <= 46,
        "first failing night {failing:?}"
    );
    assert!(
        failing.iter().all(|&i| i <= 50),
        "failing nights {failing:?}"
    );
}

#[cfg(feature = "history")]
#[test]
fn a_sweep_folder_its_sweep_json_and_its_case_files_are_the_same_results() {
    let dir = tempfile::tempdir().unwrap();
    let store = format!("sqlite:{}", dir.path().join("h.sqlite").display());
    let sweep = dir.path().join("sweep");
    std::fs::create_dir_all(sweep.join("cases")).unwrap();
    let records = nightly(4, usize::MAX, 0.0, 8);
    for (i, r) in records.iter().enumerate() {
        let text = serde_json::to_string_pretty(r).unwrap();
        std::fs::write(sweep.join(format!("cases/c{i}.json")), text).unwrap();
    }
    let summary = serde_json::json!({"profile": "x", "records": records});
    std::fs::write(sweep.join("sweep.json"), summary.to_string()).unwrap();
    let folder = sweep.display().to_string();
    let summary_file = sweep.join("sweep.json").display().to_string();
    let one_case = sweep.join("cases/c0.json").display().to_string();
    history(dir.path(), &["add", &folder, "--store", &store])
        .code(0)
        .stderr(predicate::str::contains("4 record(s) added"));
    history(
        dir.path(),
        &["add", &summary_file, &one_case, "--store", &store],
    )
    .code(0)
    .stderr(predicate::str::contains(
        "0 record(s) added, 5 already present",
    ));
}

#[cfg(feature = "history")]
#[test]
fn noise_only_is_quiet_and_the_env_var_names_the_store() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("env.sqlite");
    let f = write_jsonl(dir.path(), "n.jsonl", &nightly(80, usize::MAX, 0.0, 4));
    let f_s = f.display().to_string();
    edgebench(&dir.path().join("cache"))
        .env("EDGEBENCH_HISTORY", &store)
        .args(["history", "add", &f_s])
        .assert()
        .code(0);
    assert!(store.is_file());
    edgebench(&dir.path().join("cache"))
        .env("EDGEBENCH_HISTORY", &store)
        .args(["history", "check"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("0 regression(s)"));
}

#[cfg(feature = "history")]
#[test]
fn bad_input_exits_2_with_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("h.sqlite");
    let store_s = store.display().to_string();
    let f = write_jsonl(dir.path(), "a.jsonl", &nightly(3, usize::MAX, 0.0, 5));
    let f_s = f.display().to_string();
    history(dir.path(), &["add", &f_s, "--store", "mysql://db/x"])
        .code(2)
        .stderr(
            predicate::str::contains("store URL mysql://db/x")
                .and(predicate::str::contains("unknown scheme")),
        );
    history(
        dir.path(),
        &["check", "--store", "postgres://lab:secret@db:notaport/x"],
    )
    .code(2)
    .stderr(predicate::str::contains("store URL").and(predicate::str::contains("secret").not()));
    // Port 1 on this machine: nothing listens there.
    history(
        dir.path(),
        &[
            "add",
            &f_s,
            "--store",
            "postgres://edgebench@127.0.0.1:1/lab?connect_timeout=5",
        ],
    )
    .code(2)
    .stderr(predicate::str::contains(
        "cannot connect to the PostgreSQL store",
    ));
    // A record from a newer schema: refused, and nothing of the batch is stored.
    let mut future = serde_json::to_value(&nightly(1, usize::MAX, 0.0, 6)[0]).unwrap();
    future["schema_version"] = (edgebench_reports::SCHEMA_VERSION + 1).into();
    let future_path = dir.path().join("future.jsonl");
    std::fs::write(&future_path, future.to_string() + "\n").unwrap();
    let fp = future_path.display().to_string();
    history(dir.path(), &["add", &f_s, &fp, "--store", &store_s])
        .code(2)
        .stderr(predicate::str::contains(format!(
            "future.jsonl line 1: schema_version {} is newer",
            edgebench_reports::SCHEMA_VERSION + 1
        )));
    assert!(!store.exists(), "nothing is stored when an input is bad");
    history(
        dir.path(),
        &["check", "--store", &store_s, "--since", "last tuesday"],
    )
    .code(2)
    .stderr(predicate::str::contains("--since last tuesday"));
}

#[cfg(feature = "history")]
#[test]
fn the_same_commands_work_on_postgresql() {
    let Some(bin) = pg_server::server_bin() else {
        pg_server::skip();
        return;
    };
    let server = pg_server::Server::start(bin);
    let store = server.url();
    let dir = tempfile::tempdir().unwrap();
    let records = nightly(40, 30, 8.0, 9);
    let f = write_jsonl(dir.path(), "all.jsonl", &records);
    let f_s = f.display().to_string();
    history(dir.path(), &["add", &f_s, "--store", &store])
        .code(0)
        .stderr(predicate::str::contains(
            "40 record(s) added, 0 already present",
        ));
    history(dir.path(), &["add", &f_s, "--store", &store])
        .code(0)
        .stderr(predicate::str::contains(
            "0 record(s) added, 40 already present",
        ));
    history(dir.path(), &["check", "--store", &store])
        .code(1)
        .stdout(predicate::str::contains(format!(
            "{} (#31 of 40)",
            night(30)
        )));
}

#[cfg(not(feature = "history"))]
#[test]
fn without_the_feature_history_says_how_to_get_it() {
    let dir = tempfile::tempdir().unwrap();
    edgebench(dir.path())
        .args(["history", "check"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("rebuild with --features history"));
}

/// A mistyped store path or an empty store fails the check (exit 2) instead
/// of reporting "no regression" from nothing.
#[cfg(feature = "history")]
#[test]
fn checking_a_missing_or_empty_store_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let missing = format!("sqlite:{}", dir.path().join("typo.sqlite").display());
    history(dir.path(), &["check", "--store", &missing])
        .code(2)
        .stderr(predicate::str::contains("does not exist"));
    assert!(
        !dir.path().join("typo.sqlite").exists(),
        "check created a store"
    );
    let empty = write_jsonl(dir.path(), "empty.jsonl", &[]);
    let store = format!("sqlite:{}", dir.path().join("h.sqlite").display());
    history(
        dir.path(),
        &["add", &empty.display().to_string(), "--store", &store],
    )
    .code(0);
    history(dir.path(), &["check", "--store", &store])
        .code(2)
        .stderr(predicate::str::contains("holds no ok results"));
}

/// Quality records go into the history like speed results (one result per
/// model and backend) and a quality regression fails the check: here the
/// mean KLD rises 39 % from the second run to the third.
#[cfg(feature = "history")]
#[test]
fn a_quality_regression_fails_the_check() {
    let dir = tempfile::tempdir().unwrap();
    let store = format!("sqlite:{}", dir.path().join("h.sqlite").display());
    let mut files = vec![];
    for (i, kld) in [0.0144, 0.0144, 0.02].iter().enumerate() {
        let q = serde_json::json!({
            "kind": "quality", "schema_version": 1,
            "edgebench": {"version": "0.1.0", "commit": null, "dirty": null},
            "timestamp": night(i), "tokens_source": "seeded ids (seed 42)", "n_tokens": 64,
            "reference": {"model": "small-f32.gguf", "sha256": "aa", "quant": "F32",
                          "backend": "llama.cpp", "backend_version": "b1"},
            "rows": [{"side": {"model": "small-q4_0.gguf", "sha256": "bb", "quant": "Q4_0",
                               "backend": "llama.cpp", "backend_version": "b1"},
                      "stats": {"positions": 63, "mean_kld": kld, "p99_kld": 0.05,
                                "max_kld": 0.1, "top1_agreement": 0.6, "ppl_reference": 9.0,
                                "ppl": 9.1, "ln_ppl_ratio": 0.01}}],
            "note": ""
        });
        let path = dir.path().join(format!("q{i}.json"));
        std::fs::write(&path, q.to_string()).unwrap();
        files.push(path.display().to_string());
    }
    history(
        dir.path(),
        &["add", &files[0], &files[1], "--store", &store],
    )
    .code(0)
    .stderr(predicate::str::contains(
        "0 record(s) added, 0 already present; 2 quality result(s) added",
    ));
    history(dir.path(), &["check", "--store", &store])
        .code(0)
        .stdout(predicate::str::contains("no regression"));
    history(dir.path(), &["add", &files[2], "--store", &store]).code(0);
    let junit = dir.path().join("check.xml");
    let junit_s = junit.display().to_string();
    history(
        dir.path(),
        &["check", "--store", &store, "--junit", &junit_s],
    )
    .code(1)
    .stdout(
        predicate::str::contains("REGRESSION")
            .and(predicate::str::contains("quality_mean_kld"))
            .and(predicate::str::contains("quality vs aa (F32)")),
    );
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(
        xml.contains("quality_mean_kld +38.89% from run 3 of 3"),
        "{xml}"
    );
    let v = check_json_failing(dir.path(), &store);
    let r = &v["regressions"][0];
    assert_eq!(r["metric"], "quality_mean_kld", "{v}");
    assert_eq!(r["run_index"], 2, "{v}");
    assert!(r["p_value"].is_null(), "{r}");
    // A looser threshold lets the 39 % rise pass.
    history(
        dir.path(),
        &["check", "--store", &store, "--quality-threshold", "50"],
    )
    .code(0);
    history(
        dir.path(),
        &["check", "--store", &store, "--quality-threshold=-1"],
    )
    .code(2)
    .stderr(predicate::str::contains(
        "--quality-threshold -1: give a percentage of 0 or more",
    ));
}
