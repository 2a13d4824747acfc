//! Writes the ONNX twin of a synthetic model: the same weights, the same
//! values and the same arithmetic as the GGUF file that [`super::write_gguf`]
//! writes for the same [`SynthSpec`], as a Hugging Face Optimum-style decoder
//! with a key/value cache, so ONNX Runtime and llama.cpp can be compared on
//! one model.
//!
//! # Files
//!
//! `NAME.onnx` holds the graph; `NAME.onnx.data` (next to it) holds every
//! initializer of 1 KiB or more, each at a 64-byte aligned offset, referenced
//! by the data file's bare name. The protobuf stays small, so models over
//! protobuf's 2 GB limit (medium f32) work. The same spec gives the same
//! bytes in both files.
//!
//! # Graph
//!
//! Opsets: `ai.onnx` 17 (21 in the QDQ variant) and `com.microsoft` 1 (for
//! `MatMulNBits`, and `GroupQueryAttention` in the genai variant). The
//! variants exporters write ([`TwinOptions`]) change only what they say;
//! the default is described here.
//!
//! Inputs: `input_ids` int64 `[batch_size, sequence_length]`,
//! `attention_mask` int64 `[batch_size, total_sequence_length]`,
//! `position_ids` int64 `[batch_size, sequence_length]`, and per layer `N`
//! `past_key_values.N.key` / `.value` float
//! `[batch_size, n_head_kv, past_sequence_length, head_dim]`.
//!
//! Outputs: `logits` float `[batch_size, sequence_length, n_vocab]` and
//! `present.N.key` / `.value` float
//! `[batch_size, n_head_kv, total_sequence_length, head_dim]`: the past
//! concatenated with the new entries on axis 2, keys after rotary embedding.
//!
//! The computation is llama.cpp's for the `llama` architecture: token
//! embedding rows; per layer RMS norm (`x / sqrt(mean(x²) + eps) · w`),
//! q/k/v projections, rotary embedding of adjacent pairs (llama.cpp's
//! `NORM` rope: `(x[2i], x[2i+1])` rotated by `pos · base^(-2i/head_dim)`),
//! grouped-query attention scaled by `1/sqrt(head_dim)` with a causal mask
//! (key column `j` is visible to the query in column `c = past + s` iff
//! `attention_mask[j] = 1` and `j ≤ c`: by column, as Hugging Face's mask,
//! so a left-padded batch with its own `position_ids` per row works),
//! softmax, output projection and residual; RMS norm, SwiGLU feed-forward
//! (`down(silu(gate(h)) · up(h))`) and residual; final RMS norm and output
//! projection. Everything is float32 and uses standard `ai.onnx` operators,
//! except the quantised weight matmuls.
//!
//! # Weights
//!
//! A GGUF matrix with `ne = [in, out]` is `out` rows of `in` elements and
//! computes `y = x·Wᵀ`. Its ONNX encoding, per quantisation:
//!
//! - `q4_0`: `com.microsoft.MatMulNBits` (`K = in`, `N = out`, `bits = 4`,
//!   `block_size = 32`), `B` uint8 `[N, K/32, 16]`, `scales` float
//!   `[N·K/32]` (the f16 block scale, converted exactly), no `zero_points`
//!   (the default, 8, is q4_0's offset). ggml keeps element `j` of a block in
//!   the low nibble of byte `j` and element `j+16` in its high nibble;
//!   `MatMulNBits` wants elements `2k` / `2k+1` in the low / high nibble of
//!   byte `k`, so the nibbles are repacked ([`q4_0_to_nbits`]); the
//!   quantised values are bit-identical.
//! - `q8_0`: `MatMulNBits` with `bits = 8`, `B` uint8 `[N, K/32, 32]`
//!   holding `q + 128`, default zero point 128 ([`q8_0_to_nbits`]).
//! - `f16`: a float16 initializer stored transposed (`[in, out]`), `Cast`
//!   to float, `MatMul` (exact).
//! - `f32`: a float initializer stored transposed (`[in, out]`), `MatMul`.
//!
//! The QDQ variant ([`TwinOptions::qdq`], opset 21) stores the q4_0, q8_0
//! and q6_K matrices as ONNX Runtime's quantizer does in QDQ format:
//! `DequantizeLinear(W, scales, axis = 0, block_size)` of an int4 (q4_0,
//! blocks of 32) or int8 (q8_0, blocks of 32; q6_K, blocks of 16) `[in, out]`
//! initializer with float scales `[in / block, out]` and no zero point,
//! then `MatMul` ([`nbits_to_qdq`]); the same integers and scales as the
//! `MatMulNBits` form, so exact. ONNX Runtime fuses 4-bit pairs into its
//! `MatMulNBits` kernel at load (the small q4_0 QDQ twin decodes at about
//! the MatMulNBits twin's rate in about its memory, where f32 weights would
//! take four times the memory).
//!
//! The token embedding is always a dequantised float `[n_vocab, n_embd]`
//! table read by `Gather` (llama.cpp dequantises the rows it looks up, so the
//! values are the same); norm weights are float. Weight initializers keep
//! their GGUF names (`blk.0.attn_q.weight`, and `…_scales` for the scales).

use super::quant::{self, QK, QK_K};
use super::vocab::{BOS_ID, EOS_ID};
use super::weights::fill_tensor_values;
use super::weights::model_tensors;
use super::{ONNX_TWIN_FORMAT_VERSION, SYNTH_FORMAT_VERSION, SynthError, SynthSpec};
use edgebench_formats::gguf::GgmlType;
use edgebench_formats::onnx_model::proto::{
    AttributeProto, DATA_LOCATION_EXTERNAL, DimensionValue, GraphProto, ModelProto, NodeProto,
    OperatorSetIdProto, StringStringEntryProto, TensorProto, ValueInfoProto, attribute_type,
    data_type,
};
use half::f16;
use prost::Message;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

/// What [`write_onnx`] wrote.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct OnnxSummary {
    /// The `.onnx` file (graph and small constants).
    pub path: PathBuf,
    /// The external data file next to it (`NAME.onnx.data`).
    pub data_path: PathBuf,
    /// The spec it was written from.
    pub spec: SynthSpec,
    /// Parameters of the model.
    pub n_params: u64,
    /// Initializers in the graph (weights, scales and constants).
    pub n_initializers: usize,
    /// Size of the `.onnx` file in bytes.
    pub file_size: u64,
    /// Size of the external data file in bytes.
    pub data_size: u64,
}

/// Initializers at least this large go to the external data file.
pub const EXTERNAL_MIN_BYTES: usize = 1024;
/// Alignment of each initializer in the external data file.
pub const EXTERNAL_ALIGN: u64 = 64;
/// The `ai.onnx` opset the twin uses.
pub const ONNX_OPSET: i64 = 17;
/// The IR version written (the one that goes with opset 17).
pub const IR_VERSION: i64 = 8;
/// The `ai.onnx` opset of the QDQ variant: blocked `DequantizeLinear` and
/// int4 need 21.
pub const QDQ_OPSET: i64 = 21;
/// The IR version that goes with opset 21 (int4 tensors need IR 10).
pub const QDQ_IR_VERSION: i64 = 10;

/// Writes the ONNX twin of `spec` to `out` (`NAME.onnx`) and its weights to
/// `NAME.onnx.data` beside it (both created or truncated, not renamed: write
/// to a temporary folder and rename for atomicity). The same spec always
/// gives the same bytes.
pub fn write_onnx(spec: &SynthSpec, out: &Path) -> Result<OnnxSummary, SynthError> {
    write_onnx_with(spec, out, TwinOptions::default())
}

/// Variants of the twin that exporters write, for testing the backend on
/// them (the default twin is Optimum's layout).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TwinOptions {
    /// `input_ids`, `attention_mask` and `position_ids` declared int32 (as
    /// some onnxruntime-genai exports declare them) and cast to int64 inside
    /// the graph; metadata `edgebench.synth.twin_inputs = "int32"`.
    pub int32_inputs: bool,
    /// Quantised weights as QDQ exports write them (ONNX Runtime's
    /// quantizer in QDQ format): a blocked `DequantizeLinear` (opset 21,
    /// `axis = 0`) of an int4 or int8 `[K, N]` initializer with float scales
    /// `[K / block, N]`, feeding a plain `MatMul`, in place of
    /// `MatMulNBits`. The graph's `ai.onnx` opset is 21; metadata
    /// `edgebench.synth.twin_weights_form = "qdq"`.
    pub qdq: bool,
    /// Attention as the onnxruntime-genai model builder writes it:
    /// `com.microsoft.GroupQueryAttention` with the rotary embedding inside
    /// (`do_rotary = 1`, `rotary_interleaved = 1` for llama.cpp's adjacent
    /// pairs, cos/sin caches of `n_ctx_train` rows), `seqlens_k` and
    /// `total_sequence_length` computed from `attention_mask`, and no
    /// `position_ids` input. Such a graph takes either a growing past (as
    /// Optimum's) or one max-length buffer shared by past and present
    /// (genai's `past_present_share_buffer`); [`genai_config`] writes the
    /// config that says which. Metadata `edgebench.synth.twin_attention =
    /// "GroupQueryAttention"`.
    pub gqa: bool,
    /// Each activation a `MatMul` reads is also a graph output,
    /// `calib.<weight>` (through an `Identity`), named after the first
    /// matrix that reads it: what a static quantizer runs the float model
    /// for to measure activation ranges ([`StaticQdq`]).
    pub calibration_outputs: bool,
    /// Set by [`write_onnx_static_qdq`] (not by callers): the weights are
    /// stored as a static quantizer stores them (see [`StaticQdq`]).
    pub static_qdq: bool,
}

