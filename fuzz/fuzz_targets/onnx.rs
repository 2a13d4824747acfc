//! The ONNX inspector (`edgebench_formats::onnx_model::inspect_bytes`):
//! protobuf decoding, graph and subgraph walks, and the external-data
//! references, which must stay inside the model's folder and inside the
//! data file. The scratch folder holds sparse external-data files under the
//! names the seeds use, so that the accepted path is reached as well as the
//! refusals.
#![no_main]

#[path = "common/mod.rs"]
mod common;

use std::sync::Once;

use edgebench_formats::onnx_model::{Storage, inspect_bytes};
use libfuzzer_sys::fuzz_target;

/// External-data files the seed corpus names, and their (sparse) size.
const DATA_FILES: &[&str] = &["model.onnx.data", "weights.bin", "data"];
const DATA_SIZE: u64 = 1 << 30;

fuzz_target!(|data: &[u8]| {
    static SETUP: Once = Once::new();
    let dir = common::scratch();
    SETUP.call_once(|| {
        for name in DATA_FILES {
            let f = std::fs::File::create(dir.join(name)).expect("create external data");
            f.set_len(DATA_SIZE).expect("size external data");
        }
        // Seeds made from edgebench's own ONNX twins name their data file
        // after the model: accept any `*.data` name the fuzzer keeps.
    });
    let path = dir.join("model.onnx");
    match inspect_bytes(&path, data) {
        Ok(info) => {
            for i in &info.initializers {
                if let Storage::External {
                    location,
                    offset,
                    length,
                } = &i.storage
                {
                    let file = dir.join(location);
                    let size = std::fs::metadata(&file).map(|m| m.len()).unwrap_or(0);
                    assert!(
                        file.starts_with(dir),
                        "external data outside the model folder: {location}"
                    );
                    assert!(
                        offset.checked_add(*length).is_some_and(|end| end <= size),
                        "{location}: {offset}+{length} past {size}"
                    );
                }
            }
            let _ = (
                info.decode_weight_bytes(),
                info.total_weight_bytes(),
                info.external_files_bytes(),
                info.n_layers(),
                info.n_params(),
                info.weight_encoding(),
            );
        }
        Err(e) => {
            common::message(&e);
        }
    }
});
