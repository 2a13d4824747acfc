//! `edgebench import llama-bench FILE... [--out FILE]`: another tool's
//! results as edgebench records (reports::import has the mapping).
use anyhow::{Result, anyhow, bail};
use edgebench_reports::import::import_file;

use crate::cli::{ImportArgs, ImportTool};
use crate::exit::EXIT_OK;
use crate::output::write_atomically;

/// Reads every file first (a file it cannot read is an error naming its
/// line and field, exit 2, and nothing is written), then writes all the
/// records to `--out` at once.
pub fn import(args: &ImportArgs) -> Result<i32> {
    let ImportTool::LlamaBench = args.tool;
    if args.files.iter().any(|f| f == &args.out) {
        bail!(
            "--out {} is one of the input files; give another path",
            args.out.display()
        );
    }
    let mut records = Vec::new();
    for f in &args.files {
        let r = import_file(f, env!("CARGO_PKG_VERSION")).map_err(|e| anyhow!("{e}"))?;
        eprintln!(
            "edgebench: import: {}: {} llama-bench test(s): {}",
            f.display(),
            r.len(),
            r.iter()
                .map(|r| r.workload.test.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        );
        records.extend(r);
    }
    let json = serde_json::to_string_pretty(&records)?;
    write_atomically(&args.out, format!("{json}\n").as_bytes())?;
    eprintln!(
        "edgebench: import: {} record(s) in {} (marked imported: TTFT, inter-token latency, peak memory and load time were not measured by llama-bench)",
        records.len(),
        args.out.display()
    );
    Ok(EXIT_OK)
}
