//! The sweep's sustained runs (`[sustained]`): each is an
//! `edgebench sustained` child process with a deadline, so a crash or a hang
//! costs that run only, and Ctrl-C stops it like any case.
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use edgebench_devices::profile::Sustained;
use edgebench_reports::{Record, Status};

use super::plan::SweepGroup;

/// How a sustained child ended.
pub enum Ended {
    /// It wrote its record.
    Record(Box<Record>),
    /// It did not finish; the status and reason to record, and the record
    /// of what it measured until then when it had written one (a load run
    /// writes its record after every run and capacity trial).
    Decided(Status, String, Option<Box<Record>>),
    /// Ctrl-C arrived; what it had measured, as for `Decided`.
    Interrupted(Option<Box<Record>>),
}

/// The record a child that did not finish left at `out`, if any (removed).
fn partial_record(out: &Path) -> Option<Box<Record>> {
    let bytes = std::fs::read(out).ok()?;
    let _ = std::fs::remove_file(out);
    serde_json::from_slice(&bytes).ok().map(Box::new)
}

/// What every sustained child of a sweep shares.
pub struct Runner<'a> {
    /// The edgebench binary.
    pub exe: PathBuf,
    /// The profile's `[sustained]`.
    pub settings: &'a Sustained,
    /// Extra time beyond the run itself (the matrix's per-case timeout).
    pub slack_s: f64,
    /// The cool-down watch's limit, seconds.
    pub cooldown_timeout_s: f64,
    /// Mock backend spec (tests).
    pub mock_spec: &'a str,
    /// What may run past the memory pre-flight (passed as flags).
    pub policy: crate::preflight::Policy,
    /// Set by Ctrl-C.
    pub interrupted: Arc<AtomicBool>,
    /// Where the record and the child's log are written.
    pub scratch: &'a Path,
    /// The profile: its load settings (`--ngl`, `[onnx]`) go to the child.
    pub profile: &'a edgebench_devices::profile::Profile,
}

fn secs(x: f64) -> String {
    format!("{}ms", (x * 1e3).round() as u64)
}

impl Runner<'_> {
    /// Runs the group's one sustained case on its resolved model.
    pub fn run(&self, group: &SweepGroup, model_path: &Path) -> Result<Ended> {
        let s = self.settings;
        let Child {
            mut cmd,
            out,
            log_path,
        } = child_command(
            &self.exe,
            "sustained",
            self.scratch,
            self.profile,
            self.mock_spec,
            group,
            model_path,
        )?;
        let case = &group.cases[0];
        cmd.args(["-p", &case.n_prompt.to_string()])
            .args(["-n", &case.n_gen.to_string()]);
        cmd.args([
            "--duration",
            &secs(s.duration_s),
            "--window",
            &secs(s.window_s),
        ])
        .args(["--gap", &secs(s.gap_s)])
        .args(["--telemetry-hz", &s.telemetry_hz.to_string()])
        .args(["--cooldown-timeout", &secs(self.cooldown_timeout_s)])
        .args(super::jobs::policy_flags(self.policy));
        if s.cooldown_watch {
            cmd.arg("--cooldown-watch");
        }
        let watch = if s.cooldown_watch {
            self.cooldown_timeout_s
        } else {
            0.0
        };
        let limit = s.duration_s + watch + self.slack_s;
        run_child(
            cmd,
            &out,
            &log_path,
            limit,
            &self.interrupted,
            "the sustained run",
            "duration + cool-down watch + [matrix] timeout",
        )
    }
}

/// A child `edgebench` command of one sweep group, before its own flags.
pub struct Child {
    /// `edgebench VERB -m MODEL -b BACKEND -p -n -t --seed --mock-spec
    /// -o json` with the profile's load flags, `--out`, and stderr to the log.
    pub cmd: Command,
    /// Where it writes its record.
    pub out: PathBuf,
    /// Where its stderr goes.
    pub log_path: PathBuf,
}

/// The command of a sweep's child process (`sustained`, `load`) on the
/// group's one case, with the flags every such child takes (request
/// lengths are the caller's: a load run may draw or replay them); the record
/// and log go to `scratch`, named after the case key and `verb`.
pub fn child_command(
    exe: &Path,
    verb: &str,
    scratch: &Path,
    profile: &edgebench_devices::profile::Profile,
    mock_spec: &str,
    group: &SweepGroup,
    model_path: &Path,
) -> Result<Child> {
    let case = &group.cases[0];
    let stem = super::store::file_stem(&case.key);
    let out = scratch.join(format!("{stem}.{verb}.json"));
    let log_path = scratch.join(format!("{stem}.{verb}.log"));
    let _ = std::fs::remove_file(&out);
    let log = std::fs::File::create(&log_path)
        .with_context(|| format!("cannot create {}", log_path.display()))?;
    let mut cmd = Command::new(exe);
    cmd.arg(verb)
        .arg("-m")
        .arg(model_path)
        .args(["-b", group.backend.id()])
        .args(["-t", &case.threads.to_string()])
        .args(["--seed", &case.seed.to_string()])
        .args(["--mock-spec", mock_spec, "-o", "json"])
        .args(super::load_flags(profile, group.backend))
        .arg("--out")
        .arg(&out)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(log);
    Ok(Child { cmd, out, log_path })
}

/// Runs a child `edgebench` that writes one record to `out` and its log to
/// `log_path`: killed on Ctrl-C or after `limit_s` (`limit_why` says where
/// the limit comes from), its record read back on exit code 0 or 1.
pub fn run_child(
    mut cmd: Command,
    out: &Path,
    log_path: &Path,
    limit_s: f64,
    interrupted: &AtomicBool,
    what: &str,
    limit_why: &str,
) -> Result<Ended> {
    let mut child = cmd
        .spawn()
        .with_context(|| format!("cannot start {what}"))?;
    let limit = limit_s;
    let t0 = Instant::now();
    let status = loop {
        if let Some(st) = child.try_wait()? {
            break st;
        }
        if interrupted.load(Ordering::SeqCst) {
            let _ = child.kill();
            let _ = child.wait();
            return Ok(Ended::Interrupted(partial_record(out)));
        }
        if t0.elapsed().as_secs_f64() > limit {
            let _ = child.kill();
            let _ = child.wait();
            return Ok(Ended::Decided(
                Status::Timeout,
                format!("{what} did not finish within {limit:.0} s ({limit_why}); it was killed"),
                partial_record(out),
            ));
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let tail = || {
        let text = std::fs::read_to_string(log_path).unwrap_or_default();
        let lines: Vec<&str> = text.lines().rev().take(5).collect();
        lines.into_iter().rev().collect::<Vec<_>>().join(" | ")
    };
    match status.code() {
        Some(0 | 1) => {
            let bytes = std::fs::read(out)
                .with_context(|| format!("{what} wrote no record at {}", out.display()))?;
            let record: Record = serde_json::from_slice(&bytes)
                .with_context(|| format!("{} is not a record", out.display()))?;
            let _ = std::fs::remove_file(out);
            let _ = std::fs::remove_file(log_path);
            Ok(Ended::Record(Box::new(record)))
        }
        Some(code) => Ok(Ended::Decided(
            Status::Failed,
            format!("{what} exited with code {code}: {}", tail()),
            partial_record(out),
        )),
        None => Ok(Ended::Decided(
            Status::Crashed,
            format!("{what} was killed by a signal: {}", tail()),
            partial_record(out),
        )),
    }
}
