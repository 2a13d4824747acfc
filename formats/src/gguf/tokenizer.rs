//! A pure-Rust tokenizer for GGUF vocabularies of type `llama`
//! (SentencePiece BPE with scores and byte fallback), doing what llama.cpp's
//! `llm_tokenizer_spm` does, so text can be tokenized by the model's own
//! vocabulary where llama.cpp is not compiled in (the `cpu` backend).
//!
//! llama.cpp's rule (`llama-vocab.cpp`, SPM): BOS first when the vocabulary
//! adds one; a space before the text when `tokenizer.ggml.add_space_prefix`
//! (default true); every ASCII space replaced by `▁` (U+2581); the text split
//! into UTF-8 characters; then, repeatedly, the adjacent pair whose
//! concatenation is a vocabulary token with the highest score is merged
//! (ties: the leftmost); each remaining piece is its token, or, when it is
//! none, one byte token `<0xXX>` per byte (else the token spelled by that
//! one byte). Special tokens in the text are not parsed (as with
//! `parse_special = false`).
//!
//! [`GgufTokenizer`] reads a GGUF file's vocabulary and picks this one for
//! `llama` vocabularies or [`super::bpe::BpeTokenizer`] for `gpt2` ones
//! (byte-level BPE); other types (`bert`, `t5`...) are refused by name.
use std::cmp::Ordering;
use std::collections::HashMap;
use std::path::Path;

use super::bpe::{BpeTokenizer, BpeVocab};
use super::merge;
use super::{GgufArray, GgufValue, read_arrays};

const TOKENS: &str = "tokenizer.ggml.tokens";
const SCORES: &str = "tokenizer.ggml.scores";
const TOKEN_TYPES: &str = "tokenizer.ggml.token_type";
const MERGES: &str = "tokenizer.ggml.merges";

/// A GGUF file's own tokenizer: SentencePiece (`llama`) or byte-level BPE
/// (`gpt2`).
#[derive(Debug)]
pub enum GgufTokenizer {
    /// `tokenizer.ggml.model = "llama"`.
    Spm(SpmTokenizer),
    /// `tokenizer.ggml.model = "gpt2"`.
    Bpe(Box<BpeTokenizer>),
}

