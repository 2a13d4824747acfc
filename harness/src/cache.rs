//! Synthetic models written once into the user's cache folder and reused.
//!
//! Folder: `$EDGEBENCH_CACHE_DIR`, else the XDG cache dir
//! (`$XDG_CACHE_HOME/edgebench/models`, `~/.cache/edgebench/models` on Linux).
//! The file name is keyed by preset, quant, seed and the generator's format
//! version, so a changed generator never reuses a stale file.
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use edgebench_synth::{self as synth, SynthSpec};

/// The cache folder for synthetic models.
pub fn model_dir() -> Result<PathBuf> {
    if let Some(dir) = std::env::var_os("EDGEBENCH_CACHE_DIR") {
        return Ok(PathBuf::from(dir).join("models"));
    }
    match dirs::cache_dir() {
        Some(d) => Ok(d.join("edgebench").join("models")),
        None => bail!(
            "cannot find a cache folder for synthetic models (no $HOME?); set EDGEBENCH_CACHE_DIR"
        ),
    }
}

/// Parses "tiny-q4_0", "medium-q8_0-s7" into a spec (seed defaults to 42).
pub fn parse_spec(s: &str) -> Result<SynthSpec> {
    let help = "expected PRESET-QUANT[-sSEED], e.g. synth:tiny-q4_0 or synth:medium-q8_0-s7 \
                (presets tiny, small, medium; quants q4_0, q8_0, q4_1, q5_0, q4_k_m, q4_k_s, q5_k_m, q6_k, f16, bf16, f32)";
    let mut parts = s.split('-');
    let (Some(preset), Some(quant)) = (parts.next(), parts.next()) else {
        bail!("synthetic model '{s}': {help}");
    };
    let seed = match parts.next() {
        None => 42,
        Some(p) => match p.strip_prefix('s').and_then(|n| n.parse::<u64>().ok()) {
            Some(seed) => seed,
            None => bail!("synthetic model '{s}': bad seed '{p}'; {help}"),
        },
    };
    if parts.next().is_some() {
        bail!("synthetic model '{s}': {help}");
    }
    Ok(SynthSpec {
        preset: preset
            .parse()
            .map_err(|e| anyhow::anyhow!("synthetic model '{s}': {e}"))?,
        quant: quant
            .parse()
            .map_err(|e| anyhow::anyhow!("synthetic model '{s}': {e}"))?,
        seed,
    })
}

/// Path of the cached synthetic model, writing it first if it is missing.
/// Written to a temporary file in the same folder and renamed, so a crash
/// never leaves a half-written model under the real name.
pub fn ensure_synth(spec: &SynthSpec) -> Result<PathBuf> {
    let dir = model_dir()?;
    std::fs::create_dir_all(&dir)
        .with_context(|| format!("cannot create the model cache folder {}", dir.display()))?;
    let path = dir.join(spec.file_name());
    if path.is_file() {
        return Ok(path);
    }
    eprintln!(
        "edgebench: writing synthetic model {} (once)",
        path.display()
    );
    write_synth_atomically(spec, &path)?;
    Ok(path)
}

/// Path of the cached ONNX twin of a synthetic model (`KEY-onnxN.onnx` with
/// `KEY-onnxN.onnx.data` beside it), writing it first if it is missing.
pub fn ensure_synth_onnx(spec: &SynthSpec) -> Result<PathBuf> {
    let dir = model_dir()?;
    std::fs::create_dir_all(&dir)
        .with_context(|| format!("cannot create the model cache folder {}", dir.display()))?;
    let path = dir.join(spec.onnx_file_name());
    // A twin is two files: reuse it only when the graph reads back and its
    // external data is all there (a crash or a full disk can leave less).
    if path.is_file() && edgebench_formats::onnx_model::inspect(&path).is_ok() {
        return Ok(path);
    }
    eprintln!(
        "edgebench: writing the ONNX twin of synthetic model {} (once)",
        path.display()
    );
    write_synth_onnx_atomically(spec, &path, synth::TwinOptions::default(), None)?;
    Ok(path)
}

/// Writes the ONNX twin to `path` (and `path` + `.data`): both are written
/// under their final names in a temporary folder beside `path`, then moved
/// in, the data file first, so a crash never leaves a `.onnx` whose data is
/// missing or half-written.
pub fn write_synth_onnx_atomically(
    spec: &SynthSpec,
    path: &Path,
    opts: synth::TwinOptions,
    act: Option<&synth::StaticQdq>,
) -> Result<PathBuf> {
    let dir = folder_of(path);
    let tmp = tempfile::Builder::new()
        .prefix(".edgebench-synth-")
        .suffix(".partial")
        .tempdir_in(dir)
        .with_context(|| format!("cannot create a temporary folder in {}", dir.display()))?;
    let name = path
        .file_name()
        .with_context(|| format!("{}: not a file name", path.display()))?;
    let staged = tmp.path().join(name);
    let summary = match act {
        Some(a) => synth::write_onnx_static_qdq(spec, &staged, opts, a),
        None => synth::write_onnx_with(spec, &staged, opts),
    }
    .with_context(|| format!("writing the ONNX twin for {}", path.display()))?;
    let data_name = summary
        .data_path
        .file_name()
        .with_context(|| "the twin's data file has no name")?
        .to_owned();
    let data_dest = dir.join(&data_name);
    std::fs::rename(&summary.data_path, &data_dest)
        .with_context(|| format!("cannot move the twin's data into {}", data_dest.display()))?;
    std::fs::rename(&staged, path)
        .with_context(|| format!("cannot move the ONNX twin into {}", path.display()))?;
    crate::output::sync_dir(dir);
    Ok(data_dest)
}

/// The folder a file is written into (`.` for a bare file name).
pub fn folder_of(path: &Path) -> &Path {
    path.parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
}

/// Writes a synthetic model to `path` via temp file + fsync + rename.
pub fn write_synth_atomically(spec: &SynthSpec, path: &Path) -> Result<()> {
    let dir = folder_of(path);
    let tmp = tempfile::Builder::new()
        .prefix(".edgebench-synth-")
        .suffix(".partial")
        .tempfile_in(dir)
        .with_context(|| format!("cannot create a temporary file in {}", dir.display()))?;
    synth::write_gguf(spec, tmp.path())
        .with_context(|| format!("writing synthetic model for {}", path.display()))?;
    tmp.as_file().sync_all().ok();
    tmp.persist(path)
        .with_context(|| format!("cannot move the synthetic model into {}", path.display()))?;
    crate::output::sync_dir(dir);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specs() {
        let s = parse_spec("medium-q8_0-s7").unwrap();
        assert_eq!(s.seed, 7);
        assert_eq!(parse_spec("tiny-q4_0").unwrap().seed, 42);
        for bad in [
            "tiny",
            "huge-q4_0",
            "tiny-q5",
            "tiny-q4_0-x1",
            "tiny-q4_0-s1-z",
        ] {
            let e = parse_spec(bad).unwrap_err().to_string();
            assert!(e.contains(bad), "{bad}: {e}");
        }
    }
}
