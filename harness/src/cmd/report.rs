//! `edgebench report`: the hardware-selection report from sweep outputs.
use std::path::PathBuf;

use anyhow::{Result, anyhow, bail};
use edgebench_devices::profile::Profile;
use edgebench_reports::report::{self, Options, ProfileFacts, ReportFormat};

use crate::cli::ReportArgs;
use crate::exit::EXIT_OK;
use crate::output::announce;

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
