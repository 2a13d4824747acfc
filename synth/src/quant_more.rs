//! The encodings beyond q4_0/q8_0 that deployed models use: q4_1, q5_0, the
//! K-quants (q4_K, q5_K, q6_K) and bf16. Each quantiser follows ggml's
//! reference function (`quantize_row_*_ref` in ggml-quants.c, and
//! `ggml_compute_fp32_to_bf16`) operation for operation, in the same order
//! and precision, so the blocks are bit-exact with what `llama-quantize`
//! writes without an importance matrix (it calls these reference functions
//! then). ggml-base is compiled without FMA, so no product is fused there
//! either; the backends' tests check the bytes against the linked ggml.
//!
//! The matching dequantisers follow ggml's `dequantize_row_*`.

use super::quant::{QK, QuantError, check};
use half::f16;

/// Elements per K-quant super-block.
pub const QK_K: usize = 256;
/// Bytes per q4_1 block: f16 scale, f16 min, 16 bytes of nibbles.
pub const Q4_1_BLOCK_BYTES: usize = 20;
/// Bytes per q5_0 block: f16 scale, 4 bytes of fifth bits, 16 of nibbles.
pub const Q5_0_BLOCK_BYTES: usize = 22;
/// Bytes per q4_K super-block.
pub const Q4_K_BLOCK_BYTES: usize = 144;
/// Bytes per q5_K super-block.
pub const Q5_K_BLOCK_BYTES: usize = 176;
/// Bytes per q6_K super-block.
pub const Q6_K_BLOCK_BYTES: usize = 210;

fn half(v: f32) -> [u8; 2] {
    f16::from_f32(v).to_le_bytes()
}

fn unhalf(b: &[u8]) -> f32 {
    f16::from_le_bytes([b[0], b[1]]).to_f32()
}

/// ggml's `nearest_int`: round half to even through the float trick (valid
/// for |v| ≤ 2²² − 1, as ggml asserts).
fn nearest_int(v: f32) -> i32 {
    let val = v + 12_582_912.0;
    (val.to_bits() as i32 & 0x007f_ffff) - 0x0040_0000
}

/// Appends `x` quantised to q4_1 (`quantize_row_q4_1_ref`).
pub fn quantize_q4_1(x: &[f32], out: &mut Vec<u8>) -> Result<(), QuantError> {
    check("Q4_1 quantisation", x.len(), QK)?;
    out.reserve(x.len() / QK * Q4_1_BLOCK_BYTES);
    for block in x.chunks_exact(QK) {
        let (mut min, mut max) = (f32::MAX, -f32::MAX);
        for &v in block {
            if v < min {
                min = v;
            }
            if v > max {
                max = v;
            }
        }
        let d = (max - min) / 15.0;
        let id = if d != 0.0 { 1.0 / d } else { 0.0 };
        out.extend_from_slice(&half(d));
        out.extend_from_slice(&half(min));
        let q = |v: f32| (((v - min) * id + 0.5) as i8).min(15) as u8;
        let (lo, hi) = block.split_at(QK / 2);
        out.extend(lo.iter().zip(hi).map(|(&a, &b)| q(a) | (q(b) << 4)));
    }
    Ok(())
}

/// Appends `x` quantised to q5_0 (`quantize_row_q5_0_ref`).
pub fn quantize_q5_0(x: &[f32], out: &mut Vec<u8>) -> Result<(), QuantError> {
    check("Q5_0 quantisation", x.len(), QK)?;
    out.reserve(x.len() / QK * Q5_0_BLOCK_BYTES);
    for block in x.chunks_exact(QK) {
        let (mut amax, mut max) = (0.0f32, 0.0f32);
        for &v in block {
            if amax < v.abs() {
                amax = v.abs();
                max = v;
            }
        }
        let d = max / -16.0;
        let id = if d != 0.0 { 1.0 / d } else { 0.0 };
        let q = |v: f32| ((v * id + 16.5) as i8).min(31) as u8;
        let mut qh = 0u32;
        let mut qs = [0u8; QK / 2];
        for j in 0..QK / 2 {
            let (x0, x1) = (q(block[j]), q(block[j + QK / 2]));
            qs[j] = (x0 & 0x0F) | ((x1 & 0x0F) << 4);
            qh |= u32::from((x0 & 0x10) >> 4) << j;
            qh |= u32::from((x1 & 0x10) >> 4) << (j + QK / 2);
        }
        out.extend_from_slice(&half(d));
        out.extend_from_slice(&qh.to_le_bytes());
        out.extend_from_slice(&qs);
    }
    Ok(())
}

