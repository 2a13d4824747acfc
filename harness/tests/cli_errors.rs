//! Bad input gets a clear error naming the flag or file, and a non-zero exit.
mod common;
use common::{edgebench, mock_run};
use predicates::prelude::*;

fn run_with(extra: &[&str]) -> assert_cmd::assert::Assert {
    let cache = tempfile::tempdir().unwrap();
    edgebench(cache.path()).args(mock_run(extra)).assert()
}

#[test]
fn zero_reps_names_the_flag() {
    run_with(&["-r", "0"])
        .code(2)
        .stderr(predicate::str::contains("-r/--reps must be >= 1"));
}

#[test]
fn non_numeric_list_names_the_flag() {
    run_with(&["-p", "12,abc"])
        .code(2)
        .stderr(predicate::str::contains("--n-prompt").and(predicate::str::contains("abc")));
}

#[test]
fn zero_prompt_is_refused() {
    run_with(&["-p", "0"])
        .code(2)
        .stderr(predicate::str::contains("-p/--n-prompt must be >= 1"));
}

#[test]
fn ubatch_larger_than_batch() {
    run_with(&["--batch", "64", "--ubatch", "128"])
        .code(2)
        .stderr(predicate::str::contains(
            "--ubatch 128 is larger than --batch 64",
        ));
}

#[test]
fn unknown_backend_lists_the_known_ones() {
    run_with(&["-b", "tensorflow"]).code(2).stderr(
        predicate::str::contains("-b tensorflow")
            .and(predicate::str::contains("llama.cpp, cpu, mock")),
    );
}

#[test]
fn flash_attn_out_of_range() {
    run_with(&["--fa", "2"])
        .code(2)
        .stderr(predicate::str::contains("--fa"));
}

#[test]
fn missing_model_file_is_named() {
    run_with(&["-m", "/no/such/model.gguf"]).code(2).stderr(
        predicate::str::contains("/no/such/model.gguf")
            .and(predicate::str::contains("no such file")),
    );
}

#[test]
fn bad_synth_spec_is_named() {
    run_with(&["-m", "synth:huge-q4_0"])
        .code(2)
        .stderr(predicate::str::contains("synth:huge-q4_0"));
}

#[test]
fn corrupt_model_is_refused_before_any_backend() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("broken.gguf");
    std::fs::write(&bad, b"GGUF\x03\x00\x00\x00trunc").unwrap();
    let bad = bad.to_str().unwrap();
    // llama.cpp would be the backend; the header check must refuse it first.
    let cache = tempfile::tempdir().unwrap();
    edgebench(cache.path())
        .args([
            "run",
            "-m",
            bad,
            "-b",
            "llama.cpp",
            "-p",
            "8",
            "-n",
            "2",
            "-r",
            "1",
            "-q",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("broken.gguf"));
}

#[test]
fn lfs_pointer_is_recognised() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("model.gguf");
    std::fs::write(
        &p,
        "version https://git-lfs.github.com/spec/v1\noid sha256:abc\nsize 123\n",
    )
    .unwrap();
    run_with(&["-m", p.to_str().unwrap()])
        .code(2)
        .stderr(predicate::str::contains("LFS"));
}

#[test]
fn unwritable_out_is_named() {
    run_with(&["--out", "/no/such/dir/r.json"])
        .code(2)
        .stderr(predicate::str::contains("/no/such/dir/r.json"));
}

#[test]
fn bad_mock_spec_is_named() {
    run_with(&["--mock-spec", "decode_us=fast"])
        .code(2)
        .stderr(predicate::str::contains("--mock-spec"));
}

#[test]
fn results_written_before_a_crash_survive() {
    // Two cases in one model group; the mock aborts the process at the first
    // decode of the second case (3 reps x 4 decode steps = 12 calls in case 1).
    let cache = tempfile::tempdir().unwrap();
    let out_dir = tempfile::tempdir().unwrap();
    let out = out_dir.path().join("r.json");
    edgebench(cache.path())
        .args([
            "run",
            "--shape",
            "request",
            "-b",
            "mock",
            "-p",
            "16,32",
            "-n",
            "5",
            "-r",
            "3",
            "--no-warmup",
            "-q",
            "-o",
            "json",
            "--mock-spec",
            "crash=decode:13",
            "--out",
        ])
        .arg(&out)
        .assert()
        .failure();
    let text = std::fs::read_to_string(&out).expect("first case's results were written");
    let records: serde_json::Value = serde_json::from_str(&text).expect("file is whole JSON");
    let records = records.as_array().unwrap();
    assert_eq!(records.len(), 1);
    assert_eq!(records[0]["status"], "ok");
    assert_eq!(records[0]["workload"]["test"], "req16+5");
}

