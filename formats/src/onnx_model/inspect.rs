//! Reading a `.onnx` file: what it declares (opsets, producer, metadata,
//! inputs and outputs, initializers, operators) and whether its external
//! data references are safe to follow.
//!
//! External data is only accepted when it stays inside the model's folder
//! (RELIABILITY rule 12): the `location` must be a relative path without
//! `..`, every component must be a real directory or regular file (no
//! symbolic links), and `offset + length` must lie within the file. This
//! holds for every tensor ONNX Runtime could read, not only the main graph's
//! initializers: sparse initializers (values and indices), tensors in node
//! attributes (`Constant`'s `value`, `sparse_value`, any `t`/`tensors`), and
//! all of these inside subgraphs (`If`/`Loop`/`Scan` bodies, at any depth)
//! and model-local functions.

use super::proto::{
    AttributeProto, DATA_LOCATION_EXTERNAL, DimensionValue, GraphProto, ModelProto, NodeProto,
    SparseTensorProto, TensorProto, ValueInfoProto, data_type,
};
use prost::Message;
use std::collections::{BTreeMap, HashMap};
use std::fs;
use std::io;
use std::path::{Component, Path, PathBuf};

/// Why a `.onnx` file cannot be used. Every message names the file.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OnnxModelError {
    /// The file does not exist.
    #[error("{}: no such ONNX model file; check the path", path.display())]
    Missing {
        /// The model file.
        path: PathBuf,
    },
    /// The file exists but cannot be read.
    #[error("{}: cannot read the ONNX model: {source}; check the file's permissions", path.display())]
    Read {
        /// The model file.
        path: PathBuf,
        /// The I/O error.
        source: io::Error,
    },
    /// The file is a Git LFS pointer, not the model.
    #[error(
        "{}: is a Git LFS pointer (a small text file), not the ONNX model; run `git lfs pull` in its repository or download the real file",
        path.display()
    )]
    LfsPointer {
        /// The model file.
        path: PathBuf,
    },
    /// The bytes are not an ONNX protobuf.
    #[error(
        "{}: not a valid ONNX model ({reason}); the file is corrupt, truncated or not ONNX: download or export it again",
        path.display()
    )]
    Corrupt {
        /// The model file.
        path: PathBuf,
        /// What the decoder found.
        reason: String,
    },
    /// The model has no graph.
    #[error("{}: the ONNX model has no graph; it cannot be run: export it again", path.display())]
    NoGraph {
        /// The model file.
        path: PathBuf,
    },
    /// A tensor's external data reference is unsafe or broken.
    #[error(
        "{}: {tensor} has external data at '{location}': {reason}; refusing the model (external data must be a regular file inside the model's folder)",
        path.display()
    )]
    ExternalData {
        /// The model file.
        path: PathBuf,
        /// Which tensor, in words: `initializer 'w'`, or `tensor 'c' in
        /// attribute 'value' of node 'n' (Constant) in graph 'g'`.
        tensor: String,
        /// The `location` as written in the model.
        location: String,
        /// What is wrong.
        reason: String,
    },
}

/// One imported operator set.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OpsetImport {
    /// The domain (`""` is `ai.onnx`).
    pub domain: String,
    /// The version.
    pub version: i64,
}

/// One dimension of an input or output.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Dim {
    /// A fixed size.
    Fixed(i64),
    /// A named size, e.g. `batch_size`.
    Symbolic(String),
    /// Neither given.
    Unknown,
}

/// A graph input or output.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValueInfo {
    /// The name.
    pub name: String,
    /// The element type's ONNX name (`"float"`, `"int64"`), or `"non-tensor"`.
    pub elem_type: String,
    /// The dimensions (empty when the rank is unknown or the value a scalar).
    pub dims: Vec<Dim>,
}

/// Where an initializer's bytes are.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Storage {
    /// In the `.onnx` file.
    Inline,
    /// In an external file (already checked to be inside the model's folder).
    External {
        /// The `location`, relative to the model's folder.
        location: String,
        /// Byte offset in that file.
        offset: u64,
        /// Byte length.
        length: u64,
    },
}

/// One initializer (weight or constant).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InitializerInfo {
    /// The name.
    pub name: String,
    /// The element type's ONNX name.
    pub data_type: String,
    /// The shape.
    pub dims: Vec<i64>,
    /// Bytes as stored.
    pub byte_size: u64,
    /// Where the bytes are.
    pub storage: Storage,
    /// Whether the graph only uses it as the data input (input 0) of
    /// `Gather`/`GatherBlockQuantized`: an embedding table, of which a decode
    /// step reads one row per token rather than the whole tensor.
    pub embedding_only: bool,
}

