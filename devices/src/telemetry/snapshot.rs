//! The telemetry snapshot a record carries from the start of its case:
//! clocks, governors, power mode, power draw and active throttle flags
//! (temperatures are in the record's `thermal_at_start`).
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::channels::ChannelKind;
use super::nvml::THROTTLING;
use super::sources::Sources;
use crate::probe::{board, fs};

/// One reading of one channel.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reading {
    /// Channel name, e.g. "cpufreq/policy0", "nvml0/sm_clock", "ina3221/VDD_IN".
    pub name: String,
    /// Value in `unit`.
    pub value: f64,
    /// Unit, e.g. "MHz", "W".
    pub unit: String,
    /// The hardware maximum where known (clocks), in `unit`.
    pub max: Option<f64>,
}

/// What the device looked like as a case started.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TelemetrySnapshot {
    /// CPU and GPU clocks (cpufreq policies, NVML, Jetson devfreq).
    pub clocks: Vec<Reading>,
    /// Distinct cpufreq governors, e.g. ["schedutil"].
    pub governors: Vec<String>,
    /// Jetson nvpmodel mode, e.g. "0 (MAXN)".
    pub power_mode: Option<String>,
    /// Power draws (rails, hwmon, NVML), W.
    pub power: Vec<Reading>,
    /// Throttle signals on right now, e.g. "nvml0: thermal or power",
    /// "rpi: throttled". Empty when none is on or none can be read.
    pub throttling: Vec<String>,
}

impl TelemetrySnapshot {
    /// The running machine now.
    pub fn take() -> TelemetrySnapshot {
        TelemetrySnapshot::take_at(Path::new("/"))
    }

    /// The machine under `root` (a fixture tree in tests) now.
    pub fn take_at(root: &Path) -> TelemetrySnapshot {
        let mut sources = Sources::discover_at(root);
        let mut row = vec![f64::NAN; sources.channels().len()];
        sources.read(&mut row);
        let mut snap = TelemetrySnapshot::default();
        for (ch, &v) in sources.channels().iter().zip(&row) {
            if v.is_nan() {
                continue;
            }
            let reading = Reading {
                name: ch.name.clone(),
                value: v,
                unit: ch.unit.clone(),
                max: ch.max,
            };
            match ch.kind {
                ChannelKind::CpuClock | ChannelKind::GpuClock | ChannelKind::GpuMemoryClock => {
                    snap.clocks.push(reading)
                }
                ChannelKind::Power => snap.power.push(reading),
                ChannelKind::GpuThrottleReasons if (v as u64) & THROTTLING != 0 => snap
                    .throttling
                    .push(format!("{}: thermal or power slowdown", ch.name)),
                ChannelKind::PiThrottled if (v as u64) & 0b1111 != 0 => {
                    snap.throttling.push(pi_flags(v as u64))
                }
                _ => {}
            }
        }
        let mut governors: Vec<String> =
            fs::numbered_entries(&fs::at(root, "/sys/devices/system/cpu/cpufreq"), "policy")
                .into_iter()
                .filter_map(|(_, d)| fs::read_trimmed(&d.join("scaling_governor")))
                .collect();
        governors.sort();
        governors.dedup();
        snap.governors = governors;
        snap.power_mode = board::nvpmodel_mode(root).map(|m| match &m.name {
            Some(name) => format!("{} ({name})", m.id),
            None => m.id.to_string(),
        });
        snap
    }
}

/// The Raspberry Pi firmware's "now" bits in words.
fn pi_flags(bits: u64) -> String {
    let names = [
        (0, "under-voltage"),
        (1, "arm frequency capped"),
        (2, "throttled"),
        (3, "soft temperature limit"),
    ];
    let on: Vec<&str> = names
        .iter()
        .filter(|(b, _)| bits & (1 << b) != 0)
        .map(|(_, n)| *n)
        .collect();
    format!("rpi: {}", on.join(", "))
}
