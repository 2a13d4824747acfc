//! `edgebench history add|check` (`check --junit`: one JUnit test case per
//! series). The store is bundled SQLite (C) and a PostgreSQL client, so it
//! sits behind the `history` feature; a build without it keeps the command
//! and says how to get it.
use anyhow::Result;

use crate::cli::HistoryArgs;

/// Runs `history add` or `history check`.
#[cfg(feature = "history")]
pub fn history(args: &HistoryArgs) -> Result<i32> {
    enabled::history(args)
}

/// The stub of a build without the `history` feature: always an error (exit 2).
#[cfg(not(feature = "history"))]
pub fn history(_args: &HistoryArgs) -> Result<i32> {
    anyhow::bail!(
        "`edgebench history` is not compiled into this build; rebuild with --features history \
         (it bundles SQLite, which is C)"
    )
}

#[cfg(feature = "history")]
mod enabled {
    use std::collections::BTreeMap;
    use std::path::Path;

    use anyhow::{Context, Result};
    use edgebench_history::changepoint::DEFAULT_PARAMS;
    use edgebench_history::check::{self, CheckOptions, figure, validate_since};
    use edgebench_history::row::{Point, is_quality};
    use edgebench_history::{CheckReport, Regression, Store, StoreUrl, url};
    use edgebench_reports::Record;
    use edgebench_reports::compare::CaseKey;
    use edgebench_reports::input::read_results;
    use edgebench_reports::junit::{self, Case, Outcome, Suite};
    use edgebench_reports::quality::QualityRecord;
    use edgebench_reports::quality_compare::TOP1_POINTS;

    use crate::cli::{HistoryAddArgs, HistoryArgs, HistoryCheckArgs, HistoryCommand, ProbeFormat};
    use crate::exit::{EXIT_CASE_FAILED, EXIT_OK};

    pub fn history(args: &HistoryArgs) -> Result<i32> {
        match &args.command {
            HistoryCommand::Add(a) => add(a),
            HistoryCommand::Check(a) => check(a),
        }
    }

    fn store_url(flag: Option<&str>) -> Result<StoreUrl> {
        Ok(match flag {
            Some(s) => s.parse().context("--store")?,
            None => url::default_store()?,
        })
    }

    fn add(args: &HistoryAddArgs) -> Result<i32> {
        let url = store_url(args.store.as_deref())?;
        // Read every file first: a bad one adds nothing.
        let mut sets = Vec::new();
        for path in &args.results {
            sets.push((path, read_set(path)?));
        }
        let mut store = Store::open(&url)?;
        let (mut added, mut present) = (0, 0);
        let (mut q_added, mut q_present, mut q_any) = (0, 0, false);
        for (path, (records, quality)) in &sets {
            let source = path.display().to_string();
            let out = store.add(records, &source)?;
            added += out.added;
            present += out.already_present;
            // A quality record names its device; one from before that
            // takes its sweep's, else stands alone as `unknown`.
            let device = records
                .first()
                .map_or_else(|| "unknown".to_string(), |r| CaseKey::of(r).device);
            let q = store.add_quality(quality, &device, &source)?;
            q_added += q.added;
            q_present += q.already_present;
            q_any |= !quality.is_empty();
        }
        let quality = if q_any {
            format!("; {q_added} quality result(s) added, {q_present} already present")
        } else {
            String::new()
        };
        eprintln!(
            "edgebench: history {url}: {added} record(s) added, {present} already present{quality}"
        );
        Ok(EXIT_OK)
    }

    /// The records and quality records of one `history add` input: a
    /// quality record file, or results (a sweep's with its quality step's).
    fn read_set(path: &Path) -> Result<(Vec<Record>, Vec<QualityRecord>)> {
        if let Some(q) = crate::cmd::compare::read_quality(path)? {
            return Ok((vec![], vec![q]));
        }
        let records = read_results(path)?;
        let summary = if path.is_dir() {
            path.join("sweep.json")
        } else {
            path.to_path_buf()
        };
        Ok((records, sweep_quality(&summary)?))
    }

    /// The `quality` array of a sweep.json (none in other files).
    fn sweep_quality(path: &Path) -> Result<Vec<QualityRecord>> {
        if !path.is_file() {
            return Ok(vec![]);
        }
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        let Ok(serde_json::Value::Object(map)) = serde_json::from_str(&text) else {
            return Ok(vec![]);
        };
        match map.get("quality") {
            Some(q) if map.get("kind").and_then(|k| k.as_str()) == Some("sweep") => {
                serde_json::from_value(q.clone()).with_context(|| {
                    format!(
                        "{}: its quality records are not ones this edgebench can read",
                        path.display()
                    )
                })
            }
            _ => Ok(vec![]),
        }
    }

