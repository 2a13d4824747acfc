//! Continuous batching on real llama.cpp (tiny synthetic q4_0): batching
//! must not change results, every request gets its tokens, and four
//! sequences at once generate more tokens per second than one at a time.
#![cfg(feature = "llama")]

use edgebench::load::{RequestShape, serve};
use edgebench::load_batched::serve_batched;
use edgebench_backends::synth::{Preset, Quant, SynthSpec, write_gguf};
use edgebench_backends::{
    Backend, BackendKind, ContextSettings, LoadSettings, ModelMeta, SeqChunk, gguf, mock,
};
use edgebench_reports::conformance::{
    ConformanceSide, Tolerance, ToleranceClass, compare_position, judge,
};

fn tiny(dir: &std::path::Path) -> Box<dyn Backend> {
    let path = dir.join("tiny-q4_0.gguf");
    let spec = SynthSpec {
        preset: Preset::Tiny,
        quant: Quant::Q4_0,
        seed: 42,
    };
    write_gguf(&spec, &path).unwrap();
    let info = ModelMeta::Gguf(gguf::inspect(&path).unwrap());
    BackendKind::LlamaCpp
        .load(
            &path,
            &info,
            &LoadSettings::default(),
            &mock::MockConfig::default(),
        )
        .unwrap()
}

fn settings() -> ContextSettings {
    ContextSettings {
        n_ctx: 128,
        threads: 2,
        batch: 512,
        ubatch: 512,
        flash_attn: None,
        kv_type: None,
    }
}

/// Prompt and teacher-forced continuation of sequence `s`.
fn tokens(s: u32, n: usize, bos: u32) -> Vec<u32> {
    let mut t = vec![bos];
    t.extend((1..n as u32).map(|i| (i * 7919 + s * 104_729) % 2000 + 10));
    t
}

fn side(what: &str) -> ConformanceSide {
    ConformanceSide {
        model: "tiny-q4_0".into(),
        sha256: String::new(),
        quant: Some("q4_0".into()),
        backend: what.into(),
        backend_version: String::new(),
        execution_provider: None,
    }
}

#[test]
fn batched_logits_match_each_sequence_run_alone() {
    let dir = tempfile::tempdir().unwrap();
    let mut b = tiny(dir.path());
    let bos = b.bos_token().unwrap();
    let (n_seq, n_prompt, n_tok) = (4u32, 12usize, 28usize);
    let seqs: Vec<Vec<u32>> = (0..n_seq).map(|s| tokens(s, n_tok, bos)).collect();

    // Alone: prefill the prompt, then one decode per given token.
    b.configure(&settings()).unwrap();
    let mut alone: Vec<Vec<Vec<f32>>> = vec![];
    for t in &seqs {
        b.clear().unwrap();
        b.prefill(&t[..n_prompt], 0).unwrap();
        let mut l = vec![];
        let mut v = Vec::new();
        b.logits(&mut v).unwrap();
        l.push(v);
        for (pos, &tok) in t.iter().enumerate().skip(n_prompt) {
            b.decode(tok, pos as u32).unwrap();
            let mut v = Vec::new();
            b.logits(&mut v).unwrap();
            l.push(v);
        }
        alone.push(l);
    }

    // Together: sequences start staggered (sequence s joins at step s, its
    // prompt in one chunk) so prompt chunks and decodes share batches.
    b.configure_parallel(&settings(), n_seq).unwrap();
    for s in 0..n_seq {
        b.clear_seq(s).unwrap();
    }
    let mut batched: Vec<Vec<Vec<f32>>> = vec![vec![]; n_seq as usize];
    let mut next_pos = vec![0usize; n_seq as usize];
    for step in 0.. {
        let mut chunks = vec![];
        for s in 0..n_seq as usize {
            if step < s || next_pos[s] >= n_tok {
                continue;
            }
            let (from, to) = if next_pos[s] == 0 {
                (0, n_prompt)
            } else {
                (next_pos[s], next_pos[s] + 1)
            };
            chunks.push(SeqChunk {
                seq: s as u32,
                tokens: &seqs[s][from..to],
                start_pos: from as u32,
                logits: true,
            });
        }
        if chunks.is_empty() {
            break;
        }
        b.step(&chunks).unwrap();
        for (k, c) in chunks.iter().enumerate() {
            let mut v = Vec::new();
            b.logits_at(k, &mut v).unwrap();
            batched[c.seq as usize].push(v);
            next_pos[c.seq as usize] = c.start_pos as usize + c.tokens.len();
        }
    }
    for s in 0..n_seq as usize {
        assert_eq!(batched[s].len(), n_tok - n_prompt + 1, "sequence {s}");
        let positions = alone[s]
            .iter()
            .zip(&batched[s])
            .enumerate()
            .map(|(i, (a, c))| compare_position((n_prompt - 1 + i) as u32, a, c))
            .collect();
        let r = judge(
            side("llama.cpp alone"),
            side("llama.cpp batched"),
            Tolerance::for_class(ToleranceClass::Quantised),
            positions,
        );
        eprintln!(
            "sequence {s}: top-1 {:.3}, min cosine {:.6}",
            r.top1_agreement, r.min_cosine
        );
        assert!(r.pass, "sequence {s}: {:?}", r.failures);
    }
}

