//! The sweep's load runs (`[load]`): each is an `edgebench load` child
//! process with the section's budget as its deadline, so a crash or a hang
//! costs that run only, and Ctrl-C stops it like any case.
use anyhow::Result;
use edgebench_devices::profile::Load;
use std::path::Path;

use super::plan::SweepGroup;
use super::sustained::{Child, Ended, child_command, run_child};

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
    let list = |v: &[String]| v.join(",");
    let Child {
        mut cmd,
        out,
        log_path,
    } = child_command(exe, "load", scratch, profile, mock_spec, group, model_path)?;
    match l.duration_s {
        Some(d) => cmd.args(["--duration", &format!("{}ms", (d * 1e3).round() as u64)]),
        None => cmd.args(["--requests", &l.requests.to_string()]),
    };
    match &l.trace {
        Some(t) => cmd.arg("--trace").arg(&t.path),
        None => cmd
            .args(["-p", &l.n_prompt.to_string()])
            .args(["-n", &l.n_gen.to_string()]),
    };
    cmd.args(["--arrival", &l.arrival])
        .args([
            "--queue-timeout",
            &format!("{}ms", (l.queue_timeout_s * 1e3).round() as u64),
        ])
        .args([
            "-c",
            &list(&l.concurrency.iter().map(u32::to_string).collect::<Vec<_>>()),
        ]);
    if !l.rates.is_empty() {
        cmd.args([
            "--rate",
            &list(&l.rates.iter().map(f64::to_string).collect::<Vec<_>>()),
        ]);
    }
    if let Some(n) = l.step_tokens {
        cmd.args(["--step-tokens", &n.to_string()]);
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
