//! NVIDIA GPU channels through NVML: temperature, SM and memory clocks,
//! power, total energy, memory used and the current throttle reasons.
use nvml_wrapper::Nvml;
use nvml_wrapper::bitmasks::device::ThrottleReasons;
use nvml_wrapper::enum_wrappers::device::{Clock, TemperatureSensor};

use super::channels::{Channel, ChannelKind};

/// Throttle reasons that mean "slowed by heat or power", as opposed to idle
/// or an application clock setting.
pub(crate) const THROTTLING: u64 = ThrottleReasons::SW_POWER_CAP.bits()
    | ThrottleReasons::HW_SLOWDOWN.bits()
    | ThrottleReasons::SW_THERMAL_SLOWDOWN.bits()
    | ThrottleReasons::HW_THERMAL_SLOWDOWN.bits()
    | ThrottleReasons::HW_POWER_BRAKE_SLOWDOWN.bits();

/// One NVML query.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Query {
    Temperature,
    SmClock,
    MemClock,
    PowerW,
    /// Total energy since driver load, mJ (made relative by the caller).
    EnergyMj,
    MemoryUsed,
    ThrottleReasons,
}

/// A channel NVML answers: the channel, the GPU index and the query.
pub(crate) type Found = (Channel, u32, Query);

/// An initialised NVML with the channels its devices answer.
pub(crate) struct NvmlSource {
    nvml: Nvml,
}

impl std::fmt::Debug for NvmlSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NvmlSource")
    }
}

impl NvmlSource {
    /// NVML and, per GPU, every query that answered once; None without NVML.
    pub(crate) fn discover() -> Option<(NvmlSource, Vec<Found>)> {
        let nvml = Nvml::init().ok()?;
        let count = nvml.device_count().ok()?;
        let mut found = Vec::new();
        for index in 0..count {
            let Ok(device) = nvml.device_by_index(index) else {
                continue;
            };
            let name = |what: &str| format!("nvml{index}/{what}");
            let mut add = |channel: Channel, query: Query, ok: bool| {
                if ok {
                    found.push((channel, index, query));
                }
            };
            add(
                Channel::new(name("temperature"), ChannelKind::Temperature),
                Query::Temperature,
                device.temperature(TemperatureSensor::Gpu).is_ok(),
            );
            let mut sm = Channel::new(name("sm_clock"), ChannelKind::GpuClock);
            sm.max = device.max_clock_info(Clock::SM).ok().map(f64::from);
            add(sm, Query::SmClock, device.clock_info(Clock::SM).is_ok());
            let mut mem = Channel::new(name("memory_clock"), ChannelKind::GpuMemoryClock);
            mem.max = device.max_clock_info(Clock::Memory).ok().map(f64::from);
            add(
                mem,
                Query::MemClock,
                device.clock_info(Clock::Memory).is_ok(),
            );
            add(
                Channel::new(name("power"), ChannelKind::Power),
                Query::PowerW,
                device.power_usage().is_ok(),
            );
            add(
                Channel::new(name("energy"), ChannelKind::Energy),
                Query::EnergyMj,
                device.total_energy_consumption().is_ok(),
            );
            add(
                Channel::new(name("memory_used"), ChannelKind::GpuMemoryUsed),
                Query::MemoryUsed,
                device.memory_info().is_ok(),
            );
            add(
                Channel::new(name("throttle_reasons"), ChannelKind::GpuThrottleReasons),
                Query::ThrottleReasons,
                device.current_throttle_reasons().is_ok(),
            );
        }
        Some((NvmlSource { nvml }, found))
    }

    /// One reading; None when the device or the query fails now.
    pub(crate) fn read(&self, index: u32, query: Query) -> Option<f64> {
        let device = self.nvml.device_by_index(index).ok()?;
        match query {
            Query::Temperature => device
                .temperature(TemperatureSensor::Gpu)
                .ok()
                .map(f64::from),
            Query::SmClock => device.clock_info(Clock::SM).ok().map(f64::from),
            Query::MemClock => device.clock_info(Clock::Memory).ok().map(f64::from),
            Query::PowerW => device.power_usage().ok().map(|mw| f64::from(mw) / 1e3),
            Query::EnergyMj => device.total_energy_consumption().ok().map(|mj| mj as f64),
            Query::MemoryUsed => device.memory_info().ok().map(|m| m.used as f64),
            Query::ThrottleReasons => device
                .current_throttle_reasons()
                .ok()
                .map(|r| r.bits() as f64),
        }
    }
}
