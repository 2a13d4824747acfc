//! `onnx`: ONNX Runtime through the ort crate, with the library loaded at
//! run time (see [`runtime`] for where it is looked for).
//!
//! A model is a decoder LLM exported with its KV cache as graph inputs and
//! outputs (Optimum "with past" or onnxruntime-genai model-builder layouts,
//! see [`layout`]). The KV cache stays in ORT-allocated tensors in the model's
//! own element type (f32 or f16): each run's `present.*` outputs are moved,
//! not copied, into the next run's `past_key_values.*` inputs. Token ids,
//! attention mask and position ids are views over buffers allocated at
//! [`configure`](Backend::configure), so a timed step holds the model's work,
//! ORT's per-run bookkeeping, and nothing of ours beyond a few pointers.
//!
//! Limits, stated rather than hidden:
//! - onnxruntime-genai exports with `past_present_share_buffer: true` (one
//!   max-length KV buffer per layer that GroupQueryAttention appends to in
//!   place) run through IO binding: at `configure` each layer gets key and
//!   value buffers of `n_ctx` positions, bound both as its `past` input and
//!   as its `present` output, so a step writes only the new positions and
//!   copies no cache. Token ids and the mask are bound per step.
//! - The KV lives in CPU memory. With the CPU (and XNNPACK) EPs that is
//!   where it is used; with a device EP (CUDA, TensorRT, ...) ORT copies it
//!   to and from the device each step, shared buffer or not. Device-resident
//!   KV (binding device memory) is not implemented: no GPU was at hand to
//!   test it.
//! - Token ids, mask and positions go in the type the graph declares
//!   (int64, or int32 as some genai exports have them).
//! - ORT does not report how many graph nodes each EP took through its API
//!   (only in its verbose log), so [`OnnxBackend::facts`] does not claim it.
//! - A session's intra-op thread count is fixed at creation: `configure()`
//!   with another `threads` than the session has recreates the session (its
//!   time is in [`OnnxBackend::load_ms`], and `facts()["session_creations"]`
//!   counts them).
mod batch;
pub mod layout;
pub mod runtime;

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Instant;

use ort::ep::ExecutionProviderDispatch;
use ort::session::builder::GraphOptimizationLevel;
use ort::session::{IoBinding, Session, SessionInputValue};
use ort::value::{DynTensor, DynValue, Tensor, TensorElementType, TensorRef, ValueType};

use crate::backend::{Backend, BackendDescription, ContextSettings, KvType};
use crate::error::BackendError;

pub use crate::ep::{ALLOW_CPU_FALLBACK, Ep, GraphOpt, build_ep};
pub use layout::{Elem, GenaiConfig, IoSpec, Layout, LayoutKind};
pub use runtime::{RuntimeInfo, runtime_info};

const ID: &str = "onnx";

/// How to run a model on ONNX Runtime.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct OnnxOptions {
    /// Execution provider.
    pub ep: Ep,
    /// Provider options (see [`Ep::option_keys`]); an unknown key is an error.
    pub ep_options: BTreeMap<String, String>,
    /// Intra-op threads; None = ONNX Runtime's default (one per physical core).
    pub threads: Option<u32>,
    /// Graph optimisation; None = ONNX Runtime's default (all).
    pub graph_optimization: Option<GraphOpt>,
}

fn level(g: GraphOpt) -> GraphOptimizationLevel {
    match g {
        GraphOpt::Disable => GraphOptimizationLevel::Disable,
        GraphOpt::Basic => GraphOptimizationLevel::Level1,
        GraphOpt::Extended => GraphOptimizationLevel::Level2,
        GraphOpt::All => GraphOptimizationLevel::All,
    }
}

fn elem_of(t: &ValueType) -> (Elem, Vec<i64>) {
    match t {
        ValueType::Tensor { ty, shape, .. } => (
            match ty {
                TensorElementType::Int64 => Elem::I64,
                TensorElementType::Int32 => Elem::I32,
                TensorElementType::Float32 => Elem::F32,
                TensorElementType::Float16 => Elem::F16,
                TensorElementType::Bool => Elem::Bool,
                _ => Elem::Other,
            },
            shape.to_vec(),
        ),
        _ => (Elem::Other, Vec::new()),
    }
}

/// Input and output lists of a session, as [`layout::discover`] takes them.
pub fn io_specs(session: &Session) -> (Vec<IoSpec>, Vec<IoSpec>) {
    let conv = |list: &[ort::value::Outlet]| {
        list.iter()
            .map(|o| {
                let (elem, shape) = elem_of(o.dtype());
                IoSpec {
                    name: o.name().to_string(),
                    elem,
                    shape,
                }
            })
            .collect::<Vec<_>>()
    };
    (conv(session.inputs()), conv(session.outputs()))
}

