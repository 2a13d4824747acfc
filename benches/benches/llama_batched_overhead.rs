//! Harness overhead under batching: edgebench's continuous-batching load
//! loop (`load_batched::serve_batched` over the llama.cpp backend's
//! `step`) against a bare loop through llama.cpp's C API that sends the same
//! batches: `N_SEQ` requests arriving at once, their prompts in one batch,
//! then one batch per step holding each sequence's next token. Rounds run
//! bare, harness, harness, bare (ABBA); the figure is the median ratio of
//! generated tokens per second, harness over bare (1.0 = no overhead).
//!
//!     cargo bench -p edgebench-benches --bench llama_batched_overhead
//!
//! `EDGEBENCH_BENCH_MODEL` (default synth:medium-q4_0),
//! `EDGEBENCH_BENCH_THREADS` (2), `EDGEBENCH_BENCH_ROUNDS` (4),
//! `EDGEBENCH_BENCH_SEQS` (8).
use std::ffi::CString;
use std::time::{Duration, Instant};

use edgebench::load::{RequestShape, serve};
use edgebench::load_batched::serve_batched;
use edgebench::model::resolve_model;
use edgebench::plan::ModelSource;
use edgebench::prompt::workload_tokens;
use edgebench_backends::llama::{LlamaCppBackend, argmax};
use edgebench_backends::{Backend, ContextSettings, LoadSettings};
use llama_cpp_sys_2 as sys;

const N_PROMPT: u32 = 32;
const N_GEN: u32 = 64;

fn env<T: std::str::FromStr>(k: &str, d: T) -> T {
    std::env::var(k)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(d)
}

fn settings(threads: u32) -> ContextSettings {
    ContextSettings {
        n_ctx: N_PROMPT + N_GEN,
        threads,
        batch: 512,
        ubatch: 512,
        flash_attn: None,
        kv_type: None,
    }
}

/// The same batches through the C API only.
struct Bare {
    model: *mut sys::llama_model,
    ctx: *mut sys::llama_context,
    batch: sys::llama_batch,
    n_vocab: usize,
    n_seq: usize,
}

impl Bare {
    fn new(path: &std::path::Path, threads: u32, n_seq: usize) -> Bare {
        let c_path = CString::new(path.to_str().unwrap()).unwrap();
        // SAFETY: llama.cpp's C API used as documented; every pointer is
        // checked and freed in Drop.
        unsafe {
            sys::llama_backend_init();
            let model =
                sys::llama_model_load_from_file(c_path.as_ptr(), sys::llama_model_default_params());
            assert!(!model.is_null());
            let mut cp = sys::llama_context_default_params();
            let s = settings(threads);
            cp.n_ctx = s.n_ctx * n_seq as u32;
            cp.n_seq_max = n_seq as u32;
            cp.kv_unified = true;
            cp.n_batch = s.batch;
            cp.n_ubatch = s.ubatch;
            cp.n_threads = threads as i32;
            cp.n_threads_batch = threads as i32;
            cp.no_perf = true;
            let ctx = sys::llama_init_from_model(model, cp);
            assert!(!ctx.is_null());
            let n_vocab = sys::llama_vocab_n_tokens(sys::llama_model_get_vocab(model)) as usize;
            let batch = sys::llama_batch_init(512, 0, n_seq as i32);
            Bare {
                model,
                ctx,
                batch,
                n_vocab,
                n_seq,
            }
        }
    }

    fn push(&mut self, token: u32, pos: u32, seq: usize, logits: bool) {
        let i = self.batch.n_tokens as usize;
        // SAFETY: the batch holds 512 tokens; callers stay below.
        unsafe {
            *self.batch.token.add(i) = token as i32;
            *self.batch.pos.add(i) = pos as i32;
            *self.batch.n_seq_id.add(i) = 1;
            *(*self.batch.seq_id.add(i)) = seq as i32;
            *self.batch.logits.add(i) = logits as i8;
        }
        self.batch.n_tokens += 1;
    }

    fn decode(&mut self) {
        // SAFETY: a filled batch on a live context.
        let rc = unsafe { sys::llama_decode(self.ctx, self.batch) };
        assert_eq!(rc, 0);
        unsafe { sys::llama_synchronize(self.ctx) };
        self.batch.n_tokens = 0;
    }

    fn next(&self, idx: i32) -> u32 {
        // SAFETY: logits of a batch index that kept them.
        argmax(unsafe {
            std::slice::from_raw_parts(sys::llama_get_logits_ith(self.ctx, idx), self.n_vocab)
        })
    }

