//! Which temperature, power and energy sensors exist: thermal zones, hwmon
//! chips, RAPL powercap domains and x86 thermal-throttle counters.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::fs::{at, list_dir, natural_key, numbered_entries, read_bytes, read_i64, read_trimmed};

/// Every sensor found under the root. An empty list means none exists; a
/// sensor that exists but cannot be read is listed with `readable: false`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Sensors {
    /// /sys/class/thermal/thermal_zone*.
    pub thermal_zones: Vec<ThermalZone>,
    /// /sys/class/hwmon/hwmon* with their channels.
    pub hwmon: Vec<HwmonChip>,
    /// /sys/class/powercap/intel-rapl:* energy domains.
    pub rapl: Vec<RaplDomain>,
    /// /sys/devices/system/cpu/cpu*/thermal_throttle, where the CPU has it.
    pub thermal_throttle: Option<ThermalThrottle>,
}

impl Sensors {
    /// True when no sensor of any kind was found.
    pub fn is_empty(&self) -> bool {
        self.thermal_zones.is_empty()
            && self.hwmon.is_empty()
            && self.rapl.is_empty()
            && self.thermal_throttle.is_none()
    }
}

/// One kernel thermal zone.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ThermalZone {
    /// Directory name, e.g. "thermal_zone0".
    pub zone: String,
    /// Its `type`, e.g. "cpu-thermal", "x86_pkg_temp".
    #[serde(rename = "type")]
    pub zone_type: Option<String>,
    /// Whether `temp` could be read as a number.
    pub temp_readable: bool,
    /// Current temperature in °C (`temp` is in m°C).
    pub temp_c: Option<f64>,
}

/// One hwmon chip and its readable channels.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HwmonChip {
    /// Directory name, e.g. "hwmon3".
    pub hwmon: String,
    /// Driver name, e.g. "coretemp", "ina3221", "cpu_thermal".
    pub name: Option<String>,
    /// Channels in kind then index order.
    pub channels: Vec<HwmonChannel>,
}

/// What an hwmon channel measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum HwmonKind {
    /// temp*_input, m°C.
    Temperature,
    /// power*_input or power*_average, µW.
    Power,
    /// energy*_input, µJ.
    Energy,
    /// in*_input, mV.
    Voltage,
    /// curr*_input, mA.
    Current,
}

impl HwmonKind {
    /// The unit `HwmonChannel::value` is given in.
    pub fn unit(self) -> &'static str {
        match self {
            HwmonKind::Temperature => "°C",
            HwmonKind::Power => "W",
            HwmonKind::Energy => "J",
            HwmonKind::Voltage => "V",
            HwmonKind::Current => "A",
        }
    }

    /// sysfs prefix and the divisor from sysfs units to `unit()`.
    fn from_file(file: &str) -> Option<(Self, f64)> {
        let (stem, suffix) = file.split_once('_')?;
        let prefix = stem.trim_end_matches(|c: char| c.is_ascii_digit());
        let index = &stem[prefix.len()..];
        if index.is_empty() {
            return None;
        }
        match (prefix, suffix) {
            ("temp", "input") => Some((HwmonKind::Temperature, 1e3)),
            ("power", "input" | "average") => Some((HwmonKind::Power, 1e6)),
            ("energy", "input") => Some((HwmonKind::Energy, 1e6)),
            ("in", "input") => Some((HwmonKind::Voltage, 1e3)),
            ("curr", "input") => Some((HwmonKind::Current, 1e3)),
            _ => None,
        }
    }
}

/// One hwmon channel, e.g. in1_input labelled "VDD_GPU_SOC".
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HwmonChannel {
    /// File name, e.g. "in1_input", "temp2_input", "power1_average".
    pub file: String,
    /// What it measures.
    pub kind: HwmonKind,
    /// Its `*_label`, e.g. "VDD_GPU_SOC", "Package id 0" (on INA power
    /// monitors, a current or power channel takes its rail's `in*_label`).
    pub label: Option<String>,
    /// Whether the file could be read as a number.
    pub readable: bool,
    /// Current value in `unit` (°C, W, J, V or A).
    pub value: Option<f64>,
    /// Unit of `value`.
    pub unit: String,
}

