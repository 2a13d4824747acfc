//! Errors from reading a GGUF header: one variant per problem, each naming
//! the file, what is wrong, and what to do about it.

use std::path::PathBuf;

/// What to tell a user whose file is damaged.
const REDOWNLOAD: &str = "truncated or damaged download? re-download the model, \
                          or re-run `edgebench synth` for a synthetic one";

/// A GGUF file that cannot be used, and why.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum GgufError {
    /// The file does not exist.
    #[error("{}: file not found; check the path, or run `edgebench synth` to write a synthetic model", path.display())]
    NotFound {
        /// The file.
        path: PathBuf,
    },
    /// The path exists but is not a regular file.
    #[error("{}: not a regular file (a directory?); pass the path of the .gguf file itself", path.display())]
    NotAFile {
        /// The path.
        path: PathBuf,
    },
    /// Reading the file failed.
    #[error("{}: cannot read the file: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file has no bytes at all.
    #[error("{}: the file is empty (0 bytes); {REDOWNLOAD}", path.display())]
    Empty {
        /// The file.
        path: PathBuf,
    },
    /// The file is a Git LFS pointer, not the model it points to.
    #[error("{}: is a Git LFS pointer, not the model; run `git lfs pull` in its repository \
             (or download the file itself) and try again", path.display())]
    LfsPointer {
        /// The file.
        path: PathBuf,
    },
    /// The file does not start with `GGUF`.
    #[error("{}: not a GGUF file: it starts with {found:?} instead of \"GGUF\"{hint}", path.display())]
    BadMagic {
        /// The file.
        path: PathBuf,
        /// The first bytes, printable ones as text, others escaped.
        found: String,
        /// A guess at what the file is instead, or what to check, starting with "; ".
        hint: String,
    },
    /// The GGUF version is not 2 or 3.
    #[error("{}: GGUF version {version} is not supported; edgebench reads versions 2 and 3{}",
            path.display(), version_hint(*version))]
    UnsupportedVersion {
        /// The file.
        path: PathBuf,
        /// The version in the file.
        version: u32,
    },
    /// The file ends before the header does.
    #[error("{}: the file ends at byte {file_size} while reading {what} (at byte {offset}); {REDOWNLOAD}",
            path.display())]
    Truncated {
        /// The file.
        path: PathBuf,
        /// What was being read.
        what: String,
        /// Where it starts.
        offset: u64,
        /// The file's size in bytes.
        file_size: u64,
    },
    /// The tensor count cannot be right.
    #[error("{}: the header claims {count} tensors, more than the file could hold (at most {max}); \
             the header is corrupt: {REDOWNLOAD}", path.display())]
    TooManyTensors {
        /// The file.
        path: PathBuf,
        /// The count in the header.
        count: u64,
        /// The most this file could hold.
        max: u64,
    },
    /// The metadata key/value count cannot be right.
    #[error("{}: the header claims {count} metadata entries, more than the file could hold (at most {max}); \
             the header is corrupt: {REDOWNLOAD}", path.display())]
    TooManyKvs {
        /// The file.
        path: PathBuf,
        /// The count in the header.
        count: u64,
        /// The most this file could hold.
        max: u64,
    },
    /// A string's length goes past the end of the file.
    #[error("{}: {what} claims a length of {len} bytes but only {remaining} bytes are left in the file; {REDOWNLOAD}",
            path.display())]
    StringPastEof {
        /// The file.
        path: PathBuf,
        /// Which string.
        what: String,
        /// The length in the file.
        len: u64,
        /// Bytes left after the length field.
        remaining: u64,
    },
    /// An array's element count goes past the end of the file.
    #[error("{}: metadata array '{key}' claims {count} elements of type {elem_type}, \
             which cannot fit in the {remaining} bytes left in the file; {REDOWNLOAD}", path.display())]
    ArrayPastEof {
        /// The file.
        path: PathBuf,
        /// The key of the array.
        key: String,
        /// The element count in the file.
        count: u64,
        /// The element type's name.
        elem_type: String,
        /// Bytes left after the count field.
        remaining: u64,
    },
    /// Arrays nested deeper than the reader allows.
    #[error("{}: metadata array '{key}' nests arrays more than {max_depth} deep; the header is corrupt: {REDOWNLOAD}",
            path.display())]
    ArrayTooDeep {
        /// The file.
        path: PathBuf,
        /// The key of the array.
        key: String,
        /// The deepest nesting accepted.
        max_depth: u32,
    },
    /// A key or tensor name is not valid UTF-8.
    #[error("{}: {what} is not valid UTF-8; the header is corrupt: {REDOWNLOAD}", path.display())]
    InvalidUtf8 {
        /// The file.
        path: PathBuf,
        /// Which string.
        what: String,
    },
    /// A metadata key is empty.
    #[error("{}: metadata entry #{index} has an empty key; the header is corrupt: {REDOWNLOAD}", path.display())]
    EmptyKey {
        /// The file.
        path: PathBuf,
        /// The entry's index.
        index: u64,
    },
    /// A metadata key appears twice.
    #[error("{}: metadata key '{key}' appears more than once; llama.cpp refuses such files: \
             re-export the model", path.display())]
    DuplicateKey {
        /// The file.
        path: PathBuf,
        /// The key.
        key: String,
    },
    /// A metadata value has an unknown type id.
    #[error("{}: metadata key '{key}' has unknown value type {type_id} (valid: 0-12); \
             the header is corrupt or from a newer GGUF: {REDOWNLOAD}", path.display())]
    InvalidValueType {
        /// The file.
        path: PathBuf,
        /// The key.
        key: String,
        /// The type id in the file.
        type_id: u32,
    },
    /// A well-known metadata key has the wrong type.
    #[error("{}: metadata key '{key}' has type {found}, expected {expected}; re-export the model", path.display())]
    WrongValueType {
        /// The file.
        path: PathBuf,
        /// The key.
        key: String,
        /// The expected type.
        expected: String,
        /// The type in the file.
        found: String,
    },
    /// `general.alignment` is not a power of two.
    #[error("{}: general.alignment is {alignment}, which is not a power of two; re-export the model",
            path.display())]
    BadAlignment {
        /// The file.
        path: PathBuf,
        /// The value in the file.
        alignment: u32,
    },
    /// `general.architecture` is missing.
    #[error("{}: metadata key 'general.architecture' is missing, so no engine knows which model \
             this is; re-export the model with llama.cpp's `convert_hf_to_gguf.py`", path.display())]
    MissingArchitecture {
        /// The file.
        path: PathBuf,
    },
    /// A tensor name is longer than ggml allows.
    #[error("{}: tensor #{index} has a name of {len} bytes; ggml allows at most 63; re-export the model",
            path.display())]
    TensorNameTooLong {
        /// The file.
        path: PathBuf,
        /// The tensor's index.
        index: u64,
        /// The name's length in bytes.
        len: u64,
    },
    /// Two tensors have the same name.
    #[error("{}: tensor '{tensor}' appears more than once; the header is corrupt: {REDOWNLOAD}", path.display())]
    DuplicateTensor {
        /// The file.
        path: PathBuf,
        /// The tensor's name.
        tensor: String,
    },
    /// A tensor has more than 4 dimensions.
    #[error("{}: tensor '{tensor}' has {n_dims} dimensions; ggml allows at most 4; \
             the header is corrupt: {REDOWNLOAD}", path.display())]
    TooManyDims {
        /// The file.
        path: PathBuf,
        /// The tensor's name.
        tensor: String,
        /// The dimension count in the file.
        n_dims: u32,
    },
    /// A tensor's shape is impossible (negative as i64, or an element count that overflows).
    #[error("{}: tensor '{tensor}' has impossible shape {dims:?} ({reason}); the header is corrupt: {REDOWNLOAD}",
            path.display())]
    BadShape {
        /// The file.
        path: PathBuf,
        /// The tensor's name.
        tensor: String,
        /// The dimensions in the file, `ne[0]` first.
        dims: Vec<u64>,
        /// What is wrong with them.
        reason: String,
    },
    /// A tensor uses a ggml type id this reader does not know.
    #[error("{}: tensor '{tensor}' has ggml type id {type_id}{}", path.display(), unknown_type_hint(*type_id))]
    UnknownType {
        /// The file.
        path: PathBuf,
        /// The tensor's name.
        tensor: String,
        /// The type id in the file.
        type_id: u32,
    },
    /// A tensor's row length is not a whole number of quantisation blocks.
    #[error("{}: tensor '{tensor}' of type {ggml_type} has rows of {row} elements, not a multiple of \
             the block size {block}; the file is corrupt: {REDOWNLOAD}", path.display())]
    RowNotBlockMultiple {
        /// The file.
        path: PathBuf,
        /// The tensor's name.
        tensor: String,
        /// The type's name.
        ggml_type: String,
        /// `ne[0]`.
        row: u64,
        /// The type's block size.
        block: u64,
    },
    /// A tensor's data offset is not a multiple of the alignment.
    #[error("{}: tensor '{tensor}' starts at data offset {offset}, not a multiple of the alignment {alignment}; \
             the header is corrupt: {REDOWNLOAD}", path.display())]
    TensorMisaligned {
        /// The file.
        path: PathBuf,
        /// The tensor's name.
        tensor: String,
        /// Its offset in the data section.
        offset: u64,
        /// The file's alignment.
        alignment: u32,
    },
    /// A tensor's data is not where llama.cpp requires it (right after the previous one).
    #[error("{}: tensor '{tensor}' starts at data offset {offset} but llama.cpp requires {expected} \
             (tensors must be stored in order, each padded to the alignment); re-export the model",
            path.display())]
    TensorOffsetMismatch {
        /// The file.
        path: PathBuf,
        /// The tensor's name.
        tensor: String,
        /// Its offset in the data section.
        offset: u64,
        /// The offset llama.cpp expects.
        expected: u64,
    },
    /// A tensor's data goes past the end of the file.
    #[error("{}: tensor '{tensor}' data ends at byte {end} but the file has {file_size} bytes; {REDOWNLOAD}",
            path.display())]
    TensorDataPastEof {
        /// The file.
        path: PathBuf,
        /// The tensor's name.
        tensor: String,
        /// Where its data ends (absolute byte offset; saturates at `u64::MAX`).
        end: u64,
        /// The file's size in bytes.
        file_size: u64,
    },
}

