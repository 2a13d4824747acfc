//! Tests of `onnx_out`.
use super::super::quant::{
    Q4_0_BLOCK_BYTES, Q8_0_BLOCK_BYTES, dequantize_q4_0, dequantize_q6_k, quantize_q4_0,
    quantize_q6_k,
};
use super::super::{Preset, Quant};
use super::*;
use edgebench_formats::onnx_model::{Dim, OnnxInfo, Storage, inspect};

fn spec(preset: Preset, quant: Quant) -> SynthSpec {
    SynthSpec {
        preset,
        quant,
        seed: 42,
    }
}

/// The twin's graph without generating weights: the `.onnx` bytes and
/// the data file's length.
fn dry_run(spec: &SynthSpec, location: &str) -> (Vec<u8>, u64) {
    let mut sink = DataSink {
        out: None,
        location: location.into(),
        pos: 0,
    };
    let model = build_model(spec, TwinOptions::default(), None, &mut sink).unwrap();
    (model.encode_to_vec(), sink.pos)
}

fn check_signature(info: &OnnxInfo, spec: &SynthSpec) {
    let h = spec.hparams();
    let sym = |s: &str| Dim::Symbolic(s.into());
    let fixed = |n: u32| Dim::Fixed(i64::from(n));
    let expect = |name: &str, ty: &str, dims: Vec<Dim>| {
        let v = info
            .value(name)
            .unwrap_or_else(|| panic!("{spec:?}: no {name}"));
        assert_eq!(v.elem_type, ty, "{name}");
        assert_eq!(v.dims, dims, "{name}");
    };
    let (b, s, t, p) = (
        sym("batch_size"),
        sym("sequence_length"),
        sym("total_sequence_length"),
        sym("past_sequence_length"),
    );
    assert_eq!(info.inputs.len(), 3 + 2 * h.n_layer as usize);
    assert_eq!(info.outputs.len(), 1 + 2 * h.n_layer as usize);
    expect("input_ids", "int64", vec![b.clone(), s.clone()]);
    expect("attention_mask", "int64", vec![b.clone(), t.clone()]);
    expect("position_ids", "int64", vec![b.clone(), s.clone()]);
    expect(
        "logits",
        "float",
        vec![b.clone(), s.clone(), fixed(h.n_vocab)],
    );
    for l in 0..h.n_layer {
        for kv in ["key", "value"] {
            let (nkv, hd) = (fixed(h.n_head_kv), fixed(h.head_dim()));
            expect(
                &format!("past_key_values.{l}.{kv}"),
                "float",
                vec![b.clone(), nkv.clone(), p.clone(), hd.clone()],
            );
            expect(
                &format!("present.{l}.{kv}"),
                "float",
                vec![b.clone(), nkv, t.clone(), hd],
            );
        }
    }
    let meta = |k: &str| info.metadata.get(k).map(String::as_str);
    assert_eq!(meta("bos_token_id"), Some("1"));
    assert_eq!(meta("add_bos_token"), Some("true"));
    assert_eq!(meta("vocab_size"), Some(h.n_vocab.to_string().as_str()));
    assert_eq!(meta("edgebench.synth.quant"), Some(spec.quant.name()));
    assert_eq!(meta("edgebench.synth.preset"), Some(spec.preset.name()));
    assert_eq!(meta("edgebench.synth.seed"), Some("42"));
    assert!(
        info.opset_imports
            .iter()
            .any(|o| o.domain.is_empty() && o.version == ONNX_OPSET)
    );
    let nbits = info
        .op_types
        .get("com.microsoft:MatMulNBits")
        .copied()
        .unwrap_or(0);
    let matrices = 1 + 7 * h.n_layer as usize;
    // Matrices in a type with a MatMulNBits form use it; the rest
    // are MatMuls, beside the two attention MatMuls per layer.
    let exact = super::super::weights::model_tensors(&h)
        .iter()
        .filter(|t| !t.is_norm && t.name != "token_embd.weight")
        .filter(|t| {
            matches!(
                spec.quant.tensor_type(&t.name, &h),
                GgmlType::Q4_0
                    | GgmlType::Q8_0
                    | GgmlType::Q6_K
                    | GgmlType::Q4_K
                    | GgmlType::Q4_1
                    | GgmlType::Q5_0
                    | GgmlType::Q5_K
            )
        })
        .count();
    assert_eq!(nbits, exact, "{}", spec.quant);
    // Split forms (q4_K, q5_K, q4_1) add one MatMul each, for their mins.
    let split = super::super::weights::model_tensors(&h)
        .iter()
        .filter(|t| !t.is_norm && t.name != "token_embd.weight")
        .filter(|t| {
            matches!(
                spec.quant.tensor_type(&t.name, &h),
                GgmlType::Q4_K | GgmlType::Q5_K | GgmlType::Q4_1
            )
        })
        .count();
    let matmul = info.op_types.get("MatMul").copied().unwrap_or(0);
    assert_eq!(matmul, matrices - exact + 2 * h.n_layer as usize + split);
    if matches!(
        spec.quant,
        Quant::Q4_0 | Quant::Q8_0 | Quant::Q6_K | Quant::Q4_1 | Quant::Q5_0 | Quant::Q5_K_M
    ) {
        assert_eq!(nbits, matrices);
    }
    assert_eq!(info.op_types["Gather"], 1);
    // Every large initializer is external, in the data file, aligned.
    for i in &info.initializers {
        match &i.storage {
            Storage::External {
                location, offset, ..
            } => {
                assert_eq!(location, &format!("{}.data", spec.onnx_file_name()));
                assert_eq!(offset % EXTERNAL_ALIGN, 0, "{}", i.name);
            }
            Storage::Inline => {
                assert!(i.byte_size < EXTERNAL_MIN_BYTES as u64, "{}", i.name)
            }
        }
    }
    let embd: Vec<_> = info
        .initializers
        .iter()
        .filter(|i| i.embedding_only)
        .collect();
    assert_eq!(embd.len(), 1);
    assert_eq!(embd[0].name, "token_embd.weight");
    assert_eq!(
        embd[0].dims,
        vec![i64::from(h.n_vocab), i64::from(h.n_embd)]
    );
}

