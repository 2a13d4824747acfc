//! A GGUF v3 writer: typed metadata, tensor infos, alignment padding, then the
//! tensor data streamed one tensor at a time from a callback, so a model never
//! has to be in memory at once. The output depends only on what was added, in
//! the order it was added.

use super::info::TensorInfo;
use super::reader::pad;
use super::types::{GgmlType, GgufValueType};
use super::{DEFAULT_ALIGNMENT, GGUF_MAGIC, MAX_TENSOR_NAME_LEN};
use std::collections::HashSet;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

/// A metadata value to write.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum MetaValue {
    /// `u8`
    U8(u8),
    /// `i8`
    I8(i8),
    /// `u16`
    U16(u16),
    /// `i16`
    I16(i16),
    /// `u32`
    U32(u32),
    /// `i32`
    I32(i32),
    /// `f32`
    F32(f32),
    /// `bool`
    Bool(bool),
    /// A UTF-8 string.
    String(String),
    /// `u64`
    U64(u64),
    /// `i64`
    I64(i64),
    /// `f64`
    F64(f64),
    /// An array of strings.
    StringArray(Vec<String>),
    /// An array of `f32`.
    F32Array(Vec<f32>),
    /// An array of `i32`.
    I32Array(Vec<i32>),
    /// An array of `u32`.
    U32Array(Vec<u32>),
}

/// Why a GGUF file could not be written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum GgufWriteError {
    /// A metadata key was added twice or is empty.
    #[error("GGUF writer: metadata key '{key}' is empty or was added twice")]
    BadKey {
        /// The key.
        key: String,
    },
    /// `general.alignment` is not a `u32` power of two.
    #[error("GGUF writer: general.alignment must be a u32 power of two, got {value}")]
    BadAlignment {
        /// The value given, formatted.
        value: String,
    },
    /// A tensor cannot be described in GGUF (or loaded by ggml).
    #[error("GGUF writer: tensor '{name}': {reason}")]
    BadTensor {
        /// The tensor's name.
        name: String,
        /// What is wrong.
        reason: String,
    },
    /// Writing failed.
    #[error("{}: cannot write: {source}; check the disk space and the folder's permissions", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: io::Error,
    },
    /// The data callback wrote the wrong number of bytes for a tensor.
    #[error("{}: tensor '{tensor}' needs {expected} bytes of data but {written} were written", path.display())]
    TensorSize {
        /// The file.
        path: PathBuf,
        /// The tensor's name.
        tensor: String,
        /// Its size in bytes.
        expected: u64,
        /// What the callback wrote.
        written: u64,
    },
}

/// Builds a GGUF v3 file: add metadata and tensor descriptions, then
/// [`write_file`](Self::write_file) with a callback that writes each tensor's bytes.
#[derive(Clone, Debug)]
pub struct GgufWriter {
    alignment: u32,
    kvs: Vec<(String, MetaValue)>,
    keys: HashSet<String>,
    tensors: Vec<TensorInfo>,
    names: HashSet<String>,
    data_size: u64,
}

impl Default for GgufWriter {
    fn default() -> Self {
        Self::new()
    }
}

impl GgufWriter {
    /// An empty file with the default alignment (32) and no metadata.
    pub fn new() -> Self {
        GgufWriter {
            alignment: DEFAULT_ALIGNMENT,
            kvs: Vec::new(),
            keys: HashSet::new(),
            tensors: Vec::new(),
            names: HashSet::new(),
            data_size: 0,
        }
    }

    /// Adds a metadata entry. `general.alignment` (a `u32` power of two) also
    /// sets the alignment, which must happen before any tensor is added.
    pub fn add_kv(
        &mut self,
        key: impl Into<String>,
        value: MetaValue,
    ) -> Result<(), GgufWriteError> {
        let key = key.into();
        if key.is_empty() || self.keys.contains(&key) {
            return Err(GgufWriteError::BadKey { key });
        }
        if key == "general.alignment" {
            match value {
                MetaValue::U32(a) if a.is_power_of_two() && self.tensors.is_empty() => {
                    self.alignment = a
                }
                ref other => {
                    return Err(GgufWriteError::BadAlignment {
                        value: format!("{other:?}"),
                    });
                }
            }
        }
        self.keys.insert(key.clone());
        self.kvs.push((key, value));
        Ok(())
    }