#[test]
fn injected_failure_is_recorded_and_exit_is_one() {
    let cache = tempfile::tempdir().unwrap();
    let out_dir = tempfile::tempdir().unwrap();
    let out = out_dir.path().join("r.jsonl");
    edgebench(cache.path())
        .args([
            "run",
            "--shape",
            "request",
            "-b",
            "mock",
            "-p",
            "16",
            "-n",
            "5",
            "-r",
            "3",
            "--no-warmup",
            "-q",
            "-o",
            "jsonl",
            "--mock-spec",
            "fail=decode:6",
            "--out",
        ])
        .arg(&out)
        .assert()
        .code(1)
        .stderr(predicate::str::contains("did not complete ok"));
    let text = std::fs::read_to_string(&out).unwrap();
    let r: serde_json::Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
    assert_eq!(r["status"], "failed");
    let reason = r["reason"].as_str().unwrap();
    assert!(reason.contains("repetition 2 of 3"), "{reason}");
    // The one completed repetition is kept, and only it.
    assert_eq!(r["metrics"]["prefill_tps"]["n"], 1);
}

#[test]
fn every_model_is_checked_before_any_case_runs() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("second.gguf");
    std::fs::write(&bad, b"GGUF\x01\x00\x00\x00").unwrap();
    let out = dir.path().join("r.json");
    let models = format!("synth:tiny-q4_0,{}", bad.display());
    run_with(&["-m", &models, "-o", "json", "--out", out.to_str().unwrap()])
        .code(2)
        .stderr(predicate::str::contains("second.gguf"));
    assert!(!out.exists(), "no case may run when a later model is bad");
}

#[test]
fn synth_into_a_missing_folder_names_out() {
    let cache = tempfile::tempdir().unwrap();
    edgebench(cache.path())
        .args([
            "synth",
            "--preset",
            "tiny",
            "--quant",
            "q4_0",
            "--out",
            "/no/such/dir/m.gguf",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--out /no/such/dir/m.gguf"));
}

#[test]
fn an_unknown_or_misplaced_onnx_variant_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let synth = |format: &str, variant: &str, out: &str| {
        edgebench(dir.path())
            .args(["synth", "--preset", "tiny", "--quant", "q4_0"])
            .args(["--format", format, "--onnx-variant", variant, "--out"])
            .arg(dir.path().join(out))
            .assert()
            .code(2)
    };
    synth("onnx", "qdq,int4", "m.onnx").stderr(
        predicate::str::contains("--onnx-variant")
            .and(predicate::str::contains("'int4'"))
            .and(predicate::str::contains(
                "int32, qdq, qdq-static, gqa, shared-kv",
            )),
    );
    synth("gguf", "qdq", "m.gguf").stderr(predicate::str::contains(
        "use it with --format onnx or both",
    ));
    assert!(!dir.path().join("m.onnx").exists());
    assert!(!dir.path().join("m.gguf").exists());
}

#[test]
fn an_unknown_execution_provider_is_named() {
    run_with(&["-b", "onnx:npu9000"]).code(2).stderr(
        predicate::str::contains("-b onnx:npu9000")
            .and(predicate::str::contains(
                "unknown ONNX Runtime execution provider",
            ))
            .and(predicate::str::contains("qnn")),
    );
}

#[test]
fn a_provider_the_runtime_lacks_is_ep_unavailable_not_a_cpu_run() {
    // The CPU wheel that scripts/setup.sh installs has no CUDA provider.
    run_with(&["-b", "onnx:cuda", "-o", "json"]).code(1).stdout(
        predicate::str::contains("\"status\": \"ep_unavailable\"")
            .and(predicate::str::contains("CUDAExecutionProvider")),
    );
}
