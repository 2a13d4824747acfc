//! ONNX Runtime execution providers and graph optimisation levels, by name:
//! one file per provider holding its facts (id, ONNX Runtime name, option
//! keys) and, with the `onnx` feature, its registration and device label.
//! The names live outside the `onnx` feature so every build parses
//! `onnx:<ep>` the same way and a build without ONNX Runtime can say "not
//! compiled in".
use std::fmt;
use std::str::FromStr;

use crate::error::BackendError;

/// Builds an [`EpFacts`] whose backend id is "onnx:" + the provider id, so
/// the id is spelled once per provider.
macro_rules! ep_facts {
    (id: $id:literal, $($field:ident: $value:expr),* $(,)?) => {
        $crate::ep::EpFacts {
            id: $id,
            backend_id: concat!("onnx:", $id),
            $($field: $value),*
        }
    };
}

mod coreml;
mod cpu;
mod cuda;
mod directml;
mod openvino;
mod qnn;
mod tensorrt;
mod xnnpack;

#[cfg(feature = "onnx")]
mod register;
#[cfg(feature = "onnx")]
pub use register::build_ep;

/// What edgebench knows about one execution provider, whether or not ONNX
/// Runtime is compiled in.
#[derive(Debug)]
pub(crate) struct EpFacts {
    /// The id on the command line and in records ("cuda").
    pub id: &'static str,
    /// The backend id ("onnx:cuda").
    pub backend_id: &'static str,
    /// ONNX Runtime's own name ("CUDAExecutionProvider").
    pub ort_name: &'static str,
    /// Other names accepted on the command line ("trt").
    pub aliases: &'static [&'static str],
    /// The `ep_options` keys it accepts.
    pub option_keys: &'static [&'static str],
    /// A prefix under which any key is passed through ("trt_").
    // Only the option checks read it, and they need ONNX Runtime.
    #[cfg_attr(not(feature = "onnx"), allow(dead_code))]
    pub option_prefix: Option<&'static str>,
}

/// An ONNX Runtime execution provider, by the name used on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub enum Ep {
    /// The default CPU provider (MLAS).
    #[default]
    Cpu,
    /// NVIDIA CUDA.
    Cuda,
    /// NVIDIA TensorRT.
    TensorRt,
    /// Qualcomm QNN (Hexagon NPU, Adreno GPU).
    Qnn,
    /// Apple Core ML.
    CoreMl,
    /// XNNPACK (Arm/x86 CPU kernels).
    Xnnpack,
    /// Intel OpenVINO.
    OpenVino,
    /// DirectML (Windows).
    DirectMl,
}

impl Ep {
    /// Every provider, in CLI order.
    pub const ALL: [Ep; 8] = [
        Ep::Cpu,
        Ep::Cuda,
        Ep::TensorRt,
        Ep::Qnn,
        Ep::CoreMl,
        Ep::Xnnpack,
        Ep::OpenVino,
        Ep::DirectMl,
    ];

    /// The one place a provider is mapped to its file.
    pub(crate) const fn facts(self) -> &'static EpFacts {
        match self {
            Ep::Cpu => &cpu::FACTS,
            Ep::Cuda => &cuda::FACTS,
            Ep::TensorRt => &tensorrt::FACTS,
            Ep::Qnn => &qnn::FACTS,
            Ep::CoreMl => &coreml::FACTS,
            Ep::Xnnpack => &xnnpack::FACTS,
            Ep::OpenVino => &openvino::FACTS,
            Ep::DirectMl => &directml::FACTS,
        }
    }

    /// The id on the command line and in records ("cpu", "cuda", ...).
    pub fn id(self) -> &'static str {
        self.facts().id
    }

    /// The backend id on the command line and in records ("onnx:cuda").
    pub fn backend_id(self) -> &'static str {
        self.facts().backend_id
    }

    /// ONNX Runtime's own name for it ("CUDAExecutionProvider", ...).
    pub fn ort_name(self) -> &'static str {
        self.facts().ort_name
    }

    /// The `ep_options` keys this provider accepts (ONNX Runtime's own
    /// option names; TensorRT also takes any `trt_*` key and the short
    /// forms `fp16`, `int8`, `engine_cache`, `engine_cache_path`). Every
    /// non-CPU provider also takes [`ALLOW_CPU_FALLBACK`].
    pub fn option_keys(self) -> &'static [&'static str] {
        self.facts().option_keys
    }
}

