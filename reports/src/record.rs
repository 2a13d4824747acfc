//! The versioned result record: one per measured case, `schema_version` 2
//! (version 1 records are migrated when read: see `load.rs`).
//!
//! This is the contract between measurement (harness) and analysis (reports,
//! comparisons, other tools reading the JSON). Field by field documentation
//! lives here and in docs/results-schema.md; change both together, and bump
//! [`SCHEMA_VERSION`] for anything that is not a pure addition.
use edgebench_devices::HostInfo;
use edgebench_devices::probe::TemperatureReading;
use serde::{Deserialize, Serialize};

use crate::stats::Summary;

/// Schema version written by this build.
pub const SCHEMA_VERSION: u32 = 2;

/// One measured case (model x backend x settings x workload).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Record {
    /// Always [`SCHEMA_VERSION`] when written by this build.
    pub schema_version: u32,
    /// What kind of record this is; `llm` for a model case.
    pub kind: RecordKind,
    /// The edgebench build that measured it.
    pub edgebench: ToolInfo,
    /// The machine it ran on.
    pub host: HostInfo,
    /// The device profile the case ran under (sweeps); None for `run`.
    #[serde(default)]
    pub device: Option<DeviceRef>,
    /// The backend that ran it.
    pub backend: BackendInfo,
    /// The model artifact.
    pub model: ModelInfo,
    /// What was asked of the backend.
    pub workload: Workload,
    /// ok, or what went wrong (see [`Status`]).
    pub status: Status,
    /// Why the status is not `ok` (None when ok).
    pub reason: Option<String>,
    /// When the case started, RFC 3339 UTC, e.g. "2026-11-21T06:30:00.123Z".
    pub timestamp: String,
    /// Every readable temperature sensor as the case started (thermal zones,
    /// hwmon). Empty where the machine exposes none; never zeros.
    #[serde(default)]
    pub thermal_at_start: Vec<TemperatureReading>,
    /// Clocks, governors, power mode, power draw and active throttle flags
    /// as the case started. None in records written before it existed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub telemetry_at_start: Option<edgebench_devices::telemetry::TelemetrySnapshot>,
    /// The measurements, each with its raw samples.
    pub metrics: Metrics,
    /// Decode roofline: bytes a token reads, achieved bandwidth, ceilings,
    /// MBU and MFU (see docs/roofline.md). None when the model's footprint
    /// could not be computed.
    #[serde(default)]
    pub roofline: Option<crate::roofline::Roofline>,
    /// The memory pre-flight of the case: what it was estimated to need
    /// against what the machine had, and whether it was forced to run
    /// anyway. None in records written before it existed (they still read)
    /// and where the model's header lacks what the estimate needs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preflight: Option<Preflight>,
    /// Set when the record was not measured by edgebench but imported
    /// from another tool's output (`edgebench import llama-bench`): which
    /// tool and build, where from, and what it did not measure. None in
    /// edgebench's own records (and in records written before it existed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub imported: Option<Imported>,
    /// A sustained run's series and summary (kind `sustained` only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sustained: Option<crate::sustained::SustainedRun>,
    /// The load runs and capacities, for kind `load`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub load: Option<crate::load_run::LoadRun>,
    /// Things the reader should know about this result (noisy samples,
    /// a slow first repetition, a peak-RSS figure that covers more than this
    /// case...). Each says what to do about it.
    pub warnings: Vec<String>,
}

/// Where an imported record came from (see [`Record::imported`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Imported {
    /// The tool that measured it, e.g. `llama-bench`.
    pub tool: String,
    /// Its version, e.g. `b5163`, when the file says.
    pub version: Option<String>,
    /// The llama.cpp commit it was built from, when the file says.
    pub build_commit: Option<String>,
    /// `file:line` of the row it was read from.
    pub source: String,
    /// Record fields the tool does not measure (left empty in the record).
    pub not_measured: Vec<String>,
    /// Fields of the tool's output this edgebench does not know (kept in
    /// `settings`).
    pub unknown_fields: Vec<String>,
    /// Every setting the row carried, as text (backend flags, KV type,
    /// flash attention, GPU layers, ...).
    pub settings: std::collections::BTreeMap<String, String>,
}

