//! The `Backend` trait every inference engine implements, and the settings
//! and descriptions that cross it.
//!
//! The harness drives a backend with token ids only (no text, no sampling
//! policy): clear the KV cache, prefill a batch, decode one token, wait for
//! the device, read the greedy next token. ONNX Runtime and a pure-Rust
//! backend fit the same shape.
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use crate::error::BackendError;

/// Settings fixed when a model is loaded; changing one means reloading.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct LoadSettings {
    /// Layers to offload to a GPU (llama.cpp `n_gpu_layers`); None = backend default (CPU here).
    pub n_gpu_layers: Option<u32>,
    /// ONNX Runtime session settings (ignored by other backends).
    pub onnx: OnnxLoadSettings,
}

/// ONNX Runtime session settings, fixed when the session is created.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct OnnxLoadSettings {
    /// Execution-provider options (`device_id`, `backend_path`...), sorted by key.
    pub ep_options: Vec<(String, String)>,
    /// Intra-op threads the session is created with; None = ONNX Runtime's
    /// default. A case with another count recreates the session.
    pub threads: Option<u32>,
    /// Graph optimisation level; None = ONNX Runtime's default (all).
    pub graph_optimization: Option<crate::ep::GraphOpt>,
}

/// KV-cache element type (llama.cpp `type_k`/`type_v`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KvType {
    /// 16-bit float (llama.cpp's default).
    F16,
    /// 32-bit float.
    F32,
    /// 8-bit blocks.
    Q8_0,
    /// 4-bit blocks.
    Q4_0,
}

/// Settings of one execution context: KV-cache size, threads, batching.
/// Cheap to change between cases without reloading the model.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ContextSettings {
    /// KV-cache capacity in tokens (depth + prompt + generated).
    pub n_ctx: u32,
    /// CPU threads for both prefill and decode.
    pub threads: u32,
    /// Logical batch: the most prompt tokens handed to one decode call.
    pub batch: u32,
    /// Physical micro-batch.
    pub ubatch: u32,
    /// Flash attention: None = backend's automatic choice.
    pub flash_attn: Option<bool>,
    /// KV-cache element type: None = backend default.
    pub kv_type: Option<KvType>,
}

/// What a loaded backend says about itself; goes into every record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackendDescription {
    /// Backend id, as on the command line ("llama.cpp", "mock").
    pub id: String,
    /// Version of the engine (e.g. llama.cpp's ggml version and crate version).
    pub version: String,
    /// Features the engine was built with (e.g. "AVX2", "OPENMP", "CUDA").
    pub build_features: Vec<String>,
    /// Where the work runs, e.g. "CPU" or "CUDA0 (NVIDIA ...)".
    pub device: String,
    /// Execution provider actually used (ONNX Runtime); None otherwise.
    pub execution_provider: Option<String>,
    /// What makes this engine's figures unrepresentative (e.g. llama.cpp
    /// compiled without optimisation); copied into every record's warnings.
    pub warnings: Vec<String>,
}

/// A monotonic nanosecond clock. Real backends use the wall clock; the mock
/// backend advances a virtual clock by its configured costs so statistics
/// and CLI output are exact and repeatable in tests.
#[derive(Debug, Clone)]
pub enum Clock {
    /// `Instant`-based monotonic clock (nanoseconds since the origin).
    Monotonic(Instant),
    /// Virtual time in nanoseconds, advanced by the mock backend.
    Virtual(Arc<AtomicU64>),
}

impl Clock {
    /// A wall clock starting now.
    pub fn monotonic() -> Clock {
        Clock::Monotonic(Instant::now())
    }

    /// Nanoseconds since the clock's origin. No allocation, no syscall
    /// beyond the vDSO clock read.
    #[inline]
    pub fn now_ns(&self) -> u64 {
        match self {
            Clock::Monotonic(origin) => origin.elapsed().as_nanos() as u64,
            Clock::Virtual(t) => t.load(Ordering::Acquire),
        }
    }

    /// Waits until the clock reads `ns` (an open-loop load generator
    /// waiting for the next arrival): sleeps on a wall clock, moves a
    /// virtual one forward (never back).
    pub fn sleep_until(&self, ns: u64) {
        match self {
            Clock::Monotonic(_) => {
                let now = self.now_ns();
                if ns > now {
                    std::thread::sleep(std::time::Duration::from_nanos(ns - now));
                }
            }
            Clock::Virtual(t) => {
                t.fetch_max(ns, Ordering::AcqRel);
            }
        }
    }
}

/// One sequence's share of a batched step ([`Backend::step`]): its next
/// tokens at positions `start_pos..`, with the logits of the last one kept
/// when `logits` is set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SeqChunk<'a> {
    /// The sequence (0..n_seq of [`Backend::configure_parallel`]).
    pub seq: u32,
    /// Its tokens in this step (a decode: one; a prompt chunk: several).
    pub tokens: &'a [u32],
    /// Position of the first.
    pub start_pos: u32,
    /// Keep the logits after the last token.
    pub logits: bool,
}

