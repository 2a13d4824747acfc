//! The pure-Rust `cpu` backend (candle) against llama.cpp on the same
//! synthetic GGUF files: the same vocabulary and BOS, and the same greedy
//! choices, step by step with the same tokens fed to both (teacher forcing,
//! so one near-tie does not shift every later token). f32 and f16 must agree
//! on every step; q8_0 and q4_0 on at least 80 % (both engines quantise the
//! activations for quantised dot products, each its own way, and random
//! synthetic weights make near-ties common). Both backends are real.
#![cfg(all(feature = "cpu", feature = "llama"))]

use edgebench_backends::synth::{Preset, Quant, SynthSpec, write_gguf};
use edgebench_backends::{Backend, BackendKind, ContextSettings, LoadSettings, gguf, mock};

fn configure(b: &mut dyn Backend) {
    b.configure(&ContextSettings {
        n_ctx: 256,
        threads: edgebench_backends::cpu::process_threads() as u32,
        batch: 512,
        ubatch: 512,
        flash_attn: None,
        kv_type: None,
    })
    .unwrap();
    b.clear().unwrap();
}

/// The GGUF at `path` loaded on `kind`.
fn load(path: &std::path::Path, kind: BackendKind) -> Box<dyn Backend> {
    let info = edgebench_backends::ModelMeta::Gguf(gguf::inspect(path).unwrap());
    kind.load(
        path,
        &info,
        &LoadSettings::default(),
        &mock::MockConfig::default(),
    )
    .unwrap()
}

/// Greedy tokens after `prompt`, `n` of them.
fn greedy(b: &mut dyn Backend, prompt: &[u32], n: usize) -> Vec<u32> {
    configure(b);
    b.prefill(prompt, 0).unwrap();
    let mut out = vec![b.next_token().unwrap()];
    for i in 1..n {
        b.decode(out[i - 1], (prompt.len() + i - 1) as u32).unwrap();
        out.push(b.next_token().unwrap());
    }
    out
}

/// The greedy choice at each step when `reference` is what was generated.
fn forced(b: &mut dyn Backend, prompt: &[u32], reference: &[u32]) -> Vec<u32> {
    configure(b);
    b.prefill(prompt, 0).unwrap();
    let mut out = vec![b.next_token().unwrap()];
    for (i, &t) in reference[..reference.len() - 1].iter().enumerate() {
        b.decode(t, (prompt.len() + i) as u32).unwrap();
        out.push(b.next_token().unwrap());
    }
    out
}

#[test]
fn cpu_and_llama_cpp_agree_on_greedy_tokens() {
    let dir = tempfile::tempdir().unwrap();
    for quant in [Quant::F32, Quant::F16, Quant::Q8_0, Quant::Q4_0] {
        let path = dir.path().join(format!("tiny-{quant:?}.gguf"));
        write_gguf(
            &SynthSpec {
                preset: Preset::Tiny,
                quant,
                seed: 42,
            },
            &path,
        )
        .unwrap();
        let load = |kind: BackendKind| load(&path, kind);
        let mut cpu = load(BackendKind::Cpu);
        let mut llama = load(BackendKind::LlamaCpp);
        assert_eq!(cpu.n_vocab(), llama.n_vocab(), "{quant:?}");
        assert_eq!(cpu.bos_token(), llama.bos_token(), "{quant:?}");
        let n_vocab = cpu.n_vocab();
        let mut prompt: Vec<u32> = cpu.bos_token().into_iter().collect();
        prompt.extend((0..31u32).map(|i| i.wrapping_mul(2_654_435_761) % n_vocab));
        let reference = greedy(llama.as_mut(), &prompt, 32);
        let ours = forced(cpu.as_mut(), &prompt, &reference);
        let same = ours.iter().zip(&reference).filter(|(a, b)| a == b).count();
        let share = same as f64 / reference.len() as f64;
        let floor = match quant {
            Quant::F32 | Quant::F16 => 1.0,
            _ => 0.8,
        };
        eprintln!("{quant:?}: {same}/{} greedy steps agree", reference.len());
        assert!(
            share >= floor,
            "{quant:?}: {same}/{} steps agree (need {floor}): cpu {ours:?} vs llama.cpp {reference:?}",
            reference.len()
        );
    }
}

/// llama.cpp tokenizes text with the GGUF's own vocabulary: the synthetic
/// SentencePiece list gives BOS, the SentencePiece space, one token per
/// ASCII character and byte fallback for the newline (synth/src/vocab.rs);
/// the cpu backend's own (pure-Rust) tokenizer gives the same ids as
/// llama.cpp's on the quality text and on text that needs byte fallback.
#[test]
fn llama_cpp_tokenizes_with_the_gguf_vocabulary() {
    use edgebench_backends::synth::vocab::{BOS_ID, FIRST_BYTE_ID, SPACE_ID};
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tiny.gguf");
    let spec = SynthSpec {
        preset: Preset::Tiny,
        quant: Quant::Q4_0,
        seed: 42,
    };
    write_gguf(&spec, &path).unwrap();
    let load = |kind: BackendKind| load(&path, kind);
    let ascii = |c: char| SPACE_ID + 1 + (c as u32 - '!' as u32);
    let ids = load(BackendKind::LlamaCpp).tokenize("Hi\n").unwrap();
    assert_eq!(
        ids,
        [
            BOS_ID,
            SPACE_ID,
            ascii('H'),
            ascii('i'),
            FIRST_BYTE_ID + 0x0A
        ]
    );
    let cpu = load(BackendKind::Cpu);
    let llama = load(BackendKind::LlamaCpp);
    for text in [
        "Hi\n",
        include_str!("../../harness/assets/quality-text.txt"),
        "  two  spaces, tabs\tand ünïcödé — “quotes” 日本語 🙂 ",
        "",
    ] {
        assert_eq!(
            cpu.tokenize(text).unwrap(),
            llama.tokenize(text).unwrap(),
            "{text:?}"
        );
    }
}

