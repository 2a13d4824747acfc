//! What one token costs a model, read from its GGUF header alone: the bytes a
//! decode step streams from memory (quantised weights plus the KV cache) and
//! the FLOPs a prefill token needs. These feed the roofline (see
//! docs/roofline.md and docs/metrics.md, section "Roofline").
//!
//! Weight bytes per decode token, from the tensor table:
//!
//! - every tensor is read in full once per token (its `n_bytes`, the
//!   quantised size), except
//! - the lookup tables `token_embd.weight`, `position_embd.weight` and
//!   `token_types.weight`: a token reads one row of each, `n_bytes / rows`
//!   where rows is the product of the dimensions after the first (for
//!   `token_embd.weight` that is the vocabulary size);
//! - tied embeddings (no `output.weight` tensor): the output projection is a
//!   matrix product with `token_embd.weight`, which is then counted in full
//!   (once; the row the lookup reads is part of it and not added again);
//! - mixture of experts: the expert tensors (names containing `_exps`, e.g.
//!   `blk.0.ffn_up_exps.weight`) are read only for the experts a token is
//!   routed to, so they count `n_bytes × expert_used_count / expert_count`
//!   (`{arch}.expert_used_count`, `{arch}.expert_count`). Shared experts
//!   (`_shexp`) are read in full.
//!
//! KV bytes per token of context: `n_layers × n_kv_heads × (head_dim_k +
//! head_dim_v) × bytes per element`, i.e. `2 × n_layers × n_kv_heads ×
//! head_dim × bytes` when keys and values have the same size.
//!
//! Not modelled: sliding-window or hybrid (recurrent) layers, per-layer head
//! counts, compressed (MLA) KV caches; activations and caches are assumed to
//! stay out of the memory traffic.

use crate::backend::KvType;
use crate::gguf::{GgufInfo, GgufValue, TensorInfo};
use serde::{Deserialize, Serialize};

/// The tensors a token reads one row of (embedding lookups).
pub const LOOKUP_TENSORS: [&str; 3] = [
    "token_embd.weight",
    "position_embd.weight",
    "token_types.weight",
];

/// Bytes per KV-cache element for a cache type: f16 2, f32 4, q8_0 34/32,
/// q4_0 18/32; `None` (the backend default, llama.cpp's f16) gives 2.
pub fn kv_elem_bytes(kv: Option<KvType>) -> f64 {
    match kv {
        None | Some(KvType::F16) => 2.0,
        Some(KvType::F32) => 4.0,
        Some(KvType::Q8_0) => 34.0 / 32.0,
        Some(KvType::Q4_0) => 18.0 / 32.0,
    }
}

/// Why a footprint cannot be computed from a model's header.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FootprintError {
    /// A metadata entry the computation needs is absent.
    #[error("model metadata '{key}' is missing; it is needed for the roofline ({why})")]
    MissingMetadata {
        /// The GGUF key, e.g. `llama.block_count`.
        key: String,
        /// What it is needed for.
        why: String,
    },
    /// A metadata entry has a value the computation cannot use (zero, an
    /// array of per-layer values, not an integer).
    #[error("model metadata '{key}' cannot be used for the roofline: {reason}")]
    BadMetadata {
        /// The GGUF key.
        key: String,
        /// What is wrong with it.
        reason: String,
    },
}

