//! The validated profile sections: what a sweep reads after parsing.
//!
//! Every value here has passed validation (see `validate.rs`); units are in
//! the field names. docs/profiles.md documents the TOML keys they come from.
use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Serialize;

use super::metric::SloMetric;

/// What kind of machine a profile describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum DeviceClass {
    /// A rack or edge server.
    Server,
    /// A desktop or workstation.
    Desktop,
    /// A laptop.
    Laptop,
    /// A single-board computer (Raspberry Pi, Orange Pi, ...).
    Sbc,
    /// An NVIDIA Jetson module or developer kit.
    Jetson,
    /// A phone or tablet.
    Phone,
    /// A PC with a neural processing unit (Copilot+ PC, Ryzen AI, ...).
    #[serde(rename = "npu-pc")]
    NpuPc,
}

impl DeviceClass {
    /// Every class, in documentation order.
    pub const ALL: [DeviceClass; 7] = [
        DeviceClass::Server,
        DeviceClass::Desktop,
        DeviceClass::Laptop,
        DeviceClass::Sbc,
        DeviceClass::Jetson,
        DeviceClass::Phone,
        DeviceClass::NpuPc,
    ];

    /// The name used in profiles and records, e.g. `sbc`, `npu-pc`.
    pub const fn as_str(self) -> &'static str {
        match self {
            DeviceClass::Server => "server",
            DeviceClass::Desktop => "desktop",
            DeviceClass::Laptop => "laptop",
            DeviceClass::Sbc => "sbc",
            DeviceClass::Jetson => "jetson",
            DeviceClass::Phone => "phone",
            DeviceClass::NpuPc => "npu-pc",
        }
    }

    /// The class named `name`, if it is one (exact, lower case).
    pub fn parse(name: &str) -> Option<DeviceClass> {
        DeviceClass::ALL.into_iter().find(|c| c.as_str() == name)
    }
}

impl std::fmt::Display for DeviceClass {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `[device]`: the machine the profile is for, with its published figures.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Device {
    /// Human name, e.g. "Jetson AGX Orin 64GB Developer Kit".
    pub name: String,
    /// What kind of machine it is.
    pub class: DeviceClass,
    /// CPU, e.g. "12-core Arm Cortex-A78AE @ 2.2 GHz".
    pub cpu: Option<String>,
    /// System on chip, e.g. "Broadcom BCM2712".
    pub soc: Option<String>,
    /// Memory in GB as the vendor states it.
    pub memory_gb: Option<f64>,
    /// Theoretical peak memory bandwidth, GB/s (1e9 bytes per second):
    /// bus bytes x transfer rate.
    pub mem_bandwidth_gbs: Option<f64>,
    /// Peak compute per precision, in TFLOPS (TOPS for integer precisions),
    /// keyed by precision: `fp32`, `fp16`, `int8`, `int8_sparse`, ...
    pub peak_tflops: BTreeMap<String, f64>,
    /// Thermal design power (or maximum module power), watts.
    pub tdp_w: Option<f64>,
    /// Price in US dollars.
    pub price_usd: Option<f64>,
    /// Power mode the figures and runs assume, e.g. nvpmodel "MAXN".
    pub power_mode: Option<String>,
    /// Free text: sources, caveats, cooling.
    pub notes: Option<String>,
}

/// A model file format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum ArtifactFormat {
    /// GGUF (llama.cpp).
    Gguf,
    /// ONNX (ONNX Runtime).
    Onnx,
}

impl ArtifactFormat {
    /// Every format, in profile key order.
    pub const ALL: [ArtifactFormat; 2] = [ArtifactFormat::Gguf, ArtifactFormat::Onnx];

    /// The profile key and the name in records: `gguf`, `onnx`.
    pub const fn as_str(self) -> &'static str {
        match self {
            ArtifactFormat::Gguf => "gguf",
            ArtifactFormat::Onnx => "onnx",
        }
    }
}

