//! `edgebench compare`: two result sets in, a Markdown or JSON comparison
//! out; exit 1 when any metric is significantly slower beyond the threshold.
use anyhow::{Result, bail};
use edgebench_reports::compare::{self, Options, render};
use edgebench_reports::input::read_results;

use crate::cli::{CompareArgs, ProbeFormat};
use crate::exit::{EXIT_CASE_FAILED, EXIT_OK};

/// Runs the comparison. Unreadable input is an `Err` (exit 2).
pub fn compare(args: &CompareArgs) -> Result<i32> {
    if !(args.threshold.is_finite() && args.threshold >= 0.0) {
        bail!(
            "--threshold {}: give a percentage >= 0, e.g. --threshold 5",
            args.threshold
        );
    }
    if let Some(t) = args.max_start_temp_c
        && !t.is_finite()
    {
        bail!("--max-start-temp-c {t}: give a temperature in °C, e.g. 70");
    }
    let baseline = read_results(&args.baseline)?;
    let candidate = read_results(&args.candidate)?;
    for (name, path, records) in [
        ("baseline", &args.baseline, &baseline),
        ("candidate", &args.candidate, &candidate),
    ] {
        if records.is_empty() {
            bail!("{name} {}: holds no result records", path.display());
        }
    }
    let opts = Options {
        threshold_pct: args.threshold,
        max_start_temp_c: args.max_start_temp_c,
    };
    let c = compare::compare(&baseline, &candidate, &opts);
    match args.output {
        ProbeFormat::Md => print!("{}", render::to_markdown(&c)),
        ProbeFormat::Json => println!("{}", serde_json::to_string_pretty(&c)?),
    }
    if c.cases.is_empty() {
        eprintln!(
            "edgebench: no case could be compared (see the unmatched and left-out lists); \
             check that both sides ran the same device profile, models and workloads"
        );
    }
    Ok(if c.has_regression() {
        EXIT_CASE_FAILED
    } else {
        EXIT_OK
    })
}
