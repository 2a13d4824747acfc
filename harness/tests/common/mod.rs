//! Shared helpers for CLI tests: an edgebench command with a private cache.
#![allow(dead_code)]
use assert_cmd::Command;
use std::path::Path;

/// `edgebench` with its synthetic-model cache in `cache` and quiet progress.
pub fn edgebench(cache: &Path) -> Command {
    let mut cmd = Command::cargo_bin("edgebench").expect("binary built");
    cmd.env("EDGEBENCH_CACHE_DIR", cache);
    cmd
}

/// Defaults of a small, fast mock run: (flag, value).
const MOCK_DEFAULTS: &[(&str, &str)] = &[
    ("-b", "mock"),
    ("-p", "16"),
    ("-n", "5"),
    ("-r", "3"),
    ("-t", "2"),
    ("--mock-spec", "prefill_us=100,decode_us=2000,jitter_pct=10"),
];

/// `run` arguments for the mock: `extra` plus every default flag `extra`
/// does not give itself (clap refuses a flag given twice).
pub fn mock_run(extra: &[&str]) -> Vec<String> {
    let mut args = vec!["run".to_string(), "--no-warmup".into(), "-q".into()];
    // Most CLI tests look at requests (TTFT, e2e); llama-bench's test
    // shapes are asked for with `--shape llama-bench`.
    if !extra.contains(&"--shape") {
        args.push("--shape".into());
        args.push("request".into());
    }
    for (flag, value) in MOCK_DEFAULTS {
        if !extra.contains(flag) {
            args.push(flag.to_string());
            args.push(value.to_string());
        }
    }
    args.extend(extra.iter().map(|s| s.to_string()));
    args
}
