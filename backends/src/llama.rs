//! llama.cpp through the llama-cpp-2 crate.
//!
//! One `LlamaCppBackend` holds one loaded model and, once configured, one
//! context (KV cache, threads, batch sizes). The timed calls (`prefill`,
//! `decode`, `synchronize`) only fill a pre-allocated batch and call into
//! llama.cpp: no allocation, logging or copying of logits.
use std::num::NonZeroU32;
use std::path::Path;
use std::sync::OnceLock;

use llama_cpp_2::context::LlamaContext;
use llama_cpp_2::context::params::{KvCacheType, LlamaContextParams};
use llama_cpp_2::llama_backend::LlamaBackend;
use llama_cpp_2::llama_batch::LlamaBatch;
use llama_cpp_2::model::LlamaModel;
use llama_cpp_2::model::params::LlamaModelParams;
use llama_cpp_2::token::LlamaToken;

use crate::backend::{
    Backend, BackendDescription, ContextSettings, KvType, LoadSettings, SeqChunk,
};
use crate::error::BackendError;
use crate::llama_build::LlamaBuild;

const ID: &str = "llama.cpp";

/// llama.cpp's global state may be initialised once per process.
fn global_backend() -> Result<&'static LlamaBackend, BackendError> {
    static BACKEND: OnceLock<Result<LlamaBackend, String>> = OnceLock::new();
    BACKEND
        .get_or_init(|| {
            let mut b = LlamaBackend::init().map_err(|e| e.to_string())?;
            // llama.cpp logs every tensor at load; edgebench reports errors itself.
            if std::env::var_os("EDGEBENCH_LLAMA_LOG").is_none() {
                b.void_logs();
            }
            Ok(b)
        })
        .as_ref()
        .map_err(|e| BackendError::Load {
            backend: ID.into(),
            path: Default::default(),
            detail: format!("llama.cpp backend init failed: {e}"),
        })
}

/// A model loaded into llama.cpp, with at most one live context.
pub struct LlamaCppBackend {
    // Field order matters: `ctx` and `batch` borrow from `model` (whose heap
    // address is stable inside the Box) and must be dropped before it.
    ctx: Option<LlamaContext<'static>>,
    batch: LlamaBatch<'static>,
    n_batch: usize,
    logits_index: i32,
    /// Batch indices of the kept logits of the last [`Backend::step`].
    step_logits: Vec<i32>,
    /// Sequences of the current context (1 unless configured parallel).
    n_seq: u32,
    n_vocab: u32,
    bos: Option<u32>,
    device: String,
    model: Box<LlamaModel>,
}

impl LlamaCppBackend {
    /// Loads a GGUF model. The caller must already have checked the file
    /// with [`crate::gguf::inspect`]: llama.cpp is never handed a file that
    /// edgebench has not validated.
    pub fn load(path: &Path, settings: &LoadSettings) -> Result<Self, BackendError> {
        let backend = global_backend()?;
        let mut params = LlamaModelParams::default();
        if let Some(ngl) = settings.n_gpu_layers {
            params = params.with_n_gpu_layers(ngl);
        }
        let model =
            LlamaModel::load_from_file(backend, path, &params).map_err(|e| BackendError::Load {
                backend: ID.into(),
                path: path.to_path_buf(),
                detail: format!("{e} (run with EDGEBENCH_LLAMA_LOG=1 to see llama.cpp's log)"),
            })?;
        let n_vocab = u32::try_from(model.n_vocab()).unwrap_or(0);
        let bos = {
            let vocab = model.vocab();
            let add_bos = vocab.should_add_bos();
            let id = vocab.bos().0;
            (add_bos && id >= 0).then_some(id as u32)
        };
        let device = describe_devices(settings.n_gpu_layers);
        Ok(LlamaCppBackend {
            ctx: None,
            batch: LlamaBatch::new(1, 1),
            n_batch: 1,
            logits_index: -1,
            step_logits: Vec::new(),
            n_seq: 1,
            n_vocab,
            bos,
            device,
            model: Box::new(model),
        })
    }