/// What each session input is fed with, in the session's input order.
#[derive(Debug, Clone, Copy)]
enum Feed {
    Ids,
    Mask,
    Pos,
    UseCache,
    /// Index into the past vector (2 * layer + 0 for key, + 1 for value).
    Past(usize),
}

/// A decoder LLM on ONNX Runtime.
pub struct OnnxBackend {
    model: PathBuf,
    opts: OnnxOptions,
    session: Session,
    layout: Layout,
    feeds: Vec<Feed>,
    /// present output names, in past-vector order.
    present_names: Vec<String>,
    allow_cpu_fallback: bool,
    session_threads: Option<u32>,
    session_creations: u32,
    load_ms: f64,
    n_vocab: u32,
    /// Where `n_vocab` came from (the graph, or a guess from metadata or a
    /// config file when the graph's vocabulary dimension is symbolic).
    n_vocab_source: &'static str,
    bos: Option<u32>,
    max_ctx: Option<u32>,
    // Per-case state.
    n_ctx: usize,
    n_batch: usize,
    ids: Ints,
    ones: Ints,
    positions: Ints,
    use_cache: [bool; 1],
    /// The KV cache, in past-vector order: each slot is taken as a run's
    /// input and refilled from its `present.*` output, so a step allocates
    /// no vector for it.
    past: Vec<Option<DynValue>>,
    /// With a shared past/present buffer ([`Layout::share_buffer`]): the
    /// binding that holds each layer's max-length KV buffers as both its
    /// past input and present output (see the module notes).
    binding: Option<IoBinding>,
    /// Set by [`calibrate`]: each run folds the smallest and largest value
    /// of every `calib.*` output into this map (keyed without the prefix).
    calib: Option<BTreeMap<String, (f32, f32)>>,
    /// Per-sequence caches after `configure_parallel` (see [`batch`]).
    batched: Option<batch::Batched>,
    past_len: usize,
    logits: Option<DynValue>,
    configured: bool,
}

fn load_err(path: &Path, detail: String) -> BackendError {
    BackendError::Load {
        backend: ID.into(),
        path: path.to_path_buf(),
        detail,
    }
}

fn run_err(stage: &'static str, e: impl fmt::Display) -> BackendError {
    BackendError::Run {
        backend: ID.into(),
        stage,
        detail: e.to_string(),
    }
}

/// Creates a session; returns it and its creation time in milliseconds.
fn create_session(
    model: &Path,
    opts: &OnnxOptions,
    threads: Option<u32>,
) -> Result<(Session, bool, f64), BackendError> {
    let env = runtime::environment()?;
    let (dispatch, allow_cpu_fallback) = build_ep(opts.ep, &opts.ep_options)?;
    let e = |d: String| load_err(model, d);
    let start = Instant::now();
    let mut b = Session::builder(env).map_err(|x| e(x.to_string()))?;
    if let Some(t) = threads {
        b = b
            .with_intra_threads(t as usize)
            .map_err(|x| e(format!("intra-op threads {t}: {x}")))?;
    }
    if let Some(g) = opts.graph_optimization {
        b = b
            .with_optimization_level(level(g))
            .map_err(|x| e(format!("graph optimisation {}: {x}", g.id())))?;
    }
    if !allow_cpu_fallback {
        b = b
            .with_disable_cpu_fallback()
            .map_err(|x| e(x.to_string()))?;
    }
    // The CPU provider is ORT's default and needs no registration; ort's
    // `ep::CPU` registration would also turn the CPU memory arena off
    // (measured: ~10 % slower decode steps than a default session).
    let eps: &[ExecutionProviderDispatch] = if opts.ep == Ep::Cpu {
        &[]
    } else {
        std::slice::from_ref(&dispatch)
    };
    b = b
        .with_execution_providers(eps)
        .map_err(|x| BackendError::EpUnavailable {
            backend: opts.ep.backend_id().into(),
            detail: format!(
                "execution provider {} could not be registered with {}: {x}",
                opts.ep.ort_name(),
                runtime_info()
                    .map(|i| format!("ONNX Runtime {} at {}", i.version, i.library.display()))
                    .unwrap_or_default()
            ),
        })?;
    let session = b.commit_from_file(model).map_err(|x| {
        let msg = x.to_string();
        if !allow_cpu_fallback && opts.ep != Ep::Cpu {
            e(format!(
                "{msg} (the CPU fallback is off for '{}' ({ALLOW_CPU_FALLBACK}=0): a node it cannot run fails the load; drop that ep option to let such nodes go to the CPU provider)",
                opts.ep
            ))
        } else {
            e(msg)
        }
    })?;
    let ms = start.elapsed().as_secs_f64() * 1e3;
    Ok((session, allow_cpu_fallback, ms))
}