impl std::fmt::Display for ArtifactFormat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One file of a model in one format.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Artifact {
    /// The file's format.
    pub format: ArtifactFormat,
    /// The path, resolved: relative paths in the profile are joined to the
    /// profile's folder (made absolute when the profile was loaded from a file).
    pub path: PathBuf,
    /// The pinned sha256 (64 lower-case hex digits), when the profile pins one;
    /// a file that differs is refused (`artifact_mismatch`).
    pub sha256: Option<String>,
}

/// A synthetic model edgebench writes into its cache itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SynthRef {
    /// Size preset: `tiny`, `small` or `medium`.
    pub preset: String,
    /// Weight type: `q4_0`, `q8_0`, `f16` or `f32`.
    pub quant: String,
    /// Weight seed (default 42).
    pub seed: u64,
}

impl SynthRef {
    /// The spec as the command line writes it, e.g. `tiny-q4_0-s42`
    /// (`edgebench run -m synth:tiny-q4_0-s42`).
    pub fn spec(&self) -> String {
        format!("{}-{}-s{}", self.preset, self.quant, self.seed)
    }
}

/// `[[model]]`: one model, as files the user brings or as a synthetic model.
///
/// Exactly one of the two is set: `artifacts` is non-empty, or `synth` is Some.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ModelEntry {
    /// The id SLO filters and records use, unique within the profile.
    pub id: String,
    /// The same model in one or more formats (one file per format).
    pub artifacts: Vec<Artifact>,
    /// The synthetic model, when the entry is one.
    pub synth: Option<SynthRef>,
    /// The f16/f32 file of the same weights its quality is measured
    /// against (`reference = "path"`); synthetic models default to their
    /// f32 synth of the same preset and seed.
    pub reference: Option<std::path::PathBuf>,
}

impl ModelEntry {
    /// What its quality is measured against: the `reference` file, else
    /// for a synthetic model of a quantised type the f32 synth of the same
    /// preset and seed (`synth:tiny-f32-s42`); None for a float model
    /// without one (it is a reference itself) or a file model without one.
    pub fn quality_reference(&self) -> Option<String> {
        if let Some(r) = &self.reference {
            return Some(r.display().to_string());
        }
        let s = self.synth.as_ref()?;
        (!matches!(s.quant.as_str(), "f32" | "f16" | "bf16"))
            .then(|| format!("synth:{}-f32-s{}", s.preset, s.seed))
    }

    /// The artifact in `format`, if the entry has one.
    pub fn artifact(&self, format: ArtifactFormat) -> Option<&Artifact> {
        self.artifacts.iter().find(|a| a.format == format)
    }
}

/// `[matrix]`: the cases to run, the product of every list.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MatrixSpec {
    /// Backend ids, e.g. "llama.cpp", "onnx:cpu". Ids this build lacks are
    /// accepted here and reported as unavailable when the sweep runs.
    pub backends: Vec<String>,
    /// CPU thread counts.
    pub threads: Vec<u32>,
    /// Prompt lengths (tokens).
    pub n_prompt: Vec<u32>,
    /// Tokens to generate (0 = prefill only).
    pub n_gen: Vec<u32>,
    /// Context depths: tokens already in the KV cache (default `[0]`).
    pub n_depth: Vec<u32>,
    /// Measured repetitions per case (default 5).
    pub reps: u32,
    /// Unrecorded warm-up repetitions per case (default 1).
    pub warmup: u32,
    /// Time limit per case in seconds (default 600).
    pub timeout_s: f64,
    /// Logical batch size (default 2048).
    pub batch: u32,
    /// Physical micro-batch size (default 512).
    pub ubatch: u32,
    /// Layers to offload to a GPU (llama.cpp `-ngl`); None = backend default.
    pub n_gpu_layers: Option<u32>,
    /// Least measured time (sum of the repetitions' end-to-end times) for a
    /// case to count; a shorter one is `invalid` (`[matrix] min_duration`).
    pub min_duration_s: Option<f64>,
    /// Hottest sensor allowed at a case's start, °C; a case that starts
    /// hotter is `invalid` (`[matrix] max_start_temp_c`).
    pub max_start_temp_c: Option<f64>,
    /// Run the memory-bandwidth probe once before the model cases
    /// (`[matrix] bandwidth`, default true), so the sweep carries the
    /// device's measured bandwidth and every case its decode ceiling.
    pub bandwidth: bool,
    /// After the matrix, measure each quantised model's quality against
    /// its reference (`[matrix] quality`, default false; `edgebench
    /// quality` on the GGUF backends that ran it, docs/quality.md).
    pub quality: bool,
    /// Wait before each case until the device has cooled down
    /// (`[matrix] cooldown`); None = start at once.
    pub cooldown: Option<Cooldown>,
    /// Run cases the memory pre-flight says cannot fit (`[matrix] force`,
    /// default false); their records say they were forced.
    pub force: bool,
    /// Run contexts longer than the model's training context
    /// (`[matrix] allow_long_context`, default false).
    pub allow_long_context: bool,
}

