//! The synthetic models' quantisers against the ggml linked into the
//! llama.cpp backend: for every type synth writes, the same f32 weights give
//! the same bytes through `ggml_quantize_chunk` (no importance matrix, as
//! `llama-quantize` calls it) and through edgebench's own quantiser, and
//! decoding them gives ggml's values.
#![cfg(feature = "llama")]

use edgebench_backends::synth::quant;
use edgebench_backends::synth::weights::tensor_values;
use edgebench_formats::gguf::GgmlType;
use llama_cpp_sys_2 as sys;

/// Every type a synthetic model writes, with its ggml type id.
const TYPES: [(GgmlType, sys::ggml_type); 10] = [
    (GgmlType::Q4_0, sys::GGML_TYPE_Q4_0),
    (GgmlType::Q8_0, sys::GGML_TYPE_Q8_0),
    (GgmlType::Q4_1, sys::GGML_TYPE_Q4_1),
    (GgmlType::Q5_0, sys::GGML_TYPE_Q5_0),
    (GgmlType::Q4_K, sys::GGML_TYPE_Q4_K),
    (GgmlType::Q5_K, sys::GGML_TYPE_Q5_K),
    (GgmlType::Q6_K, sys::GGML_TYPE_Q6_K),
    (GgmlType::F16, sys::GGML_TYPE_F16),
    (GgmlType::BF16, sys::GGML_TYPE_BF16),
    (GgmlType::F32, sys::GGML_TYPE_F32),
];

fn ggml_quantize(ty: sys::ggml_type, x: &[f32], n_per_row: usize) -> Vec<u8> {
    let rows = x.len() / n_per_row;
    // SAFETY: plain queries on a valid type id.
    let row_size = unsafe { sys::ggml_row_size(ty, n_per_row as i64) };
    let mut out = vec![0u8; row_size * rows];
    // SAFETY: `x` holds rows × n_per_row floats and `out` rows × row_size
    // bytes; no importance matrix.
    let written = unsafe {
        sys::ggml_quantize_chunk(
            ty,
            x.as_ptr(),
            out.as_mut_ptr().cast(),
            0,
            rows as i64,
            n_per_row as i64,
            std::ptr::null(),
        )
    };
    assert_eq!(written, out.len());
    out
}

/// Weights as the synthetic models draw them (two distributions, rows of
/// every preset's widths), plus rows built to hit the quantisers' edge
/// cases: all zeros, one outlier, all-positive (min clamps to 0), constant.
fn samples() -> Vec<(String, Vec<f32>, usize)> {
    let mut v = vec![
        (
            "blk.0.attn_q.weight".to_string(),
            tensor_values(42, "blk.0.attn_q.weight", 256 * 64),
            256,
        ),
        (
            "token_embd.weight".to_string(),
            tensor_values(42, "token_embd.weight", 768 * 16),
            768,
        ),
        (
            "blk.3.ffn_down.weight".to_string(),
            tensor_values(7, "blk.3.ffn_down.weight", 3584 * 4),
            3584,
        ),
    ];
    let mut edge = vec![0.0f32; 256 * 4];
    edge[300] = 3.0;
    for (i, x) in edge[512..768].iter_mut().enumerate() {
        *x = 0.01 + i as f32 * 1e-4;
    }
    edge[768..].fill(-0.25);
    v.push(("edge cases".into(), edge, 256));
    v
}

#[test]
fn synth_quantisers_are_bit_exact_with_ggml() {
    for (ty, id) in TYPES {
        for (name, x, n_per_row) in samples() {
            let ggml = ggml_quantize(id, &x, n_per_row);
            let mut ours = Vec::new();
            quant::encode(ty, &x, &mut ours).unwrap().unwrap();
            assert_eq!(ours.len(), ggml.len(), "{ty} {name}");
            if let Some(at) = ours.iter().zip(&ggml).position(|(a, b)| a != b) {
                panic!(
                    "{ty} {name}: byte {at} differs from ggml's ({} vs {}); {} of {} bytes differ",
                    ours[at],
                    ggml[at],
                    ours.iter().zip(&ggml).filter(|(a, b)| a != b).count(),
                    ggml.len()
                );
            }
            if ty == GgmlType::F32 {
                continue; // ggml has no decoder for its identity type
            }
            // ggml's own dequantisation of those bytes equals ours.
            let mut back = Vec::new();
            quant::decode(ty, &ours, &mut back).unwrap().unwrap();
            let mut theirs = vec![0.0f32; x.len()];
            // SAFETY: the type traits of a valid type; `to_float` reads
            // `x.len()` elements' worth of blocks from `ggml` and writes
            // `x.len()` floats.
            unsafe {
                let traits = sys::ggml_get_type_traits(id);
                let to_float = (*traits).to_float.expect("every type decodes");
                to_float(ggml.as_ptr().cast(), theirs.as_mut_ptr(), x.len() as i64);
            }
            let same = back
                .iter()
                .zip(&theirs)
                .all(|(a, b)| a.to_bits() == b.to_bits());
            assert!(same, "{ty} {name}: decoding differs from ggml's");
        }
    }
}

#[test]
fn a_perturbed_block_is_caught() {
    // The comparison above can fail: one changed scale byte is seen.
    let x = tensor_values(42, "blk.0.attn_q.weight", 256 * 4);
    let ggml = ggml_quantize(sys::GGML_TYPE_Q4_K, &x, 256);
    let mut ours = Vec::new();
    quant::encode(GgmlType::Q4_K, &x, &mut ours)
        .unwrap()
        .unwrap();
    assert_eq!(ours, ggml);
    ours[5] ^= 1;
    assert_ne!(ours, ggml);
}