/// Static activation quantisation (what ONNX Runtime's `quantize_static`
/// writes in QDQ format, and what NPU execution providers such as QNN run):
/// before every `MatMul`, its activation input goes through
/// `QuantizeLinear` and `DequantizeLinear` with a per-tensor uint8 scale
/// and zero point computed from the activation's calibrated range, as
/// ONNX Runtime's MinMax calibrator and `compute_scale_zp` do: the range
/// widened to include 0, `scale = (max - min) / 255`, `zero_point =
/// round(-min / scale)`. Activations that several matrices read (q, k, v;
/// gate, up) share one pair.
///
/// Weights: q4_0 matrices keep their exact blocked int4 form (as in
/// [`TwinOptions::qdq`]); every other matrix is stored as `quantize_static`
/// stores a `MatMul` weight with `per_channel`: int8, symmetric, one scale
/// per output column (`DequantizeLinear` with `axis = 1`), from the GGUF's
/// own decoded values (`scale = max|w| / 127`, `q = round(w / scale)`).
/// That is a second rounding of those weights, not exact. (Blocked int8
/// weights are not kept: ONNX Runtime 1.31 fuses a uint8 activation pair
/// and a blocked int8 weight pair into `MatMulIntegerToFloat` without
/// honouring `block_size`, failing on a prompt and misreading the scales in
/// decode.) The arithmetic is no longer the GGUF's: activation rounding is
/// a quantisation error of its own, which `edgebench quality` measures.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StaticQdq {
    /// Per site (the weight name of the first matrix that reads the
    /// activation, as in [`TwinOptions::calibration_outputs`]): the smallest
    /// and largest value seen in calibration.
    pub ranges: BTreeMap<String, (f32, f32)>,
    /// How the ranges were measured, in words (written to the metadata).
    pub calibration: String,
}

/// ONNX Runtime's uint8 scale and zero point for the range `[lo, hi]`
/// (`onnxruntime.quantization.quant_utils.compute_scale_zp`, asymmetric):
/// the range widened to include 0; a range of width 0 gets scale 1.
pub fn uint8_scale_zero_point(lo: f32, hi: f32) -> (f32, u8) {
    let (lo, hi) = (lo.min(0.0), hi.max(0.0));
    let scale = (hi - lo) / 255.0;
    if !scale.is_finite() || scale <= 0.0 {
        return (1.0, 0);
    }
    let zp = (-lo / scale).round().clamp(0.0, 255.0);
    (scale, zp as u8)
}

impl TwinOptions {
    /// The `ai.onnx` opset the variant needs.
    pub fn opset(self) -> i64 {
        if self.qdq { QDQ_OPSET } else { ONNX_OPSET }
    }
}

/// [`write_onnx`] with a variant.
pub fn write_onnx_with(
    spec: &SynthSpec,
    out: &Path,
    opts: TwinOptions,
) -> Result<OnnxSummary, SynthError> {
    write_twin(spec, out, opts, None)
}

/// [`write_onnx_with`] with static activation quantisation ([`StaticQdq`];
/// `opts.qdq` should be set too, as `quantize_static` quantises the weights
/// as well). Every site the graph has must have a range in `act`, else the
/// error names the first one missing. The bytes depend on the ranges, so
/// they are as reproducible as the calibration that measured them.
pub fn write_onnx_static_qdq(
    spec: &SynthSpec,
    out: &Path,
    opts: TwinOptions,
    act: &StaticQdq,
) -> Result<OnnxSummary, SynthError> {
    let opts = TwinOptions {
        static_qdq: true,
        calibration_outputs: false,
        ..opts
    };
    write_twin(spec, out, opts, Some(act))
}

fn write_twin(
    spec: &SynthSpec,
    out: &Path,
    opts: TwinOptions,
    act: Option<&StaticQdq>,
) -> Result<OnnxSummary, SynthError> {
    let io_err = |path: &Path| {
        let path = path.to_path_buf();
        move |source: io::Error| SynthError::Io { path, source }
    };
    let data_path = data_path_for(out).ok_or_else(|| SynthError::Io {
        path: out.to_path_buf(),
        source: io::Error::new(io::ErrorKind::InvalidInput, "the path names no file"),
    })?;
    let location = data_path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let file = File::create(&data_path).map_err(io_err(&data_path))?;
    let mut sink = DataSink {
        out: Some(BufWriter::with_capacity(1 << 20, file)),
        location,
        pos: 0,
    };
    let model = build_model(spec, opts, act, &mut sink).map_err(io_err(&data_path))?;
    let data_size = sink.pos;
    if let Some(w) = sink.out.take() {
        w.into_inner()
            .map_err(|e| e.into_error())
            .and_then(|f| f.sync_all())
            .map_err(io_err(&data_path))?;
    }
    let bytes = model.encode_to_vec();
    // Synced like the `.data` file: a crash must not leave a cached twin
    // whose graph file is short or empty.
    File::create(out)
        .and_then(|mut f| {
            f.write_all(&bytes)?;
            f.sync_all()
        })
        .map_err(io_err(out))?;
    Ok(OnnxSummary {
        path: out.to_path_buf(),
        data_path,
        spec: *spec,
        n_params: spec.hparams().n_params(),
        n_initializers: model.graph.as_ref().map_or(0, |g| g.initializer.len()),
        file_size: bytes.len() as u64,
        data_size,
    })
}

/// `NAME.onnx` → `NAME.onnx.data`, in the same folder.
fn data_path_for(out: &Path) -> Option<PathBuf> {
    let mut name = out.file_name()?.to_os_string();
    name.push(".data");
    Some(out.with_file_name(name))
}

/// Repacks ggml q4_0 blocks (18 bytes: f16 scale, 16 bytes of nibbles) into
/// `MatMulNBits` 4-bit form, appending 16 bytes per block to `b` and the
/// scale (as f32, exactly) to `scales`. Element `j` of a block is the low
/// nibble of byte `j` (`j < 16`) or the high nibble of byte `j - 16` in
/// ggml; in `MatMulNBits` it is the low (even `j`) or high (odd `j`) nibble
/// of byte `j / 2`.
pub fn q4_0_to_nbits(blocks: &[u8], b: &mut Vec<u8>, scales: &mut Vec<f32>) {
    for blk in blocks.chunks_exact(super::quant::Q4_0_BLOCK_BYTES) {
        scales.push(f16::from_le_bytes([blk[0], blk[1]]).to_f32());
        let qs = &blk[2..];
        pack_nibbles(b, |j| ggml_nibble(qs, j));
    }
}

/// Converts ggml q8_0 blocks (34 bytes: f16 scale, 32 × i8) to
/// `MatMulNBits` 8-bit form: 32 bytes `q + 128` per block appended to `b`,
/// the scale (as f32, exactly) to `scales`.
pub fn q8_0_to_nbits(blocks: &[u8], b: &mut Vec<u8>, scales: &mut Vec<f32>) {
    for blk in blocks.chunks_exact(super::quant::Q8_0_BLOCK_BYTES) {
        scales.push(f16::from_le_bytes([blk[0], blk[1]]).to_f32());
        b.extend(blk[2..].iter().map(|&q| q ^ 0x80));
    }
}

/// Where initializer bytes go: the data file, or nowhere (a dry run that
/// computes the same offsets and the same graph without generating weights).
struct DataSink {
    out: Option<BufWriter<File>>,
    location: String,
    pos: u64,
}

impl DataSink {
    fn writing(&self) -> bool {
        self.out.is_some()
    }

    /// Appends `len` bytes at the next aligned offset; returns the offset.
    fn append(&mut self, len: u64, bytes: Option<&[u8]>) -> io::Result<u64> {
        let offset = self.pos.next_multiple_of(EXTERNAL_ALIGN);
        if let Some(w) = self.out.as_mut() {
            let bytes = bytes.ok_or_else(|| io::Error::other("weight bytes missing"))?;
            if bytes.len() as u64 != len {
                return Err(io::Error::other("weight length mismatch"));
            }
            w.write_all(&[0u8; EXTERNAL_ALIGN as usize][..(offset - self.pos) as usize])?;
            w.write_all(bytes)?;
        }
        self.pos = offset + len;
        Ok(offset)
    }
}

/// Builds the graph, streaming the weights to `sink`.
fn build_model(
    spec: &SynthSpec,
    opts: TwinOptions,
    act: Option<&StaticQdq>,
    sink: &mut DataSink,
) -> io::Result<ModelProto> {
    let h = spec.hparams();
    let (n_embd, n_vocab) = (h.n_embd as i64, h.n_vocab as i64);
    let mut g = Builder {
        spec: *spec,
        opts,
        act,
        act_seen: HashMap::new(),
        calib_outputs: Vec::new(),
        sink,
        nodes: Vec::new(),
        inits: Vec::new(),
        consts: HashSet::new(),
        counter: 0,
        ids: "input_ids",
        mask: "attention_mask",
        pos: "position_ids",
    };
    let (inputs, mut outputs) = graph_io(spec, opts);
    // The order of these steps is the order of nodes and initializers in
    // the file: changing it changes the bytes.
    if opts.int32_inputs {
        let to64 = || vec![int("to", data_type::INT64.into())];
        g.ids = g.node_named_static("Cast", "input_ids", "input_ids_i64", to64());
        g.mask = g.node_named_static("Cast", "attention_mask", "attention_mask_i64", to64());
        if !opts.gqa {
            g.pos = g.node_named_static("Cast", "position_ids", "position_ids_i64", to64());
        }
    }
    let embd = g.embedding(n_vocab, n_embd)?;
    let ids = g.ids;
    let mut x = g.node("Gather", &[&embd, ids], vec![]);
    if opts.gqa {
        let tables = g.gqa_tables()?;
        for l in 0..h.n_layer {
            x = g.gqa_attention_block(l, &x, &tables)?;
            x = g.feed_forward_block(l, &x)?;
        }
    } else {
        let shared = g.shared_tables()?;
        for l in 0..h.n_layer {
            x = g.attention_block(l, &x, &shared)?;
            x = g.feed_forward_block(l, &x)?;
        }
    }
    let hn = g.rms_norm(&x, "output_norm.weight", n_embd)?;
    g.linear(&hn, "output.weight", n_embd, n_vocab, Some("logits"))?;
    let mut metadata_props = metadata(spec, opts);
    if opts.int32_inputs {
        metadata_props.push(StringStringEntryProto {
            key: "edgebench.synth.twin_inputs".into(),
            value: "int32".into(),
        });
    }
    if opts.gqa {
        metadata_props.push(StringStringEntryProto {
            key: "edgebench.synth.twin_attention".into(),
            value: "GroupQueryAttention".into(),
        });
    }
    if opts.qdq {
        metadata_props.push(StringStringEntryProto {
            key: "edgebench.synth.twin_weights_form".into(),
            value: "qdq".into(),
        });
    }
    if let Some(a) = act {
        metadata_props.push(StringStringEntryProto {
            key: "edgebench.synth.twin_activations".into(),
            value: format!(
                "uint8 QuantizeLinear + DequantizeLinear per tensor before each MatMul, \
                 ranges by MinMax calibration: {}",
                a.calibration
            ),
        });
    }
    outputs.append(&mut g.calib_outputs);
    let (nodes, inits) = (g.nodes, g.inits);
    Ok(model_proto(
        spec,
        opts,
        nodes,
        inits,
        inputs,
        outputs,
        metadata_props,
    ))
}

