//! The probe's facts folded into a record's `host` section, and the
//! temperature snapshot every record carries from the start of its case.
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::{Board, CpuFrequencies, GpuProbe, ProbeReport, sensors};
use crate::HostInfo;

impl ProbeReport {
    /// `host` with the probe's board, clocks, governors, swap and GPUs filled in.
    pub fn host_facts(&self) -> HostInfo {
        let mut h = self.host.clone();
        h.cpu_governors = self.cpu.governors.clone();
        h.cpu_max_mhz = match &self.cpu.frequencies {
            CpuFrequencies::Cpufreq { policies } => policies
                .iter()
                .filter_map(|p| p.max_mhz)
                .fold(None, |m: Option<f64>, v| Some(m.map_or(v, |m| m.max(v)))),
            _ => None,
        };
        h.swap_bytes = self.memory.swap_total_bytes;
        match &self.board {
            Board::Jetson {
                model,
                l4t_release,
                nvpmodel_mode,
            } => {
                h.board = model.clone().or_else(|| Some("NVIDIA Jetson".into()));
                h.l4t_release = l4t_release.clone();
                h.nvpmodel_mode = nvpmodel_mode.as_ref().map(|m| match &m.name {
                    Some(name) => format!("{} ({name})", m.id),
                    None => m.id.to_string(),
                });
            }
            Board::RaspberryPi { model, .. } => h.board = Some(model.clone()),
            Board::Other { model, .. } => h.board = Some(model.clone()),
            _ => {}
        }
        if let GpuProbe::Nvml { gpus } = &self.gpus {
            h.gpus = gpus
                .iter()
                .map(|g| {
                    let name = g.name.as_deref().unwrap_or("NVIDIA GPU");
                    let driver = g.driver_version.as_deref().unwrap_or("driver ?");
                    match &g.cuda_driver_version {
                        Some(cuda) => format!("{name} ({driver}, CUDA {cuda})"),
                        None => format!("{name} ({driver})"),
                    }
                })
                .collect();
        }
        h
    }
}

/// One temperature reading.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TemperatureReading {
    /// Where: a thermal zone's type ("cpu-thermal") or "hwmon chip/label".
    pub sensor: String,
    /// Degrees Celsius.
    pub temp_c: f64,
}

/// Every readable temperature under `root` now (thermal zones, hwmon temps).
/// Empty where the machine has no such sensors (never zeros).
pub fn temperatures_at(root: &Path) -> Vec<TemperatureReading> {
    let s = sensors::probe_sensors(root);
    let mut out = vec![];
    for z in &s.thermal_zones {
        if let Some(t) = z.temp_c {
            out.push(TemperatureReading {
                sensor: z.zone_type.clone().unwrap_or_else(|| z.zone.clone()),
                temp_c: t,
            });
        }
    }
    for chip in &s.hwmon {
        for ch in &chip.channels {
            if ch.kind == sensors::HwmonKind::Temperature
                && let Some(v) = ch.value
            {
                let chip_name = chip.name.clone().unwrap_or_else(|| chip.hwmon.clone());
                let label = ch.label.clone().unwrap_or_else(|| ch.file.clone());
                out.push(TemperatureReading {
                    sensor: format!("{chip_name}/{label}"),
                    temp_c: v,
                });
            }
        }
    }
    out
}

/// [`temperatures_at`] the real root.
pub fn temperatures() -> Vec<TemperatureReading> {
    temperatures_at(Path::new("/"))
}
