//! The supervisor side of a sweep: runs each model group in a worker process
//! (this same binary, `edgebench worker`), in its own process group, with a
//! per-case timeout, and turns every way a worker can go wrong into a
//! recorded status instead of a lost sweep.
//!
//! - killed by a signal: `crashed` (or `oom` when the kernel's OOM killer
//!   fired or stderr shows an allocation failure), with the signal and the
//!   tail of stderr;
//! - silent past the timeout: the whole process group gets SIGTERM, then
//!   SIGKILL after a grace period: `timeout`;
//! - garbage on stdout, or an exit without the case's record: `protocol_error`;
//! - Ctrl-C: the running case is `interrupted` and the sweep stops.
//!
//! After a worker dies, the group's remaining cases go to a fresh worker.
use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use edgebench_reports::{Record, Status};

use super::protocol::{Event, Job, JobCase};

/// How much of a worker's stderr is kept for the record.
const STDERR_TAIL_BYTES: usize = 4096;

/// Runs jobs in worker processes.
#[derive(Clone)]
pub struct Supervisor {
    /// The edgebench binary to start as a worker.
    pub exe: PathBuf,
    /// Per-case limit (also applies to the model load).
    pub timeout: Duration,
    /// Between SIGTERM and SIGKILL.
    pub grace: Duration,
    /// Set by the Ctrl-C handler.
    pub interrupted: Arc<AtomicBool>,
}

/// What happened to one case.
pub enum CaseOutcome {
    /// The worker reported this record.
    Reported(Box<Record>),
    /// The supervisor decided: status and reason.
    Decided(Status, String),
}

/// How a job ended.
#[derive(Debug, PartialEq, Eq)]
pub enum JobEnd {
    /// Every case has an outcome.
    Complete,
    /// Ctrl-C: cases after the interrupted one were not run.
    Interrupted,
}

enum Msg {
    Line(String),
    Eof,
}

struct Worker {
    child: Child,
    lines: Receiver<Msg>,
    stderr: Arc<Mutex<Vec<u8>>>,
    oom_kills_before: Option<u64>,
}

impl Supervisor {
    /// Runs `job`, calling `on_case(case, outcome)` as each case ends.
    pub fn run_job(
        &self,
        job: &Job,
        mut on_case: impl FnMut(&JobCase, CaseOutcome) -> Result<()>,
    ) -> Result<JobEnd> {
        let mut remaining: VecDeque<JobCase> = job.cases.iter().cloned().collect();
        while !remaining.is_empty() {
            let mut this = job.clone();
            this.cases = remaining.iter().cloned().collect();
            let mut worker = self.spawn(&this)?;
            let mut current: Option<String> = None;
            let mut deadline = Instant::now() + self.timeout;
            let ended = loop {
                if self.interrupted.load(Ordering::SeqCst) {
                    self.kill(&mut worker);
                    if let Some(case) = take(&mut remaining, current.as_deref()) {
                        on_case(
                            &case,
                            CaseOutcome::Decided(
                                Status::Interrupted,
                                "stopped by Ctrl-C during this case".into(),
                            ),
                        )?;
                    }
                    return Ok(JobEnd::Interrupted);
                }
                let wait = deadline
                    .saturating_duration_since(Instant::now())
                    .min(Duration::from_millis(100));
                match worker.lines.recv_timeout(wait) {
                    Ok(Msg::Line(line)) => match serde_json::from_str::<Event>(&line) {
                        Ok(Event::Loading) => {}
                        Ok(Event::Cooling { key }) => {
                            current = Some(key);
                            let cool_s = job.cooldown.map_or(0.0, |c| c.timeout_s);
                            deadline =
                                Instant::now() + self.timeout + Duration::from_secs_f64(cool_s);
                        }
                        Ok(Event::Start { key }) => {
                            current = Some(key);
                            deadline = Instant::now() + self.timeout;
                        }
                        Ok(Event::Record { key, record }) => {
                            if let Some(case) = take(&mut remaining, Some(&key)) {
                                on_case(&case, CaseOutcome::Reported(record))?;
                            }
                            current = None;
                            deadline = Instant::now() + self.timeout;
                        }
                        Ok(Event::Done) => {
                            let _ = worker.child.wait();
                            break None;
                        }
                        Err(e) => {
                            self.kill(&mut worker);
                            let shown: String = line.chars().take(200).collect();
                            break Some((
                                Status::ProtocolError,
                                format!(
                                    "worker wrote a line that is not a protocol event ({e}): {shown:?}{}",
                                    tail_note(&worker)
                                ),
                                current.is_none(),
                            ));
                        }
                    },
                    Ok(Msg::Eof) | Err(RecvTimeoutError::Disconnected) => {
                        let status = wait_briefly(&mut worker.child);
                        break classify_exit(status, &worker, current.is_none());
                    }
                    Err(RecvTimeoutError::Timeout) => {
                        if Instant::now() >= deadline {
                            self.kill(&mut worker);
                            let phase = if current.is_some() {
                                "this case"
                            } else {
                                "model load"
                            };
                            break Some((
                                Status::Timeout,
                                format!(
                                    "no result within the per-case timeout of {:.0} s during {phase}; \
                                     the worker was terminated (raise [matrix] timeout_s if this \
                                     device is slow){}",
                                    self.timeout.as_secs_f64(),
                                    tail_note(&worker)
                                ),
                                current.is_none(),
                            ));
                        }
                    }
                }
            };
            // A worker that ended cleanly but left cases unanswered broke the protocol.
            let ended = match ended {
                None if !remaining.is_empty() => Some((
                    Status::ProtocolError,
                    format!(
                        "worker finished without results for {} case(s){}",
                        remaining.len(),
                        tail_note(&worker)
                    ),
                    current.is_none(),
                )),
                other => other,
            };
            if let Some((status, reason, during_load)) = ended {
                let Some(victim) = take(&mut remaining, current.as_deref()) else {
                    continue;
                };
                on_case(&victim, CaseOutcome::Decided(status, reason.clone()))?;
                if during_load {
                    // The model itself cannot be loaded here: a fresh worker
                    // would fail the same way, so the rest are skipped.
                    while let Some(case) = remaining.pop_front() {
                        on_case(
                            &case,
                            CaseOutcome::Decided(
                                Status::Skipped,
                                format!(
                                    "not run: loading the model failed in case '{}' ({})",
                                    victim.key,
                                    status.as_str()
                                ),
                            ),
                        )?;
                    }
                }
            }
        }
        Ok(JobEnd::Complete)
    }

