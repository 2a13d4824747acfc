//! `cpu`: a pure-Rust CPU backend on candle (candle-core quantized tensors,
//! candle-transformers quantized models), running the very GGUF files
//! llama.cpp runs. No C or C++ is compiled for it.
//!
//! Architectures: llama (and mistral-style llama GGUFs), qwen2, phi3 and
//! gemma3, the quantized GGUF models candle-transformers implements; any
//! other `general.architecture` is refused by name.
//!
//! Threads: candle sizes its worker pool once per process, from
//! `CANDLE_NUM_THREADS` (else `RAYON_NUM_THREADS`, else the physical cores),
//! at its first quantized matmul. [`pin_threads`] sets that variable before
//! the model is loaded; a later case asking another count is refused with a
//! clear error (sweeps give each thread count of this backend its own worker
//! process, so they never ask).
//!
//! Unlike llama.cpp, candle allocates its tensors per operation, so a token
//! costs allocations here; that is the engine, measured as it is.
use std::fs::File;
use std::io::BufReader;
use std::path::Path;

use candle_core::quantized::gguf_file;
use candle_core::{D, DType, Device, Tensor};
use candle_transformers::models::{
    quantized_gemma3, quantized_llama, quantized_phi3, quantized_qwen2,
};

use crate::backend::{Backend, BackendDescription, ContextSettings, LoadSettings};
use crate::error::BackendError;
use edgebench_formats::gguf::tokenizer::GgufTokenizer;

const ID: &str = "cpu";

/// Architectures this backend runs, as GGUF `general.architecture` names them.
pub const ARCHITECTURES: [&str; 5] = ["llama", "mistral", "qwen2", "phi3", "gemma3"];

/// The model, per architecture.
enum Model {
    Llama(quantized_llama::ModelWeights),
    Qwen2(quantized_qwen2::ModelWeights),
    Phi3(quantized_phi3::ModelWeights),
    Gemma3(quantized_gemma3::ModelWeights),
}

impl Model {
    fn forward(&mut self, x: &Tensor, pos: usize) -> candle_core::Result<Tensor> {
        match self {
            Model::Llama(m) => m.forward(x, pos),
            Model::Qwen2(m) => m.forward(x, pos),
            Model::Phi3(m) => m.forward(x, pos),
            Model::Gemma3(m) => m.forward(x, pos),
        }
    }

    /// Drops the KV cache where the model has a call for it; the others
    /// reset it themselves when a sequence starts at position 0.
    fn clear(&mut self) {
        match self {
            Model::Llama(m) => m.clear_kv_cache(),
            Model::Qwen2(m) => m.clear_kv_cache(),
            Model::Phi3(_) | Model::Gemma3(_) => {}
        }
    }
}

/// The thread count candle's pool will have (or has) in this process:
/// `CANDLE_NUM_THREADS`, else candle's own choice (`RAYON_NUM_THREADS`,
/// else the physical cores).
pub fn process_threads() -> usize {
    std::env::var("CANDLE_NUM_THREADS")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
        .filter(|&n| n > 0)
        .unwrap_or_else(candle_core::utils::get_num_threads)
}

/// Sets `CANDLE_NUM_THREADS` to `threads` unless the user set it.
///
/// # Safety
/// Changes the environment: call it while no other thread of the process
/// can be reading the environment (before spawning any).
pub unsafe fn pin_threads(threads: u32) {
    if std::env::var_os("CANDLE_NUM_THREADS").is_none() {
        // SAFETY: the caller guarantees no other thread reads the environment.
        unsafe { std::env::set_var("CANDLE_NUM_THREADS", threads.to_string()) };
    }
}

/// A GGUF model loaded into candle.
pub struct CpuBackend {
    model: Model,
    arch: String,
    n_vocab: u32,
    bos: Option<u32>,
    threads: usize,
    n_batch: usize,
    logits: Option<Tensor>,
    /// The GGUF file, for its vocabulary.
    path: std::path::PathBuf,
    /// The vocabulary's tokenizer, read at the first `tokenize`.
    tokenizer: std::sync::OnceLock<Result<GgufTokenizer, String>>,
}

