//! `edgebench sweep`: a device profile's whole matrix, each model group in a
//! worker process, every finished case written at once, SLO verdicts at the
//! end. [`sweep`] reads as its phases; `supervisor` isolates failures,
//! `store` owns the output folder.
pub mod bandwidth;
pub mod conformance;
pub mod filter;
pub mod jobs;
pub mod load;
pub mod plan;
pub mod progress;
pub mod protocol;
pub mod quality;
pub mod report;
pub mod store;
pub mod summary;
pub mod supervisor;
pub mod sustained;
pub mod validity;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};
use edgebench_devices::HostInfo;
use edgebench_devices::profile::Profile;
use edgebench_reports::bandwidth::BandwidthRecord;
use edgebench_reports::conformance::ConformanceRecord;
use edgebench_reports::quality::QualityRecord;
use edgebench_reports::record::{DeviceRef, RecordKind};
use edgebench_reports::{Record, Status, slo};

use self::filter::Filter;
use self::jobs::{decided_record, job_for, load_flags};
use self::plan::{Blocked, SweepGroup, SweepPlan};
use self::progress::Progress;
use self::store::Store;
use self::summary::{SweepSummary, Timing};
use self::supervisor::{CaseOutcome, JobEnd, Supervisor};
use crate::exit::{EXIT_CASE_FAILED, EXIT_INTERRUPTED, EXIT_OK};
use crate::roofline::DeviceFigures;

/// What the `sweep` flags ask for.
pub struct SweepOptions {
    /// Profile file; None = the embedded profiles/local.toml.
    pub device: Option<PathBuf>,
    /// Output folder; None = edgebench-results/<profile>-<time>.
    pub out: Option<PathBuf>,
    /// Continue the sweep in `out`.
    pub resume: bool,
    /// Which cases.
    pub filter: Filter,
    /// Print the plan only.
    pub dry_run: bool,
    /// Exit 1 when an SLO fails.
    pub fail_on_slo: bool,
    /// Also write the SLO verdicts as JUnit XML here (`--junit`).
    pub junit: Option<PathBuf>,
    /// Prompt seed.
    pub seed: u64,
    /// Mock backend spec (tests).
    pub mock_spec: String,
    /// Seconds between SIGTERM and SIGKILL for a timed-out worker.
    pub grace: Duration,
    /// What may run past the memory pre-flight (sweep `--force`,
    /// `--allow-long-context`; the profile's `[matrix]` keys add to it).
    pub policy: crate::preflight::Policy,
}

/// Runs a sweep; returns the exit code. Bad input is an Err (exit 2).
pub fn sweep(opts: &SweepOptions) -> Result<i32> {
    let profile = load_profile(opts)?;
    let plan = build_plan(&profile, opts)?;
    if opts.dry_run {
        return Ok(print_plan(&plan));
    }
    // A path that cannot be written is found now, not after hours of cases.
    if let Some(path) = &opts.junit {
        edgebench_reports::junit::check_writable(path)
            .with_context(|| format!("--junit {}", path.display()))?;
    }
    let store = Store::open(&out_folder(&profile, opts)?, opts.resume)?;
    let mut run = Sweep::start(&profile, opts, store, &plan)?;
    let started = Instant::now();
    run.matrix_phase(&plan)?;
    run.sustained_phase(&plan)?;
    run.load_phase(&plan)?;
    let (conformance, conformance_problems) = run.conformance_phase(&plan);
    let (quality, quality_problems) = run.quality_phase(&plan);
    let wall_s = started.elapsed().as_secs_f64();
    run.progress.finish();
    let checks = summary::Checks {
        conformance,
        conformance_problems,
        quality,
        quality_problems,
    };
    let summary = run.summary(&plan, checks, wall_s);
    let sweep_json = run.store.write_summary(&summary)?;
    summary.print()?;
    eprintln!("edgebench: results in {}", run.store.dir().display());
    eprintln!("edgebench: summary {}", sweep_json.display());
    report::after_sweep(run.store.dir());
    if let Some(path) = &opts.junit {
        write_junit(path, &summary, run.store.dir())?;
    }
    Ok(run.exit_code(&summary))
}

