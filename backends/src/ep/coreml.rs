//! Apple Core ML.
use super::EpFacts;
#[cfg(feature = "onnx")]
use super::register::{Built, Options, with_config};

pub(super) const FACTS: EpFacts = ep_facts! {
    id: "coreml",
    ort_name: "CoreMLExecutionProvider",
    aliases: &[],
    option_keys: &[
        "ModelFormat",
        "MLComputeUnits",
        "RequireStaticInputShapes",
        "EnableOnSubgraphs",
        "SpecializationStrategy",
        "ProfileComputePlan",
        "AllowLowPrecisionAccumulationOnGPU",
        "ModelCacheDirectory",
    ],
    option_prefix: None,
};

/// Its registration from the checked `ep_options`.
#[cfg(feature = "onnx")]
pub(super) fn build(pass: &[(&str, &str)]) -> Built {
    Ok(with_config(ort::ep::CoreML::default(), pass).build())
}

/// The device label for the record.
#[cfg(feature = "onnx")]
pub(super) fn device(_options: &Options) -> String {
    "CoreML".into()
}