fn parse_bool(s: &str) -> Option<bool> {
    match s.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" => Some(true),
        "0" | "false" | "no" => Some(false),
        _ => None,
    }
}

impl OnnxBackend {
    /// Loads `model` (an `.onnx` file; external data beside it) on the
    /// requested execution provider. A provider that cannot be registered
    /// is an error containing "ep_unavailable"; there is no silent CPU
    /// fallback of the whole provider. Single nodes the provider does not
    /// take (ONNX Runtime places shape subgraphs on the CPU provider for
    /// CUDA and TensorRT) run on the CPU provider, as in any ONNX Runtime
    /// session, unless `allow_cpu_fallback=0`.
    pub fn load(model: &Path, opts: &OnnxOptions) -> Result<OnnxBackend, BackendError> {
        // Options first: a typo must not cost a model load.
        build_ep(opts.ep, &opts.ep_options)?;
        let (session, allow_cpu_fallback, load_ms) = create_session(model, opts, opts.threads)?;
        let genai = GenaiConfig::beside(model).map_err(|d| load_err(model, d))?;
        let (inputs, outputs) = io_specs(&session);
        let layout =
            layout::discover(&inputs, &outputs, genai.as_ref()).map_err(|d| load_err(model, d))?;
        let props: BTreeMap<&str, String> = match session.metadata() {
            Ok(m) => ["vocab_size", "bos_token_id", "add_bos_token"]
                .into_iter()
                .filter_map(|k| m.custom(k).map(|v| (k, v)))
                .collect(),
            Err(_) => BTreeMap::new(),
        };
        let custom = |k: &str| props.get(k).cloned();
        let config_json: Option<serde_json::Value> = model
            .parent()
            .map(|d| d.join("config.json"))
            .and_then(|p| std::fs::read_to_string(p).ok())
            .and_then(|t| serde_json::from_str(&t).ok());
        let cfg_u32 = |k: &str| {
            config_json
                .as_ref()
                .and_then(|c| c.get(k))
                .and_then(|v| v.as_u64())
                .map(|v| v as u32)
        };
        let (n_vocab, n_vocab_source) = layout
            .vocab_from_graph
            .map(|v| (v, "the graph"))
            .or_else(|| {
                custom("vocab_size")
                    .and_then(|v| v.trim().parse().ok())
                    .map(|v| (v, "metadata vocab_size"))
            })
            .or_else(|| {
                genai
                    .as_ref()
                    .and_then(|g| g.vocab_size)
                    .map(|v| (v, "genai_config.json"))
            })
            .or_else(|| cfg_u32("vocab_size").map(|v| (v, "config.json")))
            .ok_or_else(|| {
                load_err(
                    model,
                    format!(
                        "vocabulary size unknown: the '{}' output's last dimension is symbolic and \
                         neither metadata vocab_size, genai_config.json nor config.json give it",
                        layout.logits
                    ),
                )
            })?;
        let bos = match custom("bos_token_id").and_then(|v| v.trim().parse::<u32>().ok()) {
            Some(id) => {
                let add = custom("add_bos_token")
                    .and_then(|v| parse_bool(&v))
                    .unwrap_or(true);
                add.then_some(id)
            }
            None => genai
                .as_ref()
                .and_then(|g| g.bos_token_id)
                .or_else(|| cfg_u32("bos_token_id")),
        };
        let mut feeds = Vec::new();
        for i in &inputs {
            let n = i.name.as_str();
            let feed = if n == layout.input_ids {
                Feed::Ids
            } else if n == layout.attention_mask {
                Feed::Mask
            } else if Some(n) == layout.position_ids.as_deref() {
                Feed::Pos
            } else if Some(n) == layout.use_cache_branch.as_deref() {
                Feed::UseCache
            } else if let Some(p) = layout.layers.iter().enumerate().find_map(|(l, names)| {
                if names.past_key == n {
                    Some(2 * l)
                } else if names.past_value == n {
                    Some(2 * l + 1)
                } else {
                    None
                }
            }) {
                Feed::Past(p)
            } else {
                return Err(load_err(
                    model,
                    format!(
                        "the graph has an input '{n}' that is none of ids, mask, positions, \
                         use_cache_branch or the KV cache; edgebench does not know what to feed it"
                    ),
                ));
            };
            feeds.push(feed);
        }
        let present_names = layout
            .layers
            .iter()
            .flat_map(|l| [l.present_key.clone(), l.present_value.clone()])
            .collect();
        let max_ctx = genai.as_ref().and_then(|g| g.context_length);
        let ids = Ints::new(layout.ids_elem, std::iter::empty());
        let ones = Ints::new(layout.mask_elem, std::iter::empty());
        let positions = Ints::new(layout.pos_elem, std::iter::empty());
        Ok(OnnxBackend {
            model: model.to_path_buf(),
            opts: opts.clone(),
            session,
            layout,
            feeds,
            present_names,
            allow_cpu_fallback,
            session_threads: opts.threads,
            session_creations: 1,
            load_ms,
            n_vocab,
            n_vocab_source,
            bos,
            max_ctx,
            n_ctx: 0,
            n_batch: 1,
            ids,
            ones,
            positions,
            use_cache: [false],
            past: Vec::new(),
            binding: None,
            calib: None,
            batched: None,
            past_len: 0,
            logits: None,
            configured: false,
        })
    }

