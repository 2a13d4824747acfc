//! Device profiles: a TOML file that says what a device is, which models to
//! run on it, the case matrix, the SLOs it must meet, and the inputs of
//! sustained runs and the cost model. docs/profiles.md documents every key.
//!
//! Parsing is strict: unknown keys and wrong types are refused as
//! `file:line:col: what is wrong; what is allowed`, and after parsing every
//! semantic problem is collected and reported at once
//! ([`ProfileError::Invalid`]). Relative model paths are resolved against the
//! profile's folder and may not leave it through `..`.
use std::path::Path;

use serde::Serialize;

mod checker;
mod duration;
mod error;
mod load;
mod matrix;
mod metric;
mod paths;
mod raw;
mod slos;
mod sustained_cost;
mod types;
mod validate;

pub use error::ProfileError;
pub use metric::{SloMetric, Stat, SummaryMetric};
pub use types::{
    Artifact, ArtifactFormat, Cooldown, Cost, Device, DeviceClass, Load, LoadTrace, MatrixSpec,
    ModelEntry, Slo, SloOp, Sustained, SynthRef,
};

/// The text of `profiles/local.toml`, built into the binary: synthetic models
/// only, so it runs on any machine without downloads.
pub const EMBEDDED_LOCAL: &str = include_str!("../../../profiles/local.toml");

/// The name [`Profile::embedded_local`] gives the embedded profile in
/// messages and records.
pub const EMBEDDED_LOCAL_ORIGIN: &str = "<embedded>/local.toml";

/// Backend ids a profile may name. Ids a build lacks (ONNX Runtime, the CPU
/// backend, some execution providers) are accepted and reported as
/// unavailable when a sweep runs, never silently replaced. The registry is
/// `edgebench_backends::BackendKind` (devices may not depend on backends);
/// harness/tests/registry.rs fails when the two lists differ, and sweeps
/// turn these ids into that enum as they plan.
pub const KNOWN_BACKENDS: [&str; 11] = [
    "llama.cpp",
    "cpu",
    "mock",
    "onnx:cpu",
    "onnx:cuda",
    "onnx:tensorrt",
    "onnx:openvino",
    "onnx:coreml",
    "onnx:qnn",
    "onnx:xnnpack",
    "onnx:directml",
];

/// Precisions `[device] peak_tflops` may give (TFLOPS, or TOPS for the
/// integer ones); `_sparse` marks a 2:4 structured-sparsity figure.
pub const PEAK_PRECISIONS: [&str; 16] = [
    "fp64",
    "fp32",
    "tf32",
    "fp16",
    "bf16",
    "fp8",
    "int8",
    "int4",
    "fp64_sparse",
    "fp32_sparse",
    "tf32_sparse",
    "fp16_sparse",
    "bf16_sparse",
    "fp8_sparse",
    "int8_sparse",
    "int4_sparse",
];

/// Synthetic model size presets (`synth = { preset = ... }`).
pub const SYNTH_PRESETS: [&str; 3] = ["tiny", "small", "medium"];

/// Synthetic model weight types (`synth = { quant = ... }`).
pub const SYNTH_QUANTS: [&str; 11] = [
    "q4_0", "q8_0", "q4_1", "q5_0", "q4_k_m", "q4_k_s", "q5_k_m", "q6_k", "f16", "bf16", "f32",
];

/// A validated device profile.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Profile {
    /// Where it came from, as messages name it: the path given to
    /// [`Profile::load`], or [`EMBEDDED_LOCAL_ORIGIN`].
    pub origin: String,
    /// `[device]`.
    pub device: Device,
    /// `[[model]]` entries, in file order.
    pub models: Vec<ModelEntry>,
    /// `[matrix]`.
    pub matrix: MatrixSpec,
    /// `[[slo]]` entries, in file order.
    pub slos: Vec<Slo>,
    /// `[sustained]`, when given.
    pub sustained: Option<Sustained>,
    /// `[load]`, when given.
    pub load: Option<Load>,
    /// `[cost]`, when given.
    pub cost: Option<Cost>,
    /// `[onnx]`: ONNX Runtime settings (defaults when absent).
    pub onnx: OnnxSettings,
}

/// ONNX Runtime settings of a profile (`[onnx]`).
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct OnnxSettings {
    /// Graph optimisation level: disable, basic, extended, all.
    pub graph_optimization: Option<String>,
    /// Provider options by provider id (`cuda`, `qnn`...), values as text.
    pub ep_options: std::collections::BTreeMap<String, std::collections::BTreeMap<String, String>>,
}

impl Profile {
    /// Reads and validates the profile at `path`. Relative model paths are
    /// resolved against the file's folder (its canonical absolute path);
    /// messages name the file as `path` is written.
    pub fn load(path: &Path) -> Result<Profile, ProfileError> {
        let text = std::fs::read_to_string(path).map_err(|source| ProfileError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        let parent = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        // The file was just read, so its folder exists: canonical is exact.
        let base = std::fs::canonicalize(parent)
            .or_else(|_| std::path::absolute(parent))
            .unwrap_or_else(|_| parent.to_path_buf());
        Profile::parse(&text, &path.display().to_string(), &base)
    }

    /// Parses and validates profile `text`. `origin` names it in messages
    /// (e.g. its path); `base_dir` is the folder relative model paths are
    /// resolved against.
    pub fn parse(text: &str, origin: &str, base_dir: &Path) -> Result<Profile, ProfileError> {
        let raw: raw::RawProfile =
            toml::from_str(text).map_err(|e| syntax_error(text, origin, &e))?;
        validate::check(raw, text, origin, base_dir)
    }

    /// The embedded `profiles/local.toml` ([`EMBEDDED_LOCAL`]), named
    /// [`EMBEDDED_LOCAL_ORIGIN`]. It names no files, so no folder is needed.
    ///
    /// The text is fixed at build time and a test parses it, so this cannot
    /// fail in a released build; should it ever, the error is returned
    /// rather than a panic, through [`Profile::try_embedded_local`].
    pub fn embedded_local() -> Profile {
        match Profile::try_embedded_local() {
            Ok(p) => p,
            // Covered by tests/profile_shipped.rs; a build where this fails
            // is a build error, not a user error.
            Err(e) => unreachable!("the embedded local.toml must parse: {e}"),
        }
    }

    /// [`Profile::embedded_local`], returning the error instead.
    pub fn try_embedded_local() -> Result<Profile, ProfileError> {
        Profile::parse(EMBEDDED_LOCAL, EMBEDDED_LOCAL_ORIGIN, Path::new("."))
    }

    /// The model entry with `id`.
    pub fn model(&self, id: &str) -> Option<&ModelEntry> {
        self.models.iter().find(|m| m.id == id)
    }
}

/// A toml error as `origin:line:col: what is wrong; what is allowed`.
fn syntax_error(text: &str, origin: &str, e: &toml::de::Error) -> ProfileError {
    let Some(span) = e.span() else {
        return ProfileError::Syntax {
            origin: origin.to_owned(),
            line: 0,
            col: 0,
            message: error::reword(e.message(), None),
            snippet: String::new(),
        };
    };
    let (line, col) = error::line_col(text, span.start);
    let place = error::place_at(text, span.start);
    ProfileError::Syntax {
        origin: origin.to_owned(),
        line,
        col,
        message: error::reword(e.message(), Some(&place)),
        snippet: error::snippet(text, &span),
    }
}
