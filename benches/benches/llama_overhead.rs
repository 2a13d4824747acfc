//! Does the harness slow llama.cpp down? The same model, threads and token
//! ids run through a bare llama_decode loop (raw llama.cpp C API, nothing
//! else) and through edgebench's timing loop (`measure` on the llama.cpp
//! backend); the ratio of the two throughputs is the harness's cost.
//!
//!     cargo bench -p edgebench-benches --bench llama_overhead
//!
//! Criterion runs the two one after the other, so drift on a shared machine
//! shows up as a difference; `llama_overhead_interleaved` alternates them.
//! Model: `EDGEBENCH_BENCH_MODEL` (a GGUF path or synth:SPEC), default
//! synth:medium-q4_0; threads: `EDGEBENCH_BENCH_THREADS`, default 2.
//! Each criterion sample is one pp512 (prefill) or one tg128 (127 decode
//! steps after the first token); times are those each loop measures itself.
mod common;

use std::time::Duration;

use common::{N_GEN, setup};
use criterion::{Criterion, criterion_group, criterion_main};
use edgebench::measure::{Job, TestShape, measure};

fn bench(c: &mut Criterion) {
    let common::Setup {
        mut harness,
        mut bare,
        prompt,
    } = setup(false);

    let mut g = c.benchmark_group(format!("pp{}", common::N_PROMPT));
    g.sample_size(10).warm_up_time(Duration::from_secs(1));
    g.bench_function("bare", |b| {
        b.iter_custom(|iters| (0..iters).map(|_| bare.prefill(&prompt)).sum())
    });
    g.bench_function("harness", |b| {
        b.iter_custom(|iters| {
            let job = Job {
                shape: TestShape::Pp,
                depth: &[],
                prompt: &prompt,
                n_gen: 0,
                reps: iters as u32,
                warmup: 0,
            };
            let s = measure(&mut harness, job).unwrap();
            Duration::from_nanos(s.prefill_ns.iter().sum())
        })
    });
    g.finish();

    let mut g = c.benchmark_group(format!("tg{N_GEN}"));
    g.sample_size(10).warm_up_time(Duration::from_secs(1));
    g.bench_function("bare", |b| {
        b.iter_custom(|iters| (0..iters).map(|_| bare.generate(&prompt)).sum())
    });
    g.bench_function("harness", |b| {
        b.iter_custom(|iters| {
            let job = Job {
                shape: TestShape::Request,
                depth: &[],
                prompt: &prompt,
                n_gen: N_GEN,
                reps: iters as u32,
                warmup: 0,
            };
            let s = measure(&mut harness, job).unwrap();
            Duration::from_nanos(s.decode_ns.iter().sum())
        })
    });
    g.finish();
}

// No plots: criterion's plotters backend looks for system fonts, which the
// workspace's plotters build (ab_glyph, for the report) does not provide.
criterion_group! {
    name = benches;
    config = Criterion::default().without_plots();
    targets = bench
}
criterion_main!(benches);
