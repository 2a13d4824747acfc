//! Synthetic llama-architecture models that edgebench writes itself, so tests
//! and benchmarks can run without downloading anything: size presets,
//! quantisations, deterministic weights, and a GGUF writer whose output
//! llama.cpp loads and runs, and its ONNX twin for ONNX Runtime
//! ([`write_onnx`]). The same [`SynthSpec`] always gives the same bytes.
#![deny(missing_docs)]

mod gguf_out;
mod onnx_out;
pub mod quant;
mod quant_more;
pub mod vocab;
pub mod weights;

pub use gguf_out::{SynthError, SynthSummary, write_gguf, write_gguf_with_vocab};
pub use onnx_out::{
    EXTERNAL_ALIGN, EXTERNAL_MIN_BYTES, OnnxSummary, StaticQdq, TwinOptions, genai_config,
    per_channel_int8, q4_0_to_nbits, q4_1_to_nbits, q5_0_to_nbits, q5_k_to_nbits, q6_k_to_nbits,
    q8_0_to_nbits, twin_encoding, uint8_scale_zero_point, write_onnx, write_onnx_static_qdq,
    write_onnx_with,
};

use edgebench_formats::gguf::GgmlType;
use serde::Serialize;
use std::fmt;
use std::str::FromStr;

/// Version of the generation scheme, part of every cache key: bump it whenever
/// the bytes written for a spec change, so cached files are regenerated.
pub const SYNTH_FORMAT_VERSION: u32 = 1;

/// Version of the ONNX twin's encoding ([`write_onnx`], `onnx_out`), part of
/// its file name ([`SynthSpec::onnx_file_name`]) next to
/// [`SYNTH_FORMAT_VERSION`]: bump it whenever the `.onnx` or `.onnx.data`
/// bytes written for a spec change (graph, operators, metadata, weight
/// layout) while the GGUF stays the same, so cached twins are regenerated.
pub const ONNX_TWIN_FORMAT_VERSION: u32 = 6;

/// A model size.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Preset {
    /// About 4 million parameters: fast enough for every test.
    Tiny,
    /// About 112 million parameters.
    Small,
    /// About 0.5 billion parameters.
    Medium,
}

impl Preset {
    /// Every preset, smallest first.
    pub const ALL: [Preset; 3] = [Preset::Tiny, Preset::Small, Preset::Medium];

    /// The lower-case name: `tiny`, `small`, `medium`.
    pub const fn name(self) -> &'static str {
        match self {
            Preset::Tiny => "tiny",
            Preset::Small => "small",
            Preset::Medium => "medium",
        }
    }

    /// The preset's hyper-parameters.
    pub const fn hparams(self) -> Hparams {
        let (n_vocab, n_embd, n_layer, n_head, n_head_kv, n_ff, n_ctx_train) = match self {
            Preset::Tiny => (2048, 256, 4, 4, 2, 768, 2048),
            Preset::Small => (32000, 768, 10, 12, 4, 2048, 4096),
            Preset::Medium => (32000, 1280, 24, 20, 4, 3584, 4096),
        };
        Hparams {
            n_vocab,
            n_embd,
            n_layer,
            n_head,
            n_head_kv,
            n_ff,
            n_ctx_train,
            rms_eps: 1e-5,
            rope_freq_base: 10000.0,
        }
    }
}

/// The hyper-parameters of a llama-architecture model.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Hparams {
    /// Vocabulary size.
    pub n_vocab: u32,
    /// Hidden size.
    pub n_embd: u32,
    /// Transformer layers.
    pub n_layer: u32,
    /// Attention (query) heads.
    pub n_head: u32,
    /// Key/value heads (grouped-query attention).
    pub n_head_kv: u32,
    /// Feed-forward hidden size.
    pub n_ff: u32,
    /// Training context length.
    pub n_ctx_train: u32,
    /// RMS-norm epsilon.
    pub rms_eps: f32,
    /// RoPE frequency base.
    pub rope_freq_base: f32,
}

impl Hparams {
    /// Size of one attention head (`n_embd / n_head`).
    pub const fn head_dim(&self) -> u32 {
        self.n_embd / self.n_head
    }

    /// Parameters of the model: embeddings, output, norms and all layers.
    pub const fn n_params(&self) -> u64 {
        let embd = self.n_embd as u64;
        let vocab = self.n_vocab as u64;
        let hd = self.head_dim() as u64;
        let q = self.n_head as u64 * hd;
        let kv = self.n_head_kv as u64 * hd;
        let ff = self.n_ff as u64;
        let layer = 2 * embd + embd * q + 2 * embd * kv + q * embd + 3 * embd * ff;
        2 * embd * vocab + embd + self.n_layer as u64 * layer
    }
}

