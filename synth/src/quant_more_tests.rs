use super::*;

/// Deterministic values with a spread like the synthetic weights' (±0.05),
/// with a few outliers so the scale search has work to do.
fn values(n: usize, seed: u32) -> Vec<f32> {
    let mut s = seed.wrapping_mul(2_654_435_761).max(1);
    (0..n)
        .map(|i| {
            s ^= s << 13;
            s ^= s >> 17;
            s ^= s << 5;
            let u = (s as f32 / u32::MAX as f32) - 0.5;
            if i % 97 == 0 { u * 0.4 } else { u * 0.1 }
        })
        .collect()
}

type Codec = (
    &'static str,
    fn(&[f32], &mut Vec<u8>) -> Result<(), QuantError>,
    fn(&[u8], &mut Vec<f32>) -> Result<(), QuantError>,
    usize,
    usize,
    f32,
);

/// (name, quantise, dequantise, elements per block, bytes per block, the
/// worst error allowed as a fraction of the block's absolute maximum).
const CODECS: [Codec; 5] = [
    (
        "q4_1",
        quantize_q4_1,
        dequantize_q4_1,
        QK,
        Q4_1_BLOCK_BYTES,
        0.08,
    ),
    (
        "q5_0",
        quantize_q5_0,
        dequantize_q5_0,
        QK,
        Q5_0_BLOCK_BYTES,
        0.07,
    ),
    (
        "q4_K",
        quantize_q4_k,
        dequantize_q4_k,
        QK_K,
        Q4_K_BLOCK_BYTES,
        0.2,
    ),
    (
        "q5_K",
        quantize_q5_k,
        dequantize_q5_k,
        QK_K,
        Q5_K_BLOCK_BYTES,
        0.1,
    ),
    (
        "q6_K",
        quantize_q6_k,
        dequantize_q6_k,
        QK_K,
        Q6_K_BLOCK_BYTES,
        0.05,
    ),
];

#[test]
fn sizes_and_round_trip_error() {
    let x = values(4 * QK_K, 7);
    for (name, q, dq, per_block, block_bytes, tol) in CODECS {
        let (mut bytes, mut back) = (Vec::new(), Vec::new());
        q(&x, &mut bytes).unwrap();
        assert_eq!(bytes.len(), x.len() / per_block * block_bytes, "{name}");
        dq(&bytes, &mut back).unwrap();
        assert_eq!(back.len(), x.len(), "{name}");
        let mut rms = 0.0f64;
        for (blk, bk) in x.chunks(per_block).zip(back.chunks(per_block)) {
            let amax = blk.iter().fold(0.0f32, |m, v| m.max(v.abs()));
            for (a, b) in blk.iter().zip(bk) {
                assert!((a - b).abs() <= amax * tol, "{name}: {a} vs {b}");
                rms += f64::from((a - b) * (a - b));
            }
        }
        let rms = (rms / x.len() as f64).sqrt();
        assert!(rms > 0.0, "{name}: a lossy code reproduced every value");
        // Errors shrink with bits: recorded per codec for the ordering test.
        eprintln!("{name}: rms error {rms:.3e}");
    }
}

#[test]
fn more_bits_less_error() {
    let x = values(16 * QK_K, 11);
    let rms = |q: fn(&[f32], &mut Vec<u8>) -> Result<(), QuantError>,
               dq: fn(&[u8], &mut Vec<f32>) -> Result<(), QuantError>| {
        let (mut b, mut y) = (Vec::new(), Vec::new());
        q(&x, &mut b).unwrap();
        dq(&b, &mut y).unwrap();
        x.iter()
            .zip(&y)
            .map(|(a, b)| (a - b) * (a - b))
            .sum::<f32>()
    };
    let q4k = rms(quantize_q4_k, dequantize_q4_k);
    let q5k = rms(quantize_q5_k, dequantize_q5_k);
    let q6k = rms(quantize_q6_k, dequantize_q6_k);
    let q41 = rms(quantize_q4_1, dequantize_q4_1);
    assert!(q6k < q5k && q5k < q4k, "q6_K {q6k} q5_K {q5k} q4_K {q4k}");
    // q4_K's searched scales beat q4_1's plain min/max fit at the same bits.
    assert!(q4k < q41, "q4_K {q4k} q4_1 {q41}");
}