    /// Milliseconds the latest session creation took (model load, graph
    /// optimisation, EP compilation).
    pub fn load_ms(&self) -> f64 {
        self.load_ms
    }

    /// The decoder layout found in the graph.
    pub fn layout(&self) -> &Layout {
        &self.layout
    }

    /// Facts for the record, beyond [`Backend::describe`]: runtime library
    /// and version, EP and its options, CPU fallback (`cpu_ep_fallback`:
    /// "allowed", ONNX Runtime's per-node placement, the default; "disabled"
    /// with `allow_cpu_fallback=0`), threads, graph
    /// optimisation, layout, where the vocabulary size came from
    /// (`vocab_source`), KV type and shape, session creations.
    /// Per-EP node counts are not among them: ONNX Runtime's API does not
    /// report the partitioning (only its verbose log does).
    pub fn facts(&self) -> BTreeMap<String, String> {
        let mut f = BTreeMap::new();
        if let Ok(i) = runtime_info() {
            f.insert("ort_library".into(), i.library.display().to_string());
            f.insert("ort_version".into(), i.version);
        }
        f.insert("ort_crate".into(), runtime::ORT_CRATE_VERSION.into());
        f.insert("ep".into(), self.opts.ep.id().into());
        f.insert("ep_ort_name".into(), self.opts.ep.ort_name().into());
        for (k, v) in &self.opts.ep_options {
            f.insert(format!("ep_option.{k}"), v.clone());
        }
        f.insert(
            "cpu_ep_fallback".into(),
            if self.allow_cpu_fallback {
                "allowed"
            } else {
                "disabled"
            }
            .into(),
        );
        f.insert(
            "intra_op_threads".into(),
            self.session_threads
                .map(|t| t.to_string())
                .unwrap_or_else(|| "ort-default".into()),
        );
        f.insert(
            "graph_optimization".into(),
            self.opts
                .graph_optimization
                .map(|g| g.id())
                .unwrap_or("ort-default(all)")
                .into(),
        );
        f.insert("layout".into(), self.layout.kind.id().into());
        f.insert("vocab_source".into(), self.n_vocab_source.into());
        f.insert("layers".into(), self.layout.layers.len().to_string());
        f.insert("kv_heads".into(), self.layout.kv_heads.to_string());
        f.insert("head_dim".into(), self.layout.head_dim.to_string());
        f.insert(
            "kv_type".into(),
            match self.layout.kv_elem {
                Elem::F16 => "f16",
                _ => "f32",
            }
            .into(),
        );
        f.insert(
            "kv_buffer".into(),
            if self.layout.share_buffer {
                "shared past/present, n_ctx positions, IO binding"
            } else {
                "past in, present out, moved each step"
            }
            .into(),
        );
        f.insert("load_ms".into(), format!("{:.3}", self.load_ms));
        f.insert(
            "session_creations".into(),
            self.session_creations.to_string(),
        );
        f
    }

    fn kv_type(&self) -> TensorElementType {
        match self.layout.kv_elem {
            Elem::F16 => TensorElementType::Float16,
            _ => TensorElementType::Float32,
        }
    }

    fn empty_past(&mut self) -> Result<(), BackendError> {
        if self.layout.share_buffer {
            // The buffers stay: GroupQueryAttention reads only the first
            // `past + new` positions, which every sequence writes first.
            if self.binding.is_none() {
                self.bind_shared_kv()?;
            }
            self.past_len = 0;
            self.logits = None;
            return Ok(());
        }
        let ty = self.kv_type();
        let shape = [
            1usize,
            self.layout.kv_heads as usize,
            0,
            self.layout.head_dim as usize,
        ];
        self.past.clear();
        for _ in 0..2 * self.layout.layers.len() {
            let t = DynTensor::new(self.session.allocator(), ty, shape)
                .map_err(|e| run_err("clear", e))?;
            self.past.push(Some(t.into_dyn()));
        }
        self.past_len = 0;
        self.logits = None;
        Ok(())
    }

