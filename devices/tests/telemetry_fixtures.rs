//! Telemetry sources and snapshots on fixture roots: every source of
//! docs/metrics.md's telemetry table is found in its real file format, values
//! come out in the documented units, and a machine without sensors has no
//! channels (not zeros).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use edgebench_devices::telemetry::{ChannelKind, Sampler, Sources, TelemetrySnapshot};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// One read of every channel, as (name, kind, value).
fn read_once(root: &Path) -> Vec<(String, ChannelKind, Option<f64>)> {
    let mut s = Sources::discover_at(root);
    let mut row = vec![f64::NAN; s.channels().len()];
    s.read(&mut row);
    s.channels()
        .iter()
        .zip(row)
        .map(|(c, v)| (c.name.clone(), c.kind, (!v.is_nan()).then_some(v)))
        .collect()
}

fn value(readings: &[(String, ChannelKind, Option<f64>)], name: &str) -> f64 {
    readings
        .iter()
        .find(|r| r.0 == name)
        .unwrap_or_else(|| panic!("no channel {name} in {readings:?}"))
        .2
        .unwrap_or_else(|| panic!("{name} unreadable"))
}

#[test]
fn jetson_rails_gpu_load_clusters_and_trip_points() {
    let root = fixture("jetson-orin");
    let r = read_once(&root);
    // INA3221 rail power = bus mV x mA.
    assert!((value(&r, "ina3221/VDD_GPU_SOC") - 19.064 * 1.208).abs() < 1e-9);
    assert!((value(&r, "ina3221/VIN_SYS_5V0") - 5.016 * 1.648).abs() < 1e-9);
    assert_eq!(value(&r, "devfreq/17000000.ga10b/clock"), 1300.5);
    assert!((value(&r, "devfreq/17000000.ga10b/load") - 41.2).abs() < 1e-9);
    assert_eq!(value(&r, "thermal/cpu-thermal"), 45.5);
    for p in ["cpufreq/policy0", "cpufreq/policy4", "cpufreq/policy8"] {
        assert!(value(&r, p) > 100.0, "{p} in MHz");
    }
    let s = Sources::discover_at(&root);
    let cpu = s
        .channels()
        .iter()
        .find(|c| c.name == "thermal/cpu-thermal")
        .unwrap();
    assert_eq!(cpu.trip_points.len(), 2);
    assert_eq!(cpu.trip_points[0].temp_c, 95.5);
    assert_eq!(cpu.trip_points[1].trip_type.as_deref(), Some("critical"));
    let gpu = s
        .channels()
        .iter()
        .find(|c| c.name.ends_with("/clock"))
        .unwrap();
    assert_eq!(gpu.max, Some(1300.5));
    // No NVML under a fixture root, and no total-input rail on an AGX Orin.
    assert!(s.channels().iter().all(|c| !c.name.starts_with("nvml")));
    assert!(s.channels().iter().all(|c| !c.total_input));
    let snap = TelemetrySnapshot::take_at(&root);
    assert_eq!(snap.power_mode.as_deref(), Some("3 (MODE_50W)"));
    assert_eq!(snap.power.len(), 3);
    assert!(
        snap.clocks
            .iter()
            .any(|c| c.name == "cpufreq/policy4" && c.max.is_some())
    );
}

#[test]
fn x86_laptop_rapl_throttle_counters_and_clocks() {
    let root = fixture("x86-laptop");
    let r = read_once(&root);
    // Core counts are per CPU (3 + 0 + 1 + 0); the package count repeats on
    // every CPU of the package (7, not 28).
    assert_eq!(value(&r, "throttle/core_count"), 4.0);
    assert_eq!(value(&r, "throttle/package_count"), 7.0);
    assert_eq!(value(&r, "throttle/package_time"), 112.0);
    // Energy counts from the sampler's first read: 0 J then.
    assert_eq!(value(&r, "rapl/package-0"), 0.0);
    // Sub-domains (core, uncore) are inside the package: not channels.
    assert_eq!(r.iter().filter(|c| c.0.starts_with("rapl/")).count(), 1);
    assert_eq!(value(&r, "cpufreq/policy0"), 1200.0);
    // The iwlwifi zone's temp is empty: no channel, not 0 °C.
    assert!(r.iter().all(|c| !c.0.contains("iwlwifi")));
    assert_eq!(value(&r, "thermal/acpitz"), 50.0);
    let snap = TelemetrySnapshot::take_at(&root);
    assert_eq!(snap.governors, vec!["powersave".to_string()]);
    assert_eq!(snap.power_mode, None);
}

