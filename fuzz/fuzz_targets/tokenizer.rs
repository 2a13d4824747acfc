//! The GGUF vocabulary reader and edgebench's own tokenizers
//! (`edgebench_formats::gguf::tokenizer::GgufTokenizer`: SentencePiece and
//! byte-level BPE), which turn a GGUF file's `tokenizer.ggml.*` arrays and a
//! text into token ids where llama.cpp is not compiled in. The input is a
//! GGUF file; the text is a fixed sample plus the input's last 64 bytes.
//! Properties: no panic, no hang; a vocabulary it accepts gives ids inside
//! the vocabulary, the same ids twice; every refusal has a message.
#![no_main]

#[path = "common/mod.rs"]
mod common;

use edgebench_formats::gguf::tokenizer::GgufTokenizer;
use libfuzzer_sys::fuzz_target;

const SAMPLE: &str = "Four score and seven years ago, I'll say 12345 naïve  \n\n\tcafé 🙂 <tool_call>";

fuzz_target!(|data: &[u8]| {
    let path = common::file("vocab.gguf", data);
    match GgufTokenizer::from_gguf(&path) {
        Ok(t) => {
            let tail = String::from_utf8_lossy(&data[data.len().saturating_sub(64)..]);
            let text = format!("{SAMPLE}{tail}");
            match t.tokenize(&text) {
                Ok(ids) => {
                    let n = t.n_tokens();
                    assert!(ids.iter().all(|&i| (i as usize) < n), "an id outside {n} tokens");
                    assert_eq!(t.tokenize(&text).unwrap(), ids, "not deterministic");
                }
                Err(e) => {
                    common::message(&e);
                }
            }
        }
        Err(e) => {
            common::message(&e);
        }
    }
});
