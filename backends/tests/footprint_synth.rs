//! Bytes per decode token against hand-computed values: the synthetic presets
//! in every quantisation, a GGUF with a mix of tensor types, tied embeddings,
//! mixture of experts, and missing metadata.
//!
//! Writing the medium preset costs ~290 MB (q4_0) to 2 GB (f32) and minutes in
//! a debug build, so every preset x quant is checked on a header built in
//! memory from the same tensor list (`synth::weights::model_tensors`) and the
//! same `GgufWriter::add_tensor` sizes that `synth::write_gguf` uses; the tiny
//! preset is also written to disk in every quant and read back with
//! `gguf::inspect`, which must give the same numbers.

use edgebench_backends::footprint::{FootprintError, ModelFootprint};
use edgebench_backends::gguf::{GgmlType, GgufInfo, GgufValue, GgufWriter, MetaValue, inspect};
use edgebench_backends::synth::weights::model_tensors;
use edgebench_backends::synth::{Hparams, Preset, Quant, SynthSpec, write_gguf};
use std::collections::BTreeMap;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

/// Bytes of `n` elements of a weight matrix in `quant`, for the quants that
/// store every matrix in one type: q4_0 18 bytes per 32 elements, q8_0 34
/// per 32, q4_1 20 per 32, q5_0 22 per 32, q6_K 210 per 256, f16 and bf16 2
/// per element, f32 4. `None` for the K-quant mixes (checked by hand below).
fn pure_matrix_bytes(quant: Quant, n: u64) -> Option<u64> {
    Some(match quant {
        Quant::Q4_0 => n / 32 * 18,
        Quant::Q8_0 => n / 32 * 34,
        Quant::Q4_1 => n / 32 * 20,
        Quant::Q5_0 => n / 32 * 22,
        Quant::Q6_K => n / 256 * 210,
        Quant::F16 | Quant::BF16 => n * 2,
        Quant::F32 => n * 4,
        Quant::Q4_K_M | Quant::Q4_K_S | Quant::Q5_K_M => return None,
    })
}

fn matrix_bytes(quant: Quant, n: u64) -> u64 {
    pure_matrix_bytes(quant, n).expect("a single-type quant")
}

/// The single-type quants.
fn pure_quants() -> impl Iterator<Item = Quant> {
    Quant::ALL
        .into_iter()
        .filter(|&q| pure_matrix_bytes(q, 0).is_some())
}

/// The hand computation for a synthetic llama model: every layer's seven
/// matrices and two f32 norms, the untied output matrix and output norm, plus
/// one row (n_embd elements) of the token embeddings.
fn hand_weight_bytes(h: &Hparams, quant: Quant) -> u64 {
    let (embd, vocab, ff) = (u64::from(h.n_embd), u64::from(h.n_vocab), u64::from(h.n_ff));
    let head_dim = embd / u64::from(h.n_head);
    let q_dim = u64::from(h.n_head) * head_dim;
    let kv_dim = u64::from(h.n_head_kv) * head_dim;
    // attn_q + attn_k + attn_v + attn_output + ffn_gate + ffn_up + ffn_down
    let layer_matrix = embd * q_dim + 2 * embd * kv_dim + q_dim * embd + 3 * embd * ff;
    let layer_norms = 2 * embd * 4; // attn_norm + ffn_norm, f32
    let output = matrix_bytes(quant, embd * vocab);
    let output_norm = embd * 4;
    let embedding_row = matrix_bytes(quant, embd);
    u64::from(h.n_layer) * (matrix_bytes(quant, layer_matrix) + layer_norms)
        + output
        + output_norm
        + embedding_row
}

