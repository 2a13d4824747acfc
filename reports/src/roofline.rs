//! The roofline of a case: how many bytes a decode token reads, the decode
//! rate memory bandwidth allows, and how much of it a run achieved (MBU);
//! prefill FLOPs per token and MFU where the device profile gives a peak.
//!
//! Pure arithmetic on plain numbers ([`RooflineInputs`]), so this crate
//! stays independent of the model-file code: the harness fills the inputs
//! from the model's footprint (backends' `footprint::ModelFootprint`), the
//! record's workload and metrics, and the device profile. Formulas and a
//! worked example: docs/roofline.md; definitions: docs/metrics.md, "Roofline".
//!
//! Units are in the field names: bytes, GB/s (1e9 bytes per second), tok/s,
//! FLOPs, TFLOP/s (1e12 FLOPs per second). An input that is absent, zero,
//! negative or not finite makes every figure that needs it `None`, never 0.

use serde::{Deserialize, Serialize};
use std::fmt::Write as _;

/// Everything [`Roofline::compute`] needs, as plain numbers.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct RooflineInputs {
    /// Weight bytes a decode step reads (embedding lookup as one row; MoE:
    /// active experts only).
    pub weight_bytes_per_token: f64,
    /// KV-cache bytes per token of context: 2 × n_layers × n_kv_heads ×
    /// head_dim × bytes per element.
    pub kv_bytes_per_context_token: f64,
    /// Context-independent forward FLOPs per token: 2 × non-embedding
    /// parameters.
    pub prefill_flops_per_token_at_ctx0: f64,
    /// Attention FLOPs per token per token of context: 2 × n_layers ×
    /// n_head × head_dim.
    pub attention_flops_per_token_per_ctx: f64,
    /// Tokens in the KV cache before the prompt.
    pub n_depth: u32,
    /// Prompt tokens.
    pub n_prompt: u32,
    /// Generated tokens.
    pub n_gen: u32,
    /// Measured decode rate (mean of the repetitions), tok/s.
    pub decode_tps: Option<f64>,
    /// Measured prefill rate (mean of the repetitions), tok/s.
    pub prefill_tps: Option<f64>,
    /// Measured memory read bandwidth of the device, GB/s.
    pub measured_read_gbs: Option<f64>,
    /// Theoretical peak memory bandwidth (profile `mem_bandwidth_gbs`), GB/s.
    pub peak_gbs: Option<f64>,
    /// Peak compute at the precision the prefill runs in (profile
    /// `peak_tflops`), TFLOP/s.
    pub peak_tflops: Option<f64>,
    /// The profile key of that peak, e.g. `fp16`.
    pub peak_tflops_precision: Option<String>,
}

/// The roofline figures of one case.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Roofline {
    /// Mean KV-cache length a decode step attends to: n_depth + n_prompt +
    /// n_gen / 2 (decode step i = 1..n_gen-1 attends to n_depth + n_prompt +
    /// i tokens; their mean is exactly this), tokens.
    pub context_tokens: f64,
    /// Weight bytes per decode token.
    pub weight_bytes_per_token: f64,
    /// KV-cache bytes per decode token at `context_tokens`.
    pub kv_bytes_per_token: f64,
    /// Bytes a decode token reads: weights + KV at `context_tokens`.
    pub bytes_per_token: f64,
    /// Achieved bandwidth: bytes_per_token × decode_tps / 1e9, GB/s.
    pub achieved_gbs: Option<f64>,
    /// Decode ceiling from the measured read bandwidth: measured GB/s × 1e9
    /// / bytes_per_token, tok/s.
    pub ceiling_tps_measured: Option<f64>,
    /// Decode ceiling from the theoretical peak bandwidth, tok/s.
    pub ceiling_tps_peak: Option<f64>,
    /// Memory-bandwidth utilisation: achieved_gbs / peak GB/s (a fraction,
    /// 0..1; equal to decode_tps / ceiling_tps_peak).
    pub mbu: Option<f64>,
    /// decode_tps / ceiling_tps_measured × 100, percent.
    pub decode_pct_of_measured_ceiling: Option<f64>,
    /// Mean context a prompt token attends to: n_depth + (n_prompt + 1) / 2
    /// (prompt token j = 0..n_prompt-1 attends to n_depth + j + 1), tokens.
    pub prefill_context_tokens: f64,
    /// Forward FLOPs per prompt token at `prefill_context_tokens`:
    /// 2N + 2 · n_layer · n_ctx · d_attn (Kaplan et al. 2020).
    pub prefill_flops_per_token: f64,
    /// Model FLOPs utilisation: prefill_flops_per_token × prefill_tps /
    /// (peak TFLOP/s × 1e12), a fraction.
    pub mfu: Option<f64>,
    /// The profile's precision key for the peak used by `mfu`, e.g. `fp16`.
    pub peak_tflops_precision: Option<String>,
}

