//! The onnx backend on the synthetic ONNX twin: greedy decoding with the KV
//! cache equals a no-cache recomputation, clear() restarts, the context
//! limit and a missing EP are clear errors.
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
    // Recompute each step from scratch (one prefill of the whole sequence).
    let mut fresh = Vec::new();
    for n in prompt.len()..seq.len() {
        b.clear().unwrap();
        b.prefill(&seq[..n], 0).unwrap();
        fresh.push(b.next_token().unwrap());
    }
    assert_eq!(cached, fresh);
    let mut logits = Vec::new();
    b.logits(&mut logits).unwrap();
    assert_eq!(logits.len(), b.n_vocab() as usize);
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