/// A header as `gguf::inspect` would give it, built in memory.
fn info_in_memory(
    arch: &str,
    meta: &[(&str, GgufValue)],
    w: &GgufWriter,
    n_vocab: Option<u32>,
) -> GgufInfo {
    let metadata: BTreeMap<String, GgufValue> = meta
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .chain([(
            "general.architecture".to_string(),
            GgufValue::String(arch.into()),
        )])
        .collect();
    let u = |k: &str| {
        metadata
            .get(&format!("{arch}.{k}"))
            .and_then(GgufValue::as_u32)
    };
    GgufInfo {
        path: PathBuf::from("<memory>"),
        version: 3,
        file_size: w.file_size(),
        alignment: w.alignment(),
        data_offset: w.data_offset(),
        arch: arch.into(),
        name: None,
        n_layers: u("block_count"),
        n_embd: u("embedding_length"),
        n_head: u("attention.head_count"),
        n_head_kv: u("attention.head_count_kv"),
        n_ctx_train: u("context_length"),
        n_vocab,
        file_type: None,
        quant: String::new(),
        n_params: w.tensors().iter().map(|t| t.n_elements()).sum(),
        bos_token_id: None,
        eos_token_id: None,
        add_bos_token: None,
        tensors: w.tensors().to_vec(),
        metadata,
    }
}

fn synth_meta(h: &Hparams) -> Vec<(&'static str, GgufValue)> {
    vec![
        ("llama.block_count", GgufValue::U32(h.n_layer)),
        ("llama.embedding_length", GgufValue::U32(h.n_embd)),
        ("llama.attention.head_count", GgufValue::U32(h.n_head)),
        ("llama.attention.head_count_kv", GgufValue::U32(h.n_head_kv)),
        ("llama.context_length", GgufValue::U32(h.n_ctx_train)),
    ]
}

/// The synthetic model's header, as `synth::write_gguf` lays it out.
fn synth_info(preset: Preset, quant: Quant) -> GgufInfo {
    let h = preset.hparams();
    let mut w = GgufWriter::new();
    for t in model_tensors(&h) {
        let ty = if t.is_norm {
            GgmlType::F32
        } else {
            quant.tensor_type(&t.name, &h)
        };
        w.add_tensor(t.name, &t.ne, ty).unwrap();
    }
    info_in_memory("llama", &synth_meta(&h), &w, Some(h.n_vocab))
}

#[test]
fn every_preset_and_quant_matches_the_hand_computation() {
    for preset in Preset::ALL {
        let h = preset.hparams();
        for quant in pure_quants() {
            let f = ModelFootprint::from_gguf(&synth_info(preset, quant)).unwrap();
            let what = format!("{preset} {quant}");
            assert_eq!(
                f.weight_bytes_per_token,
                hand_weight_bytes(&h, quant),
                "{what}"
            );
            assert_eq!(
                f.embedding_row_bytes,
                matrix_bytes(quant, u64::from(h.n_embd)),
                "{what}"
            );
            assert!(!f.tied_embeddings, "{what}");
            assert_eq!(
                (f.n_layers, f.n_kv_heads, f.head_dim),
                (h.n_layer, h.n_head_kv, h.n_embd / h.n_head),
                "{what}"
            );
            // 2 (K and V) x layers x kv heads x head size x 2 bytes (f16).
            let kv =
                2.0 * f64::from(h.n_layer) * f64::from(h.n_head_kv) * f64::from(h.head_dim()) * 2.0;
            assert_eq!(f.kv_bytes_per_token_of_context(2.0), kv, "{what}");
            assert_eq!(
                f.bytes_per_token(1000, 2.0),
                f.weight_bytes_per_token as f64 + 1000.0 * kv,
                "{what}"
            );
            // Non-embedding parameters: everything but token_embd.
            let n = h.n_params() - u64::from(h.n_embd) * u64::from(h.n_vocab);
            assert_eq!(f.n_params_nonembedding, n, "{what}");
        }
    }
}