    /// Allocates each layer's key and value buffers of `n_ctx` positions
    /// (zeroed) and binds them as both past input and present output.
    fn bind_shared_kv(&mut self) -> Result<(), BackendError> {
        let e = |x: ort::Error| run_err("configure", format!("binding the shared KV buffer: {x}"));
        let ty = self.kv_type();
        let shape = [
            1usize,
            self.layout.kv_heads as usize,
            self.n_ctx,
            self.layout.head_dim as usize,
        ];
        let mut binding = self.session.create_binding().map_err(e)?;
        for names in &self.layout.layers {
            for (past, present) in [
                (&names.past_key, &names.present_key),
                (&names.past_value, &names.present_value),
            ] {
                let mut t = DynTensor::new(self.session.allocator(), ty, shape).map_err(e)?;
                match ty {
                    TensorElementType::Float16 => t
                        .try_extract_tensor_mut::<half::f16>()
                        .map_err(e)?
                        .1
                        .fill(half::f16::ZERO),
                    _ => t.try_extract_tensor_mut::<f32>().map_err(e)?.1.fill(0.0),
                }
                binding.bind_input(past.as_str(), &t).map_err(e)?;
                binding.bind_output(present.as_str(), &mut t).map_err(e)?;
            }
        }
        self.binding = Some(binding);
        Ok(())
    }

    /// [`Self::run`] on a shared past/present buffer: the step's ids, mask
    /// (and positions, when the graph has them) are bound, the KV buffers
    /// already are.
    fn run_shared(
        &mut self,
        n: usize,
        pos: usize,
        stage: &'static str,
    ) -> Result<(), BackendError> {
        let total = self.past_len + n;
        let e = |x: ort::Error| run_err(stage, x);
        let binding = self
            .binding
            .as_mut()
            .ok_or_else(|| run_err(stage, "no KV buffer: configure() was not called"))?;
        let layout = &self.layout;
        self.ids.bind(binding, &layout.input_ids, 0..n).map_err(e)?;
        self.ones
            .bind(binding, &layout.attention_mask, 0..total)
            .map_err(e)?;
        if let Some(p) = &layout.position_ids {
            self.positions.bind(binding, p, pos..pos + n).map_err(e)?;
        }
        if let Some(u) = &layout.use_cache_branch {
            self.use_cache[0] = self.past_len > 0;
            let v = Tensor::from_array(([1usize], self.use_cache.to_vec())).map_err(e)?;
            binding.bind_input(u.as_str(), &v).map_err(e)?;
        }
        // Rebound each step: a bound output keeps the shape of its last
        // run, and a step's row count changes.
        binding
            .bind_output_to_device(
                layout.logits.as_str(),
                self.session.allocator().memory_info(),
            )
            .map_err(e)?;
        let mut outputs = self.session.run_binding(binding).map_err(e)?;
        self.logits = outputs.remove(self.layout.logits.as_str());
        drop(outputs);
        self.past_len = total;
        Ok(())
    }

