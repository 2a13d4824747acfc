//! Tensor encodings for synthetic models, bit-exact with ggml's reference
//! quantisers (`quantize_row_q8_0_ref`, `quantize_row_q4_0_ref` in
//! ggml-quants.c), plus the matching dequantisers for checks.

use edgebench_formats::gguf::GgmlType;
use half::f16;

pub use super::quant_more::*;

/// Elements per Q8_0 / Q4_0 block.
pub const QK: usize = 32;
/// Bytes per Q8_0 block: `f16` scale + 32 `i8`.
pub const Q8_0_BLOCK_BYTES: usize = 34;
/// Bytes per Q4_0 block: `f16` scale + 16 bytes of nibbles.
pub const Q4_0_BLOCK_BYTES: usize = 18;

/// A buffer whose length does not fit the encoding.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{what}: length {len} is not a multiple of {multiple}")]
pub struct QuantError {
    /// Which operation.
    pub what: &'static str,
    /// The length given.
    pub len: usize,
    /// What it must be a multiple of.
    pub multiple: usize,
}

pub(crate) fn check(what: &'static str, len: usize, multiple: usize) -> Result<(), QuantError> {
    if len.is_multiple_of(multiple) {
        Ok(())
    } else {
        Err(QuantError {
            what,
            len,
            multiple,
        })
    }
}

/// Appends `x` quantised to Q8_0 to `out`; `x.len()` must be a multiple of 32.
pub fn quantize_q8_0(x: &[f32], out: &mut Vec<u8>) -> Result<(), QuantError> {
    check("Q8_0 quantisation", x.len(), QK)?;
    out.reserve(x.len() / QK * Q8_0_BLOCK_BYTES);
    for block in x.chunks_exact(QK) {
        let amax = block.iter().fold(0.0f32, |m, v| m.max(v.abs()));
        let d = amax / 127.0;
        let id = if d != 0.0 { 1.0 / d } else { 0.0 };
        out.extend_from_slice(&f16::from_f32(d).to_le_bytes());
        // roundf rounds half away from zero, as f32::round does.
        out.extend(block.iter().map(|&v| (v * id).round() as i8 as u8));
    }
    Ok(())
}

/// Appends `x` quantised to Q4_0 to `out`; `x.len()` must be a multiple of 32.
pub fn quantize_q4_0(x: &[f32], out: &mut Vec<u8>) -> Result<(), QuantError> {
    check("Q4_0 quantisation", x.len(), QK)?;
    out.reserve(x.len() / QK * Q4_0_BLOCK_BYTES);
    for block in x.chunks_exact(QK) {
        // The value with the largest magnitude, keeping its sign (first wins ties).
        let mut amax = 0.0f32;
        let mut max = 0.0f32;
        for &v in block {
            if amax < v.abs() {
                amax = v.abs();
                max = v;
            }
        }
        let d = max / -8.0;
        let id = if d != 0.0 { 1.0 / d } else { 0.0 };
        out.extend_from_slice(&f16::from_f32(d).to_le_bytes());
        // (int8_t)(x*id + 8.5f) truncates toward zero, as `as i8` does.
        let q = |v: f32| ((v * id + 8.5) as i8).min(15) as u8;
        let (lo, hi) = block.split_at(QK / 2);
        out.extend(lo.iter().zip(hi).map(|(&a, &b)| q(a) | (q(b) << 4)));
    }
    Ok(())
}

/// Appends `x` as little-endian IEEE half floats (round to nearest even).
pub fn encode_f16(x: &[f32], out: &mut Vec<u8>) {
    out.reserve(x.len() * 2);
    out.extend(x.iter().flat_map(|&v| f16::from_f32(v).to_le_bytes()));
}

/// Appends `x` as little-endian `f32`.
pub fn encode_f32(x: &[f32], out: &mut Vec<u8>) {
    out.reserve(x.len() * 4);
    out.extend(x.iter().flat_map(|v| v.to_le_bytes()));
}

/// Decodes Q8_0 blocks (as `dequantize_row_q8_0`), appending to `out`.
pub fn dequantize_q8_0(bytes: &[u8], out: &mut Vec<f32>) -> Result<(), QuantError> {
    check("Q8_0 dequantisation", bytes.len(), Q8_0_BLOCK_BYTES)?;
    for b in bytes.chunks_exact(Q8_0_BLOCK_BYTES) {
        let d = f16::from_le_bytes([b[0], b[1]]).to_f32();
        out.extend(b[2..].iter().map(|&q| f32::from(q as i8) * d));
    }
    Ok(())
}

