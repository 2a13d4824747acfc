//! The hardened GGUF header parser behind [`super::inspect`]: reads the
//! metadata and tensor infos through a buffered reader, checking every count
//! and length against the bytes left in the file before allocating, and every
//! tensor against the rules llama.cpp's `gguf_init_from_file` enforces.

use super::GgufArray;
use super::cursor::Cursor;
use super::error::GgufError;
use super::info::TensorInfo;
use super::sniff::check_prefix;
use super::types::{GgmlType, GgufValueType};
use super::value::GgufValue;
use super::{DEFAULT_ALIGNMENT, MAX_TENSOR_NAME_LEN};
use std::collections::{BTreeMap, HashSet};
use std::fs::File;
use std::io::{BufReader, ErrorKind, Seek, SeekFrom};
use std::path::Path;

/// Refuse more tensors than this, whatever the file size (real models have at
/// most tens of thousands).
pub(super) const MAX_TENSORS: u64 = 1 << 20;
/// Refuse more metadata entries than this (real models have a few dozen).
pub(super) const MAX_KVS: u64 = 1 << 20;
/// Deepest nesting of arrays accepted (llama.cpp itself accepts none).
pub(super) const MAX_ARRAY_DEPTH: u32 = 4;
/// Fewest bytes a tensor info can take: name length, n_dims, type, offset.
const MIN_TENSOR_INFO: u64 = 8 + 4 + 4 + 8;
/// Fewest bytes a metadata entry can take: key length, 1-byte key, type, 1-byte value.
const MIN_KV: u64 = 8 + 1 + 4 + 1;

/// Everything a GGUF header says, checked.
pub(super) struct Header {
    pub version: u32,
    pub file_size: u64,
    pub alignment: u32,
    pub data_offset: u64,
    pub metadata: BTreeMap<String, GgufValue>,
    pub tensors: Vec<TensorInfo>,
    /// The elements of the arrays asked for (see [`read_header_keeping`]).
    pub arrays: BTreeMap<String, GgufArray>,
}

/// Reads and checks the header of the GGUF file at `path`.
pub(super) fn read_header(path: &Path) -> Result<Header, GgufError> {
    read_header_keeping(path, &[])
}

/// [`read_header`], keeping the elements of the metadata arrays named in
/// `keep` (string, f32 and i32 arrays; others are skipped as always).
pub(super) fn read_header_keeping(
    path: &Path,
    keep: &'static [&'static str],
) -> Result<Header, GgufError> {
    let p = || path.to_path_buf();
    let meta = std::fs::metadata(path).map_err(|e| open_error(path, e))?;
    if !meta.is_file() {
        return Err(GgufError::NotAFile { path: p() });
    }
    let size = meta.len();
    if size == 0 {
        return Err(GgufError::Empty { path: p() });
    }
    let mut file = File::open(path).map_err(|e| open_error(path, e))?;
    check_prefix(path, &mut file, size)?;
    file.seek(SeekFrom::Start(4))
        .map_err(|source| GgufError::Io { path: p(), source })?;
    let mut c = Cursor {
        r: BufReader::with_capacity(64 * 1024, file),
        pos: 4,
        size,
        path: p(),
        keep,
        kept: BTreeMap::new(),
    };

    let version = c.u32(|| "the GGUF version".into())?;
    if !(2..=3).contains(&version) {
        return Err(GgufError::UnsupportedVersion { path: p(), version });
    }
    let n_tensors = c.u64(|| "the tensor count".into())?;
    let n_kv = c.u64(|| "the metadata entry count".into())?;
    if n_tensors > MAX_TENSORS {
        let max = MAX_TENSORS.min(c.remaining() / MIN_TENSOR_INFO);
        return Err(GgufError::TooManyTensors {
            path: p(),
            count: n_tensors,
            max,
        });
    }
    if n_kv > MAX_KVS {
        let max = MAX_KVS.min(c.remaining() / MIN_KV);
        return Err(GgufError::TooManyKvs {
            path: p(),
            count: n_kv,
            max,
        });
    }
    // Both are small now, so this cannot overflow.
    let min_bytes = n_tensors * MIN_TENSOR_INFO + n_kv * MIN_KV;
    if min_bytes > c.remaining() {
        return Err(c.truncated(format!(
            "the {n_kv} metadata entries and {n_tensors} tensor infos the header announces, \
             which need at least {min_bytes} bytes"
        )));
    }

    let metadata = read_kvs(&mut c, n_kv)?;
    let alignment = match metadata.get("general.alignment") {
        None => DEFAULT_ALIGNMENT,
        Some(GgufValue::U32(a)) if a.is_power_of_two() => *a,
        Some(GgufValue::U32(a)) => {
            return Err(GgufError::BadAlignment {
                path: p(),
                alignment: *a,
            });
        }
        Some(other) => {
            return Err(GgufError::WrongValueType {
                path: p(),
                key: "general.alignment".into(),
                expected: GgufValueType::U32.name().into(),
                found: other.value_type().name().into(),
            });
        }
    };

    let mut tensors = read_tensor_infos(&mut c, n_tensors)?;
    let header_end = c.pos;
    let data_offset = if n_tensors > 0 {
        pad(header_end, alignment)
    } else {
        header_end
    };
    if data_offset > size {
        return Err(c.truncated("the padding before the tensor data".into()));
    }
    check_tensor_layout(path, &mut tensors, data_offset, alignment, size)?;

    Ok(Header {
        version,
        file_size: size,
        alignment,
        data_offset,
        metadata,
        tensors,
        arrays: std::mem::take(&mut c.kept),
    })
}

