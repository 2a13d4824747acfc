//! Baseline comparison on synthetic records: matching, pooling, left-out
//! and unmatched cases, and the 3-vs-3 rule over many inputs.
use edgebench_reports::Status;
use edgebench_reports::compare::estimate::SplitMix64;
use edgebench_reports::compare::{Options, Side, Verdict, compare, render};
use edgebench_reports::synthetic::{SyntheticCase, record};

fn rates(mean: f64, n: usize, seed: u64) -> Vec<f64> {
    let mut rng = SplitMix64(seed);
    (0..n).map(|_| mean * (1.0 + 0.02 * rng.normal())).collect()
}

#[test]
fn repeated_runs_pool_their_samples() {
    let c = SyntheticCase::default();
    // 3 + 3 samples a side: each record alone is too few, together enough.
    let base = [
        record(&c, &rates(100.0, 3, 1)),
        record(&c, &rates(100.0, 3, 2)),
    ];
    let cand = [
        record(&c, &rates(80.0, 3, 3)),
        record(&c, &rates(80.0, 3, 4)),
    ];
    let out = compare(&base, &cand, &Options::default());
    let decode = &out.cases[0].metrics[0];
    assert_eq!(decode.metric, "decode_tps");
    assert_eq!(
        (decode.estimate.baseline_n, decode.estimate.candidate_n),
        (6, 6)
    );
    assert_eq!(decode.estimate.verdict, Verdict::Slower);
    assert!(out.has_regression());
    // ttft is 1000 / rate here, so it got slower too (higher is worse).
    assert_eq!(out.cases[0].metrics[1].estimate.verdict, Verdict::Slower);
}

#[test]
fn a_bad_record_is_dropped_but_its_good_sibling_still_counts() {
    let c = SyntheticCase::default();
    let mut failed = record(&c, &rates(10.0, 10, 5));
    failed.status = Status::Failed;
    failed.reason = Some("decode failed at repetition 2".into());
    let base = [record(&c, &rates(100.0, 10, 6))];
    let cand = [failed.clone(), record(&c, &rates(100.0, 10, 7))];
    let out = compare(&base, &cand, &Options::default());
    assert_eq!(out.cases[0].metrics[0].estimate.verdict, Verdict::Same);
    assert_eq!(
        out.skipped[0].reason,
        "1 of 2 records left out, compared on the rest: failed: decode failed at repetition 2"
    );
    // Only the failed one: left out, with its status and reason.
    let out = compare(&base, &[failed], &Options::default());
    assert!(out.cases.is_empty());
    assert_eq!(out.skipped.len(), 1);
    assert_eq!(out.skipped[0].side, Side::Candidate);
    assert_eq!(
        out.skipped[0].reason,
        "failed: decode failed at repetition 2"
    );
    assert!(render::to_markdown(&out).contains("### Left out"));
}

#[test]
fn identity_ignores_paths_and_times_but_not_the_model_bytes() {
    let a = SyntheticCase::default();
    let later = SyntheticCase {
        timestamp: "2027-01-01T00:00:00.000Z",
        ..a.clone()
    };
    let other_model = SyntheticCase {
        model_sha256: "ff",
        ..a.clone()
    };
    let mut moved = record(&later, &rates(100.0, 10, 8));
    moved.model.path = "/elsewhere/m.gguf".into();
    let out = compare(
        &[record(&a, &rates(100.0, 10, 9))],
        &[moved, record(&other_model, &rates(100.0, 10, 10))],
        &Options::default(),
    );
    assert_eq!(out.cases.len(), 1);
    assert_eq!(out.unmatched.len(), 1);
    assert_eq!(out.unmatched[0].only_in, Side::Candidate);
    assert_eq!(out.unmatched[0].key.model_sha256, "ff");
}

#[test]
fn fewer_than_five_samples_are_never_same_or_slower() {
    let c = SyntheticCase::default();
    let mut rng = SplitMix64(11);
    for i in 0..200 {
        let n_b = 1 + (rng.next_u64() % 4) as usize;
        let n_c = 1 + (rng.next_u64() % 4) as usize;
        let shift = 0.5 + rng.unit();
        let out = compare(
            &[record(&c, &rates(100.0, n_b, 100 + i))],
            &[record(&c, &rates(100.0 * shift, n_c, 300 + i))],
            &Options::default(),
        );
        for m in &out.cases[0].metrics {
            assert_eq!(
                m.estimate.verdict,
                Verdict::Inconclusive,
                "{n_b} vs {n_c}: {m:?}"
            );
        }
    }
}
