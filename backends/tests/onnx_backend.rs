//! The onnx backend on the synthetic ONNX twin: greedy decoding with the KV
//! cache equals a no-cache recomputation, a chunked prefill equals a single
//! one, clear() restarts, the context limit and a missing EP are clear
//! errors.
//!
//! Needs the ONNX Runtime library at run time (scripts/setup.sh installs it).
use std::path::PathBuf;

use edgebench_backends::onnx::{Ep, OnnxBackend, OnnxOptions};
use edgebench_backends::synth::{Preset, Quant, SynthSpec, write_onnx};
use edgebench_backends::{Backend, BackendError, ContextSettings};

fn twin(dir: &tempfile::TempDir) -> PathBuf {
    let spec = SynthSpec {
        preset: Preset::Tiny,
        quant: Quant::F32,
        seed: 7,
    };
    let path = dir.path().join("twin.onnx");
    write_onnx(&spec, &path).expect("write the ONNX twin");
    path
}

fn settings(n_ctx: u32, batch: u32) -> ContextSettings {
    ContextSettings {
        n_ctx,
        threads: 1,
        batch,
        ubatch: batch,
        flash_attn: None,
        kv_type: None,
    }
}

#[test]
fn cached_decoding_matches_recomputation() {
    let dir = tempfile::tempdir().unwrap();
    let path = twin(&dir);
    let mut b = OnnxBackend::load(&path, &OnnxOptions::default()).unwrap();
    assert!(b.n_vocab() > 0);
    assert!(b.describe().id == "onnx:cpu");
    b.configure(&settings(64, 4)).unwrap();
    b.clear().unwrap();
    let prompt = [1u32, 5, 9, 2, 7, 3];
    b.prefill(&prompt, 0).unwrap();
    let mut seq = prompt.to_vec();
    let mut cached = Vec::new();
    for _ in 0..8 {
        let t = b.next_token().unwrap();
        cached.push(t);
        b.decode(t, seq.len() as u32).unwrap();
        seq.push(t);
    }
    // Recompute each step from scratch: a second backend whose batch holds
    // the whole sequence, so each is one no-cache prefill (with batch 4 the
    // recomputation would go through the chunked KV path it is checking).
    let mut r = OnnxBackend::load(&path, &OnnxOptions::default()).unwrap();
    r.configure(&settings(64, 64)).unwrap();
    let mut fresh = Vec::new();
    for n in prompt.len()..seq.len() {
        r.clear().unwrap();
        r.prefill(&seq[..n], 0).unwrap();
        fresh.push(r.next_token().unwrap());
    }
    assert_eq!(cached, fresh);
    let mut logits = Vec::new();
    b.logits(&mut logits).unwrap();
    assert_eq!(logits.len(), b.n_vocab() as usize);
}

/// max |a - b| over two logit vectors of the same length.
fn max_abs_diff(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len());
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f32::max)
}

#[test]
fn chunked_prefill_matches_single_prefill() {
    let dir = tempfile::tempdir().unwrap();
    let path = twin(&dir);
    let seq = [1u32, 5, 9, 2, 7, 3, 11, 4, 8, 6, 10];
    let logits_at = |batch: u32| {
        let mut b = OnnxBackend::load(&path, &OnnxOptions::default()).unwrap();
        b.configure(&settings(64, batch)).unwrap();
        b.clear().unwrap();
        b.prefill(&seq, 0).unwrap();
        let mut l = Vec::new();
        b.logits(&mut l).unwrap();
        assert_eq!(l.len(), b.n_vocab() as usize);
        l
    };
    // 11 tokens in chunks of 4 (4 + 4 + 3, the later ones over the KV
    // cache) against one prefill of all 11.
    let chunked = logits_at(4);
    let single = logits_at(64);
    let d = max_abs_diff(&chunked, &single);
    assert!(d < 1e-4, "chunked vs single prefill: max abs diff {d}");
}

#[test]
fn context_limit_and_missing_ep_are_errors() {
    let dir = tempfile::tempdir().unwrap();
    let path = twin(&dir);
    let mut b = OnnxBackend::load(&path, &OnnxOptions::default()).unwrap();
    b.configure(&settings(4, 4)).unwrap();
    b.clear().unwrap();
    let e = b.prefill(&[1, 2, 3, 4, 5], 0).unwrap_err().to_string();
    assert!(e.contains("context full"), "{e}");
    let r = OnnxBackend::load(
        &path,
        &OnnxOptions {
            ep: Ep::Qnn,
            ..Default::default()
        },
    );
    let e = r.err().expect("no QNN in the CPU wheel");
    assert!(
        matches!(&e, BackendError::EpUnavailable { backend, .. } if backend == "onnx:qnn"),
        "{e:?}"
    );
    assert!(e.to_string().contains("ep_unavailable"), "{e}");
}
