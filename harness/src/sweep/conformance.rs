//! The sweep's conformance step: a model the matrix runs from files in more
//! than one format (a GGUF and its ONNX twin or export) is checked with
//! `edgebench conform`: the first GGUF backend that ran is the reference and
//! every other backend of the model is compared with it, one child process
//! per compared backend (each gets its own load flags). Records are written
//! into the sweep folder as `conformance-<model>-<backend>.json` (a resumed
//! sweep reuses one whose files and backends are the same) and embedded in
//! sweep.json.
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use edgebench_reports::conformance::ConformanceRecord;

use edgebench_backends::BackendKind;

use super::plan::SweepGroup;

/// Longest a conformance child may run before it is killed.
pub const TIMEOUT: Duration = Duration::from_secs(900);

/// One model's check to run: (model path, backend) pairs, reference first.
#[derive(Debug, Clone, PartialEq)]
pub struct Check {
    /// Profile model id.
    pub model_id: String,
    /// (file, backend) pairs; the first is the reference.
    pub sides: Vec<(PathBuf, BackendKind)>,
}

/// The checks a plan calls for: models whose groups that ran (`ran(model
/// id, backend)`: at least one case ok) use files in more than one format.
pub fn checks(groups: &[SweepGroup], ran: impl Fn(&str, &str) -> bool) -> Vec<Check> {
    let mut out: Vec<Check> = vec![];
    for g in groups {
        let (Some(model), None) = (&g.model, &g.blocked) else {
            continue;
        };
        if g.backend == BackendKind::Mock || !ran(&g.model_id, g.backend.id()) {
            continue;
        }
        let side = (model.path.clone(), g.backend);
        match out.iter_mut().find(|c| c.model_id == g.model_id) {
            Some(c) => {
                if !c.sides.iter().any(|(_, b)| *b == g.backend) {
                    c.sides.push(side);
                }
            }
            None => out.push(Check {
                model_id: g.model_id.clone(),
                sides: vec![side],
            }),
        }
    }
    let mut pairs = vec![];
    for c in out {
        let onnx = c.sides.iter().filter(|(_, b)| b.runs_onnx()).count();
        if onnx == 0 || onnx == c.sides.len() {
            continue;
        }
        // Reference: the first GGUF side.
        let Some(i) = c.sides.iter().position(|(_, b)| !b.runs_onnx()) else {
            continue;
        };
        let reference = c.sides[i].clone();
        for (j, side) in c.sides.iter().enumerate() {
            if j != i {
                pairs.push(Check {
                    model_id: c.model_id.clone(),
                    sides: vec![reference.clone(), side.clone()],
                });
            }
        }
    }
    pairs
}

/// Whether a record on disk is the result of this very check (same files
/// and backends, in order), so a resumed sweep may reuse it.
fn same_check(r: &ConformanceRecord, check: &Check) -> bool {
    let sides: Vec<(String, String)> = r
        .pairs
        .first()
        .map(|p| {
            vec![
                (p.a.model.clone(), p.a.backend.clone()),
                (p.b.model.clone(), p.b.backend.clone()),
            ]
        })
        .unwrap_or_default();
    let want: Vec<(String, String)> = check
        .sides
        .iter()
        .map(|(p, b)| (p.display().to_string(), b.id().to_string()))
        .collect();
    r.pairs.len() == 1 && sides == want
}

/// Why a check gave no record.
#[derive(Debug)]
pub enum Stopped {
    /// Ctrl-C: the sweep stops here.
    Interrupted,
    /// It could not run or say (the reason names what happened).
    Failed(String),
}

