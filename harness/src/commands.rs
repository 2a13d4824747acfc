//! The subcommands, each from parsed flags to an exit code.
use std::path::PathBuf;

use anyhow::{Context, Result, anyhow, bail};
use edgebench_backends::{BackendKind, KvType};
use edgebench_reports::export::{self, Format};
use edgebench_reports::{Record, Status};

use crate::cli::{
    BandwidthArgs, KvTypeArg, OutputFormat, ProbeArgs, ProbeFormat, RooflineArgs, RunArgs,
    SweepArgs, SynthArgs, SynthFormat,
};
use crate::plan::{Matrix, ModelSource};
use crate::run::{self, RunOptions};
use crate::sweep::SweepOptions;
use crate::{cache, output};

/// Exit code when every case ran and is ok.
pub const EXIT_OK: i32 = 0;
/// Exit code when at least one case failed or is invalid (results are still written).
pub const EXIT_CASE_FAILED: i32 = 1;
/// Exit code for bad input: flags, files, models (clap uses 2 for bad flags too).
pub const EXIT_BAD_INPUT: i32 = 2;

/// The default model of `run`: the tiny synthetic model.
pub const DEFAULT_MODEL: &str = "synth:tiny-q4_0";

pub(crate) fn model_source(s: &str) -> ModelSource {
    match s.strip_prefix("synth:") {
        Some(spec) => ModelSource::Synth(spec.to_string()),
        None => ModelSource::File(PathBuf::from(s)),
    }
}

fn format_of(o: OutputFormat) -> Format {
    match o {
        OutputFormat::Md => Format::Md,
        OutputFormat::Json => Format::Json,
        OutputFormat::Jsonl => Format::Jsonl,
        OutputFormat::Csv => Format::Csv,
    }
}

/// `edgebench run`. Bad input is an `Err` (exit 2); failed cases exit 1.
pub fn run(args: &RunArgs) -> Result<i32> {
    let models: Vec<ModelSource> = if args.models.is_empty() {
        vec![model_source(DEFAULT_MODEL)]
    } else {
        args.models.iter().map(|m| model_source(m)).collect()
    };
    for m in &models {
        match m {
            ModelSource::File(p) if !p.exists() => bail!(
                "-m {}: no such file; give a GGUF model path, or synth:tiny-q4_0 for a synthetic model",
                p.display()
            ),
            ModelSource::Synth(s) => {
                cache::parse_spec(s).with_context(|| format!("-m synth:{s}"))?;
            }
            _ => {}
        }
    }
    let backends = args
        .backends
        .iter()
        .map(|b| b.parse::<BackendKind>().map_err(|e| anyhow!("-b {b}: {e}")))
        .collect::<Result<Vec<_>>>()?;
    let mock = args.mock_spec.parse().map_err(|e| anyhow!("{e}"))?;
    let threads = match &args.threads {
        Some(t) => t.0.clone(),
        None => vec![default_threads()],
    };
    if let Some(&t) = threads.first()
        && backends.contains(&BackendKind::Cpu)
    {
        pin_cpu_threads("cpu", t);
    }
    let matrix = Matrix {
        models,
        backends,
        n_gpu_layers: args.load.n_gpu_layers,
        onnx: onnx_settings(&args.load.ep_options, args.load.graph_opt.as_deref())?,
        n_prompt: args.n_prompt.0.clone(),
        n_gen: args.n_gen.0.clone(),
        n_depth: args.n_depth.0.clone(),
        threads,
        batch: args.batch,
        ubatch: args.ubatch,
        flash_attn: args.flash_attn.map(|v| v == 1),
        kv_type: args.kv_type.map(kv_type_of),
        reps: args.reps,
        warmup: if args.no_warmup { 0 } else { args.warmup },
        seed: args.seed,
    };
    let plan = matrix.plan().map_err(|e| anyhow!(e))?;
    if let Some(p) = &args.out {
        check_out_folder(p)?;
    }
    let format = format_of(args.output);
    if let Some(g) = args.read_gbs
        && !(g.is_finite() && g > 0.0)
    {
        bail!("--read-gbs {g}: must be a positive number of GB/s");
    }
    let opts = RunOptions {
        mock,
        progress: !args.quiet,
        device: crate::roofline::DeviceFigures {
            measured_read_gbs: args.read_gbs,
            ..Default::default()
        },
    };
    let out = args.out.clone();
    let write = |records: &[Record]| -> Result<()> {
        if let Some(path) = &out {
            let text = export::render(records, format)?;
            output::write_atomically(path, text.as_bytes())?;
        }
        Ok(())
    };
    let records = run::execute(&plan, &opts, write)?;
    match &out {
        None => print!("{}", export::render(&records, format)?),
        Some(p) if !args.quiet => eprintln!(
            "edgebench: wrote {} record(s) to {}",
            records.len(),
            p.display()
        ),
        Some(_) => {}
    }
    let bad = records.iter().filter(|r| r.status != Status::Ok).count();
    if bad > 0 {
        eprintln!(
            "edgebench: {bad} of {} case(s) did not complete ok; see the status and reason columns",
            records.len()
        );
        return Ok(EXIT_CASE_FAILED);
    }
    Ok(EXIT_OK)
}

