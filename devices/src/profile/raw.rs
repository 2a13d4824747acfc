//! The profile as written: serde structs that reject unknown keys and wrong
//! types, with the source position of every value kept for later messages.
//!
//! Keys a section needs are `Option` here so that validation can report every
//! missing key at once instead of stopping at the first.
use std::collections::BTreeMap;
use std::fmt;

use serde::Deserialize;
use serde::de::{self, MapAccess, Visitor, value::MapAccessDeserializer};
use toml::Spanned;

/// A value with its byte range in the profile text.
pub(crate) type S<T> = Spanned<T>;

/// The whole file.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawProfile {
    pub device: Option<S<RawDevice>>,
    #[serde(default)]
    pub model: Vec<S<RawModel>>,
    pub matrix: Option<S<RawMatrix>>,
    #[serde(default)]
    pub slo: Vec<S<RawSlo>>,
    pub sustained: Option<S<RawSustained>>,
    pub load: Option<S<RawLoad>>,
    pub cost: Option<S<RawCost>>,
    pub onnx: Option<S<RawOnnx>>,
}

/// `[onnx]`: ONNX Runtime session settings.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawOnnx {
    pub graph_optimization: Option<S<String>>,
    /// `[onnx.ep_options.<ep>]` tables of provider options.
    #[serde(default)]
    pub ep_options: BTreeMap<S<String>, BTreeMap<S<String>, S<toml::Value>>>,
}

/// `[device]`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawDevice {
    pub name: Option<S<String>>,
    pub class: Option<S<String>>,
    pub cpu: Option<S<String>>,
    pub soc: Option<S<String>>,
    pub memory_gb: Option<S<f64>>,
    pub mem_bandwidth_gbs: Option<S<f64>>,
    #[serde(default)]
    pub peak_tflops: BTreeMap<S<String>, S<f64>>,
    pub tdp_w: Option<S<f64>>,
    pub price_usd: Option<S<f64>>,
    pub power_mode: Option<S<String>>,
    pub notes: Option<S<String>>,
}

/// `[[model]]`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawModel {
    pub id: Option<S<String>>,
    pub gguf: Option<S<RawArtifact>>,
    pub onnx: Option<S<RawArtifact>>,
    pub synth: Option<S<RawSynth>>,
    pub reference: Option<S<String>>,
}

/// `gguf = "path"` or `gguf = { path = "...", sha256 = "..." }`.
pub(crate) struct RawArtifact {
    /// The path (None when the table form leaves it out).
    pub path: Option<String>,
    /// Where the path is, in the table form; the string form's position is
    /// the whole value's.
    pub path_span: Option<std::ops::Range<usize>>,
    pub sha256: Option<S<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ArtifactTable {
    path: Option<S<String>>,
    sha256: Option<S<String>>,
}

impl<'de> Deserialize<'de> for RawArtifact {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RawArtifact;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(
                    "a path string or a table { path = \"...\", sha256 = \"<64 hex digits>\" }",
                )
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<RawArtifact, E> {
                Ok(RawArtifact {
                    path: Some(v.to_owned()),
                    path_span: None,
                    sha256: None,
                })
            }

            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<RawArtifact, A::Error> {
                let t = ArtifactTable::deserialize(MapAccessDeserializer::new(map))?;
                Ok(RawArtifact {
                    path_span: t.path.as_ref().map(Spanned::span),
                    path: t.path.map(Spanned::into_inner),
                    sha256: t.sha256,
                })
            }
        }
        deserializer.deserialize_any(V)
    }
}

/// `synth = { preset = "...", quant = "...", seed = 42 }`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawSynth {
    pub preset: Option<S<String>>,
    pub quant: Option<S<String>>,
    pub seed: Option<u64>,
}

