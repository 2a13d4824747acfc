//! What [`inspect`] tells about a GGUF model: the header's metadata and tensor
//! list, plus the few facts edgebench reports (architecture, sizes, quant).

use super::error::GgufError;
use super::reader::read_header;
use super::types::{GgmlType, GgufValueType, ftype_name};
use super::value::GgufValue;
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// One tensor as described by the header.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TensorInfo {
    /// The tensor's name, e.g. `blk.0.attn_q.weight`.
    pub name: String,
    /// The dimensions in ggml order: `dims[0]` (`ne[0]`) is the row length.
    pub dims: Vec<u64>,
    /// The element type.
    pub ggml_type: GgmlType,
    /// Where the data starts, relative to the start of the data section.
    pub offset: u64,
    /// The data's size in bytes (without alignment padding).
    pub n_bytes: u64,
}

impl TensorInfo {
    /// The number of elements (1 for a tensor with no dimensions).
    pub fn n_elements(&self) -> u64 {
        self.dims.iter().fold(1u64, |n, &d| n.saturating_mul(d))
    }
}

/// The checked header of a GGUF file and the facts derived from it.
#[derive(Clone, Debug, Serialize)]
pub struct GgufInfo {
    /// The file that was read.
    pub path: PathBuf,
    /// The GGUF version (2 or 3).
    pub version: u32,
    /// The file's size in bytes.
    pub file_size: u64,
    /// The data alignment (`general.alignment`, default 32).
    pub alignment: u32,
    /// The absolute offset of the tensor data section.
    pub data_offset: u64,
    /// `general.architecture`, e.g. `llama`.
    pub arch: String,
    /// `general.name`, if present.
    pub name: Option<String>,
    /// `{arch}.block_count`: the number of transformer layers.
    pub n_layers: Option<u32>,
    /// `{arch}.embedding_length`: the hidden size.
    pub n_embd: Option<u32>,
    /// `{arch}.attention.head_count` (`None` if absent or per-layer).
    pub n_head: Option<u32>,
    /// `{arch}.attention.head_count_kv` (`None` if absent or per-layer).
    pub n_head_kv: Option<u32>,
    /// `{arch}.context_length`: the training context.
    pub n_ctx_train: Option<u32>,
    /// The vocabulary size: the length of `tokenizer.ggml.tokens`, else
    /// `{arch}.vocab_size`, else the second dimension of `token_embd.weight`.
    pub n_vocab: Option<u32>,
    /// `general.file_type` (llama.cpp's `llama_ftype`), if present.
    pub file_type: Option<u32>,
    /// The quantisation's usual name: llama.cpp's name for `general.file_type`
    /// (`"Q4_K_M"`, `"Q8_0"`, `"F16"`), or, without it, the type holding most
    /// bytes of the 2-D weights (`"Q4_0"`).
    pub quant: String,
    /// Parameters: the sum of all tensors' element counts.
    pub n_params: u64,
    /// `tokenizer.ggml.bos_token_id`, if present.
    pub bos_token_id: Option<u32>,
    /// `tokenizer.ggml.eos_token_id`, if present.
    pub eos_token_id: Option<u32>,
    /// `tokenizer.ggml.add_bos_token`, if present.
    pub add_bos_token: Option<bool>,
    /// The tensors, in file order.
    pub tensors: Vec<TensorInfo>,
    /// All metadata, by key (arrays as element type and length only).
    pub metadata: BTreeMap<String, GgufValue>,
}

impl GgufInfo {
    /// The metadata value under `key`.
    pub fn get(&self, key: &str) -> Option<&GgufValue> {
        self.metadata.get(key)
    }

    /// The metadata value under `{arch}.{suffix}`, e.g. `arch_get("block_count")`.
    pub fn arch_get(&self, suffix: &str) -> Option<&GgufValue> {
        self.metadata.get(&format!("{}.{suffix}", self.arch))
    }

    /// The tensor named `name`.
    pub fn tensor(&self, name: &str) -> Option<&TensorInfo> {
        self.tensors.iter().find(|t| t.name == name)
    }

    /// The bytes of all tensor data, without padding.
    pub fn tensor_bytes(&self) -> u64 {
        self.tensors.iter().map(|t| t.n_bytes).sum()
    }
}