#[test]
fn every_preset_has_the_optimum_signature() {
    let dir = tempfile::tempdir().unwrap();
    for preset in Preset::ALL {
        for quant in Quant::ALL {
            let spec = spec(preset, quant);
            let onnx = dir.path().join(spec.onnx_file_name());
            let data = data_path_for(&onnx).unwrap();
            let (bytes, data_len) = dry_run(&spec, &format!("{}.data", spec.onnx_file_name()));
            std::fs::write(&onnx, bytes).unwrap();
            // A sparse stand-in of the right length for the range checks.
            File::create(&data).unwrap().set_len(data_len).unwrap();
            let info = inspect(&onnx).unwrap();
            check_signature(&info, &spec);
            let end = info
                .initializers
                .iter()
                .filter_map(|i| match &i.storage {
                    Storage::External { offset, length, .. } => Some(offset + length),
                    Storage::Inline => None,
                })
                .max();
            assert_eq!(end, Some(data_len));
            std::fs::remove_file(&data).unwrap();
        }
    }
}

#[test]
fn written_twin_matches_the_dry_run_and_is_deterministic() {
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    for quant in Quant::ALL {
        let spec = spec(Preset::Tiny, quant);
        let pa = a.path().join(spec.onnx_file_name());
        let pb = b.path().join(spec.onnx_file_name());
        let sa = write_onnx(&spec, &pa).unwrap();
        let sb = write_onnx(&spec, &pb).unwrap();
        assert_eq!(sa.file_size, std::fs::metadata(&pa).unwrap().len());
        assert_eq!(
            sa.data_size,
            std::fs::metadata(&sa.data_path).unwrap().len()
        );
        assert_eq!(std::fs::read(&pa).unwrap(), std::fs::read(&pb).unwrap());
        assert_eq!(
            std::fs::read(&sa.data_path).unwrap(),
            std::fs::read(&sb.data_path).unwrap(),
            "{quant}"
        );
        let location = sa.data_path.file_name().unwrap().to_str().unwrap();
        let (dry, dry_len) = dry_run(&spec, location);
        assert_eq!(dry, std::fs::read(&pa).unwrap(), "{quant}");
        assert_eq!(dry_len, sa.data_size);
        check_signature(&inspect(&pa).unwrap(), &spec);
    }
    // Another seed, other weights.
    let other = SynthSpec {
        seed: 43,
        ..spec(Preset::Tiny, Quant::Q4_0)
    };
    let s = write_onnx(&other, &a.path().join("other.onnx")).unwrap();
    let first = spec(Preset::Tiny, Quant::Q4_0);
    assert_ne!(
        std::fs::read(&s.data_path).unwrap(),
        std::fs::read(a.path().join(format!("{}.data", first.onnx_file_name()))).unwrap()
    );
}

