//! The probe on fixture roots: boards, sensors, governors and frequencies are
//! recognised from real file formats, and absent things are reported absent.

use std::path::{Path, PathBuf};

use edgebench_devices::probe::{
    BackendAvailability, Board, CpuFrequencies, GpuProbe, HwmonKind, NvpmodelSource, ProbeReport,
};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn probe(name: &str) -> ProbeReport {
    ProbeReport::collect_at(&fixture(name), Vec::new())
}

fn policies(report: &ProbeReport) -> &[edgebench_devices::probe::CpufreqPolicy] {
    match &report.cpu.frequencies {
        CpuFrequencies::Cpufreq { policies } => policies,
        other => panic!("expected cpufreq policies, got {other:?}"),
    }
}

#[test]
fn jetson_orin_board_l4t_and_nvpmodel() {
    let r = probe("jetson-orin");
    let Board::Jetson {
        model,
        l4t_release,
        nvpmodel_mode,
    } = &r.board
    else {
        panic!("expected a Jetson, got {:?}", r.board);
    };
    assert_eq!(
        model.as_deref(),
        Some("NVIDIA Jetson AGX Orin Developer Kit")
    );
    assert_eq!(l4t_release.as_deref(), Some("36.3.0"));
    let mode = nvpmodel_mode.as_ref().expect("nvpmodel mode");
    assert_eq!(mode.id, 3, "the status file wins over the boot default");
    assert_eq!(mode.name.as_deref(), Some("MODE_50W"));
    assert_eq!(mode.default_id, Some(0));
    assert_eq!(mode.determined_by, NvpmodelSource::StatusFile);
}

#[test]
fn jetson_without_status_file_falls_back_to_the_config_default() {
    let dir = tempfile::tempdir().unwrap();
    let etc = dir.path().join("etc");
    std::fs::create_dir_all(&etc).unwrap();
    for f in ["nv_tegra_release", "nvpmodel.conf"] {
        std::fs::copy(fixture("jetson-orin/etc").join(f), etc.join(f)).unwrap();
    }
    let r = ProbeReport::collect_at(dir.path(), Vec::new());
    let Board::Jetson {
        model,
        nvpmodel_mode: Some(mode),
        ..
    } = &r.board
    else {
        panic!("expected a Jetson with a mode, got {:?}", r.board);
    };
    assert_eq!(*model, None, "no device tree in this root");
    assert_eq!(mode.id, 0);
    assert_eq!(mode.name.as_deref(), Some("MAXN"));
    assert_eq!(mode.determined_by, NvpmodelSource::ConfigDefault);
}

#[test]
fn jetson_orin_sensors_and_clocks() {
    let r = probe("jetson-orin");
    let zones: Vec<(&str, Option<f64>)> = r
        .sensors
        .thermal_zones
        .iter()
        .map(|z| (z.zone_type.as_deref().unwrap(), z.temp_c))
        .collect();
    assert_eq!(
        zones,
        [
            ("cpu-thermal", Some(45.5)),
            ("gpu-thermal", Some(43.0)),
            ("tj-thermal", Some(46.218))
        ]
    );

    let ina = r
        .sensors
        .hwmon
        .iter()
        .find(|c| c.name.as_deref() == Some("ina3221"))
        .expect("INA3221 rail monitor");
    let gpu_rail: Vec<_> = ina
        .channels
        .iter()
        .filter(|c| c.label.as_deref() == Some("VDD_GPU_SOC"))
        .map(|c| (c.file.as_str(), c.kind, c.value, c.unit.as_str()))
        .collect();
    assert_eq!(
        gpu_rail,
        [
            ("in1_input", HwmonKind::Voltage, Some(19.064), "V"),
            ("curr1_input", HwmonKind::Current, Some(1.208), "A"),
        ]
    );
    assert_eq!(
        ina.channels.len(),
        6,
        "3 voltages + 3 currents, limits ignored"
    );
    let fan = r
        .sensors
        .hwmon
        .iter()
        .find(|c| c.name.as_deref() == Some("pwmfan"))
        .expect("fan chip listed");
    assert!(fan.channels.is_empty());
    assert!(r.sensors.rapl.is_empty());
    assert!(r.sensors.thermal_throttle.is_none());

    assert_eq!(r.cpu.governors, ["schedutil"]);
    let p = policies(&r);
    assert_eq!(
        p.iter().map(|p| p.policy.as_str()).collect::<Vec<_>>(),
        ["policy0", "policy4", "policy8"]
    );
    assert_eq!(p[0].cpus.as_deref(), Some("0 1 2 3"));
    assert_eq!(p[0].cur_mhz, Some(1728.0));
    assert_eq!(p[0].min_mhz, Some(115.2));
    assert_eq!(p[2].max_mhz, Some(2201.6));
}

#[test]
fn raspberry_pi_5() {
    let r = probe("raspberry-pi-5");
    assert_eq!(
        r.board,
        Board::RaspberryPi {
            model: "Raspberry Pi 5 Model B Rev 1.0".into(),
            revision: Some("d04170".into()),
        }
    );
    assert_eq!(r.sensors.thermal_zones.len(), 1);
    assert_eq!(
        r.sensors.thermal_zones[0].zone_type.as_deref(),
        Some("cpu-thermal")
    );
    assert_eq!(r.sensors.thermal_zones[0].temp_c, Some(52.65));
    assert_eq!(r.cpu.governors, ["ondemand"]);
    let p = policies(&r);
    assert_eq!(p.len(), 1);
    assert_eq!(
        (p[0].min_mhz, p[0].max_mhz, p[0].cur_mhz),
        (Some(1500.0), Some(2400.0), Some(1500.0))
    );
    assert!(r.sensors.rapl.is_empty());
}