/// Reads and checks the header of the GGUF file at `path` (metadata and tensor
/// infos, not the tensor data) and derives the facts in [`GgufInfo`].
///
/// Refuses, with a [`GgufError`] naming the file and the problem, anything
/// llama.cpp's loader would refuse or crash on: a missing, empty or
/// non-GGUF file (Git LFS pointers are recognised), versions other than 2 and
/// 3, truncation anywhere, counts and lengths the file cannot hold, unknown
/// types, impossible shapes, misplaced or out-of-file tensor data.
pub fn inspect(path: &Path) -> Result<GgufInfo, GgufError> {
    let h = read_header(path)?;
    let p = || path.to_path_buf();
    let md = &h.metadata;
    let arch = match md.get("general.architecture") {
        Some(GgufValue::String(s)) => s.clone(),
        Some(other) => {
            return Err(GgufError::WrongValueType {
                path: p(),
                key: "general.architecture".into(),
                expected: GgufValueType::String.name().into(),
                found: other.value_type().name().into(),
            });
        }
        None => return Err(GgufError::MissingArchitecture { path: p() }),
    };
    let u32_of = |key: &str| md.get(key).and_then(GgufValue::as_u32);
    let arch_u32 = |suffix: &str| u32_of(&format!("{arch}.{suffix}"));

    let n_vocab = md
        .get("tokenizer.ggml.tokens")
        .and_then(GgufValue::array_len)
        .and_then(|n| u32::try_from(n).ok())
        .or_else(|| arch_u32("vocab_size"))
        .or_else(|| {
            let t = h.tensors.iter().find(|t| t.name == "token_embd.weight")?;
            t.dims.get(1).and_then(|&d| u32::try_from(d).ok())
        });
    let file_type = u32_of("general.file_type");
    let quant = file_type
        .and_then(ftype_name)
        .map(str::to_string)
        .unwrap_or_else(|| majority_type_name(&h.tensors));

    Ok(GgufInfo {
        path: p(),
        version: h.version,
        file_size: h.file_size,
        alignment: h.alignment,
        data_offset: h.data_offset,
        name: md
            .get("general.name")
            .and_then(|v| v.as_str())
            .map(str::to_string),
        n_layers: arch_u32("block_count"),
        n_embd: arch_u32("embedding_length"),
        n_head: arch_u32("attention.head_count"),
        n_head_kv: arch_u32("attention.head_count_kv"),
        n_ctx_train: arch_u32("context_length"),
        n_vocab,
        file_type,
        quant,
        n_params: h.tensors.iter().map(TensorInfo::n_elements).sum(),
        bos_token_id: u32_of("tokenizer.ggml.bos_token_id"),
        eos_token_id: u32_of("tokenizer.ggml.eos_token_id"),
        add_bos_token: md
            .get("tokenizer.ggml.add_bos_token")
            .and_then(GgufValue::as_bool),
        arch,
        tensors: h.tensors,
        metadata: h.metadata,
    })
}

/// The upper-case name of the type holding most bytes of the tensors with two
/// or more dimensions (of all tensors if there are none), or `"unknown"`.
fn majority_type_name(tensors: &[TensorInfo]) -> String {
    let mut bytes: BTreeMap<GgmlType, u64> = BTreeMap::new();
    let matrices = tensors.iter().any(|t| t.dims.len() >= 2);
    for t in tensors.iter().filter(|t| !matrices || t.dims.len() >= 2) {
        *bytes.entry(t.ggml_type).or_default() += t.n_bytes;
    }
    bytes
        .into_iter()
        .max_by_key(|&(t, n)| (n, std::cmp::Reverse(t)))
        .map_or_else(|| "unknown".to_string(), |(t, _)| t.name().to_uppercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(dims: &[u64], ggml_type: GgmlType, n_bytes: u64) -> TensorInfo {
        TensorInfo {
            name: String::new(),
            dims: dims.to_vec(),
            ggml_type,
            offset: 0,
            n_bytes,
        }
    }

    #[test]
    fn majority_counts_matrix_bytes_only() {
        let tensors = [
            t(&[4096], GgmlType::F32, 1 << 30),
            t(&[4096, 4096], GgmlType::Q4_K, 1000),
            t(&[4096, 4096], GgmlType::Q6_K, 900),
            t(&[4096, 4096], GgmlType::Q6_K, 200),
        ];
        assert_eq!(majority_type_name(&tensors), "Q6_K");
        assert_eq!(majority_type_name(&tensors[..1]), "F32");
        assert_eq!(majority_type_name(&[]), "unknown");
    }

    #[test]
    fn element_count_of_a_scalar_is_one() {
        assert_eq!(t(&[], GgmlType::F32, 4).n_elements(), 1);
        assert_eq!(t(&[32, 3], GgmlType::F32, 4).n_elements(), 96);
    }
}