impl GgufTokenizer {
    /// Reads the vocabulary of the GGUF file at `path`; a type or
    /// pre-tokenizer this crate does not implement, or a missing or
    /// malformed array, is refused with a message naming the key.
    pub fn from_gguf(path: &Path) -> Result<GgufTokenizer, String> {
        let (meta, arrays) =
            read_arrays(path, &[TOKENS, SCORES, TOKEN_TYPES, MERGES]).map_err(|e| e.to_string())?;
        let at = |what: String| format!("{}: {what}", path.display());
        let model = meta
            .get("tokenizer.ggml.model")
            .and_then(GgufValue::as_str)
            .ok_or_else(|| at("no tokenizer.ggml.model: the file carries no vocabulary".into()))?;
        let Some(GgufArray::Strings(tokens)) = arrays.get(TOKENS) else {
            return Err(at(format!("{TOKENS} is missing or not a string array")));
        };
        let flag = |k: &str| meta.get(k).and_then(GgufValue::as_bool);
        let id = |k: &str| meta.get(k).and_then(GgufValue::as_u32);
        for k in ["tokenizer.ggml.bos_token_id", "tokenizer.ggml.eos_token_id"] {
            if let Some(i) = id(k)
                && i as usize >= tokens.len()
            {
                return Err(at(format!(
                    "{k} is {i}, but the vocabulary has {} tokens",
                    tokens.len()
                )));
            }
        }
        match model {
            "llama" => {
                let Some(GgufArray::F32(scores)) = arrays.get(SCORES) else {
                    return Err(at(format!("{SCORES} is missing or not an f32 array")));
                };
                if tokens.len() != scores.len() {
                    return Err(at(format!(
                        "{TOKENS} has {} entries but {SCORES} has {}",
                        tokens.len(),
                        scores.len()
                    )));
                }
                let bos = id("tokenizer.ggml.bos_token_id").unwrap_or(1);
                Ok(GgufTokenizer::Spm(SpmTokenizer::new(
                    tokens,
                    scores.clone(),
                    flag("tokenizer.ggml.add_bos_token")
                        .unwrap_or(true)
                        .then_some(bos),
                    flag("tokenizer.ggml.add_space_prefix").unwrap_or(true),
                )))
            }
            "gpt2" => {
                let Some(GgufArray::Strings(merges)) = arrays.get(MERGES) else {
                    return Err(at(format!("{MERGES} is missing or not a string array")));
                };
                let types = match arrays.get(TOKEN_TYPES) {
                    Some(GgufArray::I32(t)) if t.len() == tokens.len() => t.clone(),
                    None => vec![1; tokens.len()],
                    Some(_) => {
                        return Err(at(format!(
                            "{TOKEN_TYPES} is not an i32 array of {} entries",
                            tokens.len()
                        )));
                    }
                };
                let pre = meta
                    .get("tokenizer.ggml.pre")
                    .and_then(GgufValue::as_str)
                    .unwrap_or("default");
                BpeTokenizer::new(BpeVocab {
                    tokens,
                    token_types: &types,
                    merges,
                    pre,
                    bos: (
                        id("tokenizer.ggml.bos_token_id"),
                        flag("tokenizer.ggml.add_bos_token"),
                    ),
                    eos: (
                        id("tokenizer.ggml.eos_token_id"),
                        flag("tokenizer.ggml.add_eos_token"),
                    ),
                })
                .map(|t| GgufTokenizer::Bpe(Box::new(t)))
                .map_err(at)
            }
            other => Err(at(format!(
                "tokenizer.ggml.model is '{other}'; edgebench's own tokenizer reads 'llama' \
                 (SentencePiece) and 'gpt2' (byte-level BPE) vocabularies: tokenize with \
                 llama.cpp for this one"
            ))),
        }
    }

    /// The number of tokens in the vocabulary (every id is below it).
    pub fn n_tokens(&self) -> usize {
        match self {
            GgufTokenizer::Spm(t) => t.scores.len(),
            GgufTokenizer::Bpe(t) => t.n_tokens(),
        }
    }

    /// The token ids of `text`, with the special tokens the vocabulary adds.
    pub fn tokenize(&self, text: &str) -> Result<Vec<u32>, String> {
        match self {
            GgufTokenizer::Spm(t) => t.tokenize(text),
            GgufTokenizer::Bpe(t) => t.tokenize(text),
        }
    }
}

/// A `llama` (SentencePiece) vocabulary from a GGUF file.
#[derive(Debug, Clone)]
pub struct SpmTokenizer {
    scores: Vec<f32>,
    ids: HashMap<String, u32>,
    bos: Option<u32>,
    add_space_prefix: bool,
}

/// A merge score, ordered totally (`f32::total_cmp`).
#[derive(Debug, Clone, Copy, PartialEq)]
struct Score(f32);

impl Eq for Score {}
impl PartialOrd for Score {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for Score {
    fn cmp(&self, o: &Self) -> Ordering {
        self.0.total_cmp(&o.0)
    }
}

impl SpmTokenizer {
    /// A tokenizer over `tokens` with merge `scores`; `bos` is put first
    /// when set.
    pub fn new(
        tokens: &[String],
        scores: Vec<f32>,
        bos: Option<u32>,
        add_space_prefix: bool,
    ) -> SpmTokenizer {
        // A later duplicate wins, as in llama.cpp's token_to_id map.
        let ids = tokens
            .iter()
            .enumerate()
            .map(|(i, t)| (t.clone(), i as u32))
            .collect();
        SpmTokenizer {
            scores,
            ids,
            bos,
            add_space_prefix,
        }
    }

