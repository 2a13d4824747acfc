//! Runs a plan in this process, model group by model group: each model is
//! loaded once, its cases are measured in order, and raw samples become
//! versioned records (`edgebench run`, and each sweep worker's group).
use std::time::{Instant, SystemTime};

use anyhow::Result;
use edgebench_backends::mock::MockConfig;
use edgebench_backends::{Backend, BackendDescription};
use edgebench_devices::{HostInfo, memory};
use edgebench_reports::Summary;
use edgebench_reports::record::{Record, Status, TestShape};

use crate::measure::{self, Failure, Job, Samples};
use crate::model::{ResolvedModel, resolve_model_for};
use crate::plan::{Case, Group, Plan};
use crate::preflight::{self, Origin, Policy};
use crate::record::{base_record, failed_record, metrics};
use crate::roofline::{DeviceFigures, roofline_for};
use crate::{prompt, session};

/// Everything a run needs besides the plan.
pub struct RunOptions {
    /// Mock backend configuration.
    pub mock: MockConfig,
    /// Print progress lines to stderr.
    pub progress: bool,
    /// The machine's measured bandwidth, when the user gives it.
    pub device: DeviceFigures,
    /// What may run past the memory pre-flight (`--force`,
    /// `--allow-long-context`).
    pub policy: Policy,
}

/// Runs the plan; `on_record` is called after every case (to write results
/// as they come, so a later failure loses nothing).
pub fn execute(
    plan: &Plan,
    opts: &RunOptions,
    mut on_record: impl FnMut(&[Record]) -> Result<()>,
) -> Result<Vec<Record>> {
    let host = HostInfo::probe();
    let mut records: Vec<Record> = Vec::with_capacity(plan.cases.len());
    let total = plan.cases.len();
    // Every model is found and checked before anything runs, so a bad file
    // named last cannot throw away an hour of measurements before it.
    let mut models = std::collections::BTreeMap::new();
    let mut problems = vec![];
    for group in &plan.groups {
        let key = (group.model.clone(), group.backend.runs_onnx());
        if let std::collections::btree_map::Entry::Vacant(slot) = models.entry(key) {
            match resolve_model_for(&group.model, Some(group.backend)) {
                Ok(m) => {
                    slot.insert(m);
                }
                Err(e) => problems.push(format!("-m {}: {e:#}", group.model)),
            }
        }
    }
    if !problems.is_empty() {
        anyhow::bail!("{}", problems.join("\n"));
    }
    // The memory pre-flight of every case, before anything is loaded: a
    // case that cannot fit stops the run here with the numbers (exit 2).
    let available = preflight::available_now();
    for case in &plan.cases {
        let group = &plan.groups[case.group];
        let Some(model) = models.get(&(group.model.clone(), group.backend.runs_onnx())) else {
            continue;
        };
        let verdict = preflight::check(
            group.backend,
            model,
            case,
            available.as_ref(),
            opts.policy,
            Origin::Flags,
        );
        if let Some(why) = verdict.refusal {
            problems.push(format!(
                "case {} on {} ({}): {why}",
                case.workload.test_name(),
                group.backend.id(),
                group.model
            ));
        }
    }
    if !problems.is_empty() {
        anyhow::bail!("{}", problems.join("\n"));
    }
    for (gi, group) in plan.groups.iter().enumerate() {
        let cases: Vec<Case> = plan
            .cases
            .iter()
            .filter(|c| c.group == gi)
            .cloned()
            .collect();
        let key = (group.model.clone(), group.backend.runs_onnx());
        let Some(model) = models.get(&key).filter(|_| !cases.is_empty()) else {
            continue;
        };
        let run = GroupRun {
            host: &host,
            group,
            model,
            cases: &cases,
            mock: &opts.mock,
            device: &opts.device,
            policy: opts.policy,
            origin: Origin::Flags,
        };
        run_group(
            &run,
            |_| {},
            |_, r| {
                records.push(r);
                if let Some(r) = records.last() {
                    progress(opts, records.len(), total, r);
                }
                on_record(&records)
            },
        )?;
    }
    Ok(records)
}

