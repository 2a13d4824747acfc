//! Which decoder layout an ONNX graph has, found from its input and output
//! lists alone (a pure function, so it is unit-tested without a runtime).
//!
//! Two layouts are known:
//! - Hugging Face Optimum "with past" exports: inputs `input_ids`,
//!   `attention_mask`, optional `position_ids` and `use_cache_branch`,
//!   `past_key_values.N.key/value` shaped [batch, kv_heads, past_len,
//!   head_dim]; outputs `logits` [batch, seq, vocab] and `present.N.key/value`.
//! - onnxruntime-genai model-builder exports: the same tensors, but every name
//!   comes from `genai_config.json` beside the model (`model.decoder.inputs`
//!   and `.outputs`, with `%d` standing for the layer index), as do the head
//!   counts, BOS, vocabulary and `search.past_present_share_buffer`.
use std::path::Path;

/// Element type of a graph input or output, as far as the layout cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Elem {
    /// int64
    I64,
    /// int32
    I32,
    /// float32
    F32,
    /// float16
    F16,
    /// bool
    Bool,
    /// Anything else (bfloat16, float8, strings, sequences ...).
    Other,
}

impl Elem {
    fn name(self) -> &'static str {
        match self {
            Elem::I64 => "int64",
            Elem::I32 => "int32",
            Elem::F32 => "float32",
            Elem::F16 => "float16",
            Elem::Bool => "bool",
            Elem::Other => "another type",
        }
    }
}

/// One graph input or output: name, element type, shape (-1 = dynamic).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IoSpec {
    /// Tensor name.
    pub name: String,
    /// Element type.
    pub elem: Elem,
    /// Dimensions; -1 where the graph leaves one symbolic.
    pub shape: Vec<i64>,
}

impl IoSpec {
    /// Shorthand for tests and callers building lists by hand.
    pub fn new(name: &str, elem: Elem, shape: &[i64]) -> IoSpec {
        IoSpec {
            name: name.into(),
            elem,
            shape: shape.to_vec(),
        }
    }
}

/// What `genai_config.json` says (only the fields used here).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct GenaiConfig {
    /// `model.decoder.inputs.input_ids`
    pub input_ids: Option<String>,
    /// `model.decoder.inputs.attention_mask`
    pub attention_mask: Option<String>,
    /// `model.decoder.inputs.position_ids`
    pub position_ids: Option<String>,
    /// `model.decoder.inputs.past_key_names`, e.g. "past_key_values.%d.key"
    pub past_key: Option<String>,
    /// `model.decoder.inputs.past_value_names`
    pub past_value: Option<String>,
    /// `model.decoder.outputs.logits`
    pub logits: Option<String>,
    /// `model.decoder.outputs.present_key_names`, e.g. "present.%d.key"
    pub present_key: Option<String>,
    /// `model.decoder.outputs.present_value_names`
    pub present_value: Option<String>,
    /// `model.decoder.num_key_value_heads`
    pub kv_heads: Option<i64>,
    /// `model.decoder.head_size`
    pub head_size: Option<i64>,
    /// `model.decoder.num_hidden_layers`
    pub layers: Option<usize>,
    /// `model.context_length`
    pub context_length: Option<u32>,
    /// `model.vocab_size`
    pub vocab_size: Option<u32>,
    /// `model.bos_token_id`
    pub bos_token_id: Option<u32>,
    /// `search.past_present_share_buffer`
    pub past_present_share_buffer: bool,
}

impl GenaiConfig {
    /// Parses the text of a `genai_config.json`.
    pub fn parse(text: &str) -> Result<GenaiConfig, String> {
        let v: serde_json::Value =
            serde_json::from_str(text).map_err(|e| format!("genai_config.json: {e}"))?;
        let model = v
            .get("model")
            .ok_or("genai_config.json has no \"model\" object")?;
        let dec = model
            .get("decoder")
            .ok_or("genai_config.json has no \"model.decoder\" object")?;
        let s = |o: Option<&serde_json::Value>, k: &str| {
            o.and_then(|o| o.get(k))
                .and_then(|x| x.as_str())
                .map(str::to_string)
        };
        let n = |o: &serde_json::Value, k: &str| o.get(k).and_then(|x| x.as_i64());
        let ins = dec.get("inputs");
        let outs = dec.get("outputs");
        Ok(GenaiConfig {
            input_ids: s(ins, "input_ids"),
            attention_mask: s(ins, "attention_mask"),
            position_ids: s(ins, "position_ids"),
            past_key: s(ins, "past_key_names"),
            past_value: s(ins, "past_value_names"),
            logits: s(outs, "logits"),
            present_key: s(outs, "present_key_names"),
            present_value: s(outs, "present_value_names"),
            kv_heads: n(dec, "num_key_value_heads"),
            head_size: n(dec, "head_size"),
            layers: n(dec, "num_hidden_layers").map(|x| x.max(0) as usize),
            context_length: n(model, "context_length").map(|x| x.clamp(0, u32::MAX as i64) as u32),
            vocab_size: n(model, "vocab_size").map(|x| x.clamp(0, u32::MAX as i64) as u32),
            bos_token_id: n(model, "bos_token_id")
                .filter(|&x| x >= 0)
                .map(|x| x as u32),
            past_present_share_buffer: v
                .get("search")
                .and_then(|s| s.get("past_present_share_buffer"))
                .and_then(|x| x.as_bool())
                .unwrap_or(false),
        })
    }