fn open_error(path: &Path, e: std::io::Error) -> GgufError {
    if e.kind() == ErrorKind::NotFound {
        GgufError::NotFound {
            path: path.to_path_buf(),
        }
    } else {
        GgufError::Io {
            path: path.to_path_buf(),
            source: e,
        }
    }
}

fn read_kvs(c: &mut Cursor, n_kv: u64) -> Result<BTreeMap<String, GgufValue>, GgufError> {
    let mut map = BTreeMap::new();
    for i in 0..n_kv {
        let what = || format!("the key of metadata entry #{i}");
        let key = c.string(&what)?;
        let key = String::from_utf8(key).map_err(|_| GgufError::InvalidUtf8 {
            path: c.path.clone(),
            what: what(),
        })?;
        if key.is_empty() {
            return Err(GgufError::EmptyKey {
                path: c.path.clone(),
                index: i,
            });
        }
        if map.contains_key(&key) {
            return Err(GgufError::DuplicateKey {
                path: c.path.clone(),
                key,
            });
        }
        let type_id = c.u32(|| format!("the type of metadata '{key}'"))?;
        let value = read_value(c, &key, type_id)?;
        map.insert(key, value);
    }
    Ok(map)
}

fn value_type(c: &Cursor, key: &str, type_id: u32) -> Result<GgufValueType, GgufError> {
    GgufValueType::from_id(type_id).ok_or_else(|| GgufError::InvalidValueType {
        path: c.path.clone(),
        key: key.to_string(),
        type_id,
    })
}

fn read_value(c: &mut Cursor, key: &str, type_id: u32) -> Result<GgufValue, GgufError> {
    let t = value_type(c, key, type_id)?;
    let what = || format!("the value of metadata '{key}'");
    Ok(match t {
        GgufValueType::U8 => GgufValue::U8(u8::from_le_bytes(c.array(what)?)),
        GgufValueType::I8 => GgufValue::I8(i8::from_le_bytes(c.array(what)?)),
        GgufValueType::U16 => GgufValue::U16(u16::from_le_bytes(c.array(what)?)),
        GgufValueType::I16 => GgufValue::I16(i16::from_le_bytes(c.array(what)?)),
        GgufValueType::U32 => GgufValue::U32(u32::from_le_bytes(c.array(what)?)),
        GgufValueType::I32 => GgufValue::I32(i32::from_le_bytes(c.array(what)?)),
        GgufValueType::F32 => GgufValue::F32(f32::from_le_bytes(c.array(what)?)),
        GgufValueType::Bool => GgufValue::Bool(c.array::<1>(what)?[0] != 0),
        GgufValueType::U64 => GgufValue::U64(u64::from_le_bytes(c.array(what)?)),
        GgufValueType::I64 => GgufValue::I64(i64::from_le_bytes(c.array(what)?)),
        GgufValueType::F64 => GgufValue::F64(f64::from_le_bytes(c.array(what)?)),
        GgufValueType::String => {
            let bytes = c.string(&|| format!("metadata '{key}'"))?;
            GgufValue::String(String::from_utf8_lossy(&bytes).into_owned())
        }
        GgufValueType::Array if c.keep.contains(&key) => {
            let (elem_type, len) = keep_array(c, key)?;
            GgufValue::Array { elem_type, len }
        }
        GgufValueType::Array => {
            let (elem_type, len) = skip_array(c, key, 0)?;
            GgufValue::Array { elem_type, len }
        }
    })
}