/// `ep_options` key (any non-CPU provider). Default "1": nodes the provider
/// does not take run on the CPU provider, which is ONNX Runtime's normal
/// partitioning (it deliberately places shape subgraphs such as
/// Shape→Gather→Concat on the CPU for CUDA and TensorRT, so real LLM
/// exports need it). It is not a fallback of the whole provider: a provider
/// that cannot be registered is still `ep_unavailable`. "0" makes it strict
/// (`session.disable_cpu_ep_fallback` = 1): a graph the provider cannot run
/// whole fails to load. The record's facts say which (`cpu_ep_fallback`).
pub const ALLOW_CPU_FALLBACK: &str = "allow_cpu_fallback";

impl fmt::Display for Ep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

impl FromStr for Ep {
    type Err = BackendError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let l = s.to_ascii_lowercase();
        Ep::ALL
            .into_iter()
            .find(|e| e.id() == l || e.ort_name().eq_ignore_ascii_case(s))
            .or_else(|| {
                Ep::ALL
                    .into_iter()
                    .find(|e| e.facts().aliases.contains(&l.as_str()))
            })
            .ok_or_else(|| {
                let ids: Vec<&str> = Ep::ALL.iter().map(|e| e.id()).collect();
                BackendError::Options(format!(
                    "unknown ONNX Runtime execution provider '{s}'; known: {}",
                    ids.join(", ")
                ))
            })
    }
}

/// ONNX Runtime graph optimisation level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum GraphOpt {
    /// No graph optimisation.
    Disable,
    /// Level 1: constant folding, redundant node removal.
    Basic,
    /// Level 2: complex fusions.
    Extended,
    /// Everything, layout optimisations included (ORT's default).
    All,
}

impl GraphOpt {
    /// "disable", "basic", "extended" or "all".
    pub fn id(self) -> &'static str {
        match self {
            GraphOpt::Disable => "disable",
            GraphOpt::Basic => "basic",
            GraphOpt::Extended => "extended",
            GraphOpt::All => "all",
        }
    }
}

impl FromStr for GraphOpt {
    type Err = BackendError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "disable" | "disabled" | "none" | "0" => Ok(GraphOpt::Disable),
            "basic" | "1" => Ok(GraphOpt::Basic),
            "extended" | "2" => Ok(GraphOpt::Extended),
            "all" | "3" | "99" => Ok(GraphOpt::All),
            _ => Err(BackendError::Options(format!(
                "unknown graph optimisation level '{s}'; use disable, basic, extended or all"
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ep_names_parse() {
        for e in Ep::ALL {
            assert_eq!(e.id().parse::<Ep>().unwrap(), e);
            assert_eq!(e.ort_name().parse::<Ep>().unwrap(), e);
        }
        assert_eq!("CUDA".parse::<Ep>().unwrap(), Ep::Cuda);
        assert_eq!("trt".parse::<Ep>().unwrap(), Ep::TensorRt);
        let e = "vulkan".parse::<Ep>().unwrap_err().to_string();
        assert!(e.contains("'vulkan'") && e.contains("openvino"), "{e}");
        assert_eq!("extended".parse::<GraphOpt>().unwrap(), GraphOpt::Extended);
        assert!("max".parse::<GraphOpt>().is_err());
    }

    #[test]
    fn backend_ids_are_onnx_colon_id_and_unique() {
        for e in Ep::ALL {
            assert_eq!(e.backend_id(), format!("onnx:{}", e.id()));
        }
        let mut ids: Vec<&str> = Ep::ALL.iter().map(|e| e.id()).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), Ep::ALL.len());
    }
}
