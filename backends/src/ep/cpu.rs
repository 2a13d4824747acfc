//! The default CPU provider (MLAS), ONNX Runtime's own kernels.
use super::EpFacts;
#[cfg(feature = "onnx")]
use super::register::{Built, Options};

pub(super) const FACTS: EpFacts = ep_facts! {
    id: "cpu",
    ort_name: "CPUExecutionProvider",
    aliases: &[],
    option_keys: &[],
    option_prefix: None,
};

/// Its registration from the checked `ep_options`.
#[cfg(feature = "onnx")]
pub(super) fn build(pass: &[(&str, &str)]) -> Built {
    // No options to pass: `ep_options` for it are refused before this.
    let _ = pass;
    Ok(ort::ep::CPU::default().build())
}

/// The device label for the record.
#[cfg(feature = "onnx")]
pub(super) fn device(_options: &Options) -> String {
    "CPU".into()
}