    /// Reads `genai_config.json` from the model's folder, if there is one.
    pub fn beside(model: &Path) -> Result<Option<GenaiConfig>, String> {
        let path = model
            .parent()
            .unwrap_or(Path::new("."))
            .join("genai_config.json");
        match std::fs::read_to_string(&path) {
            Ok(text) => GenaiConfig::parse(&text)
                .map(Some)
                .map_err(|e| format!("{}: {e}", path.display())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(format!("{}: {e}", path.display())),
        }
    }
}

/// Names of one layer's KV tensors.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LayerNames {
    /// past key input
    pub past_key: String,
    /// past value input
    pub past_value: String,
    /// present key output
    pub present_key: String,
    /// present value output
    pub present_value: String,
}

/// Which exporter's conventions the graph follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LayoutKind {
    /// Hugging Face Optimum.
    Optimum,
    /// onnxruntime-genai model builder (names from genai_config.json).
    Genai,
}

impl LayoutKind {
    /// "optimum" or "genai".
    pub fn id(self) -> &'static str {
        match self {
            LayoutKind::Optimum => "optimum",
            LayoutKind::Genai => "genai",
        }
    }
}

/// A decoder graph with a KV cache, as this backend drives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    /// Exporter conventions.
    pub kind: LayoutKind,
    /// Token ids input (int64 or int32 [batch, seq]).
    pub input_ids: String,
    /// Its element type.
    pub ids_elem: Elem,
    /// Attention mask input (int64 or int32 [batch, past + seq]).
    pub attention_mask: String,
    /// Its element type.
    pub mask_elem: Elem,
    /// Position ids input (int64 or int32 [batch, seq]), when the graph has one.
    pub position_ids: Option<String>,
    /// Its element type (int64 when there is none).
    pub pos_elem: Elem,
    /// Optimum merged decoders' `use_cache_branch` (bool [1]).
    pub use_cache_branch: Option<String>,
    /// Logits output ([batch, seq, vocab]).
    pub logits: String,
    /// Logits element type (f32 or f16).
    pub logits_elem: Elem,
    /// Per-layer KV names, layer 0 first.
    pub layers: Vec<LayerNames>,
    /// KV element type (f32 or f16), kept as the model has it.
    pub kv_elem: Elem,
    /// KV heads (dim 1 of a past input).
    pub kv_heads: i64,
    /// Head size (dim 3 of a past input).
    pub head_dim: i64,
    /// Vocabulary size from the logits' last dimension, when static.
    pub vocab_from_graph: Option<u32>,
    /// genai's `past_present_share_buffer`.
    pub share_buffer: bool,
}

fn find<'a>(list: &'a [IoSpec], name: &str) -> Option<&'a IoSpec> {
    list.iter().find(|s| s.name == name)
}

fn template(t: &str, i: usize) -> String {
    t.replace("%d", &i.to_string())
}

fn check(spec: &IoSpec, want: &[Elem], rank: usize, role: &str) -> Result<(), String> {
    if !want.contains(&spec.elem) {
        let names: Vec<&str> = want.iter().map(|e| e.name()).collect();
        return Err(format!(
            "input/output '{}' ({role}) is {}, expected {}",
            spec.name,
            spec.elem.name(),
            names.join(" or ")
        ));
    }
    if spec.shape.len() != rank {
        return Err(format!(
            "'{}' ({role}) has {} dimension(s) {:?}, expected {rank}",
            spec.name,
            spec.shape.len(),
            spec.shape
        ));
    }
    Ok(())
}

