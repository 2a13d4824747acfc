//! A corpus of broken GGUF files, made from a valid synthetic model by
//! mutating bytes: each must be refused by `gguf::inspect` with its specific
//! error variant and a message naming the file, and nothing may panic.

use edgebench_formats::gguf::{GgmlType, GgufError, GgufWriter, MetaValue, inspect};
use edgebench_synth::{Preset, Quant, SynthSpec, write_gguf};
use std::io::{Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

struct Base {
    dir: tempfile::TempDir,
    bytes: Vec<u8>,
    data_offset: u64,
    header_end: usize,
}

/// A valid tiny Q4_0 model, its bytes and layout.
fn base() -> Base {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("base.gguf");
    let spec = SynthSpec {
        preset: Preset::Tiny,
        quant: Quant::Q4_0,
        seed: 1,
    };
    write_gguf(&spec, &path).unwrap();
    let info = inspect(&path).unwrap();
    let bytes = std::fs::read(&path).unwrap();
    // The last tensor info ends with its u64 offset.
    let last = info.tensors.last().unwrap();
    let header_end =
        find(&bytes, last.name.as_bytes()) + last.name.len() + 4 + 8 * last.dims.len() + 4 + 8;
    Base {
        dir,
        bytes,
        data_offset: info.data_offset,
        header_end,
    }
}

fn find(hay: &[u8], needle: &[u8]) -> usize {
    hay.windows(needle.len())
        .position(|w| w == needle)
        .unwrap_or_else(|| panic!("{:?} not in the file", String::from_utf8_lossy(needle)))
}

/// Where the value of metadata `key` starts (after its u32 type).
fn value_pos(bytes: &[u8], key: &str) -> usize {
    find(bytes, key.as_bytes()) + key.len() + 4
}

/// Where the fields after tensor `name`'s name start (its u32 n_dims).
fn tensor_pos(bytes: &[u8], name: &str) -> usize {
    find(bytes, name.as_bytes()) + name.len()
}

impl Base {
    fn write(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let path = self.dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        path
    }

    /// Writes a copy with `patch` written at `at`.
    fn patched(&self, name: &str, at: usize, patch: &[u8]) -> PathBuf {
        let mut b = self.bytes.clone();
        b[at..at + patch.len()].copy_from_slice(patch);
        self.write(name, &b)
    }

    fn cut(&self, name: &str, len: usize) -> PathBuf {
        self.write(name, &self.bytes[..len])
    }
}

/// `inspect` must fail on `path` with an error `expected` accepts, whose
/// message names the file.
fn refused(path: &Path, expected: impl Fn(&GgufError) -> bool) -> GgufError {
    let err = match inspect(path) {
        Ok(_) => panic!("{} was accepted", path.display()),
        Err(e) => e,
    };
    let msg = err.to_string();
    eprintln!("{msg}");
    assert!(
        expected(&err),
        "{}: unexpected error {err:?}",
        path.display()
    );
    let file_name = path.file_name().unwrap().to_string_lossy();
    assert!(
        msg.contains(&*file_name),
        "message does not name the file: {msg}"
    );
    assert_eq!(err.path(), path);
    err
}

#[test]
fn truncated_files() {
    let b = base();
    for cut in [2, 6, 20, 30, 100] {
        let p = b.cut(&format!("cut-{cut}.gguf"), cut);
        refused(&p, |e| matches!(e, GgufError::Truncated { .. }));
    }
    let in_last_info = b.cut("cut-last-info.gguf", b.header_end - 4);
    let err = refused(&in_last_info, |e| matches!(e, GgufError::Truncated { .. }));
    assert!(err.to_string().contains("blk.3.ffn_down.weight"), "{err}");

    let tokens = value_pos(&b.bytes, "tokenizer.ggml.tokens");
    let in_vocab = b.cut("cut-vocab.gguf", tokens + 12 + 3000);
    refused(
        &in_vocab,
        |e| matches!(e, GgufError::ArrayPastEof { key, count: 2048, .. } if key == "tokenizer.ggml.tokens"),
    );

    let in_data = b.cut("cut-data.gguf", b.data_offset as usize + 1000);
    let err = refused(
        &in_data,
        |e| matches!(e, GgufError::TensorDataPastEof { tensor, .. } if tensor == "token_embd.weight"),
    );
    assert!(err.to_string().contains("re-download"), "{err}");

    let last_byte = b.cut("cut-1.gguf", b.bytes.len() - 1);
    refused(&last_byte, |e| {
        matches!(e, GgufError::TensorDataPastEof { tensor, end, file_size, .. }
            if tensor == "blk.3.ffn_down.weight" && *end == *file_size + 1)
    });
}

#[test]
fn bad_magic_and_versions() {
    let b = base();
    let p = b.patched("magic.gguf", 0, b"GGML");
    let err = refused(
        &p,
        |e| matches!(e, GgufError::BadMagic { found, .. } if found == "GGML"),
    );
    assert!(err.to_string().contains("GGUF"), "{err}");

    let p = b.write("page.gguf", b"<!DOCTYPE html><html>Not found</html>");
    let err = refused(&p, |e| matches!(e, GgufError::BadMagic { .. }));
    assert!(err.to_string().contains("HTML"), "{err}");

    for version in [0u32, 1, 4, 0x0300_0000] {
        let p = b.patched(&format!("v{version}.gguf"), 4, &version.to_le_bytes());
        let err = refused(
            &p,
            |e| matches!(e, GgufError::UnsupportedVersion { version: v, .. } if *v == version),
        );
        assert!(err.to_string().contains("versions 2 and 3"), "{err}");
    }
    // Version 2 has the same layout and is accepted.
    let p = b.patched("v2.gguf", 4, &2u32.to_le_bytes());
    assert_eq!(inspect(&p).unwrap().version, 2);
}

#[test]
fn absurd_counts_and_lengths() {
    let b = base();
    let p = b.patched("tensors.gguf", 8, &(u64::MAX / 2).to_le_bytes());
    refused(&p, |e| matches!(e, GgufError::TooManyTensors { .. }));
    let p = b.patched("kvs.gguf", 16, &(1u64 << 40).to_le_bytes());
    refused(&p, |e| matches!(e, GgufError::TooManyKvs { .. }));

    // The first key's length, then the first value's (general.architecture).
    let p = b.patched("keylen.gguf", 24, &(1u64 << 40).to_le_bytes());
    refused(
        &p,
        |e| matches!(e, GgufError::StringPastEof { len, .. } if *len == 1 << 40),
    );
    let arch = value_pos(&b.bytes, "general.architecture");
    let p = b.patched("strlen.gguf", arch, &u64::MAX.to_le_bytes());
    let err = refused(&p, |e| {
        matches!(e, GgufError::StringPastEof { len: u64::MAX, .. })
    });
    assert!(err.to_string().contains("general.architecture"), "{err}");

    let tokens = value_pos(&b.bytes, "tokenizer.ggml.tokens");
    let p = b.patched("arraylen.gguf", tokens + 4, &(1u64 << 50).to_le_bytes());
    refused(
        &p,
        |e| matches!(e, GgufError::ArrayPastEof { key, .. } if key == "tokenizer.ggml.tokens"),
    );
}

#[test]
fn broken_metadata() {
    let b = base();
    let key = find(&b.bytes, b"general.name");
    let p = b.patched("utf8.gguf", key, &[0xFF]);
    refused(&p, |e| matches!(e, GgufError::InvalidUtf8 { .. }));

    let eos = find(&b.bytes, b"tokenizer.ggml.eos_token_id");
    let p = b.patched("dupkey.gguf", eos + 15, b"b");
    refused(
        &p,
        |e| matches!(e, GgufError::DuplicateKey { key, .. } if key == "tokenizer.ggml.bos_token_id"),
    );

    let arch_type = value_pos(&b.bytes, "general.architecture") - 4;
    let p = b.patched("valtype.gguf", arch_type, &13u32.to_le_bytes());
    refused(&p, |e| {
        matches!(e, GgufError::InvalidValueType { type_id: 13, .. })
    });

    let align = value_pos(&b.bytes, "general.alignment");
    let p = b.patched("align.gguf", align, &48u32.to_le_bytes());
    refused(&p, |e| {
        matches!(e, GgufError::BadAlignment { alignment: 48, .. })
    });

    let arch_key = find(&b.bytes, b"general.architecture");
    let p = b.patched("noarch.gguf", arch_key + 19, b"X");
    refused(&p, |e| matches!(e, GgufError::MissingArchitecture { .. }));
}

#[test]
fn broken_tensor_infos() {
    let b = base();
    let first = tensor_pos(&b.bytes, "token_embd.weight");
    let p = b.patched("ndims.gguf", first, &5u32.to_le_bytes());
    refused(
        &p,
        |e| matches!(e, GgufError::TooManyDims { n_dims: 5, tensor, .. } if tensor == "token_embd.weight"),
    );

    let p = b.patched("negdim.gguf", first + 4, &u64::MAX.to_le_bytes());
    refused(&p, |e| matches!(e, GgufError::BadShape { .. }));

    let p = b.patched("row.gguf", first + 4, &250u64.to_le_bytes());
    refused(&p, |e| {
        matches!(
            e,
            GgufError::RowNotBlockMultiple {
                row: 250,
                block: 32,
                ..
            }
        )
    });

    let ty = first + 4 + 16;
    let p = b.patched("type99.gguf", ty, &99u32.to_le_bytes());
    let err = refused(
        &p,
        |e| matches!(e, GgufError::UnknownType { type_id: 99, tensor, .. } if tensor == "token_embd.weight"),
    );
    assert!(err.to_string().contains("token_embd.weight"), "{err}");
    let p = b.patched("type31.gguf", ty, &31u32.to_le_bytes());
    let err = refused(&p, |e| {
        matches!(e, GgufError::UnknownType { type_id: 31, .. })
    });
    assert!(err.to_string().contains("removed"), "{err}");

    // blk.0.attn_v.weight renamed to blk.0.attn_k.weight.
    let v = find(&b.bytes, b"blk.0.attn_v.weight");
    let p = b.patched("duptensor.gguf", v + 11, b"k");
    refused(
        &p,
        |e| matches!(e, GgufError::DuplicateTensor { tensor, .. } if tensor == "blk.0.attn_k.weight"),
    );

    let name_len = find(&b.bytes, b"output_norm.weight") - 8;
    let p = b.patched("longname.gguf", name_len, &70u64.to_le_bytes());
    refused(&p, |e| {
        matches!(e, GgufError::TensorNameTooLong { len: 70, .. })
    });

    // output_norm.weight is 1-D: n_dims, one dim, type, then its offset.
    let offset_at = tensor_pos(&b.bytes, "output_norm.weight") + 4 + 8 + 4;
    let offset = u64::from_le_bytes(b.bytes[offset_at..offset_at + 8].try_into().unwrap());
    let p = b.patched("misaligned.gguf", offset_at, &(offset + 1).to_le_bytes());
    refused(&p, |e| {
        matches!(e, GgufError::TensorMisaligned { alignment: 32, .. })
    });
    let p = b.patched("moved.gguf", offset_at, &(offset + 32).to_le_bytes());
    refused(
        &p,
        |e| matches!(e, GgufError::TensorOffsetMismatch { expected, .. } if *expected == offset),
    );

    // The last tensor made bigger than the file.
    let last = tensor_pos(&b.bytes, "blk.3.ffn_down.weight");
    let p = b.patched("bigtensor.gguf", last + 4 + 8, &100_000u64.to_le_bytes());
    let err = refused(&p, |e| matches!(e, GgufError::TensorDataPastEof { .. }));
    let msg = err.to_string();
    assert!(
        msg.contains("blk.3.ffn_down.weight") && msg.contains("bytes"),
        "{msg}"
    );
}

#[test]
fn not_gguf_at_all() {
    let b = base();
    let p = b.write(
        "lfs.gguf",
        b"version https://git-lfs.github.com/spec/v1\noid sha256:4d7a\nsize 12345\n",
    );
    let err = refused(&p, |e| matches!(e, GgufError::LfsPointer { .. }));
    assert!(err.to_string().contains("git lfs pull"), "{err}");

    let p = b.write("empty.gguf", b"");
    refused(&p, |e| matches!(e, GgufError::Empty { .. }));

    let p = b.dir.path().join("missing.gguf");
    refused(&p, |e| matches!(e, GgufError::NotFound { .. }));

    let p = b.dir.path().join("folder.gguf");
    std::fs::create_dir(&p).unwrap();
    refused(&p, |e| matches!(e, GgufError::NotAFile { .. }));
}

/// A file rewritten in place through one handle (recreating a file per case
/// is slow on some file systems, which flush replaced files on close).
struct Scratch {
    file: std::fs::File,
    path: PathBuf,
}

impl Scratch {
    fn new(path: PathBuf) -> Self {
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(&path)
            .unwrap();
        Scratch { file, path }
    }

    fn set(&mut self, bytes: &[u8]) {
        self.file.set_len(bytes.len() as u64).unwrap();
        self.file.seek(SeekFrom::Start(0)).unwrap();
        self.file.write_all(bytes).unwrap();
    }
}

/// A small file with every metadata kind, for exhaustive mutation.
fn small_file(path: &Path) -> Vec<u8> {
    let mut w = GgufWriter::new();
    w.add_kv("general.architecture", MetaValue::String("llama".into()))
        .unwrap();
    w.add_kv("general.name", MetaValue::String("fuzz".into()))
        .unwrap();
    w.add_kv("llama.block_count", MetaValue::U32(1)).unwrap();
    w.add_kv("a.f64", MetaValue::F64(1.5)).unwrap();
    w.add_kv("a.bool", MetaValue::Bool(true)).unwrap();
    let tokens = (0..20).map(|i| format!("t{i}")).collect();
    w.add_kv("tokenizer.ggml.tokens", MetaValue::StringArray(tokens))
        .unwrap();
    w.add_kv("a.f32s", MetaValue::F32Array(vec![0.5; 7]))
        .unwrap();
    w.add_tensor("w", &[32, 4], GgmlType::Q8_0).unwrap(); // 136 bytes, padded to 160
    w.add_tensor("n", &[8], GgmlType::F32).unwrap(); // 32 bytes, no padding
    w.write_file(path, |t, out| out.write_all(&vec![1u8; t.n_bytes as usize]))
        .unwrap();
    std::fs::read(path).unwrap()
}

#[test]
fn every_prefix_is_refused_and_mutations_never_panic() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("small.gguf");
    let bytes = small_file(&path);
    let info = inspect(&path).unwrap();
    assert_eq!(info.n_vocab, Some(20));
    assert_eq!(info.file_size as usize, bytes.len());

    let mut cut = Scratch::new(dir.path().join("prefix.gguf"));
    for len in 0..bytes.len() {
        cut.set(&bytes[..len]);
        refused(&cut.path, |_| true);
    }

    // Deterministic byte flips over the header and the start of the data.
    let mut mutated = Scratch::new(dir.path().join("mutated.gguf"));
    let mut state = 0x1234_5678_9abc_def0u64;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for _ in 0..3000 {
        let mut b = bytes.clone();
        for _ in 0..(next() % 3 + 1) {
            let at = (next() % info.data_offset) as usize;
            b[at] = next() as u8;
        }
        mutated.set(&b);
        if let Ok(i) = inspect(&mutated.path) {
            assert!(
                i.tensors
                    .iter()
                    .all(|t| i.data_offset + t.offset + t.n_bytes <= i.file_size)
            );
        }
    }
}
