//! The weights of a synthetic model, independent of any file format: the
//! ordered tensor list of a llama-architecture model and a deterministic,
//! counter-based generator for each tensor's values, so that every writer
//! (GGUF here, others later) produces the same numbers for the same seed.
//!
//! Value `i` of tensor `name` is a pure function of `(seed, name, i)`:
//! SplitMix64 keyed by the seed and the FNV-1a hash of the name, mapped to a
//! uniform distribution. Any slice of a tensor can thus be generated on its
//! own, in any order, on any thread.

use super::Hparams;

/// Standard deviation of the linear (projection) weights.
pub const LINEAR_STD: f32 = 0.02;
/// Standard deviation of the token embeddings.
pub const EMBEDDING_STD: f32 = 0.05;
/// Norm weights are uniform in `1 ± NORM_SPREAD`.
pub const NORM_SPREAD: f32 = 0.05;

/// One tensor of a synthetic model.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TensorDesc {
    /// The llama.cpp tensor name, e.g. `blk.0.attn_q.weight`.
    pub name: String,
    /// The shape in GGUF (ggml) order: `ne[0]`, the row length, first.
    pub ne: Vec<u64>,
    /// Whether this is an RMS-norm weight (stored as f32 whatever the quant).
    pub is_norm: bool,
}

impl TensorDesc {
    fn new(name: String, ne: &[u32], is_norm: bool) -> Self {
        TensorDesc {
            name,
            ne: ne.iter().map(|&d| u64::from(d)).collect(),
            is_norm,
        }
    }

    /// The number of elements.
    pub fn n_elements(&self) -> u64 {
        self.ne.iter().product()
    }
}

/// The tensors of a llama-architecture model with these hyper-parameters, in
/// file order: token embeddings, output norm, output, then each layer.
pub fn model_tensors(h: &Hparams) -> Vec<TensorDesc> {
    let (embd, vocab, ff) = (h.n_embd, h.n_vocab, h.n_ff);
    let q_dim = h.n_head * h.head_dim();
    let kv_dim = h.n_head_kv * h.head_dim();
    let mut t = vec![
        TensorDesc::new("token_embd.weight".into(), &[embd, vocab], false),
        TensorDesc::new("output_norm.weight".into(), &[embd], true),
        TensorDesc::new("output.weight".into(), &[embd, vocab], false),
    ];
    for l in 0..h.n_layer {
        let n = |s: &str| format!("blk.{l}.{s}.weight");
        t.extend([
            TensorDesc::new(n("attn_norm"), &[embd], true),
            TensorDesc::new(n("attn_q"), &[embd, q_dim], false),
            TensorDesc::new(n("attn_k"), &[embd, kv_dim], false),
            TensorDesc::new(n("attn_v"), &[embd, kv_dim], false),
            TensorDesc::new(n("attn_output"), &[q_dim, embd], false),
            TensorDesc::new(n("ffn_norm"), &[embd], true),
            TensorDesc::new(n("ffn_gate"), &[embd, ff], false),
            TensorDesc::new(n("ffn_up"), &[embd, ff], false),
            TensorDesc::new(n("ffn_down"), &[ff, embd], false),
        ]);
    }
    t
}

/// The first `n` values of tensor `name` for `seed`.
pub fn tensor_values(seed: u64, name: &str, n: usize) -> Vec<f32> {
    let mut v = vec![0.0; n];
    fill_tensor_values(seed, name, 0, &mut v);
    v
}

/// Fills `out` with values `start..start + out.len()` of tensor `name`.
///
/// Norm weights (`*_norm.weight`) are uniform in `1 ± 0.05`; the token
/// embeddings have standard deviation 0.05; everything else 0.02. All values
/// are finite.
pub fn fill_tensor_values(seed: u64, name: &str, start: u64, out: &mut [f32]) {
    let key = mix64(seed ^ 0x6564_6765_6265_6e63) ^ fnv1a64(name.as_bytes());
    let (center, half_width) = distribution(name);
    // u in [-2^23, 2^23) from the top 24 bits; value = center + u * scale.
    let scale = half_width / (1u32 << 23) as f32;
    let mut ctr = key.wrapping_add(start.wrapping_mul(GOLDEN));
    for v in out.iter_mut() {
        ctr = ctr.wrapping_add(GOLDEN);
        let u = (mix64(ctr) >> 40) as i32 - (1 << 23);
        *v = center + u as f32 * scale;
    }
}

