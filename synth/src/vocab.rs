//! The vocabulary of a synthetic model: a SentencePiece-style (llama.cpp
//! "llama"/SPM) token list that llama.cpp can load and tokenize any text with.
//!
//! Layout: `<unk>` (0), `<s>` (1), `</s>` (2), the 256 byte-fallback tokens
//! `<0x00>`..`<0xFF>` (3..259; llama.cpp finds the newline token as `<0x0A>`),
//! `▁` (the SentencePiece space, 259) and the 94 printable ASCII characters
//! (260..354), so ASCII text tokenizes to one token per character rather than
//! through byte fallback (three tokens per space), then unique synthetic
//! pieces `▁tok{id}` up to the vocabulary size. SentencePiece only merges
//! pieces whose every intermediate piece is in the vocabulary, so text never
//! tokenizes to the synthetic pieces; they exist to give the model its size.

/// Id of `<unk>`.
pub const UNK_ID: u32 = 0;
/// Id of `<s>` (beginning of sequence).
pub const BOS_ID: u32 = 1;
/// Id of `</s>` (end of sequence).
pub const EOS_ID: u32 = 2;
/// Id of the first byte token, `<0x00>`.
pub const FIRST_BYTE_ID: u32 = 3;
/// The smallest vocabulary: the special and byte tokens.
pub const MIN_VOCAB: u32 = FIRST_BYTE_ID + 256;
/// Id of `▁`, the SentencePiece space; the 94 printable ASCII characters follow.
pub const SPACE_ID: u32 = MIN_VOCAB;
/// Id of the first synthetic piece.
pub const FIRST_PIECE_ID: u32 = SPACE_ID + 1 + 94;

/// llama.cpp token type: normal piece.
pub const TOKEN_TYPE_NORMAL: i32 = 1;
/// llama.cpp token type: unknown.
pub const TOKEN_TYPE_UNKNOWN: i32 = 2;
/// llama.cpp token type: control (special).
pub const TOKEN_TYPE_CONTROL: i32 = 3;
/// llama.cpp token type: byte fallback.
pub const TOKEN_TYPE_BYTE: i32 = 6;

/// llama.cpp token type: user-defined (split out of text even when special
/// tokens are not parsed).
pub const TOKEN_TYPE_USER_DEFINED: i32 = 4;

/// What a byte-level BPE (`gpt2`) vocabulary has beyond its tokens.
#[derive(Clone, Debug, PartialEq)]
pub struct BpeParts {
    /// Merges by rank, "left right" (`tokenizer.ggml.merges`).
    pub merges: Vec<String>,
    /// The pre-tokenizer (`tokenizer.ggml.pre`), e.g. "llama-bpe".
    pub pre: String,
}

/// A token list with SentencePiece scores and llama.cpp token types.
#[derive(Clone, Debug, PartialEq)]
pub struct Vocab {
    /// The token texts, by id (`tokenizer.ggml.tokens`).
    pub tokens: Vec<String>,
    /// The merge scores (`tokenizer.ggml.scores`): 0 for special and byte
    /// tokens, decreasing for pieces.
    pub scores: Vec<f32>,
    /// The token types (`tokenizer.ggml.token_type`).
    pub token_types: Vec<i32>,
    /// Merges and pre-tokenizer of a `gpt2` vocabulary; None: `llama`
    /// (SentencePiece).
    pub bpe: Option<BpeParts>,
}