    /// One forward pass over `ids[..n]` at positions `pos..pos + n`.
    fn run(&mut self, n: usize, pos: usize, stage: &'static str) -> Result<(), BackendError> {
        let total = self.past_len + n;
        if total > self.n_ctx || pos + n > self.n_ctx {
            return Err(run_err(
                stage,
                format!(
                    "context full: {} cached + {n} new tokens (positions up to {}) exceed n_ctx {}",
                    self.past_len,
                    pos + n,
                    self.n_ctx
                ),
            ));
        }
        if self.layout.share_buffer {
            return self.run_shared(n, pos, stage);
        }
        if self.past.len() != self.present_names.len() || self.past.iter().any(Option::is_none) {
            return Err(run_err(stage, "no KV cache: clear() was not called"));
        }
        self.use_cache[0] = self.past_len > 0;
        let past = &mut self.past;
        let mut inputs: Vec<SessionInputValue<'_>> = Vec::with_capacity(self.feeds.len());
        for f in &self.feeds {
            let v: SessionInputValue<'_> = match *f {
                Feed::Ids => self.ids.input(0..n).map_err(|e| run_err(stage, e))?,
                Feed::Mask => self.ones.input(0..total).map_err(|e| run_err(stage, e))?,
                Feed::Pos => self
                    .positions
                    .input(pos..pos + n)
                    .map_err(|e| run_err(stage, e))?,
                Feed::UseCache => TensorRef::from_array_view(([1usize], &self.use_cache[..]))
                    .map_err(|e| run_err(stage, e))?
                    .into(),
                Feed::Past(i) => match past[i].take() {
                    Some(v) => SessionInputValue::Owned(v),
                    None => return Err(run_err(stage, "a KV slot was fed twice")),
                },
            };
            inputs.push(v);
        }
        let mut outputs = self
            .session
            .run(inputs.as_slice())
            .map_err(|e| run_err(stage, e))?;
        for (slot, name) in self.past.iter_mut().zip(&self.present_names) {
            *slot = Some(
                outputs
                    .remove(name.as_str())
                    .ok_or_else(|| run_err(stage, format!("the run returned no '{name}'")))?,
            );
        }
        self.logits = outputs.remove(self.layout.logits.as_str());
        if let Some(ranges) = self.calib.as_mut() {
            fold_ranges(ranges, &outputs).map_err(|e| run_err(stage, e))?;
        }
        drop(outputs);
        drop(inputs);
        self.past_len = total;
        Ok(())
    }

    /// The logits of the last position: the row `[.., seq - 1, :]` of the
    /// output as ONNX Runtime shaped it. Its real last dimension must equal
    /// `n_vocab`; when `n_vocab` was only read from metadata or a config
    /// file (the graph's dimension being symbolic) and the two differ, that
    /// is an error rather than a silently misaligned row (a padded
    /// vocabulary, for one).
    fn last_logits<R>(
        &self,
        stage: &'static str,
        f: impl FnOnce(&mut dyn Iterator<Item = f32>) -> R,
    ) -> Result<R, BackendError> {
        let l = self
            .logits
            .as_ref()
            .ok_or_else(|| run_err(stage, "no logits: nothing was run since the last clear"))?;
        let row = |shape: &[i64], len: usize| {
            last_row(
                shape,
                len,
                self.n_vocab,
                self.n_vocab_source,
                &self.layout.logits,
            )
            .map_err(|d| run_err(stage, d))
        };
        match self.layout.logits_elem {
            Elem::F16 => {
                let (shape, d) = l
                    .try_extract_tensor::<half::f16>()
                    .map_err(|e| run_err(stage, e))?;
                let last = &d[row(shape, d.len())?];
                Ok(f(&mut last.iter().map(|x| x.to_f32())))
            }
            _ => {
                let (shape, d) = l
                    .try_extract_tensor::<f32>()
                    .map_err(|e| run_err(stage, e))?;
                let last = &d[row(shape, d.len())?];
                Ok(f(&mut last.iter().copied()))
            }
        }
    }
}

/// Folds the min and max of each `calib.*` output into `ranges`.
fn fold_ranges(
    ranges: &mut BTreeMap<String, (f32, f32)>,
    outputs: &ort::session::SessionOutputs<'_>,
) -> Result<(), ort::Error> {
    for (name, v) in outputs.iter() {
        let Some(site) = name.strip_prefix(CALIB_PREFIX) else {
            continue;
        };
        let (_, d) = v.try_extract_tensor::<f32>()?;
        let r = ranges
            .entry(site.to_string())
            .or_insert((f32::INFINITY, f32::NEG_INFINITY));
        for &x in d {
            r.0 = r.0.min(x);
            r.1 = r.1.max(x);
        }
    }
    Ok(())
}

/// The prefix of the outputs [`calibrate`] reads.
pub const CALIB_PREFIX: &str = "calib.";

/// Runs `ids` (one sequence, one forward pass, empty cache) through the
/// model at `model` on the CPU provider with one thread (so the result
/// does not depend on how a sum was split between threads), and returns
/// the smallest and largest value of each of its `calib.*` outputs, keyed
/// without the prefix: the MinMax calibration of ONNX Runtime's static
/// quantizer, for a graph written with those outputs (`edgebench synth`'s
/// calibration twin). A graph without any is an error.
pub fn calibrate(model: &Path, ids: &[u32]) -> Result<BTreeMap<String, (f32, f32)>, BackendError> {
    let opts = OnnxOptions {
        ep: Ep::Cpu,
        ep_options: BTreeMap::new(),
        threads: Some(1),
        graph_optimization: None,
    };
    let mut b = OnnxBackend::load(model, &opts)?;
    let n = ids.len().max(1) as u32;
    b.configure(&ContextSettings {
        n_ctx: n,
        threads: 1,
        batch: n,
        ubatch: n,
        flash_attn: None,
        kv_type: None,
    })?;
    b.clear()?;
    b.calib = Some(BTreeMap::new());
    b.prefill(ids, 0)?;
    let ranges = b.calib.take().unwrap_or_default();
    if ranges.is_empty() {
        return Err(load_err(
            model,
            format!("calibration: the graph has no {CALIB_PREFIX}* outputs to measure"),
        ));
    }
    Ok(ranges)
}

/// The index of the largest value (the first of equals): greedy sampling.
fn argmax(it: &mut dyn Iterator<Item = f32>) -> u32 {
    let mut best = (0u32, f32::NEG_INFINITY);
    for (i, x) in it.enumerate() {
        if x > best.1 {
            best = (i as u32, x);
        }
    }
    best.0
}

