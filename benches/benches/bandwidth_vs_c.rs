//! The bandwidth probe against a C reference (benches/c/stream_ref.c built
//! with `gcc -O3 -march=native -fopenmp`): same array size, same threads,
//! run in alternation (rounds of C,Rust then Rust,C, so drift of a shared
//! machine cancels), printing per kernel the medians and the median of the
//! per-round Rust/C ratios.
//!
//!     cargo bench -p edgebench-benches --bench bandwidth_vs_c
//!
//! Environment: `EDGEBENCH_BW_THREADS` (comma list, default `1,2` capped at
//! the CPUs), `EDGEBENCH_BW_SIZE_MB` (MiB per array, default 4x the
//! last-level cache), `EDGEBENCH_BW_REPS` (passes per kernel, default 20),
//! `EDGEBENCH_BENCH_ROUNDS` (default 6).
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use edgebench_devices::bandwidth::{
    BandwidthConfig, Kernel, last_level_cache_bytes, logical_cpus, parse_thread_list, run,
};

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n == 0 {
        f64::NAN
    } else if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn build_reference() -> Result<PathBuf, String> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("c/stream_ref.c");
    let exe = Path::new(env!("CARGO_TARGET_TMPDIR")).join("stream_ref");
    let out = Command::new("gcc")
        .args(["-O3", "-march=native", "-fopenmp", "-o"])
        .arg(&exe)
        .arg(&src)
        .output()
        .map_err(|e| format!("could not run gcc: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "gcc failed on {}:\n{}",
            src.display(),
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(exe)
}

/// GB/s per kernel name from one run of the C reference.
fn run_c(
    exe: &Path,
    threads: u32,
    elements: u64,
    reps: u32,
) -> Result<BTreeMap<String, f64>, String> {
    let out = Command::new(exe)
        .arg(elements.to_string())
        .arg(reps.to_string())
        .env("OMP_NUM_THREADS", threads.to_string())
        .env("OMP_PROC_BIND", "true")
        .env("OMP_PLACES", "cores")
        .output()
        .map_err(|e| format!("could not run {}: {e}", exe.display()))?;
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).into_owned());
    }
    Ok(String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| {
            let (name, gbs) = l.split_once(' ')?;
            Some((name.to_string(), gbs.trim().parse().ok()?))
        })
        .collect())
}

fn run_rust(threads: u32, elements: u64, reps: u32) -> Result<BTreeMap<String, f64>, String> {
    let config = BandwidthConfig {
        threads,
        array_bytes: Some(elements * 8),
        iterations: reps,
    };
    let results = run(&config).map_err(|e| e.to_string())?;
    Ok(results.into_iter().map(|r| (r.kernel, r.gbs)).collect())
}

fn main() {
    // `cargo bench` passes --bench; `cargo test --benches` must stay quick.
    if !std::env::args().any(|a| a == "--bench") {
        println!("bandwidth_vs_c: run with `cargo bench` to measure");
        return;
    }
    if let Err(e) = compare() {
        eprintln!("bandwidth_vs_c: {e}");
        std::process::exit(1);
    }
}

fn compare() -> Result<(), String> {
    let cpus = logical_cpus();
    let default_threads = if cpus >= 2 { "1,2" } else { "1" };
    let threads = std::env::var("EDGEBENCH_BW_THREADS").unwrap_or(default_threads.to_string());
    let threads = parse_thread_list(&threads, cpus).map_err(|e| e.to_string())?;
    let array_bytes = match std::env::var("EDGEBENCH_BW_SIZE_MB")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        Some(mb) => BandwidthConfig::size_mb_to_bytes(mb),
        None => BandwidthConfig::default().resolved_array_bytes(last_level_cache_bytes()),
    };
    let elements = array_bytes / 8;
    let reps: u32 = env_or("EDGEBENCH_BW_REPS", 20);
    let rounds: usize = env_or("EDGEBENCH_BENCH_ROUNDS", 6);
    let exe = build_reference()?;
    println!(
        "bandwidth_vs_c: {} MiB per array ({elements} f64), {reps} passes (first discarded), \
         {rounds} rounds alternating C,Rust / Rust,C",
        array_bytes >> 20
    );
    for &t in &threads {
        let mut c_gbs: BTreeMap<String, Vec<f64>> = BTreeMap::new();
        let mut rust_gbs: BTreeMap<String, Vec<f64>> = BTreeMap::new();
        let mut ratios: BTreeMap<String, Vec<f64>> = BTreeMap::new();
        for round in 0..rounds {
            let (c, r) = if round % 2 == 0 {
                let c = run_c(&exe, t, elements, reps)?;
                (c, run_rust(t, elements, reps)?)
            } else {
                let r = run_rust(t, elements, reps)?;
                (run_c(&exe, t, elements, reps)?, r)
            };
            for k in Kernel::ALL {
                let name = k.name().to_string();
                let (Some(&cv), Some(&rv)) = (c.get(&name), r.get(&name)) else {
                    return Err(format!("kernel {name} missing from a run"));
                };
                c_gbs.entry(name.clone()).or_default().push(cv);
                rust_gbs.entry(name.clone()).or_default().push(rv);
                ratios.entry(name).or_default().push(rv / cv);
            }
        }
        println!("threads {t}:");
        println!(
            "  {:<6} {:>10} {:>10} {:>8}",
            "kernel", "C GB/s", "Rust GB/s", "Rust/C"
        );
        for k in Kernel::ALL {
            let name = k.name();
            let take =
                |m: &mut BTreeMap<String, Vec<f64>>| median(m.remove(name).unwrap_or_default());
            println!(
                "  {name:<6} {:>10.2} {:>10.2} {:>8.3}",
                take(&mut c_gbs),
                take(&mut rust_gbs),
                take(&mut ratios)
            );
        }
    }
    Ok(())
}