fn run_err(stage: &'static str, e: impl std::fmt::Display) -> BackendError {
    BackendError::Run {
        backend: ID.into(),
        stage,
        detail: e.to_string(),
    }
}

impl CpuBackend {
    /// Loads a GGUF model already checked by [`crate::gguf::inspect`].
    pub fn load(
        path: &Path,
        info: &crate::gguf::GgufInfo,
        _settings: &LoadSettings,
    ) -> Result<CpuBackend, BackendError> {
        let load_err = |detail: String| BackendError::Load {
            backend: ID.into(),
            path: path.to_path_buf(),
            detail,
        };
        let arch = info.arch.clone();
        if !ARCHITECTURES.contains(&arch.as_str()) {
            return Err(load_err(format!(
                "architecture '{arch}' is not supported by the cpu backend (candle); it runs {}",
                ARCHITECTURES.join(", ")
            )));
        }
        let file = File::open(path).map_err(|e| load_err(e.to_string()))?;
        let mut reader = BufReader::new(file);
        let content =
            gguf_file::Content::read(&mut reader).map_err(|e| load_err(format!("GGUF: {e}")))?;
        let device = Device::Cpu;
        let model = match arch.as_str() {
            "qwen2" => quantized_qwen2::ModelWeights::from_gguf(content, &mut reader, &device)
                .map(Model::Qwen2),
            "phi3" => quantized_phi3::ModelWeights::from_gguf(false, content, &mut reader, &device)
                .map(Model::Phi3),
            "gemma3" => quantized_gemma3::ModelWeights::from_gguf(content, &mut reader, &device)
                .map(Model::Gemma3),
            _ => quantized_llama::ModelWeights::from_gguf(content, &mut reader, &device)
                .map(Model::Llama),
        }
        .map_err(|e| load_err(e.to_string()))?;
        Ok(CpuBackend {
            model,
            arch,
            n_vocab: info.n_vocab.unwrap_or(0),
            bos: if info.add_bos_token.unwrap_or(true) {
                info.bos_token_id
            } else {
                None
            },
            threads: process_threads(),
            n_batch: 512,
            logits: None,
            path: path.to_path_buf(),
            tokenizer: std::sync::OnceLock::new(),
        })
    }

    fn run(&mut self, tokens: &[u32], pos: u32, stage: &'static str) -> Result<(), BackendError> {
        let x = Tensor::new(tokens, &Device::Cpu)
            .and_then(|t| t.unsqueeze(0))
            .map_err(|e| run_err(stage, e))?;
        let logits = self
            .model
            .forward(&x, pos as usize)
            .map_err(|e| run_err(stage, e))?;
        self.logits = Some(logits);
        Ok(())
    }
}

impl Backend for CpuBackend {
    fn describe(&self) -> BackendDescription {
        let mut features = vec![format!("candle-core {}", CANDLE_VERSION)];
        if cfg!(target_feature = "avx2") {
            features.push("AVX2".into());
        }
        if cfg!(target_feature = "avx512f") {
            features.push("AVX512".into());
        }
        if cfg!(target_feature = "neon") {
            features.push("NEON".into());
        }
        BackendDescription {
            id: ID.into(),
            version: format!("candle {CANDLE_VERSION} ({})", self.arch),
            build_features: features,
            device: "CPU".into(),
            execution_provider: None,
            warnings: vec![],
        }
    }

    fn n_vocab(&self) -> u32 {
        self.n_vocab
    }

    fn bos_token(&self) -> Option<u32> {
        self.bos
    }

