//! Intel OpenVINO.
use super::EpFacts;
#[cfg(feature = "onnx")]
use super::register::{Built, Options, with_config};

pub(super) const FACTS: EpFacts = ep_facts! {
    id: "openvino",
    ort_name: "OpenVINOExecutionProvider",
    aliases: &[],
    option_keys: &[
        "device_type",
        "precision",
        "num_of_threads",
        "num_streams",
        "cache_dir",
        "enable_opencl_throttling",
        "enable_qdq_optimizer",
        "disable_dynamic_shapes",
    ],
    option_prefix: None,
};

/// Its registration from the checked `ep_options`.
#[cfg(feature = "onnx")]
pub(super) fn build(pass: &[(&str, &str)]) -> Built {
    Ok(with_config(ort::ep::OpenVINO::default(), pass).build())
}

/// The device label for the record.
#[cfg(feature = "onnx")]
pub(super) fn device(options: &Options) -> String {
    format!(
        "OpenVINO {}",
        options
            .get("device_type")
            .map(String::as_str)
            .unwrap_or("default")
    )
}
