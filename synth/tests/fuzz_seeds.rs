//! The model seeds of the fuzz corpora (fuzz/seeds/gguf, fuzz/seeds/onnx) are
//! written by edgebench's own writers. This test writes them afresh and
//! checks the committed ones are the same bytes, so the fuzzers start from
//! what the writers produce today. After a deliberate format change,
//! regenerate them with
//!   EDGEBENCH_WRITE_FUZZ_SEEDS=1 cargo test -p edgebench-synth --test fuzz_seeds
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use edgebench_formats::gguf::{self, GgmlType, GgufWriter, MetaValue};
use edgebench_synth::{Preset, Quant, SynthSpec, vocab, write_onnx};

#[test]
fn committed_fuzz_seeds_are_what_the_writers_write() {
    let tmp = tempfile::tempdir().unwrap();
    let fresh = write_seeds(tmp.path());
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/seeds");
    if std::env::var_os("EDGEBENCH_WRITE_FUZZ_SEEDS").is_some() {
        for (rel, bytes) in &fresh {
            let p = root.join(rel);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(&p, bytes).unwrap();
        }
    }
    for (rel, bytes) in &fresh {
        let committed = std::fs::read(root.join(rel)).unwrap_or_else(|e| {
            panic!("fuzz/seeds/{rel}: {e}; regenerate with EDGEBENCH_WRITE_FUZZ_SEEDS=1")
        });
        assert!(
            committed == *bytes,
            "fuzz/seeds/{rel} differs from what the writer writes today; regenerate with \
             EDGEBENCH_WRITE_FUZZ_SEEDS=1 cargo test -p edgebench-synth --test fuzz_seeds"
        );
    }
    // The GGUF seeds are accepted by the checker (the fuzzer starts on the
    // accepted path, not only on refusals).
    // The vocabulary seeds are read and tokenize (the accepted path again).
    for (rel, _) in fresh.iter().filter(|(r, _)| r.starts_with("tokenizer/")) {
        let t = gguf::tokenizer::GgufTokenizer::from_gguf(&root.join(rel)).unwrap();
        let ids = t.tokenize("the cat and I'll").unwrap();
        assert!(ids.len() > 2 && ids[0] == vocab::BOS_ID, "{rel}: {ids:?}");
    }
    for (rel, _) in fresh
        .iter()
        .filter(|(r, _)| r.starts_with("gguf/") && r.ends_with(".gguf"))
    {
        let info = gguf::inspect(&root.join(rel)).unwrap();
        assert_eq!(info.arch, "llama");
        assert_eq!(info.tensors.len(), 5);
    }
}

/// Every seed: its path under fuzz/seeds and its bytes.
fn write_seeds(tmp: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    for (name, t, align) in [
        ("mini-llama-q4_0.gguf", GgmlType::Q4_0, 32),
        ("mini-llama-q8_0-align64.gguf", GgmlType::Q8_0, 64),
        ("mini-llama-f16.gguf", GgmlType::F16, 32),
    ] {
        let p = tmp.join(name);
        write_gguf(&p, t, align);
        out.insert(format!("gguf/{name}"), std::fs::read(&p).unwrap());
    }
    // Vocabulary-only GGUFs for the tokenizer target: SentencePiece and
    // byte-level BPE (merges, a pre-tokenizer, a user-defined token).
    for (name, vocab) in [
        ("spm-vocab.gguf", vocab::synth_vocab(vocab::MIN_VOCAB + 95)),
        (
            "bpe-vocab.gguf",
            vocab::bpe_vocab(
                400,
                "the cat and the hat and the bat, I'll say 123 and 456 twice twice",
                "llama-bpe",
                &["<tool_call>"],
            ),
        ),
    ] {
        let p = tmp.join(name);
        write_vocab(&p, vocab);
        out.insert(format!("tokenizer/{name}"), std::fs::read(&p).unwrap());
    }
    for quant in [Quant::Q4_0, Quant::Q8_0] {
        let dir: PathBuf = tmp.join(format!("twin-{quant}"));
        std::fs::create_dir_all(&dir).unwrap();
        let spec = SynthSpec {
            preset: Preset::Tiny,
            quant,
            seed: 42,
        };
        // The fuzz target provides a sparse `model.onnx.data` beside its input.
        write_onnx(&spec, &dir.join("model.onnx")).unwrap();
        out.insert(
            format!("onnx/tiny-{quant}-twin.onnx"),
            std::fs::read(dir.join("model.onnx")).unwrap(),
        );
    }
    out
}