/// The index range of the last position's row in a logits tensor of
/// `shape` holding `len` values: the last `shape[-1]` values, after checking
/// that `shape[-1]` is the vocabulary size `n_vocab` (from `source`).
fn last_row(
    shape: &[i64],
    len: usize,
    n_vocab: u32,
    source: &str,
    name: &str,
) -> Result<std::ops::Range<usize>, String> {
    let Some(&dim) = shape.last() else {
        return Err(format!("the '{name}' output is a scalar, not logits"));
    };
    let dim = usize::try_from(dim).unwrap_or(0);
    if dim != n_vocab as usize {
        return Err(format!(
            "the '{name}' output's last dimension is {dim} (shape {shape:?}), but the vocabulary \
             size is {n_vocab} (from {source}); the logits rows would be misaligned: fix \
             vocab_size in {source} to match the graph"
        ));
    }
    if dim == 0 || len < dim {
        return Err(format!(
            "the '{name}' output holds {len} values, less than one row of {dim}"
        ));
    }
    Ok(len - dim..len)
}

impl Backend for OnnxBackend {
    fn describe(&self) -> BackendDescription {
        let version = runtime_info()
            .map(|i| i.version)
            .unwrap_or_else(|_| "?".into());
        BackendDescription {
            id: format!("{ID}:{}", self.opts.ep),
            version: format!("onnxruntime {version} (ort {})", runtime::ORT_CRATE_VERSION),
            build_features: vec!["load-dynamic".into()],
            device: self.opts.ep.device_label(&self.opts.ep_options),
            execution_provider: Some(self.opts.ep.ort_name().into()),
            warnings: vec![],
        }
    }

    fn n_vocab(&self) -> u32 {
        self.n_vocab
    }

    fn bos_token(&self) -> Option<u32> {
        self.bos
    }

    fn configure(&mut self, settings: &ContextSettings) -> Result<(), BackendError> {
        let ctx_err = |detail: String| BackendError::Context {
            backend: ID.into(),
            detail,
        };
        if settings.flash_attn == Some(true) {
            return Err(ctx_err(
                "ONNX Runtime chooses its attention kernels itself; leave --fa unset".into(),
            ));
        }
        let model_kv = match self.layout.kv_elem {
            Elem::F16 => KvType::F16,
            _ => KvType::F32,
        };
        if let Some(k) = settings.kv_type
            && k != model_kv
        {
            return Err(ctx_err(format!(
                "the KV cache type is fixed by the ONNX export ({model_kv:?} here); {k:?} was asked"
            )));
        }
        if let Some(max) = self.max_ctx
            && settings.n_ctx > max
        {
            return Err(ctx_err(format!(
                "n_ctx {} exceeds the model's context_length {max} (genai_config.json)",
                settings.n_ctx
            )));
        }
        if self.session_threads != Some(settings.threads) {
            // Intra-op threads are fixed per session: recreate it.
            self.past.clear();
            self.logits = None;
            let (s, _, ms) = create_session(&self.model, &self.opts, Some(settings.threads))
                .map_err(|e| {
                    ctx_err(format!(
                        "recreating the session for {} threads: {e}",
                        settings.threads
                    ))
                })?;
            self.session = s;
            self.session_threads = Some(settings.threads);
            self.session_creations += 1;
            self.load_ms = ms;
        }
        self.n_ctx = settings.n_ctx.max(1) as usize;
        self.n_batch = settings.batch.max(1) as usize;
        self.ids = Ints::new(self.ids.elem(), std::iter::repeat_n(0, self.n_batch));
        self.ones = Ints::new(self.ones.elem(), std::iter::repeat_n(1, self.n_ctx));
        self.positions = Ints::new(self.positions.elem(), 0..self.n_ctx as i64);
        // A shared KV buffer is sized by n_ctx and bound to this session.
        self.binding = None;
        self.batched = None;
        self.configured = true;
        self.empty_past()
    }

    fn clear(&mut self) -> Result<(), BackendError> {
        if !self.configured {
            return Err(BackendError::Context {
                backend: ID.into(),
                detail: "no context: configure() was not called".into(),
            });
        }
        self.empty_past()
    }

    fn prefill(&mut self, tokens: &[u32], start_pos: u32) -> Result<(), BackendError> {
        let mut pos = start_pos as usize;
        for chunk in tokens.chunks(self.n_batch) {
            for (i, &t) in chunk.iter().enumerate() {
                self.ids.set(i, i64::from(t));
            }
            self.run(chunk.len(), pos, "prefill")?;
            pos += chunk.len();
        }
        Ok(())
    }

