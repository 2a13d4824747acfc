//! Errors a backend returns; each names what failed and what to do.
use std::path::PathBuf;

/// A backend could not do what was asked.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BackendError {
    /// This build of edgebench does not include the backend.
    #[error(
        "backend '{backend}' is not compiled into this edgebench; rebuild with `--features {feature}`"
    )]
    NotCompiledIn {
        /// Backend id.
        backend: String,
        /// Cargo feature that enables it.
        feature: String,
    },
    /// Unknown backend id.
    #[error("unknown backend '{0}'; available: llama.cpp, cpu, mock")]
    Unknown(String),
    /// The engine refused to load the model file.
    #[error("{backend} could not load {path}: {detail}")]
    Load {
        /// Backend id.
        backend: String,
        /// Model file.
        path: PathBuf,
        /// What the engine said.
        detail: String,
    },
    /// The execution context (KV cache, threads) could not be created.
    #[error("{backend} could not create a context ({detail})")]
    Context {
        /// Backend id.
        backend: String,
        /// What the engine said, and the settings that failed.
        detail: String,
    },
    /// Running tokens failed.
    #[error("{backend} failed during {stage}: {detail}")]
    Run {
        /// Backend id.
        backend: String,
        /// "prefill" or "decode".
        stage: &'static str,
        /// What the engine said.
        detail: String,
    },
    /// The execution provider (or the runtime library) this backend needs is
    /// not available on this machine: recorded as `ep_unavailable`.
    #[error("{backend} is unavailable on this machine (ep_unavailable): {detail}")]
    EpUnavailable {
        /// Backend id, e.g. `onnx:cuda`.
        backend: String,
        /// What is missing and how to get it.
        detail: String,
    },
    /// The backend cannot do this at all (not a failure of this run).
    #[error("unsupported: {what} on {backend}; {hint}")]
    Unsupported {
        /// Backend id.
        backend: String,
        /// What was asked, e.g. `concurrency > 1`.
        what: String,
        /// What to do instead.
        hint: String,
    },
    /// A failure the mock backend was asked to produce.
    #[error("mock backend: injected failure at {0}")]
    Injected(String),
    /// Bad backend options (e.g. a malformed mock spec).
    #[error("{0}")]
    Options(String),
}
