//! What a telemetry channel measures, and the sampled time series.
use serde::{Deserialize, Serialize};

/// What one channel measures; the unit is fixed by the kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ChannelKind {
    /// A temperature sensor (thermal zone, hwmon temp, GPU die), °C.
    Temperature,
    /// A CPU cluster's current clock (cpufreq policy), MHz.
    CpuClock,
    /// A GPU's graphics/SM clock (NVML, Jetson devfreq), MHz.
    GpuClock,
    /// A GPU's memory clock (NVML), MHz.
    GpuMemoryClock,
    /// A GPU's load (Jetson `load`), percent.
    GpuLoad,
    /// Instantaneous power (hwmon power, INA3221 rail V x I, NVML), W.
    Power,
    /// Energy used since the sampler started (RAPL, hwmon energy, NVML total
    /// energy), J; counter wrap-around already undone.
    Energy,
    /// x86 thermal-throttle events since boot (summed over CPUs).
    ThrottleCount,
    /// x86 time spent throttled since boot, ms.
    ThrottleTimeMs,
    /// NVML current clock-throttle reasons, as the NVML bitmask.
    GpuThrottleReasons,
    /// Raspberry Pi firmware `get_throttled` bits.
    PiThrottled,
    /// GPU memory in use (NVML), bytes.
    GpuMemoryUsed,
}

impl ChannelKind {
    /// The unit of this kind's values.
    pub fn unit(self) -> &'static str {
        match self {
            ChannelKind::Temperature => "°C",
            ChannelKind::CpuClock | ChannelKind::GpuClock | ChannelKind::GpuMemoryClock => "MHz",
            ChannelKind::GpuLoad => "%",
            ChannelKind::Power => "W",
            ChannelKind::Energy => "J",
            ChannelKind::ThrottleCount => "events",
            ChannelKind::ThrottleTimeMs => "ms",
            ChannelKind::GpuThrottleReasons | ChannelKind::PiThrottled => "bitmask",
            ChannelKind::GpuMemoryUsed => "bytes",
        }
    }
}

/// A thermal zone's trip point, read once when the sources are found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TripPoint {
    /// `trip_point_N_type`, e.g. "passive", "critical".
    #[serde(rename = "type")]
    pub trip_type: Option<String>,
    /// `trip_point_N_temp` in °C.
    pub temp_c: f64,
}

/// One sampled signal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Channel {
    /// Stable name, e.g. "thermal/cpu-thermal", "cpufreq/policy0",
    /// "rapl/package-0", "ina3221/VDD_IN", "nvml0/power".
    pub name: String,
    /// What it measures.
    pub kind: ChannelKind,
    /// Unit of its values (follows from `kind`).
    pub unit: String,
    /// The hardware maximum where one exists (a CPU cluster's
    /// cpuinfo_max_freq, a GPU's max clock), in `unit`.
    #[serde(default)]
    pub max: Option<f64>,
    /// Thermal-zone trip points (empty elsewhere).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub trip_points: Vec<TripPoint>,
    /// True for the one rail or counter that covers the whole board's input
    /// power (Jetson VDD_IN / POM_5V_IN), used for energy per token.
    #[serde(default)]
    pub total_input: bool,
}

impl Channel {
    pub(crate) fn new(name: impl Into<String>, kind: ChannelKind) -> Channel {
        Channel {
            name: name.into(),
            kind,
            unit: kind.unit().to_string(),
            max: None,
            trip_points: Vec::new(),
            total_input: false,
        }
    }
}

/// A sampled time series: `rows[i][c]` is channel `c` at `t_s[i]`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TelemetrySeries {
    /// Requested sampling rate, Hz.
    pub hz: f64,
    /// The channels, in column order.
    pub channels: Vec<Channel>,
    /// Sample times in seconds since the run's origin.
    pub t_s: Vec<f64>,
    /// One row per sample; `None` where a channel could not be read then.
    pub rows: Vec<Vec<Option<f64>>>,
    /// Samples taken later than 1.5 periods after the previous one (the
    /// sampler fell behind); reported so a user can tell a gap from a flat line.
    pub late_samples: u32,
    /// CPU time the sampler thread used, seconds (None where unknown).
    pub sampler_cpu_s: Option<f64>,
}

impl TelemetrySeries {
    /// Column of the first channel named `name`.
    pub fn column(&self, name: &str) -> Option<usize> {
        self.channels.iter().position(|c| c.name == name)
    }

    /// Columns of every channel of `kind`.
    pub fn columns_of(&self, kind: ChannelKind) -> Vec<usize> {
        (0..self.channels.len())
            .filter(|&c| self.channels[c].kind == kind)
            .collect()
    }

    /// The hottest readable temperature of row `i`.
    pub fn hottest_c(&self, i: usize) -> Option<f64> {
        self.columns_of(ChannelKind::Temperature)
            .into_iter()
            .filter_map(|c| self.rows[i][c])
            .fold(None, |m: Option<f64>, v| Some(m.map_or(v, |m| m.max(v))))
    }
}