/// `[matrix] cooldown`: before each case, wait until the hottest sensor is
/// below `max_temp_c`; after `timeout_s` the case runs anyway and is `invalid`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, serde::Deserialize)]
pub struct Cooldown {
    /// Hottest sensor allowed at a case's start, °C.
    pub max_temp_c: f64,
    /// Longest wait, seconds (default 600).
    pub timeout_s: f64,
}

/// Direction of an SLO limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[non_exhaustive]
pub enum SloOp {
    /// The measured value must be at most the threshold (latencies, memory).
    #[serde(rename = "<=")]
    AtMost,
    /// The measured value must be at least the threshold (throughputs).
    #[serde(rename = ">=")]
    AtLeast,
}

impl SloOp {
    /// `<=` or `>=`.
    pub const fn as_str(self) -> &'static str {
        match self {
            SloOp::AtMost => "<=",
            SloOp::AtLeast => ">=",
        }
    }

    /// The op written `s`, if it is `<=` or `>=`.
    pub fn parse(s: &str) -> Option<SloOp> {
        match s {
            "<=" => Some(SloOp::AtMost),
            ">=" => Some(SloOp::AtLeast),
            _ => None,
        }
    }

    /// How far `measured` is inside the limit: positive when it passes,
    /// negative when it fails, in the metric's unit.
    pub fn margin(self, measured: f64, threshold: f64) -> f64 {
        match self {
            SloOp::AtMost => threshold - measured,
            SloOp::AtLeast => measured - threshold,
        }
    }

    /// Whether `measured` meets the limit (a value on the limit passes).
    pub fn holds(self, measured: f64, threshold: f64) -> bool {
        self.margin(measured, threshold) >= 0.0
    }
}

impl std::fmt::Display for SloOp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `[[slo]]`: a service-level objective checked against every matching case.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Slo {
    /// Name shown in verdicts, unique within the profile.
    pub name: String,
    /// Only cases of this model id (None = every model).
    pub model: Option<String>,
    /// Only cases of this backend id (None = every backend).
    pub backend: Option<String>,
    /// What is measured.
    pub metric: SloMetric,
    /// `<=` or `>=`.
    pub op: SloOp,
    /// The limit, in the metric's unit.
    pub threshold: f64,
}

/// `[sustained]`: sustained (thermal) runs a sweep does after its matrix,
/// one per listed model x backend.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Sustained {
    /// How long to generate back to back, seconds (default 600).
    pub duration_s: f64,
    /// Rate window, seconds (default 5).
    pub window_s: f64,
    /// Model ids (default: every `[[model]]`).
    pub models: Vec<String>,
    /// Backend ids (default: the first of `[matrix] backends`).
    pub backends: Vec<String>,
    /// CPU threads (default: the first of `[matrix] threads`).
    pub threads: u32,
    /// Prompt tokens per request (default 128).
    pub n_prompt: u32,
    /// Tokens generated per request (default 128).
    pub n_gen: u32,
    /// Idle time between requests, seconds (default 0).
    pub gap_s: f64,
    /// Telemetry rate, Hz (default 1).
    pub telemetry_hz: f64,
    /// Watch the device cool down after each run (default false).
    pub cooldown_watch: bool,
}

