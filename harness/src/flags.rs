//! Flag handling shared by several subcommands: model ids, output formats,
//! ONNX Runtime options, thread defaults, `--out` checks. A leaf below
//! `cmd/`: it turns flag values into library types and runs nothing.
use std::path::{Path, PathBuf};

use anyhow::{Result, anyhow, bail};
use edgebench_backends::{GraphOpt, KvType, OnnxLoadSettings};
use edgebench_reports::export::Format;

use crate::cli::{KvTypeArg, LoadFlags, OutputFormat};
use crate::plan::{Matrix, ModelSource, Plan, Tests};

/// The default model of `run`: the tiny synthetic model.
pub const DEFAULT_MODEL: &str = "synth:tiny-q4_0";

/// `-m` value: `synth:<spec>` or a file path.
pub fn model_source(s: &str) -> ModelSource {
    match s.strip_prefix("synth:") {
        Some(spec) => ModelSource::Synth(spec.to_string()),
        None => ModelSource::File(PathBuf::from(s)),
    }
}

/// `-m` for the commands that take one model: a file must exist (a
/// `synth:` spec is checked when it is resolved).
pub fn existing_model(s: &str) -> Result<ModelSource> {
    let source = model_source(s);
    if let ModelSource::File(p) = &source
        && !p.exists()
    {
        bail!(
            "-m {}: no such file; give a GGUF or ONNX model path, or synth:tiny-q4_0 for a synthetic model",
            p.display()
        );
    }
    Ok(source)
}

/// `-o` of the record-writing commands.
pub fn format_of(o: OutputFormat) -> Format {
    match o {
        OutputFormat::Md => Format::Md,
        OutputFormat::Json => Format::Json,
        OutputFormat::Jsonl => Format::Jsonl,
        OutputFormat::Csv => Format::Csv,
    }
}

/// `--kv-type`.
pub fn kv_type_of(k: KvTypeArg) -> KvType {
    match k {
        KvTypeArg::F16 => KvType::F16,
        KvTypeArg::F32 => KvType::F32,
        KvTypeArg::Q8_0 => KvType::Q8_0,
        KvTypeArg::Q4_0 => KvType::Q4_0,
    }
}

/// The load settings of a command that loads several models with the same
/// `--ngl`, `--ep-option` and `--graph-opt`, on `threads` threads.
pub fn load_settings(load: &LoadFlags, threads: u32) -> Result<edgebench_backends::LoadSettings> {
    Ok(edgebench_backends::LoadSettings {
        n_gpu_layers: load.n_gpu_layers,
        onnx: OnnxLoadSettings {
            threads: Some(threads),
            ..onnx_settings(&load.ep_options, load.graph_opt.as_deref())?
        },
    })
}

/// ONNX Runtime settings from `--ep-option KEY=VALUE` and `--graph-opt`.
pub fn onnx_settings(ep_options: &[String], graph_opt: Option<&str>) -> Result<OnnxLoadSettings> {
    let mut opts = std::collections::BTreeMap::new();
    for o in ep_options {
        let Some((k, v)) = o.split_once('=').filter(|(k, _)| !k.trim().is_empty()) else {
            bail!("--ep-option {o}: expected KEY=VALUE, e.g. --ep-option device_id=0");
        };
        opts.insert(k.trim().to_string(), v.trim().to_string());
    }
    let graph_optimization = graph_opt
        .map(|g| {
            g.parse::<GraphOpt>()
                .map_err(|e| anyhow!("--graph-opt {g}: {e}"))
        })
        .transpose()?;
    Ok(OnnxLoadSettings {
        ep_options: opts.into_iter().collect(),
        threads: None,
        graph_optimization,
    })
}

/// Default thread count: physical cores (llama-bench's choice), else logical.
pub fn default_threads() -> u32 {
    let host = edgebench_devices::HostInfo::probe();
    host.physical_cores.unwrap_or(host.logical_cores).max(1)
}

/// `--read-gbs`: a positive number of GB/s when given.
pub fn check_read_gbs(read_gbs: Option<f64>) -> Result<()> {
    if let Some(g) = read_gbs
        && !(g.is_finite() && g > 0.0)
    {
        bail!("--read-gbs {g}: must be a positive number of GB/s");
    }
    Ok(())
}

/// `--out FILE`: its folder must exist (nothing is created behind the
/// user's back, and a typo fails before any measurement).
pub fn check_out_folder(p: &Path) -> Result<()> {
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

/// The plan of one request-shaped case (`-p` prompt, `-n` generated, depth
/// 0, one repetition) of one model on one backend, as `sustained` and
/// `load` run it: default batching, the load flags as given.
pub fn one_request_plan(
    source: &ModelSource,
    backend: edgebench_backends::BackendKind,
    load: &LoadFlags,
    n_prompt: u32,
    n_gen: u32,
    threads: u32,
    seed: u64,
) -> Result<Plan> {
    Matrix {
        models: vec![source.clone()],
        backends: vec![backend],
        n_gpu_layers: load.n_gpu_layers,
        onnx: onnx_settings(&load.ep_options, load.graph_opt.as_deref())?,
        tests: Tests::Requests,
        n_prompt: vec![n_prompt],
        n_gen: vec![n_gen],
        n_depth: vec![0],
        threads: vec![threads],
        batch: 2048,
        ubatch: 512,
        flash_attn: None,
        kv_type: None,
        reps: 1,
        warmup: 0,
        seed,
    }
    .plan()
    .map_err(|e| anyhow!(e))
}
