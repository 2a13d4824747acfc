//! Turns a parsed profile into a [`Profile`]: `[device]` and `[[model]]`
//! are checked here, the other sections in their own files; every problem
//! is collected and reported together.
use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use super::checker::Checker;
use super::error::ProfileError;
use super::raw::{RawArtifact, RawDevice, RawModel, RawProfile, RawSynth, S};
use super::types::{Artifact, ArtifactFormat, Device, DeviceClass, ModelEntry, SynthRef};
use super::{PEAK_PRECISIONS, Profile, SYNTH_PRESETS, SYNTH_QUANTS, matrix, slos, sustained_cost};

/// Turns `raw` into a [`Profile`] or reports every problem in it.
pub(crate) fn check(
    raw: RawProfile,
    text: &str,
    origin: &str,
    base_dir: &Path,
) -> Result<Profile, ProfileError> {
    let mut c = Checker::new(origin, text);
    let device = device(&mut c, raw.device);
    let models = models(&mut c, raw.model, base_dir);
    let matrix = matrix::check(&mut c, raw.matrix);
    let slos = slos::slos(&mut c, raw.slo, &models, matrix.as_ref());
    let sustained = raw
        .sustained
        .map(|s| sustained_cost::sustained(&mut c, s, &models, matrix.as_ref()));
    let load = raw
        .load
        .map(|l| super::load::load(&mut c, l, &models, matrix.as_ref(), &slos, base_dir));
    let onnx = raw.onnx.map(|o| onnx(&mut c, o)).unwrap_or_default();
    let price = device.as_ref().and_then(|d| d.price_usd);
    let cost = raw
        .cost
        .and_then(|s| sustained_cost::cost(&mut c, s, price));
    c.finish()?;
    match (device, matrix) {
        (Some(device), Some(matrix)) => Ok(Profile {
            origin: origin.to_owned(),
            device,
            models,
            matrix,
            slos,
            sustained,
            load,
            cost,
            onnx,
        }),
        // Unreachable in practice: a missing section is always a problem.
        _ => Err(ProfileError::Invalid {
            origin: origin.to_owned(),
            problems: vec![format!(
                "{origin}: the profile needs [device] and [matrix] tables"
            )],
        }),
    }
}

/// The execution providers `[onnx.ep_options.<ep>]` may name.
pub const ONNX_EPS: [&str; 8] = [
    "cpu", "cuda", "tensorrt", "qnn", "coreml", "xnnpack", "openvino", "directml",
];

fn onnx(c: &mut Checker, raw: S<super::raw::RawOnnx>) -> super::OnnxSettings {
    let raw = raw.into_inner();
    let mut out = super::OnnxSettings::default();
    if let Some(g) = raw.graph_optimization {
        let v = g.get_ref().to_ascii_lowercase();
        if ["disable", "basic", "extended", "all"].contains(&v.as_str()) {
            out.graph_optimization = Some(v);
        } else {
            c.add(
                Some(g.span()),
                "onnx.graph_optimization",
                format!(
                    "'{}' is not a level; use disable, basic, extended or all",
                    g.get_ref()
                ),
            );
        }
    }
    for (ep, opts) in raw.ep_options {
        let key = format!("onnx.ep_options.{}", ep.get_ref());
        if !ONNX_EPS.contains(&ep.get_ref().as_str()) {
            c.add(
                Some(ep.span()),
                &key,
                format!(
                    "unknown execution provider; use one of {}",
                    ONNX_EPS.join(", ")
                ),
            );
            continue;
        }
        let mut m = BTreeMap::new();
        for (k, v) in opts {
            let text = match v.get_ref() {
                toml::Value::String(s) => s.clone(),
                toml::Value::Integer(i) => i.to_string(),
                toml::Value::Float(f) => f.to_string(),
                toml::Value::Boolean(b) => if *b { "1" } else { "0" }.to_string(),
                _ => {
                    c.add(
                        Some(v.span()),
                        &format!("{key}.{}", k.get_ref()),
                        "must be a string, number or boolean",
                    );
                    continue;
                }
            };
            m.insert(k.into_inner(), text);
        }
        out.ep_options.insert(ep.into_inner(), m);
    }
    out
}