/// ggml's `make_qkx2_quants`: an asymmetric (scale, min) fit of `x` to
/// levels `0..=nmax`, searching `nstep + 1` scales; writes the levels to
/// `l` and returns `(scale, -min)`.
#[allow(clippy::too_many_arguments)]
fn make_qkx2_quants(
    nmax: i32,
    x: &[f32],
    weights: &[f32],
    l: &mut [u8],
    rmin: f32,
    rdelta: f32,
    nstep: i32,
) -> (f32, f32) {
    let n = x.len();
    let (mut min, mut max) = (x[0], x[0]);
    let mut sum_w = weights[0];
    let mut sum_x = sum_w * x[0];
    for i in 1..n {
        if x[i] < min {
            min = x[i];
        }
        if x[i] > max {
            max = x[i];
        }
        let w = weights[i];
        sum_w += w;
        sum_x += w * x[i];
    }
    if min > 0.0 {
        min = 0.0;
    }
    if max == min {
        l.iter_mut().for_each(|v| *v = 0);
        return (0.0, -min);
    }
    let mut iscale = nmax as f32 / (max - min);
    let mut scale = 1.0 / iscale;
    let mut best_error = 0.0f32;
    for i in 0..n {
        let q = nearest_int(iscale * (x[i] - min)).clamp(0, nmax);
        l[i] = q as u8;
        let diff = scale * q as f32 + min - x[i];
        best_error += weights[i] * (diff * diff);
    }
    let mut laux = [0u8; 32];
    for is in 0..=nstep {
        iscale = (rmin + rdelta * is as f32 + nmax as f32) / (max - min);
        let (mut sum_l, mut sum_l2, mut sum_xl) = (0.0f32, 0.0f32, 0.0f32);
        for i in 0..n {
            let q = nearest_int(iscale * (x[i] - min)).clamp(0, nmax);
            laux[i] = q as u8;
            let (w, q) = (weights[i], q as f32);
            sum_l += w * q;
            sum_l2 += w * q * q;
            sum_xl += w * q * x[i];
        }
        let d = sum_w * sum_l2 - sum_l * sum_l;
        if d > 0.0 {
            let mut this_scale = (sum_w * sum_xl - sum_x * sum_l) / d;
            let mut this_min = (sum_l2 * sum_x - sum_l * sum_xl) / d;
            if this_min > 0.0 {
                this_min = 0.0;
                this_scale = sum_xl / sum_l2;
            }
            let mut cur_error = 0.0f32;
            for i in 0..n {
                let diff = this_scale * f32::from(laux[i]) + this_min - x[i];
                cur_error += weights[i] * (diff * diff);
            }
            if cur_error < best_error {
                l[..n].copy_from_slice(&laux[..n]);
                best_error = cur_error;
                scale = this_scale;
                min = this_min;
            }
        }
    }
    (scale, -min)
}

/// ggml's `get_scale_min_k4`: the 6-bit scale and min of sub-block `j`.
pub(crate) fn scale_min_k4(j: usize, q: &[u8]) -> (u8, u8) {
    if j < 4 {
        (q[j] & 63, q[j + 4] & 63)
    } else {
        (
            (q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4),
            (q[j + 4] >> 4) | ((q[j] >> 6) << 4),
        )
    }
}