/// The graph's inputs and outputs (Optimum names and shapes).
fn graph_io(spec: &SynthSpec, opts: TwinOptions) -> (Vec<ValueInfoProto>, Vec<ValueInfoProto>) {
    let int_type = if opts.int32_inputs {
        data_type::INT32
    } else {
        data_type::INT64
    };
    let h = spec.hparams();
    let (n_vocab, n_kv, hd) = (h.n_vocab as i64, h.n_head_kv as i64, h.head_dim() as i64);
    let (b, s, t, p) = (
        sym("batch_size"),
        sym("sequence_length"),
        sym("total_sequence_length"),
        sym("past_sequence_length"),
    );
    let mut inputs = vec![
        value("input_ids", int_type, &[b.clone(), s.clone()]),
        value("attention_mask", int_type, &[b.clone(), t.clone()]),
    ];
    if !opts.gqa {
        inputs.push(value("position_ids", int_type, &[b.clone(), s.clone()]));
    }
    let mut outputs = vec![value(
        "logits",
        data_type::FLOAT,
        &[b.clone(), s.clone(), fixed(n_vocab)],
    )];
    for l in 0..h.n_layer {
        for kv in ["key", "value"] {
            let past = [b.clone(), fixed(n_kv), p.clone(), fixed(hd)];
            let present = [b.clone(), fixed(n_kv), t.clone(), fixed(hd)];
            inputs.push(value(
                &format!("past_key_values.{l}.{kv}"),
                data_type::FLOAT,
                &past,
            ));
            outputs.push(value(
                &format!("present.{l}.{kv}"),
                data_type::FLOAT,
                &present,
            ));
        }
    }
    (inputs, outputs)
}

/// What every layer reads: the rotary tables, the attention bias, the score
/// scale and the axis-2 constant.
struct Shared {
    cos: String,
    sin: String,
    bias: String,
    scale: String,
    axis2: String,
}

/// An attention layer's sizes: embedding, query heads, KV heads, head
/// size and the query projection's width.
#[derive(Clone, Copy)]
struct AttnDims {
    n_embd: i64,
    n_head: i64,
    n_kv: i64,
    hd: i64,
    q_dim: i64,
}

/// The per-model inputs of the GroupQueryAttention variant.
struct GqaTables {
    seqlens: String,
    total: String,
    cos: String,
    sin: String,
}

/// The `genai_config.json` an onnxruntime-genai export of `spec` carries:
/// the decoder's tensor names, heads, layers, context length, vocabulary
/// and BOS, and `search.past_present_share_buffer` (with `max_length`, the
/// model's context). Its `filename` names `model_file`.
pub fn genai_config(spec: &SynthSpec, model_file: &str, share_buffer: bool) -> String {
    let h = spec.hparams();
    let v = serde_json::json!({
        "model": {
            "type": "llama",
            "bos_token_id": BOS_ID,
            "eos_token_id": EOS_ID,
            "context_length": h.n_ctx_train,
            "vocab_size": h.n_vocab,
            "decoder": {
                "filename": model_file,
                "head_size": h.head_dim(),
                "hidden_size": h.n_embd,
                "num_attention_heads": h.n_head,
                "num_key_value_heads": h.n_head_kv,
                "num_hidden_layers": h.n_layer,
                "inputs": {
                    "input_ids": "input_ids",
                    "attention_mask": "attention_mask",
                    "past_key_names": "past_key_values.%d.key",
                    "past_value_names": "past_key_values.%d.value"
                },
                "outputs": {
                    "logits": "logits",
                    "present_key_names": "present.%d.key",
                    "present_value_names": "present.%d.value"
                }
            }
        },
        "search": {
            "past_present_share_buffer": share_buffer,
            "max_length": h.n_ctx_train
        }
    });
    serde_json::to_string_pretty(&v).expect("a JSON value serialises")
}

/// Metadata properties: the config a loader needs, and the synth spec.
fn metadata(spec: &SynthSpec, opts: TwinOptions) -> Vec<StringStringEntryProto> {
    let h = spec.hparams();
    let meta = |k: &str, v: String| StringStringEntryProto {
        key: k.into(),
        value: v,
    };
    vec![
        meta("model_type", "llama".into()),
        meta("bos_token_id", BOS_ID.to_string()),
        meta("eos_token_id", EOS_ID.to_string()),
        meta("add_bos_token", "true".into()),
        meta("add_eos_token", "false".into()),
        meta("vocab_size", h.n_vocab.to_string()),
        meta("hidden_size", h.n_embd.to_string()),
        meta("num_hidden_layers", h.n_layer.to_string()),
        meta("num_attention_heads", h.n_head.to_string()),
        meta("num_key_value_heads", h.n_head_kv.to_string()),
        meta("head_dim", h.head_dim().to_string()),
        meta("intermediate_size", h.n_ff.to_string()),
        meta("max_position_embeddings", h.n_ctx_train.to_string()),
        meta("rms_norm_eps", h.rms_eps.to_string()),
        meta("rope_theta", h.rope_freq_base.to_string()),
        meta("edgebench.synth.preset", spec.preset.name().into()),
        meta("edgebench.synth.quant", spec.quant.name().into()),
        meta("edgebench.synth.seed", spec.seed.to_string()),
        meta(
            "edgebench.synth.format_version",
            SYNTH_FORMAT_VERSION.to_string(),
        ),
        meta(
            "edgebench.synth.onnx_format_version",
            ONNX_TWIN_FORMAT_VERSION.to_string(),
        ),
        meta("edgebench.synth.gguf_twin", spec.file_name()),
        meta("edgebench.synth.twin_weights", twin_weights(spec, opts)),
        meta("edgebench.n_params", h.n_params().to_string()),
    ]
}

/// The model around the graph: IR version, opsets, producer, metadata.
fn model_proto(
    spec: &SynthSpec,
    opts: TwinOptions,
    nodes: Vec<NodeProto>,
    inits: Vec<TensorProto>,
    inputs: Vec<ValueInfoProto>,
    outputs: Vec<ValueInfoProto>,
    metadata_props: Vec<StringStringEntryProto>,
) -> ModelProto {
    let name = format!(
        "edgebench synthetic {} {} (seed {})",
        spec.preset, spec.quant, spec.seed
    );
    ModelProto {
        ir_version: if opts.qdq { QDQ_IR_VERSION } else { IR_VERSION },
        opset_import: vec![
            OperatorSetIdProto {
                domain: String::new(),
                version: opts.opset(),
            },
            OperatorSetIdProto {
                domain: "com.microsoft".into(),
                version: 1,
            },
        ],
        producer_name: "edgebench".into(),
        producer_version: env!("CARGO_PKG_VERSION").into(),
        doc_string: name.clone(),
        graph: Some(GraphProto {
            node: nodes,
            name,
            initializer: inits,
            input: inputs,
            output: outputs,
            ..Default::default()
        }),
        metadata_props,
        ..Default::default()
    }
}

