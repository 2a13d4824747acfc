//! `edgebench roofline`: a model's decode ceilings on a device, predicted
//! from its profile's bandwidth without running the model.
use anyhow::{Result, anyhow, bail};
use edgebench_backends::footprint::kv_elem_bytes;
use edgebench_devices::profile::Profile;
use edgebench_reports::roofline::{PredictInputs, default_contexts, predict, render_prediction_md};

use crate::cli::{ProbeFormat, RooflineArgs};
use crate::exit::EXIT_OK;
use crate::flags::{check_read_gbs, existing_model, kv_type_of};
use crate::model::resolve_model;

/// `edgebench roofline`: decode ceilings from the profile's bandwidth alone.
pub fn roofline(args: &RooflineArgs) -> Result<i32> {
    let profile = Profile::load(&args.device).map_err(|e| anyhow!("{e}"))?;
    if profile.device.mem_bandwidth_gbs.is_none() && args.read_gbs.is_none() {
        bail!(
            "--device {}: [device] mem_bandwidth_gbs is not set, and no --read-gbs was given; \
             add the device's theoretical bandwidth to the profile",
            args.device.display()
        );
    }
    check_read_gbs(args.read_gbs)?;
    let source = existing_model(&args.model)?;
    let model = resolve_model(&source)?;
    let fp = model.footprint.clone().ok_or_else(|| {
        anyhow!(
            "-m {}: the model file does not give what the roofline needs",
            args.model
        )
    })?;
    let contexts = match &args.context {
        Some(c) => c.0.iter().map(|&x| u64::from(x)).collect(),
        None => default_contexts(fp.n_ctx_train.map(u64::from)),
    };
    let prediction = predict(&PredictInputs {
        model: model
            .record
            .synthetic
            .clone()
            .unwrap_or_else(|| args.model.clone()),
        device: profile.device.name.clone(),
        weight_bytes_per_token: fp.weight_bytes_per_token as f64,
        kv_bytes_per_context_token: fp
            .kv_bytes_per_token_of_context(kv_elem_bytes(args.kv_type.map(kv_type_of))),
        contexts,
        measured_read_gbs: args.read_gbs,
        peak_gbs: profile.device.mem_bandwidth_gbs,
    });
    match args.output {
        ProbeFormat::Md => print!("{}", render_prediction_md(&prediction)),
        ProbeFormat::Json => println!("{}", serde_json::to_string_pretty(&prediction)?),
    }
    Ok(EXIT_OK)
}
