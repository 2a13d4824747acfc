//! `edgebench sweep`: a device profile's whole matrix, each model group in a
//! worker process, every finished case written at once, SLO verdicts at the
//! end. See `supervisor` for how failures are isolated and `store` for the
//! output folder.
pub mod conformance;
pub mod filter;
pub mod plan;
pub mod protocol;
pub mod store;
pub mod supervisor;
pub mod sustained;
pub mod validity;
pub mod worker;

use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};
use edgebench_backends::{BackendKind, LoadSettings};
use edgebench_devices::HostInfo;
use edgebench_devices::profile::Profile;
use edgebench_reports::export::{Format, render};
use edgebench_reports::record::DeviceRef;
use edgebench_reports::{Record, Status, slo};

use self::filter::Filter;
use self::plan::{Blocked, SweepGroup};
use self::protocol::Job;
use self::store::Store;
use self::supervisor::{CaseOutcome, JobEnd, Supervisor};
use crate::commands::{EXIT_CASE_FAILED, EXIT_OK};
use crate::plan::{Group, ModelSource};
use crate::run::failed_record;

/// Exit code after Ctrl-C (128 + SIGINT), results so far kept.
pub const EXIT_INTERRUPTED: i32 = 130;

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
    /// Prompt seed.
    pub seed: u64,
    /// Mock backend spec (tests).
    pub mock_spec: String,
    /// Seconds between SIGTERM and SIGKILL for a timed-out worker.
    pub grace: Duration,
}

