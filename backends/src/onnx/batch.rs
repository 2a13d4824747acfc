//! Several sequences decoded together on ONNX Runtime
//! ([`Backend::configure_parallel`], [`Backend::step`]).
//!
//! Each sequence keeps its own KV cache here, `[heads, n_ctx, head_dim]`
//! per past input, in the model's KV type. A step groups its chunks by
//! length (the decodes, one token each, go together; a prompt chunk goes
//! with chunks of its own length, so a decode never pays for a prompt's
//! padding), and runs each group as one batch of `rows` sequences. The
//! pasts of the rows are copied into `[rows, heads, P, head_dim]`, `P` the
//! longest past in the group, padded in the way the graph's attention
//! reads a batch:
//!
//! - **Left padding** (Optimum exports, the synthetic twin), as Hugging
//!   Face batches: row `r` with `L` cached positions holds them in columns
//!   `P - L .. P`, `attention_mask` is 0 on the padding before them, the
//!   new tokens are columns `P ..` of `present.*`, and `position_ids` give
//!   each row its true positions. The graph's causal mask must be by column
//!   (Hugging Face's and the twin's are), and the graph must take
//!   `position_ids`.
//! - **Right padding** (onnxruntime-genai exports, whose attention is
//!   GroupQueryAttention): row `r` holds its `L` positions in columns
//!   `0 .. L`, `attention_mask` is 1 on `L + new` columns and 0 after, so
//!   the graph's `seqlens_k` (the mask's row sums, minus one) tells
//!   GroupQueryAttention where each row's new keys go and which positions
//!   the rotary embedding inside it uses; the new tokens are columns
//!   `L ..` of `present.*`. A shared past/present export runs batched with
//!   separate past and present tensors (GroupQueryAttention takes both).
//!
//! The new columns of each row's `present.*` are copied back into its
//! cache, and the logits of each chunk that asked for them are kept. The
//! copies are the price of per-sequence caches over one batch tensor: a
//! step copies each row's past in and its new positions out (an Optimum
//! graph copies its whole past into `present` every step anyway, a Concat).
use ort::session::SessionInputValue;
use ort::value::{DynValue, PrimitiveTensorElementType, Tensor};

use super::{Elem, ID, LayoutKind, OnnxBackend, run_err};
use crate::backend::{Backend, ContextSettings, SeqChunk};
use crate::error::BackendError;

/// Per-sequence KV caches in one element type: `data[seq][slot]` holds
/// `[heads, n_ctx, head_dim]` values, of which the first `len[seq]`
/// positions of each head are in use.
struct Store<T> {
    data: Vec<Vec<Vec<T>>>,
}

enum Caches {
    F32(Store<f32>),
    F16(Store<half::f16>),
}

/// Cache geometry.
#[derive(Debug, Clone, Copy)]
struct Dims {
    n_ctx: usize,
    heads: usize,
    head_dim: usize,
}

/// State of a context made by `configure_parallel`.
pub(super) struct Batched {
    dims: Dims,
    /// Right padding (genai, GroupQueryAttention) rather than left.
    right_pad: bool,
    len: Vec<usize>,
    caches: Caches,
    /// Logits rows of the last step's chunks that kept logits, in order.
    logits: Vec<Vec<f32>>,
    n_logits: usize,
}

impl Batched {
    fn n_seq(&self) -> usize {
        self.len.len()
    }
}

fn unsupported(what: &str, hint: &str) -> BackendError {
    BackendError::Unsupported {
        backend: ID.into(),
        what: what.into(),
        hint: hint.into(),
    }
}

/// An integer input `[shape]` in the graph's element type.
fn ints(elem: Elem, shape: [usize; 2], values: Vec<i64>) -> ort::Result<DynValue> {
    Ok(match elem {
        Elem::I32 => Tensor::from_array((
            shape,
            values.into_iter().map(|v| v as i32).collect::<Vec<_>>(),
        ))?
        .into_dyn(),
        _ => Tensor::from_array((shape, values))?.into_dyn(),
    })
}