/// Sizes the pure-Rust `cpu` backend's thread pool for this process
/// (candle fixes it at first use) when `backend` is that backend. Call it
/// before this process starts any other thread.
pub(crate) fn pin_cpu_threads(backend: &str, threads: u32) {
    #[cfg(feature = "cpu")]
    if backend == "cpu" {
        // SAFETY: called on the main thread before any other thread exists
        // (flag parsing and job reading spawn none), so nothing reads the
        // environment concurrently.
        unsafe { edgebench_backends::cpu::pin_threads(threads) };
    }
    #[cfg(not(feature = "cpu"))]
    let _ = (backend, threads);
}

/// Default thread count: physical cores (llama-bench's choice), else logical.
/// ONNX Runtime settings from `--ep-option KEY=VALUE` and `--graph-opt`.
pub(crate) fn onnx_settings(
    ep_options: &[String],
    graph_opt: Option<&str>,
) -> Result<edgebench_backends::OnnxLoadSettings> {
    let mut opts = std::collections::BTreeMap::new();
    for o in ep_options {
        let Some((k, v)) = o.split_once('=').filter(|(k, _)| !k.trim().is_empty()) else {
            bail!("--ep-option {o}: expected KEY=VALUE, e.g. --ep-option device_id=0");
        };
        opts.insert(k.trim().to_string(), v.trim().to_string());
    }
    let graph_optimization = graph_opt
        .map(|g| {
            g.parse::<edgebench_backends::GraphOpt>()
                .map_err(|e| anyhow!("--graph-opt {g}: {e}"))
        })
        .transpose()?;
    Ok(edgebench_backends::OnnxLoadSettings {
        ep_options: opts.into_iter().collect(),
        threads: None,
        graph_optimization,
    })
}

pub(crate) fn default_threads() -> u32 {
    let host = edgebench_devices::HostInfo::probe();
    host.physical_cores.unwrap_or(host.logical_cores).max(1)
}

/// `edgebench sweep`.
pub fn sweep(args: &SweepArgs) -> Result<i32> {
    crate::sweep::sweep(&SweepOptions {
        device: args.device.clone(),
        out: args.out.clone(),
        resume: args.resume,
        filter: args.filter.clone().unwrap_or_default(),
        dry_run: args.dry_run,
        fail_on_slo: args.fail_on_slo,
        seed: args.seed,
        mock_spec: args.mock_spec.clone(),
        grace: std::time::Duration::from_millis(args.kill_grace_ms),
    })
}

