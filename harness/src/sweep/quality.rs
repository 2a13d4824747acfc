//! The sweep's quality step (`[matrix] quality = true`): each quantised
//! model with a reference (its `reference` file, or for a synthetic model
//! the f32 synth of the same weights) is measured with `edgebench quality`
//! on the GGUF backends that ran it (one child process per model, killed
//! on Ctrl-C or after the conformance timeout). Records are written into
//! the sweep folder as `quality-<model>.json` (a resumed sweep reuses one
//! of the same files and backends) and embedded in sweep.json, where the
//! report finds them (docs/quality.md).
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use edgebench_backends::BackendKind;
use edgebench_devices::profile::Profile;
use edgebench_reports::quality::QualityRecord;

use super::conformance::{Start, Stopped, reuse_or_start, run_child_json};
use super::plan::SweepGroup;

/// One model's quality check.
#[derive(Debug, Clone, PartialEq)]
pub struct Check {
    /// Profile model id.
    pub model_id: String,
    /// Its GGUF file.
    pub model: PathBuf,
    /// The reference: a file, or `synth:PRESET-f32-sSEED`.
    pub reference: String,
    /// GGUF backends that ran it, in plan order.
    pub backends: Vec<BackendKind>,
}

/// The checks the plan calls for: per model with a reference, the GGUF
/// backends whose group ran (`ran(model id, backend)`: a case ok).
pub fn checks(
    profile: &Profile,
    groups: &[SweepGroup],
    ran: impl Fn(&str, &str) -> bool,
) -> Vec<Check> {
    let mut out: Vec<Check> = vec![];
    for g in groups {
        let (Some(model), None) = (&g.model, &g.blocked) else {
            continue;
        };
        if g.backend == BackendKind::Mock
            || g.backend.runs_onnx()
            || !ran(&g.model_id, g.backend.id())
        {
            continue;
        }
        let Some(reference) = profile
            .models
            .iter()
            .find(|m| m.id == g.model_id)
            .and_then(|m| m.quality_reference())
        else {
            continue;
        };
        match out.iter_mut().find(|c| c.model_id == g.model_id) {
            Some(c) => {
                if !c.backends.contains(&g.backend) {
                    c.backends.push(g.backend);
                }
            }
            None => out.push(Check {
                model_id: g.model_id.clone(),
                model: model.path.clone(),
                reference,
                backends: vec![g.backend],
            }),
        }
    }
    out
}

/// Whether a record on disk is this very check's result.
fn same_check(r: &QualityRecord, check: &Check) -> bool {
    let backends: Vec<&str> = r.rows.iter().map(|x| x.side.backend.as_str()).collect();
    let want: Vec<&str> = check.backends.iter().map(|b| b.id()).collect();
    backends == want
        && r.rows
            .iter()
            .all(|x| x.side.model == check.model.display().to_string())
}

/// Runs one check; Ok(record) when the child measured every backend.
pub fn run(
    exe: &Path,
    check: &Check,
    dir: &Path,
    threads: u32,
    load_flags: &[String],
    interrupted: &Arc<AtomicBool>,
) -> Result<QualityRecord, Stopped> {
    let name = format!("quality-{}", check.model_id);
    let (out, log_path, log) = match reuse_or_start(dir, &name, |r| same_check(r, check))? {
        Start::Reuse(r) => return Ok(r),
        Start::Fresh { out, log_path, log } => (out, log_path, log),
    };
    let backends: Vec<&str> = check.backends.iter().map(|b| b.id()).collect();
    let mut cmd = Command::new(exe);
    cmd.arg("quality")
        .arg(&check.model)
        .args(["--reference", &check.reference])
        .args(["-b", &backends.join(",")])
        .args(["-t", &threads.to_string(), "-o", "json"])
        .args(load_flags)
        .arg("--out")
        .arg(&out)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(log);
    let bytes = run_child_json(cmd, &out, &log_path, interrupted, "quality")?;
    serde_json::from_slice(&bytes).map_err(|e| Stopped::Failed(format!("{}: {e}", out.display())))
}