    fn spawn(&self, job: &Job) -> Result<Worker> {
        let mut cmd = Command::new(&self.exe);
        cmd.arg("worker")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            // Its own process group: a timeout kills the worker and anything
            // it started, and the terminal's Ctrl-C reaches only us.
            .process_group(0);
        // SAFETY: prctl is async-signal-safe; it only asks the kernel to
        // kill the worker if the supervisor dies, so no worker is orphaned.
        #[cfg(target_os = "linux")]
        unsafe {
            cmd.pre_exec(|| {
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
                Ok(())
            });
        }
        let oom_kills_before = oom_kill_count();
        let mut child = cmd
            .spawn()
            .with_context(|| format!("cannot start a worker ({})", self.exe.display()))?;
        let mut stdin = child.stdin.take().context("worker stdin")?;
        let mut text = serde_json::to_string(job)?;
        text.push('\n');
        // A worker that dies at once closes the pipe; that shows up as Eof.
        let _ = stdin.write_all(text.as_bytes());
        drop(stdin);

        let stdout = child.stdout.take().context("worker stdout")?;
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                match line {
                    Ok(l) => {
                        if tx.send(Msg::Line(l)).is_err() {
                            return;
                        }
                    }
                    Err(_) => break,
                }
            }
            let _ = tx.send(Msg::Eof);
        });
        let stderr = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&stderr);
        let mut err_pipe = child.stderr.take().context("worker stderr")?;
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = err_pipe.read(&mut buf) {
                if n == 0 {
                    break;
                }
                if let Ok(mut tail) = sink.lock() {
                    tail.extend_from_slice(&buf[..n]);
                    let excess = tail.len().saturating_sub(STDERR_TAIL_BYTES);
                    tail.drain(..excess);
                }
            }
        });
        Ok(Worker {
            child,
            lines,
            stderr,
            oom_kills_before,
        })
    }

    /// SIGTERM to the worker's process group, SIGKILL after the grace period.
    fn kill(&self, w: &mut Worker) {
        let pgid = w.child.id() as i32;
        // SAFETY: plain kill(2) on the worker's own process group.
        unsafe { libc::kill(-pgid, libc::SIGTERM) };
        let until = Instant::now() + self.grace;
        while Instant::now() < until {
            if let Ok(Some(_)) = w.child.try_wait() {
                // The leader is gone; make sure nothing it started lingers.
                unsafe { libc::kill(-pgid, libc::SIGKILL) };
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        unsafe { libc::kill(-pgid, libc::SIGKILL) };
        let _ = w.child.wait();
    }
}

/// Removes and returns the case with `key` (or the first one when `key` is None).
fn take(remaining: &mut VecDeque<JobCase>, key: Option<&str>) -> Option<JobCase> {
    match key {
        Some(k) => {
            let i = remaining.iter().position(|c| c.key == k)?;
            remaining.remove(i)
        }
        None => remaining.pop_front(),
    }
}

fn wait_briefly(child: &mut Child) -> Option<ExitStatus> {
    let until = Instant::now() + Duration::from_secs(5);
    while Instant::now() < until {
        if let Ok(Some(s)) = child.try_wait() {
            return Some(s);
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let _ = child.kill();
    child.wait().ok()
}

fn stderr_tail(w: &Worker) -> String {
    // Give the stderr thread a moment to drain what the worker wrote last.
    std::thread::sleep(Duration::from_millis(50));
    w.stderr
        .lock()
        .map(|t| String::from_utf8_lossy(&t).trim().to_string())
        .unwrap_or_default()
}

fn tail_note(w: &Worker) -> String {
    let tail = stderr_tail(w);
    if tail.is_empty() {
        String::new()
    } else {
        format!("; worker stderr ends: {tail}")
    }
}

const OOM_MARKERS: [&str; 5] = [
    "memory allocation of",
    "std::bad_alloc",
    "out of memory",
    "Cannot allocate memory",
    "failed to allocate",
];

/// Status for a worker that exited while cases were outstanding.
fn classify_exit(
    status: Option<ExitStatus>,
    w: &Worker,
    during_load: bool,
) -> Option<(Status, String, bool)> {
    let tail = stderr_tail(w);
    let oom_in_stderr = OOM_MARKERS.iter().any(|m| tail.contains(m));
    let oom_killed = match (w.oom_kills_before, oom_kill_count()) {
        (Some(a), Some(b)) => b > a,
        _ => false,
    };
    let tail_note = if tail.is_empty() {
        String::new()
    } else {
        format!("; worker stderr ends: {tail}")
    };
    let (status, what) = match status {
        None => (
            Status::Crashed,
            "the worker could not be waited for".to_string(),
        ),
        Some(s) => match (s.signal(), s.code()) {
            (Some(sig), _) if oom_killed || oom_in_stderr => (
                Status::Oom,
                format!(
                    "the worker ran out of memory (killed by signal {sig}, {})",
                    signal_name(sig)
                ),
            ),
            (Some(sig), _) => (
                Status::Crashed,
                format!(
                    "the worker was killed by signal {sig} ({})",
                    signal_name(sig)
                ),
            ),
            (None, Some(_)) if oom_in_stderr => {
                (Status::Oom, "the worker ran out of memory".to_string())
            }
            (None, Some(101)) => (
                Status::Crashed,
                "the worker panicked (exit 101)".to_string(),
            ),
            (None, Some(code)) => (
                Status::ProtocolError,
                format!("the worker exited with code {code} without this case's result"),
            ),
            (None, None) => (Status::Crashed, "the worker ended abnormally".to_string()),
        },
    };
    Some((status, format!("{what}{tail_note}"), during_load))
}

fn signal_name(sig: i32) -> &'static str {
    match sig {
        libc::SIGKILL => "SIGKILL",
        libc::SIGSEGV => "SIGSEGV",
        libc::SIGABRT => "SIGABRT",
        libc::SIGBUS => "SIGBUS",
        libc::SIGILL => "SIGILL",
        libc::SIGFPE => "SIGFPE",
        libc::SIGTERM => "SIGTERM",
        _ => "signal",
    }
}

/// The OOM killer's count for this process's cgroup (cgroup v2), if readable.
fn oom_kill_count() -> Option<u64> {
    let cgroup = std::fs::read_to_string("/proc/self/cgroup").ok()?;
    let rel = cgroup.lines().find_map(|l| l.strip_prefix("0::"))?;
    let events =
        std::fs::read_to_string(format!("/sys/fs/cgroup{}/memory.events", rel.trim())).ok()?;
    events
        .lines()
        .find_map(|l| l.strip_prefix("oom_kill "))
        .and_then(|n| n.trim().parse().ok())
}
