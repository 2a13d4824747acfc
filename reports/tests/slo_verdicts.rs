//! SLO verdicts against hand-built records: pass, fail with a margin, failed
//! cases, missing metrics, filters, and SLOs that match nothing.
use std::path::Path;

use edgebench_devices::HostInfo;
use edgebench_devices::profile::{Profile, Slo, SloMetric, SloOp, Stat, SummaryMetric};
use edgebench_reports::record::{BackendInfo, Metrics, ModelInfo, RecordKind, ToolInfo, Workload};
use edgebench_reports::slo::{Verdict, all_pass, evaluate, render_verdicts_md};
use edgebench_reports::{Record, SCHEMA_VERSION, Status, Summary};

fn record(model_id: &str, backend: &str, ttft: &[f64], decode: Option<&[f64]>) -> Record {
    Record {
        schema_version: SCHEMA_VERSION,
        kind: RecordKind::Llm,
        edgebench: ToolInfo {
            version: "0.1.0".into(),
            commit: None,
            dirty: None,
        },
        host: HostInfo {
            cpu_model: None,
            arch: "x86_64".into(),
            physical_cores: Some(2),
            logical_cores: 2,
            ram_bytes: 8 << 30,
            os: None,
            kernel: None,
            hostname: None,
            board: None,
            cpu_governors: vec![],
            cpu_max_mhz: None,
            swap_bytes: None,
            gpus: vec![],
            l4t_release: None,
            nvpmodel_mode: None,
        },
        device: None,
        backend: BackendInfo {
            id: backend.into(),
            version: "test".into(),
            build_features: vec![],
            device: "CPU".into(),
            execution_provider: None,
        },
        model: ModelInfo {
            id: Some(model_id.into()),
            path: format!("/models/{model_id}.gguf"),
            sha256: "0".repeat(64),
            size_bytes: 1,
            n_params: 1,
            quant: "Q4_0".into(),
            arch: "llama".into(),
            n_layers: None,
            n_vocab: None,
            n_ctx_train: None,
            synthetic: None,
        },
        workload: Workload {
            test: "req128+32".into(),
            shape: edgebench_reports::record::TestShape::Request,
            n_prompt: 128,
            n_gen: if decode.is_some() { 32 } else { 1 },
            n_depth: 0,
            reps: ttft.len() as u32,
            warmup: 1,
            threads: 2,
            batch: 2048,
            ubatch: 512,
            n_gpu_layers: None,
            n_ctx: 512,
            seed: 42,
        },
        status: Status::Ok,
        reason: None,
        timestamp: "2026-11-21T06:30:00.000Z".into(),
        thermal_at_start: vec![],
        telemetry_at_start: None,
        preflight: None,
        imported: None,
        sustained: None,
        load: None,
        metrics: Metrics {
            ttft_ms: Summary::from_samples(ttft.to_vec()),
            decode_tps: decode.and_then(|d| Summary::from_samples(d.to_vec())),
            // One decode step per sample, at the rate's inverse.
            itl_ms: decode
                .and_then(|d| Summary::from_samples(d.iter().map(|t| 1000.0 / t).collect())),
            peak_rss_bytes: Some(300 * 1_048_576),
            ..Metrics::default()
        },
        roofline: None,
        warnings: vec![],
    }
}

