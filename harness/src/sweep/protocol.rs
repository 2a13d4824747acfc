//! What a sweep's supervisor and its worker processes say to each other.
//!
//! The supervisor writes one [`Job`] as JSON to the worker's stdin; the
//! worker answers with one JSON [`Event`] per line on stdout. Anything else
//! on stdout is a protocol error; the worker's stderr is kept for crash
//! reports.
use serde::{Deserialize, Serialize};

use edgebench_reports::Record;
use edgebench_reports::record::{DeviceRef, ModelInfo};

/// One model group for a worker: load once, run the cases in order.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Job {
    /// Model file (already resolved, checked and hashed by the supervisor).
    pub model_path: String,
    /// The record's model section, as the supervisor computed it.
    pub model: ModelInfo,
    /// Backend id ("llama.cpp", "mock").
    pub backend: String,
    /// llama.cpp n_gpu_layers.
    pub n_gpu_layers: Option<u32>,
    /// ONNX Runtime session settings (profile `[onnx]`).
    #[serde(default)]
    pub onnx: edgebench_backends::OnnxLoadSettings,
    /// Mock backend spec (tests).
    pub mock_spec: String,
    /// The device profile, for the records.
    pub device: Option<DeviceRef>,
    /// The device's measured and published limits, for the roofline.
    pub device_figures: crate::roofline::DeviceFigures,
    /// Cases in run order.
    pub cases: Vec<JobCase>,
    /// Wait for the device to cool before each case (`[matrix] cooldown`).
    #[serde(default)]
    pub cooldown: Option<edgebench_devices::profile::Cooldown>,
    /// What may run past the memory pre-flight (`[matrix] force`,
    /// `allow_long_context`, sweep `--force`, `--allow-long-context`).
    #[serde(default)]
    pub policy: crate::preflight::Policy,
}

/// One case of a job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobCase {
    /// The case's key in the sweep (also its result file name).
    pub key: String,
    /// Threads.
    pub threads: u32,
    /// Prompt tokens.
    pub n_prompt: u32,
    /// Generated tokens.
    pub n_gen: u32,
    /// Depth.
    pub n_depth: u32,
    /// Repetitions.
    pub reps: u32,
    /// Warm-ups.
    pub warmup: u32,
    /// Batch.
    pub batch: u32,
    /// Micro-batch.
    pub ubatch: u32,
    /// Prompt seed.
    pub seed: u64,
}

impl JobCase {
    /// The case's workload (what is timed).
    pub fn workload(&self) -> crate::plan::Workload {
        crate::plan::Workload {
            shape: edgebench_reports::record::TestShape::Request,
            n_prompt: self.n_prompt,
            n_gen: self.n_gen,
            n_depth: self.n_depth,
            reps: self.reps,
            warmup: self.warmup,
            seed: self.seed,
        }
    }

    /// The plan case the worker runs (group 0: a job is one group).
    pub fn case(&self) -> crate::plan::Case {
        crate::plan::Case {
            group: 0,
            context: edgebench_backends::ContextSettings {
                n_ctx: self.n_depth + self.n_prompt + self.n_gen,
                threads: self.threads,
                batch: self.batch,
                ubatch: self.ubatch,
                flash_attn: None,
                kv_type: None,
            },
            workload: self.workload(),
        }
    }
}

/// A line from the worker.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    /// The worker read its job and is loading the model.
    Loading,
    /// The worker waits for the device to cool before case `key` (the
    /// supervisor allows the cool-down timeout on top of the case's).
    Cooling {
        /// Case key.
        key: String,
    },
    /// Case `key` starts now (its timeout starts here).
    Start {
        /// Case key.
        key: String,
    },
    /// Case `key` finished with this record.
    Record {
        /// Case key.
        key: String,
        /// The record.
        record: Box<Record>,
    },
    /// All cases done; the worker exits 0 next.
    Done,
}