/// The shared first half of q4_K and q5_K: per sub-block of 32, a
/// (scale, min) fit, then both quantised to 6 bits against the super-block's
/// f16 `d` and `dmin`; returns the 12 packed scale bytes, `d`, `dmin` bytes
/// and the levels re-derived from the stored scales.
fn k_scales_and_levels(
    x: &[f32],
    nmax: i32,
    rmin: f32,
    nstep: i32,
) -> ([u8; 12], [u8; 2], [u8; 2], [u8; QK_K]) {
    let mut l = [0u8; QK_K];
    let (mut scales, mut mins) = ([0.0f32; 8], [0.0f32; 8]);
    let mut weights = [0.0f32; 32];
    let (mut max_scale, mut max_min) = (0.0f32, 0.0f32);
    for j in 0..QK_K / 32 {
        let xs = &x[32 * j..32 * j + 32];
        let mut sum_x2 = 0.0f32;
        for &v in xs {
            sum_x2 += v * v;
        }
        let av_x = (sum_x2 / 32.0).sqrt();
        for (w, &v) in weights.iter_mut().zip(xs) {
            *w = av_x + v.abs();
        }
        let (s, m) = make_qkx2_quants(
            nmax,
            xs,
            &weights,
            &mut l[32 * j..32 * j + 32],
            rmin,
            0.1,
            nstep,
        );
        scales[j] = s;
        mins[j] = m;
        if s > max_scale {
            max_scale = s;
        }
        if m > max_min {
            max_min = m;
        }
    }
    let inv_scale = if max_scale > 0.0 {
        63.0 / max_scale
    } else {
        0.0
    };
    let inv_min = if max_min > 0.0 { 63.0 / max_min } else { 0.0 };
    let mut sc = [0u8; 12];
    for j in 0..QK_K / 32 {
        let ls = (nearest_int(inv_scale * scales[j]) as u8).min(63);
        let lm = (nearest_int(inv_min * mins[j]) as u8).min(63);
        if j < 4 {
            sc[j] = ls;
            sc[j + 4] = lm;
        } else {
            sc[j + 4] = (ls & 0xF) | ((lm & 0xF) << 4);
            sc[j - 4] |= (ls >> 4) << 6;
            sc[j] |= (lm >> 4) << 6;
        }
    }
    let (d, dmin) = (half(max_scale / 63.0), half(max_min / 63.0));
    let (df, dminf) = (unhalf(&d), unhalf(&dmin));
    for j in 0..QK_K / 32 {
        let (s, m) = scale_min_k4(j, &sc);
        let dj = df * f32::from(s);
        if dj == 0.0 {
            continue;
        }
        let dm = dminf * f32::from(m);
        for ii in 0..32 {
            l[32 * j + ii] = nearest_int((x[32 * j + ii] + dm) / dj).clamp(0, nmax) as u8;
        }
    }
    (sc, d, dmin, l)
}

/// Appends `x` quantised to q4_K (`quantize_row_q4_K_ref`).
pub fn quantize_q4_k(x: &[f32], out: &mut Vec<u8>) -> Result<(), QuantError> {
    check("Q4_K quantisation", x.len(), QK_K)?;
    out.reserve(x.len() / QK_K * Q4_K_BLOCK_BYTES);
    for block in x.chunks_exact(QK_K) {
        let (sc, d, dmin, l) = k_scales_and_levels(block, 15, -1.0, 20);
        out.extend_from_slice(&d);
        out.extend_from_slice(&dmin);
        out.extend_from_slice(&sc);
        for j in (0..QK_K).step_by(64) {
            out.extend((0..32).map(|i| l[j + i] | (l[j + i + 32] << 4)));
        }
    }
    Ok(())
}

/// Appends `x` quantised to q5_K (`quantize_row_q5_K_ref`).
pub fn quantize_q5_k(x: &[f32], out: &mut Vec<u8>) -> Result<(), QuantError> {
    check("Q5_K quantisation", x.len(), QK_K)?;
    out.reserve(x.len() / QK_K * Q5_K_BLOCK_BYTES);
    for block in x.chunks_exact(QK_K) {
        let (sc, d, dmin, l) = k_scales_and_levels(block, 31, -0.5, 15);
        let (mut qh, mut ql) = ([0u8; QK_K / 8], [0u8; QK_K / 2]);
        let (mut m1, mut m2) = (1u8, 2u8);
        for (k, n) in (0..QK_K).step_by(64).enumerate() {
            for j in 0..32 {
                let mut l1 = l[n + j];
                if l1 > 15 {
                    l1 -= 16;
                    qh[j] |= m1;
                }
                let mut l2 = l[n + j + 32];
                if l2 > 15 {
                    l2 -= 16;
                    qh[j] |= m2;
                }
                ql[32 * k + j] = l1 | (l2 << 4);
            }
            m1 <<= 2;
            m2 <<= 2;
        }
        out.extend_from_slice(&d);
        out.extend_from_slice(&dmin);
        out.extend_from_slice(&sc);
        out.extend_from_slice(&qh);
        out.extend_from_slice(&ql);
    }
    Ok(())
}

