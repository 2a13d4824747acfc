//! Qualcomm QNN (Hexagon NPU, Adreno GPU).
use super::EpFacts;
#[cfg(feature = "onnx")]
use super::register::{Built, Options, with_config};

pub(super) const FACTS: EpFacts = ep_facts! {
    id: "qnn",
    ort_name: "QNNExecutionProvider",
    aliases: &[],
    option_keys: &[
        "backend_path",
        "backend_type",
        "htp_performance_mode",
        "profiling_level",
        "profiling_file_path",
        "rpc_control_latency",
        "vtcm_mb",
        "soc_model",
        "htp_arch",
        "device_id",
        "enable_htp_fp16_precision",
        "enable_htp_weight_sharing",
        "htp_graph_finalization_optimization_mode",
        "qnn_context_priority",
        "offload_graph_io_quantization",
    ],
    option_prefix: None,
};

/// Its registration from the checked `ep_options`.
#[cfg(feature = "onnx")]
pub(super) fn build(pass: &[(&str, &str)]) -> Built {
    Ok(with_config(ort::ep::QNN::default(), pass).build())
}

/// The device label for the record.
#[cfg(feature = "onnx")]
pub(super) fn device(_options: &Options) -> String {
    "QNN".into()
}
