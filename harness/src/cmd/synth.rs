//! `edgebench synth`: a synthetic model written to a file the user names
//! (GGUF, its ONNX twin, or both).
use anyhow::{Context, Result, bail};

use crate::cache;
use crate::cli::{SynthArgs, SynthFormat};
use crate::exit::EXIT_OK;
use crate::flags::check_out_folder;
use edgebench_synth as synth;

/// `edgebench synth`.
pub fn synth(args: &SynthArgs) -> Result<i32> {
    let spec = cache::parse_spec(&format!("{}-{}-s{}", args.preset, args.quant, args.seed))
        .context("--preset/--quant")?;
    let (twin, shared_kv) = twin_options(&args.onnx_variant)?;
    if args.format == SynthFormat::Gguf && twin != synth::TwinOptions::default() {
        bail!("--onnx-variant shapes the ONNX twin: use it with --format onnx or both");
    }
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
        let info = edgebench_formats::gguf::inspect(path)?;
        eprintln!(
            "edgebench: wrote {} ({} parameters, {} bytes, {})",
            path.display(),
            info.n_params,
            info.file_size,
            info.quant
        );
    }
    // A genai export's config goes beside it; one already there is the
    // user's and is not replaced.
    let genai = match &onnx {
        Some(path) if twin.gqa => {
            let cfg = path.with_file_name("genai_config.json");
            if cfg.exists() {
                bail!(
                    "--onnx-variant gqa/shared-kv writes {} beside the model, and that file exists: \
                     write the model into another folder or remove it",
                    cfg.display()
                );
            }
            Some(cfg)
        }
        _ => None,
    };
    if let Some(path) = &onnx {
        let data = cache::write_synth_onnx_atomically(&spec, path, twin)?;
        let info = edgebench_formats::onnx_model::inspect(path)?;
        eprintln!(
            "edgebench: wrote {} and {} ({} parameters, {} bytes of weights, {})",
            path.display(),
            data.display(),
            info.n_params(),
            info.total_weight_bytes(),
            spec.quant
        );
        if let Some(cfg) = &genai {
            let file = path.file_name().unwrap_or_default().to_string_lossy();
            let text = synth::genai_config(&spec, &file, shared_kv);
            crate::output::write_atomically(cfg, text.as_bytes())
                .with_context(|| format!("writing {}", cfg.display()))?;
            eprintln!(
                "edgebench: wrote {} (past_present_share_buffer = {shared_kv})",
                cfg.display()
            );
        }
    }
    Ok(EXIT_OK)
}

/// `--onnx-variant` values as twin options, and whether the KV buffer is
/// shared (`shared-kv`); an unknown one is named.
fn twin_options(variants: &[String]) -> Result<(synth::TwinOptions, bool)> {
    let mut t = synth::TwinOptions::default();
    let mut shared = false;
    for v in variants {
        match v.trim() {
            "int32" => t.int32_inputs = true,
            "qdq" => t.qdq = true,
            "gqa" => t.gqa = true,
            "shared-kv" => {
                t.gqa = true;
                shared = true;
            }
            other => bail!(
                "--onnx-variant: unknown variant '{other}'; the variants are int32, qdq, gqa, shared-kv"
            ),
        }
    }
    Ok((t, shared))
}
