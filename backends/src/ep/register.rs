//! Turning `ep_options` into an ONNX Runtime provider registration: the
//! checks every provider shares live here, then the provider's own file
//! builds its registration.
use std::collections::BTreeMap;

use ort::ep::{ArbitrarilyConfigurableExecutionProvider, ExecutionProviderDispatch};

use super::{
    ALLOW_CPU_FALLBACK, Ep, coreml, cpu, cuda, directml, openvino, qnn, tensorrt, xnnpack,
};
use crate::error::BackendError;

pub(super) fn opt_err(msg: String) -> BackendError {
    BackendError::Options(msg)
}

/// A boolean option as ONNX Runtime spells it ("1" or "0").
pub(super) fn bool_opt(ep: Ep, key: &str, v: &str) -> Result<&'static str, BackendError> {
    match v.to_ascii_lowercase().as_str() {
        "1" | "true" | "on" | "yes" => Ok("1"),
        "0" | "false" | "off" | "no" => Ok("0"),
        _ => Err(opt_err(format!(
            "{ep} option '{key}' takes 1/0 or true/false, not '{v}'"
        ))),
    }
}

/// Passes each (key, value) through to ONNX Runtime as the provider's own
/// option.
pub(super) fn with_config<E: ArbitrarilyConfigurableExecutionProvider>(
    mut e: E,
    kv: &[(&str, &str)],
) -> E {
    for (k, v) in kv {
        e = e.with_arbitrary_config(k, v);
    }
    e
}

/// Checks `ep_options` against the provider and builds its registration.
/// Returns the dispatch and whether nodes the provider cannot run may go to
/// the CPU provider (yes unless `allow_cpu_fallback=0`; see
/// [`ALLOW_CPU_FALLBACK`]).
pub fn build_ep(
    ep: Ep,
    options: &BTreeMap<String, String>,
) -> Result<(ExecutionProviderDispatch, bool), BackendError> {
    let mut allow_cpu_fallback = true;
    let mut pass = Vec::new();
    for (k, v) in options {
        if k == ALLOW_CPU_FALLBACK && ep != Ep::Cpu {
            allow_cpu_fallback = bool_opt(ep, k, v)? == "1";
            continue;
        }
        let known = ep.option_keys().contains(&k.as_str())
            || ep.facts().option_prefix.is_some_and(|p| k.starts_with(p));
        if !known {
            return Err(unknown_option(ep, k));
        }
        pass.push((k.as_str(), v.as_str()));
    }
    let dispatch = match ep {
        Ep::Cpu => cpu::build(&pass)?,
        Ep::Cuda => cuda::build(&pass)?,
        Ep::TensorRt => tensorrt::build(&pass)?,
        Ep::Qnn => qnn::build(&pass)?,
        Ep::CoreMl => coreml::build(&pass)?,
        Ep::Xnnpack => xnnpack::build(&pass)?,
        Ep::OpenVino => openvino::build(&pass)?,
        Ep::DirectMl => directml::build(&pass)?,
    };
    Ok((dispatch.error_on_failure(), allow_cpu_fallback))
}

fn unknown_option(ep: Ep, k: &str) -> BackendError {
    let mut keys: Vec<&str> = ep.option_keys().to_vec();
    if ep != Ep::Cpu {
        keys.push(ALLOW_CPU_FALLBACK);
    }
    opt_err(format!(
        "unknown option '{k}' for ONNX Runtime execution provider '{ep}'; {}",
        if keys.is_empty() {
            "it takes no options".to_string()
        } else {
            format!("known: {}", keys.join(", "))
        }
    ))
}

impl Ep {
    /// The device a session on this provider runs on, as the record names
    /// it ("CPU", "CUDA0", "OpenVINO GPU", ...), from its `ep_options`.
    pub fn device_label(self, options: &BTreeMap<String, String>) -> String {
        match self {
            Ep::Cpu => cpu::device(options),
            Ep::Cuda => cuda::device(options),
            Ep::TensorRt => tensorrt::device(options),
            Ep::Qnn => qnn::device(options),
            Ep::CoreMl => coreml::device(options),
            Ep::Xnnpack => xnnpack::device(options),
            Ep::OpenVino => openvino::device(options),
            Ep::DirectMl => directml::device(options),
        }
    }
}

/// The `ep_options` a provider's device label is read from.
pub(super) type Options = BTreeMap<String, String>;

/// A provider's registration, or why its options are wrong.
pub(super) type Built = Result<ExecutionProviderDispatch, BackendError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_ep_option_names_key_and_ep() {
        let mut o = BTreeMap::new();
        o.insert("device_idd".to_string(), "0".to_string());
        let e = build_ep(Ep::Cuda, &o).err().unwrap().to_string();
        assert!(e.contains("'device_idd'") && e.contains("'cuda'"), "{e}");
        assert!(e.contains("device_id"), "{e}");
        let e = build_ep(Ep::Cpu, &o).err().unwrap().to_string();
        assert!(e.contains("takes no options"), "{e}");
    }

    #[test]
    fn known_ep_options_build_and_node_fallback_is_on_by_default() {
        let mut o = BTreeMap::new();
        o.insert("backend_path".to_string(), "libQnnHtp.so".to_string());
        o.insert("htp_performance_mode".to_string(), "burst".to_string());
        let (_, fallback) = build_ep(Ep::Qnn, &o).unwrap();
        assert!(fallback);
        assert!(build_ep(Ep::Cuda, &BTreeMap::new()).unwrap().1);
        o.insert(ALLOW_CPU_FALLBACK.to_string(), "0".to_string());
        assert!(!build_ep(Ep::Qnn, &o).unwrap().1);
        o.insert(ALLOW_CPU_FALLBACK.to_string(), "1".to_string());
        assert!(build_ep(Ep::Qnn, &o).unwrap().1);
        let mut t = BTreeMap::new();
        t.insert("fp16".to_string(), "maybe".to_string());
        let e = build_ep(Ep::TensorRt, &t).err().unwrap().to_string();
        assert!(e.contains("fp16"), "{e}");
        t.insert("fp16".to_string(), "true".to_string());
        t.insert(
            "trt_max_workspace_size".to_string(),
            "1073741824".to_string(),
        );
        build_ep(Ep::TensorRt, &t).unwrap();
        assert!(build_ep(Ep::Cpu, &BTreeMap::new()).unwrap().1);
    }
}