    fn ctx(&mut self) -> Result<&mut LlamaContext<'static>, BackendError> {
        self.ctx.as_mut().ok_or_else(|| BackendError::Context {
            backend: ID.into(),
            detail: "no context: configure() was not called".into(),
        })
    }

    /// (Re)creates the context: `n_seq` sequences of `s.n_ctx` positions
    /// each (llama.cpp splits a non-unified KV cache of `n_ctx` evenly).
    fn make_context(&mut self, s: &ContextSettings, n_seq: u32) -> Result<(), BackendError> {
        // Drop the previous context (and its KV cache) before making another.
        self.ctx = None;
        let n_ctx = s
            .n_ctx
            .max(1)
            .checked_mul(n_seq)
            .ok_or_else(|| BackendError::Context {
                backend: ID.into(),
                detail: format!("{n_seq} sequences of {} positions overflow", s.n_ctx),
            })?;
        let threads = i32::try_from(s.threads).unwrap_or(i32::MAX);
        let mut params = LlamaContextParams::default()
            .with_n_ctx(NonZeroU32::new(n_ctx))
            .with_n_seq_max(n_seq)
            .with_kv_unified(true)
            .with_n_batch(s.batch)
            .with_n_ubatch(s.ubatch)
            .with_n_threads(threads)
            .with_n_threads_batch(threads)
            .with_no_perf(true);
        if let Some(fa) = s.flash_attn {
            use llama_cpp_sys_2 as sys;
            params = params.with_flash_attention_policy(if fa {
                sys::LLAMA_FLASH_ATTN_TYPE_ENABLED
            } else {
                sys::LLAMA_FLASH_ATTN_TYPE_DISABLED
            });
        }
        if let Some(kv) = s.kv_type {
            let t = match kv {
                KvType::F16 => KvCacheType::F16,
                KvType::F32 => KvCacheType::F32,
                KvType::Q8_0 => KvCacheType::Q8_0,
                KvType::Q4_0 => KvCacheType::Q4_0,
            };
            params = params.with_type_k(t).with_type_v(t);
        }
        let backend = global_backend()?;
        let ctx = self
            .model
            .new_context(backend, params)
            .map_err(|e| BackendError::Context {
                backend: ID.into(),
                detail: format!(
                    "{e}; n_ctx {n_ctx} ({n_seq} sequence(s) of {}), batch {}, ubatch {}",
                    s.n_ctx, s.batch, s.ubatch
                ),
            })?;
        // SAFETY: the context borrows `*self.model`, a Box whose heap address
        // never changes while `self` lives; `ctx` is declared before `model`
        // so it is dropped first, and the 'static lifetime never escapes.
        let ctx: LlamaContext<'static> = unsafe { std::mem::transmute(ctx) };
        self.n_batch = ctx.n_batch().max(1) as usize;
        self.batch = LlamaBatch::new(self.n_batch, n_seq as i32);
        self.n_seq = n_seq;
        self.step_logits = Vec::with_capacity(n_seq as usize);
        self.ctx = Some(ctx);
        self.logits_index = -1;
        Ok(())
    }

    fn run_err(stage: &'static str, e: impl std::fmt::Display) -> BackendError {
        BackendError::Run {
            backend: ID.into(),
            stage,
            detail: e.to_string(),
        }
    }
}

fn describe_devices(n_gpu_layers: Option<u32>) -> String {
    let devices = llama_cpp_2::list_llama_ggml_backend_devices();
    let gpus: Vec<String> = devices
        .iter()
        .filter(|d| d.backend != "CPU")
        .map(|d| format!("{} ({})", d.name, d.description))
        .collect();
    match n_gpu_layers {
        Some(n) if n > 0 && !gpus.is_empty() => format!("{} + CPU", gpus.join(", ")),
        _ => "CPU".into(),
    }
}

/// Features llama.cpp reports it was built with ("AVX2", "OPENMP", ...).
fn build_features() -> Vec<String> {
    // SAFETY: returns a pointer to a static NUL-terminated string.
    let info = unsafe {
        let p = llama_cpp_sys_2::llama_print_system_info();
        if p.is_null() {
            return vec![];
        }
        std::ffi::CStr::from_ptr(p).to_string_lossy().into_owned()
    };
    let mut features = parse_system_info(&info);
    // How it was compiled (CMake build type, flags, GGML_NATIVE, OpenMP).
    features.extend(
        LlamaBuild::current()
            .map(|b| b.features())
            .unwrap_or_default(),
    );
    features
}

