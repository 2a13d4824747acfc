//! The probe report as Markdown: one section per topic, one row per fact.

use std::fmt::Write as _;

use super::{
    BackendAvailability, Board, CpuFrequencies, GpuProbe, HwmonChip, ProbeReport, Sensors,
};

impl ProbeReport {
    /// Renders the report as Markdown (Host, CPU, Memory, GPUs, Board,
    /// Sensors, Backends); anything missing reads "not available: <why>".
    pub fn to_markdown(&self) -> String {
        let mut md = String::from("# edgebench probe\n");
        if self.root != "/" {
            let _ = writeln!(
                md,
                "\nCPU clocks, board and sensors read from files under `{}`; host and \
                 memory describe the machine running the probe.",
                self.root
            );
        }
        self.host_section(&mut md);
        self.cpu_section(&mut md);
        self.memory_section(&mut md);
        self.gpu_section(&mut md);
        self.board_section(&mut md);
        sensors_section(&mut md, &self.sensors);
        backends_section(&mut md, &self.backends);
        md
    }

    fn host_section(&self, md: &mut String) {
        let h = &self.host;
        let unknown = "not available: not reported by the OS";
        section(md, "Host", &["fact", "value"]);
        row(md, &["CPU", opt(&h.cpu_model, unknown)]);
        row(md, &["architecture", &h.arch]);
        let physical = h.physical_cores.map(|n| n.to_string());
        row(md, &["physical cores", opt(&physical, unknown)]);
        row(md, &["logical cores", &h.logical_cores.to_string()]);
        row(md, &["RAM", &gib(h.ram_bytes)]);
        row(md, &["OS", opt(&h.os, unknown)]);
        row(md, &["kernel", opt(&h.kernel, unknown)]);
        row(md, &["hostname", opt(&h.hostname, unknown)]);
    }

    fn cpu_section(&self, md: &mut String) {
        let governors = if self.cpu.governors.is_empty() {
            "not available: no cpufreq scaling_governor".to_string()
        } else {
            self.cpu.governors.join(", ")
        };
        match &self.cpu.frequencies {
            CpuFrequencies::Cpufreq { policies } => {
                section(
                    md,
                    "CPU",
                    &[
                        "policy", "CPUs", "cur MHz", "min MHz", "max MHz", "governor", "driver",
                    ],
                );
                for p in policies {
                    let na = "not available";
                    row(
                        md,
                        &[
                            &p.policy,
                            opt(&p.cpus, na),
                            &mhz(p.cur_mhz),
                            &mhz(p.min_mhz),
                            &mhz(p.max_mhz),
                            opt(&p.governor, na),
                            opt(&p.driver, na),
                        ],
                    );
                }
                let _ = writeln!(md, "\nGovernors: {governors}");
            }
            CpuFrequencies::Sysinfo { per_cpu_mhz } => {
                section(md, "CPU", &["fact", "value"]);
                let list: Vec<String> = per_cpu_mhz.iter().map(u64::to_string).collect();
                row(md, &["frequency per CPU (sysinfo, MHz)", &list.join(", ")]);
                row(md, &["governors", &governors]);
            }
            CpuFrequencies::Unavailable { reason } => {
                section(md, "CPU", &["fact", "value"]);
                row(md, &["frequencies", &format!("not available: {reason}")]);
                row(md, &["governors", &governors]);
            }
        }
    }

    fn memory_section(&self, md: &mut String) {
        let m = &self.memory;
        let show =
            |v: Option<u64>| v.map_or("not available: sysinfo could not read it".into(), gib);
        section(md, "Memory", &["fact", "value"]);
        row(md, &["RAM total", &show(m.ram_total_bytes)]);
        row(md, &["RAM available", &show(m.ram_available_bytes)]);
        let swap_total = match m.swap_total_bytes {
            Some(0) => "none configured".to_string(),
            other => show(other),
        };
        row(md, &["swap total", &swap_total]);
        row(md, &["swap free", &show(m.swap_free_bytes)]);
    }

