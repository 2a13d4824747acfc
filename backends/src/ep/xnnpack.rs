//! XNNPACK (Arm/x86 CPU kernels). `threads` is a short form of
//! `intra_op_num_threads`.
use super::EpFacts;
#[cfg(feature = "onnx")]
use super::register::{Built, Options, with_config};

pub(super) const FACTS: EpFacts = ep_facts! {
    id: "xnnpack",
    ort_name: "XnnpackExecutionProvider",
    aliases: &[],
    option_keys: &[
        "intra_op_num_threads",
        "threads",
    ],
    option_prefix: None,
};

/// Its registration from the checked `ep_options`.
#[cfg(feature = "onnx")]
pub(super) fn build(pass: &[(&str, &str)]) -> Built {
    let mapped: Vec<(&str, &str)> = pass
        .iter()
        .map(|&(k, v)| {
            (
                if k == "threads" {
                    "intra_op_num_threads"
                } else {
                    k
                },
                v,
            )
        })
        .collect();
    Ok(with_config(ort::ep::XNNPACK::default(), &mapped).build())
}

/// The device label for the record.
#[cfg(feature = "onnx")]
pub(super) fn device(_options: &Options) -> String {
    "CPU".into()
}
