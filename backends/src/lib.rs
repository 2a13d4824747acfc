//! Backends and model artifacts for edgebench: the `Backend` trait that every
//! inference engine plugs into, the llama.cpp and mock implementations, and the
//! model-file code (GGUF checks before native code sees a file, synthetic
//! models written by edgebench itself).
#![deny(missing_docs)]

pub mod artifact;
pub mod backend;
#[cfg(feature = "cpu")]
pub mod cpu;
pub mod error;
pub mod footprint;
pub mod gguf;
#[cfg(feature = "llama")]
pub mod llama;
pub mod mock;
#[cfg(feature = "onnx")]
pub mod onnx;
pub mod onnx_model;
pub mod synth;

pub use backend::{Backend, BackendDescription, Clock, ContextSettings, KvType, LoadSettings};
pub use error::BackendError;

use std::fmt;
use std::path::Path;
use std::str::FromStr;

/// The backends this project knows, compiled in or not. A backend left out
/// of the build still exists here and fails with "not compiled in", so the
/// CLI looks the same in every build.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum BackendKind {
    /// llama.cpp via llama-cpp-2 (cargo feature `llama`).
    LlamaCpp,
    /// Pure-Rust CPU backend on candle (cargo feature `cpu`).
    Cpu,
    /// Deterministic mock for tests.
    Mock,
}

impl BackendKind {
    /// Every known backend, in CLI order.
    pub const ALL: [BackendKind; 3] = [BackendKind::LlamaCpp, BackendKind::Cpu, BackendKind::Mock];

    /// The id used on the command line and in records.
    pub fn id(self) -> &'static str {
        match self {
            BackendKind::LlamaCpp => "llama.cpp",
            BackendKind::Cpu => "cpu",
            BackendKind::Mock => "mock",
        }
    }

    /// Whether this build can run it.
    pub fn compiled_in(self) -> bool {
        match self {
            BackendKind::LlamaCpp => cfg!(feature = "llama"),
            BackendKind::Cpu => cfg!(feature = "cpu"),
            BackendKind::Mock => true,
        }
    }

    /// Loads `model` (already validated by [`gguf::inspect`]) into this backend.
    ///
    /// `mock` is the mock backend's configuration (ignored by others); the
    /// mock takes the vocabulary and BOS token from the GGUF header instead
    /// of loading weights.
    pub fn load(
        self,
        model: &Path,
        info: &gguf::GgufInfo,
        settings: &LoadSettings,
        mock: &mock::MockConfig,
    ) -> Result<Box<dyn Backend>, BackendError> {
        match self {
            BackendKind::Mock => Ok(Box::new(mock::MockBackend::new(
                mock.clone(),
                info.n_vocab.unwrap_or(32_000),
                if info.add_bos_token.unwrap_or(true) {
                    info.bos_token_id
                } else {
                    None
                },
            ))),
            #[cfg(feature = "cpu")]
            BackendKind::Cpu => Ok(Box::new(cpu::CpuBackend::load(model, info, settings)?)),
            #[cfg(not(feature = "cpu"))]
            BackendKind::Cpu => Err(BackendError::NotCompiledIn {
                backend: self.id().into(),
                feature: "cpu".into(),
            }),
            #[cfg(feature = "llama")]
            BackendKind::LlamaCpp => Ok(Box::new(llama::LlamaCppBackend::load(model, settings)?)),
            #[cfg(not(feature = "llama"))]
            BackendKind::LlamaCpp => {
                let _ = (model, settings);
                Err(BackendError::NotCompiledIn {
                    backend: self.id().into(),
                    feature: "llama".into(),
                })
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
            other => Err(BackendError::Unknown(other.to_string())),
        }
    }
}