/// Runs a sweep; returns the exit code. Bad input is an Err (exit 2).
pub fn sweep(opts: &SweepOptions) -> Result<i32> {
    let profile = match &opts.device {
        Some(p) => Profile::load(p).map_err(|e| anyhow!("{e}"))?,
        None => Profile::embedded_local(),
    };
    let plan = plan::build(&profile, &opts.filter, opts.seed).map_err(|problems| {
        anyhow!(
            "the sweep cannot start; fix these and run it again:\n  - {}",
            problems.join("\n  - ")
        )
    })?;
    if plan.is_empty() {
        bail!("--filter matches no case of {}'s matrix", profile.origin);
    }
    if opts.dry_run {
        print!("{}", plan.describe());
        eprintln!(
            "edgebench: {} case(s) in {} model group(s); nothing run (--dry-run)",
            plan.len(),
            plan.groups.len()
        );
        return Ok(EXIT_OK);
    }
    let out = match &opts.out {
        Some(o) => o.clone(),
        None if opts.resume => bail!("--resume needs --out: the folder of the sweep to continue"),
        None => default_out(&profile),
    };
    let store = Store::open(&out, opts.resume)?;
    let interrupted = Arc::new(AtomicBool::new(false));
    for sig in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        signal_hook::flag::register(sig, Arc::clone(&interrupted))
            .context("cannot install the Ctrl-C handler")?;
    }
    let supervisor = Supervisor {
        exe: std::env::current_exe().context("cannot find the edgebench binary")?,
        timeout: Duration::from_secs_f64(profile.matrix.timeout_s),
        grace: opts.grace,
        interrupted: Arc::clone(&interrupted),
    };
    let host = HostInfo::probe();
    let device = DeviceRef::of(&profile);
    let bandwidth = sweep_bandwidth(&profile, &store, &host, &device);
    let device_figures = crate::roofline::DeviceFigures {
        measured_read_gbs: bandwidth.as_ref().and_then(|b| b.best_read_gbs()),
        peak_gbs: profile.device.mem_bandwidth_gbs,
        peak_tflops: profile.device.peak_tflops.clone(),
    };
    let keys = plan.keys();
    let mut records: BTreeMap<String, Record> = if opts.resume {
        store.finished(&keys)
    } else {
        BTreeMap::new()
    };
    let resumed = records.len();
    let mut progress = Progress::new(plan.len() as u64, resumed as u64);
    let started = Instant::now();
    let mut loads_ms = 0.0;
    let mut was_interrupted = false;
    for group in &plan.groups {
        let todo: Vec<_> = group
            .cases
            .iter()
            .filter(|c| !records.contains_key(&c.key))
            .cloned()
            .collect();
        if todo.is_empty() {
            continue;
        }
        let job = job_for(&profile, opts, group, &device, &device_figures, todo);
        let mut first_record = true;
        let mut on_case = |case: &protocol::JobCase, outcome: CaseOutcome| -> Result<()> {
            let record = match outcome {
                CaseOutcome::Reported(r) => {
                    if first_record {
                        loads_ms += r.metrics.load_ms.unwrap_or(0.0);
                        first_record = false;
                    }
                    let mut r = *r;
                    validity::apply(
                        &mut r,
                        profile.matrix.min_duration_s,
                        profile.matrix.max_start_temp_c,
                    );
                    r
                }
                CaseOutcome::Decided(status, reason) => {
                    decided_record(&host, &device, group, &job, case, status, &reason)
                }
            };
            store.write_case(&case.key, &record)?;
            progress.case_done(&case.key, &record);
            records.insert(case.key.clone(), record);
            Ok(())
        };
        match &group.blocked {
            Some(Blocked::Unavailable(why)) => {
                for case in &job.cases {
                    on_case(
                        case,
                        CaseOutcome::Decided(Status::EpUnavailable, why.clone()),
                    )?;
                }
            }
            Some(Blocked::ArtifactMismatch(why)) => {
                for case in &job.cases {
                    on_case(
                        case,
                        CaseOutcome::Decided(Status::ArtifactMismatch, why.clone()),
                    )?;
                }
            }
            None => {
                if supervisor.run_job(&job, &mut on_case)? == JobEnd::Interrupted {
                    was_interrupted = true;
                    break;
                }
            }
        }
    }
    if !was_interrupted && let Some(settings) = &profile.sustained {
        let runner = sustained::Runner {
            exe: supervisor.exe.clone(),
            settings,
            slack_s: profile.matrix.timeout_s,
            cooldown_timeout_s: profile.matrix.cooldown.map_or(600.0, |c| c.timeout_s),
            mock_spec: &opts.mock_spec,
            interrupted: Arc::clone(&interrupted),
            scratch: store.dir(),
            profile: &profile,
        };
        for group in &plan.sustained {
            let case = &group.cases[0];
            if records.contains_key(&case.key) {
                continue;
            }
            let job = job_for(
                &profile,
                opts,
                group,
                &device,
                &device_figures,
                group.cases.clone(),
            );
            let decided = |status, reason: &str| {
                let mut r = decided_record(&host, &device, group, &job, case, status, reason);
                r.kind = edgebench_reports::record::RecordKind::Sustained;
                r
            };
            let record = match (&group.blocked, &group.model) {
                (Some(Blocked::Unavailable(why)), _) => decided(Status::EpUnavailable, why),
                (Some(Blocked::ArtifactMismatch(why)), _) => decided(Status::ArtifactMismatch, why),
                (None, None) => decided(Status::Failed, "the model could not be resolved"),
                (None, Some(model)) => {
                    let cooled = profile.matrix.cooldown.map(|cd| {
                        (
                            cd,
                            crate::cooldown::wait(&edgebench_devices::telemetry::sysfs_root(), &cd),
                        )
                    });
                    match runner.run(group, &model.path)? {
                        sustained::Ended::Interrupted => {
                            was_interrupted = true;
                            let r = decided(
                                Status::Interrupted,
                                "stopped by Ctrl-C during this sustained run",
                            );
                            store.write_case(&case.key, &r)?;
                            progress.case_done(&case.key, &r);
                            records.insert(case.key.clone(), r);
                            break;
                        }
                        sustained::Ended::Decided(status, why) => decided(status, &why),
                        sustained::Ended::Record(r) => {
                            let mut r = *r;
                            loads_ms += r.metrics.load_ms.unwrap_or(0.0);
                            r.model.id = Some(group.model_id.clone());
                            r.device = Some(device.clone());
                            if let Some((cd, outcome)) = &cooled {
                                crate::cooldown::apply(&mut r, outcome, cd);
                            }
                            r
                        }
                    }
                }
            };
            store.write_case(&case.key, &record)?;
            progress.case_done(&case.key, &record);
            records.insert(case.key.clone(), record);
        }
    }
    // Models run from files in several formats: does every backend compute
    // the same thing?
    let mut conformance = vec![];
    let mut conformance_problems = vec![];
    if !was_interrupted {
        let threads = profile.matrix.threads.first().copied().unwrap_or(1);
        let ran = |model_id: &str, backend: &str| {
            records.values().any(|r| {
                r.status == Status::Ok
                    && r.model.id.as_deref() == Some(model_id)
                    && r.backend.id == backend
            })
        };
        for check in conformance::checks(&plan.groups, ran) {
            eprintln!(
                "edgebench: conformance of '{}' across {}",
                check.model_id,
                check
                    .sides
                    .iter()
                    .map(|(_, b)| b.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            // --ngl (for the GGUF reference) and the compared backend's
            // [onnx] options when it is an onnx one.
            let flags = load_flags(&profile, &check.sides[1].1);
            match conformance::run(
                &supervisor.exe,
                &check,
                store.dir(),
                threads,
                &flags,
                &interrupted,
            ) {
                Ok(r) => {
                    if !r.pass {
                        eprintln!(
                            "edgebench: conformance of '{}' FAILED; see conformance-*.json",
                            check.model_id
                        );
                    }
                    conformance.push(r);
                }
                Err(conformance::Stopped::Interrupted) => {
                    was_interrupted = true;
                    break;
                }
                Err(conformance::Stopped::Failed(why)) => {
                    eprintln!(
                        "edgebench: conformance of '{}' could not run: {why}",
                        check.model_id
                    );
                    conformance_problems.push(format!("{}: {why}", check.model_id));
                }
            }
        }
    }
    let wall_s = started.elapsed().as_secs_f64();
    progress.finish();

    let ordered: Vec<Record> = keys
        .iter()
        .filter_map(|k| records.get(k).cloned())
        .collect();
    let verdicts = slo::evaluate(&profile.slos, &ordered);
    let cases_ms: f64 = ordered.iter().filter_map(|r| r.metrics.case_wall_ms).sum();
    let isolation_ratio =
        (resumed == 0 && cases_ms + loads_ms > 0.0).then(|| wall_s * 1e3 / (cases_ms + loads_ms));
    let summary = serde_json::json!({
        "schema_version": edgebench_reports::SCHEMA_VERSION,
        "kind": "sweep",
        "profile": profile,
        "host": host,
        "records": ordered,
        "verdicts": verdicts,
        "bandwidth": bandwidth,
        "conformance": conformance,
        "conformance_problems": conformance_problems,
        "complete": !was_interrupted && ordered.len() == keys.len(),
        "timing": {
            "wall_s": wall_s,
            "cases_s": cases_ms / 1e3,
            "model_loads_s": loads_ms / 1e3,
            "isolation_ratio": isolation_ratio,
        },
    });
    let sweep_json = store.write_summary(&summary)?;

    print!("{}", render(&ordered, Format::Md)?);
    if !verdicts.is_empty() {
        println!("\nSLO verdicts ({}):\n", profile.origin);
        print!("{}", slo::render_verdicts_md(&verdicts));
    }
    if let Some(ratio) = isolation_ratio {
        eprintln!(
            "edgebench: sweep wall time {wall_s:.1} s = {ratio:.3} x (cases {:.1} s + model loads {:.1} s)",
            cases_ms / 1e3,
            loads_ms / 1e3
        );
    }
    eprintln!("edgebench: results in {}", store.dir().display());
    eprintln!("edgebench: summary {}", sweep_json.display());
    crate::report_cmd::after_sweep(store.dir());
    if was_interrupted {
        let device_flag = opts
            .device
            .as_ref()
            .map(|d| format!(" --device {}", d.display()))
            .unwrap_or_default();
        eprintln!(
            "edgebench: interrupted; finished cases are saved. Continue with:\n  edgebench sweep{device_flag} --out {} --resume",
            store.dir().display()
        );
        return Ok(EXIT_INTERRUPTED);
    }
    let not_ok = ordered.iter().filter(|r| r.status != Status::Ok).count();
    if not_ok > 0 {
        eprintln!("edgebench: {not_ok} case(s) did not complete ok; see their status and reason");
    }
    if opts.fail_on_slo && !slo::all_pass(&verdicts) {
        eprintln!("edgebench: an SLO failed (--fail-on-slo)");
        return Ok(EXIT_CASE_FAILED);
    }
    Ok(EXIT_OK)
}

/// The sweep's bandwidth probe: reused from OUT/bandwidth.json on
/// `--resume`, else measured (unless the profile turns it off) and written
/// there. A failed probe is reported and the sweep goes on without it.
fn sweep_bandwidth(
    profile: &Profile,
    store: &Store,
    host: &HostInfo,
    device: &DeviceRef,
) -> Option<edgebench_reports::bandwidth::BandwidthRecord> {
    if !profile.matrix.bandwidth {
        return None;
    }
    let path = store.dir().join("bandwidth.json");
    if let Ok(text) = std::fs::read_to_string(&path)
        && let Ok(record) = serde_json::from_str(&text)
    {
        return Some(record);
    }
    let cpus = edgebench_devices::bandwidth::logical_cpus().max(1) as u32;
    let threads = profile
        .matrix
        .threads
        .iter()
        .copied()
        .max()
        .unwrap_or(1)
        .min(cpus);
    eprintln!(
        "edgebench: measuring memory bandwidth ({threads} thread(s); [matrix] bandwidth = false skips this)"
    );
    let measured = crate::bandwidth::measure(
        &[threads],
        None,
        edgebench_devices::bandwidth::MIN_ITERATIONS,
        host,
        Some(device.clone()),
        profile.device.mem_bandwidth_gbs,
    );
    match measured {
        Ok(record) => {
            let written = serde_json::to_string_pretty(&record)
                .map_err(anyhow::Error::from)
                .and_then(|t| crate::output::write_atomically(&path, t.as_bytes()));
            if let Err(e) = written {
                eprintln!("edgebench: warning: cannot write {}: {e:#}", path.display());
            }
            Some(record)
        }
        Err(e) => {
            eprintln!(
                "edgebench: warning: the bandwidth probe failed ({e:#}); cases get no measured ceiling"
            );
            None
        }
    }
}

fn default_out(profile: &Profile) -> PathBuf {
    let stem = std::path::Path::new(&profile.origin)
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "sweep".into());
    let stamp = crate::provenance::timestamp(std::time::SystemTime::now()).replace([':', '.'], "-");
    PathBuf::from("edgebench-results").join(format!("{stem}-{stamp}"))
}