#[test]
fn decode_weight_bytes_of_tiny() {
    // Tiny: 4 layers of q 256x256, k and v 256x128, o 256x256, gate/up/
    // down 256x768 (786,432 elements each) plus output 2048x256:
    // 3,670,016 matrix elements. Norms: 9 x 256 f32 = 9,216 bytes.
    // Inline constants: rope.inv_freq 32 f32 (128) + shapes, axes and
    // scalars (336) = 464 bytes. The embedding table is not counted.
    let matrices: u64 = 4 * (2 * 65_536 + 2 * 32_768 + 3 * 196_608) + 524_288;
    assert_eq!(matrices, 3_670_016);
    let rest = 9_216 + 464;
    let dir = tempfile::tempdir().unwrap();
    for (quant, bytes) in [
        (Quant::F32, matrices * 4),
        (Quant::F16, matrices * 2),
        // 32 x u8 + f32 scale per block of 32
        (Quant::Q8_0, matrices / 32 * 36),
        // 16 x u8 + f32 scale per block of 32
        (Quant::Q4_0, matrices / 32 * 20),
        // 16 x u8 + f32 scale per sub-block of 16
        (Quant::Q6_K, matrices / 16 * 20),
        // 16 x u8 + f32 scale + f32 min per block of 32, a 4-bit zero
        // point per block; two Reshape shapes (K/32 = 8 and 24 blocks) of 4
        // i64, inline (the ReduceSum axes, [-1], the norms share)
        (Quant::Q4_1, matrices / 32 * 24 + matrices / 64 + 2 * 32),
        // 32 x u8 + f32 scale per block of 32
        (Quant::Q5_0, matrices / 32 * 36),
        (Quant::BF16, matrices * 2),
    ] {
        let spec = spec(Preset::Tiny, quant);
        let p = dir.path().join(spec.onnx_file_name());
        write_onnx(&spec, &p).unwrap();
        let info = inspect(&p).unwrap();
        assert_eq!(info.decode_weight_bytes(), bytes + rest, "{quant}");
        assert_eq!(
            info.total_weight_bytes() - info.decode_weight_bytes(),
            2048 * 256 * 4,
            "{quant}"
        );
    }
}

/// A q4_0 block with scale 1 whose element j is j (j < 16) and 31 - j
/// (j >= 16): ggml stores byte j as (j, 15 - j) nibbles.
fn known_q4_block() -> Vec<u8> {
    let mut blk = f16::from_f32(1.0).to_le_bytes().to_vec();
    blk.extend((0..16u8).map(|j| j | ((15 - j) << 4)));
    assert_eq!(blk.len(), Q4_0_BLOCK_BYTES);
    blk
}

#[test]
fn q4_0_repack_puts_adjacent_elements_in_one_byte() {
    let (mut b, mut s) = (Vec::new(), Vec::new());
    q4_0_to_nbits(&known_q4_block(), &mut b, &mut s);
    assert_eq!(s, vec![1.0]);
    // Byte k holds elements 2k (low) and 2k+1 (high).
    assert_eq!(
        b,
        vec![
            0x10, 0x32, 0x54, 0x76, 0x98, 0xBA, 0xDC, 0xFE, 0xEF, 0xCD, 0xAB, 0x89, 0x67, 0x45,
            0x23, 0x01
        ]
    );
    // Decoding both forms gives the same values, for real weights too.
    let v = generate(7, "blk.0.attn_q.weight", 32 * 64);
    let mut q = Vec::new();
    quantize_q4_0(&v, &mut q).unwrap();
    let mut ggml = Vec::new();
    dequantize_q4_0(&q, &mut ggml).unwrap();
    let (mut b, mut s) = (Vec::new(), Vec::new());
    q4_0_to_nbits(&q, &mut b, &mut s);
    let nbits: Vec<f32> = b
        .chunks_exact(16)
        .zip(&s)
        .flat_map(|(blob, &d)| {
            blob.iter().flat_map(move |&x| {
                [
                    f32::from(i16::from(x & 0x0F) - 8) * d,
                    f32::from(i16::from(x >> 4) - 8) * d,
                ]
            })
        })
        .collect();
    assert_eq!(nbits, ggml);
}

