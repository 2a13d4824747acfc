//! Sustained (thermal) runs: back-to-back requests on one loaded model for a
//! fixed time, with the telemetry sampler running beside them, turned into a
//! rate series and its summary (docs/metrics.md, docs/sustained.md).
//!
//! Time is wall-clock (`Instant`) throughout, so the rate series and the
//! telemetry share one time base; the mock backend is switched to real time
//! for the same reason.
mod windows;

use std::path::PathBuf;
use std::time::{Duration, Instant, SystemTime};

use edgebench_backends::Backend;
use edgebench_backends::mock::MockConfig;
use edgebench_devices::HostInfo;
use edgebench_devices::probe::{TemperatureReading, temperatures_at};
use edgebench_devices::telemetry::{Sampler, Sources, TelemetrySnapshot};
use edgebench_reports::record::RecordKind;
use edgebench_reports::sustained::{SustainedRun, SustainedSettings};
use edgebench_reports::{Record, Status};

pub use windows::{Event, WindowSpec};

use crate::measure::Samples;
use crate::model::ResolvedModel;
use crate::plan::{Case, Group};
use crate::record::{base_record, failed_record, metrics};
use crate::{prompt, session};

/// A hottest sensor within this many °C of its start temperature counts as
/// cooled down (the `--cooldown-watch` recovery time).
const RECOVERED_WITHIN_C: f64 = 1.0;

/// What a sustained run does.
#[derive(Debug, Clone)]
pub struct SustainedConfig {
    /// How long to issue requests, seconds.
    pub duration_s: f64,
    /// How the rate series is cut.
    pub window: WindowSpec,
    /// Idle time between requests, seconds.
    pub gap_s: f64,
    /// Telemetry rate, Hz.
    pub telemetry_hz: f64,
    /// Watch the device cool down afterwards and report the recovery time.
    pub cooldown_watch: bool,
    /// Give up watching after this long, seconds.
    pub cooldown_timeout_s: f64,
    /// Where sysfs is read from ("/" except in tests).
    pub sysfs_root: PathBuf,
}

/// Runs one sustained case: loads the model, issues requests for the
/// duration, and returns the `sustained` record (a failure is a record too).
pub fn run_case(
    host: &HostInfo,
    group: &Group,
    model: &ResolvedModel,
    case: &Case,
    mock: &MockConfig,
    cfg: &SustainedConfig,
) -> Record {
    let mut mock = mock.clone();
    mock.real_time = true;
    let mut session = match session::load(group.backend, model, &group.load, &mock) {
        Ok(s) => s,
        Err(failure) => {
            let reason = failure.to_string();
            let mut r = failed_record(host, group, &model.record, case, failure.status, &reason);
            r.kind = RecordKind::Sustained;
            r.workload.test = test_name(case);
            r.metrics.load_ms = Some(failure.load_ms);
            return r;
        }
    };
    let backend = session.backend.as_mut();
    let mut record = base_record(
        host,
        &backend.describe(),
        group,
        &model.record,
        case,
        SystemTime::now(),
    );
    record.kind = RecordKind::Sustained;
    record.workload.test = test_name(case);
    record.metrics.load_ms = Some(session.load_ms);
    record.thermal_at_start = temperatures_at(&cfg.sysfs_root);
    record.telemetry_at_start = Some(TelemetrySnapshot::take_at(&cfg.sysfs_root));
    if let Err(why) = run_loaded(backend, case, cfg, &mut record) {
        record.status = Status::Failed;
        record.reason = Some(why);
    }
    record.metrics.load_ms = Some(session.load_ms);
    record
}

/// The run on a loaded backend: warm-up, the load under telemetry, the
/// optional cool-down watch, then windows and summary into `record`.
/// Err: why the run could not start (the record is then `failed`).
fn run_loaded(
    backend: &mut dyn Backend,
    case: &Case,
    cfg: &SustainedConfig,
    record: &mut Record,
) -> Result<(), String> {
    backend
        .configure(&case.context)
        .map_err(|e| e.to_string())?;
    let w = &case.workload;
    let (_, prompt) = prompt::workload_tokens(
        w.seed,
        backend.n_vocab(),
        backend.bos_token(),
        0,
        w.n_prompt,
    );
    // One unrecorded request first: first-touch allocations and cold caches
    // are not heat.
    warm_up(backend, &prompt, w.n_gen).map_err(|e| format!("{e} (in the warm-up request)"))?;
    let sources = Sources::discover_at(&cfg.sysfs_root);
    let origin = Instant::now();
    let expected_s = cfg.duration_s
        + if cfg.cooldown_watch {
            cfg.cooldown_timeout_s
        } else {
            0.0
        };
    let sampler =
        Sampler::start(sources, cfg.telemetry_hz, origin, expected_s).map_err(|e| e.to_string())?;
    let mut load = Load::default();
    let outcome = load.generate(backend, &prompt, w.n_gen, cfg, origin);
    let run_end_s = origin.elapsed().as_secs_f64();
    let (recovery_s, recovery_note) = if cfg.cooldown_watch {
        watch_cooldown(&sampler, &record.thermal_at_start, cfg.cooldown_timeout_s)
    } else {
        (None, None)
    };
    let telemetry = sampler.finish();
    record.metrics = metrics(&load.samples, w);
    record.metrics.case_wall_ms = Some(run_end_s * 1e3);
    record.metrics.peak_rss_bytes = edgebench_devices::memory::peak_rss_bytes();
    if let Err(e) = outcome {
        record.status = Status::Failed;
        record.reason = Some(format!(
            "{e} (after {run_end_s:.1} s of {:.0} s; the windows before it are kept)",
            cfg.duration_s
        ));
    }
    let series = windows::windows(
        cfg.window,
        &load.decode,
        &load.prefill,
        run_end_s,
        &telemetry,
    );
    let summary = windows::summarize(
        &series,
        &load.decode,
        &load.prefill,
        cfg.duration_s,
        run_end_s,
        &telemetry,
    );
    let Some(mut summary) = summary else {
        if record.status == Status::Ok {
            record.status = Status::Invalid;
            record.reason = Some(format!(
                "no complete window in {run_end_s:.1} s: lengthen --duration or shorten --window"
            ));
        }
        return Ok(());
    };
    summary.recovery_s = recovery_s;
    summary.recovery_note = recovery_note;
    record.sustained = Some(SustainedRun {
        settings: settings_of(cfg, w.n_prompt, w.n_gen),
        requests: load.requests,
        windows: series,
        summary,
        telemetry,
    });
    Ok(())
}

