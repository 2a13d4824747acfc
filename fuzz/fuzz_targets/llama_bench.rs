//! `edgebench import llama-bench` (`edgebench_reports::import`): llama-bench's
//! json, jsonl, csv and sql outputs of any generation. An accepted file
//! gives records that are whole (a test with tokens, positive rates, the
//! llama-bench test name) and write back and read again unchanged; every
//! error names the file.
#![no_main]

#[path = "common/mod.rs"]
mod common;

use edgebench_reports::import::{import_file, test_name};
use edgebench_reports::load::parse_records;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let path = common::file("llama-bench.out", data);
    match import_file(&path, "0.0.0") {
        Ok(records) => {
            assert!(!records.is_empty(), "an accepted file with no records");
            for r in &records {
                let w = &r.workload;
                assert!(w.n_prompt > 0 || w.n_gen > 0, "a test of no tokens");
                assert_eq!(w.test, test_name(w.n_prompt, w.n_gen, w.n_depth));
                for s in [&r.metrics.prefill_tps, &r.metrics.decode_tps, &r.metrics.e2e_ms]
                    .into_iter()
                    .flatten()
                {
                    assert!(s.samples.iter().all(|x| x.is_finite()), "{s:?}");
                }
                for s in [&r.metrics.prefill_tps, &r.metrics.decode_tps]
                    .into_iter()
                    .flatten()
                {
                    assert!(s.samples.iter().all(|x| *x > 0.0), "a rate <= 0: {s:?}");
                }
                assert!(r.imported.is_some(), "not marked imported");
            }
            let text = serde_json::to_string(&records).expect("records serialise");
            let again = parse_records(&text, &path).expect("written records read back");
            let twice = serde_json::to_string(&again).expect("serialise again");
            assert_eq!(text, twice, "a record changed in a write/read round trip");
        }
        Err(e) => {
            let msg = common::message(&e);
            assert!(msg.contains("llama-bench.out"), "the error does not name the file: {msg}");
        }
    }
});