#[test]
fn written_out_by_hand() {
    // tiny q4_0: n_vocab 2048, n_embd 256, 4 layers, 4 heads (head size 64),
    // 2 kv heads (kv dim 128), n_ff 768.
    // per layer: q 256*256 + k 256*128 + v 256*128 + o 256*256
    //   + gate/up/down 3 * 256*768 = 786_432 elements -> /32*18 = 442_368 B,
    //   norms 2 * 256 * 4 = 2_048 B.
    // output 256*2048 = 524_288 elements -> 294_912 B; output_norm 1_024 B;
    // one embedding row 256/32*18 = 144 B.
    let tiny = 4 * (442_368 + 2_048) + 294_912 + 1_024 + 144;
    assert_eq!(tiny, 2_073_744);
    let f = ModelFootprint::from_gguf(&synth_info(Preset::Tiny, Quant::Q4_0)).unwrap();
    assert_eq!(f.weight_bytes_per_token, tiny);
    // 2 * 4 layers * 2 kv heads * 64 * 2 bytes
    assert_eq!(f.kv_bytes_per_token_of_context(2.0), 2048.0);

    // medium q4_0 (the worked example of docs/roofline.md): n_vocab 32000,
    // n_embd 1280, 24 layers, 20 heads (64), 4 kv heads (256), n_ff 3584.
    // per layer: 2 * 1280*1280 + 2 * 1280*256 + 3 * 1280*3584
    //   = 17_694_720 elements; * 24 = 424_673_280; output 1280*32000 =
    //   40_960_000; matrices 465_633_280 elements / 32 * 18 = 261_918_720 B;
    // norms (1 + 2*24) * 1280 * 4 = 250_880 B; embedding row 1280/32*18 = 720.
    let medium = 261_918_720 + 250_880 + 720;
    assert_eq!(medium, 262_170_320);
    let f = ModelFootprint::from_gguf(&synth_info(Preset::Medium, Quant::Q4_0)).unwrap();
    assert_eq!(f.weight_bytes_per_token, medium);
    // 2 * 24 * 4 * 64 * 2 = 24_576 B per token of context.
    assert_eq!(f.kv_bytes_per_token_of_context(2.0), 24_576.0);
    assert_eq!(
        f.bytes_per_token(2048, 2.0),
        262_170_320.0 + 2048.0 * 24_576.0
    );
    // q8_0 KV: 34/32 bytes per element.
    assert_eq!(f.kv_bytes_per_token_of_context(34.0 / 32.0), 13_056.0);
    // N = 465_633_280 + 49 * 1280 norm weights = 465_696_000.
    assert_eq!(f.n_params_nonembedding, 465_696_000);
    // 2N + 2 * 24 layers * ctx * (20 * 64)
    assert_eq!(f.attention_flops_per_token_per_ctx(), 61_440.0);
    assert_eq!(
        f.flops_per_token_prefill(512),
        931_392_000.0 + 512.0 * 61_440.0
    );
}

#[test]
fn tiny_files_on_disk_give_the_same_footprint() {
    let dir = tempfile::tempdir().unwrap();
    for quant in Quant::ALL {
        let spec = SynthSpec {
            preset: Preset::Tiny,
            quant,
            seed: 7,
        };
        let path = dir.path().join(spec.file_name());
        write_gguf(&spec, &path).unwrap();
        let info = inspect(&path).unwrap();
        let f = ModelFootprint::from_gguf(&info).unwrap();
        let hand = if pure_matrix_bytes(quant, 0).is_some() {
            hand_weight_bytes(&Preset::Tiny.hparams(), quant)
        } else {
            tiny_mix_weight_bytes(quant)
        };
        assert_eq!(f.weight_bytes_per_token, hand, "{quant}");
        assert_eq!(
            f,
            ModelFootprint::from_gguf(&synth_info(Preset::Tiny, quant)).unwrap()
        );
        std::fs::remove_file(&path).unwrap();
    }
}

/// Bytes per token of the tiny preset in a K-quant mix, by hand. Tiny has 4
/// layers; llama.cpp's `use_more_bits(i, 4)` holds for layers 2 and 3
/// (`i >= 7*4/8` or `(i - 4/8) % 3 == 2`). Per layer: attn_q and attn_output
/// 65,536 elements each, attn_k and attn_v 32,768, ffn_gate/up/down 196,608;
/// norms 2 × 256 f32. Output 2048 × 256 = 524,288 elements, always q6_K in
/// these mixes; output norm 256 f32; one embedding row of 256 in the base
/// type. q4_K is 144 bytes per 256, q5_K 176, q6_K 210.
fn tiny_mix_weight_bytes(quant: Quant) -> u64 {
    let kb = |n: u64, bytes: u64| n / 256 * bytes;
    let (q4k, q5k, q6k) = (144, 176, 210);
    let layer_all = 786_432u64; // the seven matrices of one layer
    let (v, down) = (32_768u64, 196_608u64);
    let norms = 2048;
    let (base, layers) = match quant {
        // attn_v and ffn_down in q6_K in layers 2 and 3
        Quant::Q4_K_M | Quant::Q5_K_M => {
            let base = if quant == Quant::Q4_K_M { q4k } else { q5k };
            let plain = kb(layer_all, base) + norms;
            let more = kb(layer_all - v - down, base) + kb(v + down, q6k) + norms;
            (base, 2 * plain + 2 * more)
        }
        // attn_v q5_K in the first four layers (all of tiny's); ffn_down
        // q5_K in layers below 4/8 = 0 (none)
        Quant::Q4_K_S => (q4k, 4 * (kb(layer_all - v, q4k) + kb(v, q5k) + norms)),
        other => panic!("{other} is not a mix"),
    };
    layers + kb(524_288, q6k) + 256 * 4 + kb(256, base)
}