/// Decodes Q4_0 blocks (as `dequantize_row_q4_0`), appending to `out`.
pub fn dequantize_q4_0(bytes: &[u8], out: &mut Vec<f32>) -> Result<(), QuantError> {
    check("Q4_0 dequantisation", bytes.len(), Q4_0_BLOCK_BYTES)?;
    for b in bytes.chunks_exact(Q4_0_BLOCK_BYTES) {
        let d = f16::from_le_bytes([b[0], b[1]]).to_f32();
        let qs = &b[2..];
        out.extend(qs.iter().map(|&q| f32::from(i16::from(q & 0x0F) - 8) * d));
        out.extend(qs.iter().map(|&q| f32::from(i16::from(q >> 4) - 8) * d));
    }
    Ok(())
}

/// Decodes little-endian half floats, appending to `out`.
pub fn decode_f16(bytes: &[u8], out: &mut Vec<f32>) -> Result<(), QuantError> {
    check("F16 decoding", bytes.len(), 2)?;
    out.extend(
        bytes
            .chunks_exact(2)
            .map(|b| f16::from_le_bytes([b[0], b[1]]).to_f32()),
    );
    Ok(())
}

/// Decodes little-endian `f32`, appending to `out`.
pub fn decode_f32(bytes: &[u8], out: &mut Vec<f32>) -> Result<(), QuantError> {
    check("F32 decoding", bytes.len(), 4)?;
    out.extend(
        bytes
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])),
    );
    Ok(())
}

/// Appends `x` encoded as `ty`; `None` for a type synthetic models do not
/// write.
pub fn encode(ty: GgmlType, x: &[f32], out: &mut Vec<u8>) -> Option<Result<(), QuantError>> {
    Some(match ty {
        GgmlType::Q4_0 => quantize_q4_0(x, out),
        GgmlType::Q8_0 => quantize_q8_0(x, out),
        GgmlType::Q4_1 => quantize_q4_1(x, out),
        GgmlType::Q5_0 => quantize_q5_0(x, out),
        GgmlType::Q4_K => quantize_q4_k(x, out),
        GgmlType::Q5_K => quantize_q5_k(x, out),
        GgmlType::Q6_K => quantize_q6_k(x, out),
        GgmlType::F16 => {
            encode_f16(x, out);
            Ok(())
        }
        GgmlType::BF16 => {
            encode_bf16(x, out);
            Ok(())
        }
        GgmlType::F32 => {
            encode_f32(x, out);
            Ok(())
        }
        _ => return None,
    })
}

