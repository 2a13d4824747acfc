//! The harness-overhead check with the two loops interleaved: rounds of
//! bare, harness, harness, bare (ABBA) so slow drift of a shared machine
//! (clocks, neighbours, page cache) cancels out instead of landing on
//! whichever loop runs second. Each loop has its own copy of the weights,
//! and decode (memory bound) is sensitive to where a copy lands, so half the
//! rounds load the harness's copy first and half the bare loop's; the
//! figure to quote is the geometric mean of the two orders' medians.
//!
//!     cargo bench -p edgebench-benches --bench llama_overhead_interleaved
//!
//! Same environment variables as `llama_overhead`; rounds from
//! `EDGEBENCH_BENCH_ROUNDS` (default 6).
mod common;

use std::time::Duration;

use common::{N_GEN, setup};
use edgebench::measure::{Job, TestShape, measure};

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

fn main() {
    // `cargo bench` passes --bench; `cargo test --benches` passes nothing
    // special but must not spend minutes here.
    if !std::env::args().any(|a| a == "--bench") {
        println!("llama_overhead_interleaved: run with `cargo bench` to measure");
        return;
    }
    let rounds: usize = std::env::var("EDGEBENCH_BENCH_ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(6);
    let mut by_order = vec![];
    for bare_first in [false, true] {
        let (pp, tg) = rounds_in_order(rounds.div_ceil(2), bare_first);
        let order = if bare_first {
            "bare loaded first"
        } else {
            "harness loaded first"
        };
        println!("{order}: median pp512 {pp:.4}, tg128 {tg:.4}");
        by_order.push((pp, tg));
    }
    let gm = |a: f64, b: f64| (a * b).sqrt();
    println!(
        "harness/bare throughput, geometric mean of both load orders: pp512 {:.4}, tg128 {:.4} \
         (1.0 = no overhead)",
        gm(by_order[0].0, by_order[1].0),
        gm(by_order[0].1, by_order[1].1)
    );
}

/// Runs ABBA rounds with one load order; returns median (pp, tg) ratios.
fn rounds_in_order(rounds: usize, bare_first: bool) -> (f64, f64) {
    let common::Setup {
        mut harness,
        mut bare,
        prompt,
    } = setup(bare_first);
    let mut run_harness = |n_gen: u32| -> Duration {
        let job = Job {
            shape: if n_gen == 0 {
                TestShape::Pp
            } else {
                TestShape::Request
            },
            depth: &[],
            prompt: &prompt,
            n_gen,
            reps: 1,
            warmup: 0,
        };
        let s = measure(&mut harness, job).expect("harness rep");
        Duration::from_nanos(if n_gen == 0 {
            s.prefill_ns[0]
        } else {
            s.decode_ns[0]
        })
    };
    // Warm both once.
    bare.prefill(&prompt);
    run_harness(0);
    let mut pp = vec![];
    let mut tg = vec![];
    for round in 0..rounds {
        let b1 = bare.prefill(&prompt);
        let h1 = run_harness(0);
        let h2 = run_harness(0);
        let b2 = bare.prefill(&prompt);
        let pp_ratio = (b1 + b2).as_secs_f64() / (h1 + h2).as_secs_f64();
        let b1 = bare.generate(&prompt);
        let h1 = run_harness(N_GEN);
        let h2 = run_harness(N_GEN);
        let b2 = bare.generate(&prompt);
        let tg_ratio = (b1 + b2).as_secs_f64() / (h1 + h2).as_secs_f64();
        println!(
            "round {}: pp512 harness/bare throughput {pp_ratio:.4}, tg128 {tg_ratio:.4}",
            round + 1
        );
        pp.push(pp_ratio);
        tg.push(tg_ratio);
    }
    (median(pp), median(tg))
}