/// The command-line flags that give a child process (`sustained`,
/// `conform`) the load settings the matrix's workers get: `--ngl` and, for
/// onnx backends, the profile's `[onnx]` options.
pub fn load_flags(profile: &Profile, backend: &str) -> Vec<String> {
    let mut out = vec![];
    if let Some(n) = profile.matrix.n_gpu_layers {
        out.extend(["--ngl".to_string(), n.to_string()]);
    }
    if plan::is_onnx_backend(backend) {
        let s = profile_onnx_settings(profile, backend);
        for (k, v) in s.ep_options {
            out.extend(["--ep-option".to_string(), format!("{k}={v}")]);
        }
        if let Some(g) = s.graph_optimization {
            out.extend(["--graph-opt".to_string(), g.id().to_string()]);
        }
    }
    out
}

/// The ONNX Runtime settings a group of `backend` gets from the profile's
/// `[onnx]` section (the provider's own options only).
fn profile_onnx_settings(profile: &Profile, backend: &str) -> edgebench_backends::OnnxLoadSettings {
    let ep = backend.strip_prefix("onnx:").unwrap_or("");
    edgebench_backends::OnnxLoadSettings {
        ep_options: profile
            .onnx
            .ep_options
            .get(ep)
            .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
            .unwrap_or_default(),
        threads: None,
        graph_optimization: profile
            .onnx
            .graph_optimization
            .as_deref()
            .and_then(|g| g.parse().ok()),
    }
}

