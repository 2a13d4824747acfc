//! Finding the telemetry sources under a root once, then reading all of them
//! into one row per sample without allocating.
use std::path::{Path, PathBuf};

use super::channels::{Channel, ChannelKind, TripPoint};
use super::nvml::{NvmlSource, Query};
use super::read::read_int;
use crate::probe::fs::{at, list_dir, numbered_entries, read_trimmed};

/// Rails that carry the whole board's input on Jetson modules.
const TOTAL_INPUT_RAILS: [&str; 2] = ["VDD_IN", "POM_5V_IN"];

/// How one channel's value is read.
#[derive(Debug)]
enum Reader {
    /// One integer file times `scale` (decimal, or hex with radix 16).
    Scaled {
        path: PathBuf,
        scale: f64,
        radix: u32,
    },
    /// Voltage file x current file x `scale` (INA3221 mV x mA -> W).
    Product {
        volts: PathBuf,
        amps: PathBuf,
        scale: f64,
    },
    /// Sum over files (None only when none is readable).
    Sum { paths: Vec<PathBuf> },
    /// Largest over files.
    Max { paths: Vec<PathBuf> },
    /// A cumulative counter made relative to the first reading, wrap-around
    /// at `wrap` undone, times `scale`.
    Counter {
        path: PathBuf,
        scale: f64,
        wrap: Option<u64>,
        state: CounterState,
    },
    /// An NVML query on GPU `index`.
    Nvml {
        index: u32,
        query: Query,
        state: CounterState,
    },
}

/// Running state of a cumulative counter.
#[derive(Debug, Default, Clone, Copy)]
struct CounterState {
    last: Option<u64>,
    total: u64,
}

impl CounterState {
    /// Adds the step from the last reading; a smaller value means the counter
    /// wrapped at `wrap` (or, without a known range, restarted from 0).
    fn advance(&mut self, raw: u64, wrap: Option<u64>) -> u64 {
        if let Some(last) = self.last {
            let step = if raw >= last {
                raw - last
            } else {
                wrap.map_or(raw, |w| w.saturating_sub(last) + raw)
            };
            self.total += step;
        }
        self.last = Some(raw);
        self.total
    }
}

/// Every telemetry source found under a root, in channel order.
#[derive(Debug)]
pub struct Sources {
    channels: Vec<Channel>,
    readers: Vec<Reader>,
    nvml: Option<NvmlSource>,
}

impl Sources {
    /// Finds the sources of the running machine ("/"), NVML included.
    pub fn discover() -> Sources {
        Sources::discover_at(Path::new("/"))
    }

    /// Finds the sources under `root`; NVML only when `root` is "/".
    pub fn discover_at(root: &Path) -> Sources {
        let mut s = Sources {
            channels: Vec::new(),
            readers: Vec::new(),
            nvml: None,
        };
        s.thermal_zones(root);
        s.hwmon(root);
        s.cpufreq(root);
        s.throttle(root);
        s.rapl(root);
        s.jetson_gpu(root);
        s.pi_throttled(root);
        if root == Path::new("/")
            && let Some((nvml, found)) = NvmlSource::discover()
        {
            for (channel, index, query) in found {
                s.push(
                    channel,
                    Reader::Nvml {
                        index,
                        query,
                        state: CounterState::default(),
                    },
                );
            }
            s.nvml = Some(nvml);
        }
        s
    }

    /// The channels, in the order [`Sources::read`] fills a row.
    pub fn channels(&self) -> &[Channel] {
        &self.channels
    }

    /// Reads every channel into `row` (NaN where unreadable now). `row` must
    /// have one slot per channel. Allocates nothing.
    pub fn read(&mut self, row: &mut [f64]) {
        let nvml = self.nvml.as_ref();
        for (slot, reader) in row.iter_mut().zip(self.readers.iter_mut()) {
            *slot = read_one(reader, nvml).unwrap_or(f64::NAN);
        }
    }

    /// Forgets counter history so energies count from the next read.
    pub fn reset_counters(&mut self) {
        for r in &mut self.readers {
            if let Reader::Counter { state, .. } | Reader::Nvml { state, .. } = r {
                *state = CounterState::default();
            }
        }
    }

    fn push(&mut self, mut channel: Channel, reader: Reader) {
        // Names stay unique (two "acpitz" zones become "acpitz" and "acpitz#2").
        let base = channel.name.clone();
        let mut n = 1;
        while self.channels.iter().any(|c| c.name == channel.name) {
            n += 1;
            channel.name = format!("{base}#{n}");
        }
        self.channels.push(channel);
        self.readers.push(reader);
    }

