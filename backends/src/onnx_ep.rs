//! ONNX Runtime execution providers and graph optimisation levels, by name.
//! Outside the `onnx` feature so every build parses `onnx:<ep>` the same way
//! and a build without ONNX Runtime can say "not compiled in".
use std::fmt;
use std::str::FromStr;

use crate::error::BackendError;

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

    /// The id on the command line and in records ("cpu", "cuda", ...).
    pub fn id(self) -> &'static str {
        match self {
            Ep::Cpu => "cpu",
            Ep::Cuda => "cuda",
            Ep::TensorRt => "tensorrt",
            Ep::Qnn => "qnn",
            Ep::CoreMl => "coreml",
            Ep::Xnnpack => "xnnpack",
            Ep::OpenVino => "openvino",
            Ep::DirectMl => "directml",
        }
    }

    /// ONNX Runtime's own name for it ("CUDAExecutionProvider", ...).
    pub fn ort_name(self) -> &'static str {
        match self {
            Ep::Cpu => "CPUExecutionProvider",
            Ep::Cuda => "CUDAExecutionProvider",
            Ep::TensorRt => "TensorrtExecutionProvider",
            Ep::Qnn => "QNNExecutionProvider",
            Ep::CoreMl => "CoreMLExecutionProvider",
            Ep::Xnnpack => "XnnpackExecutionProvider",
            Ep::OpenVino => "OpenVINOExecutionProvider",
            Ep::DirectMl => "DmlExecutionProvider",
        }
    }

    /// The `ep_options` keys this provider accepts (ONNX Runtime's own
    /// option names; TensorRT also takes any `trt_*` key and the short
    /// forms `fp16`, `int8`, `engine_cache`, `engine_cache_path`). Every
    /// non-CPU provider also takes [`ALLOW_CPU_FALLBACK`].
    pub fn option_keys(self) -> &'static [&'static str] {
        match self {
            Ep::Cpu => &[],
            Ep::Cuda => &[
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
            Ep::TensorRt => &[
                "device_id",
                "fp16",
                "int8",
                "engine_cache",
                "engine_cache_path",
            ],
            Ep::Qnn => &[
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
            Ep::CoreMl => &[
                "ModelFormat",
                "MLComputeUnits",
                "RequireStaticInputShapes",
                "EnableOnSubgraphs",
                "SpecializationStrategy",
                "ProfileComputePlan",
                "AllowLowPrecisionAccumulationOnGPU",
                "ModelCacheDirectory",
            ],
            Ep::Xnnpack => &["intra_op_num_threads", "threads"],
            Ep::OpenVino => &[
                "device_type",
                "precision",
                "num_of_threads",
                "num_streams",
                "cache_dir",
                "enable_opencl_throttling",
                "enable_qdq_optimizer",
                "disable_dynamic_shapes",
            ],
            Ep::DirectMl => &["device_id", "performance_preference", "device_filter"],
        }
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
            .or(match l.as_str() {
                "trt" => Some(Ep::TensorRt),
                "dml" => Some(Ep::DirectMl),
                _ => None,
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