/// Which backends this build has, for `probe` and records.
pub fn backend_availability() -> Vec<edgebench_devices::BackendAvailability> {
    let mut out: Vec<_> = BackendKind::ALL
        .iter()
        .map(|k| edgebench_devices::BackendAvailability {
            id: k.id().to_string(),
            compiled_in: k.compiled_in(),
            usable: k.compiled_in().then_some(true),
            note: match (k, k.compiled_in()) {
                (BackendKind::Mock, _) => "deterministic test double, no inference".into(),
                (BackendKind::Cpu, true) => {
                    "pure Rust (candle), quantised GGUF: llama, mistral, qwen2, phi3, gemma3".into()
                }
                (BackendKind::Cpu, false) => "not compiled in; rebuild with --features cpu".into(),
                (BackendKind::Onnx(_), true) => {
                    "ONNX Runtime, loaded at run time (ORT_DYLIB_PATH or scripts/setup.sh's copy); \
                     providers other than cpu need a build of ONNX Runtime that has them"
                        .into()
                }
                (BackendKind::Onnx(_), false) => {
                    "not compiled in; rebuild with --features onnx".into()
                }
                (_, true) => "compiled in (CPU build unless built with a GPU feature)".into(),
                (_, false) => "not compiled in; rebuild with --features llama".into(),
            },
        })
        .collect();
    let planned = edgebench_devices::profile::KNOWN_BACKENDS
        .iter()
        .filter(|id| id.parse::<BackendKind>().is_err());
    for id in planned {
        out.push(edgebench_devices::BackendAvailability {
            id: id.to_string(),
            compiled_in: false,
            usable: Some(false),
            note: "not built yet in this edgebench".into(),
        });
    }
    out
}

/// `edgebench probe`.
pub fn probe(args: &ProbeArgs) -> Result<i32> {
    let backends = backend_availability();
    let report = match &args.root {
        Some(root) => edgebench_devices::ProbeReport::collect_at(root, backends),
        None => edgebench_devices::ProbeReport::collect(backends),
    };
    match args.output {
        ProbeFormat::Md => print!("{}", report.to_markdown()),
        ProbeFormat::Json => println!("{}", serde_json::to_string_pretty(&report)?),
    }
    Ok(EXIT_OK)
}

fn kv_type_of(k: KvTypeArg) -> KvType {
    match k {
        KvTypeArg::F16 => KvType::F16,
        KvTypeArg::F32 => KvType::F32,
        KvTypeArg::Q8_0 => KvType::Q8_0,
        KvTypeArg::Q4_0 => KvType::Q4_0,
    }
}

/// `edgebench roofline`: decode ceilings from the profile's bandwidth alone.
pub fn roofline(args: &RooflineArgs) -> Result<i32> {
    use edgebench_backends::footprint::kv_elem_bytes;
    use edgebench_reports::roofline::{
        PredictInputs, default_contexts, predict, render_prediction_md,
    };
    let profile =
        edgebench_devices::profile::Profile::load(&args.device).map_err(|e| anyhow!("{e}"))?;
    if profile.device.mem_bandwidth_gbs.is_none() && args.read_gbs.is_none() {
        bail!(
            "--device {}: [device] mem_bandwidth_gbs is not set, and no --read-gbs was given; \
             add the device's theoretical bandwidth to the profile",
            args.device.display()
        );
    }
    if let Some(g) = args.read_gbs
        && !(g.is_finite() && g > 0.0)
    {
        bail!("--read-gbs {g}: must be a positive number of GB/s");
    }
    let source = model_source(&args.model);
    if let ModelSource::File(p) = &source
        && !p.exists()
    {
        bail!("-m {}: no such file", p.display());
    }
    let model = crate::run::resolve_model(&source)?;
    let fp = model.footprint.clone().ok_or_else(|| {
        anyhow!(
            "-m {}: the model file does not give what the roofline needs",
            args.model
        )
    })?;
    let contexts = match &args.context {
        Some(c) => c.0.iter().map(|&x| u64::from(x)).collect(),
        None => default_contexts(fp.n_ctx_train.map(u64::from)),
    };
    let prediction = predict(&PredictInputs {
        model: model
            .record
            .synthetic
            .clone()
            .unwrap_or_else(|| args.model.clone()),
        device: profile.device.name.clone(),
        weight_bytes_per_token: fp.weight_bytes_per_token as f64,
        kv_bytes_per_context_token: fp
            .kv_bytes_per_token_of_context(kv_elem_bytes(args.kv_type.map(kv_type_of))),
        contexts,
        measured_read_gbs: args.read_gbs,
        peak_gbs: profile.device.mem_bandwidth_gbs,
    });
    match args.output {
        ProbeFormat::Md => print!("{}", render_prediction_md(&prediction)),
        ProbeFormat::Json => println!("{}", serde_json::to_string_pretty(&prediction)?),
    }
    Ok(EXIT_OK)
}

