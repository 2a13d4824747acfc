//! Synthetic models: the same spec gives byte-identical files, a different
//! seed different ones, and `gguf::inspect` reads back what was meant to be
//! written (architecture, sizes, quantisation, tokenizer ids, layout), with
//! tensor data equal to the generator's values encoded in one go.

use edgebench_formats::gguf::{GgmlType, GgufValue, inspect};
use edgebench_synth::quant::{quantize_q4_0, quantize_q8_0};
use edgebench_synth::weights::{model_tensors, tensor_values};
use edgebench_synth::{Preset, Quant, SYNTH_FORMAT_VERSION, SynthSpec, write_gguf};
use std::time::Instant;

fn spec(quant: Quant, seed: u64) -> SynthSpec {
    SynthSpec {
        preset: Preset::Tiny,
        quant,
        seed,
    }
}

#[test]
fn same_spec_same_bytes_other_seed_other_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b, c) = (
        dir.path().join("a.gguf"),
        dir.path().join("b.gguf"),
        dir.path().join("c.gguf"),
    );
    let sa = write_gguf(&spec(Quant::Q4_0, 42), &a).unwrap();
    let sb = write_gguf(&spec(Quant::Q4_0, 42), &b).unwrap();
    write_gguf(&spec(Quant::Q4_0, 43), &c).unwrap();
    let (ba, bb, bc) = (
        std::fs::read(&a).unwrap(),
        std::fs::read(&b).unwrap(),
        std::fs::read(&c).unwrap(),
    );
    assert_eq!(sa.file_size, ba.len() as u64);
    assert_eq!(sa.file_size, sb.file_size);
    assert!(ba == bb, "same spec wrote different bytes");
    assert_eq!(ba.len(), bc.len(), "the seed must not change the layout");
    assert!(ba != bc, "a different seed wrote the same bytes");
    // The weights differ, not just the seed stored in the metadata.
    let data = inspect(&a).unwrap().data_offset as usize;
    assert!(ba[data..] != bc[data..]);
}

#[test]
fn inspect_reads_back_every_quant() {
    let dir = tempfile::tempdir().unwrap();
    let h = Preset::Tiny.hparams();
    // 2048 x 256 embeddings and output, 4 layers of 4 heads (2 kv) of 64 and an FFN of 768.
    let layer = 2 * 256 + 256 * 256 + 2 * 256 * 128 + 256 * 256 + 3 * 256 * 768;
    let n_params = 2 * 256 * 2048 + 256 + 4 * layer;
    assert_eq!(h.n_params(), n_params);

    for (quant, name, file_type, ty) in [
        (Quant::Q4_0, "Q4_0", 2, GgmlType::Q4_0),
        (Quant::Q8_0, "Q8_0", 7, GgmlType::Q8_0),
        (Quant::F16, "F16", 1, GgmlType::F16),
        (Quant::F32, "F32", 0, GgmlType::F32),
    ] {
        let s = spec(quant, 7);
        let path = dir.path().join(s.file_name());
        let summary = write_gguf(&s, &path).unwrap();
        let info = inspect(&path).unwrap();
        assert_eq!(info.arch, "llama");
        assert_eq!(info.version, 3);
        assert_eq!(info.n_layers, Some(4));
        assert_eq!(info.n_embd, Some(256));
        assert_eq!(info.n_head, Some(4));
        assert_eq!(info.n_head_kv, Some(2));
        assert_eq!(info.n_ctx_train, Some(2048));
        assert_eq!(info.n_vocab, Some(2048));
        assert_eq!(info.n_params, n_params);
        assert_eq!(summary.n_params, n_params);
        assert_eq!(info.quant, name);
        assert_eq!(info.file_type, Some(file_type));
        assert_eq!(info.bos_token_id, Some(1));
        assert_eq!(info.eos_token_id, Some(2));
        assert_eq!(info.add_bos_token, Some(true));
        assert_eq!(info.tensors.len(), 3 + 9 * 4);
        assert_eq!(summary.n_tensors, info.tensors.len());
        assert_eq!(info.file_size, summary.file_size);
        assert_eq!(
            info.get("tokenizer.ggml.model"),
            Some(&GgufValue::String("llama".into()))
        );
        assert_eq!(
            info.get("llama.rope.dimension_count"),
            Some(&GgufValue::U32(64))
        );
        assert_eq!(
            info.get("llama.attention.layer_norm_rms_epsilon"),
            Some(&GgufValue::F32(1e-5))
        );
        assert_eq!(
            info.get("edgebench.synth.format_version"),
            Some(&GgufValue::U32(SYNTH_FORMAT_VERSION))
        );
        for key in ["tokenizer.ggml.scores", "tokenizer.ggml.token_type"] {
            assert_eq!(
                info.get(key).and_then(GgufValue::array_len),
                Some(2048),
                "{key}"
            );
        }

        assert_eq!(info.alignment, 32);
        assert_eq!(info.data_offset % 32, 0);
        let mut expected_offset = 0;
        for t in &info.tensors {
            assert_eq!(t.offset, expected_offset, "{}", t.name);
            assert_eq!(t.offset % 32, 0, "{}", t.name);
            let want = if t.name.ends_with("_norm.weight") {
                GgmlType::F32
            } else {
                ty
            };
            assert_eq!(t.ggml_type, want, "{}", t.name);
            expected_offset += t.n_bytes.div_ceil(32) * 32;
        }
        assert_eq!(info.data_offset + expected_offset, info.file_size);
        let names: Vec<_> = info.tensors.iter().map(|t| t.name.clone()).collect();
        let listed: Vec<_> = model_tensors(&h).into_iter().map(|t| t.name).collect();
        assert_eq!(names, listed);
    }
}

