//! `edgebench probe`: everything knowable about the host, gathered from files
//! under a root so that tests run on fixture trees.
//!
//! Host, memory and GPUs always describe the running machine (sysinfo and
//! NVML cannot be pointed at a directory; NVML is skipped under any root but
//! "/"). CPU clocks, board and sensors are read from files under the root.
//! A sensor that does not exist is reported absent: never 0, never an error.

pub(crate) mod board;
mod cpu;
pub(crate) mod fs;
mod gpu;
mod markdown;
pub(crate) mod sensors;
mod summary;

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::HostInfo;

pub use board::{Board, NvpmodelMode, NvpmodelSource};
pub use cpu::{CpuFrequencies, CpuProbe, CpufreqPolicy};
pub use gpu::{GpuProbe, NvidiaGpu};
pub use sensors::{
    HwmonChannel, HwmonChip, HwmonKind, RaplDomain, Sensors, ThermalThrottle, ThermalZone,
};
pub use summary::{TemperatureReading, temperatures, temperatures_at};

/// Everything the probe found out about this machine.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProbeReport {
    /// The directory files were read under: "/" for the real machine.
    pub root: String,
    /// The facts every record's `host` section carries.
    pub host: HostInfo,
    /// CPU clocks and governors.
    pub cpu: CpuProbe,
    /// RAM and swap.
    pub memory: MemoryProbe,
    /// NVIDIA GPUs, or why none can be seen.
    pub gpus: GpuProbe,
    /// The board, where its files identify it.
    pub board: Board,
    /// Temperature, power and energy sensors that exist.
    pub sensors: Sensors,
    /// Backends and execution providers this build can use (filled by the caller).
    pub backends: Vec<BackendAvailability>,
}

/// RAM and swap from sysinfo; `None` where it could not be read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MemoryProbe {
    /// Total RAM in bytes.
    pub ram_total_bytes: Option<u64>,
    /// RAM available for new work (MemAvailable) in bytes.
    pub ram_available_bytes: Option<u64>,
    /// Total swap in bytes (0: no swap configured).
    pub swap_total_bytes: Option<u64>,
    /// Free swap in bytes.
    pub swap_free_bytes: Option<u64>,
}

/// Whether one backend or execution provider can be used by this build here.
///
/// The devices crate does not know the backends; the harness builds this list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BackendAvailability {
    /// Backend or backend/EP id, e.g. "llama", "onnx/cuda".
    pub id: String,
    /// Whether the build includes it (cargo feature).
    pub compiled_in: bool,
    /// Whether it works on this machine: `None` when not checked.
    pub usable: Option<bool>,
    /// Why it is or is not usable, e.g. "not compiled with the `onnx` feature".
    pub note: String,
}

impl ProbeReport {
    /// Probes the running machine ("/").
    pub fn collect(backends: Vec<BackendAvailability>) -> Self {
        Self::collect_at(Path::new("/"), backends)
    }

    /// Probes with every file read under `root` (a fixture tree in tests).
    pub fn collect_at(root: &Path, backends: Vec<BackendAvailability>) -> Self {
        let real_host = root == Path::new("/");
        let gpus = if real_host {
            gpu::probe_nvml()
        } else {
            GpuProbe::Unavailable {
                reason: format!(
                    "NVML not available: not probed under a fixture root ({})",
                    root.display()
                ),
            }
        };
        ProbeReport {
            root: root.display().to_string(),
            host: HostInfo::basic(),
            cpu: cpu::probe_cpu(root, real_host),
            memory: probe_memory(),
            gpus,
            board: board::probe_board(root),
            sensors: sensors::probe_sensors(root),
            backends,
        }
    }
}

fn probe_memory() -> MemoryProbe {
    use sysinfo::{MemoryRefreshKind, RefreshKind, System};
    let Ok(sys) = System::new_with_specifics(
        RefreshKind::nothing().with_memory(MemoryRefreshKind::nothing().with_ram().with_swap()),
    ) else {
        return MemoryProbe {
            ram_total_bytes: None,
            ram_available_bytes: None,
            swap_total_bytes: None,
            swap_free_bytes: None,
        };
    };
    // sysinfo answers 0 for RAM it could not read; no machine has 0 bytes.
    let ram_total = Some(sys.total_memory()).filter(|&b| b > 0);
    MemoryProbe {
        ram_total_bytes: ram_total,
        ram_available_bytes: ram_total.map(|_| sys.available_memory()),
        swap_total_bytes: ram_total.map(|_| sys.total_swap()),
        swap_free_bytes: ram_total.map(|_| sys.free_swap()),
    }
}
