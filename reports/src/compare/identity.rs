//! What makes two records "the same case": device, model bytes, backend,
//! execution provider and workload. Paths, hosts' names and timestamps are
//! deliberately not part of it, so a baseline from last week matches.
use serde::{Deserialize, Serialize};

use crate::record::{DeviceRef, Record, Status};
use edgebench_devices::HostInfo;

/// The identity of a case across runs.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct CaseKey {
    /// The device profile's name (with `@power_mode` when it has one), or
    /// `host:<board, cpu or hostname>` for records made outside a sweep.
    pub device: String,
    /// The model file's sha256 (models compare by bytes, not by path).
    pub model_sha256: String,
    /// The backend id, e.g. `llama.cpp`.
    pub backend: String,
    /// The execution provider actually used, where the backend has one.
    pub execution_provider: Option<String>,
    /// The workload's settings that change the figures: test name, threads,
    /// batch, micro-batch, GPU layers, context size.
    pub workload: String,
}

/// The device results belong to: the profile's `[device] name` (with
/// `@power_mode` when it has one), or `host:<board, cpu or hostname>` for
/// results made outside a sweep.
pub fn device_key(device: Option<&DeviceRef>, host: &HostInfo) -> String {
    match device {
        Some(d) => match &d.power_mode {
            Some(mode) => format!("{}@{mode}", d.name),
            None => d.name.clone(),
        },
        None => {
            let name = host
                .board
                .clone()
                .or_else(|| host.cpu_model.clone())
                .or_else(|| host.hostname.clone())
                .unwrap_or_else(|| host.arch.clone());
            format!("host:{name}")
        }
    }
}

impl CaseKey {
    /// The key of `record`.
    pub fn of(record: &Record) -> CaseKey {
        let device = device_key(record.device.as_ref(), &record.host);
        let w = &record.workload;
        let ngl = w
            .n_gpu_layers
            .map_or_else(String::new, |n| format!(" ngl={n}"));
        CaseKey {
            device,
            model_sha256: record.model.sha256.clone(),
            backend: record.backend.id.clone(),
            execution_provider: record.backend.execution_provider.clone(),
            workload: format!(
                "{} t={} b={} ub={}{ngl} ctx={}",
                w.test, w.threads, w.batch, w.ubatch, w.n_ctx
            ),
        }
    }

    /// One line for tables: `device / model (sha) / backend[:ep] / workload`,
    /// the model shortened to the first 12 hex digits of its sha256.
    pub fn label(&self, model_label: &str) -> String {
        let sha: String = self.model_sha256.chars().take(12).collect();
        let backend = match &self.execution_provider {
            Some(ep) => format!("{}:{ep}", self.backend),
            None => self.backend.clone(),
        };
        format!(
            "{} / {model_label} ({sha}) / {backend} / {}",
            self.device, self.workload
        )
    }
}

/// Why a record cannot be compared, or None when it can: a status other
/// than ok (with the record's own reason), or a start above `max_start_temp_c`.
pub fn exclusion(record: &Record, max_start_temp_c: Option<f64>) -> Option<String> {
    if record.status != Status::Ok {
        let why = record.reason.as_deref().unwrap_or("no reason recorded");
        return Some(format!("{}: {why}", record.status.as_str()));
    }
    let limit = max_start_temp_c?;
    let hot = record
        .thermal_at_start
        .iter()
        .max_by(|a, b| a.temp_c.total_cmp(&b.temp_c))?;
    (hot.temp_c > limit).then(|| {
        format!(
            "hot start: {:.1} °C ({}) above --max-start-temp-c {limit}",
            hot.temp_c, hot.sensor
        )
    })
}