/// One model group to run in this process: the model is loaded once and
/// every case runs on it in order.
pub struct GroupRun<'a> {
    /// Host facts for the records.
    pub host: &'a HostInfo,
    /// Model, backend and load settings.
    pub group: &'a Group,
    /// The resolved, checked model.
    pub model: &'a ResolvedModel,
    /// The cases, in run order.
    pub cases: &'a [Case],
    /// Mock backend configuration (ignored by real backends).
    pub mock: &'a MockConfig,
    /// The device's bandwidth and compute figures, for the roofline.
    pub device: &'a DeviceFigures,
    /// What may run past the memory pre-flight.
    pub policy: Policy,
    /// Where the settings came from (for what a refusal tells to change).
    pub origin: Origin,
}

/// Loads the group's model and runs its cases. `on_start(i)` is called as
/// case `i` begins (sweeps time cases out from it), `on_record(i, record)`
/// when it ends. A load failure gives every case a record with that error.
/// A case the memory pre-flight refuses is recorded `invalid` with the
/// reason and not run; when every case is refused the model is not loaded.
pub fn run_group(
    run: &GroupRun<'_>,
    mut on_start: impl FnMut(usize),
    mut on_record: impl FnMut(usize, Record) -> Result<()>,
) -> Result<()> {
    let GroupRun {
        host,
        group,
        model,
        cases,
        mock,
        device,
        policy,
        origin,
    } = *run;
    let available = preflight::available_now();
    let verdicts: Vec<preflight::Verdict> = cases
        .iter()
        .map(|c| preflight::check(group.backend, model, c, available.as_ref(), policy, origin))
        .collect();
    let refused = |i: usize| -> Option<Record> {
        let v = &verdicts[i];
        let why = v.refusal.as_ref()?;
        let mut r = failed_record(host, group, &model.record, &cases[i], Status::Invalid, why);
        r.preflight = v.preflight.clone();
        Some(r)
    };
    if verdicts.iter().all(|v| v.refusal.is_some()) {
        for i in 0..cases.len() {
            on_start(i);
            if let Some(r) = refused(i) {
                on_record(i, r)?;
            }
        }
        return Ok(());
    }
    let rss_reset = memory::reset_peak_rss();
    let (mut backend, load_ms) = match session::load(group.backend, model, &group.load, mock) {
        Ok(s) => (s.backend, s.load_ms),
        Err(failure) => {
            for (i, case) in cases.iter().enumerate() {
                let reason = failure.to_string();
                let mut r =
                    failed_record(host, group, &model.record, case, failure.status, &reason);
                r.metrics.load_ms = Some(failure.load_ms);
                on_record(i, r)?;
            }
            return Ok(());
        }
    };
    let description = backend.describe();
    for w in &description.warnings {
        eprintln!("warning: {w}");
    }
    for (i, case) in cases.iter().enumerate() {
        on_start(i);
        if let Some(r) = refused(i) {
            on_record(i, r)?;
            continue;
        }
        if i > 0 {
            memory::reset_peak_rss();
        }
        let t_case = Instant::now();
        let mut r = run_case(backend.as_mut(), &description, host, group, model, case);
        r.metrics.case_wall_ms = Some(t_case.elapsed().as_secs_f64() * 1e3);
        if let Some(fp) = &model.footprint {
            r.roofline = Some(roofline_for(&r, fp, case.context.kv_type, device));
        }
        r.metrics.load_ms = Some(load_ms);
        r.preflight = verdicts[i].preflight.clone();
        if let Some(p) = r.preflight.as_ref().filter(|p| p.forced) {
            r.warnings.push(format!(
                "forced past the pre-flight (estimated need {}, available {}, context {} of a \
                 {}-token training context): figures may reflect swapping or a context the model \
                 was not trained for",
                preflight::bytes(p.need_bytes),
                p.available_bytes.map_or("unknown".into(), preflight::bytes),
                p.n_ctx,
                p.n_ctx_train.map_or("unknown".into(), |t| t.to_string())
            ));
        }
        if !rss_reset {
            r.warnings.push(
                "peak RSS covers the whole process, not only this case (the OS cannot reset \
                 the high-water mark); run one case per process for a per-case figure"
                    .into(),
            );
        }
        on_record(i, r)?;
    }
    Ok(())
}

