//! `edgebench quality`: the quality tax of each quantised model against a
//! reference of the same weights (see `edgebench_reports::quality` and
//! docs/quality.md). Every model gets the same token ids, one prefill of the
//! first (BOS) and one decode step per remaining id, fed the given id
//! (teacher forcing), so each position compares the two models' next-token
//! distributions on the same context.
use std::time::SystemTime;

use anyhow::{Context, Result, anyhow, bail};
use edgebench_backends::BackendKind;
use edgebench_reports::quality::{
    QUALITY_SCHEMA_VERSION, QualityRecord, QualityRow, QualitySide, compare,
};

use crate::cli::{ProbeFormat, QualityArgs};
use crate::cmd::conform::{conform_tokens, default_backend, teacher_forced_logits};
use crate::exit::EXIT_OK;
use crate::flags::{check_out_folder, default_threads, load_settings, model_source};
use crate::model::{ResolvedModel, resolve_model_for};
use crate::{output, provenance, session};

fn check_args(args: &QualityArgs) -> Result<()> {
    if !(2..=4096).contains(&args.tokens) {
        bail!("--tokens {}: must be between 2 and 4096", args.tokens);
    }
    if let Some(0) = args.threads {
        bail!("-t 0: need at least one thread");
    }
    Ok(())
}

fn parse_kind(name: &str, flag: &str) -> Result<BackendKind> {
    name.trim()
        .parse::<BackendKind>()
        .map_err(|e| anyhow!("{flag} {name}: {e}"))
}

fn resolve(m: &str, kind: Option<BackendKind>) -> Result<(ResolvedModel, BackendKind)> {
    let model = resolve_model_for(&model_source(m), kind).with_context(|| format!("model {m}"))?;
    let kind = match kind {
        Some(k) => k,
        None => parse_kind(default_backend(&model), "backend")?,
    };
    Ok((model, kind))
}

/// The reference and a model must be the same network: architecture, layer
/// count and vocabulary, where both files say.
fn check_same_network(reference: &ResolvedModel, model: &ResolvedModel, name: &str) -> Result<()> {
    let (r, m) = (&reference.record, &model.record);
    if !r.arch.is_empty() && !m.arch.is_empty() && r.arch != m.arch {
        bail!(
            "model {name}: architecture '{}' differs from the reference's '{}'; the reference \
             must hold the same weights (its f16/f32 file)",
            m.arch,
            r.arch
        );
    }
    for (what, a, b) in [
        ("layers", r.n_layers, m.n_layers),
        ("vocabulary size", r.n_vocab, m.n_vocab),
    ] {
        if let (Some(a), Some(b)) = (a, b)
            && a != b
        {
            bail!(
                "model {name}: {what} {b} differs from the reference's {a}; the reference must \
                 hold the same weights (its f16/f32 file)"
            );
        }
    }
    Ok(())
}

fn side(model: &ResolvedModel, d: &edgebench_backends::BackendDescription) -> QualitySide {
    QualitySide {
        model: model.record.path.clone(),
        sha256: model.record.sha256.clone(),
        quant: model.record.quant.clone(),
        backend: d.id.clone(),
        backend_version: d.version.clone(),
    }
}