/// A positive, finite value, else `None`.
fn positive(x: Option<f64>) -> Option<f64> {
    x.filter(|v| v.is_finite() && *v > 0.0)
}

/// Decode ceiling in tok/s for `gbs` GB/s and `bytes` per token.
fn ceiling(gbs: Option<f64>, bytes: f64) -> Option<f64> {
    let bytes = positive(Some(bytes))?;
    positive(gbs).map(|g| g * 1e9 / bytes)
}

impl Roofline {
    /// The roofline of a case; see the field documentation for each formula.
    pub fn compute(inputs: &RooflineInputs) -> Roofline {
        let i = inputs;
        let context = f64::from(i.n_depth) + f64::from(i.n_prompt) + f64::from(i.n_gen) / 2.0;
        let kv = context * i.kv_bytes_per_context_token;
        let bytes = i.weight_bytes_per_token + kv;
        let decode_tps = positive(i.decode_tps);
        let achieved_gbs = decode_tps
            .zip(positive(Some(bytes)))
            .map(|(tps, b)| b * tps / 1e9);
        let ceiling_tps_measured = ceiling(i.measured_read_gbs, bytes);
        let ceiling_tps_peak = ceiling(i.peak_gbs, bytes);
        let mbu = achieved_gbs.zip(positive(i.peak_gbs)).map(|(a, p)| a / p);
        let decode_pct_of_measured_ceiling = decode_tps
            .zip(ceiling_tps_measured)
            .map(|(tps, c)| tps / c * 100.0);

        let prefill_context = f64::from(i.n_depth) + (f64::from(i.n_prompt) + 1.0) / 2.0;
        let flops = i.prefill_flops_per_token_at_ctx0
            + prefill_context * i.attention_flops_per_token_per_ctx;
        let peak_tflops = positive(i.peak_tflops);
        let mfu = positive(i.prefill_tps)
            .zip(peak_tflops)
            .zip(positive(Some(flops)))
            .map(|((tps, peak), f)| f * tps / (peak * 1e12));
        Roofline {
            context_tokens: context,
            weight_bytes_per_token: i.weight_bytes_per_token,
            kv_bytes_per_token: kv,
            bytes_per_token: bytes,
            achieved_gbs,
            ceiling_tps_measured,
            ceiling_tps_peak,
            mbu,
            decode_pct_of_measured_ceiling,
            prefill_context_tokens: prefill_context,
            prefill_flops_per_token: flops,
            mfu,
            peak_tflops_precision: peak_tflops.and(i.peak_tflops_precision.clone()),
        }
    }
}

/// What [`predict`] needs: a model's per-token bytes and a device's
/// bandwidths, nothing measured.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct PredictInputs {
    /// The model's label for the table heading.
    pub model: String,
    /// The device's label for the table heading.
    pub device: String,
    /// Weight bytes a decode step reads.
    pub weight_bytes_per_token: f64,
    /// KV-cache bytes per token of context.
    pub kv_bytes_per_context_token: f64,
    /// The context lengths to predict at, tokens (see [`default_contexts`]).
    pub contexts: Vec<u64>,
    /// Measured read bandwidth, GB/s, where the profile has one.
    pub measured_read_gbs: Option<f64>,
    /// Theoretical peak bandwidth (profile `mem_bandwidth_gbs`), GB/s.
    pub peak_gbs: Option<f64>,
}

