//! The GGUF header reader and checker (`edgebench_formats::gguf::inspect`),
//! which every GGUF model passes through before llama.cpp or candle sees it.
//! Properties: no panic, no hang, no allocation the file cannot back; a
//! header it accepts has every tensor inside the file, aligned, without
//! overlap.
#![no_main]

#[path = "common/mod.rs"]
mod common;

use edgebench_formats::gguf;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let path = common::file("in.gguf", data);
    match gguf::inspect(&path) {
        Ok(info) => {
            assert_eq!(info.file_size, data.len() as u64);
            assert!(info.data_offset <= info.file_size);
            assert!(info.alignment > 0);
            // A file with tensors pads its header to the alignment; one
            // without has no data section, and nothing to pad.
            if !info.tensors.is_empty() {
                assert!(info.data_offset % u64::from(info.alignment) == 0);
            }
            let mut spans: Vec<(u64, u64)> = Vec::new();
            for t in &info.tensors {
                assert!(t.offset % u64::from(info.alignment) == 0, "{t:?}");
                let end = info
                    .data_offset
                    .checked_add(t.offset)
                    .and_then(|s| s.checked_add(t.n_bytes))
                    .expect("tensor end overflows");
                assert!(
                    end <= info.file_size,
                    "tensor {} ends past the file",
                    t.name
                );
                spans.push((t.offset, t.offset + t.n_bytes));
            }
            spans.sort_unstable();
            for w in spans.windows(2) {
                assert!(w[0].1 <= w[1].0, "overlapping tensors {w:?}");
            }
            let _ = (info.tensor_bytes(), info.n_params, info.quant.len());
        }
        Err(e) => {
            common::message(&e);
        }
    }
});