/// The error of a backend that runs one sequence at a time.
pub fn no_batching(backend: &str) -> BackendError {
    BackendError::Unsupported {
        backend: backend.into(),
        what: "concurrency > 1".into(),
        hint: "this backend runs one sequence at a time; measure it at --concurrency 1 \
               (llama.cpp and Optimum-layout ONNX exports batch sequences)"
            .into(),
    }
}

/// A model loaded into an inference engine, ready to run cases.
///
/// Call order per case: [`configure`](Backend::configure) once, then per
/// repetition [`clear`](Backend::clear), optional depth fill with
/// [`prefill`](Backend::prefill), the timed prefill, then
/// [`decode`](Backend::decode) steps. After every prefill/decode,
/// [`synchronize`](Backend::synchronize) waits for the device and
/// [`next_token`](Backend::next_token) reads the greedy next token from the
/// last logits. Nothing here may allocate per token in steady state.
pub trait Backend {
    /// Engine, version, build features and device, for the record.
    fn describe(&self) -> BackendDescription;

    /// Vocabulary size as the engine sees it (prompt ids are drawn below it).
    fn n_vocab(&self) -> u32;

    /// The BOS token id when the model declares one and wants it first.
    fn bos_token(&self) -> Option<u32>;

    /// (Re)creates the execution context for a case (KV cache, threads,
    /// batching). Must be called before the first `clear`.
    fn configure(&mut self, settings: &ContextSettings) -> Result<(), BackendError>;

    /// Empties the KV cache.
    fn clear(&mut self) -> Result<(), BackendError>;

    /// Runs `tokens` at positions `start_pos..`, splitting into batches as the
    /// context allows, keeping logits of the last token only.
    fn prefill(&mut self, tokens: &[u32], start_pos: u32) -> Result<(), BackendError>;

    /// Runs one token at `pos`, keeping its logits.
    fn decode(&mut self, token: u32, pos: u32) -> Result<(), BackendError>;

    /// Waits until the device has finished all submitted work.
    fn synchronize(&mut self);

    /// Greedy (argmax) next token from the last logits.
    fn next_token(&mut self) -> Result<u32, BackendError>;

    /// Copies the logits of the last token run (prefill's last token, or the
    /// decoded token) into `out`, which is resized to the vocabulary. Used
    /// by `edgebench conform`, never in a timed region.
    fn logits(&mut self, out: &mut Vec<f32>) -> Result<(), BackendError>;

    /// The clock that times this backend's work.
    fn clock(&self) -> Clock {
        Clock::monotonic()
    }

    /// (Re)creates the context for `n_seq` sequences decoded together, each
    /// with `settings.n_ctx` positions of KV cache; then [`step`] runs
    /// batches mixing them. Backends that cannot batch sequences return
    /// [`no_batching`] (never a silent serial run).
    ///
    /// [`step`]: Backend::step
    fn configure_parallel(
        &mut self,
        settings: &ContextSettings,
        n_seq: u32,
    ) -> Result<(), BackendError> {
        let _ = (settings, n_seq);
        Err(no_batching(&self.describe().id))
    }

    /// The model's own tokenizer on `text`, with BOS first where the model
    /// adds one (llama.cpp's, from the GGUF vocabulary). Backends without a
    /// tokenizer say so; the caller feeds them ids made elsewhere.
    fn tokenize(&self, text: &str) -> Result<Vec<u32>, BackendError> {
        let _ = text;
        Err(BackendError::Unsupported {
            backend: self.describe().id,
            what: "tokenizing text".into(),
            hint: "tokenize with llama.cpp (its GGUF vocabulary) and feed the ids".into(),
        })
    }

    /// Empties one sequence's KV cache (after [`Backend::configure_parallel`]).
    fn clear_seq(&mut self, seq: u32) -> Result<(), BackendError> {
        let _ = seq;
        Err(no_batching(&self.describe().id))
    }

    /// Runs one batch made of several sequences' chunks (their tokens
    /// together at most the context's batch size).
    fn step(&mut self, chunks: &[SeqChunk<'_>]) -> Result<(), BackendError> {
        let _ = chunks;
        Err(no_batching(&self.describe().id))
    }

    /// Greedy next token after the `k`-th chunk with `logits` set of the
    /// last [`Backend::step`] (counting only those chunks, in order).
    fn next_token_at(&mut self, k: usize) -> Result<u32, BackendError> {
        let _ = k;
        Err(no_batching(&self.describe().id))
    }

    /// The logits after the `k`-th chunk with `logits` set of the last
    /// step, into `out` (conformance under batching; never timed).
    fn logits_at(&mut self, k: usize, out: &mut Vec<f32>) -> Result<(), BackendError> {
        let _ = (k, out);
        Err(no_batching(&self.describe().id))
    }
}
