//! Sweeps survive what native backends do: crashes, hangs, failures,
//! garbage, early exits, Ctrl-C, and a worker killed with SIGKILL
//! (RELIABILITY.md items 1-6, 11). Mock-backend cases run in worker processes
//! exactly as real ones do.
mod common;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::edgebench;
use predicates::prelude::*;
use serde_json::Value;

/// A profile with one tiny synthetic model, the given backends and three
/// cases (-p 16,24,32) of 3 reps x 4 decode steps each.
fn profile(dir: &Path, backends: &str, timeout_s: f64, extra: &str) -> PathBuf {
    let p = dir.join("test.toml");
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
backends = [{backends}]
threads = [1]
n_prompt = [16, 24, 32]
n_gen = [5]
reps = 3
warmup = 0
timeout = {timeout_s}
bandwidth = false

[[slo]]
name = "decode floor"
metric = "decode_tps.p50"
op = ">="
threshold = 100.0
{extra}
"#
        ),
    )
    .unwrap();
    p
}

fn statuses(out: &Path) -> Vec<(String, String)> {
    let summary: Value =
        serde_json::from_slice(&std::fs::read(out.join("sweep.json")).unwrap()).unwrap();
    summary["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["workload"]["test"].as_str().unwrap().to_string(),
                r["status"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn reason_of(out: &Path, test: &str) -> String {
    let summary: Value =
        serde_json::from_slice(&std::fs::read(out.join("sweep.json")).unwrap()).unwrap();
    summary["records"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["workload"]["test"] == test)
        .map(|r| r["reason"].as_str().unwrap_or("").to_string())
        .unwrap()
}

/// `edgebench sweep --device P --out OUT` with the cache in `dir`.
fn sweep_cmd(dir: &Path, profile: &Path, out: &Path) -> assert_cmd::Command {
    let mut cmd = edgebench(dir);
    cmd.args(["sweep", "--device"])
        .arg(profile)
        .arg("--out")
        .arg(out);
    cmd
}

fn sweep_mock(
    spec: &str,
    timeout_s: f64,
) -> (tempfile::TempDir, PathBuf, assert_cmd::assert::Assert) {
    let dir = tempfile::tempdir().unwrap();
    let p = profile(dir.path(), r#""mock""#, timeout_s, "");
    let out = dir.path().join("out");
    let assert = sweep_cmd(dir.path(), &p, &out)
        .args(["--mock-spec", spec, "--kill-grace-ms", "300"])
        .assert();
    (dir, out, assert)
}

fn ok3() -> Vec<(String, String)> {
    ["req16+5", "req24+5", "req32+5"]
        .iter()
        .map(|t| (t.to_string(), "ok".to_string()))
        .collect()
}

fn with(mut v: Vec<(String, String)>, i: usize, status: &str) -> Vec<(String, String)> {
    v[i].1 = status.to_string();
    v
}

#[test]
fn clean_sweep_writes_every_case_index_and_summary() {
    let (_d, out, a) = sweep_mock("decode_us=1000", 30.0);
    a.success().stdout(predicate::str::contains("SLO verdicts"));
    assert_eq!(statuses(&out), ok3());
    let index = std::fs::read_to_string(out.join("index.jsonl")).unwrap();
    assert_eq!(index.lines().count(), 3);
    assert_eq!(std::fs::read_dir(out.join("cases")).unwrap().count(), 3);
    let summary: Value =
        serde_json::from_slice(&std::fs::read(out.join("sweep.json")).unwrap()).unwrap();
    assert_eq!(summary["profile"]["device"]["name"], "test box");
    assert_eq!(summary["verdicts"].as_array().unwrap().len(), 3);
    assert_eq!(summary["records"][0]["device"]["name"], "test box");
    assert_eq!(summary["records"][0]["model"]["id"], "tiny");
}

#[test]
fn crash_is_recorded_and_the_sweep_goes_on() {
    // Case 2's first decode is the worker's 13th call (case 1 makes 12).
    let (_d, out, a) = sweep_mock("crash=decode:13", 30.0);
    a.success();
    assert_eq!(statuses(&out), with(ok3(), 1, "crashed"));
    let reason = reason_of(&out, "req24+5");
    assert!(
        reason.contains("signal 6") && reason.contains("SIGABRT"),
        "{reason}"
    );
}

#[test]
fn hang_times_out_and_leaves_no_worker_behind() {
    let (_d, out, a) = sweep_mock("hang=decode:13", 1.0);
    a.success();
    assert_eq!(statuses(&out), with(ok3(), 1, "timeout"));
    assert!(reason_of(&out, "req24+5").contains("per-case timeout of 1 s"));
}

#[test]
fn backend_failure_is_failed_not_crashed() {
    let (_d, out, a) = sweep_mock("fail=decode:13", 30.0);
    a.success();
    assert_eq!(statuses(&out), with(ok3(), 1, "failed"));
}

#[test]
fn garbage_on_stdout_is_a_protocol_error() {
    let (_d, out, a) = sweep_mock("garble=decode:13", 30.0);
    a.success();
    assert_eq!(statuses(&out), with(ok3(), 1, "protocol_error"));
    assert!(reason_of(&out, "req24+5").contains("not a protocol event"));
}

#[test]
fn exit_without_result_is_a_protocol_error() {
    let (_d, out, a) = sweep_mock("exit=decode:13", 30.0);
    a.success();
    assert_eq!(statuses(&out), with(ok3(), 1, "protocol_error"));
    assert!(reason_of(&out, "req24+5").contains("exited with code 3"));
}

#[test]
fn unavailable_backend_is_ep_unavailable_and_others_still_run() {
    // onnx:cuda: the CPU build of ONNX Runtime cannot register the provider.
    let dir = tempfile::tempdir().unwrap();
    let p = profile(dir.path(), r#""mock", "onnx:cuda""#, 30.0, "");
    let out = dir.path().join("out");
    sweep_cmd(dir.path(), &p, &out).assert().success();
    let s = statuses(&out);
    assert_eq!(s.len(), 6);
    assert!(s[..3].iter().all(|(_, st)| st == "ok"));
    assert!(s[3..].iter().all(|(_, st)| st == "ep_unavailable"), "{s:?}");
}

#[test]
fn every_problem_is_listed_before_anything_runs() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("broken.gguf"), b"GGUF\x03\x00\x00\x00cut").unwrap();
    let p = profile(
        dir.path(),
        r#""mock""#,
        30.0,
        "\n[[model]]\nid = \"real\"\ngguf = \"models/missing.gguf\"\n\
         \n[[model]]\nid = \"broken\"\ngguf = \"broken.gguf\"\n",
    );
    let out = dir.path().join("out");
    sweep_cmd(dir.path(), &p, &out).assert().code(2).stderr(
        predicate::str::contains("model 'real'")
            .and(predicate::str::contains("missing.gguf"))
            .and(predicate::str::contains("model 'broken'")),
    );
    assert!(
        !out.exists(),
        "nothing may run, or be written, on a bad profile"
    );
}

#[test]
fn pinned_hash_mismatch_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    // Write a real model file to pin.
    let model = dir.path().join("m.gguf");
    edgebench(dir.path())
        .args(["synth", "--preset", "tiny", "--quant", "q8_0", "--out"])
        .arg(&model)
        .assert()
        .success();
    let wrong = "0".repeat(64);
    let p = profile(
        dir.path(),
        r#""mock""#,
        30.0,
        &format!(
            "\n[[model]]\nid = \"pinned\"\ngguf = {{ path = \"m.gguf\", sha256 = \"{wrong}\" }}\n"
        ),
    );
    let out = dir.path().join("out");
    sweep_cmd(dir.path(), &p, &out).assert().success();
    let s = statuses(&out);
    assert_eq!(s.len(), 6);
    assert!(s[..3].iter().all(|(_, st)| st == "ok"));
    assert!(
        s[3..].iter().all(|(_, st)| st == "artifact_mismatch"),
        "{s:?}"
    );
}

#[test]
fn unknown_backend_in_profile_is_named_with_its_position() {
    let dir = tempfile::tempdir().unwrap();
    let p = profile(dir.path(), r#""mock", "tensorflow""#, 30.0, "");
    edgebench(dir.path())
        .args(["sweep", "--dry-run", "--device"])
        .arg(&p)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("test.toml:").and(predicate::str::contains("tensorflow")));
}

#[test]
fn a_case_measured_too_briefly_is_invalid() {
    // Each mock case measures 3 x ~9.6 ms of virtual time; ask for 1 s.
    let dir = tempfile::tempdir().unwrap();
    let p = profile(dir.path(), r#""mock""#, 30.0, "");
    let text = std::fs::read_to_string(&p)
        .unwrap()
        .replace("timeout = 30", "timeout = 30\nmin_duration = \"1s\"");
    std::fs::write(&p, text).unwrap();
    let out = dir.path().join("out");
    sweep_cmd(dir.path(), &p, &out).assert().success();
    assert!(statuses(&out).iter().all(|(_, s)| s == "invalid"));
    assert!(reason_of(&out, "req16+5").contains("min_duration"));
}

#[test]
fn dry_run_lists_the_plan_and_runs_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let p = profile(dir.path(), r#""mock""#, 30.0, "");
    let out = dir.path().join("out");
    edgebench(dir.path())
        .args(["sweep", "--dry-run", "--device"])
        .arg(&p)
        .arg("--out")
        .arg(&out)
        .assert()
        .success()
        .stdout(predicate::str::contains("tiny/mock/t1/req24+5"));
    assert!(!out.exists());
}

#[test]
fn existing_results_are_never_overwritten() {
    let (d, out, a) = sweep_mock("", 30.0);
    a.success();
    let p = d.path().join("test.toml");
    sweep_cmd(d.path(), &p, &out)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--resume"));
}

/// Children of `pid` (all its threads), from /proc.
#[cfg_attr(not(feature = "llama"), allow(dead_code))] // its callers need llama.cpp
fn children(pid: u32) -> Vec<u32> {
    let mut out = vec![];
    if let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) {
        for t in tasks.flatten() {
            if let Ok(s) = std::fs::read_to_string(t.path().join("children")) {
                out.extend(s.split_whitespace().filter_map(|p| p.parse::<u32>().ok()));
            }
        }
    }
    out
}

fn wait_for(mut cond: impl FnMut() -> bool, what: &str) {
    let until = Instant::now() + Duration::from_secs(120);
    while !cond() {
        assert!(Instant::now() < until, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn index_lines(out: &Path) -> usize {
    std::fs::read_to_string(out.join("index.jsonl"))
        .map(|s| s.lines().count())
        .unwrap_or(0)
}

fn spawn_sweep(cache: &Path, profile: &Path, out: &Path, mock_spec: &str) -> Child {
    Command::new(assert_cmd::cargo::cargo_bin!("edgebench"))
        .env("EDGEBENCH_CACHE_DIR", cache)
        .args(["sweep", "--device"])
        .arg(profile)
        .arg("--out")
        .arg(out)
        .args(["--mock-spec", mock_spec])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

#[test]
fn ctrl_c_keeps_finished_cases_and_resume_runs_only_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let p = profile(dir.path(), r#""mock""#, 60.0, "");
    let out = dir.path().join("out");
    // Real time: each case takes 3 x (prefill + 4 x 50 ms) ~ 0.6 s.
    let sweep = spawn_sweep(dir.path(), &p, &out, "decode_us=50000,real_time=1");
    wait_for(|| index_lines(&out) == 1, "the first case");
    let first = std::fs::read(out.join("cases/tiny_mock_t1_req16+5.json")).unwrap();
    std::thread::sleep(Duration::from_millis(150));
    unsafe { libc::kill(sweep.id() as i32, libc::SIGINT) };
    let res = sweep.wait_with_output().unwrap();
    assert_eq!(res.status.code(), Some(130));
    let err = String::from_utf8_lossy(&res.stderr);
    assert!(err.contains("--resume"), "{err}");
    let s = statuses(&out);
    assert_eq!(s[0].1, "ok");
    assert_eq!(s[1].1, "interrupted");
    // Resume runs only the interrupted and missing cases.
    edgebench(dir.path())
        .args(["sweep", "--resume", "--device"])
        .arg(&p)
        .arg("--out")
        .arg(&out)
        .args(["--mock-spec", "decode_us=1000"])
        .assert()
        .success()
        .stderr(predicate::str::contains("1 of 3 case(s) already done"));
    assert_eq!(statuses(&out), ok3());
    assert_eq!(
        std::fs::read(out.join("cases/tiny_mock_t1_req16+5.json")).unwrap(),
        first
    );
}

#[cfg(feature = "llama")]
#[test]
fn real_llama_worker_killed_with_sigkill_mid_case() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("llama.toml");
    std::fs::write(
        &p,
        r#"
[device]
name = "test box"
class = "server"

[[model]]
id = "small"
synth = { preset = "small", quant = "q4_0", seed = 42 }

[matrix]
backends = ["llama.cpp"]
threads = [2]
n_prompt = [32, 48, 64]
n_gen = [256]
reps = 3
warmup = 0
timeout = 120
bandwidth = false
"#,
    )
    .unwrap();
    let out = dir.path().join("out");
    let sweep = spawn_sweep(dir.path(), &p, &out, "");
    wait_for(|| index_lines(&out) == 1, "the first llama.cpp case");
    let first_name = std::fs::read_dir(out.join("cases"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let first = std::fs::read(&first_name).unwrap();
    std::thread::sleep(Duration::from_millis(200));
    let workers = children(sweep.id());
    assert_eq!(workers.len(), 1, "one worker process: {workers:?}");
    unsafe { libc::kill(workers[0] as i32, libc::SIGKILL) };
    let res = sweep.wait_with_output().unwrap();
    assert!(
        res.status.success(),
        "{}",
        String::from_utf8_lossy(&res.stderr)
    );
    let s = statuses(&out);
    assert_eq!(s[0].1, "ok");
    assert_eq!(s[1].1, "crashed", "{s:?}");
    let reason = reason_of(&out, &s[1].0);
    assert!(reason.contains("SIGKILL"), "{reason}");
    assert_eq!(s[2].1, "ok", "the sweep went on in a fresh worker");
    assert_eq!(
        std::fs::read(&first_name).unwrap(),
        first,
        "earlier results untouched"
    );
    assert!(
        children(std::process::id())
            .iter()
            .all(|&c| c != workers[0])
    );
}

#[test]
fn sweep_measures_bandwidth_first_and_every_case_gets_its_ceiling() {
    let dir = tempfile::tempdir().unwrap();
    let p = profile(dir.path(), r#""mock""#, 30.0, "");
    let text = std::fs::read_to_string(&p)
        .unwrap()
        .replace("bandwidth = false", "bandwidth = true");
    std::fs::write(&p, text).unwrap();
    let out = dir.path().join("out");
    sweep_cmd(dir.path(), &p, &out)
        .assert()
        .success()
        .stdout(predicate::str::contains("% of ceiling"));
    let s: Value = serde_json::from_slice(&std::fs::read(out.join("sweep.json")).unwrap()).unwrap();
    let kernels: Vec<&str> = s["bandwidth"]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["kernel"].as_str().unwrap())
        .collect();
    assert_eq!(kernels, ["copy", "scale", "add", "triad", "read"]);
    let read = s["bandwidth"]["results"][4]["gbs"].as_f64().unwrap();
    assert!(read > 0.0);
    assert!(out.join("bandwidth.json").is_file());
    for r in s["records"].as_array().unwrap() {
        let roof = &r["roofline"];
        let ceiling = roof["ceiling_tps_measured"].as_f64().unwrap();
        let bytes = roof["bytes_per_token"].as_f64().unwrap();
        assert!((ceiling - read * 1e9 / bytes).abs() < 1e-6 * ceiling);
    }
}

/// A tmpfs of `kib` KiB mounted at `path` for the test's lifetime (root
/// only: CI runs as root; elsewhere the test says it was skipped, unless
/// EDGEBENCH_REQUIRE_ROOT=1 makes that a failure).
struct SmallFs(PathBuf);

impl SmallFs {
    fn mount(path: &Path, kib: u64) -> Option<SmallFs> {
        std::fs::create_dir_all(path).unwrap();
        let root = unsafe { libc::geteuid() } == 0;
        let required = std::env::var_os("EDGEBENCH_REQUIRE_ROOT").is_some_and(|v| v == "1");
        if !root {
            assert!(
                !required,
                "EDGEBENCH_REQUIRE_ROOT=1 but not running as root"
            );
            eprintln!("SKIPPED: mounting a small filesystem needs root");
            return None;
        }
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={kib}k"), "tmpfs"])
            .arg(path)
            .status()
            .is_ok_and(|s| s.success());
        assert!(ok || !required, "mount -t tmpfs failed");
        ok.then(|| SmallFs(path.to_path_buf()))
    }

    /// Writes a file until the filesystem is full.
    fn fill(&self) -> PathBuf {
        use std::io::Write;
        let p = self.0.join("filler");
        let mut f = std::fs::File::create(&p).unwrap();
        let block = vec![0u8; 4096];
        while f.write_all(&block).is_ok() {}
        let _ = f.sync_all();
        p
    }
}

impl Drop for SmallFs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

/// RELIABILITY: the disk fills up while a sweep writes. The sweep stops with
/// a clear error, the cases written before are intact, no torn or temp file
/// is left, and `--resume` completes once there is space again.
#[test]
fn disk_full_mid_sweep_loses_nothing_and_resume_completes() {
    let dir = tempfile::tempdir().unwrap();
    let Some(fs) = SmallFs::mount(&dir.path().join("fs"), 2048) else {
        return;
    };
    let p = profile(dir.path(), r#""mock""#, 60.0, "");
    let out = fs.0.join("out");
    let sweep = spawn_sweep(dir.path(), &p, &out, "decode_us=100000,real_time=1");
    wait_for(|| index_lines(&out) == 1, "the first case");
    let first_path = out.join("cases/tiny_mock_t1_req16+5.json");
    let first = std::fs::read(&first_path).unwrap();
    let filler = fs.fill();
    let res = sweep.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&res.stderr);
    assert_eq!(res.status.code(), Some(2), "{err}");
    for want in ["is full", "tiny_mock_t1_req24+5", "--resume --out"] {
        assert!(err.contains(want), "missing '{want}' in:\n{err}");
    }
    assert_eq!(std::fs::read(&first_path).unwrap(), first);
    let names: Vec<String> = std::fs::read_dir(out.join("cases"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["tiny_mock_t1_req16+5.json"], "no torn or temp file");
    let index = std::fs::read_to_string(out.join("index.jsonl")).unwrap();
    assert!(
        index
            .lines()
            .all(|l| serde_json::from_str::<Value>(l).is_ok()),
        "{index}"
    );
    // Space is back: resume runs the two missing cases.
    std::fs::remove_file(filler).unwrap();
    edgebench(dir.path())
        .args(["sweep", "--resume", "--device"])
        .arg(&p)
        .arg("--out")
        .arg(&out)
        .args(["--mock-spec", "decode_us=1000"])
        .assert()
        .success()
        .stderr(predicate::str::contains("1 of 3 case(s) already done"));
    assert_eq!(statuses(&out), ok3());
    assert_eq!(std::fs::read(&first_path).unwrap(), first);
}

/// The parent killed mid-write leaves a torn last index line and a temp
/// file: `--resume` and `report` both carry on.
#[test]
fn a_torn_index_line_and_a_leftover_temp_file_are_tolerated() {
    let (dir, out, a) = sweep_mock("decode_us=1000", 30.0);
    a.success();
    let last = out.join("cases/tiny_mock_t1_req32+5.json");
    std::fs::remove_file(&last).unwrap();
    let mut index = std::fs::read_to_string(out.join("index.jsonl")).unwrap();
    // Drop the removed case's line, then tear the one before it.
    index.truncate(index.trim_end().rfind('\n').unwrap() + 1);
    index.truncate(index.len() - 10);
    std::fs::write(out.join("index.jsonl"), &index).unwrap();
    std::fs::write(
        out.join("cases/.edgebench-x1Yz.tmp"),
        "{\"schema_version\": 1, \"ki",
    )
    .unwrap();
    std::fs::remove_file(out.join("sweep.json")).unwrap();
    // report reads what is there and names no torn file as a result.
    edgebench(dir.path())
        .arg("report")
        .arg(&out)
        .assert()
        .success();
    let p = dir.path().join("test.toml");
    sweep_cmd(dir.path(), &p, &out)
        .args(["--resume", "--mock-spec", "decode_us=1000"])
        .assert()
        .success()
        .stderr(predicate::str::contains("cut off mid-write"));
    assert_eq!(statuses(&out), ok3());
    let index = std::fs::read_to_string(out.join("index.jsonl")).unwrap();
    let lines: Vec<Value> = index
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    assert_eq!(lines.len(), 2, "{index}");
    assert!(
        lines[1]["file"].as_str().unwrap().ends_with("req32+5.json"),
        "{index}"
    );
}