impl Builder<'_> {
    /// The tables shared by all layers (see [`Shared`]).
    fn shared_tables(&mut self) -> io::Result<Shared> {
        let h = self.spec.hparams();
        let hd = h.head_dim() as i64;
        // Rotary tables: angles [B, 1, S, hd/2], as cos and sin of shape
        // [B, 1, S, hd/2, 1].
        let pos = self.node(
            "Cast",
            &[self.pos],
            vec![int("to", data_type::FLOAT.into())],
        );
        let axes = self.const_i64(&[1, 3]);
        let pos = self.node("Unsqueeze", &[&pos, &axes], vec![]);
        let inv_freq = self.inv_freq(h.rope_freq_base, hd)?;
        let ang = self.node("Mul", &[&pos, &inv_freq], vec![]);
        let last = self.const_i64(&[-1]);
        let cos = self.node("Cos", &[&ang], vec![]);
        let cos = self.node("Unsqueeze", &[&cos, &last], vec![]);
        let sin = self.node("Sin", &[&ang], vec![]);
        let sin = self.node("Unsqueeze", &[&sin, &last], vec![]);

        // Attention bias [B, 1, 1, S, T]: 0 where key column j is visible to
        // the query in column c = T - S + s (attention_mask[j] = 1 and
        // j <= c), else f32::MIN. Causality is by column, as in Hugging
        // Face's mask, not by position: a left-padded batch (each row's
        // cache ending at column T - S, its own position_ids) then works.
        let t_len = self.node("Shape", &[self.mask], vec![int("start", 1), int("end", 2)]);
        let zero_axis = self.const_i64(&[0]);
        let t_len = self.node("Squeeze", &[&t_len, &zero_axis], vec![]);
        let s_len = self.node("Shape", &[self.ids], vec![int("start", 1), int("end", 2)]);
        let s_len = self.node("Squeeze", &[&s_len, &zero_axis], vec![]);
        let (zero, one) = (self.const_i64_scalar(0), self.const_i64_scalar(1));
        let key_col = self.node("Range", &[&zero, &t_len, &one], vec![]);
        let q_start = self.node("Sub", &[&t_len, &s_len], vec![]);
        let q_col = self.node("Range", &[&q_start, &t_len, &one], vec![]);
        let axis1 = self.const_i64(&[1]);
        let q_col = self.node("Unsqueeze", &[&q_col, &axis1], vec![]);
        let causal = self.node("LessOrEqual", &[&key_col, &q_col], vec![]);
        let axis2 = self.const_i64(&[2]);
        let mask = self.mask;
        let kept = self.node("Equal", &[mask, &one], vec![]);
        let kept = self.node("Unsqueeze", &[&kept, &axis1], vec![]);
        let visible = self.node("And", &[&causal, &kept], vec![]);
        let (f_zero, f_min) = (self.const_f32(0.0), self.const_f32(f32::MIN));
        let bias = self.node("Where", &[&visible, &f_zero, &f_min], vec![]);
        let axes12 = self.const_i64(&[1, 2]);
        let bias = self.node("Unsqueeze", &[&bias, &axes12], vec![]);
        let scale = self.const_f32(1.0 / (hd as f32).sqrt());
        Ok(Shared {
            cos,
            sin,
            bias,
            scale,
            axis2,
        })
    }

    /// Layer `l`'s attention norm and q, k, v projections of `x`, and the
    /// attention's dimensions.
    fn qkv(&mut self, l: u32, x: &str) -> io::Result<(String, String, String, AttnDims)> {
        let h = self.spec.hparams();
        let (n_embd, n_head, n_kv, hd) = (
            h.n_embd as i64,
            h.n_head as i64,
            h.n_head_kv as i64,
            h.head_dim() as i64,
        );
        let (q_dim, kv_dim) = (n_head * hd, n_kv * hd);
        let w = |s: &str| format!("blk.{l}.{s}.weight");
        let hn = self.rms_norm(x, &w("attn_norm"), n_embd)?;
        let q = self.linear(&hn, &w("attn_q"), n_embd, q_dim, None)?;
        let k = self.linear(&hn, &w("attn_k"), n_embd, kv_dim, None)?;
        let v = self.linear(&hn, &w("attn_v"), n_embd, kv_dim, None)?;
        let d = AttnDims {
            n_embd,
            n_head,
            n_kv,
            hd,
            q_dim,
        };
        Ok((q, k, v, d))
    }

    /// Layer `l`'s attention with its KV cache, and the residual.
    fn attention_block(&mut self, l: u32, x: &str, sh: &Shared) -> io::Result<String> {
        let Shared {
            cos,
            sin,
            bias,
            scale,
            axis2,
        } = sh;
        let (q, k, v, d) = self.qkv(l, x)?;
        let AttnDims {
            n_embd,
            n_head,
            n_kv,
            hd,
            q_dim,
        } = d;
        let w = |s: &str| format!("blk.{l}.{s}.weight");
        let q = self.rope(&q, n_head, hd, cos, sin);
        let k = self.rope(&k, n_kv, hd, cos, sin);
        let shape = self.const_i64(&[0, 0, n_kv, hd]);
        let v = self.node("Reshape", &[&v, &shape], vec![]);
        let v = self.node("Transpose", &[&v], vec![ints("perm", &[0, 2, 1, 3])]);
        let pk = format!("past_key_values.{l}.key");
        let pv = format!("past_key_values.{l}.value");
        let k = self.node_named(
            "Concat",
            &[&pk, &k],
            &format!("present.{l}.key"),
            vec![int("axis", 2)],
        );
        let v = self.node_named(
            "Concat",
            &[&pv, &v],
            &format!("present.{l}.value"),
            vec![int("axis", 2)],
        );
        // Grouped-query attention: query head hq uses kv head hq / group.
        let shape = self.const_i64(&[0, n_kv, n_head / n_kv, -1, hd]);
        let q = self.node("Reshape", &[&q, &shape], vec![]);
        let kt = self.node("Transpose", &[&k], vec![ints("perm", &[0, 1, 3, 2])]);
        let kt = self.node("Unsqueeze", &[&kt, axis2], vec![]);
        let scores = self.node("MatMul", &[&q, &kt], vec![]);
        let scores = self.node("Mul", &[&scores, scale], vec![]);
        let scores = self.node("Add", &[&scores, bias], vec![]);
        let probs = self.node("Softmax", &[&scores], vec![int("axis", -1)]);
        let vu = self.node("Unsqueeze", &[&v, axis2], vec![]);
        let ctx = self.node("MatMul", &[&probs, &vu], vec![]);
        let shape = self.const_i64(&[0, n_head, -1, hd]);
        let ctx = self.node("Reshape", &[&ctx, &shape], vec![]);
        let ctx = self.node("Transpose", &[&ctx], vec![ints("perm", &[0, 2, 1, 3])]);
        let shape = self.const_i64(&[0, 0, q_dim]);
        let ctx = self.node("Reshape", &[&ctx, &shape], vec![]);
        let o = self.linear(&ctx, &w("attn_output"), q_dim, n_embd, None)?;
        Ok(self.node("Add", &[x, &o], vec![]))
    }

    /// What every GroupQueryAttention node reads besides its layer's
    /// tensors (see [`TwinOptions::gqa`]).
    fn gqa_tables(&mut self) -> io::Result<GqaTables> {
        let h = self.spec.hparams();
        let hd = h.head_dim() as i64;
        let mask = self.mask;
        let axis1 = self.const_i64(&[1]);
        let kept = self.node("ReduceSum", &[mask, &axis1], vec![int("keepdims", 0)]);
        let one = self.const_i64_scalar(1);
        let last = self.node("Sub", &[&kept, &one], vec![]);
        let to32 = || vec![int("to", data_type::INT32.into())];
        let seqlens = self.node("Cast", &[&last], to32());
        let t_len = self.node("Shape", &[mask], vec![int("start", 1), int("end", 2)]);
        let total = self.node("Cast", &[&t_len], to32());
        // cos/sin of position · inv_freq, in f32 as the plain twin's graph
        // computes them, for every position the model was trained on.
        let rows = h.n_ctx_train as usize;
        let half = hd as usize / 2;
        let inv = inv_freq_values(h.rope_freq_base, hd);
        let table = |trig: fn(f32) -> f32| {
            let mut v = Vec::with_capacity(rows * half);
            for p in 0..rows {
                v.extend(inv.iter().map(|&f| trig(p as f32 * f)));
            }
            f32_bytes(&v)
        };
        let len = (rows * half * 4) as u64;
        let dims = [rows as i64, half as i64];
        let cos = self.tensor("cos_cache", data_type::FLOAT, &dims, len, || {
            table(f32::cos)
        })?;
        let sin = self.tensor("sin_cache", data_type::FLOAT, &dims, len, || {
            table(f32::sin)
        })?;
        Ok(GqaTables {
            seqlens,
            total,
            cos,
            sin,
        })
    }

    /// Layer `l`'s attention as one GroupQueryAttention node, and the
    /// residual.
    fn gqa_attention_block(&mut self, l: u32, x: &str, t: &GqaTables) -> io::Result<String> {
        let (q, k, v, d) = self.qkv(l, x)?;
        let AttnDims {
            n_embd,
            n_head,
            n_kv,
            q_dim,
            ..
        } = d;
        let w = |s: &str| format!("blk.{l}.{s}.weight");
        self.counter += 1;
        let ctx = format!("gqa_{}", self.counter);
        let inputs = [
            q,
            k,
            v,
            format!("past_key_values.{l}.key"),
            format!("past_key_values.{l}.value"),
            t.seqlens.clone(),
            t.total.clone(),
            t.cos.clone(),
            t.sin.clone(),
        ];
        self.nodes.push(NodeProto {
            input: inputs.to_vec(),
            output: vec![
                ctx.clone(),
                format!("present.{l}.key"),
                format!("present.{l}.value"),
            ],
            name: format!("GroupQueryAttention_{}", self.nodes.len()),
            op_type: "GroupQueryAttention".into(),
            domain: "com.microsoft".into(),
            attribute: vec![
                int("num_heads", n_head),
                int("kv_num_heads", n_kv),
                int("do_rotary", 1),
                int("rotary_interleaved", 1),
            ],
            ..Default::default()
        });
        let o = self.linear(&ctx, &w("attn_output"), q_dim, n_embd, None)?;
        Ok(self.node("Add", &[x, &o], vec![]))
    }

    /// Layer `l`'s SwiGLU feed-forward, and the residual.
    fn feed_forward_block(&mut self, l: u32, x: &str) -> io::Result<String> {
        let h = self.spec.hparams();
        let (n_embd, n_ff) = (h.n_embd as i64, h.n_ff as i64);
        let w = |s: &str| format!("blk.{l}.{s}.weight");
        let hn = self.rms_norm(x, &w("ffn_norm"), n_embd)?;
        let gate = self.linear(&hn, &w("ffn_gate"), n_embd, n_ff, None)?;
        let up = self.linear(&hn, &w("ffn_up"), n_embd, n_ff, None)?;
        let sig = self.node("Sigmoid", &[&gate], vec![]);
        let silu = self.node("Mul", &[&gate, &sig], vec![]);
        let act = self.node("Mul", &[&silu, &up], vec![]);
        let down = self.linear(&act, &w("ffn_down"), n_ff, n_embd, None)?;
        Ok(self.node("Add", &[x, &down], vec![]))
    }
}