/// What a `.onnx` file declares.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OnnxInfo {
    /// The model file.
    pub path: PathBuf,
    /// The IR version.
    pub ir_version: i64,
    /// Imported operator sets.
    pub opset_imports: Vec<OpsetImport>,
    /// The tool that wrote it, with its version when given (`"pytorch 2.3"`).
    pub producer: String,
    /// `metadata_props` (a later duplicate key wins).
    pub metadata: BTreeMap<String, String>,
    /// Graph inputs that are not initializers.
    pub inputs: Vec<ValueInfo>,
    /// Graph outputs.
    pub outputs: Vec<ValueInfo>,
    /// Initializers, in file order.
    pub initializers: Vec<InitializerInfo>,
    /// Operators used by the main graph and how often: `op_type`, prefixed
    /// by `domain:` outside the default domain (`com.microsoft:MatMulNBits`).
    pub op_types: BTreeMap<String, usize>,
}

impl OnnxInfo {
    /// Bytes of initializers one decode step reads: all of them, at their
    /// stored size, except embedding tables (see
    /// [`InitializerInfo::embedding_only`]).
    pub fn decode_weight_bytes(&self) -> u64 {
        self.initializers
            .iter()
            .filter(|i| !i.embedding_only)
            .fold(0u64, |n, i| n.saturating_add(i.byte_size))
    }

    /// Bytes of all initializers as stored.
    pub fn total_weight_bytes(&self) -> u64 {
        self.initializers
            .iter()
            .fold(0u64, |n, i| n.saturating_add(i.byte_size))
    }

    /// The external-data files the initializers live in, resolved against
    /// the model's folder, each once, in the order first named.
    pub fn external_files(&self) -> Vec<PathBuf> {
        let dir = self.path.parent().unwrap_or(Path::new("."));
        let mut out: Vec<PathBuf> = vec![];
        for i in &self.initializers {
            if let Storage::External { location, .. } = &i.storage {
                let p = dir.join(location);
                if !out.contains(&p) {
                    out.push(p);
                }
            }
        }
        out
    }

    /// Size on disk of the external-data files.
    pub fn external_files_bytes(&self) -> u64 {
        self.external_files()
            .iter()
            .filter_map(|p| fs::metadata(p).ok())
            .map(|m| m.len())
            .sum()
    }

    /// Number of layers: `num_hidden_layers` metadata, else the number of
    /// `past_key_values.N.key` inputs.
    pub fn n_layers(&self) -> Option<u32> {
        self.metadata
            .get("num_hidden_layers")
            .and_then(|v| v.trim().parse().ok())
            .or_else(|| {
                let n = self
                    .inputs
                    .iter()
                    .filter(|v| v.name.starts_with("past_key_values.") && v.name.ends_with(".key"))
                    .count();
                (n > 0).then_some(n as u32)
            })
    }

    /// Parameters: the `edgebench.n_params` metadata of a synthetic twin,
    /// else the element count of the float initializers plus two 4-bit or
    /// one 8-bit weight per byte of `MatMulNBits` blobs (an estimate: the
    /// graph does not say which uint8 tensors hold 4-bit weights, so uint8
    /// initializers count as 4-bit when the graph uses 4-bit MatMulNBits).
    pub fn n_params(&self) -> u64 {
        if let Some(n) = self
            .metadata
            .get("edgebench.n_params")
            .and_then(|v| v.trim().parse().ok())
        {
            return n;
        }
        // Dimensions come from the file: a crafted one saturates, never
        // overflows.
        self.initializers
            .iter()
            .map(|i| match i.data_type.as_str() {
                "uint8" | "int8" if self.op_types.contains_key("com.microsoft:MatMulNBits") => {
                    elements(&i.dims).saturating_mul(2)
                }
                _ => elements(&i.dims),
            })
            .fold(0u64, u64::saturating_add)
    }

    /// Whether the graph quantises activations (`QuantizeLinear` or
    /// `DynamicQuantizeLinear`, as static and dynamic QDQ exports do): its
    /// numbers are a quantised model's whatever its weights' type.
    pub fn quantises_activations(&self) -> bool {
        ["QuantizeLinear", "DynamicQuantizeLinear"]
            .iter()
            .any(|op| self.op_types.contains_key(*op))
    }