/// ggml's `make_qx_quants` with `rmse_type` 1 and no importance weights
/// (the form q6_K's reference quantiser uses): a symmetric fit of `x` to
/// levels `-nmax..nmax-1`, written to `l` offset by `nmax`; returns the scale.
fn make_qx_quants_rmse1(nmax: i32, x: &[f32], l: &mut [i8]) -> f32 {
    let (mut max, mut amax) = (0.0f32, 0.0f32);
    for &v in x {
        if v.abs() > amax {
            amax = v.abs();
            max = v;
        }
    }
    if amax < 1e-15 {
        l.iter_mut().for_each(|v| *v = 0);
        return 0.0;
    }
    let nm = nmax as f32;
    let level = |iscale: f32, v: f32| nearest_int(iscale * v).clamp(-nmax, nmax - 1);
    let sums = |iscale: f32| {
        let (mut sumlx, mut suml2) = (0.0f32, 0.0f32);
        for &v in x {
            let q = level(iscale, v) as f32;
            let w = v * v;
            sumlx += w * v * q;
            suml2 += w * q * q;
        }
        (sumlx, suml2)
    };
    let mut iscale = -nm / max;
    for (o, &v) in l.iter_mut().zip(x) {
        *o = (level(iscale, v) + nmax) as i8;
    }
    let (sumlx, suml2) = sums(iscale);
    let mut scale = if suml2 != 0.0 { sumlx / suml2 } else { 0.0 };
    let mut best = scale * sumlx;
    for is in -9..=9 {
        if is == 0 {
            continue;
        }
        iscale = -(nm + 0.1 * is as f32) / max;
        let (sumlx, suml2) = sums(iscale);
        if suml2 > 0.0 && sumlx * sumlx > best * suml2 {
            for (o, &v) in l.iter_mut().zip(x) {
                *o = (level(iscale, v) + nmax) as i8;
            }
            scale = sumlx / suml2;
            best = scale * sumlx;
        }
    }
    scale
}

/// Appends `x` quantised to q6_K (`quantize_row_q6_K_ref`).
pub fn quantize_q6_k(x: &[f32], out: &mut Vec<u8>) -> Result<(), QuantError> {
    check("Q6_K quantisation", x.len(), QK_K)?;
    out.reserve(x.len() / QK_K * Q6_K_BLOCK_BYTES);
    for block in x.chunks_exact(QK_K) {
        let mut l = [0i8; QK_K];
        let mut scales = [0.0f32; QK_K / 16];
        let (mut max_scale, mut max_abs_scale) = (0.0f32, 0.0f32);
        for ib in 0..QK_K / 16 {
            let s = make_qx_quants_rmse1(
                32,
                &block[16 * ib..16 * ib + 16],
                &mut l[16 * ib..16 * ib + 16],
            );
            scales[ib] = s;
            if s.abs() > max_abs_scale {
                max_abs_scale = s.abs();
                max_scale = s;
            }
        }
        if max_abs_scale < 1e-15 {
            out.extend_from_slice(&[0u8; Q6_K_BLOCK_BYTES - 2]);
            out.extend_from_slice(&half(0.0));
            continue;
        }
        let iscale = -128.0 / max_scale;
        let d = half(1.0 / iscale);
        let mut sc = [0i8; QK_K / 16];
        for (o, &s) in sc.iter_mut().zip(&scales) {
            *o = nearest_int(iscale * s).min(127) as i8;
        }
        let df = unhalf(&d);
        for j in 0..QK_K / 16 {
            let dj = df * f32::from(sc[j]);
            if dj == 0.0 {
                continue;
            }
            for ii in 0..16 {
                let q = nearest_int(block[16 * j + ii] / dj).clamp(-32, 31);
                l[16 * j + ii] = (q + 32) as i8;
            }
        }
        let l: Vec<u8> = l.iter().map(|&v| v as u8).collect();
        let (mut ql, mut qh) = ([0u8; QK_K / 2], [0u8; QK_K / 4]);
        for (h, j) in (0..QK_K).step_by(128).enumerate() {
            let (ql, qh) = (&mut ql[64 * h..], &mut qh[32 * h..]);
            for i in 0..32 {
                let q = |k: usize| l[j + i + 32 * k];
                ql[i] = (q(0) & 0xF) | ((q(2) & 0xF) << 4);
                ql[i + 32] = (q(1) & 0xF) | ((q(3) & 0xF) << 4);
                qh[i] = (q(0) >> 4) | ((q(1) >> 4) << 2) | ((q(2) >> 4) << 4) | ((q(3) >> 4) << 6);
            }
        }
        out.extend_from_slice(&ql);
        out.extend_from_slice(&qh);
        out.extend(sc.iter().map(|&s| s as u8));
        out.extend_from_slice(&d);
    }
    Ok(())
}

