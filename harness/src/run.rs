//! `edgebench run`: executes a plan in this process, model group by model
//! group, and turns raw samples into versioned records.
use std::path::PathBuf;
use std::time::{Instant, SystemTime};

use anyhow::{Context, Result};
use edgebench_backends::footprint::ModelFootprint;
use edgebench_backends::mock::MockConfig;
use edgebench_backends::{
    Backend, BackendDescription, BackendError, BackendKind, ModelMeta, artifact, gguf, onnx_model,
};
use edgebench_devices::{HostInfo, memory};
use edgebench_reports::record::{
    BackendInfo, Metrics, ModelInfo, Record, RecordKind, Status, Workload,
};
use edgebench_reports::{SCHEMA_VERSION, Summary};

use crate::measure::{self, Failure, Job, Samples};
use crate::plan::{Case, Group, ModelSource, Plan};
use crate::roofline::{DeviceFigures, roofline_for};
use crate::{cache, prompt, provenance};

/// A model file resolved and checked, with the facts every record repeats.
#[derive(Debug, Clone)]
pub struct ResolvedModel {
    /// Path on disk.
    pub path: PathBuf,
    /// What edgebench's own reader found in it (GGUF header or ONNX graph).
    pub meta: ModelMeta,
    /// Record section.
    pub record: ModelInfo,
    /// What a token reads and computes (None when the file lacks what
    /// the footprint needs; the roofline is then left out).
    pub footprint: Option<ModelFootprint>,
}

impl ResolvedModel {
    fn new(path: PathBuf, meta: ModelMeta, record: ModelInfo) -> ResolvedModel {
        let footprint = match &meta {
            ModelMeta::Gguf(info) => ModelFootprint::from_gguf(info).ok(),
            ModelMeta::Onnx(info) => ModelFootprint::from_onnx(info).ok(),
        };
        ResolvedModel {
            path,
            meta,
            record,
            footprint,
        }
    }

    /// A model already hashed (by a sweep's supervisor): header and
    /// footprint are read again, the file is not re-hashed.
    pub fn from_checked(path: PathBuf, record: ModelInfo) -> Result<ResolvedModel> {
        let meta = inspect_file(&path)?;
        Ok(ResolvedModel::new(path, meta, record))
    }

    /// Whether the model is an ONNX file (run by the onnx backends).
    pub fn is_onnx(&self) -> bool {
        matches!(self.meta, ModelMeta::Onnx(_))
    }

    /// The GGUF header, for a GGUF model.
    pub fn gguf(&self) -> Option<&gguf::GgufInfo> {
        match &self.meta {
            ModelMeta::Gguf(i) => Some(i),
            ModelMeta::Onnx(_) => None,
        }
    }
}

/// Whether a path names an ONNX file (by extension; everything else is
/// read as GGUF, whose reader names what it found instead).
pub fn is_onnx_path(path: &std::path::Path) -> bool {
    path.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("onnx"))
}

/// edgebench's own check of a model file, before any backend sees it.
pub fn inspect_file(path: &std::path::Path) -> Result<ModelMeta> {
    if is_onnx_path(path) {
        onnx_model::inspect(path)
            .map(|i| ModelMeta::Onnx(Box::new(i)))
            .map_err(|e| anyhow::anyhow!("{e}"))
    } else {
        gguf::inspect(path)
            .map(ModelMeta::Gguf)
            .map_err(|e| anyhow::anyhow!("{e}"))
    }
}