fn device(c: &mut Checker, raw: Option<S<RawDevice>>) -> Option<Device> {
    let Some(raw) = raw else {
        c.add(
            None,
            "[device]",
            "missing; add a [device] table with at least `name` and `class`",
        );
        return None;
    };
    let span = raw.span();
    let d = raw.into_inner();
    let name_v = c.require(
        d.name,
        &span,
        "device.name",
        "the device's name, e.g. name = \"Raspberry Pi 5 8GB\"",
    );
    let name = name_v.and_then(|v| {
        if v.get_ref().trim().is_empty() {
            c.add(
                Some(v.span()),
                "device.name",
                "is empty; give the device's name",
            );
            return None;
        }
        Some(v.into_inner())
    });
    let class = c
        .require(
            d.class,
            &span,
            "device.class",
            "the device's class, e.g. class = \"sbc\"",
        )
        .and_then(|v| {
            let parsed = DeviceClass::parse(v.get_ref());
            if parsed.is_none() {
                let allowed: Vec<&str> = DeviceClass::ALL.iter().map(|c| c.as_str()).collect();
                c.add(
                    Some(v.span()),
                    "device.class",
                    format!(
                        "`{}` is not a device class; allowed: {}",
                        v.get_ref(),
                        allowed.join(", ")
                    ),
                );
            }
            parsed
        });
    let cpu = c.text(d.cpu, "device.cpu");
    let soc = c.text(d.soc, "device.soc");
    let memory_gb = c.number(d.memory_gb, "device.memory_gb", false);
    let mem_bandwidth_gbs = c.number(d.mem_bandwidth_gbs, "device.mem_bandwidth_gbs", false);
    let mut peak_tflops = std::collections::BTreeMap::new();
    for (k, v) in d.peak_tflops {
        let key = format!("device.peak_tflops.{}", k.get_ref());
        if !PEAK_PRECISIONS.contains(&k.get_ref().as_str()) {
            c.add(
                Some(k.span()),
                &key,
                format!(
                    "`{}` is not a precision; allowed: {}",
                    k.get_ref(),
                    PEAK_PRECISIONS.join(", ")
                ),
            );
        }
        if let Some(x) = c.number(Some(v), &key, false) {
            peak_tflops.insert(k.into_inner(), x);
        }
    }
    let tdp_w = c.number(d.tdp_w, "device.tdp_w", false);
    let price_usd = c.number(d.price_usd, "device.price_usd", true);
    let power_mode = c.text(d.power_mode, "device.power_mode");
    let notes = c.text(d.notes, "device.notes");
    Some(Device {
        name: name?,
        class: class?,
        cpu,
        soc,
        memory_gb,
        mem_bandwidth_gbs,
        peak_tflops,
        tdp_w,
        price_usd,
        power_mode,
        notes,
    })
}

fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id
            .chars()
            .all(|ch| ch.is_ascii_alphanumeric() || matches!(ch, '.' | '_' | '-'))
}