    fn decode(&mut self, token: u32, pos: u32) -> Result<(), BackendError> {
        if self.ids.is_empty() {
            return Err(run_err("decode", "configure() was not called"));
        }
        self.ids.set(0, i64::from(token));
        self.run(1, pos as usize, "decode")
    }

    fn synchronize(&mut self) {
        // Session::run returns once outputs are in host memory.
    }

    fn next_token(&mut self) -> Result<u32, BackendError> {
        self.last_logits("next_token", argmax)
    }

    fn logits(&mut self, out: &mut Vec<f32>) -> Result<(), BackendError> {
        out.clear();
        self.last_logits("logits", |it| out.extend(it))
    }

    fn configure_parallel(
        &mut self,
        settings: &ContextSettings,
        n_seq: u32,
    ) -> Result<(), BackendError> {
        self.configure_batched(settings, n_seq)
    }

    fn clear_seq(&mut self, seq: u32) -> Result<(), BackendError> {
        self.clear_batched_seq(seq)
    }

    fn step(&mut self, chunks: &[crate::backend::SeqChunk<'_>]) -> Result<(), BackendError> {
        self.step_batched(chunks)
    }

    fn next_token_at(&mut self, k: usize) -> Result<u32, BackendError> {
        Ok(argmax(&mut self.step_logits(k)?.iter().copied()))
    }

    fn logits_at(&mut self, k: usize, out: &mut Vec<f32>) -> Result<(), BackendError> {
        out.clear();
        out.extend_from_slice(self.step_logits(k)?);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn last_row_uses_the_real_shape() {
        assert_eq!(
            last_row(&[1, 3, 5], 15, 5, "the graph", "logits"),
            Ok(10..15)
        );
        assert_eq!(last_row(&[1, 5], 5, 5, "the graph", "logits"), Ok(0..5));
        // A padded vocabulary: the graph says 8, config.json said 5.
        let e = last_row(&[1, 3, 8], 24, 5, "config.json", "logits").unwrap_err();
        assert!(
            e.contains("'logits'") && e.contains("is 8") && e.contains("is 5"),
            "{e}"
        );
        assert!(e.contains("config.json"), "{e}");
        assert!(last_row(&[], 1, 5, "the graph", "logits").is_err());
        assert!(last_row(&[1, 0, 5], 0, 5, "the graph", "logits").is_err());
    }
}

/// An integer input's host buffer in the graph's element type: int64 as
/// Optimum exports, or int32 as some onnxruntime-genai exports declare
/// `input_ids`, `attention_mask` and `position_ids`.
#[derive(Debug)]
enum Ints {
    I64(Vec<i64>),
    I32(Vec<i32>),
}

impl Ints {
    fn new(elem: Elem, values: impl Iterator<Item = i64>) -> Ints {
        match elem {
            Elem::I32 => Ints::I32(values.map(|v| v as i32).collect()),
            _ => Ints::I64(values.collect()),
        }
    }

    fn elem(&self) -> Elem {
        match self {
            Ints::I64(_) => Elem::I64,
            Ints::I32(_) => Elem::I32,
        }
    }

    fn is_empty(&self) -> bool {
        match self {
            Ints::I64(v) => v.is_empty(),
            Ints::I32(v) => v.is_empty(),
        }
    }

    /// Sets element `i` (ids are below 2^31 and positions below the
    /// context, so int32 holds them).
    fn set(&mut self, i: usize, v: i64) {
        match self {
            Ints::I64(b) => b[i] = v,
            Ints::I32(b) => b[i] = v as i32,
        }
    }

    /// Binds a copy of `range` as the `[1, len]` input `name`, in an owned
    /// tensor: ort 2.0.0-rc.15's `bind_input` deadlocks when it clones a
    /// borrowed view itself (seen here: the first such bind hangs).
    fn bind(
        &self,
        binding: &mut IoBinding,
        name: &str,
        range: std::ops::Range<usize>,
    ) -> ort::Result<()> {
        let shape = [1usize, range.len()];
        match self {
            Ints::I64(b) => {
                binding.bind_input(name, &Tensor::from_array((shape, b[range].to_vec()))?)
            }
            Ints::I32(b) => {
                binding.bind_input(name, &Tensor::from_array((shape, b[range].to_vec()))?)
            }
        }
    }

    /// `range` as a `[1, len]` input, borrowed (no copy).
    fn input(&self, range: std::ops::Range<usize>) -> ort::Result<SessionInputValue<'_>> {
        let shape = [1usize, range.len()];
        Ok(match self {
            Ints::I64(b) => TensorRef::from_array_view((shape, &b[range]))?.into(),
            Ints::I32(b) => TensorRef::from_array_view((shape, &b[range]))?.into(),
        })
    }
}
