//! Several sequences batched on the onnx backend (one cache per sequence;
//! left padding on the Optimum-layout twin, right padding on the
//! onnxruntime-genai GroupQueryAttention twins): each sequence's logits
//! equal the same sequence run alone, and misuse is an error.
//!
//! Needs the ONNX Runtime library at run time (scripts/setup.sh installs it).
mod common;

use std::path::{Path, PathBuf};

use common::max_abs_diff;
use edgebench_backends::onnx::{OnnxBackend, OnnxOptions};
use edgebench_backends::synth::{
    Preset, Quant, SynthSpec, TwinOptions, genai_config, write_onnx, write_onnx_with,
};
use edgebench_backends::{Backend, BackendError, ContextSettings, SeqChunk};

fn spec(quant: Quant) -> SynthSpec {
    SynthSpec {
        preset: Preset::Tiny,
        quant,
        seed: 11,
    }
}

fn twin(dir: &Path, quant: Quant) -> PathBuf {
    let path = dir.join(format!("twin-{quant:?}.onnx"));
    write_onnx(&spec(quant), &path).expect("write the ONNX twin");
    path
}

fn settings() -> ContextSettings {
    ContextSettings {
        n_ctx: 64,
        threads: 2,
        batch: 64,
        ubatch: 64,
        flash_attn: None,
        kv_type: None,
    }
}

/// Prompt and teacher-forced continuation of sequence `s`.
fn tokens(s: u32, n: usize) -> Vec<u32> {
    (0..n as u32)
        .map(|i| (i * 7919 + s * 104_729) % 200 + 3)
        .collect()
}

fn argmax(v: &[f32]) -> usize {
    (0..v.len()).fold(0, |best, i| if v[i] > v[best] { i } else { best })
}

/// Four sequences with prompts of different lengths join at different
/// steps; the longest prompt is split into two chunks (the first keeps no
/// logits), so decodes, prompt chunks and pasts of unequal lengths share
/// steps. Every logits row equals the sequence's own run alone.
fn batched_equals_alone(path: &Path, what: &str) {
    let mut b = OnnxBackend::load(path, &OnnxOptions::default()).unwrap();
    let n_tok = 24usize;
    let prompts = [9usize, 3, 14, 6];
    let n_seq = prompts.len() as u32;
    let seqs: Vec<Vec<u32>> = (0..n_seq).map(|s| tokens(s, n_tok)).collect();

    b.configure(&settings()).unwrap();
    let mut alone: Vec<Vec<Vec<f32>>> = vec![];
    for (s, t) in seqs.iter().enumerate() {
        let n_prompt = prompts[s];
        b.clear().unwrap();
        b.prefill(&t[..n_prompt], 0).unwrap();
        let mut v = Vec::new();
        b.logits(&mut v).unwrap();
        let mut l = vec![v];
        for (pos, &tok) in t.iter().enumerate().skip(n_prompt) {
            b.decode(tok, pos as u32).unwrap();
            let mut v = Vec::new();
            b.logits(&mut v).unwrap();
            l.push(v);
        }
        alone.push(l);
    }

    b.configure_parallel(&settings(), n_seq).unwrap();
    for s in 0..n_seq {
        b.clear_seq(s).unwrap();
    }
    let mut batched: Vec<Vec<Vec<f32>>> = vec![vec![]; n_seq as usize];
    let mut next_pos = vec![0usize; n_seq as usize];
    for step in 0.. {
        let mut chunks = vec![];
        for s in 0..n_seq as usize {
            // Sequence s joins at step 2s.
            if step < 2 * s || next_pos[s] >= n_tok {
                continue;
            }
            let n_prompt = prompts[s];
            let (from, to) = match next_pos[s] {
                // The longest prompt goes in two chunks.
                0 if n_prompt > 10 => (0, 8),
                0 => (0, n_prompt),
                p if p < n_prompt => (p, n_prompt),
                p => (p, p + 1),
            };
            chunks.push(SeqChunk {
                seq: s as u32,
                tokens: &seqs[s][from..to],
                start_pos: from as u32,
                logits: to >= n_prompt,
            });
        }
        if chunks.is_empty() {
            break;
        }
        b.step(&chunks).unwrap();
        let mut k = 0;
        for c in &chunks {
            next_pos[c.seq as usize] = c.start_pos as usize + c.tokens.len();
            if !c.logits {
                continue;
            }
            let mut v = Vec::new();
            b.logits_at(k, &mut v).unwrap();
            assert_eq!(b.next_token_at(k).unwrap() as usize, argmax(&v));
            batched[c.seq as usize].push(v);
            k += 1;
        }
        assert!(b.logits_at(k, &mut Vec::new()).is_err(), "only {k} kept");
    }
    for s in 0..n_seq as usize {
        assert_eq!(batched[s].len(), n_tok - prompts[s] + 1, "sequence {s}");
        for (i, (a, c)) in alone[s].iter().zip(&batched[s]).enumerate() {
            let scale = a.iter().fold(0f32, |m, x| m.max(x.abs()));
            let d = max_abs_diff(a, c);
            assert!(
                d <= 1e-3 * scale.max(1.0),
                "{what} sequence {s} position {}: max |diff| {d} (logits up to {scale})",
                prompts[s] - 1 + i
            );
            assert_eq!(argmax(a), argmax(c), "{what} sequence {s} position {i}");
        }
    }
}