/// How the weight matrices are stored (norms are always f32).
///
/// The single-type encodings (`q4_0`, `q8_0`, `q4_1`, `q5_0`, `q6_k`,
/// `f16`, `bf16`, `f32`) store every matrix in that type, as
/// `llama-quantize --pure` does. The K-quant mixes (`q4_k_m`, `q4_k_s`,
/// `q5_k_m`) pick each tensor's type as `llama-quantize` does for a llama
/// model without an importance matrix ([`Quant::tensor_type`]).
#[allow(non_camel_case_types)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Quant {
    /// 4-bit blocks of 32 with an f16 scale (ggml `q4_0`).
    Q4_0,
    /// 8-bit blocks of 32 with an f16 scale (ggml `q8_0`).
    Q8_0,
    /// 4-bit blocks of 32 with an f16 scale and min (ggml `q4_1`).
    Q4_1,
    /// 5-bit blocks of 32 with an f16 scale (ggml `q5_0`).
    Q5_0,
    /// llama.cpp's Q4_K_M mix: q4_K, with q6_K for `output`, and for
    /// `attn_v` and `ffn_down` in the layers `use_more_bits` picks.
    Q4_K_M,
    /// llama.cpp's Q4_K_S mix: q4_K, with q6_K for `output`, q5_K for the
    /// first four `attn_v` and the first eighth of `ffn_down`.
    Q4_K_S,
    /// llama.cpp's Q5_K_M mix: q5_K, with q6_K for `output`, and for
    /// `attn_v` and `ffn_down` in the layers `use_more_bits` picks.
    Q5_K_M,
    /// 6-bit super-blocks of 256 (ggml `q6_K`), every matrix.
    Q6_K,
    /// IEEE half floats.
    F16,
    /// bfloat16.
    BF16,
    /// IEEE single floats.
    F32,
}

impl Quant {
    /// Every quantisation.
    pub const ALL: [Quant; 11] = [
        Quant::Q4_0,
        Quant::Q8_0,
        Quant::Q4_1,
        Quant::Q5_0,
        Quant::Q4_K_M,
        Quant::Q4_K_S,
        Quant::Q5_K_M,
        Quant::Q6_K,
        Quant::F16,
        Quant::BF16,
        Quant::F32,
    ];

    /// The lower-case name: `q4_0`, `q4_k_m`, `bf16`...
    pub const fn name(self) -> &'static str {
        match self {
            Quant::Q4_0 => "q4_0",
            Quant::Q8_0 => "q8_0",
            Quant::Q4_1 => "q4_1",
            Quant::Q5_0 => "q5_0",
            Quant::Q4_K_M => "q4_k_m",
            Quant::Q4_K_S => "q4_k_s",
            Quant::Q5_K_M => "q5_k_m",
            Quant::Q6_K => "q6_k",
            Quant::F16 => "f16",
            Quant::BF16 => "bf16",
            Quant::F32 => "f32",
        }
    }

    /// The type most weight matrices get (llama.cpp's default type for the
    /// file type).
    pub const fn ggml_type(self) -> GgmlType {
        match self {
            Quant::Q4_0 => GgmlType::Q4_0,
            Quant::Q8_0 => GgmlType::Q8_0,
            Quant::Q4_1 => GgmlType::Q4_1,
            Quant::Q5_0 => GgmlType::Q5_0,
            Quant::Q4_K_M | Quant::Q4_K_S => GgmlType::Q4_K,
            Quant::Q5_K_M => GgmlType::Q5_K,
            Quant::Q6_K => GgmlType::Q6_K,
            Quant::F16 => GgmlType::F16,
            Quant::BF16 => GgmlType::BF16,
            Quant::F32 => GgmlType::F32,
        }
    }

    /// The type of weight matrix `name` (not a norm) of a model with
    /// hyper-parameters `h`: [`Quant::ggml_type`], except where
    /// llama.cpp's `llama_tensor_get_type` picks another for this file type
    /// (llama architecture, no experts, no importance matrix, every row a
    /// whole number of 256-blocks as in all presets).
    pub fn tensor_type(self, name: &str, h: &Hparams) -> GgmlType {
        let base = self.ggml_type();
        if !matches!(self, Quant::Q4_K_M | Quant::Q4_K_S | Quant::Q5_K_M) {
            return base;
        }
        if name == "output.weight" {
            return GgmlType::Q6_K;
        }
        let layer = name
            .strip_prefix("blk.")
            .and_then(|r| r.split('.').next())
            .and_then(|l| l.parse::<u32>().ok());
        let (Some(i), n) = (layer, h.n_layer) else {
            return base;
        };
        // llama.cpp counts attn_v and ffn_down tensors in file order, one per
        // layer here, so the counter is the layer index.
        let more_bits = i < n / 8 || i >= 7 * n / 8 || (i - n / 8) % 3 == 2;
        let is = |t: &str| name.ends_with(&format!(".{t}.weight"));
        match self {
            Quant::Q4_K_M | Quant::Q5_K_M if (is("attn_v") || is("ffn_down")) && more_bits => {
                GgmlType::Q6_K
            }
            Quant::Q4_K_S if is("attn_v") && i < 4 => GgmlType::Q5_K,
            Quant::Q4_K_S if is("ffn_down") && i < n / 8 => GgmlType::Q5_K,
            _ => base,
        }
    }

    /// The `general.file_type` value (llama.cpp's `llama_ftype`).
    pub const fn file_type(self) -> u32 {
        match self {
            Quant::F32 => 0,
            Quant::F16 => 1,
            Quant::Q4_0 => 2,
            Quant::Q4_1 => 3,
            Quant::Q8_0 => 7,
            Quant::Q5_0 => 8,
            Quant::Q4_K_S => 14,
            Quant::Q4_K_M => 15,
            Quant::Q5_K_M => 17,
            Quant::Q6_K => 18,
            Quant::BF16 => 32,
        }
    }
}

