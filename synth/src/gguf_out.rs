//! Writes a synthetic model as a GGUF file that llama.cpp loads as a
//! `llama`-architecture model with an SPM ("llama") vocabulary. Weights are
//! generated and encoded in chunks, on all cores, and streamed to the file.

use super::quant::{self, QuantError};
use super::vocab::{BOS_ID, EOS_ID, UNK_ID, synth_vocab};
use super::weights::{fill_tensor_values, model_tensors};
use super::{SYNTH_FORMAT_VERSION, SynthSpec};
use edgebench_formats::gguf::{GgmlType, GgufWriteError, GgufWriter, MetaValue, TensorInfo};
use serde::Serialize;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// What [`write_gguf`] wrote.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SynthSummary {
    /// The file written.
    pub path: PathBuf,
    /// The spec it was written from.
    pub spec: SynthSpec,
    /// Parameters of the model.
    pub n_params: u64,
    /// Tensors in the file.
    pub n_tensors: usize,
    /// The file's size in bytes.
    pub file_size: u64,
}

/// Why a synthetic model could not be written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SynthError {
    /// Writing the GGUF file failed (the message names the file).
    #[error(transparent)]
    Write(#[from] GgufWriteError),
    /// Writing a file of the ONNX twin failed.
    #[error("{}: cannot write: {source}; check the disk space and the folder's permissions", path.display())]
    Io {
        /// The file.
        path: std::path::PathBuf,
        /// The I/O error.
        source: io::Error,
    },
}

/// Elements each thread generates and encodes per round (a multiple of 32).
const CHUNK: usize = 1 << 18;

/// Writes the model described by `spec` to `out` (created or truncated, not
/// renamed: write to a temporary name and rename for atomicity). The same spec
/// always gives the same bytes.
pub fn write_gguf(spec: &SynthSpec, out: &Path) -> Result<SynthSummary, SynthError> {
    write_gguf_with_vocab(spec, out, synth_vocab(spec.hparams().n_vocab))
}

/// [`write_gguf`] with another vocabulary of the same size (for tests of
/// tokenizers: the synthetic one merges no pieces).
pub fn write_gguf_with_vocab(
    spec: &SynthSpec,
    out: &Path,
    vocab: super::vocab::Vocab,
) -> Result<SynthSummary, SynthError> {
    let h = spec.hparams();
    if vocab.tokens.len() != h.n_vocab as usize {
        return Err(SynthError::Io {
            path: out.to_path_buf(),
            source: std::io::Error::other(format!(
                "the vocabulary has {} tokens; the model has {}",
                vocab.tokens.len(),
                h.n_vocab
            )),
        });
    }
    let mut w = GgufWriter::new();
    let kv = |w: &mut GgufWriter, k: &str, v: MetaValue| w.add_kv(k, v);
    let s = |v: &str| MetaValue::String(v.to_string());
    kv(&mut w, "general.architecture", s("llama"))?;
    let name = format!(
        "edgebench synthetic {} {} (seed {})",
        spec.preset, spec.quant, spec.seed
    );
    kv(&mut w, "general.name", MetaValue::String(name))?;
    kv(&mut w, "general.alignment", MetaValue::U32(32))?;
    kv(
        &mut w,
        "general.file_type",
        MetaValue::U32(spec.quant.file_type()),
    )?;
    kv(&mut w, "general.quantization_version", MetaValue::U32(2))?;
    kv(&mut w, "edgebench.synth.preset", s(spec.preset.name()))?;
    kv(&mut w, "edgebench.synth.seed", MetaValue::U64(spec.seed))?;
    kv(
        &mut w,
        "edgebench.synth.format_version",
        MetaValue::U32(SYNTH_FORMAT_VERSION),
    )?;
    kv(
        &mut w,
        "llama.context_length",
        MetaValue::U32(h.n_ctx_train),
    )?;
    kv(&mut w, "llama.embedding_length", MetaValue::U32(h.n_embd))?;
    kv(&mut w, "llama.block_count", MetaValue::U32(h.n_layer))?;
    kv(&mut w, "llama.feed_forward_length", MetaValue::U32(h.n_ff))?;
    kv(
        &mut w,
        "llama.attention.head_count",
        MetaValue::U32(h.n_head),
    )?;
    kv(
        &mut w,
        "llama.attention.head_count_kv",
        MetaValue::U32(h.n_head_kv),
    )?;
    kv(
        &mut w,
        "llama.attention.layer_norm_rms_epsilon",
        MetaValue::F32(h.rms_eps),
    )?;
    kv(
        &mut w,
        "llama.rope.freq_base",
        MetaValue::F32(h.rope_freq_base),
    )?;
    kv(
        &mut w,
        "llama.rope.dimension_count",
        MetaValue::U32(h.head_dim()),
    )?;
    kv(&mut w, "llama.vocab_size", MetaValue::U32(h.n_vocab))?;
    match vocab.bpe {
        None => kv(&mut w, "tokenizer.ggml.model", s("llama"))?,
        Some(bpe) => {
            kv(&mut w, "tokenizer.ggml.model", s("gpt2"))?;
            kv(&mut w, "tokenizer.ggml.pre", s(&bpe.pre))?;
            kv(
                &mut w,
                "tokenizer.ggml.merges",
                MetaValue::StringArray(bpe.merges),
            )?;
        }
    }
    kv(
        &mut w,
        "tokenizer.ggml.tokens",
        MetaValue::StringArray(vocab.tokens),
    )?;
    kv(
        &mut w,
        "tokenizer.ggml.scores",
        MetaValue::F32Array(vocab.scores),
    )?;
    kv(
        &mut w,
        "tokenizer.ggml.token_type",
        MetaValue::I32Array(vocab.token_types),
    )?;
    kv(
        &mut w,
        "tokenizer.ggml.bos_token_id",
        MetaValue::U32(BOS_ID),
    )?;
    kv(
        &mut w,
        "tokenizer.ggml.eos_token_id",
        MetaValue::U32(EOS_ID),
    )?;
    kv(
        &mut w,
        "tokenizer.ggml.unknown_token_id",
        MetaValue::U32(UNK_ID),
    )?;
    kv(
        &mut w,
        "tokenizer.ggml.add_bos_token",
        MetaValue::Bool(true),
    )?;
    kv(
        &mut w,
        "tokenizer.ggml.add_eos_token",
        MetaValue::Bool(false),
    )?;

    let tensors = model_tensors(&h);
    for t in &tensors {
        let ty = if t.is_norm {
            GgmlType::F32
        } else {
            spec.quant.tensor_type(&t.name, &h)
        };
        w.add_tensor(t.name.as_str(), &t.ne, ty)?;
    }

    let threads = std::thread::available_parallelism().map_or(1, |n| n.get().min(8));
    let mut encoder = Encoder {
        seed: spec.seed,
        bufs: vec![(Vec::new(), Vec::new()); threads],
    };
    let file_size = w.write_file(out, |t, sink| encoder.write_tensor(t, sink))?;
    Ok(SynthSummary {
        path: out.to_path_buf(),
        spec: *spec,
        n_params: tensors.iter().map(|t| t.n_elements()).sum(),
        n_tensors: tensors.len(),
        file_size,
    })
}