#[test]
fn tiny_q4_k_m_by_hand() {
    // 2 × (442,368 + 2,048) + 2 × (313,344 + 188,160 + 2,048) + 430,080 +
    // 1,024 + 144
    assert_eq!(tiny_mix_weight_bytes(Quant::Q4_K_M), 2_327_184);
    let f = ModelFootprint::from_gguf(&synth_info(Preset::Tiny, Quant::Q4_K_M)).unwrap();
    assert_eq!(f.weight_bytes_per_token, 2_327_184);
}

/// Writes `w` with zero-filled tensor data and reads its header back.
fn write_and_inspect(w: &GgufWriter, path: &Path) -> GgufInfo {
    w.write_file(path, |t, sink| {
        io::copy(&mut io::repeat(0).take(t.n_bytes), sink).map(|_| ())
    })
    .unwrap();
    inspect(path).unwrap()
}

/// A two-layer llama model with a mix of tensor types: Q4_K embeddings and
/// feed-forward, Q6_K output, F32 norms and rope factors, Q8_0 attention with
/// one F16 key matrix. `output` false leaves out `output.weight` (tied).
fn mixed_writer(output: bool, meta: &[(&str, MetaValue)]) -> GgufWriter {
    let mut w = GgufWriter::new();
    w.add_kv("general.architecture", MetaValue::String("llama".into()))
        .unwrap();
    for (k, v) in meta {
        w.add_kv(*k, v.clone()).unwrap();
    }
    w.add_tensor("token_embd.weight", &[256, 1000], GgmlType::Q4_K)
        .unwrap();
    w.add_tensor("output_norm.weight", &[256], GgmlType::F32)
        .unwrap();
    if output {
        w.add_tensor("output.weight", &[256, 1000], GgmlType::Q6_K)
            .unwrap();
    }
    w.add_tensor("rope_freqs.weight", &[32], GgmlType::F32)
        .unwrap();
    for l in 0..2 {
        let n = |s: &str| format!("blk.{l}.{s}.weight");
        let k_type = if l == 0 {
            GgmlType::F16
        } else {
            GgmlType::Q8_0
        };
        for (name, dims, ty) in [
            (n("attn_norm"), vec![256], GgmlType::F32),
            (n("attn_q"), vec![256, 256], GgmlType::Q8_0),
            (n("attn_k"), vec![256, 128], k_type),
            (n("attn_v"), vec![256, 128], GgmlType::Q8_0),
            (n("attn_output"), vec![256, 256], GgmlType::Q8_0),
            (n("ffn_norm"), vec![256], GgmlType::F32),
            (n("ffn_gate"), vec![256, 512], GgmlType::Q4_K),
            (n("ffn_up"), vec![256, 512], GgmlType::Q4_K),
            (n("ffn_down"), vec![512, 256], GgmlType::Q4_K),
        ] {
            w.add_tensor(name, &dims, ty).unwrap();
        }
    }
    w
}

fn llama_meta() -> Vec<(&'static str, MetaValue)> {
    vec![
        ("llama.block_count", MetaValue::U32(2)),
        ("llama.embedding_length", MetaValue::U32(256)),
        ("llama.attention.head_count", MetaValue::U32(4)),
        ("llama.attention.head_count_kv", MetaValue::U32(2)),
        ("llama.context_length", MetaValue::U32(4096)),
        ("llama.vocab_size", MetaValue::U32(1000)),
    ]
}

