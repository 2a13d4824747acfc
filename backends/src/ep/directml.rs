//! DirectML (Windows). Its options are typed in ort, so each is parsed
//! here rather than passed through as text.
use super::EpFacts;
#[cfg(feature = "onnx")]
use super::register::{Built, Options, opt_err};

pub(super) const FACTS: EpFacts = ep_facts! {
    id: "directml",
    ort_name: "DmlExecutionProvider",
    aliases: &["dml"],
    option_keys: &[
        "device_id",
        "performance_preference",
        "device_filter",
    ],
    option_prefix: None,
};

/// Its registration from the checked `ep_options`.
#[cfg(feature = "onnx")]
pub(super) fn build(pass: &[(&str, &str)]) -> Built {
    use ort::ep::directml::{DeviceFilter, PerformancePreference};
    let mut d = ort::ep::DirectML::default();
    for (k, v) in pass {
        d = match *k {
            "device_id" => d.with_device_id(v.parse().map_err(|_| {
                opt_err(format!("directml option device_id takes an integer, not '{v}'"))
            })?),
            "performance_preference" => d.with_performance_preference(match *v {
                "default" => PerformancePreference::Default,
                "high_performance" => PerformancePreference::HighPerformance,
                "minimum_power" => PerformancePreference::MinimumPower,
                _ => {
                    return Err(opt_err(format!(
                        "directml performance_preference is default, high_performance or minimum_power, not '{v}'"
                    )));
                }
            }),
            _ => d.with_device_filter(match *v {
                "gpu" => DeviceFilter::Gpu,
                "npu" => DeviceFilter::Npu,
                "any" => DeviceFilter::Any,
                _ => {
                    return Err(opt_err(format!(
                        "directml device_filter is gpu, npu or any, not '{v}'"
                    )));
                }
            }),
        };
    }
    Ok(d.build())
}

/// The device label for the record.
#[cfg(feature = "onnx")]
pub(super) fn device(_options: &Options) -> String {
    "DirectML".into()
}