struct Builder<'a> {
    spec: SynthSpec,
    opts: TwinOptions,
    /// Static activation quantisation, when writing that variant.
    act: Option<&'a StaticQdq>,
    /// Activations already quantised (or exposed for calibration): tensor
    /// name → the name consumers read instead.
    act_seen: HashMap<String, String>,
    /// The `calib.*` outputs ([`TwinOptions::calibration_outputs`]).
    calib_outputs: Vec<ValueInfoProto>,
    sink: &'a mut DataSink,
    nodes: Vec<NodeProto>,
    inits: Vec<TensorProto>,
    consts: HashSet<String>,
    counter: usize,
    /// The int64 token ids, mask and positions the graph computes with:
    /// the inputs themselves, or their casts in the int32 variant.
    ids: &'static str,
    mask: &'static str,
    pos: &'static str,
}

impl Builder<'_> {
    /// A node of one input and one fixed output name (no counter), for the
    /// casts at the head of a variant's graph.
    fn node_named_static(
        &mut self,
        op: &str,
        input: &str,
        out: &'static str,
        attrs: Vec<AttributeProto>,
    ) -> &'static str {
        self.push_node(op, "", &[input], out, attrs);
        out
    }

    /// Adds a node with one generated output name, returned.
    fn node(&mut self, op: &str, inputs: &[&str], attrs: Vec<AttributeProto>) -> String {
        self.counter += 1;
        let out = format!("{}_{}", op.to_lowercase(), self.counter);
        self.node_named(op, inputs, &out, attrs)
    }

    /// Adds a node whose one output is `out`.
    fn node_named(
        &mut self,
        op: &str,
        inputs: &[&str],
        out: &str,
        attrs: Vec<AttributeProto>,
    ) -> String {
        self.push_node(op, "", inputs, out, attrs);
        out.to_string()
    }

    fn push_node(
        &mut self,
        op: &str,
        domain: &str,
        inputs: &[&str],
        out: &str,
        attribute: Vec<AttributeProto>,
    ) {
        self.nodes.push(NodeProto {
            input: inputs.iter().map(|s| s.to_string()).collect(),
            output: vec![out.to_string()],
            name: format!("{op}_{}", self.nodes.len()),
            op_type: op.into(),
            domain: domain.into(),
            attribute,
            ..Default::default()
        });
    }

    /// Adds an initializer of `len` bytes; `make` produces them and is only
    /// called when they are written (inline, or to a data file that is being
    /// written).
    fn tensor(
        &mut self,
        name: &str,
        dt: i32,
        dims: &[i64],
        len: u64,
        make: impl FnOnce() -> Vec<u8>,
    ) -> io::Result<String> {
        let mut t = TensorProto {
            name: name.into(),
            dims: dims.to_vec(),
            data_type: dt,
            ..Default::default()
        };
        if len < EXTERNAL_MIN_BYTES as u64 {
            t.raw_data = make();
        } else {
            let bytes = self.sink.writing().then(make);
            let offset = self.sink.append(len, bytes.as_deref())?;
            let e = |k: &str, v: String| StringStringEntryProto {
                key: k.into(),
                value: v,
            };
            t.data_location = DATA_LOCATION_EXTERNAL;
            t.external_data = vec![
                e("location", self.sink.location.clone()),
                e("offset", offset.to_string()),
                e("length", len.to_string()),
            ];
        }
        self.inits.push(t);
        Ok(name.to_string())
    }

    fn const_i64(&mut self, v: &[i64]) -> String {
        let name = format!("const_i64_{v:?}").replace([' ', '[', ']'], "");
        self.constant(name, data_type::INT64, &[v.len() as i64], || {
            v.iter().flat_map(|x| x.to_le_bytes()).collect()
        })
    }

    fn const_i64_scalar(&mut self, v: i64) -> String {
        self.constant(
            format!("const_i64_scalar_{v}"),
            data_type::INT64,
            &[],
            || v.to_le_bytes().to_vec(),
        )
    }

    fn const_f32(&mut self, v: f32) -> String {
        self.constant(
            format!("const_f32_{:08x}", v.to_bits()),
            data_type::FLOAT,
            &[],
            || v.to_le_bytes().to_vec(),
        )
    }

    fn constant(
        &mut self,
        name: String,
        dt: i32,
        dims: &[i64],
        make: impl FnOnce() -> Vec<u8>,
    ) -> String {
        if self.consts.insert(name.clone()) {
            self.inits.push(TensorProto {
                name: name.clone(),
                dims: dims.to_vec(),
                data_type: dt,
                raw_data: make(),
                ..Default::default()
            });
        }
        name
    }

    /// `base^(-2i/head_dim)` for `i < head_dim/2`, as ggml computes it: the
    /// f32 `powf(base, -2/head_dim)` raised by repeated f32 multiplication.
    fn inv_freq(&mut self, base: f32, hd: i64) -> io::Result<String> {
        let bytes = f32_bytes(&inv_freq_values(base, hd));
        let len = bytes.len() as u64;
        self.tensor("rope.inv_freq", data_type::FLOAT, &[hd / 2], len, || bytes)
    }

    /// RMS norm of `x` over the last axis times the norm weight `name`.
    fn rms_norm(&mut self, x: &str, name: &str, n: i64) -> io::Result<String> {
        let (seed, owned) = (self.spec.seed, name.to_string());
        let w = self.tensor(name, data_type::FLOAT, &[n], n as u64 * 4, move || {
            f32_bytes(&generate(seed, &owned, n as usize))
        })?;
        let eps = self.const_f32(self.spec.hparams().rms_eps);
        let sq = self.node("Mul", &[x, x], vec![]);
        // Opset 18 moved ReduceMean's axes from an attribute to an input.
        let mean = if self.opts.opset() >= 18 {
            let axes = self.const_i64(&[-1]);
            self.node("ReduceMean", &[&sq, &axes], vec![int("keepdims", 1)])
        } else {
            self.node(
                "ReduceMean",
                &[&sq],
                vec![ints("axes", &[-1]), int("keepdims", 1)],
            )
        };
        let mean = self.node("Add", &[&mean, &eps], vec![]);
        let rms = self.node("Sqrt", &[&mean], vec![]);
        let inv = self.node("Reciprocal", &[&rms], vec![]);
        let y = self.node("Mul", &[x, &inv], vec![]);
        Ok(self.node("Mul", &[&y, &w], vec![]))
    }

    /// Rotary embedding of `x` [B, S, heads·hd] in adjacent pairs; returns
    /// [B, heads, S, hd].
    fn rope(&mut self, x: &str, heads: i64, hd: i64, cos: &str, sin: &str) -> String {
        let shape = self.const_i64(&[0, 0, heads, hd / 2, 2]);
        let x = self.node("Reshape", &[x, &shape], vec![]);
        let x = self.node("Transpose", &[&x], vec![ints("perm", &[0, 2, 1, 3, 4])]);
        self.counter += 1;
        let (x0, x1) = (
            format!("split_{}_0", self.counter),
            format!("split_{}_1", self.counter),
        );
        // Opset 18 wants the number of outputs (or the sizes) stated.
        let attribute = if self.opts.opset() >= 18 {
            vec![int("axis", -1), int("num_outputs", 2)]
        } else {
            vec![int("axis", -1)]
        };
        self.nodes.push(NodeProto {
            input: vec![x],
            output: vec![x0.clone(), x1.clone()],
            name: format!("Split_{}", self.nodes.len()),
            op_type: "Split".into(),
            attribute,
            ..Default::default()
        });
        let a = self.node("Mul", &[&x0, cos], vec![]);
        let b = self.node("Mul", &[&x1, sin], vec![]);
        let r0 = self.node("Sub", &[&a, &b], vec![]);
        let a = self.node("Mul", &[&x0, sin], vec![]);
        let b = self.node("Mul", &[&x1, cos], vec![]);
        let r1 = self.node("Add", &[&a, &b], vec![]);
        let r = self.node("Concat", &[&r0, &r1], vec![int("axis", -1)]);
        let shape = self.const_i64(&[0, 0, 0, hd]);
        self.node("Reshape", &[&r, &shape], vec![])
    }

    /// The token embedding table, dequantised to f32 `[n_vocab, n_embd]`.
    fn embedding(&mut self, n_vocab: i64, n_embd: i64) -> io::Result<String> {
        let seed = self.spec.seed;
        let name = "token_embd.weight";
        let ty = self.spec.quant.tensor_type(name, &self.spec.hparams());
        let n = (n_vocab * n_embd) as usize;
        self.tensor(
            name,
            data_type::FLOAT,
            &[n_vocab, n_embd],
            n as u64 * 4,
            move || f32_bytes(&dequantised(seed, name, ty, n)),
        )
    }

    /// `x · Wᵀ` for the GGUF matrix `name` with `ne = [k, n]`.
    fn linear(
        &mut self,
        x: &str,
        name: &str,
        k: i64,
        n: i64,
        out: Option<&str>,
    ) -> io::Result<String> {
        let x = &self.activation(x, name, k)?;
        let (seed, quant) = (self.spec.seed, self.spec.quant);
        let count = (k * n) as usize;
        let out = match out {
            Some(o) => o.to_string(),
            None => {
                self.counter += 1;
                format!("{}_out", name.trim_end_matches(".weight"))
            }
        };
        let ty = quant.tensor_type(name, &self.spec.hparams());
        if self.opts.static_qdq && ty != GgmlType::Q4_0 {
            return self.per_channel_linear(x, name, ty, (k, n), &out);
        }
        match ty {
            GgmlType::F32 | GgmlType::F16 | GgmlType::BF16 => {
                let (size, dt) = match ty {
                    GgmlType::F32 => (4, data_type::FLOAT),
                    GgmlType::F16 => (2, data_type::FLOAT16),
                    _ => (2, data_type::BFLOAT16),
                };
                let owned = name.to_string();
                let w = self.tensor(name, dt, &[k, n], (count * size) as u64, move || {
                    match ty {
                        GgmlType::F32 => f32_bytes(&transpose(
                            &generate(seed, &owned, count),
                            n as usize,
                            k as usize,
                        )),
                        GgmlType::F16 => {
                            transpose(&generate(seed, &owned, count), n as usize, k as usize)
                                .iter()
                                .flat_map(|&x| f16::from_f32(x).to_le_bytes())
                                .collect()
                        }
                        // ggml's bf16 values, exactly: their upper 16 bits.
                        _ => transpose(
                            &dequantised(seed, &owned, ty, count),
                            n as usize,
                            k as usize,
                        )
                        .iter()
                        .flat_map(|&x| ((x.to_bits() >> 16) as u16).to_le_bytes())
                        .collect(),
                    }
                })?;
                let w = if ty == GgmlType::F32 {
                    w
                } else {
                    self.node("Cast", &[&w], vec![int("to", data_type::FLOAT.into())])
                };
                Ok(self.node_named("MatMul", &[x, &w], &out, vec![]))
            }
            GgmlType::Q4_K | GgmlType::Q4_1 | GgmlType::Q5_K if !self.opts.qdq => {
                self.split_linear(x, name, ty, (k, n), &out)
            }
            GgmlType::Q4_0 | GgmlType::Q8_0 | GgmlType::Q5_0 | GgmlType::Q6_K => {
                let (bits, block): (i64, usize) = match ty {
                    GgmlType::Q4_0 => (4, QK),
                    GgmlType::Q8_0 | GgmlType::Q5_0 => (8, QK),
                    _ => (8, Q6_K_SUB),
                };
                let blocks = k / block as i64;
                let blob = block as i64 * bits / 8;
                let b_len = (n * blocks * blob) as u64;
                let s_len = (n * blocks * 4) as u64;
                let (b, s) = if self.sink.writing() {
                    let v = generate(seed, name, count);
                    let (mut q, mut b, mut s) = (Vec::new(), Vec::new(), Vec::new());
                    quant::encode(ty, &v, &mut q)
                        .expect("a type synth writes")
                        .map_err(io::Error::other)?;
                    match ty {
                        GgmlType::Q4_0 => q4_0_to_nbits(&q, &mut b, &mut s),
                        GgmlType::Q8_0 => q8_0_to_nbits(&q, &mut b, &mut s),
                        GgmlType::Q5_0 => q5_0_to_nbits(&q, &mut b, &mut s),
                        _ => q6_k_to_nbits(&q, &mut b, &mut s),
                    }
                    (b, f32_bytes(&s))
                } else {
                    (Vec::new(), Vec::new())
                };
                if self.opts.qdq {
                    return self.qdq_linear(x, name, (k, n), (bits, block as i64), (b, s), &out);
                }
                let bn = self.tensor(name, data_type::UINT8, &[n, blocks, blob], b_len, || b)?;
                let sn = format!("{}_scales", name.trim_end_matches(".weight"));
                let sn = self.tensor(&sn, data_type::FLOAT, &[n * blocks], s_len, || s)?;
                self.push_node(
                    "MatMulNBits",
                    "com.microsoft",
                    &[x, &bn, &sn],
                    &out,
                    vec![
                        int("K", k),
                        int("N", n),
                        int("bits", bits),
                        int("block_size", block as i64),
                        // Activations quantised to int8 per block inside
                        // the product, as llama.cpp's q8_0 vec_dot does: the
                        // same arithmetic class, and ORT's fast int8 kernels
                        // (measured on small q8_0, 2 threads: 155 tok/s
                        // decode against 5 with the default fp32 level).
                        int("accuracy_level", 4),
                    ],
                );
                Ok(out)
            }
            _ => {
                // No exact MatMulNBits form: ggml's own dequantisation, as
                // an f32 initializer.
                let owned = name.to_string();
                let w = self.tensor(
                    name,
                    data_type::FLOAT,
                    &[k, n],
                    (count * 4) as u64,
                    move || {
                        let v = dequantised(seed, &owned, ty, count);
                        f32_bytes(&transpose(&v, n as usize, k as usize))
                    },
                )?;
                Ok(self.node_named("MatMul", &[x, &w], &out, vec![]))
            }
        }
    }
}