/// The run's settings as the record states them.
fn settings_of(cfg: &SustainedConfig, n_prompt: u32, n_gen: u32) -> SustainedSettings {
    SustainedSettings {
        duration_s: cfg.duration_s,
        window_s: match cfg.window {
            WindowSpec::Seconds(s) => Some(s),
            WindowSpec::Tokens(_) => None,
        },
        window_tokens: match cfg.window {
            WindowSpec::Tokens(n) => Some(n),
            WindowSpec::Seconds(_) => None,
        },
        gap_s: cfg.gap_s,
        n_prompt,
        n_gen,
        telemetry_hz: cfg.telemetry_hz,
        cooldown_watch: cfg.cooldown_watch,
    }
}

/// "sustained/req128+128".
fn test_name(case: &Case) -> String {
    format!("sustained/{}", case.workload.test_name())
}

/// What the load loop collected.
#[derive(Debug, Default)]
struct Load {
    decode: Vec<Event>,
    prefill: Vec<Event>,
    samples: Samples,
    requests: u32,
}

impl Load {
    /// Issues requests until the duration is over (stopping mid-request at
    /// the deadline); only completed requests enter the per-request metrics.
    fn generate(
        &mut self,
        backend: &mut dyn Backend,
        prompt: &[u32],
        n_gen: u32,
        cfg: &SustainedConfig,
        origin: Instant,
    ) -> Result<(), edgebench_backends::BackendError> {
        let deadline = origin + Duration::from_secs_f64(cfg.duration_s);
        let since = |t: Instant| t.saturating_duration_since(origin).as_secs_f64();
        let mut steps: Vec<u64> = Vec::with_capacity(n_gen as usize);
        while Instant::now() < deadline {
            backend.clear()?;
            let t0 = Instant::now();
            backend.prefill(prompt, 0)?;
            backend.synchronize();
            let t1 = Instant::now();
            let prefill_ns = (t1 - t0).as_nanos() as u64;
            self.prefill.push(Event {
                end_s: since(t1),
                busy_s: (t1 - t0).as_secs_f64(),
                tokens: prompt.len() as u32,
            });
            let mut token = backend.next_token()?;
            steps.clear();
            let mut complete = true;
            for i in 1..n_gen {
                if Instant::now() >= deadline {
                    complete = false;
                    break;
                }
                let s0 = Instant::now();
                backend.decode(token, prompt.len() as u32 + i - 1)?;
                backend.synchronize();
                let s1 = Instant::now();
                steps.push((s1 - s0).as_nanos() as u64);
                self.decode.push(Event {
                    end_s: since(s1),
                    busy_s: (s1 - s0).as_secs_f64(),
                    tokens: 1,
                });
                token = backend.next_token()?;
            }
            if complete {
                self.requests += 1;
                self.samples.prefill_ns.push(prefill_ns);
                if !steps.is_empty() {
                    self.samples.decode_ns.push(steps.iter().sum());
                }
                self.samples.step_ns.extend_from_slice(&steps);
                self.samples.tokens.push(n_gen);
            }
            if cfg.gap_s > 0.0 {
                let left = deadline.saturating_duration_since(Instant::now());
                std::thread::sleep(Duration::from_secs_f64(cfg.gap_s).min(left));
            }
        }
        Ok(())
    }
}

fn warm_up(
    backend: &mut dyn Backend,
    prompt: &[u32],
    n_gen: u32,
) -> Result<(), edgebench_backends::BackendError> {
    backend.clear()?;
    backend.prefill(prompt, 0)?;
    let mut token = backend.next_token()?;
    for i in 1..n_gen {
        backend.decode(token, prompt.len() as u32 + i - 1)?;
        token = backend.next_token()?;
    }
    backend.synchronize();
    Ok(())
}

/// Waits until the hottest sensor is back within 1 °C of its start
/// temperature; returns the seconds it took, or why there is no figure.
fn watch_cooldown(
    sampler: &Sampler,
    at_start: &[TemperatureReading],
    timeout_s: f64,
) -> (Option<f64>, Option<String>) {
    let Some(start) = at_start.iter().map(|t| t.temp_c).reduce(f64::max) else {
        return (
            None,
            Some("no temperature sensor on this machine: nothing to watch cool down".into()),
        );
    };
    let t0 = Instant::now();
    loop {
        if let Some(now) = sampler.hottest_c()
            && now <= start + RECOVERED_WITHIN_C
        {
            return (Some(t0.elapsed().as_secs_f64()), None);
        }
        if t0.elapsed().as_secs_f64() >= timeout_s {
            return (
                None,
                Some(format!(
                    "still above {:.1} °C (start {start:.1} °C + {RECOVERED_WITHIN_C} °C) after \
                     the {timeout_s:.0} s cool-down timeout",
                    start + RECOVERED_WITHIN_C
                )),
            );
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}
