//! The sweep's conformance step: a model the matrix runs from files in more
//! than one format (a GGUF and its ONNX twin or export) is checked with
//! `edgebench conform`, one child process per model, the first GGUF backend
//! as the reference and every other backend of the model compared with it.
//! The record is written into the sweep folder as `conformance-<model>.json`
//! (a resumed sweep reuses it) and embedded in sweep.json.
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use edgebench_reports::conformance::ConformanceRecord;

use super::plan::{SweepGroup, is_onnx_backend};

/// Longest a conformance child may run before it is killed.
pub const TIMEOUT: Duration = Duration::from_secs(900);

/// One model's check to run: (model path, backend) pairs, reference first.
#[derive(Debug, Clone, PartialEq)]
pub struct Check {
    /// Profile model id.
    pub model_id: String,
    /// (file, backend id) pairs; the first is the reference.
    pub sides: Vec<(PathBuf, String)>,
}

/// The checks a plan calls for: models whose groups that ran (`ran(model
/// id, backend)`: at least one case ok) use files in more than one format.
pub fn checks(groups: &[SweepGroup], ran: impl Fn(&str, &str) -> bool) -> Vec<Check> {
    let mut out: Vec<Check> = vec![];
    for g in groups {
        let (Some(model), None) = (&g.model, &g.blocked) else {
            continue;
        };
        if g.backend == "mock" || !ran(&g.model_id, &g.backend) {
            continue;
        }
        let side = (model.path.clone(), g.backend.clone());
        match out.iter_mut().find(|c| c.model_id == g.model_id) {
            Some(c) => {
                if !c.sides.iter().any(|(_, b)| b == &g.backend) {
                    c.sides.push(side);
                }
            }
            None => out.push(Check {
                model_id: g.model_id.clone(),
                sides: vec![side],
            }),
        }
    }
    out.retain_mut(|c| {
        let onnx = c.sides.iter().filter(|(_, b)| is_onnx_backend(b)).count();
        if onnx == 0 || onnx == c.sides.len() {
            return false;
        }
        // Reference: the first GGUF side.
        if let Some(i) = c.sides.iter().position(|(_, b)| !is_onnx_backend(b)) {
            let r = c.sides.remove(i);
            c.sides.insert(0, r);
        }
        true
    });
    out
}

/// Runs one check; Ok(record) when the child finished (pass or fail),
/// Err(why) when it could not say.
pub fn run(
    exe: &Path,
    check: &Check,
    dir: &Path,
    threads: u32,
    interrupted: &Arc<AtomicBool>,
) -> Result<ConformanceRecord, String> {
    let stem = super::store::file_stem(&check.model_id);
    let out = dir.join(format!("conformance-{stem}.json"));
    if let Ok(bytes) = std::fs::read(&out)
        && let Ok(r) = serde_json::from_slice::<ConformanceRecord>(&bytes)
    {
        return Ok(r);
    }
    let log_path = dir.join(format!("conformance-{stem}.log"));
    let log = std::fs::File::create(&log_path)
        .map_err(|e| format!("cannot create {}: {e}", log_path.display()))?;
    let backends: Vec<&str> = check.sides.iter().map(|(_, b)| b.as_str()).collect();
    let mut cmd = Command::new(exe);
    cmd.arg("conform")
        .args(check.sides.iter().map(|(p, _)| p.as_os_str()))
        .args(["-b", &backends.join(",")])
        .args(["-t", &threads.to_string(), "-o", "json", "--out"])
        .arg(&out)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(log);
    let mut child = cmd
        .spawn()
        .map_err(|e| format!("cannot start edgebench conform: {e}"))?;
    let t0 = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(st)) => break st,
            Ok(None) => {}
            Err(e) => return Err(format!("waiting for edgebench conform: {e}")),
        }
        if interrupted.load(Ordering::SeqCst) || t0.elapsed() > TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            return Err(if interrupted.load(Ordering::SeqCst) {
                "stopped by Ctrl-C".into()
            } else {
                format!("did not finish within {} s; killed", TIMEOUT.as_secs())
            });
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let tail = || {
        let text = std::fs::read_to_string(&log_path).unwrap_or_default();
        let lines: Vec<&str> = text.lines().rev().take(3).collect();
        lines.into_iter().rev().collect::<Vec<_>>().join(" | ")
    };
    match status.code() {
        Some(0 | 1) => {
            let bytes = std::fs::read(&out)
                .map_err(|e| format!("conform wrote no record at {}: {e}", out.display()))?;
            let _ = std::fs::remove_file(&log_path);
            serde_json::from_slice(&bytes).map_err(|e| format!("{}: {e}", out.display()))
        }
        Some(code) => Err(format!(
            "edgebench conform exited with code {code}: {}",
            tail()
        )),
        None => Err(format!(
            "edgebench conform was killed by a signal: {}",
            tail()
        )),
    }
}
