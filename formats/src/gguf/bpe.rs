//! A pure-Rust tokenizer for GGUF vocabularies of type `gpt2` (byte-level
//! BPE: Llama 3, Qwen2, GPT-2 and their kin), doing what llama.cpp's
//! `llm_tokenizer_bpe` does, so text can be tokenized by the model's own
//! vocabulary where llama.cpp is not compiled in (the `cpu` backend).
//!
//! llama.cpp's rule (`llama-vocab.cpp`, BPE):
//!
//! 1. Tokens of type user-defined split the text where they occur (longest
//!    first) and stand for themselves; control tokens are not parsed
//!    (`parse_special = false`).
//! 2. Each remaining fragment is split into words by the pre-tokenizer's
//!    regular expression, chosen by `tokenizer.ggml.pre`: `llama-bpe` /
//!    `llama3` (Llama 3), `qwen2`, `gpt-2`. The patterns are llama.cpp's;
//!    `\p{L}` and `\p{N}` are Unicode's letter and number categories.
//!    Text between matches is a word too, as in llama.cpp. Other
//!    pre-tokenizers are refused by name.
//! 3. Each word's UTF-8 bytes are mapped to GPT-2's printable byte
//!    alphabet (`bytes_to_unicode`); with `ignore_merges` (Llama 3) a word
//!    that is itself a token is that token.
//! 4. Otherwise the word starts as one symbol per byte and, repeatedly, the
//!    adjacent pair with the lowest merge rank (`tokenizer.ggml.merges`,
//!    "left right" by rank) is merged, ties to the leftmost.
//! 5. Each final symbol is its token; one that is none becomes one token
//!    per byte of its text where such a token exists (llama.cpp drops the
//!    rest; with the 256 byte tokens every GPT-2 vocabulary has, none are).
//!
//! BOS first when `tokenizer.ggml.add_bos_token` (default: true for Llama 3,
//! false otherwise, as in llama.cpp), EOS last when `add_eos_token`.
use std::cmp::Reverse;
use std::collections::HashMap;
use std::sync::OnceLock;

use fancy_regex::Regex;

use super::merge;

/// llama.cpp's Llama 3 pattern (`LLAMA_VOCAB_PRE_TYPE_LLAMA3`, the
/// case-insensitive contractions spelled out).
const LLAMA3: &str = r"(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";
/// llama.cpp's Qwen2 pattern (single digits).
const QWEN2: &str = r"(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";
/// llama.cpp's GPT-2 pattern.
const GPT2: &str = r"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)";

/// The pre-tokenizers this tokenizer knows: (`tokenizer.ggml.pre` names,
/// pattern, ignore_merges, BOS by default), as llama.cpp maps them.
const PRE: [(&[&str], &str, bool, bool); 3] = [
    (&["llama3", "llama-v3", "llama-bpe"], LLAMA3, true, true),
    (&["qwen2", "deepseek-r1-qwen"], QWEN2, false, false),
    (&["gpt-2", "phi-2"], GPT2, false, false),
];

/// The names of the pre-tokenizers this tokenizer reads.
pub fn known_pre_tokenizers() -> Vec<&'static str> {
    PRE.iter().flat_map(|p| p.0.iter().copied()).collect()
}

/// GPT-2's byte-to-character map: printable Latin-1 bytes stand for
/// themselves, the others for U+0100 onwards in byte order.
fn byte_alphabet() -> [char; 256] {
    let mut map = ['\0'; 256];
    let mut next = 256u32;
    for b in 0..=255u8 {
        let printable = matches!(b, b'!'..=b'~' | 0xA1..=0xAC | 0xAE..=0xFF);
        map[b as usize] = if printable {
            char::from(b)
        } else {
            next += 1;
            char::from_u32(next - 1).expect("below U+0200")
        };
    }
    map
}

/// A `gpt2` (byte-level BPE) vocabulary.
#[derive(Debug)]
pub struct BpeTokenizer {
    n_tokens: usize,
    ids: HashMap<String, u32>,
    /// Merge ranks by left piece, then right piece (looked up without
    /// allocating a key).
    ranks: HashMap<String, HashMap<String, u32>>,
    /// User-defined tokens, longest first: they split the text.
    user_defined: Vec<(String, u32)>,
    pattern: Regex,
    ignore_merges: bool,
    bos: Option<u32>,
    eos: Option<u32>,
    alphabet: [char; 256],
}

/// The parts of a `gpt2` vocabulary [`BpeTokenizer::new`] takes.
#[derive(Debug, Clone, Copy)]
pub struct BpeVocab<'a> {
    /// Token texts by id (`tokenizer.ggml.tokens`).
    pub tokens: &'a [String],
    /// Token types by id (`tokenizer.ggml.token_type`; 4 = user-defined).
    pub token_types: &'a [i32],
    /// Merges by rank, "left right" (`tokenizer.ggml.merges`).
    pub merges: &'a [String],
    /// `tokenizer.ggml.pre`.
    pub pre: &'a str,
    /// BOS id and `add_bos_token` (None: the pre-tokenizer's default).
    pub bos: (Option<u32>, Option<bool>),
    /// EOS id and `add_eos_token`.
    pub eos: (Option<u32>, Option<bool>),
}