/// Picks `NAME = 1` entries out of llama.cpp's system-info line.
fn parse_system_info(info: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for part in info.split('|') {
        let part = part.rsplit(':').next().unwrap_or(part);
        if let Some((name, value)) = part.split_once('=')
            && value.trim() == "1"
        {
            let name = name.trim().to_string();
            if !name.is_empty() && !out.contains(&name) {
                out.push(name);
            }
        }
    }
    out
}

fn ggml_version() -> String {
    // SAFETY: both return pointers to static NUL-terminated strings.
    let (v, c) = unsafe {
        let v = llama_cpp_sys_2::ggml_version();
        let c = llama_cpp_sys_2::ggml_commit();
        let s = |p: *const std::ffi::c_char| {
            if p.is_null() {
                String::new()
            } else {
                std::ffi::CStr::from_ptr(p).to_string_lossy().into_owned()
            }
        };
        (s(v), s(c))
    };
    format!("ggml {v} ({c}), llama-cpp-2 0.1.160")
}

impl Backend for LlamaCppBackend {
    fn describe(&self) -> BackendDescription {
        BackendDescription {
            id: ID.into(),
            version: ggml_version(),
            build_features: build_features(),
            device: self.device.clone(),
            execution_provider: None,
            warnings: LlamaBuild::current()
                .map(|b| b.warnings())
                .unwrap_or_default(),
        }
    }

    fn n_vocab(&self) -> u32 {
        self.n_vocab
    }

    fn bos_token(&self) -> Option<u32> {
        self.bos
    }

    fn configure(&mut self, s: &ContextSettings) -> Result<(), BackendError> {
        self.make_context(s, 1)
    }

    fn tokenize(&self, text: &str) -> Result<Vec<u32>, BackendError> {
        Ok(self
            .model
            .vocab()
            .tokenize(text.as_bytes(), true, false)
            .into_iter()
            .map(|t| t.0 as u32)
            .collect())
    }

    fn configure_parallel(&mut self, s: &ContextSettings, n_seq: u32) -> Result<(), BackendError> {
        self.make_context(s, n_seq.max(1))
    }

    fn clear_seq(&mut self, seq: u32) -> Result<(), BackendError> {
        let n_seq = self.n_seq;
        if seq >= n_seq {
            return Err(Self::run_err(
                "clear",
                format!("sequence {seq} of a context with {n_seq}"),
            ));
        }
        self.ctx()?
            .clear_kv_cache_seq(Some(seq), None, None)
            .map_err(|e| Self::run_err("clear", e))?;
        Ok(())
    }