impl Builder<'_> {
    /// The activation `x` (`k` wide) as the matrix `site` reads it: itself;
    /// exposed as the output `calib.<site>` in the calibration variant; or
    /// through a uint8 `QuantizeLinear`/`DequantizeLinear` pair from its
    /// calibrated range ([`StaticQdq`]). A second reader of `x` gets the
    /// same name as the first.
    fn activation(&mut self, x: &str, site: &str, k: i64) -> io::Result<String> {
        if self.act.is_none() && !self.opts.calibration_outputs {
            return Ok(x.to_string());
        }
        if let Some(seen) = self.act_seen.get(x) {
            return Ok(seen.clone());
        }
        let read = if let Some(act) = self.act {
            let &(lo, hi) = act.ranges.get(site).ok_or_else(|| {
                io::Error::other(format!(
                    "static QDQ: no calibrated range for the activation read by {site}"
                ))
            })?;
            let (scale, zp) = uint8_scale_zero_point(lo, hi);
            let base = site.trim_end_matches(".weight");
            let s = self.constant(format!("{base}_act_scale"), data_type::FLOAT, &[], || {
                scale.to_le_bytes().to_vec()
            });
            let z = self.constant(
                format!("{base}_act_zero_point"),
                data_type::UINT8,
                &[],
                || vec![zp],
            );
            let q = self.node("QuantizeLinear", &[x, &s, &z], vec![]);
            self.node("DequantizeLinear", &[&q, &s, &z], vec![])
        } else {
            let name = format!("calib.{site}");
            self.node_named("Identity", &[x], &name, vec![]);
            self.calib_outputs.push(value(
                &name,
                data_type::FLOAT,
                &[sym("batch_size"), sym("sequence_length"), fixed(k)],
            ));
            x.to_string()
        };
        self.act_seen.insert(x.to_string(), read.clone());
        Ok(read)
    }

    /// A matrix whose blocks of 32 decode as `scale·q − min` (q4_K:
    /// `d·sc·q − dmin·m`; q5_K the same with 5-bit levels; q4_1: `d·q + m`)
    /// as llama.cpp's dot products split it: `x·Wᵀ = MatMulNBits(x; q,
    /// scale) − blocksum(x)·Mᵀ`, where `blocksum(x)` sums `x` over each block
    /// of 32 (`Reshape` + `ReduceSum`) and `M` `[K/32, N]` holds the mins (a
    /// `MatMul`). 4-bit levels (q4_K, q4_1) carry an explicit zero point 0;
    /// 5-bit ones (q5_K) go in 8 bits as `q + 128` with the default zero
    /// point. The levels, scales and mins are ggml's ([`q4_k_to_nbits`],
    /// [`q4_1_to_nbits`], [`q5_k_to_nbits`]); exact in exact arithmetic,
    /// f32-rounded as any product. (MatMulNBits' float zero points would
    /// express q4_K in one node, but ONNX Runtime 1.31's CPU kernels take a
    /// slow path for them: 17-20 tok/s decode on small q4_k_m against
    /// 89-100 for f32 weights.)
    fn split_linear(
        &mut self,
        x: &str,
        name: &str,
        ty: GgmlType,
        (k, n): (i64, i64),
        out: &str,
    ) -> io::Result<String> {
        let blocks = k / QK as i64;
        let bits: i64 = if ty == GgmlType::Q5_K { 8 } else { 4 };
        let blob = QK as i64 * bits / 8;
        let (b, s, m) = if self.sink.writing() {
            let v = generate(self.spec.seed, name, (k * n) as usize);
            let (mut q, mut b, mut s, mut m) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
            quant::encode(ty, &v, &mut q)
                .expect("a type synth writes")
                .map_err(io::Error::other)?;
            match ty {
                GgmlType::Q4_K => q4_k_to_nbits(&q, &mut b, &mut s, &mut m),
                GgmlType::Q5_K => q5_k_to_nbits(&q, &mut b, &mut s, &mut m),
                _ => q4_1_to_nbits(&q, &mut b, &mut s, &mut m),
            }
            // Mins transposed to [K/32, N] for the MatMul.
            let mut mt = vec![0.0f32; m.len()];
            for (i, &x) in m.iter().enumerate() {
                let (row, blk) = (i / blocks as usize, i % blocks as usize);
                mt[blk * n as usize + row] = x;
            }
            (b, f32_bytes(&s), f32_bytes(&mt))
        } else {
            (Vec::new(), Vec::new(), Vec::new())
        };
        let bn = self.tensor(
            name,
            data_type::UINT8,
            &[n, blocks, blob],
            (n * blocks * blob) as u64,
            || b,
        )?;
        let stem = name.trim_end_matches(".weight");
        let len = (n * blocks * 4) as u64;
        let sn = self.tensor(
            &format!("{stem}_scales"),
            data_type::FLOAT,
            &[n * blocks],
            len,
            || s,
        )?;
        let mut inputs = vec![x.to_string(), bn, sn];
        if bits == 4 {
            // Zero point 0 for every block (4-bit, two per byte).
            let zlen = (n * ((blocks + 1) / 2)) as u64;
            inputs.push(self.tensor(
                &format!("{stem}_zero_points"),
                data_type::UINT8,
                &[zlen as i64],
                zlen,
                || vec![0u8; zlen as usize],
            )?);
        }
        let mn = self.tensor(
            &format!("{stem}_mins"),
            data_type::FLOAT,
            &[blocks, n],
            len,
            || m,
        )?;
        self.counter += 1;
        let prod = format!("{stem}_nbits");
        let inputs: Vec<&str> = inputs.iter().map(String::as_str).collect();
        self.push_node(
            "MatMulNBits",
            "com.microsoft",
            &inputs,
            &prod,
            vec![
                int("K", k),
                int("N", n),
                int("bits", bits),
                int("block_size", QK as i64),
                int("accuracy_level", 4),
            ],
        );
        let shape = self.const_i64(&[0, 0, blocks, QK as i64]);
        let xb = self.node("Reshape", &[x, &shape], vec![]);
        // ReduceSum takes its axes as an input from opset 13 on.
        let axes = self.const_i64(&[-1]);
        let sums = self.node("ReduceSum", &[&xb, &axes], vec![int("keepdims", 0)]);
        let mins = self.node("MatMul", &[&sums, &mn], vec![]);
        Ok(self.node_named("Sub", &[&prod, &mins], out, vec![]))
    }

    /// The QDQ form of a quantised matmul (see [`TwinOptions::qdq`]), from
    /// its `MatMulNBits` blobs `b` and f32 scale bytes `s` (empty in a dry
    /// run): `DequantizeLinear(W, scales)` then `MatMul`.
    fn qdq_linear(
        &mut self,
        x: &str,
        name: &str,
        (k, n): (i64, i64),
        (bits, block): (i64, i64),
        (b, s): (Vec<u8>, Vec<u8>),
        out: &str,
    ) -> io::Result<String> {
        let blocks = k / block;
        let (w, sc) = if self.sink.writing() {
            nbits_to_qdq(&b, &s, bits, k as usize, n as usize, block as usize)
        } else {
            (Vec::new(), Vec::new())
        };
        let (dt, w_len) = if bits == 4 {
            (data_type::INT4, (k * n / 2) as u64)
        } else {
            (data_type::INT8, (k * n) as u64)
        };
        let wn = self.tensor(name, dt, &[k, n], w_len, || w)?;
        let sn = format!("{}_scales", name.trim_end_matches(".weight"));
        let sn = self.tensor(
            &sn,
            data_type::FLOAT,
            &[blocks, n],
            (blocks * n * 4) as u64,
            || sc,
        )?;
        let w = self.node(
            "DequantizeLinear",
            &[&wn, &sn],
            vec![int("axis", 0), int("block_size", block)],
        );
        Ok(self.node_named("MatMul", &[x, &w], out, vec![]))
    }
}

