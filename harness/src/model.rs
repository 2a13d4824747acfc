//! A model for a backend: the `-m` spec resolved to a file (a `synth:`
//! model written into the cache, as GGUF or as its ONNX twin for the
//! backend that runs ONNX), checked by edgebench's own readers before any
//! backend sees it, hashed, and described for the record.
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use edgebench_backends::footprint::ModelFootprint;
use edgebench_backends::{BackendKind, ModelMeta, artifact};
use edgebench_formats::{gguf, onnx_model};
use edgebench_reports::record::ModelInfo;

use crate::cache;
use crate::plan::ModelSource;

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
pub fn is_onnx_path(path: &Path) -> bool {
    path.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("onnx"))
}

/// edgebench's own check of a model file, before any backend sees it.
pub fn inspect_file(path: &Path) -> Result<ModelMeta> {
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
fn model_sha256(path: &Path, meta: &ModelMeta) -> std::io::Result<String> {
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

/// Finds (or writes) the GGUF model file and checks it before any backend
/// sees it.
pub fn resolve_model(source: &ModelSource) -> Result<ResolvedModel> {
    resolve_model_for(source, None)
}