    fn gpu_section(&self, md: &mut String) {
        match &self.gpus {
            GpuProbe::Unavailable { reason } => {
                section(md, "GPUs", &["fact", "value"]);
                row(md, &["NVIDIA GPUs", reason]);
            }
            GpuProbe::Nvml { gpus } if gpus.is_empty() => {
                section(md, "GPUs", &["fact", "value"]);
                row(
                    md,
                    &["NVIDIA GPUs", "none: NVML loaded and reports 0 devices"],
                );
            }
            GpuProbe::Nvml { gpus } => {
                section(
                    md,
                    "GPUs",
                    &[
                        "index",
                        "name",
                        "memory used / total",
                        "power limit",
                        "temperature",
                        "driver",
                        "CUDA",
                        "UUID",
                    ],
                );
                let na = "not available";
                for g in gpus {
                    let memory = match (g.memory_used_bytes, g.memory_total_bytes) {
                        (Some(u), Some(t)) => format!("{} / {}", gib(u), gib(t)),
                        _ => na.to_string(),
                    };
                    row(
                        md,
                        &[
                            &g.index.to_string(),
                            opt(&g.name, na),
                            &memory,
                            &g.power_limit_w.map_or(na.into(), |w| format!("{w:.0} W")),
                            &g.temperature_c.map_or(na.into(), |c| format!("{c} °C")),
                            opt(&g.driver_version, na),
                            opt(&g.cuda_driver_version, na),
                            opt(&g.uuid, na),
                        ],
                    );
                }
            }
        }
    }

    fn board_section(&self, md: &mut String) {
        section(md, "Board", &["fact", "value"]);
        match &self.board {
            Board::Jetson {
                model,
                l4t_release,
                nvpmodel_mode,
            } => {
                row(md, &["board", "NVIDIA Jetson"]);
                row(
                    md,
                    &["model", opt(model, "not available: no device-tree model")],
                );
                row(
                    md,
                    &[
                        "L4T release",
                        opt(
                            l4t_release,
                            "not available: /etc/nv_tegra_release unreadable",
                        ),
                    ],
                );
                let mode = nvpmodel_mode.as_ref().map_or_else(
                    || "not available: no /var/lib/nvpmodel/status or PM_CONFIG in /etc/nvpmodel.conf".to_string(),
                    |m| {
                        let name = m.name.as_deref().map(|n| format!(" ({n})")).unwrap_or_default();
                        let default = m.default_id.map(|d| format!("; boot default {d}")).unwrap_or_default();
                        format!("{}{name}: {}{default}", m.id, m.determined_by.describe())
                    },
                );
                row(md, &["nvpmodel mode", &mode]);
            }
            Board::RaspberryPi { model, revision } => {
                row(md, &["board", "Raspberry Pi"]);
                row(md, &["model", model]);
                row(
                    md,
                    &[
                        "revision",
                        opt(revision, "not available: no Revision in /proc/cpuinfo"),
                    ],
                );
            }
            Board::Other { model, source } => {
                row(md, &["board", "other"]);
                row(md, &["model", &format!("{model} (from {source})")]);
            }
            Board::NotDetected => {
                row(
                    md,
                    &[
                        "board",
                        "not available: no device-tree model, nv_tegra_release or DMI name",
                    ],
                );
            }
        }
    }
}