impl Builder<'_> {
    /// A matrix as a static quantizer stores it ([`StaticQdq`]): int8
    /// `[K, N]`, one f32 scale per column, `DequantizeLinear(axis = 1)`,
    /// then `MatMul`.
    fn per_channel_linear(
        &mut self,
        x: &str,
        name: &str,
        ty: GgmlType,
        (k, n): (i64, i64),
        out: &str,
    ) -> io::Result<String> {
        let (w, sc) = if self.sink.writing() {
            let v = dequantised(self.spec.seed, name, ty, (k * n) as usize);
            per_channel_int8(&transpose(&v, n as usize, k as usize), n as usize)
        } else {
            (Vec::new(), Vec::new())
        };
        let wn = self.tensor(name, data_type::INT8, &[k, n], (k * n) as u64, || w)?;
        let sn = format!("{}_scales", name.trim_end_matches(".weight"));
        let sn = self.tensor(&sn, data_type::FLOAT, &[n], (n * 4) as u64, || {
            f32_bytes(&sc)
        })?;
        let w = self.node("DequantizeLinear", &[&wn, &sn], vec![int("axis", 1)]);
        Ok(self.node_named("MatMul", &[x, &w], out, vec![]))
    }
}

/// `w` (`[K, N]`, row-major) as symmetric int8 with one scale per column,
/// as ONNX Runtime's static quantizer stores a per-channel `MatMul` weight:
/// `scale = max|w[:, j]| / 127` (1 for an all-zero column), `q =
/// round(w / scale)` within ±127. Returns the int8 bytes and the scales.
pub fn per_channel_int8(w: &[f32], n: usize) -> (Vec<u8>, Vec<f32>) {
    let mut scales = vec![0.0f32; n];
    for row in w.chunks(n) {
        for (s, &x) in scales.iter_mut().zip(row) {
            *s = s.max(x.abs());
        }
    }
    for s in &mut scales {
        *s = if *s > 0.0 { *s / 127.0 } else { 1.0 };
    }
    let q = w
        .chunks(n)
        .flat_map(|row| {
            row.iter()
                .zip(&scales)
                .map(|(&x, &s)| (x / s).round().clamp(-127.0, 127.0) as i8 as u8)
        })
        .collect();
    (q, scales)
}

/// `MatMulNBits` blobs (`[N, K/block, block·bits/8]` uint8 with the default
/// zero point, 8 or 128) and f32 scale bytes (`[N, K/block]`) of an `N × K`
/// matrix, rewritten as a QDQ pair: the signed levels (`stored - zero
/// point`) transposed to `[K, N]`, int4 packed two per byte (the first
/// element in the low nibble) or int8; and the scales transposed to
/// `[K/block, N]`. The same integers times the same f32 scales: exact.
pub fn nbits_to_qdq(
    b: &[u8],
    scale_bytes: &[u8],
    bits: i64,
    k: usize,
    n: usize,
    block: usize,
) -> (Vec<u8>, Vec<u8>) {
    let level = |row: usize, col: usize| -> i8 {
        let i = row * k + col;
        if bits == 4 {
            let byte = b[i / 2];
            let nib = if i.is_multiple_of(2) {
                byte & 0x0F
            } else {
                byte >> 4
            };
            nib as i8 - 8
        } else {
            (b[i] ^ 0x80) as i8
        }
    };
    let mut w = Vec::with_capacity(if bits == 4 { k * n / 2 } else { k * n });
    if bits == 4 {
        for col in 0..k {
            for pair in 0..n / 2 {
                let lo = level(2 * pair, col) as u8 & 0x0F;
                let hi = level(2 * pair + 1, col) as u8 & 0x0F;
                w.push(lo | (hi << 4));
            }
        }
    } else {
        for col in 0..k {
            w.extend((0..n).map(|row| level(row, col) as u8));
        }
    }
    let blocks = k / block;
    let mut sc = Vec::with_capacity(scale_bytes.len());
    for blk in 0..blocks {
        for row in 0..n {
            let at = 4 * (row * blocks + blk);
            sc.extend_from_slice(&scale_bytes[at..at + 4]);
        }
    }
    (w, sc)
}

/// `base^(-2i/head_dim)` for `i < head_dim/2`, as ggml computes it: the
/// f32 `powf(base, -2/head_dim)` raised by repeated f32 multiplication.
fn inv_freq_values(base: f32, hd: i64) -> Vec<f32> {
    let step = base.powf(-2.0 / hd as f32);
    let mut v = Vec::with_capacity(hd as usize / 2);
    let mut f = 1.0f32;
    for _ in 0..hd / 2 {
        v.push(f);
        f *= step;
    }
    v
}

/// Elements per q6_K sub-block (one 8-bit scale each).
const Q6_K_SUB: usize = 16;

/// How the twin (in variant `opts`) stores a weight matrix of GGUF type
/// `ty`.
pub fn twin_encoding(ty: GgmlType, opts: TwinOptions) -> &'static str {
    if opts.static_qdq && ty != GgmlType::Q4_0 {
        return "DequantizeLinear int8, one scale per output column (axis 1), then MatMul, \
                requantised from ggml's decoded values as quantize_static does (not exact)";
    }
    match (ty, opts.qdq) {
        (GgmlType::F32, _) => "f32 MatMul (exact)",
        (GgmlType::F16, _) => "f16 initializer cast to f32 (exact)",
        (GgmlType::BF16, _) => "bf16 initializer cast to f32 (exact)",
        (GgmlType::Q4_0, false) => "MatMulNBits 4-bit, blocks of 32 (exact)",
        (GgmlType::Q8_0, false) => "MatMulNBits 8-bit, blocks of 32 (exact)",
        (GgmlType::Q6_K, false) => "MatMulNBits 8-bit, blocks of 16, scale d*sc (exact)",
        (GgmlType::Q4_K, false) => {
            "MatMulNBits 4-bit, blocks of 32, scale d*sc, zero point 0, minus block sums of x times dmin*m (exact weights, split as llama.cpp's q4_K dot product)"
        }
        (GgmlType::Q5_K, false) => {
            "MatMulNBits 8-bit (levels q+128), blocks of 32, scale d*sc, minus block sums of x times dmin*m (exact weights, split as llama.cpp's q5_K dot product)"
        }
        (GgmlType::Q4_1, false) => {
            "MatMulNBits 4-bit, blocks of 32, scale d, zero point 0, plus block sums of x times m (exact weights, split as llama.cpp's q4_1 dot product)"
        }
        (GgmlType::Q5_0, false) => "MatMulNBits 8-bit (levels q+112), blocks of 32 (exact)",
        (GgmlType::Q5_0, true) => "DequantizeLinear int8, blocks of 32, then MatMul (exact)",
        (GgmlType::Q4_0, true) => "DequantizeLinear int4, blocks of 32, then MatMul (exact)",
        (GgmlType::Q8_0, true) => "DequantizeLinear int8, blocks of 32, then MatMul (exact)",
        (GgmlType::Q6_K, true) => {
            "DequantizeLinear int8, blocks of 16, scale d*sc, then MatMul (exact)"
        }
        _ => "dequantised by ggml's rule to an f32 MatMul (exact weights, f32 product)",
    }
}

/// The `edgebench.synth.twin_weights` metadata value: for each GGUF type
/// the matrices of `spec` use, how the twin stores it.
fn twin_weights(spec: &SynthSpec, opts: TwinOptions) -> String {
    let h = spec.hparams();
    let mut types: Vec<GgmlType> = Vec::new();
    for t in model_tensors(&h).iter().filter(|t| !t.is_norm) {
        let ty = spec.quant.tensor_type(&t.name, &h);
        if !types.contains(&ty) {
            types.push(ty);
        }
    }
    let mut parts: Vec<String> = types
        .iter()
        .map(|&ty| format!("{ty}: {}", twin_encoding(ty, opts)))
        .collect();
    parts.push("token_embd: dequantised f32 table (exact)".into());
    parts.join("; ")
}