/// llama.cpp's token type for user-defined tokens.
const USER_DEFINED: i32 = 4;

impl BpeTokenizer {
    /// The tokenizer of a vocabulary; a pre-tokenizer it does not know, or a
    /// merge that is not two texts separated by a space, is an error naming
    /// it.
    pub fn new(v: BpeVocab<'_>) -> Result<BpeTokenizer, String> {
        let Some((k, &(_, pattern, ignore_merges, bos_default))) =
            PRE.iter().enumerate().find(|(_, p)| p.0.contains(&v.pre))
        else {
            return Err(format!(
                "tokenizer.ggml.pre is '{}'; edgebench's own BPE tokenizer knows {}: tokenize \
                 with llama.cpp for this one",
                v.pre,
                known_pre_tokenizers().join(", ")
            ));
        };
        // Compiled once per process (a regex clone shares it).
        static COMPILED: [OnceLock<Result<Regex, String>>; PRE.len()] =
            [const { OnceLock::new() }; PRE.len()];
        let pattern = COMPILED[k]
            .get_or_init(|| Regex::new(pattern).map_err(|e| e.to_string()))
            .clone()
            .map_err(|e| format!("the {} pattern: {e}", v.pre))?;
        let ids: HashMap<String, u32> = v
            .tokens
            .iter()
            .enumerate()
            .map(|(i, t)| (t.clone(), i as u32))
            .collect();
        let mut ranks: HashMap<String, HashMap<String, u32>> = HashMap::new();
        for (rank, m) in v.merges.iter().enumerate() {
            // llama.cpp splits at the first space after the first byte.
            let cut = m.bytes().skip(1).position(|b| b == b' ').map(|i| i + 1);
            let Some(cut) = cut else {
                return Err(format!(
                    "tokenizer.ggml.merges[{rank}] is '{m}', not two pieces separated by a space"
                ));
            };
            ranks
                .entry(m[..cut].to_string())
                .or_default()
                .entry(m[cut + 1..].to_string())
                .or_insert(rank as u32);
        }
        let mut user_defined: Vec<(String, u32)> = v
            .tokens
            .iter()
            .zip(v.token_types)
            .enumerate()
            .filter(|(_, (t, ty))| **ty == USER_DEFINED && !t.is_empty())
            .map(|(i, (t, _))| (t.clone(), i as u32))
            .collect();
        user_defined.sort_by_key(|(t, _)| std::cmp::Reverse(t.len()));
        let flag = |(id, add): (Option<u32>, Option<bool>), default: bool| {
            id.filter(|_| add.unwrap_or(default))
        };
        Ok(BpeTokenizer {
            n_tokens: v.tokens.len(),
            ids,
            ranks,
            user_defined,
            pattern,
            ignore_merges,
            bos: flag(v.bos, bos_default),
            eos: flag(v.eos, false),
            alphabet: byte_alphabet(),
        })
    }

    /// The number of tokens in the vocabulary.
    pub fn n_tokens(&self) -> usize {
        self.n_tokens
    }

    /// The token ids of `text`, BOS first and EOS last where the vocabulary
    /// adds them.
    pub fn tokenize(&self, text: &str) -> Result<Vec<u32>, String> {
        let mut out = Vec::with_capacity(text.len() / 3 + 2);
        out.extend(self.bos);
        // Fragments: raw text, or a user-defined token's id.
        let mut frags: Vec<Result<&str, u32>> = vec![Ok(text)];
        for (tok, id) in &self.user_defined {
            frags = frags
                .into_iter()
                .flat_map(|f| match f {
                    Ok(raw) if raw.contains(tok.as_str()) => {
                        let mut parts = vec![];
                        for (i, piece) in raw.split(tok.as_str()).enumerate() {
                            if i > 0 {
                                parts.push(Err(*id));
                            }
                            if !piece.is_empty() {
                                parts.push(Ok(piece));
                            }
                        }
                        parts
                    }
                    other => vec![other],
                })
                .collect();
        }
        let mut word = String::new();
        for f in frags {
            let raw = match f {
                Ok(raw) => raw,
                Err(id) => {
                    out.push(id);
                    continue;
                }
            };
            // Words: the matches, and the text between them (llama.cpp
            // keeps what no alternative matches as words of its own, e.g.
            // the last newline before a letter under the GPT-2 pattern).
            let mut at = 0;
            let mut ends = vec![];
            for m in self.pattern.find_iter(raw) {
                let m = m.map_err(|e| format!("pre-tokenizing the text: {e}"))?;
                if m.start() > at {
                    ends.push(m.start());
                }
                ends.push(m.end());
                at = m.end();
            }
            if at < raw.len() {
                ends.push(raw.len());
            }
            let mut from = 0;
            for end in ends {
                word.clear();
                word.extend(raw[from..end].bytes().map(|b| self.alphabet[b as usize]));
                from = end;
                self.word(&word, &mut out);
            }
        }
        out.extend(self.eos);
        Ok(out)
    }