    fn check(args: &HistoryCheckArgs) -> Result<i32> {
        if let Some(s) = &args.since {
            validate_since(s)?;
        }
        if !(args.quality_threshold.is_finite() && args.quality_threshold >= 0.0) {
            anyhow::bail!(
                "--quality-threshold {}: give a percentage of 0 or more, e.g. 5",
                args.quality_threshold
            );
        }
        if !(args.max_pvalue > 0.0 && args.max_pvalue < 1.0) {
            anyhow::bail!(
                "--max-pvalue {}: give a probability between 0 and 1, e.g. 1e-4",
                args.max_pvalue
            );
        }
        if let Some(path) = &args.junit {
            junit::check_writable(path).with_context(|| format!("--junit {}", path.display()))?;
        }
        let url = store_url(args.store.as_deref())?;
        // Checking a store that does not exist would create an empty one
        // and report "no regression": a mistyped path or an unset secret
        // must fail instead.
        if let StoreUrl::Sqlite(path) = &url
            && !path.exists()
        {
            anyhow::bail!(
                "history store {} does not exist; add results first (`edgebench history add \
                 RESULTS --store {url}`) or give the right --store / EDGEBENCH_HISTORY",
                path.display()
            );
        }
        let mut store = Store::open(&url)?;
        let points = store.points()?;
        if points.is_empty() {
            anyhow::bail!(
                "history store {url} holds no ok results to check; add some with \
                 `edgebench history add`"
            );
        }
        let opts = CheckOptions {
            since: args.since.clone(),
            params: edgebench_history::changepoint::Params {
                max_pvalue: args.max_pvalue,
                ..DEFAULT_PARAMS
            },
            quality_threshold_pct: args.quality_threshold,
        };
        let report = check::check(&points, &opts);
        match args.output {
            ProbeFormat::Md => print!("{}", check::to_markdown(&report, &opts)),
            ProbeFormat::Json => println!("{}", serde_json::to_string_pretty(&report)?),
        }
        if let Some(path) = &args.junit {
            let suites = junit_suites(&points, &report, &opts, &url);
            let name = format!("edgebench history check {url}");
            write_junit(path, name, suites)?;
        }
        Ok(if report.regressions.is_empty() {
            EXIT_OK
        } else {
            EXIT_CASE_FAILED
        })
    }

    fn write_junit(path: &Path, name: String, suites: Vec<Suite>) -> Result<()> {
        let report = junit::Report {
            name,
            time_s: None,
            suites,
        };
        junit::write(path, &report).with_context(|| format!("--junit {}", path.display()))
    }

    /// A suite per device, a case per series (device x model x backend x
    /// workload x metric): failed when the check found a regression in it,
    /// skipped when it has too few runs to test, else passed.
    fn junit_suites<'a>(
        points: &'a [Point],
        report: &'a CheckReport,
        opts: &CheckOptions,
        url: &StoreUrl,
    ) -> Vec<Suite> {
        // The series as `check::check` groups them, with their run counts.
        let mut series: BTreeMap<(&CaseKey, &str), (&str, usize)> = BTreeMap::new();
        for p in points {
            let entry = series
                .entry((&p.key, p.metric.as_str()))
                .or_insert((p.model_label.as_str(), 0));
            entry.1 += 1;
        }
        // `check::check` tests a series with at least two segments' worth,
        // a quality series from its second run.
        let min_runs = |metric: &str| {
            if is_quality(metric) {
                2
            } else {
                2 * opts.params.min_segment
            }
        };
        let mut suites: BTreeMap<&str, Suite> = BTreeMap::new();
        for ((key, metric), (label, runs)) in series {
            let of_series = |list: &'a [Regression]| -> Vec<&'a Regression> {
                list.iter()
                    .filter(|r| &r.key == key && r.metric == metric)
                    .collect()
            };
            let (worse, better) = (
                of_series(&report.regressions),
                of_series(&report.improvements),
            );
            let mut output = format!("{runs} run(s) in this series\n");
            for (what, r) in worse
                .iter()
                .map(|r| ("regression", r))
                .chain(better.iter().map(|r| ("improvement", r)))
            {
                output.push_str(&format!("{what}: {}\n", change(r, opts)));
            }
            let outcome = if runs < min_runs(metric) {
                Outcome::Skipped {
                    message: format!(
                        "{runs} run(s); at least {} are needed to test for a change",
                        min_runs(metric)
                    ),
                }
            } else if let Some(first) = worse.first() {
                let more = match worse.len() {
                    1 => String::new(),
                    n => format!(" (and {} later change(s))", n - 1),
                };
                Outcome::Failed {
                    kind: "regression".into(),
                    message: format!("{}{more}", change(first, opts)),
                }
            } else {
                Outcome::Passed
            };
            let suite = suites.entry(&key.device).or_insert_with(|| Suite {
                name: key.device.clone(),
                properties: [
                    ("store", Some(url.to_string())),
                    ("since", opts.since.clone()),
                    ("max_pvalue", Some(format!("{:e}", opts.params.max_pvalue))),
                    ("min_segment", Some(opts.params.min_segment.to_string())),
                ]
                .into_iter()
                .filter_map(|(k, v)| Some((k.to_string(), v?)))
                .collect(),
                ..Suite::default()
            });
            suite.cases.push(Case {
                classname: key.label(label),
                name: metric.to_string(),
                outcome,
                output,
            });
        }
        suites.into_values().collect()
    }

    /// One line: the change, where it started, and what it was judged on
    /// (a p-value against the limit, or the quality threshold).
    fn change(r: &Regression, opts: &CheckOptions) -> String {
        let judged = match (r.p_value, r.noise_pct) {
            (Some(p), Some(noise)) => format!(
                "p {p:.2e} (limit {:e}), noise {noise:.2}%",
                opts.params.max_pvalue
            ),
            _ => format!(
                "against the run before (quality: threshold {} % of mean KLD, {TOP1_POINTS} \
                 point(s) of top-1)",
                opts.quality_threshold_pct
            ),
        };
        format!(
            "{} {:+.2}% from run {} of {} ({}{}): before {}, after {}, {judged}",
            r.metric,
            r.change_pct,
            r.run_index + 1,
            r.runs,
            r.started_at,
            r.started_commit
                .as_deref()
                .map_or_else(String::new, |c| format!(", commit {c}")),
            figure(r.before),
            figure(r.after),
        )
    }
}
