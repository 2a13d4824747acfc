//! Backends for edgebench: the `Backend` trait that every inference engine
//! plugs into and its implementations (llama.cpp, ONNX Runtime with its
//! execution providers, the pure-Rust `cpu` backend on candle, and the mock),
//! plus model artifacts (hashes) and memory footprints. The file formats
//! ([`gguf`], [`onnx_model`]) live in `edgebench-formats` and the synthetic
//! models ([`synth`]) in `edgebench-synth`; both are re-exported here.
#![deny(missing_docs)]

pub mod artifact;
pub mod backend;
#[cfg(feature = "cpu")]
pub mod cpu;
pub mod ep;
pub mod error;
pub mod footprint;
#[cfg(feature = "llama")]
pub mod llama;
pub mod llama_build;
pub mod memory_need;
pub mod mock;
#[cfg(feature = "onnx")]
pub mod onnx;

pub use backend::{
    Backend, BackendDescription, Clock, ContextSettings, KvType, LoadSettings, OnnxLoadSettings,
    SeqChunk, no_batching,
};
pub use edgebench_formats::{gguf, onnx_model};
pub use edgebench_synth as synth;
/// The execution providers under their earlier module name.
pub use ep as onnx_ep;
pub use ep::{Ep, GraphOpt};
pub use error::BackendError;

use std::fmt;
use std::path::Path;
use std::str::FromStr;

/// What edgebench's own checks read from a model file before any backend
/// sees it: the GGUF header, or the ONNX graph's inputs, outputs and
/// initializers.
// One per model file, so the GGUF variant's size does not matter; boxing it
// would change the API every caller matches on.
#[derive(Debug, Clone)]
#[allow(clippy::large_enum_variant)]
pub enum ModelMeta {
    /// A GGUF file (llama.cpp, cpu).
    Gguf(gguf::GgufInfo),
    /// An ONNX file (onnx:<ep>).
    Onnx(Box<onnx_model::OnnxInfo>),
}

impl ModelMeta {
    /// "GGUF" or "ONNX".
    pub fn format_name(&self) -> &'static str {
        match self {
            ModelMeta::Gguf(_) => "GGUF",
            ModelMeta::Onnx(_) => "ONNX",
        }
    }

    /// Vocabulary size when the file says it.
    pub fn n_vocab(&self) -> Option<u32> {
        match self {
            ModelMeta::Gguf(i) => i.n_vocab,
            ModelMeta::Onnx(i) => i
                .metadata
                .get("vocab_size")
                .and_then(|v| v.trim().parse().ok())
                .or_else(|| {
                    i.value("logits").and_then(|v| match v.dims.last() {
                        Some(onnx_model::Dim::Fixed(n)) if *n > 0 => u32::try_from(*n).ok(),
                        _ => None,
                    })
                }),
        }
    }

    /// The BOS token when the file declares one and wants it first.
    pub fn bos_token(&self) -> Option<u32> {
        match self {
            ModelMeta::Gguf(i) => i.bos_token_id.filter(|_| i.add_bos_token.unwrap_or(true)),
            ModelMeta::Onnx(i) => {
                let add = i
                    .metadata
                    .get("add_bos_token")
                    .is_none_or(|v| v.trim().eq_ignore_ascii_case("true") || v.trim() == "1");
                i.metadata
                    .get("bos_token_id")
                    .and_then(|v| v.trim().parse().ok())
                    .filter(|_| add)
            }
        }
    }
}

/// The backends this project knows, compiled in or not. A backend left out
/// of the build still exists here and fails with "not compiled in", so the
/// CLI looks the same in every build.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum BackendKind {
    /// llama.cpp via llama-cpp-2 (cargo feature `llama`).
    LlamaCpp,
    /// Pure-Rust CPU backend on candle (cargo feature `cpu`).
    Cpu,
    /// ONNX Runtime with an execution provider (cargo feature `onnx`).
    Onnx(Ep),
    /// Deterministic mock for tests.
    Mock,
}

impl BackendKind {
    /// Every known backend, in CLI order (ONNX Runtime once per provider).
    pub const ALL: [BackendKind; 11] = [
        BackendKind::LlamaCpp,
        BackendKind::Cpu,
        BackendKind::Onnx(Ep::Cpu),
        BackendKind::Onnx(Ep::Cuda),
        BackendKind::Onnx(Ep::TensorRt),
        BackendKind::Onnx(Ep::Qnn),
        BackendKind::Onnx(Ep::CoreMl),
        BackendKind::Onnx(Ep::Xnnpack),
        BackendKind::Onnx(Ep::OpenVino),
        BackendKind::Onnx(Ep::DirectMl),
        BackendKind::Mock,
    ];

