//! The probe's facts reach the record: host section and the temperature
//! snapshot at case start, on fixture trees.
use std::path::PathBuf;

use edgebench_devices::ProbeReport;
use edgebench_devices::probe::temperatures_at;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

#[test]
fn jetson_facts_fill_the_host_section() {
    let h = ProbeReport::collect_at(&fixture("jetson-orin"), vec![]).host_facts();
    assert_eq!(
        h.board.as_deref(),
        Some("NVIDIA Jetson AGX Orin Developer Kit")
    );
    assert_eq!(h.l4t_release.as_deref(), Some("36.3.0"));
    // The fixture's /var/lib/nvpmodel/status says pmode:0003.
    assert_eq!(h.nvpmodel_mode.as_deref(), Some("3 (MODE_50W)"));
    assert!(h.cpu_max_mhz.unwrap() > 1000.0);
    assert!(!h.cpu_governors.is_empty());
}

#[test]
fn temperatures_are_read_and_absent_sensors_give_nothing() {
    let t = temperatures_at(&fixture("jetson-orin"));
    assert!(t.iter().any(|r| r.sensor == "cpu-thermal"), "{t:?}");
    assert!(
        t.iter().all(|r| r.temp_c > 0.0 && r.temp_c < 150.0),
        "{t:?}"
    );
    assert!(temperatures_at(&fixture("bare")).is_empty());
}