/// The kinds of record in the schema family.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum RecordKind {
    /// An LLM inference case (prefill + decode).
    Llm,
    /// A memory-bandwidth probe ([`crate::bandwidth::BandwidthRecord`]).
    Bandwidth,
    /// A sustained (thermal) run: back-to-back requests for a fixed time,
    /// with its rate series and telemetry in `sustained`.
    Sustained,
    /// A cross-backend conformance check
    /// ([`crate::conformance::ConformanceRecord`]).
    Conformance,
    /// An open-loop load run with its capacity searches, in `load`
    /// ([`crate::load_run::LoadRun`]).
    Load,
}

/// The edgebench build that produced a record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToolInfo {
    /// Crate version, e.g. "0.1.0".
    pub version: String,
    /// Git commit the binary was built from (None outside a git checkout).
    pub commit: Option<String>,
    /// Whether the work tree had uncommitted changes at build time.
    pub dirty: Option<bool>,
}

/// The backend that ran a case, as it describes itself.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BackendInfo {
    /// Backend id as given on the command line: "llama.cpp", "mock", ...
    pub id: String,
    /// Backend version, e.g. llama.cpp's build number and commit.
    pub version: String,
    /// Build features, e.g. ["AVX2", "OPENMP", "cuda"] as the backend reports them.
    pub build_features: Vec<String>,
    /// The device the work actually ran on, e.g. "CPU" or a GPU name.
    pub device: String,
    /// Execution provider actually used (ONNX Runtime), None where not applicable.
    pub execution_provider: Option<String>,
}

/// The device profile a case ran under, as the profile names it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeviceRef {
    /// `[device] name`, e.g. "Jetson AGX Orin 64GB".
    pub name: String,
    /// `[device] class`, e.g. "jetson", "sbc", "laptop".
    pub class: String,
    /// `[device] power_mode` when the profile gives one (e.g. "MAXN").
    pub power_mode: Option<String>,
    /// Path of the profile file ("<embedded>/local.toml" for the built-in one).
    pub profile: String,
}

impl DeviceRef {
    /// The reference to a loaded profile's `[device]`.
    pub fn of(profile: &edgebench_devices::profile::Profile) -> DeviceRef {
        DeviceRef {
            name: profile.device.name.clone(),
            class: profile.device.class.to_string(),
            power_mode: profile.device.power_mode.clone(),
            profile: profile.origin.clone(),
        }
    }
}

/// The model artifact a case ran.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelInfo {
    /// The profile's model id (sweeps); None for `run`.
    #[serde(default)]
    pub id: Option<String>,
    /// Path as given (absolute when edgebench wrote the file itself).
    pub path: String,
    /// Hex sha256 of the file's bytes.
    pub sha256: String,
    /// File size in bytes.
    pub size_bytes: u64,
    /// Parameter count (sum of tensor elements).
    pub n_params: u64,
    /// Quantisation, e.g. "Q4_0", "Q4_K_M", "F16".
    pub quant: String,
    /// Architecture, e.g. "llama".
    pub arch: String,
    /// Transformer blocks.
    pub n_layers: Option<u32>,
    /// Vocabulary size.
    pub n_vocab: Option<u32>,
    /// Context length the model was trained with.
    pub n_ctx_train: Option<u32>,
    /// The synthetic-model spec ("tiny-q4_0-s42") when edgebench wrote the model.
    pub synthetic: Option<String>,
}

