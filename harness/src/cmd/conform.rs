//! `edgebench conform`: the same token ids through several (model, backend)
//! pairs with teacher forcing, logits compared position by position against
//! the first pair (see `edgebench_reports::conformance` and
//! docs/conformance.md).
//!
//! Each pair gets one batched prefill of the first `--prefill` tokens (its
//! last position's logits are compared), then one decode step per remaining
//! token, fed the *given* token, not its own choice, so one near-tie cannot
//! shift every later position.
use std::time::SystemTime;

use anyhow::{Context, Result, anyhow, bail};
use edgebench_backends::{Backend, BackendKind, ContextSettings};
use edgebench_reports::SCHEMA_VERSION;
use edgebench_reports::conformance::{
    ConformanceRecord, ConformanceSide, Tolerance, ToleranceClass, compare_position, judge,
};
use edgebench_reports::record::RecordKind;

use crate::cli::{ConformArgs, ProbeFormat};
use crate::exit::{EXIT_CASE_FAILED, EXIT_OK};
use crate::flags::{check_out_folder, default_threads, load_settings, model_source};
use crate::model::{ResolvedModel, resolve_model_for};
use crate::prompt::SplitMix64;
use crate::{output, provenance, session};
use edgebench_backends::ModelMeta;

/// The logits one (model, backend) pair produced at every compared position.
pub struct PairLogits {
    /// Who produced them.
    pub side: ConformanceSide,
    /// Tolerance class of the model's weights.
    pub class: ToleranceClass,
    /// One vector per compared position, in order.
    pub logits: Vec<Vec<f32>>,
}

/// Runs `tokens` through a loaded backend: prefill of the first `n_prefill`,
/// then one decode per remaining token; returns the logits after each.
pub fn teacher_forced_logits(
    backend: &mut dyn Backend,
    tokens: &[u32],
    n_prefill: usize,
    threads: u32,
) -> Result<Vec<Vec<f32>>> {
    let n_ctx = (tokens.len() as u32 + 16).next_multiple_of(256);
    backend
        .configure(&ContextSettings {
            n_ctx,
            threads,
            batch: 512,
            ubatch: 512,
            flash_attn: None,
            kv_type: None,
        })
        .map_err(|e| anyhow!("{e}"))?;
    backend.clear().map_err(|e| anyhow!("{e}"))?;
    let mut out = Vec::with_capacity(tokens.len() - n_prefill + 1);
    backend
        .prefill(&tokens[..n_prefill], 0)
        .map_err(|e| anyhow!("{e}"))?;
    backend.synchronize();
    let mut l = Vec::new();
    backend.logits(&mut l).map_err(|e| anyhow!("{e}"))?;
    out.push(l);
    for (i, &t) in tokens.iter().enumerate().skip(n_prefill) {
        backend.decode(t, i as u32).map_err(|e| anyhow!("{e}"))?;
        backend.synchronize();
        let mut l = Vec::new();
        backend.logits(&mut l).map_err(|e| anyhow!("{e}"))?;
        out.push(l);
    }
    Ok(out)
}

/// The token ids of a check: BOS first when the reference declares one,
/// then SplitMix64 ids below the vocabulary.
pub fn conform_tokens(seed: u64, n_vocab: u32, bos: Option<u32>, n: u32) -> Vec<u32> {
    let mut rng = SplitMix64::new(seed);
    let mut t: Vec<u32> = (0..n).map(|_| rng.below(n_vocab)).collect();
    if let (Some(b), Some(first)) = (bos, t.first_mut()) {
        *first = b;
    }
    t
}

/// The default backend of a model file: llama.cpp for GGUF, onnx:cpu for ONNX.
pub fn default_backend(model: &ResolvedModel) -> &'static str {
    if model.is_onnx() {
        "onnx:cpu"
    } else {
        "llama.cpp"
    }
}

fn check_args(args: &ConformArgs) -> Result<()> {
    if args.prefill == 0 || args.prefill > args.tokens {
        bail!(
            "--prefill {}: must be between 1 and --tokens ({})",
            args.prefill,
            args.tokens
        );
    }
    if args.tokens > 4096 {
        bail!("--tokens {}: at most 4096", args.tokens);
    }
    if !args.backends.is_empty() && args.backends.len() != args.models.len() {
        bail!(
            "-b names {} backend(s) for {} model(s); give one backend per model, in order \
             (e.g. -b llama.cpp,onnx:cpu), or leave -b out",
            args.backends.len(),
            args.models.len()
        );
    }
    for (flag, v, lo_open) in [
        ("--min-top1", args.min_top1, false),
        ("--min-cosine", args.min_cosine, false),
        ("--max-diff-rel", args.max_diff_rel, true),
    ] {
        if let Some(v) = v
            && (!v.is_finite() || v < 0.0 || (lo_open && v == 0.0) || (!lo_open && v > 1.0))
        {
            bail!(
                "{flag} {v}: out of range ({})",
                if lo_open { "> 0" } else { "0 to 1" }
            );
        }
    }
    if let Some(0) = args.threads {
        bail!("-t 0: need at least one thread");
    }
    Ok(())
}