/// A row of a group of equally long chunks: (its sequence, its tokens, the
/// logits slot it fills, if it keeps logits).
type Row<'a> = (u32, &'a [u32], Option<usize>);

impl OnnxBackend {
    pub(super) fn configure_batched(
        &mut self,
        settings: &ContextSettings,
        n_seq: u32,
    ) -> Result<(), BackendError> {
        let right_pad = self.layout.kind == LayoutKind::Genai;
        if !right_pad && self.layout.position_ids.is_none() {
            return Err(unsupported(
                "concurrency > 1 on a graph without position_ids",
                "batched sequences of an Optimum-layout export are left-padded, so each row \
                 needs its own positions; export the model with position_ids, or measure it at \
                 --concurrency 1",
            ));
        }
        self.configure(settings)?;
        let slots = 2 * self.layout.layers.len();
        let (heads, head_dim) = (self.layout.kv_heads as usize, self.layout.head_dim as usize);
        let per = heads * self.n_ctx * head_dim;
        let n = n_seq.max(1) as usize;
        let caches = match self.layout.kv_elem {
            Elem::F16 => Caches::F16(Store {
                data: (0..n)
                    .map(|_| (0..slots).map(|_| vec![half::f16::ZERO; per]).collect())
                    .collect(),
            }),
            _ => Caches::F32(Store {
                data: (0..n)
                    .map(|_| (0..slots).map(|_| vec![0.0; per]).collect())
                    .collect(),
            }),
        };
        self.batched = Some(Batched {
            right_pad,
            dims: Dims {
                n_ctx: self.n_ctx,
                heads,
                head_dim,
            },
            len: vec![0; n],
            caches,
            logits: Vec::new(),
            n_logits: 0,
        });
        Ok(())
    }

    pub(super) fn clear_batched_seq(&mut self, seq: u32) -> Result<(), BackendError> {
        let b = self.batched_state("clear")?;
        let n = b.n_seq();
        *b.len
            .get_mut(seq as usize)
            .ok_or_else(|| run_err("clear", format!("sequence {seq} of a context with {n}")))? = 0;
        Ok(())
    }

    fn batched_state(&mut self, stage: &'static str) -> Result<&mut Batched, BackendError> {
        self.batched
            .as_mut()
            .ok_or_else(|| run_err(stage, "configure_parallel() was not called"))
    }