// Hand-computed sizes of the mixed model's tensors.
const ATTN_NORM: u64 = 256 * 4; // f32
const Q8_256X256: u64 = 256 * 256 / 32 * 34; // 69_632
const Q8_256X128: u64 = 256 * 128 / 32 * 34; // 34_816
const F16_256X128: u64 = 256 * 128 * 2; // 65_536
const Q4K_256X512: u64 = 256 * 512 / 256 * 144; // 73_728
const LAYER_WITHOUT_K: u64 = 2 * ATTN_NORM + 2 * Q8_256X256 + Q8_256X128 + 3 * Q4K_256X512;
const LAYERS: u64 = 2 * LAYER_WITHOUT_K + F16_256X128 + Q8_256X128;
const OUTPUT_Q6K: u64 = 256 * 1000 / 256 * 210; // 210_000
const OUTPUT_NORM: u64 = 256 * 4;
const ROPE_FREQS: u64 = 32 * 4;
const TOKEN_EMBD_Q4K: u64 = 256 * 1000 / 256 * 144; // 144_000
const EMBD_ROW_Q4K: u64 = 144; // one row of 256 elements = one 256-block of 144 B

#[test]
fn mixed_tensor_types() {
    let dir = tempfile::tempdir().unwrap();
    let info = write_and_inspect(
        &mixed_writer(true, &llama_meta()),
        &dir.path().join("mixed.gguf"),
    );
    let f = ModelFootprint::from_gguf(&info).unwrap();
    assert_eq!(LAYERS, 894_976);
    let expect = LAYERS + OUTPUT_Q6K + OUTPUT_NORM + ROPE_FREQS + EMBD_ROW_Q4K;
    assert_eq!(expect, 1_106_272);
    assert_eq!(f.weight_bytes_per_token, expect);
    assert_eq!(f.embedding_row_bytes, 144);
    assert_eq!(f.total_weight_bytes, expect - EMBD_ROW_Q4K + TOKEN_EMBD_Q4K);
    assert!(!f.tied_embeddings);
    assert_eq!(
        (f.n_layers, f.n_head, f.n_kv_heads, f.head_dim),
        (2, 4, 2, 64)
    );
    // 2 * 2 layers * 2 kv heads * 64 * 2 bytes
    assert_eq!(f.kv_bytes_per_token_of_context(2.0), 1024.0);
    assert_eq!(f.bytes_per_token(100, 2.0), expect as f64 + 102_400.0);
}

#[test]
fn tied_embeddings_count_token_embd_in_full() {
    let dir = tempfile::tempdir().unwrap();
    let info = write_and_inspect(
        &mixed_writer(false, &llama_meta()),
        &dir.path().join("tied.gguf"),
    );
    let f = ModelFootprint::from_gguf(&info).unwrap();
    assert!(f.tied_embeddings);
    assert_eq!(
        f.weight_bytes_per_token,
        LAYERS + OUTPUT_NORM + ROPE_FREQS + TOKEN_EMBD_Q4K
    );
    assert_eq!(f.weight_bytes_per_token, 1_040_128);
    assert_eq!(f.embedding_row_bytes, 0);
    assert_eq!(f.weight_bytes_per_token, f.total_weight_bytes);
}

#[test]
fn key_and_value_lengths_override_the_head_size() {
    let mut meta = llama_meta();
    meta.push(("llama.attention.key_length", MetaValue::U32(128)));
    meta.push(("llama.attention.value_length", MetaValue::U32(96)));
    let dir = tempfile::tempdir().unwrap();
    let info = write_and_inspect(&mixed_writer(true, &meta), &dir.path().join("kl.gguf"));
    let f = ModelFootprint::from_gguf(&info).unwrap();
    assert_eq!((f.head_dim, f.head_dim_v), (128, 96));
    // 2 layers * 2 kv heads * (128 + 96) * 2 bytes
    assert_eq!(f.kv_bytes_per_token_of_context(2.0), 1792.0);
}