#[test]
fn every_request_gets_its_tokens_and_batching_raises_throughput() {
    let dir = tempfile::tempdir().unwrap();
    let mut b = tiny(dir.path());
    let bos = b.bos_token().unwrap();
    let prompt = tokens(9, 32, bos);
    let shape = RequestShape {
        prompt: &prompt,
        lengths: &[(32, 32)],
        queue_timeout_ns: u64::MAX,
    };
    // Sixteen requests arriving at once: the queue is never empty, so each
    // mode runs at its capacity.
    let arrivals = [0u64; 16];
    let gen_tps = |s: &[edgebench::load::RequestSample]| {
        let start = s.iter().map(|r| r.arrival_ns).min().unwrap();
        let end = s.iter().filter_map(|r| r.end_ns).max().unwrap();
        let tokens: usize = s.iter().map(|r| r.step_ns.len() + 1).sum();
        tokens as f64 / ((end - start) as f64 / 1e9)
    };
    b.configure(&settings()).unwrap();
    serve(b.as_mut(), shape, &[0, 0]).unwrap();
    let one = serve(b.as_mut(), shape, &arrivals).unwrap();
    b.configure_parallel(&settings(), 4).unwrap();
    serve_batched(b.as_mut(), shape, &[0, 0], 4, 512).unwrap();
    let four = serve_batched(b.as_mut(), shape, &arrivals, 4, 512).unwrap();
    for r in &four {
        assert!(!r.dropped());
        assert_eq!(r.step_ns.len(), 31, "each request gets its 32 tokens");
        assert!(r.first_token_ns.unwrap() <= r.end_ns.unwrap());
    }
    let (t1, t4) = (gen_tps(&one), gen_tps(&four));
    eprintln!("generated tok/s: concurrency 1 {t1:.0}, concurrency 4 {t4:.0}");
    // Measured here 2.2x to 2.9x (unified KV cache); the check asks for more.
    assert!(
        t4 > t1,
        "concurrency 4 gave {t4:.0} tok/s, one at a time {t1:.0}"
    );
}

/// Requests of different lengths share the batch: each prefills its own
/// prompt and stops at its own count, the short ones freeing their slots
/// for queued ones while long ones run on.
#[test]
fn mixed_lengths_each_get_their_own_tokens() {
    let dir = tempfile::tempdir().unwrap();
    let mut b = tiny(dir.path());
    let bos = b.bos_token().unwrap();
    let prompt = tokens(5, 96, bos);
    let lengths = [(8, 40), (96, 3), (33, 1), (64, 17), (17, 64)];
    let shape = RequestShape {
        prompt: &prompt,
        lengths: &lengths,
        queue_timeout_ns: u64::MAX,
    };
    let mut ctx = settings();
    ctx.n_ctx = 96 + 64;
    b.configure_parallel(&ctx, 3).unwrap();
    let s = serve_batched(b.as_mut(), shape, &[0; 12], 3, 64).unwrap();
    for (i, r) in s.iter().enumerate() {
        let (p, g) = lengths[i % lengths.len()];
        assert_eq!((r.n_prompt, r.n_gen), (p, g), "request {i}");
        assert_eq!(
            r.step_ns.len() + 1,
            g as usize,
            "request {i} got its tokens"
        );
    }
    // The same lengths served one at a time agree on what each asked.
    b.configure(&ctx).unwrap();
    let one = serve(b.as_mut(), shape, &[0; 5]).unwrap();
    for (r, &(p, g)) in one.iter().zip(&lengths) {
        assert_eq!((r.n_prompt, r.step_ns.len() as u32 + 1), (p, g));
    }
}

#[test]
fn backends_that_cannot_batch_say_so() {
    let mut b = mock::MockBackend::new(mock::MockConfig::default(), 100, Some(1));
    let e = b
        .configure_parallel(&settings(), 4)
        .unwrap_err()
        .to_string();
    assert!(e.starts_with("unsupported: concurrency > 1 on mock"), "{e}");
}