/// What one token costs a model: bytes a decode step reads and FLOPs a
/// prefill token needs, computed from the GGUF header by
/// [`ModelFootprint::from_gguf`]. Sizes in bytes, counts in elements.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelFootprint {
    /// `general.architecture`, e.g. `llama`.
    pub arch: String,
    /// Weight bytes a decode step reads: all tensors in full except the
    /// lookup tables (one row each), with the tied-embedding and MoE rules of
    /// the module documentation.
    pub weight_bytes_per_token: u64,
    /// Bytes of the lookup-table rows included in `weight_bytes_per_token`
    /// (one row of `token_embd.weight`, and of `position_embd.weight` /
    /// `token_types.weight` where present); 0 with tied embeddings and no
    /// other lookup table.
    pub embedding_row_bytes: u64,
    /// Bytes of all tensors in the file (what loading reads).
    pub total_weight_bytes: u64,
    /// True when the model has no `output.weight` and the output projection
    /// reuses `token_embd.weight` (counted in full).
    pub tied_embeddings: bool,
    /// `{arch}.block_count`.
    pub n_layers: u32,
    /// `{arch}.embedding_length`.
    pub n_embd: u32,
    /// `{arch}.attention.head_count`.
    pub n_head: u32,
    /// `{arch}.attention.head_count_kv`, else `n_head` (llama.cpp's default).
    pub n_kv_heads: u32,
    /// Key head size: `{arch}.attention.key_length`, else `n_embd / n_head`.
    pub head_dim: u32,
    /// Value head size: `{arch}.attention.value_length`, else `head_dim`.
    pub head_dim_v: u32,
    /// `{arch}.expert_count` for a mixture-of-experts model.
    pub n_expert: Option<u32>,
    /// `{arch}.expert_used_count` for a mixture-of-experts model.
    pub n_expert_used: Option<u32>,
    /// `{arch}.context_length`, the training context.
    pub n_ctx_train: Option<u32>,
    /// Parameters a token multiplies (N in 2N): every tensor's elements
    /// except the lookup tables; with tied embeddings `token_embd.weight`
    /// counts (it is the output projection); expert tensors count
    /// `expert_used_count / expert_count` of their elements.
    pub n_params_nonembedding: u64,
    /// Bytes per KV-cache element fixed by the model itself (an ONNX
    /// graph's past/present type: 4 for float, 2 for float16); None when
    /// the backend chooses (llama.cpp's `type_k`/`type_v`).
    #[serde(default)]
    pub kv_elem_bytes: Option<f64>,
}

impl ModelFootprint {
    /// Computes the footprint from a checked ONNX graph (Optimum or genai
    /// decoder layout): weight bytes from the initializers (embedding tables
    /// one row per token, see [`crate::onnx_model::OnnxInfo::decode_weight_bytes`]),
    /// layers, KV heads, head size and KV element type from the
    /// `past_key_values.0.key` input `[batch, kv_heads, past, head_dim]`,
    /// hidden size and query heads from the `hidden_size` /
    /// `num_attention_heads` metadata when present (else n_head = kv heads).
    pub fn from_onnx(info: &crate::onnx_model::OnnxInfo) -> Result<ModelFootprint, FootprintError> {
        use crate::onnx_model::Dim;
        let missing = |key: &str, why: &str| FootprintError::MissingMetadata {
            key: key.into(),
            why: why.into(),
        };
        let past = info
            .inputs
            .iter()
            .find(|v| v.name.starts_with("past_key_values.") && v.name.ends_with(".key"))
            .ok_or_else(|| missing("past_key_values.0.key", "KV-cache shape"))?;
        let fixed = |i: usize| match past.dims.get(i) {
            Some(Dim::Fixed(n)) if *n > 0 => u32::try_from(*n).ok(),
            _ => None,
        };
        let n_kv_heads =
            fixed(1).ok_or_else(|| missing("past_key_values.0.key dim 1", "KV heads"))?;
        let head_dim =
            fixed(3).ok_or_else(|| missing("past_key_values.0.key dim 3", "head size"))?;
        let n_layers = info
            .n_layers()
            .ok_or_else(|| missing("num_hidden_layers", "layer count"))?;
        let md = |k: &str| {
            info.metadata
                .get(k)
                .and_then(|v| v.trim().parse::<u32>().ok())
        };
        let n_head = md("num_attention_heads").unwrap_or(n_kv_heads);
        // Dimensions come from the file: a crafted one saturates, never
        // overflows.
        let n_embd = md("hidden_size").unwrap_or(n_head.saturating_mul(head_dim));
        let mut row_bytes = 0u64;
        let mut embedding_elems = 0u64;
        for i in info.initializers.iter().filter(|i| i.embedding_only) {
            let rows = i.dims.first().copied().unwrap_or(1).max(1) as u64;
            row_bytes = row_bytes.saturating_add(i.byte_size / rows);
            embedding_elems = embedding_elems.saturating_add(crate::onnx_model::elements(&i.dims));
        }
        let kv_elem_bytes = match past.elem_type.as_str() {
            "float16" | "bfloat16" => 2.0,
            "float" => 4.0,
            "uint8" | "int8" => 1.0,
            _ => 4.0,
        };
        Ok(ModelFootprint {
            arch: info
                .metadata
                .get("model_type")
                .cloned()
                .unwrap_or_else(|| "onnx".into()),
            weight_bytes_per_token: info.decode_weight_bytes().saturating_add(row_bytes),
            embedding_row_bytes: row_bytes,
            total_weight_bytes: info.total_weight_bytes(),
            tied_embeddings: false,
            n_layers,
            n_embd,
            n_head,
            n_kv_heads,
            head_dim,
            head_dim_v: head_dim,
            n_expert: None,
            n_expert_used: None,
            n_ctx_train: md("max_position_embeddings"),
            n_params_nonembedding: info.n_params().saturating_sub(embedding_elems),
            kv_elem_bytes: Some(kv_elem_bytes),
        })
    }