#[test]
fn raspberry_pi_throttled_bits() {
    let root = fixture("raspberry-pi-5");
    let r = read_once(&root);
    assert_eq!(value(&r, "rpi/throttled"), f64::from(0x50005));
    let snap = TelemetrySnapshot::take_at(&root);
    assert_eq!(
        snap.throttling,
        vec!["rpi: under-voltage, throttled".to_string()]
    );
}

#[test]
fn bare_machine_has_no_channels() {
    let root = fixture("bare");
    assert!(Sources::discover_at(&root).channels().is_empty());
    assert_eq!(
        TelemetrySnapshot::take_at(&root),
        TelemetrySnapshot::default()
    );
}

/// Energy counters wrap at max_energy_range_uj; the sampler's series keeps
/// counting up, and values written while it runs are seen.
#[test]
fn sampler_follows_files_rewritten_while_it_runs() {
    let tmp = tempfile::tempdir().unwrap();
    let rapl = tmp.path().join("sys/class/powercap/intel-rapl:0");
    let zone = tmp.path().join("sys/class/thermal/thermal_zone0");
    std::fs::create_dir_all(&rapl).unwrap();
    std::fs::create_dir_all(&zone).unwrap();
    std::fs::write(rapl.join("name"), "package-0\n").unwrap();
    std::fs::write(rapl.join("max_energy_range_uj"), "1000000\n").unwrap();
    std::fs::write(rapl.join("energy_uj"), "900000\n").unwrap();
    std::fs::write(zone.join("type"), "cpu-thermal\n").unwrap();
    std::fs::write(zone.join("temp"), "40000\n").unwrap();
    let sources = Sources::discover_at(tmp.path());
    let sampler = Sampler::start(sources, 50.0, Instant::now(), 1.0).unwrap();
    std::thread::sleep(Duration::from_millis(100));
    // 0.9 J -> wraps at 1.0 J -> 0.2 J: 0.3 J used.
    std::fs::write(rapl.join("energy_uj"), "200000\n").unwrap();
    std::fs::write(zone.join("temp"), "71500\n").unwrap();
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(sampler.hottest_c(), Some(71.5));
    let series = sampler.finish();
    let e = series.column("rapl/package-0").unwrap();
    let t = series.column("thermal/cpu-thermal").unwrap();
    let last = series.rows.last().unwrap();
    assert!((last[e].unwrap() - 0.3).abs() < 1e-9, "{:?}", last[e]);
    assert_eq!(series.rows[0][t], Some(40.0));
    assert_eq!(last[t], Some(71.5));
    assert!(series.sampler_cpu_s.is_some());
}

/// On the real root, NVML channels exist exactly when the probe sees NVML;
/// a machine without it (this VM) gets no GPU channel and no error.
#[test]
fn nvml_channels_follow_nvml_availability() {
    let sources = Sources::discover();
    let nvml_channels = sources
        .channels()
        .iter()
        .filter(|c| c.name.starts_with("nvml"))
        .count();
    match edgebench_devices::ProbeReport::collect(Vec::new()).gpus {
        edgebench_devices::probe::GpuProbe::Nvml { gpus } if !gpus.is_empty() => {
            assert!(
                nvml_channels > 0,
                "NVML has {} GPU(s) but no channel",
                gpus.len()
            );
        }
        _ => assert_eq!(nvml_channels, 0),
    }
}
