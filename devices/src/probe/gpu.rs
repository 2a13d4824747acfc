//! NVIDIA GPUs through NVML (nvml-wrapper), loaded at run time when present.

use nvml_wrapper::Nvml;
use nvml_wrapper::enum_wrappers::device::TemperatureSensor;
use nvml_wrapper::error::NvmlError;
use serde::{Deserialize, Serialize};

/// GPUs the probe can see, or why it cannot see any.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
#[non_exhaustive]
pub enum GpuProbe {
    /// NVML loaded; its devices (possibly none).
    Nvml {
        /// One entry per NVML device index.
        gpus: Vec<NvidiaGpu>,
    },
    /// NVML could not be used; `reason` starts with "NVML not available: ".
    Unavailable {
        /// Why, e.g. "NVML not available: libnvidia-ml.so could not be loaded (...)".
        reason: String,
    },
}

/// One NVIDIA GPU as NVML reports it. A query the device or driver does not
/// support leaves its field `None`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NvidiaGpu {
    /// NVML device index.
    pub index: u32,
    /// Product name, e.g. "NVIDIA H200".
    pub name: Option<String>,
    /// GPU UUID, e.g. "GPU-5b0f...".
    pub uuid: Option<String>,
    /// Driver version, e.g. "550.54.15".
    pub driver_version: Option<String>,
    /// Newest CUDA version the driver supports, e.g. "12.4".
    pub cuda_driver_version: Option<String>,
    /// Installed framebuffer memory in bytes.
    pub memory_total_bytes: Option<u64>,
    /// Allocated framebuffer memory in bytes at probe time.
    pub memory_used_bytes: Option<u64>,
    /// Enforced power limit in watts.
    pub power_limit_w: Option<f64>,
    /// GPU die temperature in °C at probe time.
    pub temperature_c: Option<u32>,
}

/// Probes NVML on the running machine.
pub(crate) fn probe_nvml() -> GpuProbe {
    let nvml = match Nvml::init() {
        Ok(nvml) => nvml,
        Err(e) => {
            return GpuProbe::Unavailable {
                reason: format!("NVML not available: {}", init_failure(&e)),
            };
        }
    };
    let count = match nvml.device_count() {
        Ok(n) => n,
        Err(e) => {
            return GpuProbe::Unavailable {
                reason: format!("NVML not available: NVML loaded but counting devices failed: {e}"),
            };
        }
    };
    let driver_version = nvml.sys_driver_version().ok();
    let cuda_driver_version = nvml.sys_cuda_driver_version().ok().map(|v| {
        format!(
            "{}.{}",
            nvml_wrapper::cuda_driver_version_major(v),
            nvml_wrapper::cuda_driver_version_minor(v)
        )
    });
    let gpus = (0..count)
        .map(|index| {
            let mut gpu = NvidiaGpu {
                index,
                name: None,
                uuid: None,
                driver_version: driver_version.clone(),
                cuda_driver_version: cuda_driver_version.clone(),
                memory_total_bytes: None,
                memory_used_bytes: None,
                power_limit_w: None,
                temperature_c: None,
            };
            // A device NVML cannot open (lost, no permission) keeps only its index.
            if let Ok(device) = nvml.device_by_index(index) {
                gpu.name = device.name().ok();
                gpu.uuid = device.uuid().ok();
                if let Ok(mem) = device.memory_info() {
                    gpu.memory_total_bytes = Some(mem.total);
                    gpu.memory_used_bytes = Some(mem.used);
                }
                gpu.power_limit_w = device
                    .enforced_power_limit()
                    .ok()
                    .map(|mw| f64::from(mw) / 1000.0);
                gpu.temperature_c = device.temperature(TemperatureSensor::Gpu).ok();
            }
            gpu
        })
        .collect();
    GpuProbe::Nvml { gpus }
}

/// Says why `Nvml::init` failed in words a user can act on.
fn init_failure(e: &NvmlError) -> String {
    match e {
        NvmlError::LibloadingError(inner) => format!(
            "libnvidia-ml.so could not be loaded ({inner}); no NVIDIA driver is installed \
             or its library is not on the loader path"
        ),
        NvmlError::FailedToLoadSymbol(sym) => {
            format!("libnvidia-ml.so lacks a required symbol ({sym}); the driver may be too old")
        }
        NvmlError::DriverNotLoaded => {
            "libnvidia-ml.so loaded but the NVIDIA kernel driver is not running".to_string()
        }
        NvmlError::NoPermission => {
            "NVML has no permission to talk to the driver (check /dev/nvidia* access)".to_string()
        }
        other => format!("NVML initialisation failed: {other}"),
    }
}