/// A name that is not a preset or quantisation.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {what} '{value}'; expected one of: {expected}")]
pub struct ParseError {
    /// `"preset"` or `"quantisation"`.
    pub what: &'static str,
    /// The text given.
    pub value: String,
    /// The accepted names.
    pub expected: &'static str,
}

impl FromStr for Preset {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Preset::ALL
            .into_iter()
            .find(|p| p.name().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| ParseError {
                what: "preset",
                value: s.to_string(),
                expected: "tiny, small, medium",
            })
    }
}

impl FromStr for Quant {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Quant::ALL
            .into_iter()
            .find(|q| q.name().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| ParseError {
                what: "quantisation",
                value: s.to_string(),
                expected: "q4_0, q8_0, q4_1, q5_0, q4_k_m, q4_k_s, q5_k_m, q6_k, f16, bf16, f32",
            })
    }
}

impl fmt::Display for Preset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl fmt::Display for Quant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Everything that determines a synthetic model file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct SynthSpec {
    /// The size.
    pub preset: Preset,
    /// The weight encoding.
    pub quant: Quant,
    /// The weight seed.
    pub seed: u64,
}

impl SynthSpec {
    /// The hyper-parameters of the preset.
    pub const fn hparams(&self) -> Hparams {
        self.preset.hparams()
    }

    /// A key naming this exact file, including [`SYNTH_FORMAT_VERSION`]:
    /// `edgebench-synth-tiny-q4_0-s42-v1`.
    pub fn cache_key(&self) -> String {
        format!(
            "edgebench-synth-{}-{}-s{}-v{SYNTH_FORMAT_VERSION}",
            self.preset, self.quant, self.seed
        )
    }

    /// The file name to cache the model under: the cache key plus `.gguf`.
    pub fn file_name(&self) -> String {
        format!("{}.gguf", self.cache_key())
    }

    /// The file name of the ONNX twin ([`write_onnx`]): the cache key plus
    /// `-onnx` and [`ONNX_TWIN_FORMAT_VERSION`], then `.onnx`
    /// (`edgebench-synth-tiny-q4_0-s42-v1-onnx2.onnx`); its weights go to the
    /// same name plus `.data`.
    pub fn onnx_file_name(&self) -> String {
        format!("{}-onnx{ONNX_TWIN_FORMAT_VERSION}.onnx", self.cache_key())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_parse_and_display() {
        for p in Preset::ALL {
            assert_eq!(p.to_string().parse::<Preset>(), Ok(p));
        }
        for q in Quant::ALL {
            assert_eq!(q.to_string().parse::<Quant>(), Ok(q));
        }
        assert_eq!("Q8_0".parse::<Quant>(), Ok(Quant::Q8_0));
        assert_eq!("Q4_K_M".parse::<Quant>(), Ok(Quant::Q4_K_M));
        let err = "q5_k".parse::<Quant>().unwrap_err().to_string();
        assert!(err.contains("q5_k") && err.contains("q4_0"), "{err}");
        assert!("huge".parse::<Preset>().is_err());
    }

    #[test]
    fn cache_key_names_everything() {
        let spec = SynthSpec {
            preset: Preset::Tiny,
            quant: Quant::Q4_0,
            seed: 42,
        };
        assert_eq!(
            spec.file_name(),
            format!("edgebench-synth-tiny-q4_0-s42-v{SYNTH_FORMAT_VERSION}.gguf")
        );
        assert_eq!(
            spec.onnx_file_name(),
            format!(
                "edgebench-synth-tiny-q4_0-s42-v{SYNTH_FORMAT_VERSION}-onnx{ONNX_TWIN_FORMAT_VERSION}.onnx"
            )
        );
    }

    #[test]
    fn preset_sizes() {
        assert_eq!(Preset::Tiny.hparams().n_params(), 4_196_608);
        let small = Preset::Small.hparams().n_params();
        assert!((100_000_000..130_000_000).contains(&small), "{small}");
        let medium = Preset::Medium.hparams().n_params();
        assert!((450_000_000..550_000_000).contains(&medium), "{medium}");
        for p in Preset::ALL {
            let h = p.hparams();
            assert_eq!(h.head_dim() * h.n_head, h.n_embd, "{p}");
            assert_eq!(h.n_head % h.n_head_kv, 0, "{p}");
            for d in [h.n_embd, h.n_ff, h.head_dim() * h.n_head_kv] {
                assert_eq!(d % 32, 0, "{p}");
            }
        }
    }
}