#[test]
fn batched_logits_match_each_sequence_run_alone_f32() {
    let dir = tempfile::tempdir().unwrap();
    batched_equals_alone(&twin(dir.path(), Quant::F32), "f32");
}

#[test]
fn batched_logits_match_each_sequence_run_alone_q4_0() {
    let dir = tempfile::tempdir().unwrap();
    batched_equals_alone(&twin(dir.path(), Quant::Q4_0), "q4_0");
}

/// The twin as onnxruntime-genai writes it (GroupQueryAttention), in its
/// own folder with its genai_config.json.
fn genai_twin(dir: &Path, quant: Quant, share_buffer: bool) -> PathBuf {
    let sub = dir.join(format!("genai-{quant:?}-{share_buffer}"));
    std::fs::create_dir(&sub).unwrap();
    let opts = TwinOptions {
        gqa: true,
        ..TwinOptions::default()
    };
    write_onnx_with(&spec(quant), &sub.join("model.onnx"), opts).unwrap();
    std::fs::write(
        sub.join("genai_config.json"),
        genai_config(&spec(quant), "model.onnx", share_buffer),
    )
    .unwrap();
    sub.join("model.onnx")
}

#[test]
fn genai_exports_batch_with_right_padding() {
    let dir = tempfile::tempdir().unwrap();
    batched_equals_alone(&genai_twin(dir.path(), Quant::Q4_0, false), "genai q4_0");
    // The shared past/present export runs alone through its shared buffer
    // and batched with separate past and present tensors.
    batched_equals_alone(
        &genai_twin(dir.path(), Quant::F32, true),
        "genai shared f32",
    );
}

fn run_err(r: Result<(), BackendError>) -> String {
    r.expect_err("should fail").to_string()
}

#[test]
fn misuse_is_an_error_and_a_graph_without_positions_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = twin(dir.path(), Quant::F32);
    let mut b = OnnxBackend::load(&path, &OnnxOptions::default()).unwrap();
    let t = tokens(0, 8);
    let one = |seq, tokens, start_pos| SeqChunk {
        seq,
        tokens,
        start_pos,
        logits: true,
    };
    b.configure(&settings()).unwrap();
    let e = run_err(b.step(&[one(0, &t[..1], 0)]));
    assert!(e.contains("configure_parallel"), "{e}");
    b.configure_parallel(&settings(), 2).unwrap();
    b.step(&[one(0, &t[..4], 0)]).unwrap();
    let e = run_err(b.step(&[one(0, &t[4..5], 6)]));
    assert!(e.contains("4 cached positions") && e.contains("gap"), "{e}");
    let e = run_err(b.step(&[one(1, &t[..1], 0), one(1, &t[1..2], 1)]));
    assert!(e.contains("sequence 1 twice"), "{e}");
    let e = run_err(b.step(&[one(2, &t[..1], 0)]));
    assert!(e.contains("sequence 2 of a context with 2"), "{e}");
    let long = tokens(0, 64);
    let e = run_err(b.step(&[one(0, &long[..61], 4)]));
    assert!(e.contains("context full") && e.contains("n_ctx 64"), "{e}");
    // clear_seq empties one sequence: it starts again at 0.
    b.clear_seq(0).unwrap();
    b.step(&[one(0, &t[..2], 0)]).unwrap();
    assert!(b.clear_seq(5).is_err());
    // configure() goes back to one sequence.
    b.configure(&settings()).unwrap();
    assert!(b.clear_seq(0).is_err());

    // The GroupQueryAttention graph read as an Optimum export (no
    // genai_config.json beside it): no position_ids for left padding, so
    // batching is refused, never run one sequence at a time in silence.
    let bare = dir.path().join("bare.onnx");
    let opts = TwinOptions {
        gqa: true,
        ..TwinOptions::default()
    };
    write_onnx_with(&spec(Quant::F32), &bare, opts).unwrap();
    let mut g = OnnxBackend::load(&bare, &OnnxOptions::default()).unwrap();
    let e = g
        .configure_parallel(&settings(), 2)
        .expect_err("left padding needs position_ids")
        .to_string();
    assert!(
        e.contains("concurrency > 1") && e.contains("position_ids"),
        "{e}"
    );
}