/// Generates and encodes tensors, one chunk per thread per round.
struct Encoder {
    seed: u64,
    /// Per thread: generated values and their encoding.
    bufs: Vec<(Vec<f32>, Vec<u8>)>,
}

impl Encoder {
    fn write_tensor(&mut self, t: &TensorInfo, sink: &mut dyn Write) -> io::Result<()> {
        let n = t.n_elements();
        let (seed, name, ty) = (self.seed, t.name.as_str(), t.ggml_type);
        let mut start = 0u64;
        while start < n {
            let pieces: Vec<(u64, usize)> = (0..self.bufs.len())
                .map(|i| start + (i * CHUNK) as u64)
                .take_while(|&s| s < n)
                .map(|s| (s, (n - s).min(CHUNK as u64) as usize))
                .collect();
            if pieces.len() == 1 {
                encode(seed, name, pieces[0], ty, &mut self.bufs[0])?;
            } else {
                std::thread::scope(|scope| {
                    let handles: Vec<_> = pieces
                        .iter()
                        .zip(self.bufs.iter_mut())
                        .map(|(&piece, buf)| {
                            scope.spawn(move || encode(seed, name, piece, ty, buf))
                        })
                        .collect();
                    handles.into_iter().try_for_each(|h| {
                        h.join().unwrap_or_else(|_| {
                            Err(io::Error::other("weight encoder thread panicked"))
                        })
                    })
                })?;
            }
            for (_, bytes) in self.bufs.iter().take(pieces.len()) {
                sink.write_all(bytes)?;
            }
            start += pieces.iter().map(|&(_, len)| len as u64).sum::<u64>();
        }
        Ok(())
    }
}

/// Generates values `start..start + len` of tensor `name` into `buf.0` and
/// encodes them as `ty` into `buf.1`.
fn encode(
    seed: u64,
    name: &str,
    (start, len): (u64, usize),
    ty: GgmlType,
    buf: &mut (Vec<f32>, Vec<u8>),
) -> io::Result<()> {
    let (values, bytes) = buf;
    values.resize(len, 0.0);
    fill_tensor_values(seed, name, start, values);
    bytes.clear();
    let quant_err = |e: QuantError| io::Error::other(format!("tensor '{name}': {e}"));
    match quant::encode(ty, values, bytes) {
        Some(r) => r.map_err(quant_err),
        None => Err(io::Error::other(format!(
            "tensor '{name}': synthetic models cannot be written as {ty}"
        ))),
    }
}