    /// One byte-encoded word's tokens onto `out`.
    fn word(&self, w: &str, out: &mut Vec<u32>) {
        if self.ignore_merges
            && let Some(&id) = self.ids.get(w)
        {
            out.push(id);
            return;
        }
        // The pair of the lowest merge rank merges first.
        let sym = merge::merge(w, |a, b| {
            let rank = *self.ranks.get(a)?.get(b)?;
            Some(Reverse(rank))
        });
        for piece in merge::pieces(w, &sym) {
            match self.ids.get(piece) {
                Some(&id) => out.push(id),
                None => {
                    // llama.cpp looks each byte of the piece up as a
                    // one-byte text and drops those that are no token.
                    for b in piece.bytes() {
                        if let Some(&id) =
                            std::str::from_utf8(&[b]).ok().and_then(|c| self.ids.get(c))
                        {
                            out.push(id);
                        }
                    }
                }
            }
        }
    }
}

/// GPT-2's byte alphabet, for writers of `gpt2` vocabularies: the
/// character that stands for each byte.
pub fn byte_chars() -> [char; 256] {
    byte_alphabet()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tok(tokens: &[&str], merges: &[&str], pre: &str) -> BpeTokenizer {
        let tokens: Vec<String> = tokens.iter().map(|s| s.to_string()).collect();
        let merges: Vec<String> = merges.iter().map(|s| s.to_string()).collect();
        let types = vec![1; tokens.len()];
        BpeTokenizer::new(BpeVocab {
            tokens: &tokens,
            token_types: &types,
            merges: &merges,
            pre,
            bos: (None, None),
            eos: (None, None),
        })
        .unwrap()
    }

    #[test]
    fn the_byte_alphabet_is_gpt2s() {
        let a = byte_alphabet();
        assert_eq!(a[b'A' as usize], 'A');
        assert_eq!(a[b' ' as usize], 'Ġ');
        assert_eq!(a[b'\n' as usize], 'Ċ');
        assert_eq!(a[0], 'Ā');
        assert_eq!(a[0xAD], 'Ń');
        let distinct: std::collections::HashSet<char> = a.iter().copied().collect();
        assert_eq!(distinct.len(), 256);
    }

    #[test]
    fn merges_by_rank_and_ties_go_left() {
        // "aaa": the pairs (a,a) at 0 and 1 have the same rank; the left
        // one merges first, leaving "aa" + "a".
        let t = tok(&["a", "aa", "b", "ab"], &["a a", "a b"], "gpt-2");
        assert_eq!(t.tokenize("aaa").unwrap(), [1, 0]);
        // The lower rank wins wherever it is: (a,a) has rank 0 here...
        assert_eq!(t.tokenize("aab").unwrap(), [1, 2]);
        // ...and (a,b) here.
        let t = tok(&["a", "aa", "b", "ab"], &["a b", "a a"], "gpt-2");
        assert_eq!(t.tokenize("aab").unwrap(), [0, 3]);
    }

    #[test]
    fn pre_tokenizers_split_as_llama_cpp_patterns_say() {
        let t = tok(&[], &[], "llama-bpe");
        let words = |s: &str| -> Vec<String> {
            t.pattern
                .find_iter(s)
                .map(|m| m.unwrap().as_str().to_string())
                .collect()
        };
        assert_eq!(
            words("I'll pay 12345!"),
            ["I", "'ll", " pay", " ", "123", "45", "!"]
        );
        assert_eq!(words("a  b\n\nc"), ["a", " ", " b", "\n\n", "c"]);
        let q = tok(&[], &[], "qwen2");
        let qw: Vec<String> = q
            .pattern
            .find_iter("x 123")
            .map(|m| m.unwrap().as_str().to_string())
            .collect();
        assert_eq!(qw, ["x", " ", "1", "2", "3"]);
    }

    #[test]
    fn unknown_pre_tokenizers_and_bad_merges_are_named() {
        let e = BpeTokenizer::new(BpeVocab {
            tokens: &[],
            token_types: &[],
            merges: &[],
            pre: "deepseek-coder",
            bos: (None, None),
            eos: (None, None),
        })
        .unwrap_err();
        assert!(
            e.contains("'deepseek-coder'") && e.contains("llama-bpe"),
            "{e}"
        );
        let e = BpeTokenizer::new(BpeVocab {
            tokens: &[],
            token_types: &[],
            merges: &["ab".to_string()],
            pre: "gpt-2",
            bos: (None, None),
            eos: (None, None),
        })
        .unwrap_err();
        assert!(e.contains("merges[0]") && e.contains("'ab'"), "{e}");
    }
}
