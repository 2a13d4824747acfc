//! NVIDIA TensorRT. Besides its own `trt_*` options it takes short forms
//! (`fp16`, `int8`, `engine_cache`, `engine_cache_path`) mapped to them.
#[cfg(feature = "onnx")]
use super::Ep;
use super::EpFacts;
#[cfg(feature = "onnx")]
use super::register::{Built, Options, bool_opt, with_config};

pub(super) const FACTS: EpFacts = ep_facts! {
    id: "tensorrt",
    ort_name: "TensorrtExecutionProvider",
    aliases: &["trt"],
    option_keys: &[
        "device_id",
        "fp16",
        "int8",
        "engine_cache",
        "engine_cache_path",
    ],
    option_prefix: Some("trt_"),
};

/// Its registration from the checked `ep_options`.
#[cfg(feature = "onnx")]
pub(super) fn build(pass: &[(&str, &str)]) -> Built {
    let mut mapped = Vec::new();
    for (k, v) in pass {
        let key = match *k {
            "fp16" => "trt_fp16_enable",
            "int8" => "trt_int8_enable",
            "engine_cache" => "trt_engine_cache_enable",
            "engine_cache_path" => "trt_engine_cache_path",
            other => other,
        };
        let val = if matches!(*k, "fp16" | "int8" | "engine_cache") {
            bool_opt(Ep::TensorRt, k, v)?
        } else {
            v
        };
        mapped.push((key, val));
    }
    Ok(with_config(ort::ep::TensorRT::default(), &mapped).build())
}

/// The device label for the record.
#[cfg(feature = "onnx")]
pub(super) fn device(options: &Options) -> String {
    format!(
        "CUDA{}",
        options.get("device_id").map(String::as_str).unwrap_or("0")
    )
}