impl GgufError {
    /// The file the error is about.
    pub fn path(&self) -> &std::path::Path {
        match self {
            Self::NotFound { path }
            | Self::NotAFile { path }
            | Self::Io { path, .. }
            | Self::Empty { path }
            | Self::LfsPointer { path }
            | Self::BadMagic { path, .. }
            | Self::UnsupportedVersion { path, .. }
            | Self::Truncated { path, .. }
            | Self::TooManyTensors { path, .. }
            | Self::TooManyKvs { path, .. }
            | Self::StringPastEof { path, .. }
            | Self::ArrayPastEof { path, .. }
            | Self::ArrayTooDeep { path, .. }
            | Self::InvalidUtf8 { path, .. }
            | Self::EmptyKey { path, .. }
            | Self::DuplicateKey { path, .. }
            | Self::InvalidValueType { path, .. }
            | Self::WrongValueType { path, .. }
            | Self::BadAlignment { path, .. }
            | Self::MissingArchitecture { path }
            | Self::TensorNameTooLong { path, .. }
            | Self::DuplicateTensor { path, .. }
            | Self::TooManyDims { path, .. }
            | Self::BadShape { path, .. }
            | Self::UnknownType { path, .. }
            | Self::RowNotBlockMultiple { path, .. }
            | Self::TensorMisaligned { path, .. }
            | Self::TensorOffsetMismatch { path, .. }
            | Self::TensorDataPastEof { path, .. } => path,
        }
    }
}

fn version_hint(version: u32) -> &'static str {
    if version == 1 {
        " (GGUF v1 files are no longer supported by llama.cpp either; re-convert the model \
         with a recent llama.cpp)"
    } else if version != 0 && version & 0xFFFF == 0 {
        " (this looks like a big-endian file; use a little-endian export)"
    } else {
        " (a newer or corrupt file? re-download the model, or update edgebench)"
    }
}

fn unknown_type_hint(type_id: u32) -> String {
    match super::types::removed_ggml_type_name(type_id) {
        Some(name) => format!(
            " ({name}), which ggml has removed from GGUF files; re-quantise the model with a recent llama.cpp"
        ),
        None => ", which this edgebench does not know (a newer quantisation? update edgebench); \
                 or the header is corrupt"
            .to_string(),
    }
}