/// The memory pre-flight of a case (docs/metrics.md, "Memory pre-flight"):
/// the estimate by part, what the machine had, and the decision.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Preflight {
    /// Estimated bytes in all (weights + KV cache + compute + runtime).
    pub need_bytes: u64,
    /// Model weights as the engine holds them.
    pub weights_bytes: u64,
    /// KV cache at the case's context.
    pub kv_cache_bytes: u64,
    /// Compute buffers of the largest step.
    pub compute_bytes: u64,
    /// The engine's fixed allowance.
    pub runtime_bytes: u64,
    /// Tokens of context (depth + prompt + gen).
    pub n_ctx: u64,
    /// Memory available as the case was planned (None: unknown on this OS;
    /// the check was then skipped).
    pub available_bytes: Option<u64>,
    /// Where `available_bytes` comes from (MemAvailable or a cgroup limit).
    pub available_source: Option<String>,
    /// The model's training context, when its header gives it.
    pub n_ctx_train: Option<u32>,
    /// True when the case ran although the pre-flight refused it (`--force`
    /// / `[matrix] force`, `--allow-long-context` / `[matrix]
    /// allow_long_context`): its figures were measured past the estimate or
    /// the training context.
    pub forced: bool,
}

/// The shape of a test: what is timed.
///
/// `pp`, `tg` and `pg` are llama-bench's tests and mean what they mean
/// there; `request` is edgebench's own, the shape sweeps, SLOs and the cost
/// model use (a prompt, then generation from its logits, so it has TTFT).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TestShape {
    /// A user request: the timed prefill of `n_prompt` tokens gives the
    /// first token (TTFT), then `n_gen - 1` decode steps, each from the
    /// previous step's logits. Named `req512+128`.
    #[default]
    Request,
    /// llama-bench's pp test: the timed prefill of `n_prompt` tokens. `pp512`.
    Pp,
    /// llama-bench's tg test: `n_gen` single-token decode steps, the first
    /// from a fresh token, no prompt. `tg128`.
    Tg,
    /// llama-bench's pg test: the prefill of `n_prompt` tokens and then
    /// `n_gen` decode steps, timed together. `pp512+tg128`.
    Pg,
}

impl TestShape {
    /// The llama-bench shape of a (prompt, generated) pair: `pp` without
    /// generation, `tg` without prompt, `pg` with both.
    pub fn llama_bench(n_prompt: u32, n_gen: u32) -> TestShape {
        match (n_prompt, n_gen) {
            (_, 0) => TestShape::Pp,
            (0, _) => TestShape::Tg,
            _ => TestShape::Pg,
        }
    }

    /// The test's name: llama-bench's `pp512`, `tg128`, `pp512+tg128`, or
    /// edgebench's `req512+128`; ` @ d512` when it runs at a depth.
    pub fn test_name(self, n_prompt: u32, n_gen: u32, n_depth: u32) -> String {
        let base = match self {
            TestShape::Request => format!("req{n_prompt}+{n_gen}"),
            TestShape::Pp => format!("pp{n_prompt}"),
            TestShape::Tg => format!("tg{n_gen}"),
            TestShape::Pg => format!("pp{n_prompt}+tg{n_gen}"),
        };
        if n_depth > 0 {
            format!("{base} @ d{n_depth}")
        } else {
            base
        }
    }

    /// "request", "pp", "tg", "pg".
    pub fn id(self) -> &'static str {
        match self {
            TestShape::Request => "request",
            TestShape::Pp => "pp",
            TestShape::Tg => "tg",
            TestShape::Pg => "pg",
        }
    }
}

/// What was asked of the backend for one case.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Workload {
    /// The test's name, from its shape: "req512+128" (a request), or
    /// llama-bench's "pp512", "tg128", "pp512+tg128"; " @ d512" at a depth.
    pub test: String,
    /// What is timed (schema 2; version 1 records are migrated).
    #[serde(default)]
    pub shape: TestShape,
    /// Prompt tokens processed in the timed prefill (BOS included when the model declares one).
    pub n_prompt: u32,
    /// Tokens generated (the first from the prefill's logits, then n_gen - 1 decode steps).
    pub n_gen: u32,
    /// Tokens already in the KV cache before the prompt (untimed).
    pub n_depth: u32,
    /// Measured repetitions.
    pub reps: u32,
    /// Unrecorded warm-up repetitions run first.
    pub warmup: u32,
    /// CPU threads.
    pub threads: u32,
    /// Logical batch size (tokens per decode call during prefill).
    pub batch: u32,
    /// Physical micro-batch size.
    pub ubatch: u32,
    /// Layers offloaded to a GPU (llama.cpp), None where not applicable.
    pub n_gpu_layers: Option<u32>,
    /// Context size the backend was configured with.
    pub n_ctx: u32,
    /// Seed of the prompt token ids.
    pub seed: u64,
}