/// `(center, half width)` of the uniform distribution for tensor `name`.
fn distribution(name: &str) -> (f32, f32) {
    let sqrt3 = 3f32.sqrt();
    if name.ends_with("_norm.weight") {
        (1.0, NORM_SPREAD)
    } else if name == "token_embd.weight" {
        (0.0, EMBEDDING_STD * sqrt3)
    } else {
        (0.0, LINEAR_STD * sqrt3)
    }
}

const GOLDEN: u64 = 0x9E37_79B9_7F4A_7C15;

/// SplitMix64's output function.
fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// 64-bit FNV-1a.
fn fnv1a64(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Preset;

    #[test]
    fn slices_match_the_whole() {
        let whole = tensor_values(42, "blk.0.attn_q.weight", 1000);
        let mut part = vec![0.0; 100];
        fill_tensor_values(42, "blk.0.attn_q.weight", 500, &mut part);
        assert_eq!(&whole[500..600], &part[..]);
    }

    #[test]
    fn values_depend_on_seed_and_name_and_are_pinned() {
        let a = tensor_values(42, "blk.0.attn_q.weight", 64);
        assert_ne!(a, tensor_values(43, "blk.0.attn_q.weight", 64));
        assert_ne!(a, tensor_values(42, "blk.0.attn_k.weight", 64));
        // Pinned so a change to the generator is noticed (and the synth
        // format version bumped).
        assert_eq!(fnv1a64(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(mix64(0), 0);
        assert_eq!(mix64(GOLDEN), 0xe220_a839_7b1d_cdaf);
    }

    #[test]
    fn statistics_are_as_documented() {
        let n = 200_000;
        for (name, mean, std) in [
            ("blk.1.ffn_up.weight", 0.0, LINEAR_STD),
            ("token_embd.weight", 0.0, EMBEDDING_STD),
            ("blk.1.ffn_norm.weight", 1.0, NORM_SPREAD / 3f32.sqrt()),
        ] {
            let v = tensor_values(7, name, n);
            assert!(v.iter().all(|x| x.is_finite()));
            let m = v.iter().map(|&x| f64::from(x)).sum::<f64>() / n as f64;
            let var = v.iter().map(|&x| (f64::from(x) - m).powi(2)).sum::<f64>() / n as f64;
            assert!(
                (m - mean).abs() < 0.01 * f64::from(std) + 1e-4,
                "{name} mean {m}"
            );
            let s = var.sqrt();
            assert!((s / f64::from(std) - 1.0).abs() < 0.02, "{name} std {s}");
        }
    }

    #[test]
    fn tiny_tensor_list() {
        let h = Preset::Tiny.hparams();
        let t = model_tensors(&h);
        assert_eq!(t.len(), 3 + 9 * h.n_layer as usize);
        assert_eq!(t[0].ne, vec![256, 2048]);
        assert_eq!(t[4].name, "blk.0.attn_q.weight");
        assert_eq!(t[5].ne, vec![256, 128]); // attn_k: 2 kv heads x 64
        assert_eq!(t[7].ne, vec![256, 256]); // attn_output
        assert_eq!(t[11].ne, vec![768, 256]); // ffn_down
        assert_eq!(
            t.iter().filter(|d| d.is_norm).count(),
            1 + 2 * h.n_layer as usize
        );
        let total: u64 = t.iter().map(TensorDesc::n_elements).sum();
        assert_eq!(total, h.n_params());
        for d in &t {
            assert_eq!(d.ne[0] % 32, 0, "{}", d.name);
        }
    }
}
