//! One path from a checked model to a loaded backend, for every command
//! that runs one (run, sweep workers, sustained, conform): the process made
//! ready for the backend's thread rule, the load timed, and a failure turned
//! into the status its records get.
use std::fmt;
use std::time::Instant;

use edgebench_backends::mock::MockConfig;
use edgebench_backends::{Backend, BackendError, BackendKind, LoadSettings};
use edgebench_reports::Status;

use crate::model::ResolvedModel;

/// A model loaded into a backend.
pub struct Session {
    /// The loaded engine.
    pub backend: Box<dyn Backend>,
    /// How long loading took, ms (the record's `load_ms`).
    pub load_ms: f64,
}

/// Why a model did not load, and what its cases are recorded as.
#[derive(Debug)]
pub struct LoadFailure {
    /// `ep_unavailable` when the backend or provider is not in this build or
    /// not usable here, else `failed`.
    pub status: Status,
    /// The backend's error.
    pub error: BackendError,
    /// How long the failed attempt took, ms.
    pub load_ms: f64,
}

impl fmt::Display for LoadFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.error.fmt(f)
    }
}

impl std::error::Error for LoadFailure {}

/// Loads `model` into a backend of `kind`.
pub fn load(
    kind: BackendKind,
    model: &ResolvedModel,
    settings: &LoadSettings,
    mock: &MockConfig,
) -> Result<Session, LoadFailure> {
    let t = Instant::now();
    let loaded = kind.load(&model.path, &model.meta, settings, mock);
    let load_ms = t.elapsed().as_secs_f64() * 1e3;
    match loaded {
        Ok(backend) => Ok(Session { backend, load_ms }),
        Err(error) => Err(LoadFailure {
            status: status_of(&error),
            error,
            load_ms,
        }),
    }
}

/// The status of a case whose backend failed to load.
fn status_of(e: &BackendError) -> Status {
    match e {
        BackendError::NotCompiledIn { .. } | BackendError::EpUnavailable { .. } => {
            Status::EpUnavailable
        }
        _ => Status::Failed,
    }
}

/// Makes this process ready to run `kinds` with `threads` CPU threads
/// (an engine with a process-wide pool sizes it here; see
/// [`BackendKind::one_thread_count_per_process`]). Call it from `main`'s
/// thread before anything spawns a thread: flag parsing and job reading do
/// not.
pub fn prepare_process(kinds: &[BackendKind], threads: u32) {
    for kind in kinds {
        // SAFETY: every caller is a subcommand's entry on the main thread,
        // before any other thread exists, so nothing reads the environment
        // concurrently.
        unsafe { kind.prepare_process(threads) };
    }
}