#[test]
fn q8_0_to_nbits_offsets_by_128() {
    let mut blk = f16::from_f32(0.5).to_le_bytes().to_vec();
    blk.extend((0..32i8).map(|j| (j * 4 - 64) as u8));
    assert_eq!(blk.len(), Q8_0_BLOCK_BYTES);
    let (mut b, mut s) = (Vec::new(), Vec::new());
    q8_0_to_nbits(&blk, &mut b, &mut s);
    assert_eq!(s, vec![0.5]);
    let expect: Vec<u8> = (0..32).map(|j| (j * 4 - 64 + 128) as u8).collect();
    assert_eq!(b, expect);
    assert_eq!((b[0], b[16], b[31]), (64, 128, 188));
}

#[test]
fn q6_k_repack_decodes_to_ggml_values() {
    let v = generate(9, "blk.0.ffn_down.weight", QK_K * 8);
    let mut q = Vec::new();
    quantize_q6_k(&v, &mut q).unwrap();
    let mut ggml = Vec::new();
    dequantize_q6_k(&q, &mut ggml).unwrap();
    let (mut b, mut s) = (Vec::new(), Vec::new());
    q6_k_to_nbits(&q, &mut b, &mut s);
    assert_eq!((b.len(), s.len()), (v.len(), v.len() / 16));
    let nbits: Vec<f32> = b
        .chunks_exact(16)
        .zip(&s)
        .flat_map(|(blob, &d)| blob.iter().map(move |&x| d * f32::from(i16::from(x) - 128)))
        .collect();
    assert_eq!(nbits, ggml, "the twin's weights are ggml's, bit for bit");
}

#[test]
fn twin_weights_metadata_names_each_encoding() {
    let plain = TwinOptions::default();
    let m = twin_weights(&spec(Preset::Tiny, Quant::Q4_K_M), plain);
    assert!(m.contains("q4_K: MatMulNBits 4-bit, blocks of 32"), "{m}");
    assert!(m.contains("minus block sums of x times dmin*m"), "{m}");
    assert!(m.contains("q6_K: MatMulNBits 8-bit, blocks of 16"), "{m}");
    let m = twin_weights(&spec(Preset::Tiny, Quant::Q4_0), plain);
    assert!(m.starts_with("q4_0: MatMulNBits 4-bit"), "{m}");
    assert!(!m.contains("q6_K"), "{m}");
    let qdq = TwinOptions { qdq: true, ..plain };
    let m = twin_weights(&spec(Preset::Tiny, Quant::Q4_K_M), qdq);
    assert!(m.contains("q4_K: dequantised"), "{m}");
    assert!(
        m.contains("q6_K: DequantizeLinear int8, blocks of 16"),
        "{m}"
    );
}

/// The QDQ rewrite of `MatMulNBits` blobs, worked by hand: levels are the
/// stored values less the zero point, transposed to `[K, N]` and packed two
/// int4 per byte (first element low); scales transposed to `[K/block, N]`.
#[test]
fn nbits_to_qdq_transposes_and_packs_by_hand() {
    let f = |v: &[f32]| v.iter().flat_map(|x| x.to_le_bytes()).collect::<Vec<u8>>();
    // N = 2 rows of K = 4 nibbles (1 2 3 4 / 5 6 7 8), blocks of 2.
    let b = [0x21, 0x43, 0x65, 0x87];
    let (w, s) = nbits_to_qdq(&b, &f(&[1.0, 2.0, 3.0, 4.0]), 4, 4, 2, 2);
    // Levels: row 0 = -7 -6 -5 -4, row 1 = -3 -2 -1 0; by column (-7, -3)...
    assert_eq!(w, vec![0xD9, 0xEA, 0xFB, 0x0C]);
    assert_eq!(s, f(&[1.0, 3.0, 2.0, 4.0]));
    // 8-bit: stored q + 128.
    let b = [128 + 5, 128 - 3, 0, 255];
    let (w, s) = nbits_to_qdq(&b, &f(&[0.5, 0.25]), 8, 2, 2, 2);
    assert_eq!(w, vec![5, (-128i8) as u8, (-3i8) as u8, 127]);
    assert_eq!(s, f(&[0.5, 0.25]));
}