    /// How the weights are stored, in words: `edgebench.synth.quant` for a
    /// twin, else `matmulnbits` when the graph uses MatMulNBits, `qdq` when
    /// it dequantises weights with `DequantizeLinear`, else the
    /// element type holding most initializer bytes (`f32`, `f16`...).
    pub fn weight_encoding(&self) -> String {
        if self.op_types.contains_key("com.microsoft:MatMulNBits") {
            return "matmulnbits".into();
        }
        if self.op_types.contains_key("DequantizeLinear") {
            return "qdq".into();
        }
        let mut by_type: BTreeMap<&str, u64> = BTreeMap::new();
        for i in &self.initializers {
            *by_type.entry(i.data_type.as_str()).or_insert(0) += i.byte_size;
        }
        match by_type.into_iter().max_by_key(|(_, b)| *b) {
            Some(("float", _)) => "f32".into(),
            Some(("float16", _)) => "f16".into(),
            Some(("bfloat16", _)) => "bf16".into(),
            Some((t, _)) => t.to_string(),
            None => "unknown".into(),
        }
    }

    /// The input or output named `name`.
    pub fn value(&self, name: &str) -> Option<&ValueInfo> {
        self.inputs
            .iter()
            .chain(&self.outputs)
            .find(|v| v.name == name)
    }
}

const LFS_PREFIX: &[u8] = b"version https://git-lfs.github.com/spec/";

/// Reads and checks the `.onnx` file at `path`, including every external
/// data reference (relative to the file's folder).
pub fn inspect(path: &Path) -> Result<OnnxInfo, OnnxModelError> {
    let bytes = fs::read(path).map_err(|source| {
        if source.kind() == io::ErrorKind::NotFound {
            OnnxModelError::Missing {
                path: path.to_path_buf(),
            }
        } else {
            OnnxModelError::Read {
                path: path.to_path_buf(),
                source,
            }
        }
    })?;
    inspect_bytes(path, &bytes)
}

/// As [`inspect`], for the file's bytes already in memory; `path` names the
/// file in errors and its folder anchors external data.
pub fn inspect_bytes(path: &Path, bytes: &[u8]) -> Result<OnnxInfo, OnnxModelError> {
    let corrupt = |reason: String| OnnxModelError::Corrupt {
        path: path.to_path_buf(),
        reason,
    };
    if bytes.starts_with(LFS_PREFIX) {
        return Err(OnnxModelError::LfsPointer {
            path: path.to_path_buf(),
        });
    }
    if bytes.is_empty() {
        return Err(corrupt("the file is empty".into()));
    }
    let model = ModelProto::decode(bytes).map_err(|e| corrupt(format!("protobuf: {e}")))?;
    let Some(graph) = model.graph else {
        if model.ir_version == 0 && model.opset_import.is_empty() {
            return Err(corrupt("no IR version, opset or graph".into()));
        }
        return Err(OnnxModelError::NoGraph {
            path: path.to_path_buf(),
        });
    };

    // How each initializer is used: as Gather data only, or otherwise.
    let mut gather_data: HashMap<&str, bool> = HashMap::new();
    let mut other_use: HashMap<&str, bool> = HashMap::new();
    let mut op_types = BTreeMap::new();
    for node in &graph.node {
        let key = if node.domain.is_empty() || node.domain == "ai.onnx" {
            node.op_type.clone()
        } else {
            format!("{}:{}", node.domain, node.op_type)
        };
        *op_types.entry(key).or_insert(0) += 1;
        let is_gather = matches!(node.op_type.as_str(), "Gather" | "GatherBlockQuantized");
        for (i, input) in node.input.iter().enumerate() {
            if is_gather && i == 0 {
                gather_data.insert(input, true);
            } else {
                other_use.insert(input, true);
            }
        }
    }

    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let mut initializers = Vec::with_capacity(graph.initializer.len());
    for t in &graph.initializer {
        let storage = external_storage(path, &dir, t, || format!("initializer '{}'", t.name))?;
        let byte_size = match &storage {
            Storage::External { length, .. } => *length,
            Storage::Inline => inline_size(t),
        };
        let name = t.name.as_str();
        initializers.push(InitializerInfo {
            name: t.name.clone(),
            data_type: data_type::name(t.data_type),
            dims: t.dims.clone(),
            byte_size,
            storage,
            embedding_only: gather_data.contains_key(name) && !other_use.contains_key(name),
        });
    }

    // Every other tensor: checked, not listed among the initializers.
    for s in &graph.sparse_initializer {
        check_sparse(
            path,
            &dir,
            s,
            &format!("sparse initializer of graph '{}'", graph.name),
        )?;
    }
    check_nodes(path, &dir, &graph.node, &format!("graph '{}'", graph.name))?;
    for f in &model.functions {
        check_nodes(path, &dir, &f.node, &format!("function '{}'", f.name))?;
        for a in &f.attribute_proto {
            check_attribute(path, &dir, a, &format!("default of function '{}'", f.name))?;
        }
    }

    let init_names: std::collections::HashSet<&str> =
        graph.initializer.iter().map(|t| t.name.as_str()).collect();
    let producer = match (
        model.producer_name.is_empty(),
        model.producer_version.is_empty(),
    ) {
        (false, false) => format!("{} {}", model.producer_name, model.producer_version),
        _ => format!("{}{}", model.producer_name, model.producer_version),
    };
    Ok(OnnxInfo {
        path: path.to_path_buf(),
        ir_version: model.ir_version,
        opset_imports: model
            .opset_import
            .iter()
            .map(|o| OpsetImport {
                domain: o.domain.clone(),
                version: o.version,
            })
            .collect(),
        producer,
        metadata: model
            .metadata_props
            .into_iter()
            .map(|e| (e.key, e.value))
            .collect(),
        inputs: graph
            .input
            .iter()
            .filter(|v| !init_names.contains(v.name.as_str()))
            .map(value_info)
            .collect(),
        outputs: graph.output.iter().map(value_info).collect(),
        initializers,
        op_types,
    })
}

