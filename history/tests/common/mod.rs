//! The store tests every backend must pass, run by sqlite_store.rs and
//! postgres_store.rs against their own databases.
#![allow(dead_code)]
pub mod server;

use edgebench_history::check::{CheckOptions, check};
use edgebench_history::row::is_quality;
use edgebench_history::schema::latest_version;
use edgebench_history::{Store, StoreUrl};
use edgebench_reports::Record;
use edgebench_reports::Status;
use edgebench_reports::compare::estimate::SplitMix64;
use edgebench_reports::quality::QualityRecord;
use edgebench_reports::synthetic::{self, SyntheticCase};

/// Night `i`'s timestamp (one run a day from 2026-01-01, as UTC text).
pub fn night(i: usize) -> String {
    const DAYS: [usize; 12] = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
    let (mut month, mut day) = (0, i);
    while day >= DAYS[month % 12] {
        day -= DAYS[month % 12];
        month += 1;
    }
    format!(
        "{}-{:02}-{:02}T02:00:00.000Z",
        2026 + month / 12,
        month % 12 + 1,
        day + 1
    )
}

/// `nights` nightly records of one case: decode rate around 100 t/s with
/// 2 % noise, 5 repetitions each, `step_pct` % slower from night `step_at` (0-based).
pub fn nightly(nights: usize, step_at: usize, step_pct: f64, seed: u64) -> Vec<Record> {
    let mut rng = SplitMix64(seed);
    (0..nights)
        .map(|i| {
            let level = if i >= step_at {
                100.0 * (1.0 - step_pct / 100.0)
            } else {
                100.0
            };
            let night_level = level * (1.0 + 0.02 * rng.normal());
            let samples: Vec<f64> = (0..5)
                .map(|_| night_level * (1.0 + 0.005 * rng.normal()))
                .collect();
            let ts = night(i);
            synthetic::record(
                &SyntheticCase {
                    timestamp: &ts,
                    ..Default::default()
                },
                &samples,
            )
        })
        .collect()
}

/// Adds, re-adds, reopens and checks; the same assertions for every store.
pub fn exercise(url: &StoreUrl) {
    let mut store = Store::open(url).expect("open");
    assert_eq!(store.schema_version().unwrap(), latest_version());
    let records = nightly(40, 30, 8.0, 7);
    let out = store.add(&records[..20], "first.json").unwrap();
    assert_eq!((out.added, out.already_present), (20, 0));
    // The same results again are stored once.
    let out = store.add(&records[..20], "again.json").unwrap();
    assert_eq!((out.added, out.already_present), (0, 20));
    let out = store.add(&records, "all.json").unwrap();
    assert_eq!((out.added, out.already_present), (20, 20));
    // A failed run is kept but never enters a series.
    let mut failed = records[39].clone();
    failed.status = Status::Failed;
    failed.reason = Some("decode failed".into());
    failed.timestamp = night(40);
    assert_eq!(store.add(&[failed], "failed.json").unwrap().added, 1);
    assert_eq!(store.result_count().unwrap(), 41);
    drop(store);

    // Reopening migrates nothing and loses nothing.
    let mut store = Store::open(url).expect("reopen");
    assert_eq!(store.schema_version().unwrap(), latest_version());
    let points = store.points().unwrap();
    // decode_tps and ttft_ms for each of the 40 ok nights.
    assert_eq!(points.len(), 80);
    assert!(points.windows(2).all(|w| w[0].timestamp <= w[1].timestamp));
    let report = check(&points, &CheckOptions::default());
    assert_eq!(report.series, 2);
    // The 8 % step at night 30 shows in both metrics: slower decode, longer TTFT.
    assert_eq!(report.regressions.len(), 2, "{report:?}");
    for r in &report.regressions {
        assert!(r.run_index.abs_diff(30) <= 1, "{r:?}");
        assert_eq!(r.started_at, night(r.run_index));
        assert!(r.p_value.is_some_and(|p| p < 1e-4), "{r:?}");
    }
    // --since after the step: nothing new.
    let later = CheckOptions {
        since: Some(night(35)),
        ..Default::default()
    };
    assert!(check(&points, &later).regressions.is_empty());
}

/// A store of the first 30 of 40 nightly records (an 8 % step at night
/// 30), to be turned into what a build before record schema 2 wrote with
/// [`schema_1_row`]; returns all 40 records.
pub fn schema_1_store(url: &StoreUrl) -> Vec<Record> {
    let records = nightly(40, 30, 8.0, 7);
    let mut store = Store::open(url).unwrap();
    store.add(&records[..30], "old.json").unwrap();
    records
}