#[test]
fn q4_1_hand_computed_block() {
    // min 0, max 15: d = 1, m = 0, q = min(15, trunc(x + 0.5)).
    let mut x = [0.0f32; QK];
    x[0] = 15.0;
    x[1] = 2.49; // trunc(2.99) = 2
    x[2] = 2.5; // trunc(3.0) = 3
    x[16] = 7.0; // high nibble of byte 0
    let mut out = Vec::new();
    quantize_q4_1(&x, &mut out).unwrap();
    assert_eq!(&out[0..2], &f16::from_f32(1.0).to_le_bytes());
    assert_eq!(&out[2..4], &f16::from_f32(0.0).to_le_bytes());
    assert_eq!(out[4], 15 | (7 << 4));
    assert_eq!(out[5], 2);
    assert_eq!(out[6], 3);
}

#[test]
fn q5_0_hand_computed_block() {
    // max = -16 gives d = 1: q = min(31, trunc(x + 16.5)); bit 4 goes to qh.
    let mut x = [0.0f32; QK];
    x[0] = -16.0; // q 0
    x[1] = 15.0; // q 31: low nibble 15, fifth bit set at bit 1
    x[17] = 1.0; // q 17: high nibble 1, fifth bit at bit 17
    let mut out = Vec::new();
    quantize_q5_0(&x, &mut out).unwrap();
    assert_eq!(&out[0..2], &f16::from_f32(1.0).to_le_bytes());
    let qh = u32::from_le_bytes([out[2], out[3], out[4], out[5]]);
    assert_eq!(qh & 1, 0, "x[0] = -16 -> 0");
    assert_eq!((qh >> 1) & 1, 1, "x[1] = 15 -> 31");
    assert_eq!((qh >> 16) & 1, 1, "x[16] = 0 -> 16");
    assert_eq!((qh >> 17) & 1, 1, "x[17] = 1 -> 17");
    assert_eq!(out[6] & 0x0F, 0);
    assert_eq!(out[7], 15 | (1 << 4));
    let mut back = Vec::new();
    dequantize_q5_0(&out, &mut back).unwrap();
    assert_eq!(
        (back[0], back[1], back[17], back[5]),
        (-16.0, 15.0, 1.0, 0.0)
    );
}

#[test]
fn nearest_int_rounds_half_to_even() {
    assert_eq!(nearest_int(0.5), 0);
    assert_eq!(nearest_int(1.5), 2);
    assert_eq!(nearest_int(2.5), 2);
    assert_eq!(nearest_int(-2.5), -2);
    assert_eq!(nearest_int(-0.6), -1);
    assert_eq!(nearest_int(63.49), 63);
}

#[test]
fn zero_blocks_and_bad_lengths() {
    let zeros = vec![0.0f32; QK_K];
    for (name, q, dq, _, _, _) in CODECS {
        let (mut b, mut y) = (Vec::new(), Vec::new());
        q(&zeros, &mut b).unwrap();
        dq(&b, &mut y).unwrap();
        assert!(y.iter().all(|&v| v == 0.0), "{name}");
        assert!(q(&zeros[..QK_K - 1], &mut b).is_err(), "{name}");
        assert!(dq(&b[..b.len() - 1], &mut y).is_err(), "{name}");
    }
    // A block of q6_K zeros is all zero bytes, as ggml's memset gives.
    let mut b = Vec::new();
    quantize_q6_k(&zeros, &mut b).unwrap();
    assert!(b.iter().all(|&v| v == 0));
}

#[test]
fn bf16_rounds_to_nearest_even() {
    let mut out = Vec::new();
    // 1 + 2^-8 is halfway between two bf16 values: ties go to even (1.0).
    encode_bf16(
        &[1.0 + 1.0 / 256.0, 1.0 + 3.0 / 256.0, -2.0, f32::NAN],
        &mut out,
    );
    let h: Vec<u16> = out
        .chunks(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .collect();
    assert_eq!(h[0], 0x3f80);
    assert_eq!(h[1], 0x3f82);
    assert_eq!(h[2], 0xc000);
    assert_eq!(h[3] & 0x7fc0, 0x7fc0, "NaN stays a quiet NaN");
    let mut back = Vec::new();
    decode_bf16(&out[..6], &mut back).unwrap();
    assert_eq!(back, vec![1.0, 1.0 + 2.0 / 128.0, -2.0]);
}
