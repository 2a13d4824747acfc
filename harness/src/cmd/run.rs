//! `edgebench run`: flags to a plan, the plan run in this process, records
//! rendered or written as each case ends.
use anyhow::{Context, Result, anyhow, bail};
use edgebench_backends::BackendKind;
use edgebench_reports::export;
use edgebench_reports::{Record, Status};

use crate::cli::{KvTypeArg, RunArgs, ShapeArg};
use crate::execute::{self, RunOptions};
use crate::exit::{EXIT_CASE_FAILED, EXIT_OK};
use crate::flags::{
    DEFAULT_MODEL, check_out_folder, check_read_gbs, default_threads, format_of, kv_type_of,
    model_source, onnx_settings,
};
use crate::plan::{Matrix, ModelSource, Tests};
use crate::{cache, output, session};

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
                "-m {}: no such file; give a GGUF or ONNX model path, or synth:tiny-q4_0 for a synthetic model",
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
    if let Some(&t) = threads.first() {
        session::prepare_process(&backends, t);
    }
    let matrix = Matrix {
        models,
        backends,
        n_gpu_layers: args.load.n_gpu_layers,
        onnx: onnx_settings(&args.load.ep_options, args.load.graph_opt.as_deref())?,
        tests: match args.shape {
            ShapeArg::LlamaBench => Tests::LlamaBench {
                pg: args.pg.clone(),
            },
            ShapeArg::Request if !args.pg.is_empty() => bail!(
                "--pg is llama-bench's combined test; with --shape request every -p x -n pair is already a request: drop --pg or --shape request"
            ),
            ShapeArg::Request => Tests::Requests,
        },
        n_prompt: args.n_prompt.0.clone(),
        n_gen: args.n_gen.0.clone(),
        n_depth: args.n_depth.0.clone(),
        threads,
        batch: args.batch,
        ubatch: args.ubatch,
        flash_attn: args.flash_attn.map(|v| v == 1),
        kv_type: kv_type(args)?,
        reps: args.reps,
        warmup: if args.no_warmup { 0 } else { args.warmup },
        seed: args.seed,
    };
    let plan = matrix.plan().map_err(|e| anyhow!(e))?;
    if let Some(p) = &args.out {
        check_out_folder(p)?;
    }
    let format = format_of(args.output);
    check_read_gbs(args.read_gbs)?;
    let opts = RunOptions {
        mock,
        progress: !args.quiet,
        device: crate::roofline::DeviceFigures {
            measured_read_gbs: args.read_gbs,
            ..Default::default()
        },
        policy: crate::preflight::Policy {
            force: args.force,
            allow_long_context: args.allow_long_context,
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
    let records = execute::execute(&plan, &opts, write)?;
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

/// One KV type for K and V: --kv-type, or llama-bench's -ctk/-ctv, which
/// must agree (edgebench's backends take one type for both).
fn kv_type(args: &RunArgs) -> Result<Option<edgebench_backends::KvType>> {
    let given: Vec<(&str, KvTypeArg)> = [
        ("--kv-type", args.kv_type),
        ("-ctk/--cache-type-k", args.cache_type_k),
        ("-ctv/--cache-type-v", args.cache_type_v),
    ]
    .into_iter()
    .filter_map(|(flag, v)| v.map(|v| (flag, v)))
    .collect();
    if let Some(((a, va), (b, vb))) = given
        .iter()
        .zip(given.iter().skip(1))
        .find(|((_, va), (_, vb))| va != vb)
    {
        let name = |v: &KvTypeArg| {
            clap::ValueEnum::to_possible_value(v)
                .map_or_else(String::new, |p| p.get_name().to_owned())
        };
        bail!(
            "{a} {} and {b} {} differ: edgebench sets one KV-cache type for K and V; give the same type",
            name(va),
            name(vb)
        );
    }
    Ok(given.first().map(|&(_, v)| kv_type_of(v)))
}