#[test]
fn missing_head_count_kv_defaults_to_head_count() {
    let meta: Vec<_> = llama_meta()
        .into_iter()
        .filter(|(k, _)| *k != "llama.attention.head_count_kv")
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let info = write_and_inspect(&mixed_writer(true, &meta), &dir.path().join("mha.gguf"));
    let f = ModelFootprint::from_gguf(&info).unwrap();
    assert_eq!(f.n_kv_heads, 4);
}

#[test]
fn missing_metadata_names_the_key() {
    let dir = tempfile::tempdir().unwrap();
    for key in [
        "llama.block_count",
        "llama.embedding_length",
        "llama.attention.head_count",
    ] {
        let meta: Vec<_> = llama_meta()
            .into_iter()
            .filter(|(k, _)| *k != key)
            .collect();
        let info = write_and_inspect(&mixed_writer(true, &meta), &dir.path().join("m.gguf"));
        let err = ModelFootprint::from_gguf(&info).unwrap_err();
        assert!(
            matches!(&err, FootprintError::MissingMetadata { key: k, .. } if k == key),
            "{err:?}"
        );
        assert!(err.to_string().contains(key), "{err}");
    }
}

#[test]
fn per_layer_head_counts_are_an_error_naming_the_key() {
    let mut meta: Vec<_> = llama_meta()
        .into_iter()
        .filter(|(k, _)| *k != "llama.attention.head_count_kv")
        .collect();
    meta.push((
        "llama.attention.head_count_kv",
        MetaValue::U32Array(vec![2, 2]),
    ));
    let dir = tempfile::tempdir().unwrap();
    let info = write_and_inspect(&mixed_writer(true, &meta), &dir.path().join("pl.gguf"));
    let err = ModelFootprint::from_gguf(&info).unwrap_err();
    assert!(
        err.to_string().contains("llama.attention.head_count_kv"),
        "{err}"
    );
}

fn moe_writer(meta: &[(&str, MetaValue)]) -> GgufWriter {
    let mut w = mixed_writer(true, meta);
    for l in 0..2 {
        let n = |s: &str| format!("blk.{l}.{s}.weight");
        w.add_tensor(n("ffn_gate_inp"), &[256, 8], GgmlType::F32)
            .unwrap();
        for s in ["ffn_gate_exps", "ffn_up_exps"] {
            w.add_tensor(n(s), &[256, 512, 8], GgmlType::Q4_0).unwrap();
        }
        w.add_tensor(n("ffn_down_exps"), &[512, 256, 8], GgmlType::Q4_0)
            .unwrap();
        w.add_tensor(n("ffn_up_shexp"), &[256, 512], GgmlType::Q4_0)
            .unwrap();
    }
    w
}

#[test]
fn mixture_of_experts_reads_the_used_experts_only() {
    let mut meta = llama_meta();
    meta.push(("llama.expert_count", MetaValue::U32(8)));
    meta.push(("llama.expert_used_count", MetaValue::U32(2)));
    let dir = tempfile::tempdir().unwrap();
    let info = write_and_inspect(&moe_writer(&meta), &dir.path().join("moe.gguf"));
    let f = ModelFootprint::from_gguf(&info).unwrap();
    // per layer: router 256*8*4 = 8_192 B (full); three expert tensors of
    // 256*512*8 elements = 589_824 B each, 2 of 8 experts read = 147_456 B;
    // shared expert 256*512/32*18 = 73_728 B (full).
    let per_layer = 8_192 + 3 * 147_456 + 73_728;
    let dense = LAYERS + OUTPUT_Q6K + OUTPUT_NORM + ROPE_FREQS + EMBD_ROW_Q4K;
    assert_eq!(f.weight_bytes_per_token, dense + 2 * per_layer);
    assert_eq!((f.n_expert, f.n_expert_used), (Some(8), Some(2)));

    let meta: Vec<_> = meta
        .into_iter()
        .filter(|(k, _)| *k != "llama.expert_used_count")
        .collect();
    let info = write_and_inspect(&moe_writer(&meta), &dir.path().join("moe2.gguf"));
    let err = ModelFootprint::from_gguf(&info).unwrap_err();
    assert!(err.to_string().contains("llama.expert_used_count"), "{err}");
}
