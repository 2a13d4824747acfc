//! The sweep's last phase: the report of its own folder, written into it.
use std::path::Path;

use edgebench_reports::report::{self, Options, ReportError, ReportFormat};

use crate::output::announce;

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