fn slo(name: &str, metric: &str, op: SloOp, threshold: f64) -> Slo {
    Slo {
        name: name.into(),
        model: None,
        backend: None,
        metric: SloMetric::parse(metric).unwrap(),
        op,
        threshold,
    }
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

#[test]
fn pass_and_fail_with_signed_margins() {
    let r = record(
        "tiny",
        "llama.cpp",
        &[100.0, 200.0, 300.0],
        Some(&[40.0, 50.0, 60.0]),
    );
    let slos = [
        slo("ttft", "ttft_ms.p50", SloOp::AtMost, 250.0),
        slo("ttft tight", "ttft_ms.max", SloOp::AtMost, 250.0),
        slo("decode", "decode_tps.p50", SloOp::AtLeast, 40.0),
        slo("decode high", "decode_tps.mean", SloOp::AtLeast, 60.0),
    ];
    let v = evaluate(&slos, std::slice::from_ref(&r));
    assert_eq!(v.len(), 4);

    assert!(v[0].pass);
    assert_eq!(v[0].measured, Some(200.0));
    assert!(close(v[0].margin.unwrap(), 50.0));
    assert!(close(v[0].margin_pct.unwrap(), 20.0));
    assert_eq!(
        (v[0].model.as_str(), v[0].backend.as_str()),
        ("tiny", "llama.cpp")
    );
    assert_eq!((v[0].test.as_str(), v[0].threads), ("req128+32", 2));
    assert_eq!(
        (v[0].metric.as_str(), v[0].op.as_str()),
        ("ttft_ms.p50", "<=")
    );
    assert_eq!(v[0].note, None);

    assert!(!v[1].pass);
    assert!(close(v[1].margin.unwrap(), -50.0));

    assert!(v[2].pass);
    assert!(close(v[2].margin.unwrap(), 10.0));
    assert!(close(v[2].margin_pct.unwrap(), 25.0));

    assert!(!v[3].pass);
    assert!(close(v[3].margin.unwrap(), -10.0));
    assert!(!all_pass(&v));
    assert!(all_pass(&v[..1]));
}

#[test]
fn a_value_on_the_limit_passes() {
    let r = record("tiny", "llama.cpp", &[100.0], None);
    let v = evaluate(&[slo("edge", "ttft_ms.p99", SloOp::AtMost, 100.0)], &[r]);
    assert!(v[0].pass);
    assert_eq!(v[0].margin, Some(0.0));
}

#[test]
fn peak_rss_is_in_mib() {
    let r = record("tiny", "llama.cpp", &[1.0], None);
    let v = evaluate(
        &[
            slo("mem", "peak_rss_mb", SloOp::AtMost, 512.0),
            slo("mem tight", "peak_rss_mb", SloOp::AtMost, 299.0),
        ],
        &[r],
    );
    assert_eq!(v[0].measured, Some(300.0));
    assert!(v[0].pass);
    assert!(!v[1].pass);
}

#[test]
fn a_failed_case_fails_with_its_reason() {
    let mut r = record("tiny", "llama.cpp", &[1.0], None);
    r.status = Status::Timeout;
    r.reason = Some("ran past 600 s".into());
    let v = evaluate(&[slo("ttft", "ttft_ms.p99", SloOp::AtMost, 1000.0)], &[r]);
    assert!(!v[0].pass);
    assert_eq!(v[0].measured, None);
    assert_eq!(v[0].margin, None);
    assert_eq!(v[0].note.as_deref(), Some("case timeout: ran past 600 s"));
}

#[test]
fn a_missing_metric_fails_and_says_so() {
    let r = record("tiny", "llama.cpp", &[1.0], None);
    let mut no_rss = r.clone();
    no_rss.metrics.peak_rss_bytes = None;
    let v = evaluate(
        &[slo("decode", "decode_tps.p50", SloOp::AtLeast, 15.0)],
        &[r],
    );
    assert!(!v[0].pass);
    assert_eq!(v[0].measured, None);
    let note = v[0].note.as_deref().unwrap();
    assert!(
        note.contains("decode_tps.p50 not measured in this case"),
        "{note}"
    );
    assert!(note.contains("n_gen < 2"), "{note}");
    let v = evaluate(&[slo("mem", "peak_rss_mb", SloOp::AtMost, 1.0)], &[no_rss]);
    assert!(
        v[0].note
            .as_deref()
            .unwrap()
            .contains("not measured in this case")
    );
}

#[test]
fn sustained_metrics_come_from_sustained_runs_only() {
    use edgebench_reports::sustained::{SustainedRun, SustainedSettings, SustainedSummary};
    let plain = record("tiny", "llama.cpp", &[1.0], None);
    let slos = [
        slo("steady", "sustained_ratio", SloOp::AtLeast, 0.8),
        slo("fall", "degradation_pct", SloOp::AtMost, 10.0),
    ];
    let v = evaluate(&slos[..1], std::slice::from_ref(&plain));
    assert!(!v[0].pass);
    assert!(
        v[0].note
            .as_deref()
            .unwrap()
            .contains("no sustained run matched")
    );
    let mut hot = plain;
    hot.kind = edgebench_reports::record::RecordKind::Sustained;
    hot.sustained = Some(SustainedRun {
        settings: SustainedSettings {
            duration_s: 600.0,
            window_s: Some(5.0),
            window_tokens: None,
            gap_s: 0.0,
            n_prompt: 128,
            n_gen: 128,
            telemetry_hz: 1.0,
            cooldown_watch: false,
        },
        requests: 10,
        windows: vec![],
        summary: SustainedSummary {
            peak_tps: 40.0,
            steady: false,
            steady_start_s: None,
            steady_end_s: None,
            sustained_tps: 22.6,
            sustained_ratio: 0.565,
            degradation_pct: 43.5,
            t10_s: Some(60.0),
            t25_s: Some(120.0),
            throttled_fraction: None,
            throttle_signals: vec![],
            energy: None,
            recovery_s: None,
            recovery_note: None,
            notes: vec![],
        },
        telemetry: Default::default(),
    });
    // A per-case metric does not match the sustained record.
    let per_case = [slo("floor", "decode_tps.p50", SloOp::AtLeast, 1.0)];
    assert_eq!(evaluate(&per_case, std::slice::from_ref(&hot))[0].test, "*");
    // A per-case metric does not match the sustained record.
    let per_case = [slo("floor", "decode_tps.p50", SloOp::AtLeast, 1.0)];
    assert_eq!(evaluate(&per_case, std::slice::from_ref(&hot))[0].test, "*");
    let v = evaluate(&slos, &[hot]);
    assert_eq!(v[0].measured, Some(0.565));
    assert!(!v[0].pass);
    assert_eq!(v[1].measured, Some(43.5));
    assert!(!v[1].pass);
    assert!((v[1].margin.unwrap() + 33.5).abs() < 1e-9);
}

#[test]
fn filters_pick_model_and_backend() {
    let records = [
        record("tiny", "llama.cpp", &[10.0], None),
        record("small", "llama.cpp", &[20.0], None),
        record("small", "mock", &[30.0], None),
    ];
    let mut by_model = slo("small only", "ttft_ms.p50", SloOp::AtMost, 100.0);
    by_model.model = Some("small".into());
    let mut by_both = by_model.clone();
    by_both.name = "small on mock".into();
    by_both.backend = Some("mock".into());
    let mut by_backend = slo("llama only", "ttft_ms.p50", SloOp::AtMost, 100.0);
    by_backend.backend = Some("llama.cpp".into());
    let v = evaluate(&[by_model, by_both, by_backend], &records);
    let rows: Vec<(&str, &str, &str, f64)> = v
        .iter()
        .map(|v| {
            (
                v.slo.as_str(),
                v.model.as_str(),
                v.backend.as_str(),
                v.measured.unwrap(),
            )
        })
        .collect();
    assert_eq!(
        rows,
        [
            ("small only", "small", "llama.cpp", 20.0),
            ("small only", "small", "mock", 30.0),
            ("small on mock", "small", "mock", 30.0),
            ("llama only", "tiny", "llama.cpp", 10.0),
            ("llama only", "small", "llama.cpp", 20.0),
        ]
    );
    assert!(all_pass(&v));
}

#[test]
fn backend_filter_matches_the_execution_provider() {
    let mut r = record("m", "onnx", &[10.0], None);
    r.backend.execution_provider = Some("CUDAExecutionProvider".into());
    let mut s = slo("gpu", "ttft_ms.p50", SloOp::AtMost, 100.0);
    s.backend = Some("onnx:cuda".into());
    let v = evaluate(std::slice::from_ref(&s), std::slice::from_ref(&r));
    assert_eq!(v[0].measured, Some(10.0));
    s.backend = Some("onnx:cpu".into());
    let v = evaluate(&[s], &[r]);
    assert_eq!(v[0].model, "*");
    assert_eq!(v[0].backend, "onnx:cpu");
    assert_eq!(v[0].test, "*");
}

#[test]
fn an_slo_matching_nothing_gets_one_failing_verdict() {
    let records = [record("tiny", "llama.cpp", &[10.0], None)];
    let mut s = slo("ghost", "ttft_ms.p99", SloOp::AtMost, 100.0);
    s.model = Some("huge".into());
    let v = evaluate(&[s], &records);
    assert_eq!(v.len(), 1);
    assert!(!v[0].pass);
    assert_eq!(v[0].model, "huge");
    assert_eq!(v[0].backend, "*");
    assert_eq!(v[0].test, "*");
    assert_eq!(v[0].threads, 0);
    assert!(
        v[0].note
            .as_deref()
            .unwrap()
            .starts_with("no case matched this SLO's filter")
    );

    let v = evaluate(&[slo("any", "ttft_ms.p99", SloOp::AtMost, 1.0)], &[]);
    assert_eq!((v[0].model.as_str(), v[0].backend.as_str()), ("*", "*"));
}

#[test]
fn markdown_table_has_a_row_per_verdict() {
    let mut failed = record("small", "llama.cpp", &[1.0], None);
    failed.status = Status::Failed;
    failed.reason = Some("decode | crashed".into());
    let records = [
        record(
            "tiny",
            "llama.cpp",
            &[100.0, 200.0, 300.0],
            Some(&[40.0, 50.0, 60.0]),
        ),
        failed,
    ];
    let slos = [
        slo("ttft", "ttft_ms.p50", SloOp::AtMost, 250.0),
        slo("decode", "decode_tps.p50", SloOp::AtLeast, 60.0),
    ];
    let v = evaluate(&slos, &records);
    let md = render_verdicts_md(&v);
    let expected = "\
| SLO | model | backend | test | threads | metric | limit | measured | margin | result |
| --- | --- | --- | --- | ---: | --- | --- | ---: | ---: | --- |
| ttft | tiny | llama.cpp | req128+32 | 2 | ttft_ms.p50 | <= 250 | 200 | +50 (+20.0%) | PASS |
| ttft | small | llama.cpp | req128+32 | 2 | ttft_ms.p50 | <= 250 | - | - | FAIL: case failed: decode \\| crashed |
| decode | tiny | llama.cpp | req128+32 | 2 | decode_tps.p50 | >= 60 | 50 | -10 (-16.7%) | FAIL |
| decode | small | llama.cpp | req128+32 | 2 | decode_tps.p50 | >= 60 | - | - | FAIL: case failed: decode \\| crashed |

1 of 4 SLO checks passed.
";
    assert_eq!(md, expected);
}

#[test]
fn verdicts_round_trip_through_json() {
    let v = evaluate(
        &[slo("ttft", "ttft_ms.p50", SloOp::AtMost, 250.0)],
        &[record("tiny", "llama.cpp", &[100.0], None)],
    );
    let json = serde_json::to_string(&v).unwrap();
    let back: Vec<Verdict> = serde_json::from_str(&json).unwrap();
    assert_eq!(back, v);
    assert!(json.contains("\"margin_pct\""));
}

#[test]
fn the_local_profile_slos_evaluate() {
    let p = Profile::parse(
        edgebench_devices::profile::EMBEDDED_LOCAL,
        "local.toml",
        Path::new("."),
    )
    .unwrap();
    let records: Vec<Record> = p
        .models
        .iter()
        .map(|m| record(&m.id, "llama.cpp", &[50.0, 60.0], Some(&[300.0, 320.0])))
        .collect();
    let v = evaluate(&p.slos, &records);
    assert!(all_pass(&v), "{}", render_verdicts_md(&v));
    let summary_metric = SloMetric::Summary(SummaryMetric::TtftMs, Stat::P99);
    assert!(p.slos.iter().any(|s| s.metric == summary_metric));
}