/// `--junit`, after every result file: a failure here loses nothing.
fn write_junit(
    path: &std::path::Path,
    summary: &SweepSummary<'_>,
    dir: &std::path::Path,
) -> Result<()> {
    edgebench_reports::junit::write(path, &summary.junit()).with_context(|| {
        format!(
            "--junit {}: the SLO verdicts were not written as JUnit XML; the sweep's results \
             are complete in {} (sweep.json holds the verdicts)",
            path.display(),
            dir.display()
        )
    })
}

/// The profile the flags name, or the embedded local one.
fn load_profile(opts: &SweepOptions) -> Result<Profile> {
    Ok(match &opts.device {
        Some(p) => Profile::load(p).map_err(|e| anyhow!("{e}"))?,
        None => Profile::embedded_local(),
    })
}

/// The checked plan: every problem of the profile listed at once.
fn build_plan(profile: &Profile, opts: &SweepOptions) -> Result<SweepPlan> {
    let plan = plan::build(profile, &opts.filter, opts.seed).map_err(|problems| {
        anyhow!(
            "the sweep cannot start; fix these and run it again:\n  - {}",
            problems.join("\n  - ")
        )
    })?;
    if plan.is_empty() {
        bail!("--filter matches no case of {}'s matrix", profile.origin);
    }
    Ok(plan)
}

/// `--dry-run`: the plan, nothing run.
fn print_plan(plan: &SweepPlan) -> i32 {
    print!("{}", plan.describe());
    eprintln!(
        "edgebench: {} case(s) in {} model group(s); nothing run (--dry-run)",
        plan.len(),
        plan.groups.len()
    );
    EXIT_OK
}

/// `--out`, or a new folder under edgebench-results/.
fn out_folder(profile: &Profile, opts: &SweepOptions) -> Result<PathBuf> {
    Ok(match &opts.out {
        Some(o) => o.clone(),
        None if opts.resume => bail!("--resume needs --out: the folder of the sweep to continue"),
        None => default_out(profile),
    })
}

fn default_out(profile: &Profile) -> PathBuf {
    let stem = std::path::Path::new(&profile.origin)
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "sweep".into());
    let stamp = crate::provenance::timestamp(std::time::SystemTime::now()).replace([':', '.'], "-");
    PathBuf::from("edgebench-results").join(format!("{stem}-{stamp}"))
}

/// A sweep under way: where it writes, what it has so far, whether Ctrl-C
/// came.
struct Sweep<'a> {
    profile: &'a Profile,
    opts: &'a SweepOptions,
    store: Store,
    supervisor: Supervisor,
    /// Set by the signal handler.
    ctrl_c: Arc<AtomicBool>,
    host: HostInfo,
    device: DeviceRef,
    bandwidth: Option<BandwidthRecord>,
    device_figures: DeviceFigures,
    /// Finished cases by key (a resumed sweep starts with those on disk).
    records: BTreeMap<String, Record>,
    resumed: usize,
    progress: Progress,
    /// Sum of the model loads, ms.
    loads_ms: f64,
    /// Ctrl-C stopped a phase; the later phases are skipped.
    interrupted: bool,
}