/// `edgebench quality`.
pub fn quality(args: &QualityArgs) -> Result<i32> {
    check_args(args)?;
    if let Some(out) = &args.out {
        check_out_folder(out)?;
    }
    let threads = args.threads.unwrap_or_else(default_threads);
    let load = load_settings(&args.load, threads)?;
    // Every model and backend is found and checked before anything loads.
    let ref_kind = args
        .reference_backend
        .as_deref()
        .map(|b| parse_kind(b, "--reference-backend"))
        .transpose()?;
    let (reference, ref_kind) = resolve(&args.reference, ref_kind).context("--reference")?;
    let kinds: Vec<Option<BackendKind>> = if args.backends.is_empty() {
        vec![None]
    } else {
        args.backends
            .iter()
            .map(|b| parse_kind(b, "-b").map(Some))
            .collect::<Result<_>>()?
    };
    let mut cases = vec![];
    for m in &args.models {
        for &k in &kinds {
            let (model, kind) = resolve(m, k)?;
            check_same_network(&reference, &model, m)?;
            cases.push((m.clone(), model, kind));
        }
    }
    let mut all_kinds: Vec<BackendKind> = cases.iter().map(|c| c.2).collect();
    all_kinds.push(ref_kind);
    session::prepare_process(&all_kinds, threads);

    eprintln!(
        "edgebench: quality: reference {} on {ref_kind}",
        args.reference
    );
    let mut backend = session::load(ref_kind, &reference, &load, &Default::default())
        .map_err(|e| anyhow!("--reference {} on {ref_kind}: {e}", args.reference))?
        .backend;
    let (tokens, tokens_source) = token_ids(args, backend.as_ref(), &reference, ref_kind)?;
    let tokens_from_text = tokens_source.starts_with("text");
    let ref_side = side(&reference, &backend.describe());
    let ref_logits =
        teacher_forced_logits(backend.as_mut(), &tokens, 1, threads).context("the reference")?;
    drop(backend);
    // Position i predicts token i + 1.
    let next = &tokens[1..];
    let mut rows = vec![];
    for (name, model, kind) in &cases {
        eprintln!("edgebench: quality: {name} on {kind}");
        let mut backend = session::load(*kind, model, &load, &Default::default())
            .map_err(|e| anyhow!("model {name} on {kind}: {e}"))?
            .backend;
        let logits = teacher_forced_logits(backend.as_mut(), &tokens, 1, threads)
            .with_context(|| format!("model {name} on {kind}"))?;
        let stats = compare(&ref_logits, &logits, next)
            .map_err(|e| anyhow!("model {name} on {kind}: {e}"))?;
        rows.push(QualityRow {
            side: side(model, &backend.describe()),
            stats,
        });
    }
    let synthetic = reference.record.synthetic.is_some()
        || cases.iter().any(|c| c.1.record.synthetic.is_some());
    let record = QualityRecord {
        kind: "quality".into(),
        schema_version: QUALITY_SCHEMA_VERSION,
        edgebench: provenance::tool_info(),
        timestamp: provenance::timestamp(SystemTime::now()),
        tokens_source,
        n_tokens: tokens.len(),
        reference: ref_side,
        rows,
        note: match (synthetic, tokens_from_text) {
            (true, _) => "Synthetic models (random weights): these figures measure the \
                          quantisation error of the logits, not task accuracy."
                .into(),
            (false, true) => "Real text through real models: KL divergence and top-1 \
                              agreement against the reference, and the perplexity of the text \
                              under each; a short text, so a screening figure, not a benchmark \
                              score."
                .into(),
            (false, false) => "Seeded token ids, not text: the KL divergence and top-1 \
                               agreement compare the distributions; the perplexities are of \
                               random ids and mean little on their own."
                .into(),
        },
        // A sweep puts its profile's device here instead.
        device: Some(edgebench_reports::compare::device_key(
            None,
            &edgebench_devices::HostInfo::probe(),
        )),
    };
    let json = serde_json::to_string_pretty(&record)? + "\n";
    if let Some(out) = &args.out {
        output::write_atomically(out, json.as_bytes())?;
    }
    match args.output {
        ProbeFormat::Md => print!("{}", record.to_markdown()),
        ProbeFormat::Json => print!("{json}"),
    }
    Ok(EXIT_OK)
}

/// The public-domain text built in (harness/assets/README.md).
const BUILTIN_TEXT: &str = include_str!("../../assets/quality-text.txt");

/// How the built-in text is named in errors and records.
const BUILTIN_NAME: &str =
    "builtin (the Gettysburg Address and the Declaration of Independence, public domain)";

/// The ids every model gets, and where they came from: the text (`--text`,
/// or the built-in one for a real reference) through the reference's own
/// tokenizer, else seeded ids after BOS.
fn token_ids(
    args: &QualityArgs,
    backend: &dyn edgebench_backends::Backend,
    reference: &ResolvedModel,
    ref_kind: BackendKind,
) -> Result<(Vec<u32>, String)> {
    let seeded = || {
        (
            conform_tokens(
                args.seed,
                backend.n_vocab(),
                backend.bos_token(),
                args.tokens,
            ),
            format!("seeded ids (SplitMix64, seed {}) after BOS", args.seed),
        )
    };
    let (text, name) = match args.text.as_deref() {
        Some("builtin") => (BUILTIN_TEXT.to_string(), BUILTIN_NAME.to_string()),
        Some(path) => (
            std::fs::read_to_string(path).with_context(|| {
                format!("--text {path}: cannot read it; give a UTF-8 text file or `builtin`")
            })?,
            path.to_string(),
        ),
        None if reference.record.synthetic.is_some() => return Ok(seeded()),
        None => (BUILTIN_TEXT.to_string(), BUILTIN_NAME.to_string()),
    };
    let ids = match backend.tokenize(&text) {
        Ok(ids) => ids,
        Err(e) if args.text.is_none() => {
            eprintln!(
                "edgebench: quality: {e}; the reference's backend {ref_kind} has no tokenizer, \
                 so seeded ids are used (give --reference-backend llama.cpp for text)"
            );
            return Ok(seeded());
        }
        Err(e) => bail!("--text {name}: {e}; give --reference-backend llama.cpp"),
    };
    let n = args.tokens as usize;
    if ids.len() < n {
        bail!(
            "--text {name}: gives {} token ids with the reference's vocabulary, fewer than \
             --tokens {n}; give a longer text or fewer --tokens",
            ids.len()
        );
    }
    let vocab = backend.n_vocab();
    if let Some(bad) = ids.iter().find(|&&t| t >= vocab) {
        bail!("--text {name}: the tokenizer gave id {bad}, outside the vocabulary of {vocab}");
    }
    Ok((
        ids[..n].to_vec(),
        format!("text: {name}, the first {n} ids by the reference's tokenizer ({ref_kind})"),
    ))
}