/// One context length of a [`Prediction`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PredictionRow {
    /// Tokens in the KV cache.
    pub context_tokens: u64,
    /// Bytes a decode token reads at that context.
    pub bytes_per_token: f64,
    /// Decode ceiling from the measured read bandwidth, tok/s.
    pub ceiling_tps_measured: Option<f64>,
    /// Decode ceiling from the theoretical peak bandwidth, tok/s.
    pub ceiling_tps_peak: Option<f64>,
}

/// Predicted decode ceilings of a model on a device (`edgebench roofline`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Prediction {
    /// The model's label.
    pub model: String,
    /// The device's label.
    pub device: String,
    /// Weight bytes a decode step reads.
    pub weight_bytes_per_token: f64,
    /// KV-cache bytes per token of context.
    pub kv_bytes_per_context_token: f64,
    /// Measured read bandwidth used, GB/s.
    pub measured_read_gbs: Option<f64>,
    /// Theoretical peak bandwidth used, GB/s.
    pub peak_gbs: Option<f64>,
    /// One row per context length, in the order given.
    pub rows: Vec<PredictionRow>,
}

/// Context lengths for a prediction: 0, 512, 2048 and 8192 up to the
/// training context, and the training context itself when given.
pub fn default_contexts(n_ctx_train: Option<u64>) -> Vec<u64> {
    let mut v: Vec<u64> = [0, 512, 2048, 8192]
        .into_iter()
        .filter(|&c| n_ctx_train.is_none_or(|n| c <= n))
        .collect();
    if let Some(n) = n_ctx_train
        && !v.contains(&n)
    {
        v.push(n);
    }
    v
}

/// Decode ceilings at each context of `inputs`, from bandwidth alone:
/// tok/s = GB/s × 1e9 / (weight bytes + context × KV bytes per token).
pub fn predict(inputs: &PredictInputs) -> Prediction {
    let rows = inputs
        .contexts
        .iter()
        .map(|&c| {
            let bytes =
                inputs.weight_bytes_per_token + c as f64 * inputs.kv_bytes_per_context_token;
            PredictionRow {
                context_tokens: c,
                bytes_per_token: bytes,
                ceiling_tps_measured: ceiling(inputs.measured_read_gbs, bytes),
                ceiling_tps_peak: ceiling(inputs.peak_gbs, bytes),
            }
        })
        .collect();
    Prediction {
        model: inputs.model.clone(),
        device: inputs.device.clone(),
        weight_bytes_per_token: inputs.weight_bytes_per_token,
        kv_bytes_per_context_token: inputs.kv_bytes_per_context_token,
        measured_read_gbs: positive(inputs.measured_read_gbs),
        peak_gbs: positive(inputs.peak_gbs),
        rows,
    }
}

fn opt(x: Option<f64>, digits: usize) -> String {
    x.map_or_else(|| "n/a".to_string(), |v| format!("{v:.digits$}"))
}

/// A Markdown rendering of a prediction: a heading, the inputs, and a table
/// of context, MB per token and the two ceilings ("n/a" where a bandwidth
/// is not known).
pub fn render_prediction_md(p: &Prediction) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "## Decode ceilings: {} on {}\n", p.model, p.device);
    let _ = writeln!(
        s,
        "Weights read per token: {:.2} MB; KV cache: {:.1} KB per token of context.",
        p.weight_bytes_per_token / 1e6,
        p.kv_bytes_per_context_token / 1e3
    );
    let _ = writeln!(
        s,
        "Bandwidth: measured read {} GB/s, theoretical peak {} GB/s.\n",
        opt(p.measured_read_gbs, 1),
        opt(p.peak_gbs, 1)
    );
    s.push_str("| context (tokens) | MB/token | ceiling, measured BW (tok/s) | ceiling, peak BW (tok/s) |\n");
    s.push_str("|---:|---:|---:|---:|\n");
    for r in &p.rows {
        let _ = writeln!(
            s,
            "| {} | {:.2} | {} | {} |",
            r.context_tokens,
            r.bytes_per_token / 1e6,
            opt(r.ceiling_tps_measured, 1),
            opt(r.ceiling_tps_peak, 1)
        );
    }
    s.push_str(
        "\nCeilings are upper bounds from memory traffic alone (tok/s = GB/s x 1e9 / bytes per token); \
         real decode also pays compute, synchronisation and cache misses.\n",
    );
    s
}
