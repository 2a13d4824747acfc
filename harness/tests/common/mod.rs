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

/// Flags for a small, fast mock run.
pub const MOCK_RUN: &[&str] = &[
    "run",
    "-b",
    "mock",
    "-p",
    "16",
    "-n",
    "5",
    "-r",
    "3",
    "-t",
    "2",
    "--no-warmup",
    "-q",
    "--mock-spec",
    "prefill_us=100,decode_us=2000,jitter_pct=10",
];
