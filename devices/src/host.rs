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
}

impl HostInfo {
    /// Reads the host facts from the running system.
    pub fn probe() -> Self {
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
