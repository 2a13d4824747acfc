//! How much memory a case needs on a backend, estimated from the model's
//! header and the case's context before anything is loaded, so that a case
//! that cannot fit is refused instead of driving a board into swap or the
//! OOM killer (the pre-flight check, docs/metrics.md "Memory pre-flight").
//!
//! llama.cpp 0.1.161's public API has no memory breakdown for a context that
//! was not allocated (its `no_alloc` mode simulates the model's buffers
//! only; the context's breakdown is internal), so every backend is estimated
//! by formula here, per engine, from how each one allocates:
//!
//! - **weights**: the tensor bytes of the file. llama.cpp maps them and the
//!   pages become resident as they are read, and its CPU build repacks
//!   Q4_0/IQ4_NL/Q4_K/Q8_0 matrices into an interleaved copy (they count
//!   twice); candle copies them and expands the token-embedding table to
//!   f32; ONNX Runtime copies the initializers and prepacks blocks for its
//!   kernels (1.5x, measured).
//! - **KV cache** at the case's context `n_ctx = depth + prompt + gen`:
//!   `n_ctx × n_layers × n_kv_heads × (head_dim + head_dim_v) × bytes per
//!   element` ([`ModelFootprint::kv_bytes_per_token_of_context`]).
//!   llama.cpp pads the context to 256 cells and stores the KV type (f16
//!   unless `--kv-type`); candle grows f32 tensors by concatenation, so the
//!   old and the new copy live together for a moment (×2); an ONNX decoder
//!   holds the past it is fed and the present it returns (×2) in the graph's
//!   own type.
//! - **compute buffers** for the largest step, `u` tokens at once (llama.cpp:
//!   the micro-batch; candle and ONNX Runtime: the logical batch, the chunk
//!   they are fed): activations `4 × u × (4 × n_embd + 3 × n_ff)` bytes,
//!   the attention scores `4 × n_head × u × n_ctx` (llama.cpp with flash
//!   attention keeps only its f16 mask, `2 × u × n_ctx`; candle keeps
//!   scores and softmax, twice the scores), and the logits (an ONNX decoder
//!   returns a row per fed token; llama.cpp and candle one row). llama.cpp
//!   reserves more than this for the worst case, but pages never touched
//!   are not resident, and what is resident is what runs a board out of
//!   memory.
//! - **runtime**: the engine's own code, thread pools and allocator slack, a
//!   fixed allowance per engine (calibrated against measured peaks; see the
//!   figures in docs/metrics.md).
//!
//! The estimate is for host memory; layers offloaded to a GPU are still
//! counted here (a conservative figure for unified-memory boards such as
//! Jetson, where they share the same RAM).
use serde::{Deserialize, Serialize};

use crate::backend::ContextSettings;
use crate::footprint::{ModelFootprint, kv_elem_bytes};
use crate::{BackendKind, ModelMeta};

/// A case's estimated memory need, in bytes, by part.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemoryNeed {
    /// Model weights as the engine holds them.
    pub weights: u64,
    /// KV cache at the case's context.
    pub kv_cache: u64,
    /// Compute buffers (activations, attention scores, logits) of the
    /// largest step.
    pub compute: u64,
    /// The engine's fixed allowance (code, thread pools, allocator slack).
    pub runtime: u64,
    /// Tokens of context the case holds (depth + prompt + gen).
    pub n_ctx: u64,
}

impl MemoryNeed {
    /// Everything together.
    pub fn total(&self) -> u64 {
        self.weights
            .saturating_add(self.kv_cache)
            .saturating_add(self.compute)
            .saturating_add(self.runtime)
    }
}

const MIB: u64 = 1 << 20;

/// Estimates what a case needs on `backend` (see the module documentation
/// for the formulas). `n_prompt` is the case's prompt length; the context
/// (`settings.n_ctx`) already includes depth and generated tokens.
pub fn estimate(
    backend: BackendKind,
    footprint: &ModelFootprint,
    meta: &ModelMeta,
    settings: &ContextSettings,
) -> MemoryNeed {
    let fp = footprint;
    let n_ctx = u64::from(settings.n_ctx);
    let n_vocab = u64::from(meta.n_vocab().unwrap_or(0));
    let n_embd = u64::from(fp.n_embd);
    let n_ff = n_ff(meta).unwrap_or(4 * n_embd);
    let n_head = u64::from(fp.n_head);
    let activations = |u: u64| sat_mul(4 * u, 4 * n_embd + 3 * n_ff);
    let kv_at = |cells: u64, elem: f64| {
        let bytes = cells as f64 * fp.kv_bytes_per_token_of_context(elem);
        if bytes >= u64::MAX as f64 {
            u64::MAX
        } else {
            bytes as u64
        }
    };
    match backend {
        BackendKind::LlamaCpp | BackendKind::Mock => {
            let cells = n_ctx.div_ceil(256).saturating_mul(256);
            let u = u64::from(settings.ubatch.min(settings.batch)).min(cells.max(1));
            let attention = if settings.flash_attn == Some(false) {
                sat_mul(4 * n_head * u, cells)
            } else {
                sat_mul(2 * u, cells)
            };
            // The CPU build repacks these types into an interleaved copy
            // (its CPU_REPACK buffer) while the mapped file pages stay
            // resident: the matrices count twice, the lookup rows once.
            let repacked = if repacks(meta) {
                fp.weight_bytes_per_token
                    .saturating_sub(fp.embedding_row_bytes)
            } else {
                0
            };
            MemoryNeed {
                weights: fp.total_weight_bytes.saturating_add(repacked),
                kv_cache: kv_at(cells, kv_elem_bytes(settings.kv_type)),
                compute: activations(u)
                    .saturating_add(attention)
                    .saturating_add(4 * n_vocab),
                runtime: 48 * MIB,
                n_ctx,
            }
        }
        BackendKind::Cpu => {
            let u = u64::from(settings.batch).min(n_ctx.max(1));
            MemoryNeed {
                weights: fp
                    .total_weight_bytes
                    .saturating_add(sat_mul(4 * n_vocab, n_embd)),
                kv_cache: kv_at(n_ctx, 4.0).saturating_mul(2),
                compute: activations(u)
                    .saturating_add(sat_mul(4 * 2 * n_head * u, n_ctx))
                    .saturating_add(4 * n_vocab),
                runtime: 48 * MIB,
                n_ctx,
            }
        }
        BackendKind::Onnx(_) => {
            let u = u64::from(settings.batch).min(n_ctx.max(1));
            let elem = fp.kv_elem_bytes.unwrap_or(4.0);
            MemoryNeed {
                // The initializers, plus the blocks ONNX Runtime prepacks
                // for its CPU kernels (half again, measured).
                weights: fp
                    .total_weight_bytes
                    .saturating_add(fp.total_weight_bytes / 2),
                kv_cache: kv_at(n_ctx, elem).saturating_mul(2),
                compute: activations(u)
                    .saturating_add(sat_mul(4 * n_head * u, n_ctx))
                    .saturating_add(sat_mul(4 * u, n_vocab)),
                runtime: 96 * MIB,
                n_ctx,
            }
        }
    }
}

