//! The worker side of a sweep: `edgebench worker` (hidden) reads a job on
//! stdin, runs its model group in this process and reports each case as a
//! JSON line on stdout. If it crashes, hangs or runs out of memory, only
//! this process dies; the supervisor records why and carries on.
use std::io::{BufRead, Write};
use std::path::PathBuf;

use anyhow::{Context, Result, anyhow};
use edgebench_backends::{BackendKind, LoadSettings};
use edgebench_devices::HostInfo;

use crate::execute::{GroupRun, run_group};
use crate::model::ResolvedModel;
use crate::plan::{Case, Group, ModelSource};
use crate::sweep::protocol::{Event, Job, JobCase};
use crate::{cooldown, session};

/// Reads a job from stdin, runs it, writes events to stdout. Returns the
/// process exit code.
pub fn worker() -> Result<i32> {
    let mut text = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut text)
        .context("worker: reading the job from stdin")?;
    let job: Job = serde_json::from_str(&text).context("worker: malformed job")?;
    let backend: BackendKind = job.backend.parse().map_err(|e| anyhow!("{e}"))?;
    if let Some(first) = job.cases.first() {
        session::prepare_process(&[backend], first.threads);
    }
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let mut emit = |e: &Event| -> Result<()> {
        serde_json::to_writer(&mut out, e)?;
        out.write_all(b"\n")?;
        out.flush()?;
        Ok(())
    };
    emit(&Event::Loading)?;

    let path = PathBuf::from(&job.model_path);
    let model = ResolvedModel::from_checked(path.clone(), job.model.clone())?;
    let group = Group {
        model: ModelSource::File(path),
        backend,
        load: LoadSettings {
            n_gpu_layers: job.n_gpu_layers,
            onnx: edgebench_backends::OnnxLoadSettings {
                threads: job.cases.first().map(|c| c.threads),
                ..job.onnx.clone()
            },
        },
    };
    let cases: Vec<Case> = job.cases.iter().map(JobCase::case).collect();
    let mock = job.mock_spec.parse().map_err(|e| anyhow!("{e}"))?;
    let host = HostInfo::probe();
    let run = GroupRun {
        host: &host,
        group: &group,
        model: &model,
        cases: &cases,
        mock: &mock,
        device: &job.device_figures,
        policy: job.policy,
        origin: crate::preflight::Origin::Profile,
    };
    let keys: Vec<&str> = job.cases.iter().map(|c| c.key.as_str()).collect();
    let emit = std::cell::RefCell::new(emit);
    let root = edgebench_devices::telemetry::sysfs_root();
    let cooled = std::cell::RefCell::new(vec![None; keys.len()]);
    run_group(
        &run,
        |i| {
            if let Some(cd) = &job.cooldown {
                let _ = (emit.borrow_mut())(&Event::Cooling {
                    key: keys[i].to_string(),
                });
                cooled.borrow_mut()[i] = Some(cooldown::wait(&root, cd));
            }
            let _ = (emit.borrow_mut())(&Event::Start {
                key: keys[i].to_string(),
            });
        },
        |i, mut record| {
            record.device = job.device.clone();
            if let (Some(cd), Some(outcome)) = (&job.cooldown, &cooled.borrow()[i]) {
                cooldown::apply(&mut record, outcome, cd);
            }
            (emit.borrow_mut())(&Event::Record {
                key: keys[i].to_string(),
                record: Box::new(record),
            })
        },
    )?;
    (emit.borrow_mut())(&Event::Done)?;
    Ok(0)
}