/// The model section for a group whose model could not be resolved.
/// The worker job of a group: its model, backend and the cases to run.
fn job_for(
    profile: &Profile,
    opts: &SweepOptions,
    group: &SweepGroup,
    device: &DeviceRef,
    device_figures: &crate::roofline::DeviceFigures,
    cases: Vec<protocol::JobCase>,
) -> Job {
    Job {
        model_path: group
            .model
            .as_ref()
            .map(|m| m.path.display().to_string())
            .unwrap_or_default(),
        model: group
            .model
            .as_ref()
            .map(|m| m.record.clone())
            .unwrap_or_else(|| placeholder_model(group)),
        backend: group.backend.clone(),
        n_gpu_layers: profile.matrix.n_gpu_layers,
        onnx: profile_onnx_settings(profile, &group.backend),
        mock_spec: opts.mock_spec.clone(),
        device: Some(device.clone()),
        device_figures: device_figures.clone(),
        cases,
        cooldown: profile.matrix.cooldown,
    }
}

fn placeholder_model(group: &SweepGroup) -> edgebench_reports::record::ModelInfo {
    edgebench_reports::record::ModelInfo {
        id: Some(group.model_id.clone()),
        path: String::new(),
        sha256: String::new(),
        size_bytes: 0,
        n_params: 0,
        quant: String::new(),
        arch: String::new(),
        n_layers: None,
        n_vocab: None,
        n_ctx_train: None,
        synthetic: None,
    }
}