fn progress(opts: &RunOptions, done: usize, total: usize, r: &Record) {
    if !opts.progress {
        return;
    }
    let fmt = |s: &Option<Summary>| s.as_ref().map_or("–".into(), |s| format!("{:.2}", s.mean));
    eprintln!(
        "[{done}/{total}] {} {} t{} {}: {} (prefill {} t/s, decode {} t/s)",
        r.model_label(),
        r.backend.id,
        r.workload.threads,
        r.workload.test,
        r.status.as_str(),
        fmt(&r.metrics.prefill_tps),
        fmt(&r.metrics.decode_tps),
    );
}

fn run_case(
    backend: &mut dyn Backend,
    desc: &BackendDescription,
    host: &HostInfo,
    group: &Group,
    model: &ResolvedModel,
    case: &Case,
) -> Record {
    let started = SystemTime::now();
    let mut record = base_record(host, desc, group, &model.record, case, started);
    let root = edgebench_devices::telemetry::sysfs_root();
    record.thermal_at_start = edgebench_devices::probe::temperatures_at(&root);
    record.telemetry_at_start = Some(edgebench_devices::telemetry::TelemetrySnapshot::take_at(
        &root,
    ));
    if let Err(e) = backend.configure(&case.context) {
        record.status = Status::Failed;
        record.reason = Some(e.to_string());
        return record;
    }
    let w = &case.workload;
    let (depth, mut prompt) = prompt::workload_tokens(
        w.seed,
        backend.n_vocab(),
        backend.bos_token(),
        w.n_depth,
        w.n_prompt,
    );
    if w.shape == TestShape::Tg {
        // llama-bench's tg starts from BOS where the model declares one,
        // else from a random id.
        prompt = prompt::workload_tokens(w.seed, backend.n_vocab(), backend.bos_token(), 0, 1).1;
    }
    let job = Job {
        shape: w.shape,
        depth: &depth,
        prompt: &prompt,
        n_gen: w.n_gen,
        reps: w.reps,
        warmup: w.warmup,
    };
    match measure::measure(backend, job) {
        Ok(samples) => {
            record.metrics = metrics(&samples, w);
            if let Some(bad) = samples.tokens.iter().find(|&&t| t != w.n_gen) {
                record.status = Status::Invalid;
                record.reason = Some(format!("generated {bad} tokens, asked for {}", w.n_gen));
            }
            record.warnings.extend(warnings(&samples, case, host));
        }
        Err(failure) => {
            let Failure {
                partial,
                error,
                rep,
            } = *failure;
            record.metrics = metrics(&partial, w);
            record.status = Status::Failed;
            let when = if rep == 0 {
                "a warm-up repetition".to_string()
            } else {
                format!("repetition {rep} of {}", w.reps)
            };
            record.reason = Some(format!(
                "{error} (in {when}; {} completed repetitions kept, excluded from comparisons)",
                partial.tokens.len()
            ));
        }
    }
    record.metrics.peak_rss_bytes = memory::peak_rss_bytes();
    record
}

/// Warnings that tell the user what to do about a suspicious result.
fn warnings(s: &Samples, case: &Case, host: &HostInfo) -> Vec<String> {
    let mut out = vec![];
    if case.context.threads > host.logical_cores {
        out.push(format!(
            "-t {} exceeds the {} logical CPUs; threads compete and figures drop; use -t {} or fewer",
            case.context.threads, host.logical_cores, host.logical_cores
        ));
    }
    let series = if s.decode_ns.len() == s.prefill_ns.len() && !s.decode_ns.is_empty() {
        &s.decode_ns
    } else {
        &s.prefill_ns
    };
    if series.len() >= 3 {
        let rest = &series[1..];
        let mean_rest = rest.iter().sum::<u64>() as f64 / rest.len() as f64;
        if series[0] as f64 > 1.5 * mean_rest {
            out.push(format!(
                "the first repetition took {:.1}x as long as the rest: caches or clocks were \
                 still warming up; use --warmup 1 or more",
                series[0] as f64 / mean_rest
            ));
        }
        let sm = Summary::from_samples(series.iter().map(|&x| x as f64).collect());
        if let Some(cv) = sm.and_then(|m| m.cv())
            && cv > 0.05
        {
            out.push(format!(
                "repetitions vary by {:.1}% (coefficient of variation): the machine is noisy; \
                 close other programs, pin the CPU governor, or raise -r",
                cv * 100.0
            ));
        }
    }
    out
}