impl<'a> Sweep<'a> {
    /// Signals, the worker supervisor, host facts, the bandwidth probe, and
    /// on `--resume` the cases already done.
    fn start(
        profile: &'a Profile,
        opts: &'a SweepOptions,
        store: Store,
        plan: &SweepPlan,
    ) -> Result<Sweep<'a>> {
        let ctrl_c = Arc::new(AtomicBool::new(false));
        for sig in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
            signal_hook::flag::register(sig, Arc::clone(&ctrl_c))
                .context("cannot install the Ctrl-C handler")?;
        }
        let supervisor = Supervisor {
            exe: std::env::current_exe().context("cannot find the edgebench binary")?,
            timeout: Duration::from_secs_f64(profile.matrix.timeout_s),
            grace: opts.grace,
            interrupted: Arc::clone(&ctrl_c),
        };
        let host = HostInfo::probe();
        let device = DeviceRef::of(profile);
        let bandwidth = bandwidth::measure_or_reuse(profile, &store, &host, &device);
        let device_figures = DeviceFigures {
            measured_read_gbs: bandwidth.as_ref().and_then(|b| b.best_read_gbs()),
            peak_gbs: profile.device.mem_bandwidth_gbs,
            peak_tflops: profile.device.peak_tflops.clone(),
        };
        let records = if opts.resume {
            store.finished(&plan.keys())
        } else {
            BTreeMap::new()
        };
        let resumed = records.len();
        Ok(Sweep {
            profile,
            opts,
            store,
            supervisor,
            ctrl_c,
            host,
            device,
            bandwidth,
            device_figures,
            progress: Progress::new(plan.len() as u64, resumed as u64),
            records,
            resumed,
            loads_ms: 0.0,
            interrupted: false,
        })
    }

    /// The worker job of `cases` of `group`.
    fn job(&self, group: &SweepGroup, cases: Vec<protocol::JobCase>) -> protocol::Job {
        job_for(
            self.profile,
            &self.opts.mock_spec,
            group,
            &self.device,
            &self.device_figures,
            cases,
            self.opts.policy,
        )
    }

    /// Keeps a finished case: written at once, counted, remembered.
    fn keep(&mut self, key: &str, record: Record) -> Result<()> {
        self.store.write_case(key, &record).with_context(|| {
            let dir = self.store.dir().display();
            format!(
                "the sweep stopped: the result of case {key} could not be written; the cases \
                 finished before it are intact in {dir}; once the problem is fixed, continue \
                 with: edgebench sweep --resume --out {dir} (and the same --device)"
            )
        })?;
        self.progress.case_done(key, &record);
        self.records.insert(key.to_string(), record);
        Ok(())
    }

    /// The matrix: each model group's missing cases in a worker process, or
    /// recorded without one when the group is blocked.
    fn matrix_phase(&mut self, plan: &SweepPlan) -> Result<()> {
        for group in &plan.groups {
            let todo: Vec<_> = group
                .cases
                .iter()
                .filter(|c| !self.records.contains_key(&c.key))
                .cloned()
                .collect();
            if todo.is_empty() {
                continue;
            }
            if self.run_group(group, todo)? == JobEnd::Interrupted {
                self.interrupted = true;
                break;
            }
        }
        Ok(())
    }

    /// One group's cases; each record is kept as its case ends.
    fn run_group(&mut self, group: &SweepGroup, todo: Vec<protocol::JobCase>) -> Result<JobEnd> {
        let job = self.job(group, todo);
        let blocked = match &group.blocked {
            Some(Blocked::Unavailable(why)) => Some((Status::EpUnavailable, why)),
            Some(Blocked::ArtifactMismatch(why)) => Some((Status::ArtifactMismatch, why)),
            None => None,
        };
        if let Some((status, why)) = blocked {
            for case in &job.cases {
                let r = decided_record(&self.host, &self.device, group, &job, case, status, why);
                self.keep(&case.key, r)?;
            }
            return Ok(JobEnd::Complete);
        }
        let matrix = &self.profile.matrix;
        let (min_duration_s, max_start_temp_c) = (matrix.min_duration_s, matrix.max_start_temp_c);
        let mut first_record = true;
        let supervisor = self.supervisor.clone();
        supervisor.run_job(&job, |case, outcome| {
            let record = match outcome {
                CaseOutcome::Reported(r) => {
                    if first_record {
                        self.loads_ms += r.metrics.load_ms.unwrap_or(0.0);
                        first_record = false;
                    }
                    let mut r = *r;
                    validity::apply(&mut r, min_duration_s, max_start_temp_c);
                    r
                }
                CaseOutcome::Decided(status, reason) => {
                    decided_record(&self.host, &self.device, group, &job, case, status, &reason)
                }
            };
            self.keep(&case.key, record)
        })
    }

    /// `[sustained]`: one child process per model x backend, after the
    /// matrix (a device that heats up must not skew the matrix's cases).
    fn sustained_phase(&mut self, plan: &SweepPlan) -> Result<()> {
        let (profile, opts) = (self.profile, self.opts);
        let Some(settings) = profile.sustained.as_ref().filter(|_| !self.interrupted) else {
            return Ok(());
        };
        let scratch = self.store.dir().to_path_buf();
        let runner = sustained::Runner {
            exe: self.supervisor.exe.clone(),
            settings,
            slack_s: profile.matrix.timeout_s,
            cooldown_timeout_s: profile.matrix.cooldown.map_or(600.0, |c| c.timeout_s),
            mock_spec: &opts.mock_spec,
            policy: jobs::policy_of(profile, opts.policy),
            interrupted: Arc::clone(&self.ctrl_c),
            scratch: &scratch,
            profile,
        };
        for group in &plan.sustained {
            let case = &group.cases[0];
            if self.records.contains_key(&case.key) {
                continue;
            }
            let job = self.job(group, group.cases.clone());
            let decided = |status, reason: &str| {
                let mut r =
                    decided_record(&self.host, &self.device, group, &job, case, status, reason);
                r.kind = RecordKind::Sustained;
                r
            };
            let record = match runnable(group) {
                Err((status, why)) => decided(status, why),
                Ok(model) => {
                    let cooled = self.profile.matrix.cooldown.map(|cd| {
                        (
                            cd,
                            crate::cooldown::wait(&edgebench_devices::telemetry::sysfs_root(), &cd),
                        )
                    });
                    match runner.run(group, &model.path)? {
                        sustained::Ended::Interrupted(partial) => {
                            let r = decided(
                                Status::Interrupted,
                                "stopped by Ctrl-C during this sustained run",
                            );
                            self.keep(&case.key, kept_partial(partial, r))?;
                            self.interrupted = true;
                            return Ok(());
                        }
                        sustained::Ended::Decided(status, why, partial) => {
                            kept_partial(partial, decided(status, &why))
                        }
                        sustained::Ended::Record(r) => {
                            let mut r = *r;
                            self.loads_ms += r.metrics.load_ms.unwrap_or(0.0);
                            r.model.id = Some(group.model_id.clone());
                            r.device = Some(self.device.clone());
                            if let Some((cd, outcome)) = &cooled {
                                crate::cooldown::apply(&mut r, outcome, cd);
                            }
                            r
                        }
                    }
                }
            };
            self.keep(&case.key, record)?;
        }
        Ok(())
    }

    /// `[load]`: one `edgebench load` child per model x backend, after the
    /// sustained runs; its record (kind `load`) sizes the report's fleet.
    fn load_phase(&mut self, plan: &SweepPlan) -> Result<()> {
        let Some(settings) = self.profile.load.as_ref().filter(|_| !self.interrupted) else {
            return Ok(());
        };
        let scratch = self.store.dir().to_path_buf();
        for group in &plan.load {
            let case = &group.cases[0];
            if self.records.contains_key(&case.key) {
                continue;
            }
            let job = self.job(group, group.cases.clone());
            let decided = |status, reason: &str| {
                let mut r =
                    decided_record(&self.host, &self.device, group, &job, case, status, reason);
                r.kind = RecordKind::Load;
                r
            };
            let record = match runnable(group) {
                Err((status, why)) => decided(status, why),
                Ok(model) => match load::run(
                    &self.supervisor.exe,
                    settings,
                    self.profile,
                    group,
                    &model.path,
                    &scratch,
                    &self.opts.mock_spec,
                    &self.ctrl_c,
                )? {
                    sustained::Ended::Interrupted(partial) => {
                        let r = decided(
                            Status::Interrupted,
                            "stopped by Ctrl-C during this load run",
                        );
                        self.keep(&case.key, kept_partial(partial, r))?;
                        self.interrupted = true;
                        return Ok(());
                    }
                    sustained::Ended::Decided(status, why, partial) => {
                        kept_partial(partial, decided(status, &why))
                    }
                    sustained::Ended::Record(r) => {
                        let mut r = *r;
                        r.model.id = Some(group.model_id.clone());
                        r.device = Some(self.device.clone());
                        r
                    }
                },
            };
            self.keep(&case.key, record)?;
        }
        Ok(())
    }

    /// Models run from files in several formats: does every backend compute
    /// the same thing? Returns the checks' records and the checks that
    /// could not run.
    fn conformance_phase(&mut self, plan: &SweepPlan) -> (Vec<ConformanceRecord>, Vec<String>) {
        let (mut records, mut problems) = (vec![], vec![]);
        if self.interrupted {
            return (records, problems);
        }
        let threads = self.profile.matrix.threads.first().copied().unwrap_or(1);
        let ran = |model_id: &str, backend: &str| self.ran_ok(model_id, backend);
        let checks = conformance::checks(&plan.groups, ran);
        for check in checks {
            let backends: Vec<&str> = check.sides.iter().map(|(_, b)| b.id()).collect();
            eprintln!(
                "edgebench: conformance of '{}' across {}",
                check.model_id,
                backends.join(", ")
            );
            // --ngl (for the GGUF reference) and the compared backend's
            // [onnx] options when it is an onnx one.
            let flags = load_flags(self.profile, check.sides[1].1);
            let ran = conformance::run(
                &self.supervisor.exe,
                &check,
                self.store.dir(),
                threads,
                &flags,
                &self.ctrl_c,
            );
            if let Ok(r) = &ran
                && !r.pass
            {
                eprintln!(
                    "edgebench: conformance of '{}' FAILED; see conformance-*.json",
                    check.model_id
                );
            }
            if !self.keep_check(
                "conformance",
                &check.model_id,
                ran,
                &mut records,
                &mut problems,
            ) {
                break;
            }
        }
        (records, problems)
    }

    /// Whether a case of `model_id` on `backend` ran ok.
    fn ran_ok(&self, model_id: &str, backend: &str) -> bool {
        self.records.values().any(|r| {
            r.status == Status::Ok
                && r.model.id.as_deref() == Some(model_id)
                && r.backend.id == backend
        })
    }

    /// Keeps a check's outcome: its record, or why it could not run (said
    /// on the terminal); false after Ctrl-C (the sweep stops checking).
    fn keep_check<R>(
        &mut self,
        what: &str,
        model_id: &str,
        ran: Result<R, conformance::Stopped>,
        records: &mut Vec<R>,
        problems: &mut Vec<String>,
    ) -> bool {
        match ran {
            Ok(r) => records.push(r),
            Err(conformance::Stopped::Interrupted) => {
                self.interrupted = true;
                return false;
            }
            Err(conformance::Stopped::Failed(why)) => {
                eprintln!("edgebench: {what} of '{model_id}' could not run: {why}");
                problems.push(format!("{model_id}: {why}"));
            }
        }
        true
    }

    /// `[matrix] quality = true`: each quantised model against its
    /// reference on the GGUF backends that ran it. Returns the records and
    /// the checks that could not run.
    fn quality_phase(&mut self, plan: &SweepPlan) -> (Vec<QualityRecord>, Vec<String>) {
        let (mut records, mut problems) = (vec![], vec![]);
        if self.interrupted || !self.profile.matrix.quality {
            return (records, problems);
        }
        let threads = self.profile.matrix.threads.first().copied().unwrap_or(1);
        let ran = |model_id: &str, backend: &str| self.ran_ok(model_id, backend);
        for check in quality::checks(self.profile, &plan.groups, ran) {
            eprintln!(
                "edgebench: quality of '{}' against {}",
                check.model_id, check.reference
            );
            let flags = load_flags(self.profile, check.backends[0]);
            let ran = quality::run(
                &self.supervisor.exe,
                &check,
                self.store.dir(),
                threads,
                &flags,
                &self.ctrl_c,
            );
            if !self.keep_check("quality", &check.model_id, ran, &mut records, &mut problems) {
                break;
            }
        }
        // Keyed like the sweep's records in `compare` and `history`.
        let device = edgebench_reports::compare::device_key(Some(&self.device), &self.host);
        for q in &mut records {
            q.device = Some(device.clone());
        }
        (records, problems)
    }

    /// `sweep.json`: records in plan order, verdicts, timing.
    fn summary(&self, plan: &SweepPlan, checks: summary::Checks, wall_s: f64) -> SweepSummary<'_> {
        let keys = plan.keys();
        let records: Vec<Record> = keys
            .iter()
            .filter_map(|k| self.records.get(k).cloned())
            .collect();
        let cases_ms: f64 = records.iter().filter_map(|r| r.metrics.case_wall_ms).sum();
        let work_ms = cases_ms + self.loads_ms;
        SweepSummary {
            schema_version: SweepSummary::SCHEMA_VERSION,
            kind: SweepSummary::KIND,
            profile: self.profile,
            host: &self.host,
            verdicts: slo::evaluate(&self.profile.slos, &records),
            complete: !self.interrupted && records.len() == keys.len(),
            records,
            bandwidth: self.bandwidth.as_ref(),
            conformance: checks.conformance,
            conformance_problems: checks.conformance_problems,
            quality: checks.quality,
            quality_problems: checks.quality_problems,
            timing: Timing {
                wall_s,
                cases_s: cases_ms / 1e3,
                model_loads_s: self.loads_ms / 1e3,
                isolation_ratio: (self.resumed == 0 && work_ms > 0.0)
                    .then(|| wall_s * 1e3 / work_ms),
            },
        }
    }

    /// 130 after Ctrl-C (with the `--resume` command), 1 when
    /// `--fail-on-slo` and an SLO failed, else 0.
    fn exit_code(&self, summary: &SweepSummary<'_>) -> i32 {
        if self.interrupted {
            let device_flag = self
                .opts
                .device
                .as_ref()
                .map(|d| format!(" --device {}", d.display()))
                .unwrap_or_default();
            eprintln!(
                "edgebench: interrupted; finished cases are saved. Continue with:\n  edgebench sweep{device_flag} --out {} --resume",
                self.store.dir().display()
            );
            return EXIT_INTERRUPTED;
        }
        let not_ok = summary
            .records
            .iter()
            .filter(|r| r.status != Status::Ok)
            .count();
        if not_ok > 0 {
            eprintln!(
                "edgebench: {not_ok} case(s) did not complete ok; see their status and reason"
            );
        }
        if self.opts.fail_on_slo && !slo::all_pass(&summary.verdicts) {
            eprintln!("edgebench: an SLO failed (--fail-on-slo)");
            return EXIT_CASE_FAILED;
        }
        EXIT_OK
    }
}