/// The synthetic vocabulary of `n_vocab` tokens (at least [`MIN_VOCAB`];
/// smaller sizes are raised to it).
pub fn synth_vocab(n_vocab: u32) -> Vocab {
    let n = n_vocab.max(MIN_VOCAB) as usize;
    let mut v = Vocab {
        tokens: Vec::with_capacity(n),
        scores: Vec::with_capacity(n),
        token_types: Vec::with_capacity(n),
        bpe: None,
    };
    let mut push = |text: String, score: f32, ty: i32| {
        v.tokens.push(text);
        v.scores.push(score);
        v.token_types.push(ty);
    };
    push("<unk>".into(), 0.0, TOKEN_TYPE_UNKNOWN);
    push("<s>".into(), 0.0, TOKEN_TYPE_CONTROL);
    push("</s>".into(), 0.0, TOKEN_TYPE_CONTROL);
    for b in 0..=255u8 {
        push(format!("<0x{b:02X}>"), 0.0, TOKEN_TYPE_BYTE);
    }
    let chars = std::iter::once('\u{2581}').chain((b'!'..=b'~').map(char::from));
    for c in chars.take(n - MIN_VOCAB as usize) {
        push(c.to_string(), 0.0, TOKEN_TYPE_NORMAL);
    }
    let first_piece = FIRST_PIECE_ID as usize;
    for id in first_piece..n {
        push(
            format!("\u{2581}tok{id}"),
            -((id - first_piece) as f32),
            TOKEN_TYPE_NORMAL,
        );
    }
    v
}

