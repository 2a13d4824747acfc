//! The store tests every backend must pass, run by sqlite_store.rs and
//! postgres_store.rs against their own databases.
#![allow(dead_code)]
pub mod server;

use edgebench_history::check::{CheckOptions, check};
use edgebench_history::schema::latest_version;
use edgebench_history::{Store, StoreUrl};
use edgebench_reports::Record;
use edgebench_reports::Status;
use edgebench_reports::compare::estimate::SplitMix64;
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
        assert!(r.p_value < 1e-4);
    }
    // --since after the step: nothing new.
    let later = CheckOptions {
        since: Some(night(35)),
        ..Default::default()
    };
    assert!(check(&points, &later).regressions.is_empty());
}