/// The record of a child that did not finish: what it had written of its
/// measurements (a load run's runs and trials so far) with `decided`'s
/// status, reason, model id and device, or `decided` itself when it wrote
/// nothing.
fn kept_partial(partial: Option<Box<Record>>, decided: Record) -> Record {
    let Some(p) = partial else { return decided };
    let mut r = *p;
    r.status = decided.status;
    // The child's reason without its own "stopped before its end": the
    // decision says how it ended.
    let child = r.reason.take().unwrap_or_default();
    let kept = child
        .strip_prefix(edgebench_reports::load_run::UNFINISHED)
        .map_or_else(|| format!("; {child}"), str::to_string);
    r.reason = Some(format!("{}{kept}", decided.reason.unwrap_or_default()));
    r.model.id = decided.model.id;
    r.device = decided.device;
    r
}

/// The model a group after the matrix (sustained, load) runs on, or the
/// status and reason to record instead.
fn runnable(
    group: &SweepGroup,
) -> std::result::Result<&crate::model::ResolvedModel, (Status, &str)> {
    match (&group.blocked, &group.model) {
        (Some(Blocked::Unavailable(why)), _) => Err((Status::EpUnavailable, why)),
        (Some(Blocked::ArtifactMismatch(why)), _) => Err((Status::ArtifactMismatch, why)),
        (None, None) => Err((Status::Failed, "the model could not be resolved")),
        (None, Some(model)) => Ok(model),
    }
}
