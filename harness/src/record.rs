//! The record of a case: raw nanosecond samples summarised into metrics,
//! and the record skeleton every case (ok, failed or decided by a
//! supervisor) starts from.
use std::time::SystemTime;

use edgebench_backends::BackendDescription;
use edgebench_devices::HostInfo;
use edgebench_reports::record::{
    BackendInfo, Metrics, ModelInfo, Record, RecordKind, Status, TestShape, Workload,
};
use edgebench_reports::{SCHEMA_VERSION, Summary};

use crate::measure::Samples;
use crate::plan::{Case, Group};
use crate::provenance;

/// Turns raw nanosecond samples into summarised metrics; which metrics a
/// test has depends on its shape (docs/llama-bench.md lists them).
pub fn metrics(s: &Samples, w: &crate::plan::Workload) -> Metrics {
    let ms = |v: &[u64]| Summary::from_samples(v.iter().map(|&ns| ns as f64 / 1e6).collect());
    let rate = |tokens: u32, v: &[u64]| {
        Summary::from_samples(
            v.iter()
                .map(|&ns| tokens as f64 / (ns.max(1) as f64 / 1e9))
                .collect(),
        )
    };
    let reps = s.tokens.len();
    let e2e: Vec<u64> = (0..reps)
        .map(|i| {
            s.prefill_ns.get(i).copied().unwrap_or(0) + s.decode_ns.get(i).copied().unwrap_or(0)
        })
        .collect();
    let (n_prompt, n_gen) = (w.n_prompt, w.n_gen);
    let decode_tokens = match w.shape {
        TestShape::Request => n_gen.saturating_sub(1),
        TestShape::Pp => 0,
        TestShape::Tg | TestShape::Pg => n_gen,
    };
    Metrics {
        // Only a request's prefill hands out the first token a user sees.
        ttft_ms: if w.shape == TestShape::Request && n_gen > 0 {
            ms(&s.prefill_ns)
        } else {
            None
        },
        prefill_tps: rate(n_prompt, &s.prefill_ns),
        decode_tps: if decode_tokens >= 1 {
            rate(decode_tokens, &s.decode_ns)
        } else {
            None
        },
        itl_ms: ms(&s.step_ns),
        e2e_ms: ms(&e2e),
        load_ms: None,
        peak_rss_bytes: None,
        case_wall_ms: None,
        tokens_generated: s.tokens.clone(),
    }
}

/// A record of `case` with the backend's description and status ok.
pub fn base_record(
    host: &HostInfo,
    desc: &BackendDescription,
    group: &Group,
    model: &ModelInfo,
    case: &Case,
    started: SystemTime,
) -> Record {
    let w = &case.workload;
    Record {
        schema_version: SCHEMA_VERSION,
        kind: RecordKind::Llm,
        edgebench: provenance::tool_info(),
        host: host.clone(),
        device: None,
        backend: BackendInfo {
            id: desc.id.clone(),
            version: desc.version.clone(),
            build_features: desc.build_features.clone(),
            device: desc.device.clone(),
            execution_provider: desc.execution_provider.clone(),
        },
        model: model.clone(),
        workload: Workload {
            test: w.test_name(),
            shape: w.shape,
            n_prompt: w.n_prompt,
            n_gen: w.n_gen,
            n_depth: w.n_depth,
            reps: w.reps,
            warmup: w.warmup,
            threads: case.context.threads,
            batch: case.context.batch,
            ubatch: case.context.ubatch,
            n_gpu_layers: group.load.n_gpu_layers,
            n_ctx: case.context.n_ctx,
            seed: w.seed,
        },
        status: Status::Ok,
        reason: None,
        timestamp: provenance::timestamp(started),
        thermal_at_start: vec![],
        telemetry_at_start: None,
        preflight: None,
        imported: None,
        sustained: None,
        load: None,
        metrics: Metrics::default(),
        roofline: None,
        warnings: desc.warnings.clone(),
    }
}

/// A record of `case` that never ran (or failed to load): `status`, why.
pub fn failed_record(
    host: &HostInfo,
    group: &Group,
    model: &ModelInfo,
    case: &Case,
    status: Status,
    reason: &str,
) -> Record {
    let desc = BackendDescription {
        id: group.backend.id().into(),
        version: String::new(),
        build_features: vec![],
        device: String::new(),
        execution_provider: None,
        warnings: vec![],
    };
    let mut r = base_record(host, &desc, group, model, case, SystemTime::now());
    r.status = status;
    r.reason = Some(reason.to_string());
    r
}