#[test]
fn x86_laptop_rapl_coretemp_throttle_and_powersave() {
    let r = probe("x86-laptop");
    assert_eq!(
        r.board,
        Board::Other {
            model: "Dell Inc. XPS 13 9310".into(),
            source: "/sys/class/dmi/id".into(),
        }
    );

    let coretemp = r
        .sensors
        .hwmon
        .iter()
        .find(|c| c.name.as_deref() == Some("coretemp"))
        .expect("coretemp");
    assert_eq!(
        coretemp.channels.len(),
        5,
        "temp*_max/crit are not channels"
    );
    assert_eq!(coretemp.channels[0].label.as_deref(), Some("Package id 0"));
    assert_eq!(coretemp.channels[0].value, Some(48.0));
    assert!(
        coretemp
            .channels
            .iter()
            .all(|c| c.kind == HwmonKind::Temperature)
    );

    let domains: Vec<(&str, Option<&str>, bool)> = r
        .sensors
        .rapl
        .iter()
        .map(|d| (d.domain.as_str(), d.name.as_deref(), d.energy_readable))
        .collect();
    assert_eq!(
        domains,
        [
            ("intel-rapl:0", Some("package-0"), true),
            ("intel-rapl:0:0", Some("core"), true),
            ("intel-rapl:0:1", Some("uncore"), true),
        ]
    );
    assert_eq!(r.sensors.rapl[0].max_energy_range_uj, Some(262_143_328_850));

    let t = r
        .sensors
        .thermal_throttle
        .as_ref()
        .expect("throttle counters");
    assert_eq!(t.cpus, 4);
    assert!(t.counters.contains(&"core_throttle_count".to_string()));
    assert!(
        t.counters
            .contains(&"package_throttle_total_time_ms".to_string())
    );
    assert_eq!(t.core_throttle_count, Some(4));
    assert_eq!(t.package_throttle_count, Some(7));

    // A zone that exists but cannot be read is listed, not dropped or zeroed.
    let wifi = r
        .sensors
        .thermal_zones
        .iter()
        .find(|z| z.zone_type.as_deref() == Some("iwlwifi_1"))
        .expect("iwlwifi zone");
    assert!(!wifi.temp_readable);
    assert_eq!(wifi.temp_c, None);

    assert_eq!(r.cpu.governors, ["powersave"]);
    let p = policies(&r);
    assert_eq!(p.len(), 4);
    assert_eq!(p[1].cur_mhz, Some(3000.0));
    assert_eq!(p[1].max_mhz, Some(4800.0));
    assert_eq!(p[1].driver.as_deref(), Some("intel_pstate"));
}

#[test]
fn bare_root_has_no_board_no_sensors_and_no_errors() {
    let r = probe("bare");
    assert_eq!(r.board, Board::NotDetected);
    assert!(r.sensors.is_empty(), "{:?}", r.sensors);
    assert!(r.cpu.governors.is_empty());
    assert!(matches!(
        r.cpu.frequencies,
        CpuFrequencies::Unavailable { .. }
    ));
    let md = r.to_markdown();
    assert!(md.contains("not available: no /sys/class/thermal/thermal_zone*"));
    assert!(md.contains("not available: no /sys/class/powercap/intel-rapl:*"));
}

#[test]
fn fixture_root_skips_nvml_and_the_markdown_says_so() {
    let backends = vec![
        BackendAvailability {
            id: "llama".into(),
            compiled_in: true,
            usable: Some(true),
            note: "CPU".into(),
        },
        BackendAvailability {
            id: "onnx/cuda".into(),
            compiled_in: false,
            usable: None,
            note: "not compiled with the `onnx` feature".into(),
        },
    ];
    let r = ProbeReport::collect_at(&fixture("jetson-orin"), backends);
    let GpuProbe::Unavailable { reason } = &r.gpus else {
        panic!("NVML must not be probed under a fixture root");
    };
    assert!(reason.starts_with("NVML not available: not probed under a fixture root"));
    let md = r.to_markdown();
    for needle in [
        "## Host",
        "## CPU",
        "## Memory",
        "## GPUs",
        "## Board",
        "## Sensors",
        "## Backends",
        "NVIDIA Jetson AGX Orin Developer Kit",
        "NVML not available",
        "36.3.0",
        "MODE_50W",
        "VDD_GPU_SOC",
        "onnx/cuda",
    ] {
        assert!(md.contains(needle), "markdown lacks {needle:?}:\n{md}");
    }
    println!("{md}");
}

#[test]
fn report_serialises_and_reads_back() {
    for name in ["jetson-orin", "raspberry-pi-5", "x86-laptop", "bare"] {
        let r = probe(name);
        let json = serde_json::to_string_pretty(&r).unwrap();
        let back: ProbeReport = serde_json::from_str(&json).unwrap();
        assert_eq!(back, r, "{name}");
    }
    let json = serde_json::to_value(probe("jetson-orin")).unwrap();
    assert_eq!(json["board"]["kind"], "jetson");
    assert_eq!(json["gpus"]["status"], "unavailable");
    assert_eq!(json["cpu"]["frequencies"]["source"], "cpufreq");
    assert_eq!(json["sensors"]["thermal_zones"][0]["type"], "cpu-thermal");
}
