//! `edgebench sustained`: flags to a plan of one case, the run, the output.
use anyhow::{Context, Result, anyhow, bail};
use edgebench_backends::BackendKind;
use edgebench_devices::HostInfo;
use edgebench_reports::Status;
use edgebench_reports::sustained::render_md;

use super::{SustainedConfig, run_case};
use crate::cli::{ProbeFormat, SustainedArgs};
use crate::commands::{EXIT_CASE_FAILED, EXIT_OK, default_threads, model_source};
use crate::output;
use crate::plan::{Matrix, ModelSource};
use crate::run::resolve_model;

/// Runs `edgebench sustained`; bad input is an `Err` (exit 2), a failed or
/// invalid run exits 1 with its record still written.
pub fn command(args: &SustainedArgs) -> Result<i32> {
    if args.duration <= 0.0 {
        bail!("--duration must be longer than 0, e.g. --duration 10m");
    }
    if let super::WindowSpec::Seconds(w) = args.window
        && w >= args.duration
    {
        bail!(
            "--window {w} s is not shorter than --duration {} s; a run needs many windows \
             (e.g. --duration 10m --window 5s)",
            args.duration
        );
    }
    if args.n_gen < 2 {
        bail!("-n/--n-gen must be at least 2: a sustained run measures decode");
    }
    if !(args.telemetry_hz.is_finite() && args.telemetry_hz > 0.0 && args.telemetry_hz <= 100.0) {
        bail!(
            "--telemetry-hz {}: give a rate above 0 and at most 100",
            args.telemetry_hz
        );
    }
    let backend: BackendKind = args
        .backend
        .parse()
        .map_err(|e| anyhow!("-b {}: {e}", args.backend))?;
    let source = model_source(&args.model);
    if let ModelSource::File(p) = &source
        && !p.exists()
    {
        bail!(
            "-m {}: no such file; give a GGUF model path, or synth:tiny-q4_0 for a synthetic model",
            p.display()
        );
    }
    let mock = args.mock_spec.parse().map_err(|e| anyhow!("{e}"))?;
    let matrix = Matrix {
        models: vec![source.clone()],
        backends: vec![backend],
        n_gpu_layers: args.load.n_gpu_layers,
        onnx: crate::commands::onnx_settings(
            &args.load.ep_options,
            args.load.graph_opt.as_deref(),
        )?,
        n_prompt: vec![args.n_prompt],
        n_gen: vec![args.n_gen],
        n_depth: vec![0],
        threads: vec![args.threads.unwrap_or_else(default_threads)],
        batch: 2048,
        ubatch: 512,
        flash_attn: None,
        kv_type: None,
        reps: 1,
        warmup: 0,
        seed: args.seed,
    };
    let plan = matrix.plan().map_err(|e| anyhow!(e))?;
    crate::commands::pin_cpu_threads(backend.id(), args.threads.unwrap_or_else(default_threads));
    let model = resolve_model(&source).with_context(|| format!("-m {}", args.model))?;
    if let Some(p) = &args.out
        && let Some(dir) = p.parent().filter(|d| !d.as_os_str().is_empty())
        && !dir.is_dir()
    {
        bail!(
            "--out {}: the folder {} does not exist; create it first",
            p.display(),
            dir.display()
        );
    }
    let cfg = SustainedConfig {
        duration_s: args.duration,
        window: args.window,
        gap_s: args.gap,
        telemetry_hz: args.telemetry_hz,
        cooldown_watch: args.cooldown_watch,
        cooldown_timeout_s: args.cooldown_timeout,
        sysfs_root: args
            .sysfs_root
            .clone()
            .unwrap_or_else(edgebench_devices::telemetry::sysfs_root),
    };
    eprintln!(
        "edgebench: sustained run of {} on {} for {:.0} s",
        args.model, args.backend, args.duration
    );
    let host = HostInfo::probe();
    let record = run_case(&host, &plan.groups[0], &model, &plan.cases[0], &mock, &cfg);
    let records = [record];
    if let Some(p) = &args.out {
        let json = serde_json::to_string_pretty(&records[0])?;
        output::write_atomically(p, json.as_bytes())?;
        eprintln!("edgebench: wrote the record to {}", p.display());
    }
    match args.output {
        ProbeFormat::Md => print!("{}", render_md(&records)),
        ProbeFormat::Json => println!("{}", serde_json::to_string_pretty(&records[0])?),
    }
    Ok(if records[0].status == Status::Ok {
        EXIT_OK
    } else {
        EXIT_CASE_FAILED
    })
}