/// `[matrix]`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawMatrix {
    pub backends: Option<S<Vec<S<String>>>>,
    pub threads: Option<S<Vec<S<u32>>>>,
    pub n_prompt: Option<S<Vec<S<u32>>>>,
    pub n_gen: Option<S<Vec<S<u32>>>>,
    pub n_depth: Option<S<Vec<S<u32>>>>,
    pub reps: Option<S<u32>>,
    pub warmup: Option<S<u32>>,
    pub timeout: Option<S<RawDuration>>,
    pub batch: Option<S<u32>>,
    pub ubatch: Option<S<u32>>,
    pub n_gpu_layers: Option<S<u32>>,
    pub min_duration: Option<S<RawDuration>>,
    pub max_start_temp_c: Option<S<f64>>,
    pub bandwidth: Option<S<bool>>,
    pub quality: Option<S<bool>>,
    pub cooldown: Option<S<RawCooldown>>,
    pub force: Option<S<bool>>,
    pub allow_long_context: Option<S<bool>>,
}

/// `cooldown = { max_temp_c = 60, timeout_s = 300 }` in `[matrix]`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawCooldown {
    pub max_temp_c: Option<S<f64>>,
    pub timeout_s: Option<S<RawDuration>>,
}

/// `[[slo]]`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawSlo {
    pub name: Option<S<String>>,
    pub model: Option<S<String>>,
    pub backend: Option<S<String>>,
    pub metric: Option<S<String>>,
    pub op: Option<S<String>>,
    pub threshold: Option<S<f64>>,
}

/// `[sustained]`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawSustained {
    pub duration: Option<S<RawDuration>>,
    pub window: Option<S<RawDuration>>,
    pub models: Option<S<Vec<S<String>>>>,
    pub backends: Option<S<Vec<S<String>>>>,
    pub threads: Option<S<u32>>,
    pub n_prompt: Option<S<u32>>,
    pub n_gen: Option<S<u32>>,
    pub gap: Option<S<RawDuration>>,
    pub telemetry_hz: Option<S<f64>>,
    pub cooldown_watch: Option<S<bool>>,
}

/// `[load]`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawLoad {
    pub models: Option<S<Vec<S<String>>>>,
    pub backends: Option<S<Vec<S<String>>>>,
    pub threads: Option<S<u32>>,
    pub n_prompt: Option<S<RawLen>>,
    pub n_gen: Option<S<RawLen>>,
    pub trace: Option<S<String>>,
    pub concurrency: Option<S<Vec<S<u32>>>>,
    pub step_tokens: Option<S<u32>>,
    pub rates: Option<S<Vec<S<f64>>>>,
    pub arrival: Option<S<String>>,
    pub requests: Option<S<u32>>,
    pub duration: Option<S<RawDuration>>,
    pub queue_timeout: Option<S<RawDuration>>,
    pub capacity: Option<S<bool>>,
    pub ttft_ms: Option<S<f64>>,
    pub itl_ms: Option<S<f64>>,
    pub e2e_ms: Option<S<f64>>,
    pub budget: Option<S<RawDuration>>,
}

/// A token count in `[load]`: an integer, or a string `"32-256"` (a range).
#[derive(Deserialize)]
#[serde(untagged)]
pub(crate) enum RawLen {
    Count(i64),
    Text(String),
}

/// `[cost]`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawCost {
    pub capex_usd: Option<S<f64>>,
    pub lifecycle_usd_per_month: Option<S<f64>>,
    pub engineering_usd: Option<S<f64>>,
    pub horizon_months: Option<S<f64>>,
    pub cloud_cost_per_query_usd: Option<S<f64>>,
    pub monthly_queries: Option<S<f64>>,
    pub note: Option<S<String>>,
}

/// A duration as written: seconds as a number, or a string such as "10m".
/// The string is parsed during validation so its problems are collected.
pub(crate) enum RawDuration {
    Seconds(f64),
    Text(String),
}

impl<'de> Deserialize<'de> for RawDuration {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = RawDuration;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("seconds as a number (e.g. 600) or a string such as \"10m\", \"5s\"")
            }

            fn visit_i64<E: de::Error>(self, v: i64) -> Result<RawDuration, E> {
                Ok(RawDuration::Seconds(v as f64))
            }

            fn visit_u64<E: de::Error>(self, v: u64) -> Result<RawDuration, E> {
                Ok(RawDuration::Seconds(v as f64))
            }

            fn visit_f64<E: de::Error>(self, v: f64) -> Result<RawDuration, E> {
                Ok(RawDuration::Seconds(v))
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<RawDuration, E> {
                Ok(RawDuration::Text(v.to_owned()))
            }
        }
        deserializer.deserialize_any(V)
    }
}
