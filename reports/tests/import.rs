//! `edgebench import llama-bench` on llama-bench's four machine-readable
//! outputs, two field-name generations, and broken files
//! (tests/fixtures/llama-bench/README.md says where each comes from).
use std::path::PathBuf;

use edgebench_reports::import::{ImportError, import_file};
use edgebench_reports::{Record, Status};

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/llama-bench")
        .join(name)
}

fn import(name: &str) -> Vec<Record> {
    import_file(&fixture(name), "0.1.0").unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn error(name: &str) -> String {
    match import_file(&fixture(name), "0.1.0") {
        Ok(r) => panic!("{name} imported {} records", r.len()),
        Err(e) => e.to_string(),
    }
}

/// The pp512 and tg128 rows of the b5163 examples, whatever the format.
fn check_b5163(records: &[Record], samples: bool) {
    assert!(records.len() >= 2);
    let (pp, tg) = (&records[0], &records[1]);
    assert_eq!(pp.workload.test, "pp512");
    assert_eq!(tg.workload.test, "tg128");
    for r in [pp, tg] {
        assert_eq!(r.status, Status::Ok);
        assert_eq!(r.backend.id, "llama.cpp");
        assert_eq!(r.backend.version, "b5163 (8cf427ff)");
        assert_eq!(r.backend.build_features, ["CUDA"]);
        assert_eq!(r.backend.device, "NVIDIA GeForce RTX 4080");
        assert_eq!(
            r.host.cpu_model.as_deref(),
            Some("AMD Ryzen 7 7800X3D 8-Core Processor")
        );
        assert_eq!(r.model.quant, "Q4_K_M");
        assert_eq!(r.model.arch, "qwen2");
        assert_eq!(r.model.n_params, 7_615_616_512);
        assert_eq!(
            (r.workload.threads, r.workload.batch, r.workload.ubatch),
            (8, 2048, 512)
        );
        let imp = r.imported.as_ref().unwrap();
        assert_eq!(imp.tool, "llama-bench");
        assert_eq!(imp.version.as_deref(), Some("b5163"));
        assert_eq!(imp.build_commit.as_deref(), Some("8cf427ff"));
        assert!(imp.not_measured.contains(&"ttft_ms".to_owned()));
        assert!(imp.unknown_fields.is_empty(), "{:?}", imp.unknown_fields);
        assert_eq!(imp.settings.get("type_k").map(String::as_str), Some("f16"));
        assert!(r.metrics.ttft_ms.is_none() && r.metrics.itl_ms.is_none());
        assert!(
            r.warnings[0].contains("imported from llama-bench b5163"),
            "{:?}",
            r.warnings
        );
    }
    let prefill = pp.metrics.prefill_tps.as_ref().unwrap();
    let decode = tg.metrics.decode_tps.as_ref().unwrap();
    assert!(pp.metrics.decode_tps.is_none() && tg.metrics.prefill_tps.is_none());
    if samples {
        // samples_ts kept as the record's samples.
        assert_eq!(prefill.n, 5);
        assert_eq!(decode.n, 5);
        assert_eq!(pp.workload.reps, 5);
        assert_eq!(decode.samples.len(), 5);
    } else {
        // CSV and SQL carry only the mean: one sample, said in a warning.
        assert_eq!((prefill.n, decode.n), (1, 1));
        assert!(
            pp.warnings
                .iter()
                .any(|w| w.contains("no per-repetition samples"))
        );
    }
    assert!(
        prefill.mean > 7000.0 && prefill.mean < 7400.0,
        "{}",
        prefill.mean
    );
    assert!(
        decode.mean > 118.0 && decode.mean < 121.0,
        "{}",
        decode.mean
    );
}

#[test]
fn json_of_the_newer_generation() {
    check_b5163(&import("b5163.json"), true);
}

#[test]
fn jsonl_with_pg_and_depth_tests() {
    let r = import("b5163.jsonl");
    check_b5163(&r, true);
    assert_eq!(r.len(), 4);
    // pg: llama-bench's rate mixes prompt and generated tokens, so only
    // the request's end-to-end time is kept (ns -> ms).
    let pg = &r[2];
    assert_eq!(pg.workload.test, "pp512+tg128");
    assert!(pg.metrics.prefill_tps.is_none() && pg.metrics.decode_tps.is_none());
    let e2e = pg.metrics.e2e_ms.as_ref().unwrap();
    assert_eq!(e2e.n, 3);
    assert!((e2e.mean - 1140.0).abs() < 1e-6, "{}", e2e.mean);
    let d = &r[3];
    assert_eq!(d.workload.test, "tg128 @ d4096");
    assert_eq!((d.workload.n_depth, d.workload.n_ctx), (4096, 4224));
}

#[test]
fn csv_and_sql_of_the_newer_generation() {
    check_b5163(&import("b5163.csv"), false);
    check_b5163(&import("b5163.sql"), false);
}

#[test]
fn the_older_generation_with_one_flag_per_backend() {
    for name in ["b2510.json", "b2510.csv"] {
        let r = import(name);
        assert_eq!(r.len(), 2, "{name}");
        assert_eq!(r[0].workload.test, "pp512");
        assert_eq!(r[1].workload.test, "tg128");
        for rec in &r {
            // No backend flag set: a CPU build.
            assert_eq!(rec.backend.build_features, ["CPU"], "{name}");
            assert_eq!(rec.backend.device, "CPU");
            assert_eq!(rec.backend.version, "b2510 (a8f9b076)");
            assert_eq!(rec.workload.n_depth, 0);
            assert_eq!(rec.model.quant, "Q4_0");
            assert_eq!(rec.host.cpu_model.as_deref(), Some("Cortex-A76"));
            assert_eq!(rec.workload.threads, 4);
        }
        let tg = r[1].metrics.decode_tps.as_ref().unwrap();
        assert!((tg.mean - 4.2).abs() < 1e-9);
        assert_eq!(tg.n, 1, "no samples in this generation");
    }
}

#[test]
fn a_truncated_file_is_named_with_its_line() {
    let e = error("truncated.json");
    assert!(e.contains("truncated.json line "), "{e}");
    assert!(e.contains("ends early"), "{e}");
}

#[test]
fn an_unknown_field_is_kept_not_refused() {
    let r = import("unknown-field.jsonl");
    let imp = r[0].imported.as_ref().unwrap();
    assert_eq!(imp.unknown_fields, ["flux_capacitor"]);
    assert_eq!(
        imp.settings.get("flux_capacitor").map(String::as_str),
        Some("1.21")
    );
    assert!(
        r[0].warnings.iter().any(|w| w.contains("flux_capacitor")),
        "{:?}",
        r[0].warnings
    );
}

#[test]
fn a_bad_field_is_named_with_file_line_and_field() {
    let e = error("bad-n-prompt.jsonl");
    assert!(e.contains("bad-n-prompt.jsonl line 2"), "{e}");
    assert!(e.contains("field `n_prompt`"), "{e}");
    assert!(e.contains("five hundred"), "{e}");
}

#[test]
fn the_markdown_table_is_refused_with_the_flag_to_use() {
    let e = error("markdown.md");
    assert!(e.contains("-o json"), "{e}");
    let e = import_file(&fixture("no-such-file.json"), "0.1.0").unwrap_err();
    assert!(matches!(e, ImportError::Io { .. }), "{e}");
    assert!(e.to_string().contains("no-such-file.json"), "{e}");
}

#[test]
fn imported_records_round_trip_through_the_results_reader() {
    let dir = tempfile::tempdir().unwrap();
    let recs = import("b5163.jsonl");
    let path = dir.path().join("imported.json");
    std::fs::write(&path, serde_json::to_string_pretty(&recs).unwrap()).unwrap();
    let back = edgebench_reports::read_records(&path).unwrap();
    assert_eq!(back, recs);
}