    /// Computes the footprint from a checked GGUF header.
    ///
    /// Needs `{arch}.block_count`, `{arch}.embedding_length` and
    /// `{arch}.attention.head_count` (single values); a model with expert
    /// tensors also needs `{arch}.expert_count` and `{arch}.expert_used_count`.
    /// A missing or unusable one is a [`FootprintError`] naming the key.
    pub fn from_gguf(info: &GgufInfo) -> Result<ModelFootprint, FootprintError> {
        let key = |suffix: &str| format!("{}.{suffix}", info.arch);
        let required = |value: Option<u32>, suffix: &str, why: &str| {
            scalar_u32(info, suffix, value)?.ok_or_else(|| FootprintError::MissingMetadata {
                key: key(suffix),
                why: why.into(),
            })
        };
        let n_layers = required(info.n_layers, "block_count", "KV-cache size")?;
        let n_embd = required(info.n_embd, "embedding_length", "head size")?;
        let n_head = required(info.n_head, "attention.head_count", "head size")?;
        nonzero(info, "embedding_length", n_embd)?;
        nonzero(info, "attention.head_count", n_head)?;
        let n_kv_heads =
            scalar_u32(info, "attention.head_count_kv", info.n_head_kv)?.unwrap_or(n_head);
        let head_dim = match scalar_u32(info, "attention.key_length", None)? {
            Some(k) => k,
            None => n_embd / n_head,
        };
        let head_dim_v = scalar_u32(info, "attention.value_length", None)?.unwrap_or(head_dim);

        let has_experts = info.tensors.iter().any(is_expert);
        let (n_expert, n_expert_used) = if has_experts {
            let why = "the share of expert weights a token reads";
            let n = required(None, "expert_count", why)?;
            let used = required(None, "expert_used_count", why)?;
            nonzero(info, "expert_count", n)?;
            if used > n {
                return Err(FootprintError::BadMetadata {
                    key: key("expert_used_count"),
                    reason: format!("{used} is more than expert_count {n}"),
                });
            }
            (Some(n), Some(used))
        } else {
            (
                scalar_u32(info, "expert_count", None)?,
                scalar_u32(info, "expert_used_count", None)?,
            )
        };

        let tied = info.tensor("output.weight").is_none();
        let mut weight_bytes = 0u64;
        let mut row_bytes = 0u64;
        let mut n_params = 0u64;
        for t in &info.tensors {
            let lookup = LOOKUP_TENSORS.contains(&t.name.as_str());
            if lookup && !(tied && t.name == "token_embd.weight") {
                let rows: u64 = t.dims.iter().skip(1).product::<u64>().max(1);
                let row = t.n_bytes / rows;
                row_bytes += row;
                weight_bytes += row;
            } else if has_experts && is_expert(t) {
                let (n, used) = (n_expert.unwrap_or(1), n_expert_used.unwrap_or(0));
                weight_bytes += scale(t.n_bytes, used, n);
                n_params += scale(t.n_elements(), used, n);
            } else {
                weight_bytes += t.n_bytes;
                n_params += t.n_elements();
            }
        }
        Ok(ModelFootprint {
            kv_elem_bytes: None,
            arch: info.arch.clone(),
            weight_bytes_per_token: weight_bytes,
            embedding_row_bytes: row_bytes,
            total_weight_bytes: info.tensor_bytes(),
            tied_embeddings: tied,
            n_layers,
            n_embd,
            n_head,
            n_kv_heads,
            head_dim,
            head_dim_v,
            n_expert,
            n_expert_used,
            n_ctx_train: info.n_ctx_train,
            n_params_nonembedding: n_params,
        })
    }