fn sensors_section(md: &mut String, s: &Sensors) {
    let _ = writeln!(md, "\n## Sensors");
    if s.thermal_zones.is_empty() {
        let _ = writeln!(
            md,
            "\nThermal zones: not available: no /sys/class/thermal/thermal_zone*"
        );
    } else {
        subtable(md, &["thermal zone", "type", "temperature"]);
        for z in &s.thermal_zones {
            let temp = z
                .temp_c
                .map_or("not available: temp unreadable".into(), |c| {
                    format!("{c:.1} °C")
                });
            row(md, &[&z.zone, opt(&z.zone_type, "unknown"), &temp]);
        }
    }
    if s.hwmon.is_empty() {
        let _ = writeln!(md, "\nhwmon: not available: no /sys/class/hwmon/hwmon*");
    } else {
        subtable(md, &["hwmon", "channel", "label", "value"]);
        for chip in &s.hwmon {
            hwmon_rows(md, chip);
        }
    }
    if s.rapl.is_empty() {
        let _ = writeln!(
            md,
            "\nRAPL: not available: no /sys/class/powercap/intel-rapl:*"
        );
    } else {
        subtable(md, &["RAPL domain", "name", "energy counter"]);
        for d in &s.rapl {
            let energy = if d.energy_readable {
                "readable".to_string()
            } else {
                "not available: energy_uj unreadable (root-only)".to_string()
            };
            row(md, &[&d.domain, opt(&d.name, "unknown"), &energy]);
        }
    }
    match &s.thermal_throttle {
        None => {
            let _ = writeln!(
                md,
                "\nThermal throttle counters: not available: no cpu*/thermal_throttle"
            );
        }
        Some(t) => {
            let counts = |v: Option<u64>| v.map_or("not available".into(), |n| n.to_string());
            let _ = writeln!(
                md,
                "\nThermal throttle counters: {} on {} CPU(s); core events {}, package events {}",
                t.counters.join(", "),
                t.cpus,
                counts(t.core_throttle_count),
                counts(t.package_throttle_count),
            );
        }
    }
}

fn hwmon_rows(md: &mut String, chip: &HwmonChip) {
    let chip_name = match &chip.name {
        Some(n) => format!("{} ({n})", chip.hwmon),
        None => chip.hwmon.clone(),
    };
    if chip.channels.is_empty() {
        row(md, &[&chip_name, "none", "", ""]);
    }
    for c in &chip.channels {
        let value = c.value.map_or("not available: unreadable".into(), |v| {
            format!("{v} {}", c.unit)
        });
        row(
            md,
            &[
                &chip_name,
                &c.file,
                c.label.as_deref().unwrap_or(""),
                &value,
            ],
        );
    }
}

fn backends_section(md: &mut String, backends: &[BackendAvailability]) {
    if backends.is_empty() {
        let _ = writeln!(
            md,
            "\n## Backends\n\nnot available: the caller supplied no backend list"
        );
        return;
    }
    section(
        md,
        "Backends",
        &["backend", "compiled in", "usable here", "note"],
    );
    for b in backends {
        let usable = match b.usable {
            Some(true) => "yes",
            Some(false) => "no",
            None => "not checked",
        };
        let compiled = if b.compiled_in { "yes" } else { "no" };
        row(md, &[&b.id, compiled, usable, &b.note]);
    }
}

fn section(md: &mut String, title: &str, header: &[&str]) {
    let _ = writeln!(md, "\n## {title}");
    subtable(md, header);
}

fn subtable(md: &mut String, header: &[&str]) {
    md.push('\n');
    row(md, header);
    let rule: Vec<&str> = header.iter().map(|_| "---").collect();
    row(md, &rule);
}

fn row(md: &mut String, cells: &[&str]) {
    md.push('|');
    for cell in cells {
        let _ = write!(md, " {} |", cell.replace('|', "\\|").replace('\n', " "));
    }
    md.push('\n');
}

fn opt<'a>(value: &'a Option<String>, missing: &'a str) -> &'a str {
    value.as_deref().unwrap_or(missing)
}

fn mhz(value: Option<f64>) -> String {
    value.map_or("not available".into(), |v| format!("{v}"))
}

fn gib(bytes: u64) -> String {
    format!(
        "{:.1} GiB ({bytes} bytes)",
        bytes as f64 / f64::from(1u32 << 30)
    )
}
