//! `edgebench report`: the hardware-selection report from sweep outputs,
//! and the report a sweep writes for its own results.
use std::path::{Path, PathBuf};

use anyhow::{Result, anyhow, bail};
use edgebench_devices::profile::Profile;
use edgebench_reports::report::{self, Options, ProfileFacts, ReportError, ReportFormat};

use crate::cli::ReportArgs;
use crate::commands::EXIT_OK;

/// Default output folder when the inputs are not a single folder.
pub const DEFAULT_OUT: &str = "edgebench-report";

/// `edgebench report`. Bad input (missing files, a newer schema, no results,
/// a bad profile or format) is an `Err`, so exit 2.
pub fn report(args: &ReportArgs) -> Result<i32> {
    let formats = parse_formats(&args.format)?;
    let slo_profile = match &args.slo_profile {
        Some(p) => Some(ProfileFacts::of(
            &Profile::load(p).map_err(|e| anyhow!("--slo-profile: {e}"))?,
        )),
        None => None,
    };
    let out = match (&args.out, args.results.as_slice()) {
        (Some(o), _) => o.clone(),
        (None, [one]) if one.is_dir() => one.clone(),
        _ => PathBuf::from(DEFAULT_OUT),
    };
    let opts = Options {
        slo_profile,
        edgebench_version: env!("CARGO_PKG_VERSION").to_owned(),
    };
    let report = report::build(&args.results, &opts).map_err(|e| anyhow!("{e}"))?;
    for w in &report.warnings {
        eprintln!("edgebench: warning: {w}");
    }
    let written = report::write(&report, &out, &formats).map_err(|e| anyhow!("{e}"))?;
    announce(&written);
    Ok(EXIT_OK)
}

/// `html,md` into formats, each once.
fn parse_formats(list: &str) -> Result<Vec<ReportFormat>> {
    let mut out = Vec::new();
    for part in list.split(',').filter(|p| !p.trim().is_empty()) {
        let f: ReportFormat = part.parse().map_err(|e| anyhow!("--format: {e}"))?;
        if !out.contains(&f) {
            out.push(f);
        }
    }
    if out.is_empty() {
        bail!("--format: give html, md or html,md");
    }
    Ok(out)
}

/// Prints where the report is, HTML first as the page to open.
fn announce(written: &[PathBuf]) {
    for p in written
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e != "png"))
    {
        let shown = std::path::absolute(p).unwrap_or_else(|_| p.clone());
        if p.extension().is_some_and(|e| e == "html") {
            eprintln!("edgebench: report: open file://{}", shown.display());
        } else {
            eprintln!("edgebench: report: {}", shown.display());
        }
    }
}

/// The end of a sweep: the report of its own folder, written into it.
/// A report that cannot be made is a warning; the sweep's results stand.
pub fn after_sweep(dir: &Path) {
    let opts = Options {
        slo_profile: None,
        edgebench_version: env!("CARGO_PKG_VERSION").to_owned(),
    };
    let made = report::build(&[dir.to_path_buf()], &opts)
        .and_then(|r| report::write(&r, dir, &[ReportFormat::Html, ReportFormat::Md]));
    match made {
        Ok(written) => announce(&written),
        Err(ReportError::NoResults { .. }) => {}
        Err(e) => eprintln!("edgebench: warning: no report for this sweep: {e}"),
    }
}