/// Tensor `name`'s `n` values as the GGUF stores them in type `ty`, decoded
/// back to f32 by ggml's rule.
fn dequantised(seed: u64, name: &str, ty: GgmlType, n: usize) -> Vec<f32> {
    let v = generate(seed, name, n);
    if ty == GgmlType::F32 {
        return v;
    }
    let (mut q, mut back) = (Vec::new(), Vec::with_capacity(n));
    quant::encode(ty, &v, &mut q)
        .expect("a type synth writes")
        .expect("rows are whole blocks");
    quant::decode(ty, &q, &mut back)
        .expect("a type synth writes")
        .expect("whole blocks");
    back
}

/// Converts ggml q6_K super-blocks to `MatMulNBits` 8-bit form with blocks
/// of 16: per sub-block the scale `d * sc` (the same f32 product ggml's
/// dequantisation forms) to `scales`, and the 16 six-bit levels `q` (value
/// `q - 32`) as `q + 96` (value `(q + 96) - 128`, the default zero point) to
/// `b`. Exact: each weight is the same integer times the same f32 scale.
pub fn q6_k_to_nbits(blocks: &[u8], b: &mut Vec<u8>, scales: &mut Vec<f32>) {
    for blk in blocks.chunks_exact(quant::Q6_K_BLOCK_BYTES) {
        let d = f16::from_le_bytes([blk[208], blk[209]]).to_f32();
        let (ql, qh, sc) = (&blk[..128], &blk[128..192], &blk[192..208]);
        let mut q = [0u8; QK_K];
        for h in 0..2 {
            let (ql, qh) = (&ql[64 * h..], &qh[32 * h..]);
            for l in 0..32 {
                let hi = |shift: u32| ((qh[l] >> shift) & 3) << 4;
                q[128 * h + l] = (ql[l] & 0xF) | hi(0);
                q[128 * h + l + 32] = (ql[l + 32] & 0xF) | hi(2);
                q[128 * h + l + 64] = (ql[l] >> 4) | hi(4);
                q[128 * h + l + 96] = (ql[l + 32] >> 4) | hi(6);
            }
        }
        scales.extend(sc.iter().map(|&s| d * f32::from(s as i8)));
        b.extend(q.iter().map(|&v| v + 96));
    }
}

/// Element `j` of a ggml block of 32 4-bit values in 16 bytes `qs`: the low
/// nibble of byte `j` for `j < 16`, else the high nibble of byte `j - 16`.
fn ggml_nibble(qs: &[u8], j: usize) -> u8 {
    if j < QK / 2 {
        qs[j] & 0x0F
    } else {
        qs[j - QK / 2] >> 4
    }
}

/// Packs 32 4-bit levels (`level(j)`, `j < 32`) in `MatMulNBits`' pairs:
/// element `2k` in the low and `2k + 1` in the high nibble of byte `k`.
fn pack_nibbles(b: &mut Vec<u8>, level: impl Fn(usize) -> u8) {
    b.extend((0..QK / 2).map(|k| level(2 * k) | (level(2 * k + 1) << 4)));
}

/// Splits ggml q4_1 blocks (20 bytes: f16 scale `d`, f16 min `m`, 16 bytes
/// of nibbles laid out as q4_0's) into `MatMulNBits` 4-bit form with zero
/// point 0: the levels to `b`, `d` to `scales` and `-m` to `mins`, so that
/// `scale·q − min` is ggml's `q·d + m`.
pub fn q4_1_to_nbits(blocks: &[u8], b: &mut Vec<u8>, scales: &mut Vec<f32>, mins: &mut Vec<f32>) {
    for blk in blocks.chunks_exact(quant::Q4_1_BLOCK_BYTES) {
        scales.push(f16::from_le_bytes([blk[0], blk[1]]).to_f32());
        mins.push(-f16::from_le_bytes([blk[2], blk[3]]).to_f32());
        let qs = &blk[4..];
        pack_nibbles(b, |j| ggml_nibble(qs, j));
    }
}

/// Converts ggml q5_0 blocks (22 bytes: f16 scale, 32 fifth bits, 16 bytes
/// of nibbles; value `d·(q − 16)`) to `MatMulNBits` 8-bit form: 32 bytes
/// `q + 112` per block (value `(q + 112) − 128`, the default zero point) to
/// `b`, the scale to `scales`. Exact.
pub fn q5_0_to_nbits(blocks: &[u8], b: &mut Vec<u8>, scales: &mut Vec<f32>) {
    for blk in blocks.chunks_exact(quant::Q5_0_BLOCK_BYTES) {
        scales.push(f16::from_le_bytes([blk[0], blk[1]]).to_f32());
        let qh = u32::from_le_bytes([blk[2], blk[3], blk[4], blk[5]]);
        let qs = &blk[6..];
        b.extend((0..QK).map(|j| (ggml_nibble(qs, j) | ((((qh >> j) & 1) as u8) << 4)) + 112));
    }
}

/// Splits ggml q5_K super-blocks into `MatMulNBits` 8-bit form with blocks
/// of 32 (one q5_K sub-block each): the 5-bit levels `q` as `q + 128`
/// (the default zero point) to `b`, `d·sc` to `scales` and `dmin·m` to
/// `mins`; ggml decodes a weight as `d·sc·q − dmin·m`.
pub fn q5_k_to_nbits(blocks: &[u8], b: &mut Vec<u8>, scales: &mut Vec<f32>, mins: &mut Vec<f32>) {
    for blk in blocks.chunks_exact(quant::Q5_K_BLOCK_BYTES) {
        let d = f16::from_le_bytes([blk[0], blk[1]]).to_f32();
        let dmin = f16::from_le_bytes([blk[2], blk[3]]).to_f32();
        let (sc, qh, qs) = (&blk[4..16], &blk[16..48], &blk[48..]);
        for (g, ql) in qs.chunks_exact(32).enumerate() {
            for half in 0..2 {
                let (s, m) = quant::scale_min_k4(2 * g + half, sc);
                let bit = 1u8 << (2 * g + half);
                scales.push(d * f32::from(s));
                mins.push(dmin * f32::from(m));
                b.extend(ql.iter().zip(qh).map(|(&v, &h)| {
                    let lo = if half == 0 { v & 0x0F } else { v >> 4 };
                    lo + if h & bit != 0 { 16 } else { 0 } + 128
                }));
            }
        }
    }
}

/// Splits ggml q4_K super-blocks into `MatMulNBits` 4-bit form with blocks
/// of 32 (one q4_K sub-block each, zero point 0): the 4-bit levels `q`
/// (ggml keeps the first 32 of each 64 in the low nibbles of 32 bytes and
/// the next 32 in the high nibbles; they are repacked to MatMulNBits'
/// pairs) to `b`, `d·sc` to `scales` and `dmin·m` to `mins` (the same f32
/// products ggml's dequantisation forms), per row and block. ggml decodes a
/// weight as `d·sc·q − dmin·m`.
pub fn q4_k_to_nbits(blocks: &[u8], b: &mut Vec<u8>, scales: &mut Vec<f32>, mins: &mut Vec<f32>) {
    for blk in blocks.chunks_exact(quant::Q4_K_BLOCK_BYTES) {
        let d = f16::from_le_bytes([blk[0], blk[1]]).to_f32();
        let dmin = f16::from_le_bytes([blk[2], blk[3]]).to_f32();
        let (sc, qs) = (&blk[4..16], &blk[16..]);
        for (g, q) in qs.chunks_exact(32).enumerate() {
            for half in 0..2 {
                let (s, m) = quant::scale_min_k4(2 * g + half, sc);
                let level = |l: usize| if half == 0 { q[l] & 0x0F } else { q[l] >> 4 };
                scales.push(d * f32::from(s));
                mins.push(dmin * f32::from(m));
                pack_nibbles(b, level);
            }
        }
    }
}

/// Values of tensor `name`, generated on up to 8 threads.
fn generate(seed: u64, name: &str, n: usize) -> Vec<f32> {
    let mut v = vec![0.0f32; n];
    let threads = std::thread::available_parallelism().map_or(1, |t| t.get().min(8));
    let chunk = n.div_ceil(threads).next_multiple_of(QK).max(QK);
    if threads == 1 || n < 1 << 16 {
        fill_tensor_values(seed, name, 0, &mut v);
        return v;
    }
    std::thread::scope(|s| {
        for (i, part) in v.chunks_mut(chunk).enumerate() {
            s.spawn(move || fill_tensor_values(seed, name, (i * chunk) as u64, part));
        }
    });
    v
}

/// `rows × cols` row-major → `cols × rows` row-major.
fn transpose(v: &[f32], rows: usize, cols: usize) -> Vec<f32> {
    let mut t = vec![0.0f32; v.len()];
    const TILE: usize = 64;
    for r0 in (0..rows).step_by(TILE) {
        for c0 in (0..cols).step_by(TILE) {
            for r in r0..(r0 + TILE).min(rows) {
                for c in c0..(c0 + TILE).min(cols) {
                    t[c * rows + r] = v[r * cols + c];
                }
            }
        }
    }
    t
}

fn f32_bytes(v: &[f32]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_le_bytes()).collect()
}

fn int(name: &str, i: i64) -> AttributeProto {
    AttributeProto {
        name: name.into(),
        r#type: attribute_type::INT,
        i,
        ..Default::default()
    }
}

fn ints(name: &str, v: &[i64]) -> AttributeProto {
    AttributeProto {
        name: name.into(),
        r#type: attribute_type::INTS,
        ints: v.to_vec(),
        ..Default::default()
    }
}

fn sym(name: &str) -> DimensionValue {
    DimensionValue::DimParam(name.into())
}

fn fixed(n: i64) -> DimensionValue {
    DimensionValue::DimValue(n)
}

fn value(name: &str, elem: i32, dims: &[DimensionValue]) -> ValueInfoProto {
    edgebench_formats::onnx_model::proto::tensor_value_info(name, elem, dims)
}

#[cfg(test)]
#[path = "onnx_out_tests.rs"]
mod tests;
