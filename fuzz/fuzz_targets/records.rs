//! The results reader (`edgebench_reports::input::read_results`): JSON
//! arrays, JSON Lines, single records and sweep summaries, each record
//! version-checked and migrated. A record it accepts must write back and
//! read again as the same record.
#![no_main]

#[path = "common/mod.rs"]
mod common;

use edgebench_reports::input::read_results;
use edgebench_reports::load::parse_records;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let path = common::file("results.json", data);
    match read_results(&path) {
        Ok(records) => {
            let text = serde_json::to_string(&records).expect("accepted records serialise");
            let again = parse_records(&text, &path).expect("written records read back");
            assert_eq!(records.len(), again.len());
            let twice = serde_json::to_string(&again).expect("serialise again");
            assert_eq!(text, twice, "a record changed in a write/read round trip");
        }
        Err(e) => {
            let msg = common::message(&e);
            assert!(
                msg.contains("results.json"),
                "the error does not name the file: {msg}"
            );
        }
    }
});