/// Reads an array's element type and count (its type id has been read) and
/// checks that that many elements can fit in the bytes left.
fn array_head(c: &mut Cursor, key: &str) -> Result<(GgufValueType, u64), GgufError> {
    let elem_id = c.u32(|| format!("the element type of metadata array '{key}'"))?;
    let elem = value_type(c, key, elem_id)?;
    let count = c.u64(|| format!("the length of metadata array '{key}'"))?;
    let fits = count
        .checked_mul(elem.min_size())
        .is_some_and(|n| n <= c.remaining());
    if !fits {
        return Err(GgufError::ArrayPastEof {
            path: c.path.clone(),
            key: key.to_string(),
            count,
            elem_type: elem.name().to_string(),
            remaining: c.remaining(),
        });
    }
    Ok((elem, count))
}

/// Reads an array's element type, count and elements into `c.kept` (a
/// string, f32 or i32 array; any other is skipped).
fn keep_array(c: &mut Cursor, key: &str) -> Result<(GgufValueType, u64), GgufError> {
    let (elem, count) = array_head(c, key)?;
    // `count` elements fit in the bytes left, so the vectors are bounded by
    // the file size.
    let what = |j: u64| move || format!("element #{j} of metadata array '{key}'");
    let kept = match elem {
        GgufValueType::String => {
            let mut v = Vec::with_capacity(count as usize);
            for j in 0..count {
                let bytes = c.string(&what(j))?;
                v.push(String::from_utf8_lossy(&bytes).into_owned());
            }
            Some(GgufArray::Strings(v))
        }
        GgufValueType::F32 => {
            let mut v = Vec::with_capacity(count as usize);
            for j in 0..count {
                v.push(f32::from_le_bytes(c.array(what(j))?));
            }
            Some(GgufArray::F32(v))
        }
        GgufValueType::I32 => {
            let mut v = Vec::with_capacity(count as usize);
            for j in 0..count {
                v.push(i32::from_le_bytes(c.array(what(j))?));
            }
            Some(GgufArray::I32(v))
        }
        _ => None,
    };
    match kept {
        Some(k) => {
            c.kept.insert(key.to_string(), k);
        }
        None => match elem.fixed_size() {
            Some(size) => c.skip(count * size, || {
                format!("the elements of metadata array '{key}'")
            })?,
            None => {
                for _ in 0..count {
                    skip_array(c, key, 1)?;
                }
            }
        },
    }
    Ok((elem, count))
}

/// Reads an array's element type and count (the type id has been read) and
/// skips its elements.
fn skip_array(c: &mut Cursor, key: &str, depth: u32) -> Result<(GgufValueType, u64), GgufError> {
    if depth >= MAX_ARRAY_DEPTH {
        return Err(GgufError::ArrayTooDeep {
            path: c.path.clone(),
            key: key.to_string(),
            max_depth: MAX_ARRAY_DEPTH,
        });
    }
    let (elem, count) = array_head(c, key)?;
    match elem.fixed_size() {
        Some(size) => c.skip(count * size, || {
            format!("the elements of metadata array '{key}'")
        })?,
        None if elem == GgufValueType::String => {
            for j in 0..count {
                let what = || format!("element #{j} of metadata array '{key}'");
                let len = c.string_len(&what)?;
                c.skip(len, what)?;
            }
        }
        None => {
            for _ in 0..count {
                skip_array(c, key, depth + 1)?;
            }
        }
    }
    Ok((elem, count))
}