/// q4_K split as llama.cpp's dot product splits it: `scale·q − min` per
/// block, with the levels, scales and mins [`q4_k_to_nbits`] gives, is
/// ggml's dequantisation bit for bit.
#[test]
fn q4_k_split_decodes_to_ggml_values() {
    let v = generate(42, "blk.0.ffn_up.weight", 4 * super::super::quant::QK_K);
    let mut q = Vec::new();
    super::super::quant::quantize_q4_k(&v, &mut q).unwrap();
    let mut ggml = Vec::new();
    super::super::quant::dequantize_q4_k(&q, &mut ggml).unwrap();
    let (mut b, mut s, mut m) = (Vec::new(), Vec::new(), Vec::new());
    q4_k_to_nbits(&q, &mut b, &mut s, &mut m);
    assert_eq!(
        (b.len(), s.len(), m.len()),
        (v.len() / 2, v.len() / 32, v.len() / 32)
    );
    let split: Vec<f32> = b
        .chunks_exact(16)
        .zip(s.iter().zip(&m))
        .flat_map(|(blob, (&sc, &min))| {
            blob.iter()
                .flat_map(|&x| [x & 0x0F, x >> 4])
                .map(move |l| sc * f32::from(l) - min)
                .collect::<Vec<_>>()
        })
        .collect();
    assert_eq!(split, ggml, "the twin's weights are ggml's, bit for bit");
}

/// Decodes `MatMulNBits` blobs (`bits` 4 or 8, blocks of 32) with their
/// scales and mins as the split form computes each weight:
/// `scale·(stored − zero point) − min` (zero point 0 for 4 bits, 128 for 8).
fn split_weights(b: &[u8], s: &[f32], m: &[f32], bits: u32) -> Vec<f32> {
    let blob = 32 * bits as usize / 8;
    b.chunks_exact(blob)
        .zip(s.iter().zip(m))
        .flat_map(|(blob, (&sc, &min))| {
            let levels: Vec<f32> = if bits == 4 {
                blob.iter()
                    .flat_map(|&x| [x & 0x0F, x >> 4])
                    .map(f32::from)
                    .collect()
            } else {
                blob.iter()
                    .map(|&x| f32::from(i16::from(x) - 128))
                    .collect()
            };
            levels.into_iter().map(move |l| sc * l - min)
        })
        .collect()
}

/// q4_1 and q5_K in their split forms, and q5_0 in 8 bits, decode to
/// ggml's dequantisation bit for bit.
#[test]
fn q4_1_q5_0_and_q5_k_forms_decode_to_ggml_values() {
    use super::super::quant::{decode, encode};
    use edgebench_formats::gguf::GgmlType;
    let v = generate(7, "blk.0.ffn_up.weight", 4 * super::super::quant::QK_K);
    let ggml = |ty: GgmlType, q: &[u8]| {
        let mut out = Vec::new();
        decode(ty, q, &mut out).unwrap().unwrap();
        out
    };
    let quantised = |ty: GgmlType| {
        let mut q = Vec::new();
        encode(ty, &v, &mut q).unwrap().unwrap();
        q
    };
    for (ty, bits) in [(GgmlType::Q4_1, 4), (GgmlType::Q5_K, 8)] {
        let q = quantised(ty);
        let (mut b, mut s, mut m) = (Vec::new(), Vec::new(), Vec::new());
        if ty == GgmlType::Q4_1 {
            q4_1_to_nbits(&q, &mut b, &mut s, &mut m);
        } else {
            q5_k_to_nbits(&q, &mut b, &mut s, &mut m);
        }
        assert_eq!(
            (b.len(), s.len(), m.len()),
            (v.len() * bits as usize / 8, v.len() / 32, v.len() / 32),
            "{ty}"
        );
        assert_eq!(
            split_weights(&b, &s, &m, bits),
            ggml(ty, &q),
            "{ty}: the twin's weights are ggml's, bit for bit"
        );
    }
    let q = quantised(GgmlType::Q5_0);
    let (mut b, mut s) = (Vec::new(), Vec::new());
    q5_0_to_nbits(&q, &mut b, &mut s);
    let zeros = vec![0.0; s.len()];
    assert_eq!(
        split_weights(&b, &s, &zeros, 8),
        ggml(GgmlType::Q5_0, &q),
        "q5_0: the twin's weights are ggml's, bit for bit"
    );
}

