//! Bandwidth runs on small arrays: every kernel checked, bytes counted as
//! STREAM does, and a wrong kernel caught by the result check.

use edgebench_devices::bandwidth::check::{INIT_A, INIT_B, INIT_C, check_arrays, check_sum};
use edgebench_devices::bandwidth::{
    BandwidthConfig, BandwidthError, Kernel, logical_cpus, run, run_kernel,
};

const ELEMENTS: u64 = 100_003;

fn config(threads: u32) -> BandwidthConfig {
    BandwidthConfig {
        threads,
        array_bytes: Some(ELEMENTS * 8),
        iterations: 10,
    }
}

#[test]
fn bytes_per_element_is_stream_counting() {
    let expected = [
        ("copy", 16),
        ("scale", 16),
        ("add", 24),
        ("triad", 24),
        ("read", 8),
    ];
    for (k, (name, bytes)) in Kernel::ALL.into_iter().zip(expected) {
        assert_eq!(k.name(), name);
        assert_eq!(k.bytes_per_element(), bytes);
        assert_eq!(k.bytes_per_iteration(1000), bytes * 1000);
    }
}

#[test]
fn all_kernels_run_and_count_bytes() {
    let max = u32::try_from(logical_cpus()).unwrap_or(1).min(2);
    for threads in 1..=max {
        let results = run(&config(threads)).unwrap();
        assert_eq!(results.len(), 5);
        for (r, k) in results.iter().zip(Kernel::ALL) {
            assert_eq!(r.kernel, k.name());
            assert_eq!(r.threads, threads);
            assert_eq!(r.array_bytes, ELEMENTS * 8);
            assert_eq!(r.bytes_per_iteration, k.bytes_per_element() * ELEMENTS);
            assert_eq!(r.iterations_measured, 9);
            assert_eq!(r.samples_ns.len(), 10);
            assert!(r.gbs > 0.0 && r.gbs.is_finite());
            assert!(r.min_gbs <= r.avg_gbs && r.avg_gbs <= r.gbs, "{r:?}");
            assert!((r.best_s * 1e9 - r.bytes_per_iteration as f64 / r.gbs).abs() < 1e-3);
        }
    }
}

#[test]
fn one_kernel_runs_alone() {
    let r = run_kernel(&config(1), Kernel::Triad).unwrap();
    assert_eq!(r.kernel, "triad");
    let json = serde_json::to_string(&r).unwrap();
    assert!(json.contains("\"gbs\":"), "{json}");
    let back: edgebench_devices::bandwidth::BandwidthResult = serde_json::from_str(&json).unwrap();
    assert_eq!(back, r);
}

#[test]
fn too_many_threads_is_refused_before_running() {
    let too_many = u32::try_from(logical_cpus() + 1).unwrap();
    let err = run(&config(too_many)).unwrap_err();
    assert!(
        matches!(err, BandwidthError::TooManyThreads { .. }),
        "{err}"
    );
}

/// A deliberately wrong triad (scalar 2 instead of 3) and a copy that
/// skipped the last element must both fail the check.
#[test]
fn wrong_kernels_are_caught() {
    let n = 1000;
    let (mut a, b, c) = (vec![INIT_A; n], vec![INIT_B; n], vec![INIT_C; n]);
    for ((a, b), c) in a.iter_mut().zip(&b).zip(&c) {
        *a = *b + 2.0 * *c;
    }
    let err = check_arrays(Kernel::Triad, &a, &b, &c).unwrap_err();
    assert!(matches!(
        err,
        BandwidthError::WrongResult {
            kernel: "triad",
            ..
        }
    ));
    assert!(err.to_string().contains("a[0]"), "{err}");

    let (a, b, mut c) = (vec![INIT_A; n], vec![INIT_B; n], vec![INIT_C; n]);
    c[..n - 1].copy_from_slice(&a[..n - 1]);
    let err = check_arrays(Kernel::Copy, &a, &b, &c).unwrap_err();
    assert!(err.to_string().contains("c[999]"), "{err}");

    // A read that skipped one element.
    let a = vec![INIT_A; n];
    let partial: f64 = a[1..].iter().sum();
    assert!(check_sum(partial, n as u64).is_err());
    check_sum(a.iter().sum(), n as u64).unwrap();

    // And the right kernels pass.
    let (mut a, mut b, mut c) = (vec![INIT_A; n], vec![INIT_B; n], vec![INIT_C; n]);
    Kernel::Triad.apply(&mut a, &mut b, &mut c);
    check_arrays(Kernel::Triad, &a, &b, &c).unwrap();
}