    /// Adds a tensor description: `dims` in ggml order (row length first).
    /// Its data offset follows the previous tensor's padded data.
    pub fn add_tensor(
        &mut self,
        name: impl Into<String>,
        dims: &[u64],
        ggml_type: GgmlType,
    ) -> Result<&TensorInfo, GgufWriteError> {
        let name = name.into();
        let bad = |reason: String| GgufWriteError::BadTensor {
            name: name.clone(),
            reason,
        };
        if name.is_empty() || name.len() > MAX_TENSOR_NAME_LEN {
            return Err(bad(format!(
                "names must be 1 to {MAX_TENSOR_NAME_LEN} bytes"
            )));
        }
        if self.names.contains(&name) {
            return Err(bad("added twice".into()));
        }
        if dims.len() > 4 {
            return Err(bad(format!("{} dimensions, ggml allows 4", dims.len())));
        }
        let n_elements = dims
            .iter()
            .try_fold(1u64, |n, &d| {
                n.checked_mul(d).filter(|&n| n <= i64::MAX as u64)
            })
            .ok_or_else(|| bad(format!("shape {dims:?} overflows")))?;
        let row = dims.first().copied().unwrap_or(1);
        if !row.is_multiple_of(ggml_type.block_size()) {
            return Err(bad(format!(
                "row length {row} is not a multiple of the {ggml_type} block size {}",
                ggml_type.block_size()
            )));
        }
        let n_bytes = ggml_type
            .n_bytes(n_elements)
            .ok_or_else(|| bad("size in bytes overflows".into()))?;
        let offset = self.data_size;
        self.data_size = offset
            .checked_add(pad(n_bytes, self.alignment))
            .filter(|&s| s < u64::MAX)
            .ok_or_else(|| bad("data section size overflows".into()))?;
        self.names.insert(name.clone());
        self.tensors.push(TensorInfo {
            name,
            dims: dims.to_vec(),
            ggml_type,
            offset,
            n_bytes,
        });
        Ok(&self.tensors[self.tensors.len() - 1])
    }

    /// The tensors added so far, with their offsets and sizes.
    pub fn tensors(&self) -> &[TensorInfo] {
        &self.tensors
    }

    /// The data alignment.
    pub fn alignment(&self) -> u32 {
        self.alignment
    }

    /// Where the data section will start (the header size, padded).
    pub fn data_offset(&self) -> u64 {
        let mut counter = Counter {
            n: 0,
            inner: io::sink(),
        };
        // Writing to a sink cannot fail.
        let _ = self.write_header(&mut counter);
        if self.tensors.is_empty() {
            counter.n
        } else {
            pad(counter.n, self.alignment)
        }
    }

    /// The size the written file will have.
    pub fn file_size(&self) -> u64 {
        self.data_offset() + self.data_size
    }

    /// Writes the file at `path` (created or truncated) through a buffer.
    /// `fill` is called once per tensor, in order, and must write exactly the
    /// tensor's `n_bytes`; padding is added here. Returns the file size.
    pub fn write_file<F>(&self, path: &Path, mut fill: F) -> Result<u64, GgufWriteError>
    where
        F: FnMut(&TensorInfo, &mut dyn Write) -> io::Result<()>,
    {
        let io_err = |source| GgufWriteError::Io {
            path: path.to_path_buf(),
            source,
        };
        let file = File::create(path).map_err(io_err)?;
        let mut out = Counter {
            n: 0,
            inner: BufWriter::with_capacity(1 << 20, file),
        };
        self.write_header(&mut out).map_err(io_err)?;
        if !self.tensors.is_empty() {
            let padding = pad(out.n, self.alignment) - out.n;
            write_zeros(&mut out, padding).map_err(io_err)?;
        }
        let data_offset = out.n;
        for t in &self.tensors {
            let start = out.n;
            fill(t, &mut out).map_err(io_err)?;
            let written = out.n - start;
            if written != t.n_bytes {
                return Err(GgufWriteError::TensorSize {
                    path: path.to_path_buf(),
                    tensor: t.name.clone(),
                    expected: t.n_bytes,
                    written,
                });
            }
            write_zeros(&mut out, pad(t.n_bytes, self.alignment) - t.n_bytes).map_err(io_err)?;
        }
        debug_assert_eq!(out.n, data_offset + self.data_size);
        let size = out.n;
        let file = out.inner.into_inner().map_err(|e| io_err(e.into_error()))?;
        file.sync_all().map_err(io_err)?;
        Ok(size)
    }

