//! `edgebench compare`: two result sets in, a Markdown or JSON comparison
//! out (and JUnit XML with `--junit`); exit 1 when any metric is
//! significantly slower beyond the threshold.
use anyhow::{Context, Result, bail};
use edgebench_reports::compare::{self, Comparison, Options, render};
use edgebench_reports::input::read_results;
use edgebench_reports::junit;

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
    if let Some(path) = &args.junit {
        junit::check_writable(path).with_context(|| format!("--junit {}", path.display()))?;
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
    if let Some(path) = &args.junit {
        write_junit(path, args, &c)?;
    }
    Ok(if c.has_regression() {
        EXIT_CASE_FAILED
    } else {
        EXIT_OK
    })
}

/// `--junit`: a suite per device, the two inputs named in its properties.
fn write_junit(path: &std::path::Path, args: &CompareArgs, c: &Comparison) -> Result<()> {
    let (base, cand) = (args.baseline.display(), args.candidate.display());
    let mut suites = junit::comparison_suites(c);
    for s in &mut suites {
        s.properties.push(("baseline".into(), base.to_string()));
        s.properties.push(("candidate".into(), cand.to_string()));
    }
    let report = junit::Report {
        name: format!("edgebench compare {base} {cand}"),
        time_s: None,
        suites,
    };
    junit::write(path, &report).with_context(|| format!("--junit {}", path.display()))
}