/// One RAPL powercap domain.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RaplDomain {
    /// Directory name, e.g. "intel-rapl:0", "intel-rapl:0:1".
    pub domain: String,
    /// Its `name`, e.g. "package-0", "core", "dram".
    pub name: Option<String>,
    /// Whether energy_uj can be read (root-only on kernels since 5.10).
    pub energy_readable: bool,
    /// Where energy_uj wraps to 0, in µJ.
    pub max_energy_range_uj: Option<u64>,
}

/// x86 thermal-throttle counters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ThermalThrottle {
    /// CPUs with a thermal_throttle directory.
    pub cpus: u32,
    /// Counter files present, e.g. ["core_throttle_count", "package_throttle_count"].
    pub counters: Vec<String>,
    /// Sum of core_throttle_count over CPUs (throttle events since boot).
    pub core_throttle_count: Option<u64>,
    /// Largest package_throttle_count over CPUs (every CPU of a package
    /// repeats its package's count, so a sum would count it many times).
    pub package_throttle_count: Option<u64>,
}

/// Finds every sensor under `root`.
pub(crate) fn probe_sensors(root: &Path) -> Sensors {
    Sensors {
        thermal_zones: thermal_zones(root),
        hwmon: hwmon_chips(root),
        rapl: rapl_domains(root),
        thermal_throttle: thermal_throttle(root),
    }
}

fn thermal_zones(root: &Path) -> Vec<ThermalZone> {
    numbered_entries(&at(root, "/sys/class/thermal"), "thermal_zone")
        .into_iter()
        .map(|(zone, dir)| {
            let temp_c = read_i64(&dir.join("temp")).map(|m| m as f64 / 1000.0);
            ThermalZone {
                zone,
                zone_type: read_trimmed(&dir.join("type")),
                temp_readable: temp_c.is_some(),
                temp_c,
            }
        })
        .collect()
}

fn hwmon_chips(root: &Path) -> Vec<HwmonChip> {
    numbered_entries(&at(root, "/sys/class/hwmon"), "hwmon")
        .into_iter()
        .map(|(hwmon, dir)| {
            // Old kernels keep the name in the device directory.
            let name =
                read_trimmed(&dir.join("name")).or_else(|| read_trimmed(&dir.join("device/name")));
            // TI INA power monitors label only the voltage of a rail (in1_label);
            // curr1 and power1 measure the same rail, so they share its label.
            let ina = name.as_deref().is_some_and(|n| n.starts_with("ina"));
            let mut channels: Vec<HwmonChannel> = list_dir(&dir)
                .into_iter()
                .filter_map(|(file, path)| {
                    let (kind, divisor) = HwmonKind::from_file(&file)?;
                    let (stem, _) = file.split_once('_')?;
                    let value = read_i64(&path).map(|raw| raw as f64 / divisor);
                    let index = stem.trim_start_matches(|c: char| c.is_ascii_alphabetic());
                    let label = read_trimmed(&dir.join(format!("{stem}_label"))).or_else(|| {
                        ina.then(|| read_trimmed(&dir.join(format!("in{index}_label"))))
                            .flatten()
                    });
                    Some(HwmonChannel {
                        label,
                        kind,
                        readable: value.is_some(),
                        value,
                        unit: kind.unit().to_string(),
                        file,
                    })
                })
                .collect();
            channels.sort_by(|a, b| {
                (a.kind, natural_key(&a.file)).cmp(&(b.kind, natural_key(&b.file)))
            });
            HwmonChip {
                name,
                hwmon,
                channels,
            }
        })
        .collect()
}