    fn write_header(&self, w: &mut dyn Write) -> io::Result<()> {
        w.write_all(GGUF_MAGIC)?;
        w.write_all(&super::GGUF_VERSION.to_le_bytes())?;
        w.write_all(&(self.tensors.len() as u64).to_le_bytes())?;
        w.write_all(&(self.kvs.len() as u64).to_le_bytes())?;
        for (key, value) in &self.kvs {
            write_str(w, key)?;
            write_value(w, value)?;
        }
        for t in &self.tensors {
            write_str(w, &t.name)?;
            w.write_all(&(t.dims.len() as u32).to_le_bytes())?;
            for d in &t.dims {
                w.write_all(&d.to_le_bytes())?;
            }
            w.write_all(&t.ggml_type.id().to_le_bytes())?;
            w.write_all(&t.offset.to_le_bytes())?;
        }
        Ok(())
    }
}

fn write_str(w: &mut dyn Write, s: &str) -> io::Result<()> {
    w.write_all(&(s.len() as u64).to_le_bytes())?;
    w.write_all(s.as_bytes())
}

fn write_type(w: &mut dyn Write, t: GgufValueType) -> io::Result<()> {
    w.write_all(&t.id().to_le_bytes())
}

fn write_array_head(w: &mut dyn Write, elem: GgufValueType, len: usize) -> io::Result<()> {
    write_type(w, GgufValueType::Array)?;
    write_type(w, elem)?;
    w.write_all(&(len as u64).to_le_bytes())
}

fn write_value(w: &mut dyn Write, v: &MetaValue) -> io::Result<()> {
    use GgufValueType as T;
    match v {
        MetaValue::U8(x) => write_type(w, T::U8).and_then(|_| w.write_all(&x.to_le_bytes())),
        MetaValue::I8(x) => write_type(w, T::I8).and_then(|_| w.write_all(&x.to_le_bytes())),
        MetaValue::U16(x) => write_type(w, T::U16).and_then(|_| w.write_all(&x.to_le_bytes())),
        MetaValue::I16(x) => write_type(w, T::I16).and_then(|_| w.write_all(&x.to_le_bytes())),
        MetaValue::U32(x) => write_type(w, T::U32).and_then(|_| w.write_all(&x.to_le_bytes())),
        MetaValue::I32(x) => write_type(w, T::I32).and_then(|_| w.write_all(&x.to_le_bytes())),
        MetaValue::F32(x) => write_type(w, T::F32).and_then(|_| w.write_all(&x.to_le_bytes())),
        MetaValue::Bool(x) => write_type(w, T::Bool).and_then(|_| w.write_all(&[u8::from(*x)])),
        MetaValue::U64(x) => write_type(w, T::U64).and_then(|_| w.write_all(&x.to_le_bytes())),
        MetaValue::I64(x) => write_type(w, T::I64).and_then(|_| w.write_all(&x.to_le_bytes())),
        MetaValue::F64(x) => write_type(w, T::F64).and_then(|_| w.write_all(&x.to_le_bytes())),
        MetaValue::String(s) => write_type(w, T::String).and_then(|_| write_str(w, s)),
        MetaValue::StringArray(a) => {
            write_array_head(w, T::String, a.len())?;
            a.iter().try_for_each(|s| write_str(w, s))
        }
        MetaValue::F32Array(a) => {
            write_array_head(w, T::F32, a.len())?;
            a.iter().try_for_each(|x| w.write_all(&x.to_le_bytes()))
        }
        MetaValue::I32Array(a) => {
            write_array_head(w, T::I32, a.len())?;
            a.iter().try_for_each(|x| w.write_all(&x.to_le_bytes()))
        }
        MetaValue::U32Array(a) => {
            write_array_head(w, T::U32, a.len())?;
            a.iter().try_for_each(|x| w.write_all(&x.to_le_bytes()))
        }
    }
}