fn read_tensor_infos(c: &mut Cursor, n_tensors: u64) -> Result<Vec<TensorInfo>, GgufError> {
    let path = c.path.clone();
    let p = || path.clone();
    // The count is bounded by the bytes left in the file (checked by the
    // caller); reserve modestly anyway, the vector grows if the infos are real.
    let mut tensors = Vec::with_capacity(usize::try_from(n_tensors.min(4096)).unwrap_or(0));
    let mut seen = HashSet::new();
    for i in 0..n_tensors {
        let what = || format!("the name of tensor #{i}");
        let name = c.string(&what)?;
        if name.len() > MAX_TENSOR_NAME_LEN {
            return Err(GgufError::TensorNameTooLong {
                path: p(),
                index: i,
                len: name.len() as u64,
            });
        }
        let name = String::from_utf8(name).map_err(|_| GgufError::InvalidUtf8 {
            path: p(),
            what: what(),
        })?;
        if !seen.insert(name.clone()) {
            return Err(GgufError::DuplicateTensor {
                path: p(),
                tensor: name,
            });
        }
        let n_dims = c.u32(|| format!("the dimension count of tensor '{name}'"))?;
        if n_dims > 4 {
            return Err(GgufError::TooManyDims {
                path: p(),
                tensor: name,
                n_dims,
            });
        }
        let mut dims = Vec::with_capacity(4);
        for j in 0..n_dims {
            dims.push(c.u64(|| format!("dimension {j} of tensor '{name}'"))?);
        }
        let n_elements = element_count(&dims).map_err(|reason| GgufError::BadShape {
            path: p(),
            tensor: name.clone(),
            dims: dims.clone(),
            reason,
        })?;
        let type_id = c.u32(|| format!("the type of tensor '{name}'"))?;
        let Some(ggml_type) = GgmlType::from_id(type_id) else {
            return Err(GgufError::UnknownType {
                path: p(),
                tensor: name,
                type_id,
            });
        };
        let row = dims.first().copied().unwrap_or(1);
        if !row.is_multiple_of(ggml_type.block_size()) {
            return Err(GgufError::RowNotBlockMultiple {
                path: p(),
                tensor: name,
                ggml_type: ggml_type.name().into(),
                row,
                block: ggml_type.block_size(),
            });
        }
        let Some(n_bytes) = ggml_type.n_bytes(n_elements) else {
            return Err(GgufError::BadShape {
                path: p(),
                tensor: name,
                dims,
                reason: "its size in bytes overflows".into(),
            });
        };
        let offset = c.u64(|| format!("the data offset of tensor '{name}'"))?;
        tensors.push(TensorInfo {
            name,
            dims,
            ggml_type,
            offset,
            n_bytes,
        });
    }
    Ok(tensors)
}

/// The element count of a shape, refusing what ggml cannot represent (a
/// dimension or product above `i64::MAX`). A zero dimension is allowed, as in
/// llama.cpp.
fn element_count(dims: &[u64]) -> Result<u64, String> {
    let max = i64::MAX as u64;
    let mut n: u64 = 1;
    for (j, &d) in dims.iter().enumerate() {
        if d > max {
            return Err(format!(
                "dimension {j} is negative as a signed 64-bit count"
            ));
        }
        n = n
            .checked_mul(d)
            .filter(|&n| n <= max)
            .ok_or_else(|| "its element count overflows".to_string())?;
    }
    Ok(n)
}

pub(super) fn pad(n: u64, alignment: u32) -> u64 {
    let a = u64::from(alignment);
    n.div_ceil(a).saturating_mul(a)
}