#[test]
fn tensor_data_is_the_generated_values() {
    let dir = tempfile::tempdir().unwrap();
    for quant in [Quant::Q4_0, Quant::Q8_0] {
        let s = spec(quant, 3);
        let path = dir.path().join(s.file_name());
        write_gguf(&s, &path).unwrap();
        let bytes = std::fs::read(&path).unwrap();
        let info = inspect(&path).unwrap();
        // token_embd spans several encoder chunks; a norm and a layer weight too.
        for name in [
            "token_embd.weight",
            "output_norm.weight",
            "blk.2.ffn_down.weight",
        ] {
            let t = info.tensor(name).unwrap();
            let start = (info.data_offset + t.offset) as usize;
            let stored = &bytes[start..start + t.n_bytes as usize];
            let values = tensor_values(3, name, t.n_elements() as usize);
            let mut want = Vec::new();
            match t.ggml_type {
                GgmlType::Q4_0 => quantize_q4_0(&values, &mut want).unwrap(),
                GgmlType::Q8_0 => quantize_q8_0(&values, &mut want).unwrap(),
                GgmlType::F32 => want.extend(values.iter().flat_map(|v| v.to_le_bytes())),
                other => panic!("unexpected type {other}"),
            }
            assert!(
                stored == want.as_slice(),
                "{quant} {name}: stored data differs"
            );
        }
    }
}

/// The medium preset must be quick to write in a release build:
/// `cargo test --release -p edgebench-backends --no-default-features --test synth_determinism -- --ignored`
#[test]
#[ignore = "writes a ~0.3 GB file; run in release"]
fn medium_q4_0_is_written_quickly() {
    let dir = tempfile::tempdir().unwrap();
    let s = SynthSpec {
        preset: Preset::Medium,
        quant: Quant::Q4_0,
        seed: 42,
    };
    let path = dir.path().join(s.file_name());
    let t = Instant::now();
    let summary = write_gguf(&s, &path).unwrap();
    let secs = t.elapsed().as_secs_f64();
    eprintln!(
        "medium q4_0: {} params, {} bytes in {secs:.2} s",
        summary.n_params, summary.file_size
    );
    let info = inspect(&path).unwrap();
    assert_eq!(info.n_params, Preset::Medium.hparams().n_params());
    assert!(secs < 15.0, "took {secs:.1} s");
}