fn write_zeros(w: &mut dyn Write, n: u64) -> io::Result<()> {
    const ZEROS: [u8; 256] = [0; 256];
    let mut left = n;
    while left > 0 {
        let k = left.min(ZEROS.len() as u64) as usize;
        w.write_all(&ZEROS[..k])?;
        left -= k as u64;
    }
    Ok(())
}

/// Counts the bytes written through it.
struct Counter<W> {
    n: u64,
    inner: W,
}

impl<W: Write> Write for Counter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let k = self.inner.write(buf)?;
        self.n += k as u64;
        Ok(k)
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        self.inner.write_all(buf)?;
        self.n += buf.len() as u64;
        Ok(())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gguf::{GgufValue, inspect};

    #[test]
    fn round_trip_through_inspect() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("rt.gguf");
        let mut w = GgufWriter::new();
        w.add_kv("general.architecture", MetaValue::String("llama".into()))
            .unwrap();
        w.add_kv("general.alignment", MetaValue::U32(64)).unwrap();
        w.add_kv("llama.block_count", MetaValue::U32(1)).unwrap();
        w.add_kv(
            "tokenizer.ggml.tokens",
            MetaValue::StringArray(vec!["a".into(), "b".into()]),
        )
        .unwrap();
        w.add_kv("x.f32s", MetaValue::F32Array(vec![1.0, 2.0, 3.0]))
            .unwrap();
        w.add_kv("x.flag", MetaValue::Bool(true)).unwrap();
        w.add_tensor("a", &[32, 2], GgmlType::Q8_0).unwrap();
        w.add_tensor("b", &[3], GgmlType::F32).unwrap();
        assert!(w.add_tensor("b", &[3], GgmlType::F32).is_err());
        assert!(w.add_tensor("c", &[33], GgmlType::Q4_0).is_err());
        assert!(w.add_kv("x.flag", MetaValue::Bool(false)).is_err());

        let size = w
            .write_file(&path, |t, out| {
                out.write_all(&vec![7u8; t.n_bytes as usize])
            })
            .unwrap();
        assert_eq!(size, w.file_size());
        assert_eq!(std::fs::metadata(&path).unwrap().len(), size);

        let info = inspect(&path).unwrap();
        assert_eq!(info.alignment, 64);
        assert_eq!(info.data_offset, w.data_offset());
        assert_eq!(info.data_offset % 64, 0);
        assert_eq!(info.n_vocab, Some(2));
        assert_eq!(info.n_layers, Some(1));
        assert_eq!(info.get("x.flag"), Some(&GgufValue::Bool(true)));
        assert_eq!(info.tensors, w.tensors());
        assert_eq!(info.tensors[1].offset, 128); // 68 bytes padded to 64
        assert_eq!(info.n_params, 64 + 3);
        assert_eq!(info.quant, "Q8_0");
    }

    #[test]
    fn wrong_tensor_size_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bad.gguf");
        let mut w = GgufWriter::new();
        w.add_tensor("a", &[4], GgmlType::F32).unwrap();
        let err = w
            .write_file(&path, |_, out| out.write_all(&[0u8; 15]))
            .unwrap_err();
        assert!(
            matches!(
                err,
                GgufWriteError::TensorSize {
                    expected: 16,
                    written: 15,
                    ..
                }
            ),
            "{err}"
        );
        assert!(err.to_string().contains("bad.gguf"));
    }

    #[test]
    fn alignment_must_be_a_power_of_two() {
        let mut w = GgufWriter::new();
        assert!(w.add_kv("general.alignment", MetaValue::U32(48)).is_err());
        assert!(w.add_kv("general.alignment", MetaValue::U64(64)).is_err());
        assert!(w.add_kv("", MetaValue::U64(64)).is_err());
    }
}