    /// edgebench's own tokenizer on the GGUF's vocabulary (SentencePiece
    /// `llama` and byte-level BPE `gpt2` vocabularies; others are refused
    /// by name), doing what llama.cpp's does.
    fn tokenize(&self, text: &str) -> Result<Vec<u32>, BackendError> {
        let unsupported = |why: &str| BackendError::Unsupported {
            backend: ID.into(),
            what: "tokenizing text".into(),
            hint: why.to_string(),
        };
        let t = self
            .tokenizer
            .get_or_init(|| GgufTokenizer::from_gguf(&self.path));
        let t = t.as_ref().map_err(|e| unsupported(e))?;
        t.tokenize(text).map_err(|e| unsupported(&e))
    }

    fn configure(&mut self, settings: &ContextSettings) -> Result<(), BackendError> {
        if settings.threads as usize != self.threads {
            return Err(BackendError::Context {
                backend: ID.into(),
                detail: format!(
                    "candle sizes its thread pool once per process and this one has {} \
                     thread(s), but {} were asked for; run each thread count of the cpu backend \
                     in its own process (sweeps do), or set CANDLE_NUM_THREADS={}",
                    self.threads, settings.threads, settings.threads
                ),
            });
        }
        if settings.kv_type.is_some() || settings.flash_attn == Some(true) {
            return Err(BackendError::Context {
                backend: ID.into(),
                detail: "the cpu backend keeps its KV cache in f32 and has no flash attention; \
                         leave --kv-type and --fa unset for it"
                    .into(),
            });
        }
        self.n_batch = settings.batch.max(1) as usize;
        self.logits = None;
        Ok(())
    }

    fn clear(&mut self) -> Result<(), BackendError> {
        self.model.clear();
        self.logits = None;
        Ok(())
    }

    fn prefill(&mut self, tokens: &[u32], start_pos: u32) -> Result<(), BackendError> {
        let mut pos = start_pos;
        for chunk in tokens.chunks(self.n_batch) {
            self.run(chunk, pos, "prefill")?;
            pos += chunk.len() as u32;
        }
        Ok(())
    }

    fn decode(&mut self, token: u32, pos: u32) -> Result<(), BackendError> {
        self.run(&[token], pos, "decode")
    }

    fn synchronize(&mut self) {
        // candle's CPU operations are eager: the work is done on return.
    }

    fn logits(&mut self, out: &mut Vec<f32>) -> Result<(), BackendError> {
        let logits = self
            .logits
            .as_ref()
            .ok_or_else(|| run_err("logits", "no logits: nothing was run since the last clear"))?;
        *out = logits
            .flatten_all()
            .and_then(|l| l.to_dtype(DType::F32))
            .and_then(|l| l.to_vec1::<f32>())
            .map_err(|e| run_err("logits", e))?;
        Ok(())
    }

    fn next_token(&mut self) -> Result<u32, BackendError> {
        let logits = self.logits.as_ref().ok_or_else(|| {
            run_err(
                "next_token",
                "no logits: nothing was run since the last clear",
            )
        })?;
        logits
            .flatten_all()
            .and_then(|l| l.argmax(D::Minus1))
            .and_then(|t| t.to_scalar::<u32>())
            .map_err(|e| run_err("next_token", e))
    }
}

/// candle-core's version (pinned with `=` in the workspace Cargo.toml; a
/// test checks the lock file agrees).
const CANDLE_VERSION: &str = "0.11.1";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reported_candle_version_is_the_locked_one() {
        let lock = include_str!("../../Cargo.lock");
        let locked = lock
            .split("[[package]]")
            .find(|p| p.contains("name = \"candle-core\""))
            .and_then(|p| p.lines().find_map(|l| l.strip_prefix("version = ")))
            .map(|v| v.trim_matches('"').to_string());
        assert_eq!(locked.as_deref(), Some(CANDLE_VERSION));
    }

    #[test]
    fn thread_count_comes_from_the_environment_or_the_machine() {
        assert!(process_threads() >= 1);
    }
}
