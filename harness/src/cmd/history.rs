//! `edgebench history add|check`. The store is bundled SQLite (C) and a
//! PostgreSQL client, so it sits behind the `history` feature; a build
//! without it keeps the command and says how to get it.
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
    use anyhow::{Context, Result};
    use edgebench_history::changepoint::DEFAULT_PARAMS;
    use edgebench_history::check::{self, CheckOptions, validate_since};
    use edgebench_history::{Store, StoreUrl, url};
    use edgebench_reports::input::read_results;

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
            sets.push((path, read_results(path)?));
        }
        let mut store = Store::open(&url)?;
        let (mut added, mut present) = (0, 0);
        for (path, records) in &sets {
            let out = store.add(records, &path.display().to_string())?;
            added += out.added;
            present += out.already_present;
        }
        eprintln!("edgebench: history {url}: {added} record(s) added, {present} already present");
        Ok(EXIT_OK)
    }

    fn check(args: &HistoryCheckArgs) -> Result<i32> {
        if let Some(s) = &args.since {
            validate_since(s)?;
        }
        if !(args.max_pvalue > 0.0 && args.max_pvalue < 1.0) {
            anyhow::bail!(
                "--max-pvalue {}: give a probability between 0 and 1, e.g. 1e-4",
                args.max_pvalue
            );
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
        };
        let report = check::check(&points, &opts);
        match args.output {
            ProbeFormat::Md => print!("{}", check::to_markdown(&report, &opts)),
            ProbeFormat::Json => println!("{}", serde_json::to_string_pretty(&report)?),
        }
        Ok(if report.regressions.is_empty() {
            EXIT_OK
        } else {
            EXIT_CASE_FAILED
        })
    }
}
