//! The sweep's load runs (`[load]`): each is an `edgebench load` child
//! process with the section's budget as its deadline, so a crash or a hang
//! costs that run only, and Ctrl-C stops it like any case.
use std::path::Path;
use std::process::{Command, Stdio};

use anyhow::{Context, Result};
use edgebench_devices::profile::Load;

use super::plan::SweepGroup;
use super::sustained::{Ended, run_child};

/// Runs the group's one load case on its resolved model.
#[allow(clippy::too_many_arguments)] // each is one thing the child needs
pub fn run(
    exe: &Path,
    settings: &Load,
    profile: &edgebench_devices::profile::Profile,
    group: &SweepGroup,
    model_path: &Path,
    scratch: &Path,
    mock_spec: &str,
    interrupted: &std::sync::atomic::AtomicBool,
) -> Result<Ended> {
    let l = settings;
    let case = &group.cases[0];
    let stem = super::store::file_stem(&case.key);
    let out = scratch.join(format!("{stem}.load.json"));
    let log_path = scratch.join(format!("{stem}.load.log"));
    let _ = std::fs::remove_file(&out);
    let log = std::fs::File::create(&log_path)
        .with_context(|| format!("cannot create {}", log_path.display()))?;
    let list = |v: &[String]| v.join(",");
    let mut cmd = Command::new(exe);
    cmd.arg("load")
        .arg("-m")
        .arg(model_path)
        .args(["-b", group.backend.id()])
        .args([
            "-p",
            &case.n_prompt.to_string(),
            "-n",
            &case.n_gen.to_string(),
        ])
        .args([
            "-t",
            &case.threads.to_string(),
            "--seed",
            &case.seed.to_string(),
        ])
        .args(["--requests", &l.requests.to_string()])
        .args(["--arrival", &l.arrival])
        .args([
            "--queue-timeout",
            &format!("{}ms", (l.queue_timeout_s * 1e3).round() as u64),
        ])
        .args([
            "-c",
            &list(&l.concurrency.iter().map(u32::to_string).collect::<Vec<_>>()),
        ])
        .args(["--mock-spec", mock_spec, "-o", "json"])
        .args(super::load_flags(profile, group.backend));
    if !l.rates.is_empty() {
        cmd.args([
            "--rate",
            &list(&l.rates.iter().map(f64::to_string).collect::<Vec<_>>()),
        ]);
    }
    if l.capacity {
        cmd.arg("--capacity");
    }
    for (flag, v) in [
        ("--ttft-ms", l.ttft_ms),
        ("--itl-ms", l.itl_ms),
        ("--e2e-ms", l.e2e_ms),
    ] {
        if let Some(v) = v {
            cmd.args([flag, &v.to_string()]);
        }
    }
    cmd.arg("--out")
        .arg(&out)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(log);
    run_child(
        cmd,
        &out,
        &log_path,
        l.budget_s,
        interrupted,
        "the load run",
        "[load] budget",
    )
}