fn value_info(v: &ValueInfoProto) -> ValueInfo {
    let tensor = v.r#type.as_ref().and_then(|t| t.tensor_type.as_ref());
    ValueInfo {
        name: v.name.clone(),
        elem_type: tensor.map_or_else(|| "non-tensor".into(), |t| data_type::name(t.elem_type)),
        dims: tensor
            .and_then(|t| t.shape.as_ref())
            .map(|s| {
                s.dim
                    .iter()
                    .map(|d| match &d.value {
                        Some(DimensionValue::DimValue(n)) => Dim::Fixed(*n),
                        Some(DimensionValue::DimParam(p)) if !p.is_empty() => {
                            Dim::Symbolic(p.clone())
                        }
                        _ => Dim::Unknown,
                    })
                    .collect()
            })
            .unwrap_or_default(),
    }
}

/// The element count of a tensor of shape `dims` (negative dimensions count
/// as 0), saturating at `u64::MAX`: the dimensions come from the file, and a
/// crafted one must not overflow.
pub fn elements(dims: &[i64]) -> u64 {
    dims.iter()
        .fold(1u64, |n, &d| n.saturating_mul(d.max(0) as u64))
}

/// Bytes of an inline tensor as stored (saturating, see [`elements`]).
fn inline_size(t: &TensorProto) -> u64 {
    if !t.raw_data.is_empty() {
        return t.raw_data.len() as u64;
    }
    if t.data_type == data_type::STRING {
        return t.string_data.iter().map(|s| s.len() as u64).sum();
    }
    let n = elements(&t.dims);
    data_type::bits(t.data_type).map_or(0, |b| n.saturating_mul(b).div_ceil(8))
}

/// Checks the external data of every tensor held by `nodes` (attributes,
/// subgraphs, recursively); `scope` names where the nodes are.
fn check_nodes(
    model: &Path,
    dir: &Path,
    nodes: &[NodeProto],
    scope: &str,
) -> Result<(), OnnxModelError> {
    for n in nodes {
        let at = format!("node '{}' ({}) in {scope}", n.name, n.op_type);
        for a in &n.attribute {
            check_attribute(model, dir, a, &at)?;
        }
    }
    Ok(())
}

/// Checks the tensors of one attribute; `at` names its node.
fn check_attribute(
    model: &Path,
    dir: &Path,
    a: &AttributeProto,
    at: &str,
) -> Result<(), OnnxModelError> {
    let at = format!("attribute '{}' of {at}", a.name);
    for t in a.t.iter().chain(&a.tensors) {
        external_storage(model, dir, t, || format!("tensor '{}' in {at}", t.name))?;
    }
    for s in a.sparse_tensor.iter().chain(&a.sparse_tensors) {
        check_sparse(model, dir, s, &at)?;
    }
    for g in a.g.as_deref().into_iter().chain(&a.graphs) {
        check_graph(model, dir, g, &format!("subgraph '{}' in {at}", g.name))?;
    }
    Ok(())
}