    /// KV-cache bytes per token of context: `n_layers × n_kv_heads ×
    /// (head_dim + head_dim_v) × kv_elem_bytes` (= `2 × n_layers × n_kv_heads
    /// × head_dim × kv_elem_bytes` when keys and values have one size).
    /// `kv_elem_bytes` is the cache's bytes per element: 2 for f16 (the
    /// default), 34/32 for q8_0; see [`kv_elem_bytes`].
    pub fn kv_bytes_per_token_of_context(&self, kv_elem_bytes: f64) -> f64 {
        f64::from(self.n_layers)
            * f64::from(self.n_kv_heads)
            * (f64::from(self.head_dim) + f64::from(self.head_dim_v))
            * kv_elem_bytes
    }

    /// Bytes a decode step reads with `context` tokens in the KV cache:
    /// `weight_bytes_per_token + context × kv_bytes_per_token_of_context`.
    pub fn bytes_per_token(&self, context: u64, kv_elem_bytes: f64) -> f64 {
        self.weight_bytes_per_token as f64
            + context as f64 * self.kv_bytes_per_token_of_context(kv_elem_bytes)
    }

    /// The context-independent FLOPs of one token's forward pass: `2 ×
    /// n_params_nonembedding` (a multiply and an add per parameter).
    pub fn matmul_flops_per_token(&self) -> f64 {
        2.0 * self.n_params_nonembedding as f64
    }

    /// The attention FLOPs per token per token of context: `2 × n_layers ×
    /// d_attn` with `d_attn = n_head × head_dim` (Kaplan et al. 2020, table 1,
    /// "QK logits").
    pub fn attention_flops_per_token_per_ctx(&self) -> f64 {
        2.0 * f64::from(self.n_layers) * f64::from(self.n_head) * f64::from(self.head_dim)
    }

    /// Forward FLOPs of one token attending to `context` tokens, Kaplan et
    /// al. 2020 ("Scaling Laws for Neural Language Models", eq. 2.2):
    /// `C_forward ≈ 2N + 2 · n_layer · n_ctx · d_attn`, with N =
    /// [`n_params_nonembedding`](Self::n_params_nonembedding), `n_ctx =
    /// context` and `d_attn = n_head × head_dim`. Counting the
    /// attention-weighted sum of values as well would double the second term.
    pub fn flops_per_token_prefill(&self, context: u64) -> f64 {
        self.matmul_flops_per_token() + context as f64 * self.attention_flops_per_token_per_ctx()
    }
}

/// Whether `t` holds the weights of routed experts.
fn is_expert(t: &TensorInfo) -> bool {
    t.name.contains("_exps")
}