/// Decodes `bytes` of type `ty` to f32, appending to `out`, exactly as
/// ggml's `dequantize_row_*`; `None` for a type [`encode`] does not write.
pub fn decode(ty: GgmlType, bytes: &[u8], out: &mut Vec<f32>) -> Option<Result<(), QuantError>> {
    Some(match ty {
        GgmlType::Q4_0 => dequantize_q4_0(bytes, out),
        GgmlType::Q8_0 => dequantize_q8_0(bytes, out),
        GgmlType::Q4_1 => dequantize_q4_1(bytes, out),
        GgmlType::Q5_0 => dequantize_q5_0(bytes, out),
        GgmlType::Q4_K => dequantize_q4_k(bytes, out),
        GgmlType::Q5_K => dequantize_q5_k(bytes, out),
        GgmlType::Q6_K => dequantize_q6_k(bytes, out),
        GgmlType::F16 => decode_f16(bytes, out),
        GgmlType::BF16 => decode_bf16(bytes, out),
        GgmlType::F32 => decode_f32(bytes, out),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ramp(scale: f32) -> Vec<f32> {
        (0..QK).map(|i| (i as f32 - 15.5) * scale).collect()
    }

    #[test]
    fn q8_0_hand_computed_block() {
        // amax = 127 gives d = 1 exactly, so q = round(x).
        let mut x = vec![0.0f32; QK];
        x[0] = 127.0;
        x[1] = -1.5; // rounds away from zero
        x[2] = 2.5;
        x[3] = -127.0;
        x[4] = 0.49;
        let mut out = Vec::new();
        quantize_q8_0(&x, &mut out).unwrap();
        assert_eq!(out.len(), Q8_0_BLOCK_BYTES);
        assert_eq!(&out[..2], &f16::from_f32(1.0).to_le_bytes());
        assert_eq!(out[2] as i8, 127);
        assert_eq!(out[3] as i8, -2);
        assert_eq!(out[4] as i8, 3);
        assert_eq!(out[5] as i8, -127);
        assert_eq!(out[6] as i8, 0);
    }

    #[test]
    fn q4_0_hand_computed_block() {
        // max = -8 (largest magnitude, negative) gives d = 1, id = 1:
        // q = min(15, trunc(x + 8.5)).
        let mut x = vec![0.0f32; QK];
        x[0] = -8.0; // q 0
        x[1] = 7.0; // q 15
        x[2] = 7.9; // trunc(16.4) = 16 -> clamped to 15
        x[3] = -0.6; // trunc(7.9) = 7
        x[16] = 3.0; // q 11, high nibble of byte 0
        x[17] = -3.0; // q 5, high nibble of byte 1
        let mut out = Vec::new();
        quantize_q4_0(&x, &mut out).unwrap();
        assert_eq!(out.len(), Q4_0_BLOCK_BYTES);
        assert_eq!(&out[..2], &f16::from_f32(1.0).to_le_bytes());
        assert_eq!(out[2], 11 << 4); // low nibble 0
        assert_eq!(out[3], 15 | (5 << 4));
        assert_eq!(out[4], 15 | (8 << 4)); // zero encodes as 8
        assert_eq!(out[5], 7 | (8 << 4));
        let mut back = Vec::new();
        dequantize_q4_0(&out, &mut back).unwrap();
        assert_eq!(&back[..4], &[-8.0, 7.0, 7.0, -1.0]);
        assert_eq!((back[16], back[17], back[31]), (3.0, -3.0, 0.0));
    }

    #[test]
    fn round_trip_error_bounds() {
        for scale in [1e-3f32, 0.02, 1.0, 300.0] {
            let x = ramp(scale);
            let amax = x.iter().fold(0.0f32, |m, v| m.max(v.abs()));

            let (mut q, mut back) = (Vec::new(), Vec::new());
            quantize_q8_0(&x, &mut q).unwrap();
            dequantize_q8_0(&q, &mut back).unwrap();
            for (a, b) in x.iter().zip(&back) {
                // half a step, plus the f16 rounding of the scale
                assert!(
                    (a - b).abs() <= amax / 127.0 * 0.5 + amax * 1e-3,
                    "q8 {scale}: {a} vs {b}"
                );
            }

            let (mut q, mut back) = (Vec::new(), Vec::new());
            quantize_q4_0(&x, &mut q).unwrap();
            dequantize_q4_0(&q, &mut back).unwrap();
            for (a, b) in x.iter().zip(&back) {
                assert!(
                    (a - b).abs() <= amax / 8.0 * 0.5 + amax * 1e-3 + amax / 8.0 * 0.5,
                    "q4 {scale}: {a} vs {b}"
                );
            }

            let (mut q, mut back) = (Vec::new(), Vec::new());
            encode_f16(&x, &mut q);
            decode_f16(&q, &mut back).unwrap();
            for (a, b) in x.iter().zip(&back) {
                assert!(
                    (a - b).abs() <= a.abs() * 1e-3 + 1e-7,
                    "f16 {scale}: {a} vs {b}"
                );
            }

            let (mut q, mut back) = (Vec::new(), Vec::new());
            encode_f32(&x, &mut q);
            decode_f32(&q, &mut back).unwrap();
            assert_eq!(x, back);
        }
    }

    #[test]
    fn zero_block_and_bad_lengths() {
        let mut out = Vec::new();
        quantize_q4_0(&[0.0; QK], &mut out).unwrap();
        // d = 0 / -8 is -0.0, as in ggml.
        assert_eq!(&out[..2], &f16::from_f32(-0.0).to_le_bytes());
        assert_eq!(&out[..2], &[0x00, 0x80]);
        assert!(out[2..].iter().all(|&b| b == 0x88));
        out.clear();
        quantize_q8_0(&[0.0; QK], &mut out).unwrap();
        assert!(out.iter().all(|&b| b == 0));
        assert!(quantize_q8_0(&[0.0; 31], &mut out).is_err());
        assert!(quantize_q4_0(&[0.0; 33], &mut out).is_err());
        assert!(dequantize_q4_0(&[0; 17], &mut Vec::new()).is_err());
    }
}