/// A byte-level BPE (`gpt2`) vocabulary of `n_vocab` tokens trained on
/// `text`, as the GPT-2/Llama 3 family's are: `<unk>`, BOS and EOS at the
/// ids [`synth_vocab`] uses, the 256 byte characters of GPT-2's alphabet,
/// the `user_defined` tokens, then merges learnt from `text` (words split at
/// spaces, each keeping its leading space; repeatedly the most frequent
/// adjacent pair, ties to the smallest pair, until a pair occurs once or the
/// vocabulary is full), then reserved control tokens up to `n_vocab`.
/// Deterministic. `pre` names the pre-tokenizer written with it.
pub fn bpe_vocab(n_vocab: u32, text: &str, pre: &str, user_defined: &[&str]) -> Vocab {
    use std::collections::HashMap;
    let alphabet = edgebench_formats::gguf::bpe::byte_chars();
    let mut v = Vocab {
        tokens: vec![
            "<unk>".into(),
            "<|begin_of_text|>".into(),
            "<|end_of_text|>".into(),
        ],
        scores: vec![],
        token_types: vec![TOKEN_TYPE_UNKNOWN, TOKEN_TYPE_CONTROL, TOKEN_TYPE_CONTROL],
        bpe: None,
    };
    for c in alphabet {
        v.tokens.push(c.to_string());
        v.token_types.push(TOKEN_TYPE_NORMAL);
    }
    for t in user_defined {
        v.tokens.push(t.to_string());
        v.token_types.push(TOKEN_TYPE_USER_DEFINED);
    }
    // Words: runs of non-space characters with the spaces before them.
    let mut counts: HashMap<Vec<String>, usize> = HashMap::new();
    let mut start = 0;
    let bytes = text.as_bytes();
    for i in 1..=bytes.len() {
        if i == bytes.len() || (bytes[i] == b' ' && bytes[i - 1] != b' ') {
            let w = &bytes[start..i];
            let syms = w
                .iter()
                .map(|&b| alphabet[b as usize].to_string())
                .collect();
            *counts.entry(syms).or_default() += 1;
            start = i;
        }
    }
    let mut words: Vec<(Vec<String>, usize)> = counts.into_iter().collect();
    words.sort();
    let mut merges = vec![];
    let mut known: std::collections::HashSet<String> = v.tokens.iter().cloned().collect();
    while v.tokens.len() < n_vocab as usize {
        let mut pairs: HashMap<(&str, &str), usize> = HashMap::new();
        for (w, n) in &words {
            for p in w.windows(2) {
                *pairs.entry((&p[0], &p[1])).or_default() += n;
            }
        }
        let Some(((a, b), n)) = pairs
            .into_iter()
            .max_by(|x, y| x.1.cmp(&y.1).then_with(|| y.0.cmp(&x.0)))
        else {
            break;
        };
        if n < 2 {
            break;
        }
        let (a, b) = (a.to_string(), b.to_string());
        let joined = format!("{a}{b}");
        merges.push(format!("{a} {b}"));
        if known.insert(joined.clone()) {
            v.tokens.push(joined.clone());
            v.token_types.push(TOKEN_TYPE_NORMAL);
        }
        for (w, _) in &mut words {
            let mut i = 0;
            while i + 1 < w.len() {
                if w[i] == a && w[i + 1] == b {
                    w[i] = joined.clone();
                    w.remove(i + 1);
                }
                i += 1;
            }
        }
    }
    let mut i = 0;
    while v.tokens.len() < n_vocab as usize {
        v.tokens.push(format!("<|reserved_{i}|>"));
        v.token_types.push(TOKEN_TYPE_CONTROL);
        i += 1;
    }
    v.scores = vec![0.0; v.tokens.len()];
    v.bpe = Some(BpeParts {
        merges,
        pre: pre.to_string(),
    });
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn layout_and_uniqueness() {
        let v = synth_vocab(2048);
        assert_eq!(v.tokens.len(), 2048);
        assert_eq!(v.scores.len(), 2048);
        assert_eq!(v.token_types.len(), 2048);
        assert_eq!(v.tokens[BOS_ID as usize], "<s>");
        assert_eq!(v.tokens[EOS_ID as usize], "</s>");
        assert_eq!(v.tokens[(FIRST_BYTE_ID + 10) as usize], "<0x0A>");
        assert_eq!(
            v.token_types[(FIRST_BYTE_ID + 255) as usize],
            TOKEN_TYPE_BYTE
        );
        assert_eq!(v.tokens[SPACE_ID as usize], "\u{2581}");
        assert_eq!(v.tokens[SPACE_ID as usize + 1], "!");
        assert_eq!(v.tokens[FIRST_PIECE_ID as usize - 1], "~");
        assert_eq!(v.tokens[FIRST_PIECE_ID as usize], "\u{2581}tok354");
        assert_eq!(v.tokens[2047], "\u{2581}tok2047");
        assert_eq!(v.token_types[2047], TOKEN_TYPE_NORMAL);
        let unique: HashSet<_> = v.tokens.iter().collect();
        assert_eq!(unique.len(), v.tokens.len());
        assert!(v.scores.iter().all(|s| s.is_finite()));
        assert_eq!(synth_vocab(10).tokens.len(), MIN_VOCAB as usize);
        assert_eq!(synth_vocab(MIN_VOCAB + 2).tokens[260], "!");
    }

    #[test]
    fn a_bpe_vocabulary_learns_merges_deterministically() {
        let text = "the cat and the hat and the bat";
        let v = bpe_vocab(400, text, "llama-bpe", &["<tool_call>"]);
        assert_eq!(v, bpe_vocab(400, text, "llama-bpe", &["<tool_call>"]));
        assert_eq!(v.tokens.len(), 400);
        assert_eq!(v.tokens[BOS_ID as usize], "<|begin_of_text|>");
        assert_eq!(v.tokens[3 + b'a' as usize], "a");
        assert_eq!(v.tokens[3 + b' ' as usize], "\u{120}");
        assert_eq!(v.token_types[259], TOKEN_TYPE_USER_DEFINED);
        let bpe = v.bpe.as_ref().unwrap();
        // "Ġthe" (three times) and "Ġand" are learnt; "Ġbat" (once) is not.
        assert!(
            v.tokens.contains(&"\u{120}the".to_string()),
            "{:?}",
            bpe.merges
        );
        assert!(!v.tokens.contains(&"\u{120}bat".to_string()));
        assert_eq!(
            bpe.merges.len(),
            v.tokens
                .iter()
                .filter(|t| t.chars().count() > 1 && !t.starts_with('<'))
                .count()
        );
        assert!(v.tokens[399].starts_with("<|reserved_"));
    }
}