/// Checks a subgraph's initializers, sparse initializers and nodes.
fn check_graph(
    model: &Path,
    dir: &Path,
    g: &GraphProto,
    scope: &str,
) -> Result<(), OnnxModelError> {
    for t in &g.initializer {
        external_storage(model, dir, t, || {
            format!("initializer '{}' of {scope}", t.name)
        })?;
    }
    for s in &g.sparse_initializer {
        check_sparse(model, dir, s, scope)?;
    }
    check_nodes(model, dir, &g.node, scope)
}

/// Checks a sparse tensor's values and indices.
fn check_sparse(
    model: &Path,
    dir: &Path,
    s: &SparseTensorProto,
    at: &str,
) -> Result<(), OnnxModelError> {
    let name = s.values.as_ref().map_or("", |v| v.name.as_str());
    for (part, t) in [("values", &s.values), ("indices", &s.indices)] {
        if let Some(t) = t {
            external_storage(model, dir, t, || {
                format!("{part} of sparse tensor '{name}' in {at}")
            })?;
        }
    }
    Ok(())
}

/// Checks and describes where `t`'s bytes are; `what` names the tensor in
/// errors.
fn external_storage(
    model: &Path,
    dir: &Path,
    t: &TensorProto,
    what: impl FnOnce() -> String,
) -> Result<Storage, OnnxModelError> {
    if t.data_location != DATA_LOCATION_EXTERNAL && t.external_data.is_empty() {
        return Ok(Storage::Inline);
    }
    let what = what();
    let get = |k: &str| {
        t.external_data
            .iter()
            .rev()
            .find(|e| e.key == k)
            .map(|e| e.value.as_str())
    };
    let location = get("location").unwrap_or("");
    let fail = |reason: String| OnnxModelError::ExternalData {
        path: model.to_path_buf(),
        tensor: what.clone(),
        location: location.to_string(),
        reason,
    };
    if location.is_empty() {
        return Err(fail("no `location` is given".into()));
    }
    let parse = |k: &str| -> Result<Option<u64>, OnnxModelError> {
        get(k)
            .map(|v| {
                v.trim()
                    .parse::<u64>()
                    .map_err(|_| fail(format!("`{k}` is '{v}', not a byte count")))
            })
            .transpose()
    };
    let offset = parse("offset")?.unwrap_or(0);
    let length = parse("length")?;

    let rel = Path::new(location);
    let drive = location.len() >= 2 && location.as_bytes()[1] == b':';
    if location.starts_with(['/', '\\']) || rel.is_absolute() || rel.has_root() || drive {
        return Err(fail("the location is an absolute path".into()));
    }
    let parts: Vec<&str> = location
        .split(['/', '\\'])
        .filter(|p| !p.is_empty() && *p != ".")
        .collect();
    if parts.contains(&"..") || rel.components().any(|c| c == Component::ParentDir) {
        return Err(fail("the location contains a `..` component".into()));
    }
    if parts.is_empty() {
        return Err(fail("the location names no file".into()));
    }
    // Walk the path one component at a time so no symbolic link (file or
    // folder) can lead out of the model's folder.
    let mut full = dir.to_path_buf();
    for (i, part) in parts.iter().enumerate() {
        full.push(part);
        let meta = fs::symlink_metadata(&full).map_err(|e| {
            if e.kind() == io::ErrorKind::NotFound {
                fail(format!(
                    "{} does not exist; copy the external data file next to the model",
                    full.display()
                ))
            } else {
                fail(format!("cannot read {}: {e}", full.display()))
            }
        })?;
        let last = i + 1 == parts.len();
        if meta.file_type().is_symlink() {
            return Err(fail(format!("{} is a symbolic link", full.display())));
        }
        if !last && !meta.is_dir() {
            return Err(fail(format!("{} is not a folder", full.display())));
        }
        if last && !meta.is_file() {
            return Err(fail(format!("{} is not a regular file", full.display())));
        }
    }
    let file_len = fs::symlink_metadata(&full)
        .map_err(|e| fail(format!("cannot read {}: {e}", full.display())))?
        .len();
    let length = match length {
        Some(l) => l,
        None => file_len.checked_sub(offset).ok_or_else(|| {
            fail(format!(
                "offset {offset} is past the end of the {file_len}-byte file"
            ))
        })?,
    };
    match offset.checked_add(length) {
        Some(end) if end <= file_len => {}
        _ => {
            return Err(fail(format!(
                "bytes {offset}..{offset}+{length} run past the end of the {file_len}-byte file (truncated download?)"
            )));
        }
    }
    Ok(Storage::External {
        location: location.to_string(),
        offset,
        length,
    })
}

#[cfg(test)]
#[path = "inspect_tests.rs"]
mod tests;