    /// The token ids of `text`, BOS first where the vocabulary adds one.
    /// Fails only when a byte has no token (no `<0xXX>` and no one-byte
    /// piece), naming it.
    pub fn tokenize(&self, text: &str) -> Result<Vec<u32>, String> {
        let mut out = Vec::with_capacity(text.len() / 2 + 2);
        out.extend(self.bos);
        if text.is_empty() {
            return Ok(out);
        }
        let mut s = String::with_capacity(text.len() + 3);
        if self.add_space_prefix {
            s.push(' ');
        }
        s.push_str(text);
        let s = s.replace(' ', "\u{2581}");
        // The pair whose concatenation is the best-scored token merges.
        let sym = merge::merge(&s, |a, b| {
            let id = *self.ids.get(&format!("{a}{b}"))?;
            Some(Score(self.scores[id as usize]))
        });
        for piece in merge::pieces(&s, &sym) {
            match self.ids.get(piece) {
                Some(&id) => out.push(id),
                None => {
                    for &b in piece.as_bytes() {
                        out.push(self.byte_token(b)?);
                    }
                }
            }
        }
        Ok(out)
    }

    /// The token of one byte: `<0xXX>`, else the piece of that byte alone.
    fn byte_token(&self, b: u8) -> Result<u32, String> {
        self.ids
            .get(&format!("<0x{b:02X}>"))
            .or_else(|| std::str::from_utf8(&[b]).ok().and_then(|c| self.ids.get(c)))
            .copied()
            .ok_or_else(|| {
                format!("byte 0x{b:02X} has no token (no <0x{b:02X}> byte-fallback piece)")
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `<unk> <s> </s>`, the 256 byte tokens, then `pieces` with scores.
    fn vocab(pieces: &[(&str, f32)]) -> SpmTokenizer {
        let mut tokens: Vec<String> = ["<unk>", "<s>", "</s>"].map(String::from).to_vec();
        let mut scores = vec![0.0; 3];
        for b in 0..=255u8 {
            tokens.push(format!("<0x{b:02X}>"));
            scores.push(0.0);
        }
        for (p, s) in pieces {
            tokens.push(p.to_string());
            scores.push(*s);
        }
        SpmTokenizer::new(&tokens, scores, Some(1), true)
    }

    fn id(t: &SpmTokenizer, piece: &str) -> u32 {
        t.ids[piece]
    }

    #[test]
    fn merges_by_score_and_falls_back_to_bytes() {
        let t = vocab(&[
            ("▁", -1.0),
            ("h", -1.0),
            ("e", -1.0),
            ("l", -1.0),
            ("o", -1.0),
            ("ll", -2.0),
            ("he", -3.0),
            ("llo", -4.0),
            ("hello", -5.0),
            ("▁hello", -6.0),
            ("▁h", -9.0),
        ]);
        // ll first (best score), then he, llo, hello, ▁hello.
        assert_eq!(t.tokenize("hello").unwrap(), vec![1, id(&t, "▁hello")]);
        // "▁h" merges; "é" (two bytes) has no piece: its two byte tokens.
        let got = t.tokenize("hé").unwrap();
        assert_eq!(got, vec![1, id(&t, "▁h"), 3 + 0xC3, 3 + 0xA9]);
        // Spaces become ▁; no space prefix when the vocabulary says so.
        let mut t2 = t.clone();
        t2.add_space_prefix = false;
        t2.bos = None;
        assert_eq!(
            t2.tokenize("he lo").unwrap(),
            vec![id(&t, "he"), id(&t, "▁"), id(&t, "l"), id(&t, "o")]
        );
        assert_eq!(t.tokenize("").unwrap(), vec![1]);
    }

    #[test]
    fn ties_go_to_the_leftmost_pair() {
        // "aaa": pairs (0,1) and (1,2) both "aa" with one score; the left
        // one merges, leaving "aa" "a".
        let t = vocab(&[("a", -1.0), ("aa", -2.0), ("▁", -1.0)]);
        let mut t = t;
        t.add_space_prefix = false;
        assert_eq!(
            t.tokenize("aaa").unwrap(),
            vec![1, id(&t, "aa"), id(&t, "a")]
        );
    }

    /// A vocabulary-only GGUF with `model`, `tokens` and `scores`.
    fn gguf(
        dir: &Path,
        model: &str,
        tokens: &[&str],
        scores: Option<Vec<f32>>,
    ) -> std::path::PathBuf {
        use crate::gguf::{GgufWriter, MetaValue};
        let mut w = GgufWriter::new();
        w.add_kv("general.architecture", MetaValue::String("llama".into()))
            .unwrap();
        w.add_kv("tokenizer.ggml.model", MetaValue::String(model.into()))
            .unwrap();
        let tokens: Vec<String> = tokens.iter().map(|t| t.to_string()).collect();
        w.add_kv(TOKENS, MetaValue::StringArray(tokens)).unwrap();
        if let Some(s) = scores {
            w.add_kv(SCORES, MetaValue::F32Array(s)).unwrap();
        }
        w.add_kv("tokenizer.ggml.add_bos_token", MetaValue::Bool(false))
            .unwrap();
        let path = dir.join(format!("{model}.gguf"));
        w.write_file(&path, |_, _| Ok(())).unwrap();
        path
    }

    #[test]
    fn reads_a_gguf_vocabulary_and_refuses_others_by_name() {
        let dir = tempfile::tempdir().unwrap();
        let p = gguf(
            dir.path(),
            "llama",
            &["▁", "a", "▁a"],
            Some(vec![0.0, 0.0, -1.0]),
        );
        let t = GgufTokenizer::from_gguf(&p).unwrap();
        assert!(matches!(t, GgufTokenizer::Spm(_)));
        assert_eq!(t.tokenize("a a").unwrap(), vec![2, 2]);
        let p = gguf(dir.path(), "bert", &["a"], Some(vec![0.0]));
        let e = GgufTokenizer::from_gguf(&p).unwrap_err();
        assert!(e.contains("'bert'") && e.contains("llama.cpp"), "{e}");
        // A gpt2 vocabulary needs its merges.
        let p = gguf(dir.path(), "gpt2", &["a"], None);
        let e = GgufTokenizer::from_gguf(&p).unwrap_err();
        assert!(e.contains("tokenizer.ggml.merges"), "{e}");
        let dir2 = tempfile::tempdir().unwrap();
        let p = gguf(dir2.path(), "llama", &["a"], None);
        let e = GgufTokenizer::from_gguf(&p).unwrap_err();
        assert!(e.contains("tokenizer.ggml.scores"), "{e}");
        let p = gguf(dir.path(), "llama", &["a", "b"], Some(vec![0.0]));
        let e = GgufTokenizer::from_gguf(&p).unwrap_err();
        assert!(e.contains("2 entries") && e.contains("has 1"), "{e}");
    }

    #[test]
    fn a_special_id_outside_the_vocabulary_is_refused() {
        use crate::gguf::{GgufWriter, MetaValue};
        let dir = tempfile::tempdir().unwrap();
        let mut w = GgufWriter::new();
        let mut kv = |k: &str, v: MetaValue| w.add_kv(k, v).unwrap();
        kv("tokenizer.ggml.model", MetaValue::String("gpt2".into()));
        kv(TOKENS, MetaValue::StringArray(vec!["a".into(), "b".into()]));
        kv(MERGES, MetaValue::StringArray(vec!["a b".into()]));
        kv("tokenizer.ggml.eos_token_id", MetaValue::U32(99));
        let p = dir.path().join("v.gguf");
        w.write_file(&p, |_, _| Ok(())).unwrap();
        let e = GgufTokenizer::from_gguf(&p).unwrap_err();
        assert!(
            e.contains("tokenizer.ggml.eos_token_id is 99") && e.contains("2 tokens"),
            "{e}"
        );
    }

    #[test]
    fn a_byte_without_a_token_is_named() {
        let t = SpmTokenizer::new(&["<s>".into(), "▁".into()], vec![0.0, 0.0], None, true);
        let e = t.tokenize("x").unwrap_err();
        assert!(e.contains("0x78"), "{e}");
    }
}