/// Byte-level BPE (`gpt2`) vocabularies, as Llama 3 and Qwen2 GGUFs carry:
/// merges learnt from the quality text, a user-defined token, and each of
/// the three pre-tokenizers the pure-Rust tokenizer knows. It gives
/// llama.cpp's ids on the quality text and on text that exercises the
/// patterns (contractions in both cases, digit runs, runs of spaces and
/// newlines, letters outside ASCII, an emoji, the user-defined token).
#[test]
fn the_pure_rust_bpe_tokenizer_matches_llama_cpp() {
    use edgebench_backends::synth::vocab::bpe_vocab;
    let text = include_str!("../../harness/assets/quality-text.txt");
    let odd = [
        "I'll say they're DON'T we'D",
        "12345 1,000,000 and 3.14159",
        "two  spaces,   three\n\nnewlines\r\n\tand a tab ",
        "Four score, ünd naïve café 日本語 🙂 seven",
        "call <tool_call>now<tool_call> twice",
        "",
        "   ",
    ];
    for pre in ["llama-bpe", "qwen2", "gpt-2"] {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tiny-bpe.gguf");
        let spec = SynthSpec {
            preset: Preset::Tiny,
            quant: Quant::F32,
            seed: 42,
        };
        let vocab = bpe_vocab(spec.hparams().n_vocab, text, pre, &["<tool_call>"]);
        let merges = vocab.bpe.as_ref().unwrap().merges.len();
        assert!(merges > 300, "{merges} merges");
        edgebench_backends::synth::write_gguf_with_vocab(&spec, &path, vocab).unwrap();
        let (cpu, llama) = (
            load(&path, BackendKind::Cpu),
            load(&path, BackendKind::LlamaCpp),
        );
        let want = llama.tokenize(text).unwrap();
        // The merges are used: far fewer ids than bytes.
        assert!(want.len() * 3 < text.len(), "{pre}: {} ids", want.len());
        assert_eq!(cpu.tokenize(text).unwrap(), want, "{pre}");
        for t in odd {
            assert_eq!(
                cpu.tokenize(t).unwrap(),
                llama.tokenize(t).unwrap(),
                "{pre}: {t:?}"
            );
        }
    }
}

/// The pure-Rust tokenizer merges pieces as llama.cpp does: on a GGUF
/// whose vocabulary has multi-character pieces with scores, both give the
/// same ids (the synthetic vocabulary has single characters only).
#[test]
fn the_pure_rust_tokenizer_merges_as_llama_cpp_does() {
    use edgebench_backends::synth::vocab::synth_vocab;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tiny.gguf");
    let spec = SynthSpec {
        preset: Preset::Tiny,
        quant: Quant::F32,
        seed: 42,
    };
    // Pieces of English in place of the synthetic ones (which never
    // occur), better scores for shorter pieces as SentencePiece's tend to
    // be, ties included.
    let text = include_str!("../../harness/assets/quality-text.txt");
    let mut vocab = synth_vocab(spec.hparams().n_vocab);
    let mut pieces: Vec<String> = vec![];
    for word in text.split_whitespace().take(400) {
        let w = format!("\u{2581}{word}");
        let chars: Vec<char> = w.chars().collect();
        for len in 2..=chars.len().min(6) {
            for start in 0..=chars.len() - len {
                let p: String = chars[start..start + len].iter().collect();
                if !pieces.contains(&p) && !vocab.tokens.contains(&p) {
                    pieces.push(p);
                }
            }
        }
    }
    let first = edgebench_backends::synth::vocab::FIRST_PIECE_ID as usize;
    let n = pieces.len().min(vocab.tokens.len() - first);
    assert!(n > 500, "{n} pieces");
    for (i, p) in pieces.into_iter().take(n).enumerate() {
        vocab.scores[first + i] = -(p.chars().count() as f32) - (i % 7) as f32 * 0.5;
        vocab.tokens[first + i] = p;
    }
    edgebench_backends::synth::write_gguf_with_vocab(&spec, &path, vocab).unwrap();
    let load = |kind: BackendKind| load(&path, kind);
    let (cpu, llama) = (load(BackendKind::Cpu), load(BackendKind::LlamaCpp));
    let want = llama.tokenize(text).unwrap();
    // The pieces are used: far fewer ids than characters.
    assert!(want.len() * 2 < text.chars().count(), "{} ids", want.len());
    assert_eq!(cpu.tokenize(text).unwrap(), want);
    let odd = "Four score, ünd 🙂 seven\tyears  ago";
    assert_eq!(cpu.tokenize(odd).unwrap(), llama.tokenize(odd).unwrap());
}