/// Finds (or writes) the model file a backend of `kind` runs, and checks it
/// before the backend sees it: for `synth:` models, the GGUF for llama.cpp
/// and cpu, its ONNX twin for onnx backends.
pub fn resolve_model_for(source: &ModelSource, kind: Option<BackendKind>) -> Result<ResolvedModel> {
    let (path, synthetic) = match source {
        ModelSource::File(p) => (p.clone(), None),
        ModelSource::Synth(s) => {
            let spec = cache::parse_spec(s)?;
            let path = if kind.is_some_and(BackendKind::runs_onnx) {
                cache::ensure_synth_onnx(&spec)?
            } else {
                cache::ensure_synth(&spec)?
            };
            (path, Some(s.clone()))
        }
    };
    let meta = inspect_file(&path).map_err(|e| {
        anyhow::anyhow!(
            "{e}\nedgebench checks every model file before a backend loads it; \
             this one was refused."
        )
    })?;
    let sha256 = model_sha256(&path, &meta)
        .with_context(|| format!("cannot read {} to hash it", path.display()))?;
    let record = match &meta {
        ModelMeta::Gguf(info) => ModelInfo {
            id: None,
            path: path.display().to_string(),
            sha256,
            size_bytes: info.file_size,
            n_params: info.n_params,
            quant: info.quant.clone(),
            arch: info.arch.clone(),
            n_layers: info.n_layers,
            n_vocab: info.n_vocab,
            n_ctx_train: info.n_ctx_train,
            synthetic,
        },
        ModelMeta::Onnx(info) => {
            let md = |k: &str| info.metadata.get(k).cloned();
            ModelInfo {
                id: None,
                path: path.display().to_string(),
                sha256,
                size_bytes: std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0)
                    + info.external_files_bytes(),
                n_params: info.n_params(),
                // Spelled as the GGUF twin's records spell it (`Q4_0`), so
                // reports group the two formats of one model together.
                quant: md("edgebench.synth.quant")
                    .map(|q| q.to_uppercase())
                    .unwrap_or_else(|| info.weight_encoding()),
                arch: md("model_type")
                    .or_else(|| md("architecture"))
                    .unwrap_or_else(|| "onnx".into()),
                n_layers: info.n_layers(),
                n_vocab: meta.n_vocab(),
                n_ctx_train: md("max_position_embeddings")
                    .or_else(|| md("context_length"))
                    .and_then(|v| v.trim().parse().ok()),
                synthetic,
            }
        }
    };
    Ok(ResolvedModel::new(path, meta, record))
}

/// sha256 of a model: the file, and for ONNX the external-data files after it
/// (in the order the graph names them), so a changed weight file changes it.
fn model_sha256(path: &std::path::Path, meta: &ModelMeta) -> std::io::Result<String> {
    match meta {
        ModelMeta::Gguf(_) => artifact::sha256_file(path),
        ModelMeta::Onnx(info) => {
            let files = info.external_files();
            if files.is_empty() {
                artifact::sha256_file(path)
            } else {
                let mut all = vec![path.to_path_buf()];
                all.extend(files);
                artifact::sha256_files(&all)
            }
        }
    }
}

/// Loads `model` into a backend of `kind`.
pub fn load_backend(
    kind: BackendKind,
    model: &ResolvedModel,
    load: &edgebench_backends::LoadSettings,
    mock: &MockConfig,
) -> Result<Box<dyn Backend>, BackendError> {
    kind.load(&model.path, &model.meta, load, mock)
}

/// Finds (or writes) the GGUF model file and checks it before any backend
/// sees it.
pub fn resolve_model(source: &ModelSource) -> Result<ResolvedModel> {
    resolve_model_for(source, None)
}

/// Everything a run needs besides the plan.
pub struct RunOptions {
    /// Mock backend configuration.
    pub mock: MockConfig,
    /// Print progress lines to stderr.
    pub progress: bool,
    /// The machine's measured bandwidth, when the user gives it.
    pub device: DeviceFigures,
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
}

/// Loads the group's model and runs its cases. `on_start(i)` is called as
/// case `i` begins (sweeps time cases out from it), `on_record(i, record)`
/// when it ends. A load failure gives every case a record with that error.
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
    } = *run;
    let rss_reset = memory::reset_peak_rss();
    let t_load = Instant::now();
    let loaded = load_backend(group.backend, model, &group.load, mock);
    let load_ms = t_load.elapsed().as_secs_f64() * 1e3;
    let mut backend = match loaded {
        Ok(b) => b,
        Err(e) => {
            let status = match e {
                BackendError::NotCompiledIn { .. } | BackendError::EpUnavailable { .. } => {
                    Status::EpUnavailable
                }
                _ => Status::Failed,
            };
            for (i, case) in cases.iter().enumerate() {
                let mut r = failed_record(host, group, &model.record, case, status, &e.to_string());
                r.metrics.load_ms = Some(load_ms);
                on_record(i, r)?;
            }
            return Ok(());
        }
    };
    let description = backend.describe();
    for (i, case) in cases.iter().enumerate() {
        on_start(i);
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
    let (depth, prompt) = prompt::workload_tokens(
        w.seed,
        backend.n_vocab(),
        backend.bos_token(),
        w.n_depth,
        w.n_prompt,
    );
    let job = Job {
        depth: &depth,
        prompt: &prompt,
        n_gen: w.n_gen,
        reps: w.reps,
        warmup: w.warmup,
    };
    match measure::measure(backend, job) {
        Ok(samples) => {
            record.metrics = metrics(&samples, w.n_prompt, w.n_gen);
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
            record.metrics = metrics(&partial, w.n_prompt, w.n_gen);
            record.status = Status::Failed;
            let when = if rep == 0 {
                "a warm-up repetition".to_string()
            } else {
                format!("repetition {rep} of {}", w.reps)
            };
            record.reason = Some(format!(
                "{error} (in {when}; {} completed repetitions kept, excluded from comparisons)",
                partial.prefill_ns.len()
            ));
        }
    }
    record.metrics.peak_rss_bytes = memory::peak_rss_bytes();
    record
}