/// A stored row (record JSON, workload key) as the build before record
/// schema 2 wrote it: version 1, the request named `pp64+tg16`, no shape;
/// returns (JSON, workload, content sha256).
pub fn schema_1_row(json: &str, workload: &str) -> (String, String, String) {
    use sha2::{Digest, Sha256};
    let mut v: serde_json::Value = serde_json::from_str(json).unwrap();
    v["schema_version"] = 1.into();
    v["workload"]["test"] = "pp64+tg16".into();
    v["workload"].as_object_mut().unwrap().remove("shape");
    let old = serde_json::to_string(&v).unwrap();
    let hash = Sha256::digest(old.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert!(workload.starts_with("req64+16 t="), "{workload}");
    (old, workload.replace("req64+16", "pp64+tg16"), hash)
}

/// After reopening a schema-1 store: the old rows are recognised when added
/// again, and old and new nights form one series in which the step at
/// night 30 is found (without restating, the re-add stores 30 new rows and
/// the series splits at the upgrade).
pub fn check_upgraded(url: &StoreUrl, records: &[Record]) {
    let mut store = Store::open(url).unwrap();
    assert_eq!(store.schema_version().unwrap(), latest_version());
    let out = store.add(&records[..30], "again.json").unwrap();
    assert_eq!(
        (out.added, out.already_present),
        (0, 30),
        "old rows recognised"
    );
    store.add(&records[30..], "new.json").unwrap();
    let points = store.points().unwrap();
    let report = check(&points, &CheckOptions::default());
    assert_eq!(report.series, 2, "decode_tps and ttft_ms, one series each");
    assert_eq!(report.regressions.len(), 2, "{report:?}");
    assert!(
        report
            .regressions
            .iter()
            .all(|r| r.run_index.abs_diff(30) <= 1)
    );
}

/// A quality record of one model on llama.cpp against an f16 reference,
/// measured at `timestamp` on the device `lab-orin`.
pub fn quality(timestamp: &str, mean_kld: f64, top1: f64) -> QualityRecord {
    serde_json::from_value(serde_json::json!({
        "kind": "quality",
        "schema_version": 1,
        "edgebench": {"version": "0.1.0", "commit": null, "dirty": null},
        "timestamp": timestamp,
        "tokens_source": "seeded ids (seed 42)",
        "n_tokens": 128,
        "reference": {"model": "small-f16.gguf", "sha256": "ref0123456789abcdef",
                      "quant": "F16", "backend": "llama.cpp", "backend_version": "b1"},
        "rows": [{
            "side": {"model": "small-q4_0.gguf", "sha256": "q4sha", "quant": "Q4_0",
                     "backend": "llama.cpp", "backend_version": "b1"},
            "stats": {"positions": 127, "mean_kld": mean_kld, "p99_kld": mean_kld * 4.0,
                      "max_kld": mean_kld * 6.0, "top1_agreement": top1,
                      "ppl_reference": 10.0, "ppl": 10.2, "ln_ppl_ratio": 0.02}
        }],
        "note": "",
        "device": "lab-orin"
    }))
    .unwrap()
}

/// Quality records in the store: kept once, read back as two metrics per
/// run, and judged run to run on the threshold: a KLD change under 1e-6
/// and top-1 down half a point are the same; KLD up 39 % and top-1 down
/// 1.5 points are regressions, found at the run where they happened.
pub fn exercise_quality(url: &StoreUrl) {
    let mut store = Store::open(url).expect("open");
    let before = store.result_count().unwrap();
    let runs: Vec<QualityRecord> = [(0.0144, 0.60), (0.0144 + 1e-9, 0.595), (0.02, 0.58)]
        .iter()
        .enumerate()
        .map(|(i, &(kld, top1))| quality(&night(60 + i), kld, top1))
        .collect();
    let out = store.add_quality(&runs, "unknown", "q.json").unwrap();
    assert_eq!((out.added, out.already_present), (3, 0));
    let out = store.add_quality(&runs, "unknown", "again.json").unwrap();
    assert_eq!((out.added, out.already_present), (0, 3));
    assert_eq!(store.result_count().unwrap(), before + 3);
    let points = store.points().unwrap();
    let quality: Vec<_> = points.iter().filter(|p| is_quality(&p.metric)).collect();
    assert_eq!(quality.len(), 6);
    assert!(quality.iter().all(|p| p.key.device == "lab-orin"));
    assert!(
        quality[0]
            .key
            .workload
            .starts_with("quality vs ref012345678 (F16)")
    );
    let of_quality = |opts: &CheckOptions| -> Vec<(String, usize)> {
        check(&points, opts)
            .regressions
            .into_iter()
            .filter(|r| is_quality(&r.metric))
            .map(|r| {
                assert!(r.p_value.is_none() && r.noise_pct.is_none(), "{r:?}");
                assert_eq!(r.started_at, night(60 + r.run_index));
                (r.metric, r.run_index)
            })
            .collect()
    };
    assert_eq!(
        of_quality(&CheckOptions::default()),
        [
            ("quality_mean_kld".to_string(), 2),
            ("quality_top1_pct".to_string(), 2)
        ]
    );
    // At a 50 % threshold the KLD rise is within; the top-1 fall is not.
    let loose = CheckOptions {
        quality_threshold_pct: 50.0,
        ..Default::default()
    };
    assert_eq!(of_quality(&loose), [("quality_top1_pct".to_string(), 2)]);
    // Since after the last run: nothing new.
    let later = CheckOptions {
        since: Some(night(63)),
        ..Default::default()
    };
    assert!(of_quality(&later).is_empty());
}
