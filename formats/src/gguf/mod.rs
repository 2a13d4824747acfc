//! GGUF model files: checking a file before native code sees it ([`inspect`]
//! reads only the header, with the checks of llama.cpp's parser and messages a
//! user can act on), the ggml type table, and a streaming writer
//! ([`GgufWriter`]) for the models edgebench makes itself.
//!
//! GGUF (v2/v3) is little-endian: `GGUF`, `u32` version, `u64` tensor count,
//! `u64` metadata count, the metadata entries, the tensor infos, then the
//! tensor data, aligned to `general.alignment` (default 32).

pub mod bpe;
mod cursor;
mod error;
mod info;
mod merge;
mod reader;
mod sniff;
pub mod tokenizer;
mod types;
mod value;
mod writer;

pub use error::GgufError;
pub use info::{GgufInfo, TensorInfo, inspect};
pub use types::{GgmlType, GgufValueType, ftype_name, removed_ggml_type_name};
pub use value::GgufValue;
pub use writer::{GgufWriteError, GgufWriter, MetaValue};

/// The first four bytes of every GGUF file.
pub const GGUF_MAGIC: &[u8; 4] = b"GGUF";

/// The GGUF version [`GgufWriter`] writes.
pub const GGUF_VERSION: u32 = 3;

/// The data alignment when `general.alignment` is absent.
pub const DEFAULT_ALIGNMENT: u32 = 32;

/// The longest tensor name ggml accepts, in bytes (`GGML_MAX_NAME` - 1).
pub const MAX_TENSOR_NAME_LEN: usize = 63;

/// The elements of a metadata array, as [`read_arrays`] keeps them.
#[derive(Clone, Debug, PartialEq)]
pub enum GgufArray {
    /// A string array (invalid UTF-8 replaced by U+FFFD).
    Strings(Vec<String>),
    /// An f32 array.
    F32(Vec<f32>),
    /// An i32 array.
    I32(Vec<i32>),
}

/// A GGUF header's metadata, and the elements of the arrays kept.
pub type MetadataAndArrays = (
    std::collections::BTreeMap<String, GgufValue>,
    std::collections::BTreeMap<String, GgufArray>,
);

/// Reads the header of the GGUF file at `path` (with [`inspect`]'s checks)
/// and returns its metadata and the elements of the string, f32 and i32
/// arrays named in `keys` (a vocabulary, its scores and token types).
pub fn read_arrays(
    path: &std::path::Path,
    keys: &'static [&'static str],
) -> Result<MetadataAndArrays, GgufError> {
    let h = reader::read_header_keeping(path, keys)?;
    Ok((h.metadata, h.arrays))
}
