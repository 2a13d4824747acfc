//! NVIDIA CUDA.
use super::EpFacts;
#[cfg(feature = "onnx")]
use super::register::{Built, Options, with_config};

pub(super) const FACTS: EpFacts = ep_facts! {
    id: "cuda",
    ort_name: "CUDAExecutionProvider",
    aliases: &[],
    option_keys: &[
        "device_id",
        "gpu_mem_limit",
        "arena_extend_strategy",
        "cudnn_conv_algo_search",
        "do_copy_in_default_stream",
        "enable_cuda_graph",
        "use_tf32",
        "prefer_nhwc",
        "sdpa_kernel",
        "enable_skip_layer_norm_strict_mode",
    ],
    option_prefix: None,
};

/// Its registration from the checked `ep_options`.
#[cfg(feature = "onnx")]
pub(super) fn build(pass: &[(&str, &str)]) -> Built {
    Ok(with_config(ort::ep::CUDA::default(), pass).build())
}

/// The device label for the record.
#[cfg(feature = "onnx")]
pub(super) fn device(options: &Options) -> String {
    format!(
        "CUDA{}",
        options.get("device_id").map(String::as_str).unwrap_or("0")
    )
}
