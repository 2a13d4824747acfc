//! Synthetic models written once into the user's cache folder and reused.
//!
//! Folder: `$EDGEBENCH_CACHE_DIR`, else the XDG cache dir
//! (`$XDG_CACHE_HOME/edgebench/models`, `~/.cache/edgebench/models` on Linux).
//! The file name is keyed by preset, quant, seed and the generator's format
//! version, so a changed generator never reuses a stale file.
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use edgebench_backends::synth::{self, SynthSpec};

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
                (presets tiny, small, medium; quants q4_0, q8_0, f16, f32)";
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

/// Writes a synthetic model to `path` via temp file + fsync + rename.
pub fn write_synth_atomically(spec: &SynthSpec, path: &Path) -> Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
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
