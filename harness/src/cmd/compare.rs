//! `edgebench compare`: two result sets in, a Markdown or JSON comparison
//! out (and JUnit XML with `--junit`); exit 1 when any metric is
//! significantly slower beyond the threshold.
use anyhow::{Context, Result, bail};
use edgebench_reports::compare::{self, Comparison, Options, render};
use edgebench_reports::input::read_results;
use edgebench_reports::junit;
use edgebench_reports::quality::{QUALITY_SCHEMA_VERSION, QualityRecord};
use edgebench_reports::quality_compare::{
    compare_quality as compare_quality_records, to_markdown as quality_md,
};

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
    match (
        read_quality(&args.baseline)?,
        read_quality(&args.candidate)?,
    ) {
        (Some(b), Some(c)) => return compare_quality(args, &b, &c),
        (Some(_), None) => bail!(
            "{} is a quality record and {} is not: compare a quality record (edgebench \
             quality --out) with another, speed results with speed results",
            args.baseline.display(),
            args.candidate.display()
        ),
        (None, Some(_)) => bail!(
            "{} is a quality record and {} is not: compare a quality record (edgebench \
             quality --out) with another, speed results with speed results",
            args.candidate.display(),
            args.baseline.display()
        ),
        (None, None) => {}
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

/// A quality record (`"kind": "quality"`) at `path`, or None when it is
/// something else (speed results, a folder). A quality record this build
/// cannot read is an error naming the file.
pub(crate) fn read_quality(path: &std::path::Path) -> Result<Option<QualityRecord>> {
    if !path.is_file() {
        return Ok(None);
    }
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let Ok(v) = serde_json::from_str::<serde_json::Value>(&text) else {
        return Ok(None);
    };
    if v.get("kind").and_then(|k| k.as_str()) != Some("quality") {
        return Ok(None);
    }
    let version = v
        .get("schema_version")
        .and_then(|x| x.as_u64())
        .unwrap_or(0);
    if version > u64::from(QUALITY_SCHEMA_VERSION) {
        bail!(
            "{}: a quality record of schema {version}; this edgebench reads up to \
             {QUALITY_SCHEMA_VERSION}: compare with a newer edgebench",
            path.display()
        );
    }
    let q = serde_json::from_value(v).with_context(|| {
        format!(
            "{}: not a quality record this edgebench can read",
            path.display()
        )
    })?;
    Ok(Some(q))
}

/// Two quality records: each model's KLD and top-1 compared; exit 1 on a
/// regression.
fn compare_quality(args: &CompareArgs, b: &QualityRecord, c: &QualityRecord) -> Result<i32> {
    if args.junit.is_some() {
        bail!("--junit writes speed comparisons only; leave it out for quality records");
    }
    let q = compare_quality_records(
        std::slice::from_ref(b),
        std::slice::from_ref(c),
        args.threshold,
    );
    match args.output {
        ProbeFormat::Md => print!("{}", quality_md(&q)),
        ProbeFormat::Json => println!("{}", serde_json::to_string_pretty(&q)?),
    }
    if q.changes.is_empty() {
        eprintln!(
            "edgebench: no model could be compared: both records must hold the same model \
             file, backend, reference and token ids"
        );
    }
    Ok(if q.has_regression() {
        EXIT_CASE_FAILED
    } else {
        EXIT_OK
    })
}