    fn thermal_zones(&mut self, root: &Path) {
        for (zone, dir) in numbered_entries(&at(root, "/sys/class/thermal"), "thermal_zone") {
            let temp = dir.join("temp");
            if read_int(&temp, 10).is_none() {
                continue;
            }
            let name = read_trimmed(&dir.join("type")).unwrap_or(zone);
            let mut ch = Channel::new(format!("thermal/{name}"), ChannelKind::Temperature);
            ch.trip_points = (0..32)
                .map_while(|i| {
                    let t = read_int(&dir.join(format!("trip_point_{i}_temp")), 10)?;
                    Some(TripPoint {
                        trip_type: read_trimmed(&dir.join(format!("trip_point_{i}_type"))),
                        temp_c: t as f64 / 1e3,
                    })
                })
                .collect();
            self.push(ch, scaled(temp, 1e-3));
        }
    }

    fn hwmon(&mut self, root: &Path) {
        for (hw, dir) in numbered_entries(&at(root, "/sys/class/hwmon"), "hwmon") {
            let chip = read_trimmed(&dir.join("name"))
                .or_else(|| read_trimmed(&dir.join("device/name")))
                .unwrap_or(hw);
            let label = |stem: &str| read_trimmed(&dir.join(format!("{stem}_label")));
            let ina = chip.starts_with("ina3");
            for (file, path) in list_dir(&dir) {
                let Some((stem, suffix)) = file.split_once('_') else {
                    continue;
                };
                let prefix = stem.trim_end_matches(|c: char| c.is_ascii_digit());
                let index = &stem[prefix.len()..];
                if index.is_empty() || read_int(&path, 10).is_none() {
                    continue;
                }
                let named =
                    |l: Option<String>| format!("hwmon/{chip}/{}", l.unwrap_or(file.clone()));
                match (prefix, suffix) {
                    ("temp", "input") => self.push(
                        Channel::new(named(label(stem)), ChannelKind::Temperature),
                        scaled(path, 1e-3),
                    ),
                    ("power", "input" | "average") => self.push(
                        Channel::new(named(label(stem)), ChannelKind::Power),
                        scaled(path, 1e-6),
                    ),
                    ("energy", "input") => self.push(
                        Channel::new(named(label(stem)), ChannelKind::Energy),
                        Reader::Counter {
                            path,
                            scale: 1e-6,
                            wrap: None,
                            state: CounterState::default(),
                        },
                    ),
                    // INA3221: a rail's power is its bus voltage x its current.
                    ("in", "input") if ina => {
                        let amps = dir.join(format!("curr{index}_input"));
                        let Some(rail) = label(stem) else { continue };
                        if read_int(&amps, 10).is_none() {
                            continue;
                        }
                        let mut ch = Channel::new(format!("{chip}/{rail}"), ChannelKind::Power);
                        ch.total_input = TOTAL_INPUT_RAILS.contains(&rail.as_str());
                        self.push(
                            ch,
                            Reader::Product {
                                volts: path,
                                amps,
                                scale: 1e-6,
                            },
                        );
                    }
                    _ => {}
                }
            }
        }
    }

    fn cpufreq(&mut self, root: &Path) {
        let dir = at(root, "/sys/devices/system/cpu/cpufreq");
        for (policy, pdir) in numbered_entries(&dir, "policy") {
            let cur = pdir.join("scaling_cur_freq");
            if read_int(&cur, 10).is_none() {
                continue;
            }
            let mut ch = Channel::new(format!("cpufreq/{policy}"), ChannelKind::CpuClock);
            ch.max = read_int(&pdir.join("cpuinfo_max_freq"), 10).map(|khz| khz as f64 / 1e3);
            self.push(ch, scaled(cur, 1e-3));
        }
    }

    fn throttle(&mut self, root: &Path) {
        let cpus = numbered_entries(&at(root, "/sys/devices/system/cpu"), "cpu");
        let files = |name: &str| -> Vec<PathBuf> {
            cpus.iter()
                .map(|(_, d)| d.join("thermal_throttle").join(name))
                .filter(|p| read_int(p, 10).is_some())
                .collect()
        };
        // Core counters are per CPU (sum them); every CPU of a package repeats
        // its package's counter (take the largest).
        let core = files("core_throttle_count");
        let core_ms = files("core_throttle_total_time_ms");
        let pkg = files("package_throttle_count");
        let pkg_ms = files("package_throttle_total_time_ms");
        for (name, kind, paths, sum) in [
            (
                "throttle/core_count",
                ChannelKind::ThrottleCount,
                core,
                true,
            ),
            (
                "throttle/core_time",
                ChannelKind::ThrottleTimeMs,
                core_ms,
                true,
            ),
            (
                "throttle/package_count",
                ChannelKind::ThrottleCount,
                pkg,
                false,
            ),
            (
                "throttle/package_time",
                ChannelKind::ThrottleTimeMs,
                pkg_ms,
                false,
            ),
        ] {
            if paths.is_empty() {
                continue;
            }
            let reader = if sum {
                Reader::Sum { paths }
            } else {
                Reader::Max { paths }
            };
            self.push(Channel::new(name, kind), reader);
        }
    }