/// `[load]`: open-loop load runs a sweep does after its matrix, one per
/// listed model x backend (`edgebench load` in a child process): a run
/// per concurrency x rate, and the capacity at the latency limits.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Load {
    /// Model ids (default: every `[[model]]`).
    pub models: Vec<String>,
    /// Backend ids (default: the first of `[matrix] backends`).
    pub backends: Vec<String>,
    /// CPU threads (default: the first of `[matrix] threads`).
    pub threads: u32,
    /// Prompt tokens per request: fixed (default 128) or a range drawn
    /// from per request.
    pub n_prompt: crate::load_lengths::LenRange,
    /// Tokens generated per request (default 32), as `n_prompt`.
    pub n_gen: crate::load_lengths::LenRange,
    /// A trace of request lengths replayed instead of `n_prompt`/`n_gen`
    /// (resolved against the profile's folder; read and checked when the
    /// profile is).
    pub trace: Option<LoadTrace>,
    /// Each run's arrivals span this long, s, instead of `requests`.
    pub duration_s: Option<f64>,
    /// Most tokens in one batched step above concurrency 1 (default:
    /// the context's batch).
    pub step_tokens: Option<u32>,
    /// Requests served at once, each (default [1]; 1 to 256).
    pub concurrency: Vec<u32>,
    /// Arrival rates to run, requests/s (default none: the capacity
    /// search alone).
    pub rates: Vec<f64>,
    /// `poisson` (default) or `constant`.
    pub arrival: String,
    /// Requests per run (default 100).
    pub requests: u32,
    /// A request queued longer is dropped, seconds (default 60).
    pub queue_timeout_s: f64,
    /// Search the capacity at each concurrency (default true).
    pub capacity: bool,
    /// Latency limits, ms, whose p99 must hold: given here, else from the
    /// profile's unfiltered `ttft_ms.p99` / `itl_ms.p99` / `e2e_ms.p99`
    /// SLOs with `<=`.
    pub ttft_ms: Option<f64>,
    /// See `ttft_ms`.
    pub itl_ms: Option<f64>,
    /// See `ttft_ms`.
    pub e2e_ms: Option<f64>,
    /// Wall-clock budget of one model x backend's load run, seconds
    /// (default 1800): past it the run is killed and recorded `timeout`.
    pub budget_s: f64,
}

/// `[load] trace`: the file and the lengths it held when the profile was read.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LoadTrace {
    /// The file (absolute, or relative to the working folder as written
    /// against the profile's folder).
    pub path: std::path::PathBuf,
    /// (prompt tokens, generated tokens) per line.
    pub lengths: Vec<(u32, u32)>,
}

impl Load {
    /// The longest prompt and generation a request of this section has:
    /// what one sequence's context must hold.
    pub fn max_lengths(&self) -> (u32, u32) {
        match &self.trace {
            Some(t) => (
                t.lengths.iter().map(|l| l.0).max().unwrap_or(1),
                t.lengths.iter().map(|l| l.1).max().unwrap_or(1),
            ),
            None => (self.n_prompt.hi, self.n_gen.hi),
        }
    }
}

/// `[cost]`: inputs of the edge-versus-cloud cost model (docs/metrics.md).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Cost {
    /// Hardware cost per device, USD (default: `[device] price_usd`).
    pub capex_usd: f64,
    /// Monthly upkeep per device (power, connectivity, support), USD (default 0).
    pub lifecycle_usd_per_month: f64,
    /// One-off engineering cost, USD (default 0).
    pub engineering_usd: f64,
    /// Horizon of the comparison, months (default 36).
    pub horizon_months: f64,
    /// What the cloud alternative costs per query, USD.
    pub cloud_cost_per_query_usd: f64,
    /// Expected queries per month, when known.
    pub monthly_queries: Option<f64>,
    /// Where the figures come from, shown beside them in the report (e.g.
    /// "illustrative: replace with your own quotes").
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}