/// A GGUF holding only a vocabulary (`tokenizer.ggml.*`).
fn write_vocab(path: &Path, v: vocab::Vocab) {
    let mut w = GgufWriter::new();
    let mut kv = |k: &str, v: MetaValue| w.add_kv(k, v).unwrap();
    kv("general.architecture", MetaValue::String("llama".into()));
    match v.bpe {
        None => kv("tokenizer.ggml.model", MetaValue::String("llama".into())),
        Some(b) => {
            kv("tokenizer.ggml.model", MetaValue::String("gpt2".into()));
            kv("tokenizer.ggml.pre", MetaValue::String(b.pre));
            kv("tokenizer.ggml.merges", MetaValue::StringArray(b.merges));
        }
    }
    kv("tokenizer.ggml.tokens", MetaValue::StringArray(v.tokens));
    kv("tokenizer.ggml.scores", MetaValue::F32Array(v.scores));
    kv(
        "tokenizer.ggml.token_type",
        MetaValue::I32Array(v.token_types),
    );
    kv("tokenizer.ggml.bos_token_id", MetaValue::U32(vocab::BOS_ID));
    kv("tokenizer.ggml.eos_token_id", MetaValue::U32(vocab::EOS_ID));
    kv("tokenizer.ggml.add_bos_token", MetaValue::Bool(true));
    w.write_file(path, |_, _| Ok(())).unwrap();
}

/// A llama-shaped GGUF: one layer, a vocabulary of 8, metadata of every
/// scalar and array type, and five tensors.
fn write_gguf(path: &Path, weights: GgmlType, alignment: u32) {
    let mut w = GgufWriter::new();
    let mut kv = |k: &str, v: MetaValue| w.add_kv(k, v).unwrap();
    if alignment != 32 {
        kv("general.alignment", MetaValue::U32(alignment));
    }
    kv("general.architecture", MetaValue::String("llama".into()));
    kv("general.name", MetaValue::String("fuzz seed".into()));
    kv("general.file_type", MetaValue::U32(2));
    kv("llama.block_count", MetaValue::U32(1));
    kv("llama.embedding_length", MetaValue::U32(32));
    kv("llama.feed_forward_length", MetaValue::U32(64));
    kv("llama.attention.head_count", MetaValue::U32(2));
    kv("llama.attention.head_count_kv", MetaValue::U32(1));
    kv("llama.context_length", MetaValue::U32(128));
    kv("llama.rope.freq_base", MetaValue::F32(10000.0));
    kv(
        "llama.attention.layer_norm_rms_epsilon",
        MetaValue::F32(1e-5),
    );
    kv("tokenizer.ggml.model", MetaValue::String("llama".into()));
    let tokens: Vec<String> = (0..8).map(|i| format!("<t{i}>")).collect();
    kv("tokenizer.ggml.tokens", MetaValue::StringArray(tokens));
    kv("tokenizer.ggml.scores", MetaValue::F32Array(vec![0.0; 8]));
    kv("tokenizer.ggml.token_type", MetaValue::I32Array(vec![1; 8]));
    kv("tokenizer.ggml.bos_token_id", MetaValue::U32(1));
    kv("tokenizer.ggml.eos_token_id", MetaValue::U32(2));
    kv("tokenizer.ggml.add_bos_token", MetaValue::Bool(true));
    kv("seed.u8", MetaValue::U8(1));
    kv("seed.i8", MetaValue::I8(-1));
    kv("seed.u16", MetaValue::U16(2));
    kv("seed.i16", MetaValue::I16(-2));
    kv("seed.i32", MetaValue::I32(-3));
    kv("seed.u64", MetaValue::U64(4));
    kv("seed.i64", MetaValue::I64(-4));
    kv("seed.f64", MetaValue::F64(0.5));
    kv("seed.u32s", MetaValue::U32Array(vec![1, 2, 3]));
    w.add_tensor("token_embd.weight", &[32, 8], weights)
        .unwrap();
    w.add_tensor("blk.0.attn_norm.weight", &[32], GgmlType::F32)
        .unwrap();
    w.add_tensor("blk.0.attn_q.weight", &[32, 32], weights)
        .unwrap();
    w.add_tensor("output_norm.weight", &[32], GgmlType::F32)
        .unwrap();
    w.add_tensor("output.weight", &[32, 8], weights).unwrap();
    w.write_file(path, |t, out| {
        out.write_all(&vec![0x11u8; usize::try_from(t.n_bytes).unwrap()])
    })
    .unwrap();
}