    fn rapl(&mut self, root: &Path) {
        for (domain, dir) in list_dir(&at(root, "/sys/class/powercap")) {
            // Top-level domains only ("intel-rapl:0", not "intel-rapl:0:1"):
            // sub-domains are part of their package's energy.
            if !domain.starts_with("intel-rapl:") || domain.matches(':').count() != 1 {
                continue;
            }
            let path = dir.join("energy_uj");
            if read_int(&path, 10).is_none() {
                continue;
            }
            let name = read_trimmed(&dir.join("name")).unwrap_or(domain);
            let wrap =
                read_int(&dir.join("max_energy_range_uj"), 10).and_then(|w| u64::try_from(w).ok());
            self.push(
                Channel::new(format!("rapl/{name}"), ChannelKind::Energy),
                Reader::Counter {
                    path,
                    scale: 1e-6,
                    wrap,
                    state: CounterState::default(),
                },
            );
        }
    }

    fn jetson_gpu(&mut self, root: &Path) {
        const GPU_NAMES: [&str; 6] = ["gpu", "ga10b", "gv11b", "gp10b", "gm20b", "gb10b"];
        for (name, dir) in list_dir(&at(root, "/sys/class/devfreq")) {
            if !GPU_NAMES.iter().any(|g| name.contains(g)) {
                continue;
            }
            let cur = dir.join("cur_freq");
            if read_int(&cur, 10).is_some() {
                let mut ch = Channel::new(format!("devfreq/{name}/clock"), ChannelKind::GpuClock);
                ch.max = read_int(&dir.join("max_freq"), 10).map(|hz| hz as f64 / 1e6);
                self.push(ch, scaled(cur, 1e-6));
            }
            // The GPU's load, in tenths of a percent, lives on its device.
            let load = dir.join("device/load");
            if read_int(&load, 10).is_some() {
                self.push(
                    Channel::new(format!("devfreq/{name}/load"), ChannelKind::GpuLoad),
                    scaled(load, 0.1),
                );
            }
        }
    }

    fn pi_throttled(&mut self, root: &Path) {
        // The firmware driver's attribute: hex, e.g. "50005". Its folder is
        // "soc:firmware" on Pi 4 and "...soc@107c000000:firmware" on Pi 5.
        let platform = at(root, "/sys/devices/platform");
        let mut candidates = vec![platform.join("soc/soc:firmware/get_throttled")];
        for (_, dir) in list_dir(&platform) {
            for (name, sub) in list_dir(&dir) {
                if name.ends_with(":firmware") {
                    candidates.push(sub.join("get_throttled"));
                }
            }
        }
        if let Some(path) = candidates.into_iter().find(|p| read_int(p, 16).is_some()) {
            self.push(
                Channel::new("rpi/throttled", ChannelKind::PiThrottled),
                Reader::Scaled {
                    path,
                    scale: 1.0,
                    radix: 16,
                },
            );
        }
    }
}

fn scaled(path: PathBuf, scale: f64) -> Reader {
    Reader::Scaled {
        path,
        scale,
        radix: 10,
    }
}

fn read_one(reader: &mut Reader, nvml: Option<&NvmlSource>) -> Option<f64> {
    match reader {
        Reader::Scaled { path, scale, radix } => read_int(path, *radix).map(|v| v as f64 * *scale),
        Reader::Product { volts, amps, scale } => {
            Some(read_int(volts, 10)? as f64 * read_int(amps, 10)? as f64 * *scale)
        }
        Reader::Sum { paths } => paths
            .iter()
            .filter_map(|p| read_int(p, 10))
            .fold(None, |acc: Option<f64>, v| {
                Some(acc.unwrap_or(0.0) + v as f64)
            }),
        Reader::Max { paths } => paths
            .iter()
            .filter_map(|p| read_int(p, 10))
            .fold(None, |acc: Option<f64>, v| {
                Some(acc.map_or(v as f64, |a| a.max(v as f64)))
            }),
        Reader::Counter {
            path,
            scale,
            wrap,
            state,
        } => {
            let raw = u64::try_from(read_int(path, 10)?).ok()?;
            Some(state.advance(raw, *wrap) as f64 * *scale)
        }
        Reader::Nvml {
            index,
            query,
            state,
        } => {
            let v = nvml?.read(*index, *query)?;
            match query {
                // Total energy since driver load, mJ: relative to the first read, J.
                Query::EnergyMj => Some(state.advance(v as u64, None) as f64 / 1e3),
                _ => Some(v),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_undo_wrap_around() {
        let mut s = CounterState::default();
        assert_eq!(s.advance(900, Some(1000)), 0);
        assert_eq!(s.advance(950, Some(1000)), 50);
        // Wrapped: 950 -> 1000 (50) then 0 -> 30.
        assert_eq!(s.advance(30, Some(1000)), 130);
        assert_eq!(s.advance(40, Some(1000)), 140);
        // Unknown range: a drop counts from 0.
        let mut s = CounterState::default();
        s.advance(100, None);
        assert_eq!(s.advance(7, None), 7);
    }
}