    /// The id used on the command line and in records.
    pub fn id(self) -> &'static str {
        match self {
            BackendKind::LlamaCpp => "llama.cpp",
            BackendKind::Cpu => "cpu",
            BackendKind::Onnx(ep) => ep.backend_id(),
            BackendKind::Mock => "mock",
        }
    }

    /// Whether this build can run it.
    pub fn compiled_in(self) -> bool {
        match self {
            BackendKind::LlamaCpp => cfg!(feature = "llama"),
            BackendKind::Cpu => cfg!(feature = "cpu"),
            BackendKind::Onnx(_) => cfg!(feature = "onnx"),
            BackendKind::Mock => true,
        }
    }

    /// The model format this backend runs (the mock takes either).
    pub fn runs_onnx(self) -> bool {
        matches!(self, BackendKind::Onnx(_))
    }

    /// Whether the engine fixes its CPU thread count once per process (candle
    /// sizes its worker pool at first use): a planner gives each thread
    /// count of such a backend its own process, and a later case asking
    /// another count is refused.
    pub fn one_thread_count_per_process(self) -> bool {
        matches!(self, BackendKind::Cpu)
    }

    /// Makes this process ready to run the backend with `threads` CPU
    /// threads, for engines whose thread pool is process-wide; a no-op for
    /// the others.
    ///
    /// # Safety
    /// May change the process environment: call it before the process starts
    /// any other thread.
    pub unsafe fn prepare_process(self, threads: u32) {
        #[cfg(feature = "cpu")]
        if self == BackendKind::Cpu {
            // SAFETY: the caller guarantees no other thread exists yet.
            unsafe { cpu::pin_threads(threads) };
        }
        #[cfg(not(feature = "cpu"))]
        let _ = threads;
    }

    /// Loads `model` (already checked by [`gguf::inspect`] or
    /// [`onnx_model::inspect`]) into this backend.
    ///
    /// `mock` is the mock backend's configuration (ignored by others); the
    /// mock takes the vocabulary and BOS token from the file's metadata
    /// instead of loading weights.
    pub fn load(
        self,
        model: &Path,
        meta: &ModelMeta,
        settings: &LoadSettings,
        mock: &mock::MockConfig,
    ) -> Result<Box<dyn Backend>, BackendError> {
        if !self.compiled_in() {
            return Err(BackendError::NotCompiledIn {
                backend: self.id().into(),
                feature: match self {
                    BackendKind::LlamaCpp => "llama",
                    BackendKind::Cpu => "cpu",
                    _ => "onnx",
                }
                .into(),
            });
        }
        let wrong_format = |wants: &str| BackendError::Load {
            backend: self.id().into(),
            path: model.to_path_buf(),
            detail: format!(
                "this is an {} file; {} runs {wants} files (give the model's {wants} file, \
                 or use a backend that runs {})",
                meta.format_name(),
                self.id(),
                meta.format_name()
            ),
        };
        match (self, meta) {
            (BackendKind::Mock, _) => Ok(Box::new(mock::MockBackend::new(
                mock.clone(),
                meta.n_vocab().unwrap_or(32_000),
                meta.bos_token(),
            ))),
            (BackendKind::Onnx(_), ModelMeta::Gguf(_)) => Err(wrong_format("ONNX")),
            (BackendKind::LlamaCpp | BackendKind::Cpu, ModelMeta::Onnx(_)) => {
                Err(wrong_format("GGUF"))
            }
            #[cfg(feature = "cpu")]
            (BackendKind::Cpu, ModelMeta::Gguf(info)) => {
                Ok(Box::new(cpu::CpuBackend::load(model, info, settings)?))
            }
            #[cfg(feature = "llama")]
            (BackendKind::LlamaCpp, ModelMeta::Gguf(_)) => {
                Ok(Box::new(llama::LlamaCppBackend::load(model, settings)?))
            }
            #[cfg(feature = "onnx")]
            (BackendKind::Onnx(ep), ModelMeta::Onnx(_)) => {
                let opts = onnx::OnnxOptions {
                    ep,
                    ep_options: settings.onnx.ep_options.iter().cloned().collect(),
                    threads: settings.onnx.threads,
                    graph_optimization: settings.onnx.graph_optimization,
                };
                Ok(Box::new(onnx::OnnxBackend::load(model, &opts)?))
            }
            #[allow(unreachable_patterns)]
            _ => {
                let _ = settings;
                unreachable!("checked by compiled_in")
            }
        }
    }
}

impl fmt::Display for BackendKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

impl FromStr for BackendKind {
    type Err = BackendError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "llama.cpp" | "llama" | "llamacpp" => Ok(BackendKind::LlamaCpp),
            "cpu" => Ok(BackendKind::Cpu),
            "mock" => Ok(BackendKind::Mock),
            "onnx" => Ok(BackendKind::Onnx(Ep::Cpu)),
            other => match other.strip_prefix("onnx:") {
                Some(ep) => Ok(BackendKind::Onnx(ep.parse()?)),
                None => Err(BackendError::Unknown(other.to_string())),
            },
        }
    }
}