    /// All sequences from an empty cache: prompts in one batch, then
    /// N_GEN - 1 steps of one token each; returns the time.
    fn run(&mut self, prompt: &[u32]) -> Duration {
        unsafe { sys::llama_memory_clear(sys::llama_get_memory(self.ctx), true) };
        let t = Instant::now();
        let mut last = vec![0i32; self.n_seq];
        for (s, l) in last.iter_mut().enumerate() {
            for (i, &tok) in prompt.iter().enumerate() {
                self.push(tok, i as u32, s, i + 1 == prompt.len());
            }
            *l = self.batch.n_tokens - 1;
        }
        self.decode();
        let mut tokens: Vec<u32> = last.iter().map(|&i| self.next(i)).collect();
        for step in 0..N_GEN - 1 {
            for (s, &tok) in tokens.iter().enumerate() {
                self.push(tok, N_PROMPT + step, s, true);
            }
            self.decode();
            for (s, tok) in tokens.iter_mut().enumerate() {
                *tok = self.next(s as i32);
            }
        }
        t.elapsed()
    }
}

impl Drop for Bare {
    fn drop(&mut self) {
        unsafe {
            sys::llama_batch_free(self.batch);
            sys::llama_free(self.ctx);
            sys::llama_model_free(self.model);
        }
    }
}

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        println!("llama_batched_overhead: run with `cargo bench` to measure");
        return;
    }
    let source: String = env("EDGEBENCH_BENCH_MODEL", "synth:medium-q4_0".to_string());
    let threads: u32 = env("EDGEBENCH_BENCH_THREADS", 2);
    let rounds: usize = env("EDGEBENCH_BENCH_ROUNDS", 4);
    let n_seq: u32 = env("EDGEBENCH_BENCH_SEQS", 8);
    let source = match source.strip_prefix("synth:") {
        Some(s) => ModelSource::Synth(s.into()),
        None => ModelSource::File(source.into()),
    };
    let model = resolve_model(&source).expect("model");
    let mut harness = LlamaCppBackend::load(&model.path, &LoadSettings::default()).unwrap();
    harness
        .configure_parallel(&settings(threads), n_seq)
        .unwrap();
    let mut bare = Bare::new(&model.path, threads, n_seq as usize);
    let (_, prompt) = workload_tokens(42, harness.n_vocab(), harness.bos_token(), 0, N_PROMPT);
    let shape = RequestShape {
        prompt: &prompt,
        lengths: &[(N_PROMPT, N_GEN)],
        queue_timeout_ns: u64::MAX,
    };
    let at_once = vec![0u64; n_seq as usize];
    let mut run_harness = || -> Duration {
        let s = serve_batched(&mut harness, shape, &at_once, n_seq, 512).expect("harness");
        let start = s.iter().map(|r| r.arrival_ns).min().unwrap();
        let end = s.iter().filter_map(|r| r.end_ns).max().unwrap();
        Duration::from_nanos(end - start)
    };
    // Warm both.
    bare.run(&prompt);
    run_harness();
    let tokens = f64::from(n_seq * N_GEN);
    let mut ratios = vec![];
    for round in 0..rounds {
        let b1 = bare.run(&prompt);
        let h1 = run_harness();
        let h2 = run_harness();
        let b2 = bare.run(&prompt);
        let (b, h) = ((b1 + b2).as_secs_f64(), (h1 + h2).as_secs_f64());
        println!(
            "round {}: bare {:.1} tok/s, harness {:.1} tok/s, harness/bare {:.4}",
            round + 1,
            2.0 * tokens / b,
            2.0 * tokens / h,
            b / h
        );
        ratios.push(b / h);
    }
    ratios.sort_by(f64::total_cmp);
    println!(
        "{n_seq} sequences, {N_PROMPT} prompt + {N_GEN} generated each: median harness/bare \
         throughput {:.4} over {rounds} ABBA rounds (1.0 = no overhead)",
        ratios[rounds / 2]
    );
    // One at a time on the same harness, for the scaling figure.
    harness.configure(&settings(threads)).unwrap();
    let one = serve(&mut harness, shape, &at_once).expect("serial");
    let start = one.iter().map(|r| r.arrival_ns).min().unwrap();
    let end = one.iter().filter_map(|r| r.end_ns).max().unwrap();
    println!(
        "the same {n_seq} requests one at a time: {:.1} generated tok/s",
        tokens / ((end - start) as f64 / 1e9)
    );
}
