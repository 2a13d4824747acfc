//! The detector on synthetic nightly series with fixed seeds: quiet on
//! noise, quick on a step.
use edgebench_history::changepoint::{DEFAULT_PARAMS, Params, detect};
use edgebench_reports::compare::estimate::SplitMix64;

/// `nights` values around 100 with `noise_pct` % Gaussian noise, times
/// (1 - step_pct / 100) from night `step_at` on. Nights count from 1:
/// night k is value k - 1.
fn series(nights: usize, noise_pct: f64, step_at: usize, step_pct: f64, seed: u64) -> Vec<f64> {
    let mut rng = SplitMix64(seed);
    (0..nights)
        .map(|i| {
            let level = if i + 1 >= step_at {
                100.0 * (1.0 - step_pct / 100.0)
            } else {
                100.0
            };
            level * (1.0 + noise_pct / 100.0 * rng.normal())
        })
        .collect()
}

/// Distinct regression starts raised when the check runs every night on
/// the history so far: (night the change started, night the check raised
/// it), both counted from 1.
fn nightly_alarms(values: &[f64], params: &Params) -> Vec<(usize, usize)> {
    let mut seen: Vec<(usize, usize)> = Vec::new();
    for night in 2 * params.min_segment..=values.len() {
        for cp in detect(&values[..night], params) {
            if cp.change_pct < 0.0
                && !seen
                    .iter()
                    .any(|&(start, _)| start.abs_diff(cp.index + 1) <= 3)
            {
                seen.push((cp.index + 1, night));
            }
        }
    }
    seen
}

/// Seeds of the noise-only and the step series (fixed: the figures below
/// are exact for this build).
const SEEDS: std::ops::Range<u64> = 0..40;

#[test]
fn two_hundred_nights_of_noise_raise_at_most_one_alarm() {
    let mut total = 0;
    for seed in SEEDS {
        let v = series(200, 2.0, usize::MAX, 0.0, 1000 + seed);
        let once = detect(&v, &DEFAULT_PARAMS)
            .into_iter()
            .filter(|c| c.change_pct < 0.0)
            .count();
        assert!(
            once <= 1,
            "seed {seed}: {once} alarms in one check of 200 nights"
        );
        let nightly = nightly_alarms(&v, &DEFAULT_PARAMS);
        assert!(nightly.len() <= 1, "seed {seed}: {nightly:?}");
        total += nightly.len();
    }
    println!(
        "noise only: {total} alarm(s) over {} series of 200 nightly checks",
        SEEDS.end
    );
    assert!(total <= 4, "{total} false alarms over {} series", SEEDS.end);
}

#[test]
fn a_five_percent_step_at_night_120_is_found_within_three_nights() {
    // The step lands on night 120; the check of night 123 (three nights
    // later) should name a start within three nights of 120. Three runs
    // after a 2.5-sigma step cannot always clear p < 1e-4, so this holds
    // for at least 85 % of the seeds, and every step is found within a week.
    let mut on_time = 0;
    let mut delays = Vec::new();
    for seed in SEEDS {
        let v = series(200, 2.0, 120, 5.0, 5000 + seed);
        let alarms = nightly_alarms(&v, &DEFAULT_PARAMS);
        let hit = alarms.iter().find(|&&(start, _)| start.abs_diff(120) <= 3);
        let Some(&(_, night)) = hit else {
            panic!("seed {seed}: step not found: {alarms:?}");
        };
        delays.push(night - 120);
        on_time += usize::from(night <= 123);
        assert!(night <= 127, "seed {seed}: found only on night {night}");
        // The whole series names the step, where it is and at its size.
        let full = detect(&v, &DEFAULT_PARAMS);
        assert!(
            full.iter()
                .any(|c| (c.index + 1).abs_diff(120) <= 3 && (c.change_pct + 5.0).abs() < 1.5),
            "seed {seed}: {full:?}"
        );
    }
    delays.sort_unstable();
    println!("5% step at night 120: found after {delays:?} nights");
    assert!(
        on_time * 100 >= 85 * SEEDS.end as usize,
        "{on_time} of {} on time: {delays:?}",
        SEEDS.end
    );
}
#[test]
fn each_series_is_judged_against_its_own_noise() {
    // The same 3 % drop: plain on a quiet server (0.5 % noise), lost in a
    // throttling phone's noise (6 %) until it has many nights behind it.
    let quiet = series(60, 0.5, 50, 3.0, 77);
    let found = detect(&quiet, &DEFAULT_PARAMS);
    assert!(
        found
            .iter()
            .any(|c| (c.index + 1).abs_diff(50) <= 1 && c.noise_pct < 1.0),
        "{found:?}"
    );
    let noisy = series(60, 6.0, 50, 3.0, 77);
    let found = detect(&noisy, &DEFAULT_PARAMS);
    assert!(found.is_empty(), "{found:?}");
}

/// Not a gate: the false-alarm and delay figures over many seeds, printed
/// for docs/history.md (`cargo test -p edgebench-history --test detection -- --ignored --nocapture`).
#[test]
#[ignore]
fn figures_over_seeds() {
    for p in [1e-3, 1e-4, 1e-5] {
        let params = Params {
            max_pvalue: p,
            ..DEFAULT_PARAMS
        };
        let (mut false_alarms, mut delays, mut missed) = (0, Vec::new(), 0);
        let seeds = 100;
        for s in 0..seeds {
            false_alarms +=
                nightly_alarms(&series(200, 2.0, usize::MAX, 0.0, 1000 + s), &params).len();
            let alarms = nightly_alarms(&series(200, 2.0, 120, 5.0, 5000 + s), &params);
            match alarms.iter().find(|&&(start, _)| start.abs_diff(120) <= 3) {
                Some(&(_, night)) => delays.push(night - 120),
                None => missed += 1,
            }
        }
        delays.sort_unstable();
        println!(
            "max_pvalue {p:e}: {false_alarms} nightly false alarms over {seeds} x 200 nights; \
             step found after {:?} nights (sorted), missed {missed}",
            delays
        );
    }
}
