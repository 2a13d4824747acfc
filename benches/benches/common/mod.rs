//! Shared by the llama.cpp overhead benches: a bare llama.cpp loop through
//! the C API only, and the model/backend set-up both loops use.
#![allow(dead_code)]
use std::ffi::CString;
use std::time::{Duration, Instant};

use edgebench::model::resolve_model;
use edgebench::plan::ModelSource;
use edgebench::prompt::workload_tokens;
use edgebench_backends::llama::{LlamaCppBackend, argmax};
use edgebench_backends::{Backend, ContextSettings, LoadSettings};
use llama_cpp_sys_2 as sys;

pub const N_PROMPT: u32 = 512;
pub const N_GEN: u32 = 128;

pub fn settings(threads: u32) -> ContextSettings {
    ContextSettings {
        n_ctx: N_PROMPT + N_GEN,
        threads,
        batch: 2048,
        ubatch: 512,
        flash_attn: None,
        kv_type: None,
    }
}

/// llama.cpp driven through its C API only.
pub struct Bare {
    model: *mut sys::llama_model,
    ctx: *mut sys::llama_context,
    batch: sys::llama_batch,
    n_vocab: usize,
}

impl Bare {
    pub fn new(path: &std::path::Path, threads: u32) -> Bare {
        let c_path = CString::new(path.to_str().unwrap()).unwrap();
        unsafe {
            let mp = sys::llama_model_default_params();
            let model = sys::llama_model_load_from_file(c_path.as_ptr(), mp);
            assert!(
                !model.is_null(),
                "bare llama.cpp could not load {}",
                path.display()
            );
            let mut cp = sys::llama_context_default_params();
            let s = settings(threads);
            cp.n_ctx = s.n_ctx;
            cp.n_batch = s.batch;
            cp.n_ubatch = s.ubatch;
            cp.n_threads = s.threads as i32;
            cp.n_threads_batch = s.threads as i32;
            cp.no_perf = true;
            let ctx = sys::llama_init_from_model(model, cp);
            assert!(!ctx.is_null());
            let vocab = sys::llama_model_get_vocab(model);
            let n_vocab = sys::llama_vocab_n_tokens(vocab) as usize;
            let batch = sys::llama_batch_init(2048, 0, 1);
            Bare {
                model,
                ctx,
                batch,
                n_vocab,
            }
        }
    }

    fn fill(&mut self, tokens: &[u32], start: i32, logits_last: bool) {
        self.batch.n_tokens = tokens.len() as i32;
        for (i, &t) in tokens.iter().enumerate() {
            unsafe {
                *self.batch.token.add(i) = t as i32;
                *self.batch.pos.add(i) = start + i as i32;
                *self.batch.n_seq_id.add(i) = 1;
                *(*self.batch.seq_id.add(i)) = 0;
                *self.batch.logits.add(i) = (logits_last && i + 1 == tokens.len()) as i8;
            }
        }
    }

    fn clear(&mut self) {
        unsafe { sys::llama_memory_clear(sys::llama_get_memory(self.ctx), true) }
    }

    fn decode(&mut self) {
        let rc = unsafe { sys::llama_decode(self.ctx, self.batch) };
        assert_eq!(rc, 0, "llama_decode failed");
        unsafe { sys::llama_synchronize(self.ctx) };
    }

    fn next(&self, idx: i32) -> u32 {
        let logits = unsafe {
            std::slice::from_raw_parts(sys::llama_get_logits_ith(self.ctx, idx), self.n_vocab)
        };
        argmax(logits)
    }

    /// One pp (prefill) repetition, timed.
    pub fn prefill(&mut self, prompt: &[u32]) -> Duration {
        self.clear();
        self.fill(prompt, 0, true);
        let t = Instant::now();
        self.decode();
        t.elapsed()
    }

    /// One tg repetition: prompt untimed, then N_GEN - 1 timed decode steps.
    pub fn generate(&mut self, prompt: &[u32]) -> Duration {
        self.clear();
        self.fill(prompt, 0, true);
        self.decode();
        let mut token = self.next(prompt.len() as i32 - 1);
        let mut total = Duration::ZERO;
        for i in 0..N_GEN - 1 {
            self.fill(&[token], prompt.len() as i32 + i as i32, true);
            let t = Instant::now();
            self.decode();
            total += t.elapsed();
            token = self.next(0);
        }
        total
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

/// The two loops on the same model and threads, and the prompt they share.
pub struct Setup {
    /// edgebench's llama.cpp backend, configured for pp512 + tg128.
    pub harness: LlamaCppBackend,
    /// The bare C-API loop.
    pub bare: Bare,
    /// Seeded prompt ids (the same for both).
    pub prompt: Vec<u32>,
}

/// Model from `EDGEBENCH_BENCH_MODEL` (path or synth:SPEC, default
/// synth:medium-q4_0), threads from `EDGEBENCH_BENCH_THREADS` (default 2).
/// `bare_first`: which loop loads its copy of the weights first.
pub fn setup(bare_first: bool) -> Setup {
    let source = std::env::var("EDGEBENCH_BENCH_MODEL").unwrap_or("synth:medium-q4_0".into());
    let threads: u32 = std::env::var("EDGEBENCH_BENCH_THREADS")
        .ok()
        .and_then(|t| t.parse().ok())
        .unwrap_or(2);
    let source = match source.strip_prefix("synth:") {
        Some(s) => ModelSource::Synth(s.into()),
        None => ModelSource::File(source.into()),
    };
    let model = resolve_model(&source).expect("model");
    // Decode is memory bound, so where each loop's copy of the weights
    // lands (huge pages or not) can show up as a difference that has nothing
    // to do with the loop; measuring both load orders cancels it.
    let early_bare = bare_first.then(|| {
        // SAFETY: llama.cpp's global init, idempotent.
        unsafe { sys::llama_backend_init() };
        Bare::new(&model.path, threads)
    });
    let mut harness = LlamaCppBackend::load(&model.path, &LoadSettings::default()).unwrap();
    harness.configure(&settings(threads)).unwrap();
    let bare = early_bare.unwrap_or_else(|| Bare::new(&model.path, threads));
    let (_, prompt) = workload_tokens(42, harness.n_vocab(), harness.bos_token(), 0, N_PROMPT);
    Setup {
        harness,
        bare,
        prompt,
    }
}
