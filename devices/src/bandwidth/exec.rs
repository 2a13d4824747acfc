//! Running kernels on pinned worker threads: first-touch initialisation,
//! a barrier before and after each timed pass, the per-pass times, and
//! each worker's check of its own chunk.

use std::hint::black_box;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Instant;

use super::buffer::{Buffer, fill, partition};
use super::check::{INIT_A, INIT_B, INIT_C, check_arrays, check_sum};
use super::error::BandwidthError;
use super::kernel::Kernel;
use super::pin::pin_current_thread;

/// What the workers measured, per kernel in the order asked.
pub(super) struct Measured {
    /// Nanoseconds of every pass (the first included) per kernel.
    pub samples_ns: Vec<Vec<u64>>,
    /// Whether every worker was pinned.
    pub pinned: bool,
}

/// A spinning barrier (like OpenMP's): a sleeping barrier's wake-up would
/// land inside the timed region. It yields after a while so an oversubscribed
/// machine still makes progress, and gives up (returns false) on `abort`.
struct SpinBarrier<'a> {
    parties: usize,
    count: AtomicUsize,
    generation: AtomicUsize,
    abort: &'a AtomicBool,
}

impl SpinBarrier<'_> {
    fn wait(&self) -> bool {
        let generation = self.generation.load(Ordering::Acquire);
        if self.count.fetch_add(1, Ordering::AcqRel) + 1 == self.parties {
            self.count.store(0, Ordering::Relaxed);
            self.generation.fetch_add(1, Ordering::Release);
            return true;
        }
        let mut spins = 0u32;
        while self.generation.load(Ordering::Acquire) == generation {
            if self.abort.load(Ordering::Relaxed) {
                return false;
            }
            spins = spins.saturating_add(1);
            if spins < 20_000 {
                std::hint::spin_loop();
            } else {
                std::thread::yield_now();
            }
        }
        true
    }
}

/// Sets the abort flag if the worker unwinds, so the others stop waiting.
struct AbortOnPanic<'a>(&'a AtomicBool);

impl Drop for AbortOnPanic<'_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            self.0.store(true, Ordering::Relaxed);
        }
    }
}

/// What one worker hands back.
struct WorkerReport {
    pinned: bool,
    /// Pass times, only from worker 0 (the timer).
    samples_ns: Vec<Vec<u64>>,
    /// The read kernel's sum over this chunk, from the last pass.
    sums: Vec<f64>,
    check: Result<(), BandwidthError>,
}

/// Runs `kernels` in turn, `iterations` passes each, on one thread per
/// entry of `cpus` over arrays of `elements` f64s.
pub(super) fn execute(
    kernels: &[Kernel],
    cpus: &[usize],
    elements: usize,
    iterations: u32,
) -> Result<Measured, BandwidthError> {
    let threads = cpus.len().max(1);
    let parts = partition(elements, threads);
    let (mut a, mut b, mut c) = (
        Buffer::new(elements)?,
        Buffer::new(elements)?,
        Buffer::new(elements)?,
    );
    let abort = AtomicBool::new(false);
    let barrier = SpinBarrier {
        parties: threads,
        count: AtomicUsize::new(0),
        generation: AtomicUsize::new(0),
        abort: &abort,
    };
    let chunks = a
        .chunks(&parts)
        .into_iter()
        .zip(b.chunks(&parts))
        .zip(c.chunks(&parts));
    let reports: Vec<Result<WorkerReport, BandwidthError>> = std::thread::scope(|s| {
        let mut handles = Vec::with_capacity(threads);
        for (i, ((a, b), c)) in chunks.enumerate() {
            let cpu = cpus.get(i).copied();
            let (barrier, abort) = (&barrier, &abort);
            let spawned = std::thread::Builder::new()
                .name(format!("bandwidth-{i}"))
                .spawn_scoped(s, move || {
                    let _guard = AbortOnPanic(abort);
                    let pinned = cpu.is_some_and(pin_current_thread);
                    let (a, b, c) = (fill(a, INIT_A), fill(b, INIT_B), fill(c, INIT_C));
                    worker(kernels, iterations, i == 0, barrier, (a, b, c), pinned)
                });
            match spawned {
                Ok(h) => handles.push(h),
                Err(e) => {
                    abort.store(true, Ordering::Relaxed);
                    handles.clear();
                    return vec![Err(BandwidthError::Spawn(e))];
                }
            }
        }
        handles
            .into_iter()
            .map(|h| h.join().map_err(|_| BandwidthError::WorkerPanicked)?)
            .collect()
    });
    let mut pinned = true;
    let mut samples_ns = vec![];
    let mut sums = vec![0.0; kernels.len()];
    for report in reports {
        let report = report?;
        report.check?;
        pinned &= report.pinned;
        if !report.samples_ns.is_empty() {
            samples_ns = report.samples_ns;
        }
        for (total, part) in sums.iter_mut().zip(&report.sums) {
            *total += part;
        }
    }
    for (k, sum) in kernels.iter().zip(sums) {
        if *k == Kernel::Read {
            check_sum(sum, elements as u64)?;
        }
    }
    Ok(Measured { samples_ns, pinned })
}

/// One worker: for each kernel, reset its chunk (after the first, which the
/// first touch already set), then time `iterations` passes between
/// barriers and check the chunk.
fn worker(
    kernels: &[Kernel],
    iterations: u32,
    timer: bool,
    barrier: &SpinBarrier<'_>,
    (a, b, c): (&mut [f64], &mut [f64], &mut [f64]),
    pinned: bool,
) -> Result<WorkerReport, BandwidthError> {
    let mut report = WorkerReport {
        pinned,
        samples_ns: vec![],
        sums: vec![],
        check: Ok(()),
    };
    let aborted = || BandwidthError::WorkerPanicked;
    for (n, &kernel) in kernels.iter().enumerate() {
        if n > 0 {
            a.fill(INIT_A);
            b.fill(INIT_B);
            c.fill(INIT_C);
        }
        let mut times = Vec::with_capacity(if timer { iterations as usize } else { 0 });
        let mut sum = 0.0;
        for _ in 0..iterations {
            if !barrier.wait() {
                return Err(aborted());
            }
            let start = Instant::now();
            // black_box: the passes are idempotent, and must each really run.
            sum =
                black_box(kernel.apply(black_box(&mut *a), black_box(&mut *b), black_box(&mut *c)));
            if !barrier.wait() {
                return Err(aborted());
            }
            if timer {
                times.push(u64::try_from(start.elapsed().as_nanos()).unwrap_or(u64::MAX));
            }
        }
        if report.check.is_ok() {
            report.check = check_arrays(kernel, a, b, c);
        }
        report.sums.push(sum);
        if timer {
            report.samples_ns.push(times);
        }
    }
    Ok(report)
}
