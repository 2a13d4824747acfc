//! The onnx backend on the synthetic ONNX twin: greedy decoding with the KV
//! cache equals a no-cache recomputation, a chunked prefill equals a single
//! one, clear() restarts, the context limit and a missing EP are clear
//! errors.
//!
//! Needs the ONNX Runtime library at run time (scripts/setup.sh installs it).
mod common;

use std::path::PathBuf;

use common::max_abs_diff;
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

/// An onnxruntime-genai export with `past_present_share_buffer = true`
/// (GroupQueryAttention appending to one max-length KV buffer per layer,
/// bound through IO binding as both past and present) gives the logits of
/// the plain twin of the same weights, through a chunked prefill, decode
/// steps and a clear() that reuses the buffers.
#[test]
fn a_shared_kv_buffer_export_matches_the_plain_twin() {
    use edgebench_backends::synth::{TwinOptions, genai_config, write_onnx_with};
    let dir = tempfile::tempdir().unwrap();
    let plain = twin(&dir);
    let spec = SynthSpec {
        preset: Preset::Tiny,
        quant: Quant::F32,
        seed: 7,
    };
    let shared_dir = dir.path().join("shared");
    std::fs::create_dir(&shared_dir).unwrap();
    let shared = shared_dir.join("model.onnx");
    let opts = TwinOptions {
        gqa: true,
        ..TwinOptions::default()
    };
    write_onnx_with(&spec, &shared, opts).unwrap();
    std::fs::write(
        shared_dir.join("genai_config.json"),
        genai_config(&spec, "model.onnx", true),
    )
    .unwrap();

    let mut a = OnnxBackend::load(&plain, &OnnxOptions::default()).unwrap();
    let mut b = OnnxBackend::load(&shared, &OnnxOptions::default()).unwrap();
    assert!(b.layout().share_buffer);
    assert!(b.layout().position_ids.is_none());
    assert!(
        b.facts()["kv_buffer"].starts_with("shared"),
        "{:?}",
        b.facts()
    );
    assert!(a.facts()["kv_buffer"].starts_with("past in"));
    let run = |m: &mut OnnxBackend| {
        let mut steps = Vec::new();
        m.clear().unwrap();
        let prompt = [1u32, 5, 9, 2, 7, 3];
        m.prefill(&prompt, 0).unwrap();
        for pos in prompt.len() as u32..prompt.len() as u32 + 8 {
            let mut l = Vec::new();
            m.logits(&mut l).unwrap();
            let t = m.next_token().unwrap();
            steps.push((t, l));
            m.decode(t, pos).unwrap();
        }
        steps
    };
    for m in [&mut a, &mut b] {
        // Batch 4: the 6-token prompt is two chunks, the second one a
        // prompt continuing a cache.
        m.configure(&settings(16, 4)).unwrap();
    }
    let want = run(&mut a);
    let got = run(&mut b);
    for (i, ((ta, la), (tb, lb))) in want.iter().zip(&got).enumerate() {
        assert_eq!(ta, tb, "step {i}");
        let diff = la
            .iter()
            .zip(lb)
            .map(|(x, y)| (x - y).abs())
            .fold(0.0f32, f32::max);
        assert!(diff < 1e-3, "step {i}: max |logit diff| {diff}");
    }
    // clear() reuses the buffers: the same sequence again.
    let again = run(&mut b);
    assert_eq!(
        again.iter().map(|s| s.0).collect::<Vec<_>>(),
        got.iter().map(|s| s.0).collect::<Vec<_>>()
    );
    // The buffer holds n_ctx = 16 positions: the 17th is refused.
    b.clear().unwrap();
    b.prefill(&[1u32; 16], 0).unwrap();
    let e = b.decode(1, 16).unwrap_err().to_string();
    assert!(e.contains("context full"), "{e}");
}
