//! The device profile parser and validator (`Profile::parse`): TOML syntax
//! errors and every validation problem are reported with file:line:col, so
//! the error rendering (byte offsets into the text) is fuzzed with it.
#![no_main]

#[path = "common/mod.rs"]
mod common;

use edgebench_devices::profile::Profile;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match Profile::parse(text, "fuzz.toml", common::scratch()) {
        Ok(p) => {
            // What the harness does with a valid profile first.
            for m in &p.models {
                let _ = p.model(&m.id);
            }
        }
        Err(e) => {
            let msg = common::message(&e);
            assert!(
                msg.contains("fuzz.toml"),
                "the error does not name the file: {msg}"
            );
        }
    }
});