/// Turns raw nanosecond samples into summarised metrics.
pub fn metrics(s: &Samples, n_prompt: u32, n_gen: u32) -> Metrics {
    let ms = |v: &[u64]| Summary::from_samples(v.iter().map(|&ns| ns as f64 / 1e6).collect());
    let rate = |tokens: u32, v: &[u64]| {
        Summary::from_samples(
            v.iter()
                .map(|&ns| tokens as f64 / (ns.max(1) as f64 / 1e9))
                .collect(),
        )
    };
    let e2e: Vec<u64> = s
        .prefill_ns
        .iter()
        .enumerate()
        .map(|(i, p)| p + s.decode_ns.get(i).copied().unwrap_or(0))
        .collect();
    Metrics {
        ttft_ms: if n_gen > 0 { ms(&s.prefill_ns) } else { None },
        prefill_tps: rate(n_prompt, &s.prefill_ns),
        decode_tps: if n_gen >= 2 {
            rate(n_gen - 1, &s.decode_ns)
        } else {
            None
        },
        itl_ms: ms(&s.step_ns),
        e2e_ms: ms(&e2e),
        load_ms: None,
        peak_rss_bytes: None,
        case_wall_ms: None,
        tokens_generated: s.tokens.clone(),
    }
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

pub(crate) fn base_record(
    host: &HostInfo,
    desc: &BackendDescription,
    group: &Group,
    model: &ModelInfo,
    case: &Case,
    started: SystemTime,
) -> Record {
    let w = &case.workload;
    Record {
        schema_version: SCHEMA_VERSION,
        kind: RecordKind::Llm,
        edgebench: provenance::tool_info(),
        host: host.clone(),
        device: None,
        backend: BackendInfo {
            id: desc.id.clone(),
            version: desc.version.clone(),
            build_features: desc.build_features.clone(),
            device: desc.device.clone(),
            execution_provider: desc.execution_provider.clone(),
        },
        model: model.clone(),
        workload: Workload {
            test: w.test_name(),
            n_prompt: w.n_prompt,
            n_gen: w.n_gen,
            n_depth: w.n_depth,
            reps: w.reps,
            warmup: w.warmup,
            threads: case.context.threads,
            batch: case.context.batch,
            ubatch: case.context.ubatch,
            n_gpu_layers: group.load.n_gpu_layers,
            n_ctx: case.context.n_ctx,
            seed: w.seed,
        },
        status: Status::Ok,
        reason: None,
        timestamp: provenance::timestamp(started),
        thermal_at_start: vec![],
        telemetry_at_start: None,
        sustained: None,
        metrics: Metrics::default(),
        roofline: None,
        warnings: vec![],
    }
}

pub(crate) fn failed_record(
    host: &HostInfo,
    group: &Group,
    model: &ModelInfo,
    case: &Case,
    status: Status,
    reason: &str,
) -> Record {
    let desc = BackendDescription {
        id: group.backend.id().into(),
        version: String::new(),
        build_features: vec![],
        device: String::new(),
        execution_provider: None,
    };
    let mut r = base_record(host, &desc, group, model, case, SystemTime::now());
    r.status = status;
    r.reason = Some(reason.to_string());
    r
}