    fn step(&mut self, chunks: &[SeqChunk<'_>]) -> Result<(), BackendError> {
        let ctx = self
            .ctx
            .as_mut()
            .ok_or_else(|| Self::run_err("step", "no context"))?;
        let n: usize = chunks.iter().map(|c| c.tokens.len()).sum();
        if n > self.n_batch {
            return Err(Self::run_err(
                "step",
                format!("{n} tokens in one step, the batch holds {}", self.n_batch),
            ));
        }
        self.batch.clear();
        self.step_logits.clear();
        for c in chunks {
            let seq = [c.seq as i32];
            for (j, &t) in c.tokens.iter().enumerate() {
                let keep = c.logits && j + 1 == c.tokens.len();
                if keep {
                    self.step_logits.push(self.batch.n_tokens());
                }
                self.batch
                    .add(
                        LlamaToken::new(t as i32),
                        (c.start_pos as usize + j) as i32,
                        &seq,
                        keep,
                    )
                    .map_err(|e| Self::run_err("step", e))?;
            }
        }
        ctx.decode(&mut self.batch)
            .map_err(|e| Self::run_err("step", e))?;
        self.logits_index = -1;
        Ok(())
    }

    fn next_token_at(&mut self, k: usize) -> Result<u32, BackendError> {
        let idx = *self
            .step_logits
            .get(k)
            .ok_or_else(|| Self::run_err("step", format!("no logits kept for chunk {k}")))?;
        Ok(argmax(self.ctx()?.get_logits_ith(idx)))
    }

    fn logits_at(&mut self, k: usize, out: &mut Vec<f32>) -> Result<(), BackendError> {
        let idx = *self
            .step_logits
            .get(k)
            .ok_or_else(|| Self::run_err("step", format!("no logits kept for chunk {k}")))?;
        out.clear();
        out.extend_from_slice(self.ctx()?.get_logits_ith(idx));
        Ok(())
    }

    fn clear(&mut self) -> Result<(), BackendError> {
        self.ctx()?.clear_kv_cache();
        self.logits_index = -1;
        Ok(())
    }

    fn prefill(&mut self, tokens: &[u32], start_pos: u32) -> Result<(), BackendError> {
        let n_batch = self.n_batch;
        let ctx = self
            .ctx
            .as_mut()
            .ok_or_else(|| Self::run_err("prefill", "no context"))?;
        let mut pos = start_pos as i32;
        let n_chunks = tokens.len().div_ceil(n_batch);
        for (i, chunk) in tokens.chunks(n_batch).enumerate() {
            self.batch.clear();
            let last_chunk = i + 1 == n_chunks;
            for (j, &t) in chunk.iter().enumerate() {
                let want_logits = last_chunk && j + 1 == chunk.len();
                self.batch
                    .add(LlamaToken::new(t as i32), pos, &[0], want_logits)
                    .map_err(|e| Self::run_err("prefill", e))?;
                pos += 1;
            }
            ctx.decode(&mut self.batch)
                .map_err(|e| Self::run_err("prefill", e))?;
        }
        self.logits_index = self.batch.n_tokens() - 1;
        Ok(())
    }

    fn decode(&mut self, token: u32, pos: u32) -> Result<(), BackendError> {
        let ctx = self
            .ctx
            .as_mut()
            .ok_or_else(|| Self::run_err("decode", "no context"))?;
        self.batch.clear();
        self.batch
            .add(LlamaToken::new(token as i32), pos as i32, &[0], true)
            .map_err(|e| Self::run_err("decode", e))?;
        ctx.decode(&mut self.batch)
            .map_err(|e| Self::run_err("decode", e))?;
        self.logits_index = 0;
        Ok(())
    }

    fn synchronize(&mut self) {
        if let Some(ctx) = &self.ctx {
            ctx.synchronize();
        }
    }

    fn logits(&mut self, out: &mut Vec<f32>) -> Result<(), BackendError> {
        if self.logits_index < 0 {
            return Err(Self::run_err("logits", "no logits: nothing was decoded"));
        }
        let idx = self.logits_index;
        let ctx = self
            .ctx
            .as_ref()
            .ok_or_else(|| Self::run_err("logits", "no context"))?;
        out.clear();
        out.extend_from_slice(ctx.get_logits_ith(idx));
        Ok(())
    }

    fn next_token(&mut self) -> Result<u32, BackendError> {
        if self.logits_index < 0 {
            return Err(Self::run_err("decode", "no logits: nothing was decoded"));
        }
        let idx = self.logits_index;
        let ctx = self.ctx()?;
        let logits = ctx.get_logits_ith(idx);
        Ok(argmax(logits))
    }
}

/// Index of the largest finite value (first on ties); 0 for an empty slice.
pub fn argmax(values: &[f32]) -> u32 {
    let mut best = 0usize;
    let mut best_v = f32::NEG_INFINITY;
    for (i, &v) in values.iter().enumerate() {
        if v > best_v {
            best_v = v;
            best = i;
        }
    }
    best as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn system_info_features() {
        let s = "CPU : SSE3 = 1 | AVX = 1 | AVX2 = 1 | AVX512 = 0 | OPENMP = 1 | REPACK = 1 | ";
        assert_eq!(
            parse_system_info(s),
            ["SSE3", "AVX", "AVX2", "OPENMP", "REPACK"]
        );
    }

    #[test]
    fn argmax_first_max() {
        assert_eq!(argmax(&[0.1, 3.0, 3.0, -1.0]), 1);
        assert_eq!(argmax(&[f32::NAN, 1.0]), 1);
        assert_eq!(argmax(&[]), 0);
    }
}
