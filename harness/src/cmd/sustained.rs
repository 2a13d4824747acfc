//! `edgebench sustained`: flags to a plan of one case, the run (see
//! `crate::sustained`), the output.
use anyhow::{Context, Result, anyhow, bail};
use edgebench_backends::BackendKind;
use edgebench_devices::HostInfo;
use edgebench_reports::Status;
use edgebench_reports::sustained::render_md;

use crate::cli::{ProbeFormat, SustainedArgs};
use crate::exit::{EXIT_CASE_FAILED, EXIT_OK};
use edgebench_devices::limits::check_duration_s;

use crate::flags::{check_out_folder, default_threads, existing_model, one_request_plan};
use crate::model::resolve_model_for;
use crate::sustained::{SustainedConfig, WindowSpec, run_case};
use crate::{output, session};

/// Runs `edgebench sustained`; bad input is an `Err` (exit 2), a failed or
/// invalid run exits 1 with its record still written.
pub fn sustained(args: &SustainedArgs) -> Result<i32> {
    if args.duration <= 0.0 {
        bail!("--duration must be longer than 0, e.g. --duration 10m");
    }
    for (flag, s) in [
        ("--duration", args.duration),
        ("--cooldown-timeout", args.cooldown_timeout),
    ] {
        check_duration_s(flag, s).map_err(|e| anyhow!(e))?;
    }
    if args.gap > 0.0 {
        check_duration_s("--gap", args.gap).map_err(|e| anyhow!(e))?;
    }
    if let WindowSpec::Seconds(w) = args.window
        && w >= args.duration
    {
        bail!(
            "--window {w} s is not shorter than --duration {} s; a run needs many windows \
             (e.g. --duration 10m --window 5s)",
            args.duration
        );
    }
    if args.n_gen < 2 {
        bail!("-n/--n-gen must be at least 2: a sustained run measures decode");
    }
    if !(args.telemetry_hz.is_finite() && args.telemetry_hz > 0.0 && args.telemetry_hz <= 100.0) {
        bail!(
            "--telemetry-hz {}: give a rate above 0 and at most 100",
            args.telemetry_hz
        );
    }
    let backend: BackendKind = args
        .backend
        .parse()
        .map_err(|e| anyhow!("-b {}: {e}", args.backend))?;
    let source = existing_model(&args.model)?;
    let threads = args.threads.unwrap_or_else(default_threads);
    let mock = args.mock_spec.parse().map_err(|e| anyhow!("{e}"))?;
    let plan = one_request_plan(
        &source,
        backend,
        &args.load,
        args.n_prompt,
        args.n_gen,
        threads,
        args.seed,
    )?;
    if let Some(p) = &args.out {
        check_out_folder(p)?;
    }
    session::prepare_process(&[backend], threads);
    // The file this backend runs: a `synth:` model's ONNX twin for onnx
    // backends, as `run` picks it.
    let model =
        resolve_model_for(&source, Some(backend)).with_context(|| format!("-m {}", args.model))?;
    // The memory pre-flight, as `run` has it.
    let verdict = crate::preflight::check(
        backend,
        &model,
        &plan.cases[0],
        crate::preflight::available_now().as_ref(),
        crate::preflight::Policy {
            force: args.force,
            allow_long_context: args.allow_long_context,
        },
        crate::preflight::Origin::Flags,
    );
    if let Some(why) = verdict.refusal {
        bail!("-m {} on {}: {why}", args.model, args.backend);
    }
    let cfg = SustainedConfig {
        duration_s: args.duration,
        window: args.window,
        gap_s: args.gap,
        telemetry_hz: args.telemetry_hz,
        cooldown_watch: args.cooldown_watch,
        cooldown_timeout_s: args.cooldown_timeout,
        sysfs_root: args
            .sysfs_root
            .clone()
            .unwrap_or_else(edgebench_devices::telemetry::sysfs_root),
    };
    eprintln!(
        "edgebench: sustained run of {} on {} for {:.0} s",
        args.model, args.backend, args.duration
    );
    let host = HostInfo::probe();
    let mut record = run_case(&host, &plan.groups[0], &model, &plan.cases[0], &mock, &cfg);
    record.preflight = verdict.preflight;
    let records = [record];
    if let Some(p) = &args.out {
        let json = serde_json::to_string_pretty(&records[0])?;
        output::write_atomically(p, json.as_bytes())?;
        eprintln!("edgebench: wrote the record to {}", p.display());
    }
    match args.output {
        ProbeFormat::Md => print!("{}", render_md(&records)),
        ProbeFormat::Json => println!("{}", serde_json::to_string_pretty(&records[0])?),
    }
    Ok(if records[0].status == Status::Ok {
        EXIT_OK
    } else {
        EXIT_CASE_FAILED
    })
}