/// The tensor names a layout is looked up by: genai_config.json's, with
/// Optimum's names where it says nothing, or Optimum's alone.
struct Names {
    kind: LayoutKind,
    ids: String,
    mask: String,
    pos: Option<String>,
    /// Templates with `%d` for the layer index.
    past_key: String,
    past_value: String,
    logits: String,
    present_key: String,
    present_value: String,
}

impl Names {
    fn of(genai: Option<&GenaiConfig>) -> Names {
        let or = |v: &Option<String>, d: &str| v.clone().unwrap_or_else(|| d.into());
        match genai {
            Some(g) => Names {
                kind: LayoutKind::Genai,
                ids: or(&g.input_ids, "input_ids"),
                mask: or(&g.attention_mask, "attention_mask"),
                pos: g.position_ids.clone(),
                past_key: or(&g.past_key, "past_key_values.%d.key"),
                past_value: or(&g.past_value, "past_key_values.%d.value"),
                logits: or(&g.logits, "logits"),
                present_key: or(&g.present_key, "present.%d.key"),
                present_value: or(&g.present_value, "present.%d.value"),
            },
            None => Names {
                kind: LayoutKind::Optimum,
                ids: "input_ids".into(),
                mask: "attention_mask".into(),
                pos: Some("position_ids".into()),
                past_key: "past_key_values.%d.key".into(),
                past_value: "past_key_values.%d.value".into(),
                logits: "logits".into(),
                present_key: "present.%d.key".into(),
                present_value: "present.%d.value".into(),
            },
        }
    }
}

/// Finds the decoder layout of a graph from its inputs and outputs (and the
/// genai_config.json beside it, if any). Every refusal names what is missing
/// or wrong.
pub fn discover(
    inputs: &[IoSpec],
    outputs: &[IoSpec],
    genai: Option<&GenaiConfig>,
) -> Result<Layout, String> {
    let names = Names::of(genai);
    check_ids_and_mask(inputs, &names)?;
    let position_ids = position_input(inputs, &names, genai)?;
    let use_cache_branch = use_cache_input(inputs)?;
    let logits_spec = find(outputs, &names.logits)
        .ok_or_else(|| format!("the graph has no '{}' output", names.logits))?;
    check(logits_spec, &[Elem::F32, Elem::F16], 3, "logits")?;
    let layers = kv_layers(inputs, outputs, &names, genai)?;
    let (kv_elem, kv_heads, head_dim) = kv_shape(inputs, outputs, &layers, genai)?;
    let vocab_from_graph = logits_spec
        .shape
        .last()
        .filter(|&&v| v > 0)
        .map(|&v| v as u32);
    let elem_of = |name: &str| find(inputs, name).map_or(Elem::I64, |s| s.elem);
    Ok(Layout {
        kind: names.kind,
        ids_elem: elem_of(&names.ids),
        mask_elem: elem_of(&names.mask),
        pos_elem: position_ids.as_deref().map_or(Elem::I64, elem_of),
        input_ids: names.ids,
        attention_mask: names.mask,
        position_ids,
        use_cache_branch,
        logits: names.logits,
        logits_elem: logits_spec.elem,
        layers,
        kv_elem,
        kv_heads,
        head_dim,
        vocab_from_graph,
        share_buffer: genai.is_some_and(|g| g.past_present_share_buffer),
    })
}

fn check_ids_and_mask(inputs: &[IoSpec], names: &Names) -> Result<(), String> {
    let ids = &names.ids;
    let ids_spec = find(inputs, ids).ok_or_else(|| {
        format!("the graph has no '{ids}' input; it does not look like a decoder LLM export")
    })?;
    check(ids_spec, &[Elem::I64, Elem::I32], 2, "token ids")?;
    let mask = &names.mask;
    let mask_spec = find(inputs, mask)
        .ok_or_else(|| format!("the graph has no '{mask}' input (attention mask)"))?;
    check(mask_spec, &[Elem::I64, Elem::I32], 2, "attention mask")
}

/// The position ids input: optional for Optimum, required when
/// genai_config.json names one.
fn position_input(
    inputs: &[IoSpec],
    names: &Names,
    genai: Option<&GenaiConfig>,
) -> Result<Option<String>, String> {
    match names.pos.as_deref().and_then(|p| find(inputs, p)) {
        Some(p) => {
            check(p, &[Elem::I64, Elem::I32], 2, "position ids")?;
            Ok(Some(p.name.clone()))
        }
        None if genai.is_some() && names.pos.is_some() => Err(format!(
            "genai_config.json names position_ids input '{}' but the graph has no such input",
            names.pos.clone().unwrap_or_default()
        )),
        None => Ok(None),
    }
}