/// `x × num / den`, rounded down, without overflow.
fn scale(x: u64, num: u32, den: u32) -> u64 {
    (u128::from(x) * u128::from(num) / u128::from(den.max(1))) as u64
}

/// The single `u32` under `{arch}.{suffix}`: `known` if the header parser
/// already read it, else the metadata value; `None` if absent; an error if
/// present but not a single non-negative integer (e.g. a per-layer array).
fn scalar_u32(
    info: &GgufInfo,
    suffix: &str,
    known: Option<u32>,
) -> Result<Option<u32>, FootprintError> {
    if known.is_some() {
        return Ok(known);
    }
    match info.arch_get(suffix) {
        None => Ok(None),
        Some(v) => match v.as_u32() {
            Some(x) => Ok(Some(x)),
            None => Err(FootprintError::BadMetadata {
                key: format!("{}.{suffix}", info.arch),
                reason: match v {
                    GgufValue::Array { len, .. } => {
                        format!("an array of {len} per-layer values, not one value")
                    }
                    other => format!("{other:?} is not a u32"),
                },
            }),
        },
    }
}

/// An error naming `{arch}.{suffix}` if `value` is 0.
fn nonzero(info: &GgufInfo, suffix: &str, value: u32) -> Result<(), FootprintError> {
    if value == 0 {
        return Err(FootprintError::BadMetadata {
            key: format!("{}.{suffix}", info.arch),
            reason: "is 0".into(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kv_element_sizes() {
        assert_eq!(kv_elem_bytes(None), 2.0);
        assert_eq!(kv_elem_bytes(Some(KvType::F32)), 4.0);
        assert_eq!(kv_elem_bytes(Some(KvType::Q8_0)), 1.0625);
        assert_eq!(kv_elem_bytes(Some(KvType::Q4_0)), 0.5625);
    }

    #[test]
    fn crafted_onnx_dims_saturate() {
        use crate::onnx_model::{Dim, InitializerInfo, OnnxInfo, Storage, ValueInfo};
        let big = i64::from(u32::MAX);
        let init = |name: &str, dims: Vec<i64>, embedding_only| InitializerInfo {
            name: name.into(),
            data_type: "float".into(),
            dims,
            byte_size: u64::MAX,
            storage: Storage::Inline,
            embedding_only,
        };
        let info = OnnxInfo {
            path: "m.onnx".into(),
            ir_version: 8,
            opset_imports: vec![],
            producer: String::new(),
            metadata: Default::default(),
            inputs: vec![ValueInfo {
                name: "past_key_values.0.key".into(),
                elem_type: "float".into(),
                dims: vec![
                    Dim::Symbolic("b".into()),
                    Dim::Fixed(big),
                    Dim::Symbolic("p".into()),
                    Dim::Fixed(big),
                ],
            }],
            outputs: vec![],
            initializers: vec![
                init("e", vec![1, i64::MAX, i64::MAX], true),
                init("e2", vec![1, i64::MAX], true),
                init("w", vec![i64::MAX, i64::MAX], false),
            ],
            op_types: Default::default(),
        };
        let f = ModelFootprint::from_onnx(&info).unwrap();
        assert_eq!(f.n_head, u32::MAX);
        assert_eq!(f.n_embd, u32::MAX);
        assert_eq!(f.embedding_row_bytes, u64::MAX);
        assert_eq!(f.weight_bytes_per_token, u64::MAX);
        assert_eq!(f.total_weight_bytes, u64::MAX);
        assert!(f.bytes_per_token(1 << 20, 4.0).is_finite());
    }

    #[test]
    fn scaling_is_exact_and_safe() {
        assert_eq!(scale(u64::MAX, 2, 2), u64::MAX);
        assert_eq!(scale(64, 8, 64), 8);
        assert_eq!(scale(10, 1, 0), 10);
    }
}