/// Whether llama.cpp's CPU build repacks the model's main weight type into
/// an interleaved copy (ggml's CPU_REPACK buffer: Q4_0, IQ4_NL, Q4_K, Q8_0
/// on AVX2/NEON-class CPUs; counted wherever it may happen).
fn repacks(meta: &ModelMeta) -> bool {
    match meta {
        ModelMeta::Gguf(i) => matches!(
            i.quant.to_ascii_uppercase().as_str(),
            "Q4_0" | "IQ4_NL" | "Q4_K_M" | "Q4_K_S" | "Q4_K" | "Q8_0"
        ),
        ModelMeta::Onnx(_) => false,
    }
}

fn sat_mul(a: u64, b: u64) -> u64 {
    a.saturating_mul(b)
}

/// The feed-forward width: GGUF `{arch}.feed_forward_length`, ONNX
/// `intermediate_size` metadata.
fn n_ff(meta: &ModelMeta) -> Option<u64> {
    match meta {
        ModelMeta::Gguf(i) => i.arch_get("feed_forward_length").and_then(|v| v.as_u64()),
        ModelMeta::Onnx(i) => i
            .metadata
            .get("intermediate_size")
            .and_then(|v| v.trim().parse().ok()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::KvType;

    fn tiny() -> (ModelFootprint, ModelMeta) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.gguf");
        let spec = crate::synth::SynthSpec {
            preset: crate::synth::Preset::Tiny,
            quant: crate::synth::Quant::Q4_0,
            seed: 42,
        };
        crate::synth::write_gguf(&spec, &path).unwrap();
        let info = crate::gguf::inspect(&path).unwrap();
        (
            ModelFootprint::from_gguf(&info).unwrap(),
            ModelMeta::Gguf(info),
        )
    }

    fn ctx(n_ctx: u32) -> ContextSettings {
        ContextSettings {
            n_ctx,
            threads: 1,
            batch: 2048,
            ubatch: 512,
            flash_attn: None,
            kv_type: None,
        }
    }

    #[test]
    fn llama_cpp_by_hand_on_the_tiny_preset() {
        let (fp, meta) = tiny();
        // Tiny: 4 layers, 2 KV heads of 64, f16: 4*2*128*2 = 2048 B a cell.
        assert_eq!(fp.kv_bytes_per_token_of_context(2.0), 2048.0);
        let need = estimate(BackendKind::LlamaCpp, &fp, &meta, &ctx(600));
        // 600 cells padded to 768.
        assert_eq!(need.kv_cache, 768 * 2048);
        // q4_0 is repacked: the matrices twice, the embedding row once.
        assert_eq!(
            need.weights,
            fp.total_weight_bytes + fp.weight_bytes_per_token - fp.embedding_row_bytes
        );
        // u = 512; n_embd 256, n_ff 768, n_vocab 2048, flash-attention mask.
        let act = 4 * 512 * (4 * 256 + 3 * 768);
        assert_eq!(need.compute, act + 2 * 512 * 768 + 4 * 2048);
        assert_eq!(need.n_ctx, 600);
        let q8 = estimate(
            BackendKind::LlamaCpp,
            &fp,
            &meta,
            &ContextSettings {
                kv_type: Some(KvType::Q8_0),
                ..ctx(600)
            },
        );
        assert_eq!(q8.kv_cache, 768 * 2048 * 34 / 64);
    }

    #[test]
    fn a_ten_million_token_prompt_needs_tens_of_gigabytes_everywhere() {
        let (fp, meta) = tiny();
        for b in [
            BackendKind::LlamaCpp,
            BackendKind::Cpu,
            BackendKind::Onnx(crate::Ep::Cpu),
        ] {
            let need = estimate(b, &fp, &meta, &ctx(10_000_128));
            assert!(need.total() > 20 << 30, "{b:?}: {need:?}");
            assert!(need.kv_cache >= 10_000_128 * 2048, "{b:?}: {need:?}");
        }
    }

    #[test]
    fn huge_contexts_saturate_instead_of_overflowing() {
        let (mut fp, meta) = tiny();
        fp.n_layers = u32::MAX;
        fp.n_kv_heads = u32::MAX;
        let need = estimate(BackendKind::Cpu, &fp, &meta, &ctx(u32::MAX));
        assert_eq!(need.total(), u64::MAX);
    }
}