/// Checks that the tensors lie where llama.cpp expects them: in order, each
/// at an aligned offset right after the previous one's padded data, and all
/// inside the file.
fn check_tensor_layout(
    path: &Path,
    tensors: &mut [TensorInfo],
    data_offset: u64,
    alignment: u32,
    file_size: u64,
) -> Result<(), GgufError> {
    let mut expected: u64 = 0;
    for t in tensors.iter() {
        if !t.offset.is_multiple_of(u64::from(alignment)) {
            return Err(GgufError::TensorMisaligned {
                path: path.to_path_buf(),
                tensor: t.name.clone(),
                offset: t.offset,
                alignment,
            });
        }
        if t.offset != expected {
            return Err(GgufError::TensorOffsetMismatch {
                path: path.to_path_buf(),
                tensor: t.name.clone(),
                offset: t.offset,
                expected,
            });
        }
        let end = data_offset
            .checked_add(t.offset)
            .and_then(|s| s.checked_add(t.n_bytes))
            .unwrap_or(u64::MAX);
        if end > file_size {
            return Err(GgufError::TensorDataPastEof {
                path: path.to_path_buf(),
                tensor: t.name.clone(),
                end,
                file_size,
            });
        }
        expected = expected.saturating_add(pad(t.n_bytes, alignment));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn element_counts() {
        assert_eq!(element_count(&[]), Ok(1));
        assert_eq!(element_count(&[32, 0]), Ok(0));
        assert_eq!(element_count(&[4096, 32000]), Ok(4096 * 32000));
        assert!(element_count(&[u64::MAX]).is_err());
        assert!(element_count(&[1 << 32, 1 << 32]).is_err());
    }

    #[test]
    fn padding() {
        assert_eq!(pad(0, 32), 0);
        assert_eq!(pad(1, 32), 32);
        assert_eq!(pad(64, 32), 64);
        assert_eq!(pad(65, 64), 128);
        assert_eq!(pad(u64::MAX, 32), u64::MAX);
    }

    /// A header with no tensors whose second entry, `a.nested`, is an array
    /// nested `depth` deep around `[u8; 1]`.
    fn nested_file(depth: u32, elem_type: u32) -> Vec<u8> {
        let mut b = Vec::new();
        b.extend_from_slice(b"GGUF");
        b.extend_from_slice(&3u32.to_le_bytes());
        b.extend_from_slice(&0u64.to_le_bytes());
        b.extend_from_slice(&2u64.to_le_bytes());
        let string = |b: &mut Vec<u8>, s: &str| {
            b.extend_from_slice(&(s.len() as u64).to_le_bytes());
            b.extend_from_slice(s.as_bytes());
        };
        string(&mut b, "general.architecture");
        b.extend_from_slice(&8u32.to_le_bytes());
        string(&mut b, "x");
        string(&mut b, "a.nested");
        b.extend_from_slice(&9u32.to_le_bytes());
        for _ in 1..depth {
            b.extend_from_slice(&9u32.to_le_bytes());
            b.extend_from_slice(&1u64.to_le_bytes());
        }
        b.extend_from_slice(&elem_type.to_le_bytes());
        b.extend_from_slice(&1u64.to_le_bytes());
        b.push(7);
        b
    }

    #[test]
    fn nested_arrays_and_empty_tensor_lists() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nested.gguf");

        std::fs::write(&path, nested_file(2, 0)).unwrap();
        let h = read_header(&path).unwrap();
        let nested = GgufValue::Array {
            elem_type: GgufValueType::Array,
            len: 1,
        };
        assert_eq!(h.metadata.get("a.nested"), Some(&nested));
        assert!(h.tensors.is_empty());
        // Without tensors there is no padding before the (empty) data section.
        assert_eq!(h.data_offset, h.file_size);

        std::fs::write(&path, nested_file(MAX_ARRAY_DEPTH + 1, 0)).unwrap();
        let err = read_header(&path).err();
        assert!(
            matches!(err, Some(GgufError::ArrayTooDeep { .. })),
            "{err:?}"
        );

        std::fs::write(&path, nested_file(2, 13)).unwrap();
        let err = read_header(&path).err();
        assert!(
            matches!(err, Some(GgufError::InvalidValueType { type_id: 13, .. })),
            "{err:?}"
        );
    }
}
