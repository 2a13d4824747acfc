//! Three hand-built records with fixed numbers and fixed host facts, so that
//! exporter snapshots are the same on every machine.
#![allow(dead_code)] // each test binary uses part of this module

use edgebench_devices::HostInfo;
use edgebench_reports::record::{BackendInfo, Metrics, ModelInfo, RecordKind, ToolInfo, Workload};
use edgebench_reports::{Record, SCHEMA_VERSION, Status, Summary};

fn host() -> HostInfo {
    HostInfo {
        cpu_model: Some("AMD EPYC 9654 96-Core Processor".into()),
        arch: "x86_64".into(),
        physical_cores: Some(8),
        logical_cores: 16,
        ram_bytes: 64 * 1024 * 1024 * 1024,
        os: Some("Debian GNU/Linux 12".into()),
        kernel: Some("6.1.0-18-amd64".into()),
        hostname: Some("bench-01".into()),
        board: None,
        cpu_governors: vec![],
        cpu_max_mhz: None,
        swap_bytes: None,
        gpus: vec![],
        l4t_release: None,
        nvpmodel_mode: None,
    }
}

fn tool() -> ToolInfo {
    ToolInfo {
        version: "0.1.0".into(),
        commit: Some("0123456789abcdef0123456789abcdef01234567".into()),
        dirty: Some(false),
    }
}

fn llama_backend() -> BackendInfo {
    BackendInfo {
        id: "llama.cpp".into(),
        version: "b6500 (3f4c2a1)".into(),
        build_features: vec!["AVX2".into(), "OPENMP".into()],
        device: "CPU".into(),
        execution_provider: None,
    }
}

fn summary(samples: &[f64]) -> Option<Summary> {
    Summary::from_samples(samples.to_vec())
}

/// An ok llama.cpp case, req128+4 x 3 repetitions, every metric present.
pub fn full_llama_case() -> Record {
    let ttft = [52.0, 50.5, 51.0];
    let prefill = [2560.0, 2600.0, 2580.0];
    // 3 decode steps per repetition (n_gen - 1).
    let steps = [[20.0, 21.0, 19.5], [20.5, 20.0, 22.0], [19.0, 20.5, 21.5]];
    let decode: Vec<f64> = steps
        .iter()
        .map(|s| 3.0 / (s.iter().sum::<f64>() / 1000.0))
        .collect();
    let e2e: Vec<f64> = ttft
        .iter()
        .zip(&steps)
        .map(|(t, s)| t + s.iter().sum::<f64>())
        .collect();
    let itl: Vec<f64> = steps.iter().flatten().copied().collect();
    Record {
        schema_version: SCHEMA_VERSION,
        kind: RecordKind::Llm,
        edgebench: tool(),
        host: host(),
        device: None,
        backend: llama_backend(),
        model: ModelInfo {
            id: None,
            path: "/models/qwen2.5-0.5b-instruct-q4_0.gguf".into(),
            sha256: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08".into(),
            size_bytes: 428_000_000,
            n_params: 494_032_768,
            quant: "Q4_0".into(),
            arch: "qwen2".into(),
            n_layers: Some(24),
            n_vocab: Some(151_936),
            n_ctx_train: Some(32_768),
            synthetic: None,
        },
        workload: Workload {
            test: "req128+4".into(),
            shape: edgebench_reports::record::TestShape::Request,
            n_prompt: 128,
            n_gen: 4,
            n_depth: 0,
            reps: 3,
            warmup: 1,
            threads: 8,
            batch: 2048,
            ubatch: 512,
            n_gpu_layers: Some(0),
            n_ctx: 4096,
            seed: 42,
        },
        status: Status::Ok,
        reason: None,
        timestamp: "2026-11-21T06:30:00.123Z".into(),
        thermal_at_start: vec![],
        telemetry_at_start: None,
        preflight: None,
        imported: None,
        sustained: None,
        load: None,
        metrics: Metrics {
            ttft_ms: summary(&ttft),
            prefill_tps: summary(&prefill),
            decode_tps: summary(&decode),
            itl_ms: summary(&itl),
            e2e_ms: summary(&e2e),
            load_ms: Some(812.25),
            peak_rss_bytes: Some(612_368_384),
            case_wall_ms: None,
            tokens_generated: vec![4, 4, 4],
        },
        roofline: None,
        warnings: vec![],
    }
}

