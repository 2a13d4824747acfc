//! The probe on the real machine ("/"): it must finish without panicking
//! whatever this machine has or lacks.

use edgebench_devices::probe::{GpuProbe, ProbeReport};

#[test]
fn real_machine_probe_runs() {
    let r = ProbeReport::collect(Vec::new());
    assert_eq!(r.root, "/");
    assert!(r.host.logical_cores >= 1);
    if let GpuProbe::Unavailable { reason } = &r.gpus {
        assert!(reason.starts_with("NVML not available: "), "{reason}");
        assert!(!reason.contains("fixture"), "{reason}");
    }
    let md = r.to_markdown();
    assert!(md.contains("## Host") && md.contains("## Sensors"));
    serde_json::to_string_pretty(&r).expect("the report serialises");
    // Shown with --nocapture; useful when checking a new board by hand.
    println!("{md}");
}
