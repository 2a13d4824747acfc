//! `edgebench probe`: everything knowable about this host, and which
//! backends this build has.
use anyhow::Result;
use edgebench_backends::BackendKind;
use edgebench_devices::BackendAvailability;

use crate::cli::{ProbeArgs, ProbeFormat};
use crate::exit::EXIT_OK;

/// `edgebench probe`.
pub fn probe(args: &ProbeArgs) -> Result<i32> {
    let backends = backend_availability();
    let report = match &args.root {
        Some(root) => edgebench_devices::ProbeReport::collect_at(root, backends),
        None => edgebench_devices::ProbeReport::collect(backends),
    };
    match args.output {
        ProbeFormat::Md => print!("{}", report.to_markdown()),
        ProbeFormat::Json => println!("{}", serde_json::to_string_pretty(&report)?),
    }
    Ok(EXIT_OK)
}

/// Which backends this build has, for `probe` and records.
pub fn backend_availability() -> Vec<BackendAvailability> {
    BackendKind::ALL
        .iter()
        .map(|k| BackendAvailability {
            id: k.id().to_string(),
            compiled_in: k.compiled_in(),
            usable: k.compiled_in().then_some(true),
            note: match (k, k.compiled_in()) {
                (BackendKind::Mock, _) => "deterministic test double, no inference".into(),
                (BackendKind::Cpu, true) => {
                    "pure Rust (candle), quantised GGUF: llama, mistral, qwen2, phi3, gemma3".into()
                }
                (BackendKind::Cpu, false) => "not compiled in; rebuild with --features cpu".into(),
                (BackendKind::Onnx(_), true) => {
                    "ONNX Runtime, loaded at run time (ORT_DYLIB_PATH or scripts/setup.sh's copy); \
                     providers other than cpu need a build of ONNX Runtime that has them"
                        .into()
                }
                (BackendKind::Onnx(_), false) => {
                    "not compiled in; rebuild with --features onnx".into()
                }
                (_, true) => llama_note(),
                (_, false) => "not compiled in; rebuild with --features llama".into(),
            },
        })
        .collect()
}

/// llama.cpp's probe note: what it was built with (CMake build type and
/// flags, GGML_NATIVE, OpenMP), and a warning when that is not an optimised build.
fn llama_note() -> String {
    let base = "compiled in (CPU build unless built with a GPU feature)";
    match edgebench_backends::llama_build::LlamaBuild::current() {
        Some(b) => {
            let mut note = format!("{base}; built {}", b.summary());
            for w in b.warnings() {
                note.push_str("; WARNING: ");
                note.push_str(&w);
            }
            note
        }
        None => format!(
            "{base}; build type unknown (llama.cpp's CMake cache was not found at build time)"
        ),
    }
}