    pub(super) fn step_batched(&mut self, chunks: &[SeqChunk<'_>]) -> Result<(), BackendError> {
        let n_batch = self.n_batch;
        let b = self.batched_state("step")?;
        let total: usize = chunks.iter().map(|c| c.tokens.len()).sum();
        if total > n_batch {
            return Err(run_err(
                "step",
                format!("{total} tokens in one step, the batch holds {n_batch}"),
            ));
        }
        let mut seen = vec![false; b.n_seq()];
        for c in chunks {
            let s = c.seq as usize;
            let len = *b.len.get(s).ok_or_else(|| {
                run_err(
                    "step",
                    format!("sequence {} of a context with {}", c.seq, seen.len()),
                )
            })?;
            if std::mem::replace(&mut seen[s], true) {
                return Err(run_err("step", format!("sequence {s} twice in one step")));
            }
            if c.tokens.is_empty() {
                return Err(run_err("step", format!("an empty chunk for sequence {s}")));
            }
            if c.start_pos as usize != len {
                return Err(run_err(
                    "step",
                    format!(
                        "sequence {s} has {len} cached positions; a chunk at position {} would \
                         leave a gap or overwrite them",
                        c.start_pos
                    ),
                ));
            }
            if len + c.tokens.len() > b.dims.n_ctx {
                return Err(run_err(
                    "step",
                    format!(
                        "context full: sequence {s} has {len} cached + {} new tokens, n_ctx {}",
                        c.tokens.len(),
                        b.dims.n_ctx
                    ),
                ));
            }
        }
        // Logits slots in chunk order, then groups by chunk length.
        let mut next_slot = 0usize;
        let mut rows: Vec<Row> = chunks
            .iter()
            .map(|c| {
                let slot = c.logits.then(|| {
                    next_slot += 1;
                    next_slot - 1
                });
                (c.seq, c.tokens, slot)
            })
            .collect();
        rows.sort_by_key(|r| r.1.len());
        b.n_logits = next_slot;
        if b.logits.len() < next_slot {
            b.logits.resize_with(next_slot, Vec::new);
        }
        let mut state = self.batched.take().expect("checked above");
        let (dims, right_pad) = (state.dims, state.right_pad);
        let mut result = Ok(());
        for group in rows.chunk_by(|a, b| a.1.len() == b.1.len()) {
            let (len, logits) = (&mut state.len, &mut state.logits);
            result = match &mut state.caches {
                Caches::F32(store) => self.run_group(dims, right_pad, len, store, logits, group),
                Caches::F16(store) => self.run_group(dims, right_pad, len, store, logits, group),
            };
            if result.is_err() {
                break;
            }
        }
        self.batched = Some(state);
        result
    }

    /// One batch of equally long chunks (see the module notes).
    fn run_group<T>(
        &mut self,
        d: Dims,
        right_pad: bool,
        len: &mut [usize],
        store: &mut Store<T>,
        logits: &mut [Vec<f32>],
        group: &[Row],
    ) -> Result<(), BackendError>
    where
        T: PrimitiveTensorElementType + Copy + Default + std::fmt::Debug + 'static,
    {
        let e = |x: ort::Error| run_err("step", x);
        let rows = group.len();
        let s = group[0].1.len();
        let p = group.iter().map(|r| len[r.0 as usize]).max().unwrap_or(0);
        let (h, hd) = (d.heads, d.head_dim);
        let mut ids = Vec::with_capacity(rows * s);
        let mut pos = Vec::with_capacity(rows * s);
        let mut mask = Vec::with_capacity(rows * (p + s));
        for &(seq, tokens, _) in group {
            let l = len[seq as usize];
            ids.extend(tokens.iter().map(|&t| i64::from(t)));
            pos.extend((l..l + s).map(|x| x as i64));
            if right_pad {
                mask.extend(std::iter::repeat_n(1, l + s));
                mask.extend(std::iter::repeat_n(0, p - l));
            } else {
                mask.extend(std::iter::repeat_n(0, p - l));
                mask.extend(std::iter::repeat_n(1, l + s));
            }
        }
        let mut inputs: Vec<SessionInputValue<'_>> = Vec::with_capacity(self.feeds.len());
        for f in &self.feeds {
            let v = match *f {
                super::Feed::Ids => ints(self.layout.ids_elem, [rows, s], std::mem::take(&mut ids)),
                super::Feed::Mask => ints(
                    self.layout.mask_elem,
                    [rows, p + s],
                    std::mem::take(&mut mask),
                ),
                super::Feed::Pos => ints(self.layout.pos_elem, [rows, s], std::mem::take(&mut pos)),
                super::Feed::UseCache => {
                    Tensor::from_array(([1usize], vec![p > 0])).map(|t| t.into_dyn())
                }
                super::Feed::Past(slot) => {
                    let mut past = vec![T::default(); rows * h * p * hd];
                    for (r, &(seq, _, _)) in group.iter().enumerate() {
                        let (l, src) = (len[seq as usize], &store.data[seq as usize][slot]);
                        for head in 0..h {
                            let to = ((r * h + head) * p + if right_pad { 0 } else { p - l }) * hd;
                            let from = head * d.n_ctx * hd;
                            past[to..to + l * hd].copy_from_slice(&src[from..from + l * hd]);
                        }
                    }
                    Tensor::from_array(([rows, h, p, hd], past)).map(|t| t.into_dyn())
                }
            }
            .map_err(e)?;
            inputs.push(SessionInputValue::Owned(v));
        }
        let outputs = self.session.run(inputs.as_slice()).map_err(e)?;
        for (slot, name) in self.present_names.iter().enumerate() {
            let out = outputs
                .get(name.as_str())
                .ok_or_else(|| run_err("step", format!("the run returned no '{name}'")))?;
            let (shape, data) = out.try_extract_tensor::<T>().map_err(e)?;
            // Left padding: the past then the new columns, `p + s`.
            // Right padding: GroupQueryAttention's present is at least
            // `p + s` long, each row's new keys at its own `l ..`.
            let t = match **shape {
                [b, hh, t, dd]
                    if [b, hh, dd] == [rows, h, hd].map(|x| x as i64)
                        && (t as usize == p + s || right_pad && t as usize >= p + s) =>
                {
                    t as usize
                }
                _ => {
                    return Err(run_err(
                        "step",
                        format!(
                            "'{name}' came back {shape:?}, expected [{rows}, {h}, {}, {hd}]",
                            p + s
                        ),
                    ));
                }
            };
            for (r, &(seq, _, _)) in group.iter().enumerate() {
                let l = len[seq as usize];
                let dst = &mut store.data[seq as usize][slot];
                let first = if right_pad { l } else { p };
                for head in 0..h {
                    let from = ((r * h + head) * t + first) * hd;
                    let to = (head * d.n_ctx + l) * hd;
                    dst[to..to + s * hd].copy_from_slice(&data[from..from + s * hd]);
                }
            }
        }
        let name = &self.layout.logits;
        let out = outputs
            .get(name.as_str())
            .ok_or_else(|| run_err("step", format!("the run returned no '{name}'")))?;
        let v = self.n_vocab as usize;
        let rows_of = |shape: &[i64]| -> Result<usize, BackendError> {
            match *shape {
                [b, n, vocab] if b as usize == rows && vocab as usize == v && n >= 1 => {
                    Ok(n as usize)
                }
                _ => Err(run_err(
                    "step",
                    format!(
                        "'{name}' came back {shape:?}, expected [{rows}, {s}, {v}] (vocabulary                          from {})",
                        self.n_vocab_source
                    ),
                )),
            }
        };
        let keep = |per_row: usize, row: &mut dyn FnMut(usize, usize)| {
            for (r, &(_, _, slot)) in group.iter().enumerate() {
                if let Some(k) = slot {
                    row(k, (r * per_row + per_row - 1) * v);
                }
            }
        };
        match self.layout.logits_elem {
            Elem::F16 => {
                let (shape, data) = out.try_extract_tensor::<half::f16>().map_err(e)?;
                keep(rows_of(shape)?, &mut |k, at| {
                    logits[k].clear();
                    logits[k].extend(data[at..at + v].iter().map(|x| x.to_f32()));
                });
            }
            _ => {
                let (shape, data) = out.try_extract_tensor::<f32>().map_err(e)?;
                keep(rows_of(shape)?, &mut |k, at| {
                    logits[k].clear();
                    logits[k].extend_from_slice(&data[at..at + v]);
                });
            }
        }
        drop(outputs);
        for &(seq, _, _) in group {
            len[seq as usize] += s;
        }
        Ok(())
    }

    /// The logits row `k` of the last step.
    pub(super) fn step_logits(&self, k: usize) -> Result<&[f32], BackendError> {
        let b = self
            .batched
            .as_ref()
            .ok_or_else(|| run_err("logits", "configure_parallel() was not called"))?;
        if k >= b.n_logits {
            return Err(run_err(
                "logits",
                format!(
                    "chunk {k} with logits asked; the last step kept {}",
                    b.n_logits
                ),
            ));
        }
        Ok(&b.logits[k])
    }
}
