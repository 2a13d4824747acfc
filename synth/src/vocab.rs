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
}

/// The synthetic vocabulary of `n_vocab` tokens (at least [`MIN_VOCAB`];
/// smaller sizes are raised to it).
pub fn synth_vocab(n_vocab: u32) -> Vocab {
    let n = n_vocab.max(MIN_VOCAB) as usize;
    let mut v = Vocab {
        tokens: Vec::with_capacity(n),
        scores: Vec::with_capacity(n),
        token_types: Vec::with_capacity(n),
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
}
