//! `edgebench sweep`: flags to the sweep's options; the sweep itself is
//! `crate::sweep`.
use anyhow::Result;

use crate::cli::SweepArgs;
use crate::sweep::SweepOptions;

/// `edgebench sweep`.
pub fn sweep(args: &SweepArgs) -> Result<i32> {
    crate::sweep::sweep(&SweepOptions {
        device: args.device.clone(),
        out: args.out.clone(),
        resume: args.resume,
        filter: args.filter.clone().unwrap_or_default(),
        dry_run: args.dry_run,
        fail_on_slo: args.fail_on_slo,
        junit: args.junit.clone(),
        seed: args.seed,
        mock_spec: args.mock_spec.clone(),
        grace: std::time::Duration::from_millis(args.kill_grace_ms),
        policy: crate::preflight::Policy {
            force: args.force,
            allow_long_context: args.allow_long_context,
        },
    })
}