/// Outcome of a case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Status {
    /// Measured as asked; metrics are valid.
    Ok,
    /// The backend failed (load, decode...); see `reason`. Metrics hold what
    /// completed before the failure, if anything, and enter no statistics.
    Failed,
    /// Ran, but the result must not be trusted or compared (e.g. fewer tokens
    /// generated than asked); see `reason`.
    Invalid,
    /// The worker process died (signal or abort); `reason` keeps the signal
    /// and the tail of its stderr. Written by sweeps that isolate cases.
    Crashed,
    /// The case ran past its time limit and was killed.
    Timeout,
    /// The worker ran out of memory (killed by the OOM killer or an
    /// allocation failure).
    Oom,
    /// The worker exited without a result or with malformed output.
    ProtocolError,
    /// Stopped by the user (Ctrl-C) mid-case.
    Interrupted,
    /// Not run, on purpose (filtered out, or an earlier problem in its group
    /// makes running it pointless); `reason` says which.
    Skipped,
    /// The requested backend or execution provider is not available in this
    /// build or on this machine; never silently replaced by another.
    EpUnavailable,
    /// The model file's sha256 differs from the one pinned for it.
    ArtifactMismatch,
}

impl Status {
    /// The lower-case name used in JSON and tables.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Failed => "failed",
            Status::Invalid => "invalid",
            Status::Crashed => "crashed",
            Status::Timeout => "timeout",
            Status::Oom => "oom",
            Status::ProtocolError => "protocol_error",
            Status::Interrupted => "interrupted",
            Status::Skipped => "skipped",
            Status::EpUnavailable => "ep_unavailable",
            Status::ArtifactMismatch => "artifact_mismatch",
        }
    }
}

/// Measurements of one case. Latency metrics are in milliseconds, rates in
/// tokens per second; every summary keeps its raw samples.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Metrics {
    /// Time to first token per repetition: start of prompt prefill to the
    /// first generated token's logits being available (device synchronised).
    pub ttft_ms: Option<Summary>,
    /// n_prompt / prefill time, per repetition (mean = mean of rates).
    pub prefill_tps: Option<Summary>,
    /// (n_gen - 1) / (time from first to last token), per repetition;
    /// None when n_gen < 2.
    pub decode_tps: Option<Summary>,
    /// Inter-token latency: every decode step of every repetition.
    pub itl_ms: Option<Summary>,
    /// End to end per repetition: TTFT + all decode steps.
    pub e2e_ms: Option<Summary>,
    /// Model load time (file to ready-to-run), milliseconds. The first load
    /// of a file in a process; a later case reusing the loaded model
    /// repeats the figure of the load it reused.
    pub load_ms: Option<f64>,
    /// Peak resident memory of the measuring process during the case.
    pub peak_rss_bytes: Option<u64>,
    /// Wall time of the whole case in the measuring process (context set-up,
    /// warm-ups, repetitions, untimed depth fills and token picks),
    /// milliseconds. Sweeps compare it with their own wall time to show what
    /// process isolation costs.
    #[serde(default)]
    pub case_wall_ms: Option<f64>,
    /// Tokens generated per repetition (must equal n_gen for an ok case).
    pub tokens_generated: Vec<u32>,
}

impl Record {
    /// Short model label for tables: the profile's model id, else the
    /// synthetic spec, else the file name.
    pub fn model_label(&self) -> String {
        if let Some(id) = &self.model.id {
            return id.clone();
        }
        if let Some(s) = &self.model.synthetic {
            return s.clone();
        }
        std::path::Path::new(&self.model.path)
            .file_name()
            .map(|f| f.to_string_lossy().into_owned())
            .unwrap_or_else(|| self.model.path.clone())
    }
}