/// An ok ONNX Runtime case with n_gen = 1 and a single repetition: no decode
/// metrics, no sd, no peak RSS.
fn prefill_only_case() -> Record {
    Record {
        schema_version: SCHEMA_VERSION,
        kind: RecordKind::Llm,
        edgebench: tool(),
        host: host(),
        device: None,
        backend: BackendInfo {
            id: "onnx".into(),
            version: "1.22.0".into(),
            build_features: vec![],
            device: "CPU".into(),
            execution_provider: Some("CPUExecutionProvider".into()),
        },
        model: ModelInfo {
            id: None,
            path: "/models/qwen2.5-0.5b/model_q4.onnx".into(),
            sha256: "60303ae22b998861bce3b28f33eec1be758a213c86c93c076dbe9f558c11c752".into(),
            size_bytes: 786_156_544,
            n_params: 494_032_768,
            quant: "int4".into(),
            arch: "qwen2".into(),
            n_layers: Some(24),
            n_vocab: Some(151_936),
            n_ctx_train: None,
            synthetic: None,
        },
        workload: Workload {
            test: "req256+1".into(),
            shape: edgebench_reports::record::TestShape::Request,
            n_prompt: 256,
            n_gen: 1,
            n_depth: 0,
            reps: 1,
            warmup: 0,
            threads: 4,
            batch: 256,
            ubatch: 256,
            n_gpu_layers: None,
            n_ctx: 512,
            seed: 7,
        },
        status: Status::Ok,
        reason: None,
        timestamp: "2026-11-21T06:31:10.500Z".into(),
        thermal_at_start: vec![],
        telemetry_at_start: None,
        preflight: None,
        imported: None,
        sustained: None,
        load: None,
        metrics: Metrics {
            ttft_ms: summary(&[180.5]),
            prefill_tps: summary(&[1450.0]),
            decode_tps: None,
            itl_ms: None,
            e2e_ms: summary(&[180.5]),
            load_ms: Some(1530.0),
            peak_rss_bytes: None,
            case_wall_ms: None,
            tokens_generated: vec![1],
        },
        roofline: None,
        warnings: vec![],
    }
}

/// A failed case on a synthetic model: one repetition completed, then the
/// backend failed; the reason holds a comma and quotes (CSV quoting).
fn failed_case() -> Record {
    Record {
        schema_version: SCHEMA_VERSION,
        kind: RecordKind::Llm,
        edgebench: tool(),
        host: host(),
        device: None,
        backend: llama_backend(),
        model: ModelInfo {
            id: None,
            path: "/tmp/edgebench/models/tiny-q4_0-s42.gguf".into(),
            sha256: "2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae".into(),
            size_bytes: 1_114_112,
            n_params: 1_048_576,
            quant: "Q4_0".into(),
            arch: "llama".into(),
            n_layers: Some(2),
            n_vocab: Some(256),
            n_ctx_train: Some(512),
            synthetic: Some("tiny-q4_0-s42".into()),
        },
        workload: Workload {
            test: "req512+128 @ d512".into(),
            shape: edgebench_reports::record::TestShape::Request,
            n_prompt: 512,
            n_gen: 128,
            n_depth: 512,
            reps: 3,
            warmup: 1,
            threads: 8,
            batch: 2048,
            ubatch: 512,
            n_gpu_layers: Some(0),
            n_ctx: 2048,
            seed: 42,
        },
        status: Status::Failed,
        reason: Some(
            "llama_decode returned -3 in repetition 2, decode step 17: \"compute failed\", \
             see the worker's stderr"
                .into(),
        ),
        timestamp: "2026-11-21T06:32:00.000Z".into(),
        thermal_at_start: vec![],
        telemetry_at_start: None,
        preflight: None,
        imported: None,
        sustained: None,
        load: None,
        metrics: Metrics {
            ttft_ms: summary(&[95.25]),
            load_ms: Some(12.5),
            peak_rss_bytes: Some(48_234_496),
            case_wall_ms: None,
            tokens_generated: vec![128],
            ..Metrics::default()
        },
        roofline: None,
        warnings: vec![
            "peak RSS covers the earlier cases run by this worker process; run this \
             case on its own for its own figure"
                .into(),
        ],
    }
}

/// The three fixture records, in a fixed order.
pub fn records() -> Vec<Record> {
    vec![full_llama_case(), prefill_only_case(), failed_case()]
}
