//! Criterion bench of each bandwidth kernel (`copy`, `scale`, `add`,
//! `triad`, `read`) on one thread over 64 MiB arrays, reported as STREAM
//! bytes per second. The multi-threaded, pinned figure is what
//! `edgebench bandwidth` (and `bandwidth_vs_c`) measure; this one tracks the
//! kernel loops themselves.
//!
//!     cargo bench -p edgebench-benches --bench bandwidth
use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use edgebench_devices::bandwidth::Kernel;
use edgebench_devices::bandwidth::check::{INIT_A, INIT_B, INIT_C};

const ELEMENTS: usize = (64 << 20) / 8;

fn kernels(c: &mut Criterion) {
    let (mut a, mut b, mut cc) = (
        vec![INIT_A; ELEMENTS],
        vec![INIT_B; ELEMENTS],
        vec![INIT_C; ELEMENTS],
    );
    let mut group = c.benchmark_group("bandwidth");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    for kernel in Kernel::ALL {
        group.throughput(Throughput::Bytes(
            kernel.bytes_per_iteration(ELEMENTS as u64),
        ));
        group.bench_function(kernel.name(), |bench| {
            bench.iter(|| {
                black_box(kernel.apply(black_box(&mut a), black_box(&mut b), black_box(&mut cc)))
            })
        });
    }
    group.finish();
}

// No plots: criterion's plotters backend looks for system fonts, which the
// workspace's plotters build (ab_glyph, for the report) does not provide.
criterion_group! {
    name = benches;
    config = Criterion::default().without_plots();
    targets = kernels
}
criterion_main!(benches);