/// The graph of a dry run in variant `opts` (with `act`'s ranges).
fn dry_graph(
    spec: &SynthSpec,
    opts: TwinOptions,
    act: Option<&StaticQdq>,
) -> io::Result<GraphProto> {
    let mut sink = DataSink {
        out: None,
        location: "m.onnx.data".into(),
        pos: 0,
    };
    build_model(spec, opts, act, &mut sink).map(|m| m.graph.unwrap())
}

#[test]
fn uint8_scale_and_zero_point_follow_onnx_runtime_by_hand() {
    // [-1, 3]: scale 4/255, zero point round(1 / (4/255)) = round(63.75).
    let (s, z) = uint8_scale_zero_point(-1.0, 3.0);
    assert_eq!((s, z), (4.0 / 255.0, 64));
    // The range always holds 0: [2, 5] is taken as [0, 5].
    assert_eq!(uint8_scale_zero_point(2.0, 5.0), (5.0 / 255.0, 0));
    assert_eq!(uint8_scale_zero_point(-5.0, -2.0), (5.0 / 255.0, 255));
    // Nothing seen (or all zeros): scale 1, as ORT does for a zero range.
    assert_eq!(uint8_scale_zero_point(0.0, 0.0), (1.0, 0));
    assert_eq!(
        uint8_scale_zero_point(f32::INFINITY, f32::NEG_INFINITY),
        (1.0, 0)
    );
}

/// Per layer, four activations feed matrices (the attention norm's output,
/// read by q, k and v; the attention's output; the FFN norm's output, read
/// by gate and up; the FFN's hidden product), plus the final norm's.
fn sites(spec: &SynthSpec) -> Vec<String> {
    let mut v = vec!["output.weight".to_string()];
    for l in 0..spec.hparams().n_layer {
        for m in ["attn_q", "attn_output", "ffn_gate", "ffn_down"] {
            v.push(format!("blk.{l}.{m}.weight"));
        }
    }
    v.sort();
    v
}

#[test]
fn the_calibration_twin_outputs_each_activation_once() {
    for quant in [Quant::Q4_0, Quant::Q4_K_M] {
        let spec = spec(Preset::Tiny, quant);
        let opts = TwinOptions {
            qdq: true,
            calibration_outputs: true,
            ..TwinOptions::default()
        };
        let g = dry_graph(&spec, opts, None).unwrap();
        let mut calib: Vec<String> = g
            .output
            .iter()
            .filter_map(|o| o.name.strip_prefix("calib.").map(str::to_string))
            .collect();
        calib.sort();
        assert_eq!(calib, sites(&spec), "{quant}");
        let identities = g.node.iter().filter(|n| n.op_type == "Identity").count();
        assert_eq!(identities, calib.len());
        // The logits and every present output are still there, first.
        let plain = TwinOptions {
            qdq: true,
            ..TwinOptions::default()
        };
        let base = dry_graph(&spec, plain, None).unwrap();
        assert_eq!(g.output[..base.output.len()], base.output[..]);
    }
}

