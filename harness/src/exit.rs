//! Exit codes, one place for every subcommand (a leaf: imports nothing).

/// Every case ran and is ok.
pub const EXIT_OK: i32 = 0;
/// At least one case failed or is invalid, an SLO failed under
/// `--fail-on-slo`, a comparison found a regression (results still written).
pub const EXIT_CASE_FAILED: i32 = 1;
/// Bad input: flags, files, models (clap uses 2 for bad flags too).
pub const EXIT_BAD_INPUT: i32 = 2;
/// Stopped by Ctrl-C (128 + SIGINT); results so far kept.
pub const EXIT_INTERRUPTED: i32 = 130;