/// Appends `x` as little-endian bfloat16 (`ggml_compute_fp32_to_bf16`:
/// round to nearest even, NaN kept quiet).
pub fn encode_bf16(x: &[f32], out: &mut Vec<u8>) {
    out.reserve(x.len() * 2);
    out.extend(x.iter().flat_map(|&v| {
        let u = v.to_bits();
        let h = if u & 0x7fff_ffff > 0x7f80_0000 {
            (u >> 16) | 64
        } else {
            (u + (0x7fff + ((u >> 16) & 1))) >> 16
        };
        (h as u16).to_le_bytes()
    }));
}

/// Decodes q4_1 blocks (`dequantize_row_q4_1`), appending to `out`.
pub fn dequantize_q4_1(bytes: &[u8], out: &mut Vec<f32>) -> Result<(), QuantError> {
    check("Q4_1 dequantisation", bytes.len(), Q4_1_BLOCK_BYTES)?;
    for b in bytes.chunks_exact(Q4_1_BLOCK_BYTES) {
        let (d, m) = (unhalf(&b[0..]), unhalf(&b[2..]));
        let qs = &b[4..];
        out.extend(qs.iter().map(|&q| f32::from(q & 0x0F) * d + m));
        out.extend(qs.iter().map(|&q| f32::from(q >> 4) * d + m));
    }
    Ok(())
}

/// Decodes q5_0 blocks (`dequantize_row_q5_0`), appending to `out`.
pub fn dequantize_q5_0(bytes: &[u8], out: &mut Vec<f32>) -> Result<(), QuantError> {
    check("Q5_0 dequantisation", bytes.len(), Q5_0_BLOCK_BYTES)?;
    for b in bytes.chunks_exact(Q5_0_BLOCK_BYTES) {
        let d = unhalf(b);
        let qh = u32::from_le_bytes([b[2], b[3], b[4], b[5]]);
        let qs = &b[6..];
        let v = |q: u8, bit: usize| {
            let hi = ((qh >> bit) & 1) as u8;
            f32::from(i16::from(q | (hi << 4)) - 16) * d
        };
        out.extend(qs.iter().enumerate().map(|(j, &q)| v(q & 0x0F, j)));
        out.extend(qs.iter().enumerate().map(|(j, &q)| v(q >> 4, j + 16)));
    }
    Ok(())
}