fn models(c: &mut Checker, raw: Vec<S<RawModel>>, base_dir: &Path) -> Vec<ModelEntry> {
    if raw.is_empty() {
        c.add(
            None,
            "[[model]]",
            "none given; add at least one, e.g. [[model]] with id = \"tiny\" and synth = { preset = \"tiny\", quant = \"q4_0\" }",
        );
    }
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut out = Vec::new();
    for (i, m) in raw.into_iter().enumerate() {
        let span = m.span();
        let m = m.into_inner();
        let key = format!("model[{i}]");
        let id = c
            .require(
                m.id,
                &span,
                &format!("{key}.id"),
                "an id, e.g. id = \"llama-3.2-1b\"",
            )
            .and_then(|v| {
                let k = format!("{key}.id");
                if !valid_id(v.get_ref()) {
                    c.add(
                        Some(v.span()),
                        &k,
                        format!(
                            "`{}` is not a usable id; use letters, digits, `.`, `_` and `-` only",
                            v.get_ref()
                        ),
                    );
                    return None;
                }
                if let Some(first) = seen.get(v.get_ref()) {
                    c.add(
                        Some(v.span()),
                        &k,
                        format!(
                            "`{}` is already the id of model[{first}]; ids must be unique",
                            v.get_ref()
                        ),
                    );
                    return None;
                }
                seen.insert(v.get_ref().clone(), i);
                Some(v.into_inner())
            });
        // "Neither" and "both" are about what is written, valid or not.
        let has_files = m.gguf.is_some() || m.onnx.is_some();
        let has_synth = m.synth.is_some();
        if has_files && has_synth {
            c.add(
                Some(span.clone()),
                &key,
                "has both model files and `synth`; give one or the other (make two [[model]] entries to run both)",
            );
        }
        if !has_files && !has_synth {
            c.add(
                Some(span),
                &key,
                "has no model: add a file (gguf = \"path\", onnx = \"path\") or synth = { preset = \"tiny\", quant = \"q4_0\" }",
            );
        }
        let mut artifacts = Vec::new();
        for (format, a) in [
            (ArtifactFormat::Gguf, m.gguf),
            (ArtifactFormat::Onnx, m.onnx),
        ] {
            if let Some(a) = a {
                let k = format!("{key}.{format}");
                if let Some(a) = artifact(c, a, format, &k, base_dir) {
                    artifacts.push(a);
                }
            }
        }
        let synth = m.synth.and_then(|s| synth(c, s, &format!("{key}.synth")));
        let reference =
            m.reference
                .and_then(|r| match super::paths::resolve(base_dir, r.get_ref()) {
                    Ok(p) => Some(p),
                    Err(e) => {
                        c.add(Some(r.span()), &format!("{key}.reference"), e);
                        None
                    }
                });
        if let Some(id) = id {
            out.push(ModelEntry {
                id,
                artifacts,
                synth,
                reference,
            });
        }
    }
    out
}

fn artifact(
    c: &mut Checker,
    raw: S<RawArtifact>,
    format: ArtifactFormat,
    key: &str,
    base_dir: &Path,
) -> Option<Artifact> {
    let span = raw.span();
    let a = raw.into_inner();
    let Some(written) = a.path else {
        c.add(
            Some(span),
            &format!("{key}.path"),
            format!("missing; add path = \"models/model.{format}\""),
        );
        return None;
    };
    let path_span = a.path_span.unwrap_or(span);
    let sha256 = a.sha256.and_then(|s| {
        let v = s.get_ref().trim();
        if v.len() == 64 && v.chars().all(|ch| ch.is_ascii_hexdigit()) {
            Some(v.to_ascii_lowercase())
        } else {
            c.add(
                Some(s.span()),
                &format!("{key}.sha256"),
                format!(
                    "`{v}` is not a sha256 ({} characters); a pin is 64 hex digits, as `sha256sum FILE` prints",
                    v.chars().count()
                ),
            );
            None
        }
    });
    match super::paths::resolve(base_dir, &written) {
        Ok(path) => Some(Artifact {
            format,
            path,
            sha256,
        }),
        Err(e) => {
            c.add(Some(path_span), key, e);
            None
        }
    }
}

fn synth(c: &mut Checker, raw: S<RawSynth>, key: &str) -> Option<SynthRef> {
    let span = raw.span();
    let s = raw.into_inner();
    let mut pick = |v: Option<S<String>>, name: &str, allowed: &[&str]| {
        let k = format!("{key}.{name}");
        let v = c.require(v, &span, &k, &format!("{name} = \"{}\"", allowed[0]))?;
        if allowed.contains(&v.get_ref().as_str()) {
            Some(v.into_inner())
        } else {
            c.add(
                Some(v.span()),
                &k,
                format!(
                    "`{}` is not a synthetic {name}; allowed: {}",
                    v.get_ref(),
                    allowed.join(", ")
                ),
            );
            None
        }
    };
    let preset = pick(s.preset, "preset", &SYNTH_PRESETS);
    let quant = pick(s.quant, "quant", &SYNTH_QUANTS);
    Some(SynthRef {
        preset: preset?,
        quant: quant?,
        seed: s.seed.unwrap_or(42),
    })
}
