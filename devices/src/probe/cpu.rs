//! CPU clocks and governors: cpufreq policies from sysfs, sysinfo as fallback.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::fs::{at, numbered_entries, read_trimmed, read_u64};

/// What the probe found out about CPU clocks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CpuProbe {
    /// Where the frequencies come from, with the figures themselves.
    pub frequencies: CpuFrequencies,
    /// Distinct cpufreq governors in use, e.g. ["schedutil"]; empty when
    /// cpufreq is absent.
    pub governors: Vec<String>,
}

/// CPU frequencies, tagged by where they were read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "source", rename_all = "snake_case")]
#[non_exhaustive]
pub enum CpuFrequencies {
    /// One entry per /sys/devices/system/cpu/cpufreq/policy*.
    Cpufreq {
        /// The policies in numeric order.
        policies: Vec<CpufreqPolicy>,
    },
    /// sysinfo's current frequency per logical CPU (no cpufreq in sysfs,
    /// e.g. a VM or a non-Linux host).
    Sysinfo {
        /// Current MHz per logical CPU, in CPU order.
        per_cpu_mhz: Vec<u64>,
    },
    /// Nothing readable.
    Unavailable {
        /// Why, for the report.
        reason: String,
    },
}

/// One cpufreq policy (a group of CPUs sharing a clock).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CpufreqPolicy {
    /// Directory name, e.g. "policy0".
    pub policy: String,
    /// CPUs in the policy as the kernel lists them (related_cpus), e.g. "0 1 2 3".
    pub cpus: Option<String>,
    /// scaling_cur_freq in MHz.
    pub cur_mhz: Option<f64>,
    /// cpuinfo_min_freq in MHz (hardware minimum).
    pub min_mhz: Option<f64>,
    /// cpuinfo_max_freq in MHz (hardware maximum, boost included where the
    /// driver reports it).
    pub max_mhz: Option<f64>,
    /// scaling_governor, e.g. "performance", "schedutil", "powersave".
    pub governor: Option<String>,
    /// scaling_driver, e.g. "intel_pstate", "tegra194", "cpufreq-dt".
    pub driver: Option<String>,
}

const CPUFREQ_DIR: &str = "/sys/devices/system/cpu/cpufreq";

/// Reads cpufreq under `root`; falls back to sysinfo only when `real_host`
/// (a fixture tree says nothing about the machine sysinfo would read).
pub(crate) fn probe_cpu(root: &Path, real_host: bool) -> CpuProbe {
    let policies: Vec<CpufreqPolicy> = numbered_entries(&at(root, CPUFREQ_DIR), "policy")
        .into_iter()
        .map(|(name, dir)| {
            let mhz = |file: &str| read_u64(&dir.join(file)).map(|khz| khz as f64 / 1000.0);
            CpufreqPolicy {
                cpus: read_trimmed(&dir.join("related_cpus"))
                    .or_else(|| read_trimmed(&dir.join("affected_cpus"))),
                cur_mhz: mhz("scaling_cur_freq"),
                min_mhz: mhz("cpuinfo_min_freq"),
                max_mhz: mhz("cpuinfo_max_freq"),
                governor: read_trimmed(&dir.join("scaling_governor")),
                driver: read_trimmed(&dir.join("scaling_driver")),
                policy: name,
            }
        })
        .collect();
    let mut governors: Vec<String> = policies.iter().filter_map(|p| p.governor.clone()).collect();
    governors.sort();
    governors.dedup();
    let frequencies = if !policies.is_empty() {
        CpuFrequencies::Cpufreq { policies }
    } else if real_host {
        sysinfo_frequencies()
    } else {
        CpuFrequencies::Unavailable {
            reason: format!(
                "no cpufreq policies under {}",
                at(root, CPUFREQ_DIR).display()
            ),
        }
    };
    CpuProbe {
        frequencies,
        governors,
    }
}

fn sysinfo_frequencies() -> CpuFrequencies {
    use sysinfo::{CpuRefreshKind, RefreshKind, System};
    let sys = match System::new_with_specifics(
        RefreshKind::nothing().with_cpu(CpuRefreshKind::nothing().with_frequency()),
    ) {
        Ok(sys) => sys,
        Err(e) => {
            return CpuFrequencies::Unavailable {
                reason: format!("no cpufreq in sysfs and sysinfo failed: {e}"),
            };
        }
    };
    let per_cpu_mhz: Vec<u64> = sys.cpus().iter().map(|c| c.frequency()).collect();
    // sysinfo reports 0 where it could not read a clock: that is "unknown".
    if per_cpu_mhz.is_empty() || per_cpu_mhz.iter().all(|&f| f == 0) {
        CpuFrequencies::Unavailable {
            reason: "no cpufreq in sysfs and sysinfo reports no CPU clock".to_string(),
        }
    } else {
        CpuFrequencies::Sysinfo { per_cpu_mhz }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixture_root_without_cpufreq_is_unavailable_not_zero() {
        let dir = tempfile::tempdir().unwrap();
        let cpu = probe_cpu(dir.path(), false);
        assert!(cpu.governors.is_empty());
        assert!(matches!(
            cpu.frequencies,
            CpuFrequencies::Unavailable { .. }
        ));
    }

    #[test]
    fn garbage_policy_files_are_none() {
        let dir = tempfile::tempdir().unwrap();
        let p = at(dir.path(), CPUFREQ_DIR).join("policy0");
        std::fs::create_dir_all(&p).unwrap();
        std::fs::write(p.join("scaling_cur_freq"), "fast\n").unwrap();
        std::fs::write(p.join("cpuinfo_max_freq"), "").unwrap();
        std::fs::write(p.join("scaling_governor"), "\n").unwrap();
        let cpu = probe_cpu(dir.path(), false);
        let CpuFrequencies::Cpufreq { policies } = cpu.frequencies else {
            panic!("policy0 exists");
        };
        assert_eq!(policies.len(), 1);
        assert_eq!(policies[0].cur_mhz, None);
        assert_eq!(policies[0].max_mhz, None);
        assert_eq!(policies[0].governor, None);
        assert!(cpu.governors.is_empty());
    }
}