fn rapl_domains(root: &Path) -> Vec<RaplDomain> {
    list_dir(&at(root, "/sys/class/powercap"))
        .into_iter()
        // "intel-rapl" alone is the control type, not a domain.
        .filter(|(name, _)| name.starts_with("intel-rapl") && name.contains(':'))
        .map(|(domain, dir)| RaplDomain {
            name: read_trimmed(&dir.join("name")),
            // Readable means a number came back, not merely that it exists.
            energy_readable: read_bytes(&dir.join("energy_uj"))
                .is_some_and(|b| String::from_utf8_lossy(&b).trim().parse::<u64>().is_ok()),
            max_energy_range_uj: read_trimmed(&dir.join("max_energy_range_uj"))
                .and_then(|s| s.parse().ok()),
            domain,
        })
        .collect()
}

fn thermal_throttle(root: &Path) -> Option<ThermalThrottle> {
    let mut cpus = 0u32;
    let mut counters: Vec<String> = Vec::new();
    let mut core_sum: Option<u64> = None;
    let mut package_max: Option<u64> = None;
    for (_, cpu_dir) in numbered_entries(&at(root, "/sys/devices/system/cpu"), "cpu") {
        let dir = cpu_dir.join("thermal_throttle");
        let files = list_dir(&dir);
        if files.is_empty() {
            continue;
        }
        cpus += 1;
        for (file, path) in files {
            let count = read_trimmed(&path).and_then(|s| s.parse::<u64>().ok());
            match (file.as_str(), count) {
                ("core_throttle_count", Some(n)) => core_sum = Some(core_sum.unwrap_or(0) + n),
                ("package_throttle_count", Some(n)) => {
                    package_max = Some(package_max.map_or(n, |m| m.max(n)));
                }
                _ => {}
            }
            if !counters.contains(&file) {
                counters.push(file);
            }
        }
    }
    counters.sort();
    (cpus > 0).then_some(ThermalThrottle {
        cpus,
        counters,
        core_throttle_count: core_sum,
        package_throttle_count: package_max,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hwmon_files_are_classified() {
        assert_eq!(
            HwmonKind::from_file("temp1_input").map(|k| k.0),
            Some(HwmonKind::Temperature)
        );
        assert_eq!(
            HwmonKind::from_file("curr12_input").map(|k| k.0),
            Some(HwmonKind::Current)
        );
        assert_eq!(
            HwmonKind::from_file("power1_average").map(|k| k.0),
            Some(HwmonKind::Power)
        );
        assert_eq!(HwmonKind::from_file("in1_label"), None);
        assert_eq!(HwmonKind::from_file("temp_input"), None);
        assert_eq!(HwmonKind::from_file("name"), None);
        assert_eq!(HwmonKind::from_file("temp1_crit"), None);
    }

    #[test]
    fn empty_and_garbage_sensor_files_do_not_fail() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let tz = at(root, "/sys/class/thermal/thermal_zone0");
        std::fs::create_dir_all(&tz).unwrap();
        std::fs::write(tz.join("temp"), "").unwrap();
        let hw = at(root, "/sys/class/hwmon/hwmon0");
        std::fs::create_dir_all(&hw).unwrap();
        std::fs::write(hw.join("temp1_input"), "hot").unwrap();
        let rapl = at(root, "/sys/class/powercap/intel-rapl:0");
        std::fs::create_dir_all(&rapl).unwrap();
        std::fs::write(rapl.join("energy_uj"), "").unwrap();
        let s = probe_sensors(root);
        assert_eq!(s.thermal_zones.len(), 1);
        assert!(!s.thermal_zones[0].temp_readable);
        assert_eq!(s.thermal_zones[0].temp_c, None);
        assert_eq!(s.thermal_zones[0].zone_type, None);
        assert_eq!(s.hwmon[0].name, None);
        assert!(!s.hwmon[0].channels[0].readable);
        assert!(!s.rapl[0].energy_readable);
        assert!(s.thermal_throttle.is_none());
    }
}
