//! Host facts recorded with every result: CPU, cores, memory, OS, kernel.
use serde::{Deserialize, Serialize};

/// What the machine a result was measured on is.
///
/// Fields the platform cannot tell are `None`, never guessed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HostInfo {
    /// CPU model string, e.g. "AMD EPYC 9654 96-Core Processor".
    pub cpu_model: Option<String>,
    /// CPU architecture the binary was built for, e.g. "x86_64", "aarch64".
    pub arch: String,
    /// Physical cores, where the OS reports them.
    pub physical_cores: Option<u32>,
    /// Logical CPUs (hardware threads) online.
    pub logical_cores: u32,
    /// Total RAM in bytes.
    pub ram_bytes: u64,
    /// Operating system name and version, e.g. "Debian GNU/Linux 12".
    pub os: Option<String>,
    /// Kernel version, e.g. "6.1.0-18-amd64".
    pub kernel: Option<String>,
    /// Host name.
    pub hostname: Option<String>,
    /// Board or machine model where its files say ("NVIDIA Jetson AGX Orin
    /// Developer Kit", "Raspberry Pi 5 Model B Rev 1.0", a DMI product name).
    #[serde(default)]
    pub board: Option<String>,
    /// CPU frequency governors in use (distinct, sorted), e.g. ["performance"].
    #[serde(default)]
    pub cpu_governors: Vec<String>,
    /// Highest cpufreq maximum over the CPU policies, MHz.
    #[serde(default)]
    pub cpu_max_mhz: Option<f64>,
    /// Total swap in bytes (0: none configured).
    #[serde(default)]
    pub swap_bytes: Option<u64>,
    /// NVIDIA GPUs seen through NVML: "name (driver, CUDA x.y)".
    #[serde(default)]
    pub gpus: Vec<String>,
    /// Jetson Linux (L4T) release, e.g. "36.3.0".
    #[serde(default)]
    pub l4t_release: Option<String>,
    /// Jetson power mode, e.g. "0 (MAXN)"; bandwidth and clocks depend on it.
    #[serde(default)]
    pub nvpmodel_mode: Option<String>,
}

impl HostInfo {
    /// Every host fact: [`HostInfo::basic`] plus what the probe finds
    /// (board, clocks, governors, swap, NVIDIA GPUs, Jetson release and mode).
    pub fn probe() -> Self {
        crate::probe::ProbeReport::collect(vec![]).host_facts()
    }

    /// The facts sysinfo gives: CPU, cores, RAM, OS, kernel, host name.
    pub fn basic() -> Self {
        use sysinfo::{CpuRefreshKind, MemoryRefreshKind, RefreshKind, System};
        // A system sysinfo cannot read gives None fields, not an error.
        let sys = System::new_with_specifics(
            RefreshKind::nothing()
                .with_cpu(CpuRefreshKind::nothing())
                .with_memory(MemoryRefreshKind::nothing().with_ram()),
        )
        .ok();
        let cpus = sys.as_ref().map(|s| s.cpus()).unwrap_or(&[]);
        let cpu_model = cpus
            .first()
            .map(|c| c.brand().trim().to_string())
            .filter(|s| !s.is_empty());
        let logical = std::thread::available_parallelism()
            .map(|n| n.get() as u32)
            .unwrap_or(cpus.len().max(1) as u32);
        HostInfo {
            cpu_model,
            arch: std::env::consts::ARCH.to_string(),
            physical_cores: System::physical_core_count().ok().map(|n| n as u32),
            logical_cores: logical,
            ram_bytes: sys.as_ref().map_or(0, |s| s.total_memory()),
            os: System::long_os_version().ok(),
            kernel: System::kernel_version().ok(),
            hostname: System::host_name().ok(),
            board: None,
            cpu_governors: vec![],
            cpu_max_mhz: None,
            swap_bytes: None,
            gpus: vec![],
            l4t_release: None,
            nvpmodel_mode: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn probe_reads_this_machine() {
        let h = HostInfo::probe();
        assert!(h.logical_cores >= 1);
        assert!(h.ram_bytes > 0, "total RAM must be readable");
        assert_eq!(h.arch, std::env::consts::ARCH);
    }
}