/// `edgebench conform`.
pub fn conform(args: &ConformArgs) -> Result<i32> {
    check_args(args)?;
    if let Some(out) = &args.out {
        check_out_folder(out)?;
    }
    let threads = args.threads.unwrap_or_else(default_threads);
    let load = load_settings(&args.load, threads)?;
    // Backends first (cheap), then every model is found and checked before
    // anything loads, so a typo in the last argument fails at once.
    let mut pairs = vec![];
    for (i, m) in args.models.iter().enumerate() {
        let source = model_source(m);
        let backend_name = args.backends.get(i).map(|s| s.trim().to_string());
        let kind_hint = backend_name
            .as_deref()
            .map(|b| b.parse::<BackendKind>().map_err(|e| anyhow!("-b {b}: {e}")))
            .transpose()?;
        let model = resolve_model_for(&source, kind_hint).with_context(|| format!("model {m}"))?;
        let kind = match kind_hint {
            Some(k) => k,
            None => default_backend(&model)
                .parse::<BackendKind>()
                .map_err(|e| anyhow!("{e}"))?,
        };
        pairs.push((m.clone(), model, kind));
    }
    let kinds: Vec<BackendKind> = pairs.iter().map(|(_, _, k)| *k).collect();
    session::prepare_process(&kinds, threads);
    let mut runs: Vec<PairLogits> = vec![];
    let mut tokens: Vec<u32> = vec![];
    for (name, model, kind) in &pairs {
        eprintln!("edgebench: conform: {name} on {kind}");
        let mut backend = session::load(*kind, model, &load, &Default::default())
            .map_err(|e| anyhow!("model {name} on {kind}: {e}"))?
            .backend;
        if tokens.is_empty() {
            tokens = conform_tokens(
                args.seed,
                backend.n_vocab(),
                backend.bos_token(),
                args.tokens,
            );
        } else if let Some(&bad) = tokens.iter().find(|&&t| t >= backend.n_vocab()) {
            bail!(
                "model {name} on {kind}: vocabulary of {} tokens does not hold token {bad} of \
                 the reference; these models do not share a vocabulary",
                backend.n_vocab()
            );
        }
        let d = backend.describe();
        let logits =
            teacher_forced_logits(backend.as_mut(), &tokens, args.prefill as usize, threads)
                .with_context(|| format!("model {name} on {kind}"))?;
        runs.push(PairLogits {
            side: ConformanceSide {
                model: model.record.path.clone(),
                sha256: model.record.sha256.clone(),
                quant: Some(model.record.quant.clone()),
                backend: d.id,
                backend_version: d.version,
                execution_provider: d.execution_provider,
            },
            // A graph that quantises its activations is compared as a
            // quantised model even when its weights are float.
            class: match &model.meta {
                ModelMeta::Onnx(i) if i.quantises_activations() => ToleranceClass::Quantised,
                _ => ToleranceClass::of_quant(Some(&model.record.quant)),
            },
            logits,
        });
    }
    let record = build_record(args, &tokens, &runs);
    let text = match args.output {
        ProbeFormat::Md => record.to_markdown(),
        ProbeFormat::Json => serde_json::to_string_pretty(&record)? + "\n",
    };
    if let Some(out) = &args.out {
        output::write_atomically(
            out,
            (serde_json::to_string_pretty(&record)? + "\n").as_bytes(),
        )?;
    }
    print!("{text}");
    Ok(if record.pass {
        EXIT_OK
    } else {
        EXIT_CASE_FAILED
    })
}

/// Compares every run against the first and builds the record.
pub fn build_record(args: &ConformArgs, tokens: &[u32], runs: &[PairLogits]) -> ConformanceRecord {
    let reference = &runs[0];
    let pairs: Vec<_> = runs[1..]
        .iter()
        .map(|r| {
            let mut tol = Tolerance::for_class(reference.class.coarser(r.class));
            if let Some(v) = args.min_top1 {
                tol.min_top1_agreement = v;
            }
            if let Some(v) = args.min_cosine {
                tol.min_cosine = v;
            }
            if let Some(v) = args.max_diff_rel {
                tol.max_abs_diff_rel = v;
            }
            let positions = reference
                .logits
                .iter()
                .zip(&r.logits)
                .enumerate()
                .map(|(i, (a, b))| compare_position(args.prefill - 1 + i as u32, a, b))
                .collect();
            judge(reference.side.clone(), r.side.clone(), tol, positions)
        })
        .collect::<Vec<_>>();
    ConformanceRecord {
        schema_version: SCHEMA_VERSION,
        kind: RecordKind::Conformance,
        edgebench: provenance::tool_info(),
        timestamp: provenance::timestamp(SystemTime::now()),
        n_prefill: args.prefill,
        tokens: tokens.to_vec(),
        pass: pairs.iter().all(|p| p.pass),
        pairs,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_start_with_bos_and_stay_in_range() {
        let t = conform_tokens(42, 100, Some(1), 40);
        assert_eq!(t.len(), 40);
        assert_eq!(t[0], 1);
        assert!(t.iter().all(|&x| x < 100));
        assert_eq!(t, conform_tokens(42, 100, Some(1), 40));
    }
}