#[test]
fn static_qdq_quantises_each_activation_with_its_own_range() {
    let spec = spec(Preset::Tiny, Quant::Q4_0);
    let opts = TwinOptions {
        qdq: true,
        static_qdq: true,
        ..TwinOptions::default()
    };
    let ranges: BTreeMap<String, (f32, f32)> = sites(&spec)
        .into_iter()
        .enumerate()
        .map(|(i, s)| (s, (-1.0 - i as f32, 2.0)))
        .collect();
    let act = StaticQdq {
        ranges: ranges.clone(),
        calibration: "by hand".into(),
    };
    let g = dry_graph(&spec, opts, Some(&act)).unwrap();
    let q: Vec<&NodeProto> = g
        .node
        .iter()
        .filter(|n| n.op_type == "QuantizeLinear")
        .collect();
    assert_eq!(q.len(), ranges.len());
    // No graph output was added, and each MatMul reads a dequantised input.
    assert!(g.output.iter().all(|o| !o.name.starts_with("calib.")));
    let dq_out: HashSet<&str> = g
        .node
        .iter()
        .filter(|n| n.op_type == "DequantizeLinear")
        .map(|n| n.output[0].as_str())
        .collect();
    // (Every weight MatMul: the attention's own products read no weight.)
    let weight_matmuls: Vec<&NodeProto> = g
        .node
        .iter()
        .filter(|n| n.op_type == "MatMul" && dq_out.contains(n.input[1].as_str()))
        .collect();
    assert_eq!(weight_matmuls.len(), 7 * 4 + 1);
    for n in weight_matmuls {
        assert!(dq_out.contains(n.input[0].as_str()), "{}", n.name);
    }
    // The ffn_down site's scale and zero point are its range's.
    let (lo, hi) = ranges["blk.0.ffn_down.weight"];
    let (s, z) = uint8_scale_zero_point(lo, hi);
    let init = |name: &str| g.initializer.iter().find(|t| t.name == name).unwrap();
    assert_eq!(init("blk.0.ffn_down_act_scale").raw_data, s.to_le_bytes());
    assert_eq!(init("blk.0.ffn_down_act_zero_point").raw_data, vec![z]);
    assert_eq!(
        init("blk.0.ffn_down_act_zero_point").data_type,
        data_type::UINT8
    );
    // A site without a range is named.
    let mut short = act.clone();
    short.ranges.remove("blk.1.ffn_gate.weight");
    let err = dry_graph(&spec, opts, Some(&short)).unwrap_err();
    assert!(err.to_string().contains("blk.1.ffn_gate.weight"), "{err}");
}

#[test]
fn per_channel_int8_by_hand() {
    // [K = 2, N = 3]: columns (1, -4), (0, 0), (0.5, 0.25).
    let w = [1.0, 0.0, 0.5, -4.0, 0.0, 0.25];
    let (q, s) = per_channel_int8(&w, 3);
    assert_eq!(s, vec![4.0 / 127.0, 1.0, 0.5 / 127.0]);
    let q: Vec<i8> = q.iter().map(|&b| b as i8).collect();
    // 1 / (4/127) = 31.75 -> 32; -4 -> -127; 0.25 / (0.5/127) = 63.5 -> 64.
    assert_eq!(q, vec![32, 0, 127, -127, 0, 64]);
}

#[test]
fn static_qdq_stores_all_but_q4_0_per_channel() {
    let spec = spec(Preset::Tiny, Quant::Q4_K_M);
    let opts = TwinOptions {
        qdq: true,
        static_qdq: true,
        ..TwinOptions::default()
    };
    let act = StaticQdq {
        ranges: sites(&spec).into_iter().map(|s| (s, (-1.0, 1.0))).collect(),
        calibration: "by hand".into(),
    };
    let g = dry_graph(&spec, opts, Some(&act)).unwrap();
    let weights: Vec<&NodeProto> = g
        .node
        .iter()
        .filter(|n| n.op_type == "DequantizeLinear" && n.input.len() == 2)
        .collect();
    assert_eq!(weights.len(), 7 * 4 + 1);
    for n in weights {
        let w = g.initializer.iter().find(|t| t.name == n.input[0]).unwrap();
        assert_eq!(w.data_type, data_type::INT8, "{}", w.name);
        assert_eq!(n.attribute, vec![int("axis", 1)], "{}", w.name);
        let s = g.initializer.iter().find(|t| t.name == n.input[1]).unwrap();
        assert_eq!(s.dims, vec![w.dims[1]], "{}", s.name);
    }
    assert!(twin_weights(&spec, opts).contains("(not exact)"));
}