/// `edgebench bandwidth`.
pub fn bandwidth(args: &BandwidthArgs) -> Result<i32> {
    use edgebench_devices::bandwidth::{BandwidthConfig, logical_cpus, parse_thread_list};
    let cpus = logical_cpus();
    let threads = match &args.threads {
        Some(t) => parse_thread_list(t, cpus).map_err(|e| anyhow!("{e}"))?,
        None => vec![cpus.max(1) as u32],
    };
    if args.reps < edgebench_devices::bandwidth::MIN_ITERATIONS {
        bail!(
            "--reps {}: at least {} passes are needed (the first is excluded)",
            args.reps,
            edgebench_devices::bandwidth::MIN_ITERATIONS
        );
    }
    if args.size_mb == Some(0) {
        bail!(
            "--size-mb 0: give the bytes per array in MiB (>= 8), or leave it out for 4x the cache"
        );
    }
    let (device, peak) = match &args.device {
        Some(p) => {
            let profile =
                edgebench_devices::profile::Profile::load(p).map_err(|e| anyhow!("{e}"))?;
            (
                Some(edgebench_reports::record::DeviceRef::of(&profile)),
                profile.device.mem_bandwidth_gbs,
            )
        }
        None => (None, None),
    };
    if let Some(p) = &args.out {
        check_out_folder(p)?;
    }
    let host = edgebench_devices::HostInfo::probe();
    let record = crate::bandwidth::measure(
        &threads,
        args.size_mb.map(BandwidthConfig::size_mb_to_bytes),
        args.reps,
        &host,
        device,
        peak,
    )?;
    let text = record.render(format_of(args.output))?;
    match &args.out {
        Some(p) => output::write_atomically(p, text.as_bytes())?,
        None => print!("{text}"),
    }
    Ok(EXIT_OK)
}

pub(crate) fn check_out_folder(p: &std::path::Path) -> Result<()> {
    let dir = p.parent().filter(|d| !d.as_os_str().is_empty());
    if let Some(dir) = dir.filter(|d| !d.is_dir()) {
        bail!(
            "--out {}: the folder {} does not exist; create it or choose another path",
            p.display(),
            dir.display()
        );
    }
    Ok(())
}

/// `edgebench synth`.
pub fn synth(args: &SynthArgs) -> Result<i32> {
    let spec = cache::parse_spec(&format!("{}-{}-s{}", args.preset, args.quant, args.seed))
        .context("--preset/--quant")?;
    check_out_folder(&args.out)?;
    let ext = args
        .out
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase());
    let (gguf, onnx) = match args.format {
        SynthFormat::Gguf => (Some(args.out.clone()), None),
        SynthFormat::Onnx => (None, Some(args.out.clone())),
        SynthFormat::Both => (
            Some(args.out.clone()),
            Some(args.out.with_extension("onnx")),
        ),
    };
    let want_ext = if args.format == SynthFormat::Onnx {
        "onnx"
    } else {
        "gguf"
    };
    if ext.as_deref() != Some(want_ext) {
        bail!(
            "--out {}: with --format {} the file must end in .{want_ext}",
            args.out.display(),
            match args.format {
                SynthFormat::Gguf => "gguf",
                SynthFormat::Onnx => "onnx",
                SynthFormat::Both => "both",
            }
        );
    }
    if let Some(path) = &gguf {
        cache::write_synth_atomically(&spec, path)?;
        let info = edgebench_backends::gguf::inspect(path)?;
        eprintln!(
            "edgebench: wrote {} ({} parameters, {} bytes, {})",
            path.display(),
            info.n_params,
            info.file_size,
            info.quant
        );
    }
    if let Some(path) = &onnx {
        let data = cache::write_synth_onnx_atomically(&spec, path)?;
        let info = edgebench_backends::onnx_model::inspect(path)?;
        eprintln!(
            "edgebench: wrote {} and {} ({} parameters, {} bytes of weights, {})",
            path.display(),
            data.display(),
            info.n_params(),
            info.total_weight_bytes(),
            spec.quant
        );
    }
    Ok(EXIT_OK)
}
