//! Joins a model's footprint (backends) with a case's measurements and the
//! device's figures into the record's roofline section (reports).
use std::collections::BTreeMap;

use edgebench_backends::KvType;
use edgebench_backends::footprint::{ModelFootprint, kv_elem_bytes};
use edgebench_reports::Record;
use edgebench_reports::roofline::{Roofline, RooflineInputs};
use serde::{Deserialize, Serialize};

/// What is known about the device's limits when a case runs.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DeviceFigures {
    /// Best read-kernel bandwidth measured on this machine, GB/s (sweeps
    /// measure it first; None for `run`).
    pub measured_read_gbs: Option<f64>,
    /// Theoretical peak memory bandwidth from the profile, GB/s.
    pub peak_gbs: Option<f64>,
    /// Peak TFLOP/s per precision from the profile ("fp16", "int8", ...).
    pub peak_tflops: BTreeMap<String, f64>,
}

/// The precision whose peak FLOP/s bounds a model of this quantisation:
/// float weights compute in their own precision; block-quantised weights
/// (Q*, IQ*) are taken as int8 work, which is what CPU and NPU kernels for
/// them mostly do. A stated approximation, used only for MFU.
pub fn precision_of(quant: &str) -> &'static str {
    match quant.to_ascii_uppercase().as_str() {
        "F32" | "ALL_F32" => "fp32",
        "F16" | "MOSTLY_F16" => "fp16",
        "BF16" | "MOSTLY_BF16" => "bf16",
        _ => "int8",
    }
}

/// The roofline of one measured case.
pub fn roofline_for(
    record: &Record,
    footprint: &ModelFootprint,
    kv: Option<KvType>,
    device: &DeviceFigures,
) -> Roofline {
    let w = &record.workload;
    let precision = precision_of(&record.model.quant);
    let peak_tflops = device.peak_tflops.get(precision).copied();
    Roofline::compute(&RooflineInputs {
        weight_bytes_per_token: footprint.weight_bytes_per_token as f64,
        kv_bytes_per_context_token: footprint
            .kv_bytes_per_token_of_context(footprint.kv_elem_bytes.unwrap_or(kv_elem_bytes(kv))),
        prefill_flops_per_token_at_ctx0: footprint.matmul_flops_per_token(),
        attention_flops_per_token_per_ctx: footprint.attention_flops_per_token_per_ctx(),
        n_depth: w.n_depth,
        n_prompt: w.n_prompt,
        n_gen: w.n_gen,
        decode_tps: record.metrics.decode_tps.as_ref().map(|s| s.mean),
        prefill_tps: record.metrics.prefill_tps.as_ref().map(|s| s.mean),
        measured_read_gbs: device.measured_read_gbs,
        peak_gbs: device.peak_gbs,
        peak_tflops,
        peak_tflops_precision: peak_tflops.map(|_| precision.to_string()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn precisions() {
        assert_eq!(precision_of("Q4_0"), "int8");
        assert_eq!(precision_of("Q4_K_M"), "int8");
        assert_eq!(precision_of("F16"), "fp16");
        assert_eq!(precision_of("f32"), "fp32");
        assert_eq!(precision_of("BF16"), "bf16");
    }
}