/// Optimum merged decoders' `use_cache_branch`, when present.
fn use_cache_input(inputs: &[IoSpec]) -> Result<Option<String>, String> {
    match find(inputs, "use_cache_branch") {
        Some(u) => {
            if u.elem != Elem::Bool {
                return Err(format!(
                    "'use_cache_branch' is {}, expected bool",
                    u.elem.name()
                ));
            }
            Ok(Some(u.name.clone()))
        }
        None => Ok(None),
    }
}

/// The KV layers: contiguous indices from 0, each with its past inputs and
/// present outputs.
fn kv_layers(
    inputs: &[IoSpec],
    outputs: &[IoSpec],
    names: &Names,
    genai: Option<&GenaiConfig>,
) -> Result<Vec<LayerNames>, String> {
    let mut layers = Vec::new();
    while let Some(k) = find(inputs, &template(&names.past_key, layers.len())) {
        let i = layers.len();
        let v_name = template(&names.past_value, i);
        find(inputs, &v_name)
            .ok_or_else(|| format!("the graph has a '{}' input but no '{v_name}' input", k.name))?;
        let layer = LayerNames {
            past_key: k.name.clone(),
            past_value: v_name,
            present_key: template(&names.present_key, i),
            present_value: template(&names.present_value, i),
        };
        for (past, present) in [
            (&layer.past_key, &layer.present_key),
            (&layer.past_value, &layer.present_value),
        ] {
            if find(outputs, present).is_none() {
                return Err(format!(
                    "the graph has a '{past}' input but no '{present}' output"
                ));
            }
        }
        layers.push(layer);
    }
    if layers.is_empty() {
        let extra = match names.kind {
            LayoutKind::Optimum => {
                " (an Optimum export without past: re-export with \
                 `optimum-cli export onnx --task text-generation-with-past`)"
            }
            LayoutKind::Genai => "",
        };
        return Err(format!(
            "the graph has no '{}' input: it is a decoder without a KV cache; edgebench \
             needs a with-past export{extra}",
            template(&names.past_key, 0)
        ));
    }
    if let Some(n) = genai.and_then(|g| g.layers)
        && n != layers.len()
    {
        return Err(format!(
            "genai_config.json says {n} layers but the graph has {} past key inputs",
            layers.len()
        ));
    }
    Ok(layers)
}

/// The KV element type, heads and head size: one element type for every KV
/// tensor, heads and head size from the past inputs or genai_config.json.
fn kv_shape(
    inputs: &[IoSpec],
    outputs: &[IoSpec],
    layers: &[LayerNames],
    genai: Option<&GenaiConfig>,
) -> Result<(Elem, i64, i64), String> {
    let first = find(inputs, &layers[0].past_key).expect("found above");
    let kv_elem = first.elem;
    let mut kv_heads = -1;
    let mut head_dim = -1;
    for l in layers {
        for (name, list) in [
            (&l.past_key, inputs),
            (&l.past_value, inputs),
            (&l.present_key, outputs),
            (&l.present_value, outputs),
        ] {
            let s = find(list, name).expect("found above");
            check(s, &[Elem::F32, Elem::F16], 4, "KV cache")?;
            if s.elem != kv_elem {
                return Err(format!(
                    "'{}' is {} but '{}' is {}; mixed KV element types are not supported",
                    s.name,
                    s.elem.name(),
                    first.name,
                    kv_elem.name()
                ));
            }
            if list == inputs {
                kv_heads = kv_heads.max(s.shape[1]);
                head_dim = head_dim.max(s.shape[3]);
            }
        }
    }
    if kv_heads < 1 {
        kv_heads = genai.and_then(|g| g.kv_heads).unwrap_or(-1);
    }
    if head_dim < 1 {
        head_dim = genai.and_then(|g| g.head_size).unwrap_or(-1);
    }
    if kv_heads < 1 || head_dim < 1 {
        return Err(format!(
            "'{}' has symbolic KV heads or head size {:?} and nothing gives them \
             (genai_config.json num_key_value_heads/head_size)",
            first.name, first.shape
        ));
    }
    Ok((kv_elem, kv_heads, head_dim))
}

#[cfg(test)]
#[path = "layout_tests.rs"]
mod tests;