/// Runs one check; Ok(record) when the child finished (pass or fail).
pub fn run(
    exe: &Path,
    check: &Check,
    dir: &Path,
    threads: u32,
    load_flags: &[String],
    interrupted: &Arc<AtomicBool>,
) -> Result<ConformanceRecord, Stopped> {
    let compared = check.sides.last().map_or("", |(_, b)| b.id());
    let name = format!("conformance-{}", check.model_id) + "-" + compared;
    let (out, log_path, log) = match reuse_or_start(dir, &name, |r| same_check(r, check))? {
        Start::Reuse(r) => return Ok(r),
        Start::Fresh { out, log_path, log } => (out, log_path, log),
    };
    let backends: Vec<&str> = check.sides.iter().map(|(_, b)| b.id()).collect();
    let mut cmd = Command::new(exe);
    cmd.arg("conform")
        .args(check.sides.iter().map(|(p, _)| p.as_os_str()))
        .args(["-b", &backends.join(",")])
        .args(["-t", &threads.to_string(), "-o", "json"])
        .args(load_flags)
        .arg("--out")
        .arg(&out)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(log);
    let bytes = run_child_json(cmd, &out, &log_path, interrupted, "conform")?;
    serde_json::from_slice(&bytes).map_err(|e| Stopped::Failed(format!("{}: {e}", out.display())))
}

/// What a check finds in the sweep folder before it runs.
pub enum Start<R> {
    /// A record of this very check, from an earlier (resumed) run.
    Reuse(R),
    /// None: where the child writes its record and its log (created).
    Fresh {
        /// The record's path (`NAME.json`).
        out: PathBuf,
        /// The log's path (`NAME.log`).
        log_path: PathBuf,
        /// The log, open for the child's stderr.
        log: std::fs::File,
    },
}

/// `NAME.json` in `dir` when it holds a record `same` accepts, else a
/// fresh start (the stale record removed, `NAME.log` created). `name` is
/// made a file stem.
pub fn reuse_or_start<R: serde::de::DeserializeOwned>(
    dir: &Path,
    name: &str,
    same: impl Fn(&R) -> bool,
) -> Result<Start<R>, Stopped> {
    let stem = super::store::file_stem(name);
    let out = dir.join(format!("{stem}.json"));
    if let Ok(bytes) = std::fs::read(&out)
        && let Ok(r) = serde_json::from_slice::<R>(&bytes)
        && same(&r)
    {
        return Ok(Start::Reuse(r));
    }
    let _ = std::fs::remove_file(&out);
    let log_path = dir.join(format!("{stem}.log"));
    let log = std::fs::File::create(&log_path)
        .map_err(|e| Stopped::Failed(format!("cannot create {}: {e}", log_path.display())))?;
    Ok(Start::Fresh { out, log_path, log })
}

/// Runs a check's child (`conform`, `quality`) that writes one JSON record
/// to `out` and its log to `log_path`: killed on Ctrl-C or after
/// [`TIMEOUT`]; on exit code 0 or 1 the record's bytes (the log is then
/// removed), else why not, with the log's last lines.
pub fn run_child_json(
    mut cmd: Command,
    out: &Path,
    log_path: &Path,
    interrupted: &Arc<AtomicBool>,
    verb: &str,
) -> Result<Vec<u8>, Stopped> {
    let mut child = cmd
        .spawn()
        .map_err(|e| Stopped::Failed(format!("cannot start edgebench {verb}: {e}")))?;
    let t0 = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(st)) => break st,
            Ok(None) => {}
            Err(e) => {
                return Err(Stopped::Failed(format!(
                    "waiting for edgebench {verb}: {e}"
                )));
            }
        }
        if interrupted.load(Ordering::SeqCst) {
            let _ = child.kill();
            let _ = child.wait();
            return Err(Stopped::Interrupted);
        }
        if t0.elapsed() > TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            return Err(Stopped::Failed(format!(
                "did not finish within {} s; killed",
                TIMEOUT.as_secs()
            )));
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let tail = || {
        let text = std::fs::read_to_string(log_path).unwrap_or_default();
        let lines: Vec<&str> = text.lines().rev().take(3).collect();
        lines.into_iter().rev().collect::<Vec<_>>().join(" | ")
    };
    let failed = Stopped::Failed;
    match status.code() {
        Some(0 | 1) => {
            let bytes = std::fs::read(out)
                .map_err(|e| failed(format!("{verb} wrote no record at {}: {e}", out.display())))?;
            let _ = std::fs::remove_file(log_path);
            Ok(bytes)
        }
        Some(code) => Err(failed(format!(
            "edgebench {verb} exited with code {code}: {}",
            tail()
        ))),
        None => Err(failed(format!(
            "edgebench {verb} was killed by a signal: {}",
            tail()
        ))),
    }
}
