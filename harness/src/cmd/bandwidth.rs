//! `edgebench bandwidth`: the memory-bandwidth probe, as a versioned record.
use anyhow::{Result, anyhow, bail};
use edgebench_devices::bandwidth::{
    BandwidthConfig, MIN_ITERATIONS, logical_cpus, parse_thread_list,
};
use edgebench_devices::profile::Profile;
use edgebench_reports::record::DeviceRef;

use crate::cli::BandwidthArgs;
use crate::exit::EXIT_OK;
use crate::flags::{check_out_folder, format_of};
use crate::output;

/// `edgebench bandwidth`.
pub fn bandwidth(args: &BandwidthArgs) -> Result<i32> {
    let cpus = logical_cpus();
    let threads = match &args.threads {
        Some(t) => parse_thread_list(t, cpus).map_err(|e| anyhow!("{e}"))?,
        None => vec![cpus.max(1) as u32],
    };
    if args.reps < MIN_ITERATIONS {
        bail!(
            "--reps {}: at least {} passes are needed (the first is excluded)",
            args.reps,
            MIN_ITERATIONS
        );
    }
    if args.size_mb == Some(0) {
        bail!(
            "--size-mb 0: give the bytes per array in MiB (>= 8), or leave it out for 4x the cache"
        );
    }
    let (device, peak) = match &args.device {
        Some(p) => {
            let profile = Profile::load(p).map_err(|e| anyhow!("{e}"))?;
            (
                Some(DeviceRef::of(&profile)),
                profile.device.mem_bandwidth_gbs,
            )
        }
        None => (None, None),
    };
    if let Some(p) = &args.out {
        check_out_folder(p)?;
    }
    let host = edgebench_devices::HostInfo::probe();
    let record = crate::bandwidth::measure(
        &threads,
        args.size_mb.map(BandwidthConfig::size_mb_to_bytes),
        args.reps,
        &host,
        device,
        peak,
    )?;
    let text = record.render(format_of(args.output))?;
    match &args.out {
        Some(p) => output::write_atomically(p, text.as_bytes())?,
        None => print!("{text}"),
    }
    Ok(EXIT_OK)
}
