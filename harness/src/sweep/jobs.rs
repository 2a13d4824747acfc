//! What a sweep hands its children: the worker job of a model group, the
//! load flags of a `sustained` or `conform` child, and the record of a case
//! decided without a worker's word (crash, timeout, unavailable).
use edgebench_backends::{BackendKind, LoadSettings, OnnxLoadSettings};
use edgebench_devices::HostInfo;
use edgebench_devices::profile::Profile;
use edgebench_reports::record::{DeviceRef, ModelInfo};
use edgebench_reports::{Record, Status};

use super::plan::SweepGroup;
use super::protocol::{Job, JobCase};
use crate::plan::{Group, ModelSource};
use crate::preflight::Policy;
use crate::record::failed_record;
use crate::roofline::DeviceFigures;

/// The worker job of a group: its model, backend and the cases to run.
pub fn job_for(
    profile: &Profile,
    mock_spec: &str,
    group: &SweepGroup,
    device: &DeviceRef,
    device_figures: &DeviceFigures,
    cases: Vec<JobCase>,
    policy: Policy,
) -> Job {
    Job {
        model_path: group
            .model
            .as_ref()
            .map(|m| m.path.display().to_string())
            .unwrap_or_default(),
        model: group
            .model
            .as_ref()
            .map(|m| m.record.clone())
            .unwrap_or_else(|| placeholder_model(group)),
        backend: group.backend.id().to_string(),
        n_gpu_layers: profile.matrix.n_gpu_layers,
        onnx: profile_onnx_settings(profile, group.backend),
        mock_spec: mock_spec.to_string(),
        device: Some(device.clone()),
        device_figures: device_figures.clone(),
        cases,
        cooldown: profile.matrix.cooldown,
        policy: policy_of(profile, policy),
    }
}

/// What may run past the memory pre-flight: the sweep's flags or the
/// profile's `[matrix] force` / `allow_long_context`.
pub fn policy_of(profile: &Profile, flags: Policy) -> Policy {
    Policy {
        force: flags.force || profile.matrix.force,
        allow_long_context: flags.allow_long_context || profile.matrix.allow_long_context,
    }
}

/// The command-line flags of a child process (`sustained`) for `policy`.
pub fn policy_flags(policy: Policy) -> Vec<&'static str> {
    let mut out = vec![];
    if policy.force {
        out.push("--force");
    }
    if policy.allow_long_context {
        out.push("--allow-long-context");
    }
    out
}

/// The model section for a group whose model could not be resolved.
fn placeholder_model(group: &SweepGroup) -> ModelInfo {
    ModelInfo {
        id: Some(group.model_id.clone()),
        path: String::new(),
        sha256: String::new(),
        size_bytes: 0,
        n_params: 0,
        quant: String::new(),
        arch: String::new(),
        n_layers: None,
        n_vocab: None,
        n_ctx_train: None,
        synthetic: None,
    }
}

/// A record for a case the supervisor decided (crash, timeout, unavailable...).
pub fn decided_record(
    host: &HostInfo,
    device: &DeviceRef,
    group: &SweepGroup,
    job: &Job,
    case: &JobCase,
    status: Status,
    reason: &str,
) -> Record {
    let plan_group = Group {
        model: ModelSource::File(job.model_path.clone().into()),
        backend: group.backend,
        load: LoadSettings {
            n_gpu_layers: job.n_gpu_layers,
            ..Default::default()
        },
    };
    let mut r = failed_record(host, &plan_group, &job.model, &case.case(), status, reason);
    r.device = Some(device.clone());
    r
}

/// The command-line flags that give a child process (`sustained`,
/// `conform`) the load settings the matrix's workers get: `--ngl` and, for
/// onnx backends, the profile's `[onnx]` options.
pub fn load_flags(profile: &Profile, backend: BackendKind) -> Vec<String> {
    let mut out = vec![];
    if let Some(n) = profile.matrix.n_gpu_layers {
        out.extend(["--ngl".to_string(), n.to_string()]);
    }
    if backend.runs_onnx() {
        let s = profile_onnx_settings(profile, backend);
        for (k, v) in s.ep_options {
            out.extend(["--ep-option".to_string(), format!("{k}={v}")]);
        }
        if let Some(g) = s.graph_optimization {
            out.extend(["--graph-opt".to_string(), g.id().to_string()]);
        }
    }
    out
}

/// The ONNX Runtime settings a group of `backend` gets from the profile's
/// `[onnx]` section (the provider's own options only).
fn profile_onnx_settings(profile: &Profile, backend: BackendKind) -> OnnxLoadSettings {
    let BackendKind::Onnx(ep) = backend else {
        return OnnxLoadSettings::default();
    };
    OnnxLoadSettings {
        ep_options: profile
            .onnx
            .ep_options
            .get(ep.id())
            .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
            .unwrap_or_default(),
        threads: None,
        graph_optimization: profile
            .onnx
            .graph_optimization
            .as_deref()
            .and_then(|g| g.parse().ok()),
    }
}