/// Decodes q4_K super-blocks (`dequantize_row_q4_K`), appending to `out`.
pub fn dequantize_q4_k(bytes: &[u8], out: &mut Vec<f32>) -> Result<(), QuantError> {
    check("Q4_K dequantisation", bytes.len(), Q4_K_BLOCK_BYTES)?;
    for b in bytes.chunks_exact(Q4_K_BLOCK_BYTES) {
        let (d, min, sc, qs) = (unhalf(b), unhalf(&b[2..]), &b[4..16], &b[16..]);
        for (k, q) in qs.chunks_exact(32).enumerate() {
            let (s1, m1) = scale_min_k4(2 * k, sc);
            let (s2, m2) = scale_min_k4(2 * k + 1, sc);
            let (d1, m1) = (d * f32::from(s1), min * f32::from(m1));
            let (d2, m2) = (d * f32::from(s2), min * f32::from(m2));
            out.extend(q.iter().map(|&v| d1 * f32::from(v & 0xF) - m1));
            out.extend(q.iter().map(|&v| d2 * f32::from(v >> 4) - m2));
        }
    }
    Ok(())
}

/// Decodes q5_K super-blocks (`dequantize_row_q5_K`), appending to `out`.
pub fn dequantize_q5_k(bytes: &[u8], out: &mut Vec<f32>) -> Result<(), QuantError> {
    check("Q5_K dequantisation", bytes.len(), Q5_K_BLOCK_BYTES)?;
    for b in bytes.chunks_exact(Q5_K_BLOCK_BYTES) {
        let (d, min, sc) = (unhalf(b), unhalf(&b[2..]), &b[4..16]);
        let (qh, qs) = (&b[16..48], &b[48..]);
        for (k, ql) in qs.chunks_exact(32).enumerate() {
            let (u1, u2) = (1u8 << (2 * k), 2u8 << (2 * k));
            let (s1, m1) = scale_min_k4(2 * k, sc);
            let (s2, m2) = scale_min_k4(2 * k + 1, sc);
            let (d1, m1) = (d * f32::from(s1), min * f32::from(m1));
            let (d2, m2) = (d * f32::from(s2), min * f32::from(m2));
            let hi = |h: u8, u: u8| if h & u != 0 { 16 } else { 0 };
            out.extend(
                ql.iter()
                    .zip(qh)
                    .map(|(&v, &h)| d1 * f32::from((v & 0xF) + hi(h, u1)) - m1),
            );
            out.extend(
                ql.iter()
                    .zip(qh)
                    .map(|(&v, &h)| d2 * f32::from((v >> 4) + hi(h, u2)) - m2),
            );
        }
    }
    Ok(())
}

/// Decodes q6_K super-blocks (`dequantize_row_q6_K`), appending to `out`.
pub fn dequantize_q6_k(bytes: &[u8], out: &mut Vec<f32>) -> Result<(), QuantError> {
    check("Q6_K dequantisation", bytes.len(), Q6_K_BLOCK_BYTES)?;
    for b in bytes.chunks_exact(Q6_K_BLOCK_BYTES) {
        let d = unhalf(&b[208..]);
        let sc = &b[192..208];
        let start = out.len();
        out.resize(start + QK_K, 0.0);
        let y = &mut out[start..];
        for h in 0..2 {
            let (ql, qh) = (&b[64 * h..], &b[128 + 32 * h..]);
            let (y, sc) = (&mut y[128 * h..], &sc[8 * h..]);
            for l in 0..32 {
                let is = l / 16;
                let q = |lo: u8, shift: u32| i32::from(lo | (((qh[l] >> shift) & 3) << 4)) - 32;
                let qs = [
                    q(ql[l] & 0xF, 0),
                    q(ql[l + 32] & 0xF, 2),
                    q(ql[l] >> 4, 4),
                    q(ql[l + 32] >> 4, 6),
                ];
                for (k, &qk) in qs.iter().enumerate() {
                    y[l + 32 * k] = d * f32::from(sc[is + 2 * k] as i8) * qk as f32;
                }
            }
        }
    }
    Ok(())
}

/// Decodes little-endian bfloat16, appending to `out`.
pub fn decode_bf16(bytes: &[u8], out: &mut Vec<f32>) -> Result<(), QuantError> {
    check("BF16 decoding", bytes.len(), 2)?;
    out.extend(
        bytes
            .chunks_exact(2)
            .map(|b| f32::from_bits(u32::from(u16::from_le_bytes([b[0], b[1]])) << 16)),
    );
    Ok(())
}

#[cfg(test)]
#[path = "quant_more_tests.rs"]
mod tests;