/// A record for a case the supervisor decided (crash, timeout, unavailable...).
fn decided_record(
    host: &HostInfo,
    device: &DeviceRef,
    group: &SweepGroup,
    job: &Job,
    case: &protocol::JobCase,
    status: Status,
    reason: &str,
) -> Record {
    let backend = group
        .backend
        .parse::<BackendKind>()
        .unwrap_or(BackendKind::Mock);
    let plan_group = Group {
        model: ModelSource::File(job.model_path.clone().into()),
        backend,
        load: LoadSettings {
            n_gpu_layers: job.n_gpu_layers,
            ..Default::default()
        },
    };
    let mut r = failed_record(
        host,
        &plan_group,
        &job.model,
        &worker::to_case(case),
        status,
        reason,
    );
    r.backend.id = group.backend.clone();
    r.device = Some(device.clone());
    r
}

/// Progress: a bar on a terminal, plain lines otherwise.
struct Progress {
    bar: Option<indicatif::ProgressBar>,
    done: u64,
    total: u64,
}

impl Progress {
    fn new(total: u64, already: u64) -> Progress {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = indicatif::ProgressBar::new(total);
            if let Ok(style) = indicatif::ProgressStyle::with_template(
                "{bar:30} {pos}/{len} cases, ETA {eta} {msg}",
            ) {
                bar.set_style(style);
            }
            bar.set_position(already);
            bar
        });
        if already > 0 {
            eprintln!("edgebench: resuming; {already} of {total} case(s) already done");
        }
        Progress {
            bar,
            done: already,
            total,
        }
    }

    fn case_done(&mut self, key: &str, r: &Record) {
        self.done += 1;
        let decode = r
            .metrics
            .decode_tps
            .as_ref()
            .map(|s| format!(", decode {:.1} t/s", s.mean))
            .unwrap_or_default();
        let line = format!(
            "[{}/{}] {key}: {}{decode}",
            self.done,
            self.total,
            r.status.as_str()
        );
        match &self.bar {
            Some(bar) => {
                bar.println(line);
                bar.inc(1);
            }
            None => eprintln!("{line}"),
        }
    }

    fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
