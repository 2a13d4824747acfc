//! ONNX Runtime (real, CPU provider) through the CLI on the synthetic twins:
//! `run` records, `conform` against llama.cpp and cpu at every quant of the
//! tiny preset, a perturbed twin failing conformance, and ONNX files that
//! must be refused before or at load with messages naming what is wrong.
//! Needs libonnxruntime at run time (scripts/setup.sh installs it).
#![cfg(all(feature = "onnx", feature = "llama", feature = "cpu"))]
mod common;

use std::path::{Path, PathBuf};

use common::edgebench;
use edgebench_formats::onnx_model::proto::{ModelProto, StringStringEntryProto};
use prost::Message;
use serde_json::Value;

/// Writes the tiny twin (GGUF and ONNX) of `quant` into `dir`.
fn twins(dir: &Path, quant: &str) -> (PathBuf, PathBuf) {
    let gguf = dir.join(format!("tiny-{quant}.gguf"));
    edgebench(dir)
        .args([
            "synth", "--preset", "tiny", "--quant", quant, "--format", "both",
        ])
        .arg("--out")
        .arg(&gguf)
        .assert()
        .success();
    let onnx = gguf.with_extension("onnx");
    assert!(onnx.is_file());
    assert!(dir.join(format!("tiny-{quant}.onnx.data")).is_file());
    (gguf, onnx)
}

fn conform(dir: &Path, models: &[&Path], backends: &str) -> (i32, Value, String) {
    let out = dir.join("conform.json");
    let _ = std::fs::remove_file(&out);
    let o = edgebench(dir)
        .arg("conform")
        .args(models)
        .args(["-b", backends, "-t", "2", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&o.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&o.stderr).into_owned();
    let v = std::fs::read(&out)
        .map(|b| serde_json::from_slice(&b).unwrap())
        .unwrap_or(Value::Null);
    (o.status.code().unwrap(), v, stdout + &stderr)
}

#[test]
fn twins_conform_with_llama_cpp_and_cpu_at_every_quant() {
    let dir = tempfile::tempdir().unwrap();
    for quant in [
        "q4_0", "q8_0", "q4_1", "q5_0", "q4_k_m", "q4_k_s", "q5_k_m", "q6_k", "f16", "bf16", "f32",
    ] {
        let (gguf, onnx) = twins(dir.path(), quant);
        let (code, v, text) = conform(dir.path(), &[&gguf, &onnx, &gguf], "llama.cpp,onnx:cpu,cpu");
        assert_eq!(code, 0, "{quant}: {text}");
        assert_eq!(v["kind"], "conformance");
        assert_eq!(v["pass"], true);
        let pairs = v["pairs"].as_array().unwrap();
        assert_eq!(pairs.len(), 2);
        assert_eq!(pairs[0]["b"]["backend"], "onnx:cpu");
        assert_eq!(pairs[0]["b"]["execution_provider"], "CPUExecutionProvider");
        assert_eq!(pairs[1]["b"]["backend"], "cpu");
        for p in pairs {
            // 40 tokens, 8 of them prefilled: 33 positions compared.
            assert_eq!(p["positions"].as_array().unwrap().len(), 33);
            let class = if quant.starts_with('f') || quant == "bf16" {
                "float"
            } else {
                "quantised"
            };
            assert_eq!(p["tolerance"]["class"], class, "{quant}");
            assert!(p["min_cosine"].as_f64().unwrap() > 0.999, "{quant}: {p}");
        }
        assert!(text.contains("PASS"), "{text}");
    }
}

#[test]
fn a_perturbed_twin_fails_conformance() {
    let dir = tempfile::tempdir().unwrap();
    let (gguf, onnx) = twins(dir.path(), "q8_0");
    // Overwrite the last quarter of the weights (the later layers' blobs and
    // scales) with another pattern: the graph still loads and runs.
    let data = dir.path().join("tiny-q8_0.onnx.data");
    let mut bytes = std::fs::read(&data).unwrap();
    let n = bytes.len();
    for (i, b) in bytes[n * 3 / 4..].iter_mut().enumerate() {
        *b = (i % 7) as u8 + 0x30;
    }
    std::fs::write(&data, bytes).unwrap();
    let (code, v, text) = conform(dir.path(), &[&gguf, &onnx], "llama.cpp,onnx:cpu");
    assert_eq!(code, 1, "{text}");
    assert_eq!(v["pass"], false);
    assert!(!v["pairs"][0]["failures"].as_array().unwrap().is_empty());
    assert!(text.contains("FAIL"), "{text}");
}

#[test]
fn run_on_onnx_cpu_writes_a_full_record() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("r.json");
    edgebench(dir.path())
        .args([
            "run",
            "-q",
            "--shape",
            "request",
            "-b",
            "onnx:cpu,llama.cpp",
            "-m",
            "synth:tiny-q4_0",
        ])
        .args([
            "-t", "2", "-p", "32", "-n", "8", "-r", "2", "-o", "json", "--out",
        ])
        .arg(&out)
        .assert()
        .success();
    let v: Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    let r = &v[0];
    assert_eq!(r["status"], "ok", "{}", r["reason"]);
    assert_eq!(r["backend"]["id"], "onnx:cpu");
    assert_eq!(r["backend"]["execution_provider"], "CPUExecutionProvider");
    let version = r["backend"]["version"].as_str().unwrap();
    assert!(version.starts_with("onnxruntime 1."), "{version}");
    assert!(r["model"]["path"].as_str().unwrap().ends_with(".onnx"));
    assert_eq!(r["model"]["quant"], v[1]["model"]["quant"]);
    assert_eq!(r["model"]["quant"], "Q4_0");
    assert_eq!(r["model"]["n_vocab"], 2048);
    assert_eq!(r["metrics"]["tokens_generated"], serde_json::json!([8, 8]));
    assert!(r["metrics"]["decode_tps"]["mean"].as_f64().unwrap() > 0.0);
    assert!(r["metrics"]["load_ms"].as_f64().unwrap() > 0.0);
    // The roofline from the graph's initializers: MatMulNBits keeps q4_0's
    // 4-bit values but an f32 scale per block (16 + 4 bytes per 32 weights
    // against ggml's 16 + 2), so the ONNX twin reads 20/18 of the GGUF's
    // weight bytes (the output and layer matrices dominate).
    assert_eq!(v[1]["backend"]["id"], "llama.cpp");
    let w = |r: &Value| r["roofline"]["weight_bytes_per_token"].as_f64().unwrap();
    let ratio = w(r) / w(&v[1]);
    assert!((1.10..1.12).contains(&ratio), "{ratio}");
    // Its KV cache is f32 (the graph's type), llama.cpp's f16.
    let kv = |r: &Value| r["roofline"]["kv_bytes_per_token"].as_f64().unwrap();
    assert!((kv(r) / kv(&v[1]) - 2.0).abs() < 1e-9);
    // Same prompt ids on both engines (same vocabulary and BOS).
    assert_eq!(r["workload"]["seed"], v[1]["workload"]["seed"]);
}

/// Re-encodes the twin's graph after `edit`, as `name` beside it.
fn edited(onnx: &Path, name: &str, edit: impl FnOnce(&mut ModelProto)) -> PathBuf {
    let mut m = ModelProto::decode(&*std::fs::read(onnx).unwrap()).unwrap();
    edit(&mut m);
    let out = onnx.with_file_name(name);
    std::fs::write(&out, m.encode_to_vec()).unwrap();
    out
}

fn run_fails(dir: &Path, model: &Path) -> (i32, String) {
    let o = edgebench(dir)
        .args([
            "run", "-q", "--shape", "request", "-b", "onnx:cpu", "-p", "8", "-n", "2", "-r", "1",
            "-m",
        ])
        .arg(model)
        .args(["-o", "json"])
        .output()
        .unwrap();
    let text =
        String::from_utf8_lossy(&o.stdout).into_owned() + &String::from_utf8_lossy(&o.stderr);
    (o.status.code().unwrap(), text)
}

#[test]
fn broken_graphs_are_refused_with_what_is_wrong() {
    let dir = tempfile::tempdir().unwrap();
    let (_, onnx) = twins(dir.path(), "q4_0");

    let no_present = edited(&onnx, "no-present.onnx", |m| {
        let g = m.graph.as_mut().unwrap();
        g.output.retain(|o| !o.name.starts_with("present."));
    });
    let (code, text) = run_fails(dir.path(), &no_present);
    assert_ne!(code, 0, "{text}");
    assert!(text.contains("present.0.key"), "{text}");

    let wrong_rank = edited(&onnx, "wrong-rank.onnx", |m| {
        let g = m.graph.as_mut().unwrap();
        let ids = g.input.iter_mut().find(|i| i.name == "input_ids").unwrap();
        let shape = ids
            .r#type
            .as_mut()
            .and_then(|t| t.tensor_type.as_mut())
            .and_then(|t| t.shape.as_mut())
            .unwrap();
        let d = shape.dim[0].clone();
        shape.dim.push(d);
    });
    let (code, text) = run_fails(dir.path(), &wrong_rank);
    assert_ne!(code, 0, "{text}");
    assert!(text.contains("input_ids"), "{text}");

    let escaping = edited(&onnx, "escaping.onnx", |m| {
        let g = m.graph.as_mut().unwrap();
        let t = g
            .initializer
            .iter_mut()
            .find(|t| !t.external_data.is_empty())
            .unwrap();
        for e in &mut t.external_data {
            if e.key == "location" {
                *e = StringStringEntryProto {
                    key: "location".into(),
                    value: "../outside.data".into(),
                };
            }
        }
    });
    let (code, text) = run_fails(dir.path(), &escaping);
    assert_eq!(code, 2, "{text}");
    assert!(text.contains("../outside.data"), "{text}");
    assert!(text.contains("escaping.onnx"), "{text}");
}

#[test]
fn conform_refuses_bad_input_with_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let o = edgebench(dir.path())
        .args([
            "conform",
            "synth:tiny-q4_0",
            "synth:tiny-q4_0",
            "-b",
            "llama.cpp",
        ])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(e.contains("one backend per model"), "{e}");
    let o = edgebench(dir.path())
        .args(["conform", "synth:tiny-q4_0", "missing.onnx"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(e.contains("missing.onnx"), "{e}");
    let o = edgebench(dir.path())
        .args([
            "conform",
            "synth:tiny-q4_0",
            "synth:tiny-q4_0",
            "--prefill",
            "0",
        ])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--prefill"));
}

#[test]
fn a_sweep_checks_conformance_of_a_model_run_from_two_formats() {
    let dir = tempfile::tempdir().unwrap();
    let profile = dir.path().join("p.toml");
    std::fs::write(
        &profile,
        r#"
[device]
name = "test box"
class = "desktop"
[[model]]
id = "tiny"
synth = { preset = "tiny", quant = "q8_0" }
[matrix]
backends = ["llama.cpp", "onnx:cpu", "onnx:cuda"]
threads = [2]
n_prompt = [16]
n_gen = [4]
reps = 1
warmup = 0
bandwidth = false
[onnx]
graph_optimization = "all"
"#,
    )
    .unwrap();
    let out = dir.path().join("out");
    let sweep = || {
        edgebench(dir.path())
            .args(["sweep", "--device"])
            .arg(&profile)
            .arg("--out")
            .arg(&out)
            .assert()
    };
    sweep().success();
    let v: Value = serde_json::from_slice(&std::fs::read(out.join("sweep.json")).unwrap()).unwrap();
    let statuses: Vec<&str> = v["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["status"].as_str().unwrap())
        .collect();
    // The CPU wheel has no CUDA provider: recorded, not silently run on the CPU.
    assert_eq!(statuses, ["ok", "ok", "ep_unavailable"]);
    let checks = v["conformance"].as_array().unwrap();
    assert_eq!(checks.len(), 1, "{checks:?}");
    let pair = &checks[0]["pairs"][0];
    assert_eq!(pair["a"]["backend"], "llama.cpp");
    assert_eq!(pair["b"]["backend"], "onnx:cpu");
    assert!(pair["a"]["model"].as_str().unwrap().ends_with(".gguf"));
    assert!(pair["b"]["model"].as_str().unwrap().ends_with(".onnx"));
    assert_eq!(checks[0]["pass"], true);
    let file = out.join("conformance-tiny-onnx_cpu.json");
    assert!(file.is_file());
    let md = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(md.contains("on onnx:cpu | quantised | 33 |"), "{md}");
    // A resumed sweep reuses the check instead of running it again.
    let before = std::fs::metadata(&file).unwrap().modified().unwrap();
    edgebench(dir.path())
        .args(["sweep", "--device"])
        .arg(&profile)
        .arg("--out")
        .arg(&out)
        .arg("--resume")
        .assert()
        .success();
    assert_eq!(
        std::fs::metadata(&file).unwrap().modified().unwrap(),
        before
    );
}

/// `sustained` finds a `synth:` model's ONNX twin for an onnx backend, as
/// `run` does (all four commands share one path from model to backend).
#[test]
fn sustained_on_onnx_cpu_runs_the_twin() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("s.json");
    edgebench(dir.path())
        .args(["sustained", "-b", "onnx:cpu", "-m", "synth:tiny-q4_0"])
        .args([
            "-p",
            "8",
            "-n",
            "8",
            "-t",
            "1",
            "--duration",
            "2s",
            "--window",
            "8tok",
        ])
        .arg("--sysfs-root")
        .arg(dir.path())
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
    let r: Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    assert_eq!(r["status"], "ok", "{r}");
    assert_eq!(r["backend"]["id"], "onnx:cpu");
    assert!(
        r["model"]["path"].as_str().unwrap().ends_with(".onnx"),
        "{}",
        r["model"]["path"]
    );
    assert!(r["sustained"]["requests"].as_u64().unwrap() > 0);
}

/// Exports that declare `input_ids`, `attention_mask` and `position_ids`
/// int32 (some onnxruntime-genai builds do) run as they are: the twin
/// writer's int32 variant conforms with llama.cpp.
#[test]
fn an_int32_ids_export_runs_and_conforms() {
    use edgebench_backends::synth::{Preset, Quant, SynthSpec, TwinOptions, write_onnx_with};
    let dir = tempfile::tempdir().unwrap();
    let (gguf, _) = twins(dir.path(), "q4_0");
    let onnx = dir.path().join("tiny-q4_0-int32.onnx");
    let spec = SynthSpec {
        preset: Preset::Tiny,
        quant: Quant::Q4_0,
        seed: 42,
    };
    write_onnx_with(
        &spec,
        &onnx,
        TwinOptions {
            int32_inputs: true,
            ..TwinOptions::default()
        },
    )
    .unwrap();
    let m = ModelProto::decode(std::fs::read(&onnx).unwrap().as_slice()).unwrap();
    let g = m.graph.unwrap();
    let int32 = 6; // TensorProto.DataType.INT32
    for name in ["input_ids", "attention_mask", "position_ids"] {
        let input = g.input.iter().find(|i| i.name == name).unwrap();
        let ty = format!("{:?}", input.r#type);
        assert!(ty.contains(&format!("elem_type: {int32}")), "{name}: {ty}");
    }
    let (code, v, text) = conform(dir.path(), &[&gguf, &onnx], "llama.cpp,onnx:cpu");
    assert_eq!(code, 0, "{text}");
    assert_eq!(v["pass"], true, "{text}");
}

/// QDQ exports (ONNX Runtime's quantizer in QDQ format: a blocked
/// `DequantizeLinear` of int4/int8 weights feeding a `MatMul`) run as they
/// are and conform with llama.cpp, for each quant whose blocks QDQ holds
/// exactly; the graph has no `MatMulNBits` left.
#[test]
fn a_qdq_export_runs_and_conforms() {
    use edgebench_backends::synth::{Preset, Quant, SynthSpec, TwinOptions, write_onnx_with};
    let dir = tempfile::tempdir().unwrap();
    for (quant, q, weight_type) in [
        ("q4_0", Quant::Q4_0, 22), // TensorProto.DataType.INT4
        ("q8_0", Quant::Q8_0, 3),  // INT8
        ("q6_k", Quant::Q6_K, 3),
    ] {
        let (gguf, _) = twins(dir.path(), quant);
        let onnx = dir.path().join(format!("tiny-{quant}-qdq.onnx"));
        let spec = SynthSpec {
            preset: Preset::Tiny,
            quant: q,
            seed: 42,
        };
        write_onnx_with(
            &spec,
            &onnx,
            TwinOptions {
                qdq: true,
                ..TwinOptions::default()
            },
        )
        .unwrap();
        let m = ModelProto::decode(std::fs::read(&onnx).unwrap().as_slice()).unwrap();
        let g = m.graph.unwrap();
        let ops = |op: &str| g.node.iter().filter(|n| n.op_type == op).count();
        assert_eq!(ops("MatMulNBits"), 0, "{quant}");
        assert!(ops("DequantizeLinear") > 0, "{quant}");
        let w = g
            .initializer
            .iter()
            .find(|t| t.name == "blk.0.ffn_down.weight")
            .unwrap();
        assert_eq!(w.data_type, weight_type, "{quant}");
        let (code, v, text) = conform(dir.path(), &[&gguf, &onnx], "llama.cpp,onnx:cpu");
        assert_eq!(code, 0, "{quant}: {text}");
        assert_eq!(v["pass"], true, "{quant}: {text}");
    }
}

/// Static QDQ exports (`quantize_static` in QDQ format, what NPU providers
/// such as QNN run): `synth --onnx-variant qdq-static` calibrates each
/// activation's range on ONNX Runtime and puts a uint8 QuantizeLinear /
/// DequantizeLinear pair before every MatMul. The twin runs; activation
/// rounding costs quality of its own on top of the weights' (measured
/// against the f32 model by `quality`), and ranges a calibration did not
/// measure (an eighth of them, so activations clip) cost far more.
#[test]
fn a_static_qdq_export_is_calibrated_runs_and_costs_measured_quality() {
    use edgebench_backends::synth::{
        Preset, Quant, StaticQdq, SynthSpec, TwinOptions, write_onnx_static_qdq, write_onnx_with,
    };
    let dir = tempfile::tempdir().unwrap();
    let synth_variant = |quant: &str, variant: &str, out: &Path| {
        edgebench(dir.path())
            .args(["synth", "--preset", "tiny", "--quant", quant])
            .args(["--format", "onnx", "--onnx-variant", variant, "--out"])
            .arg(out)
            .output()
            .unwrap()
    };
    let synth = |variant: &str, out: &Path| synth_variant("q4_0", variant, out);
    let synth_q = |quant: &str, out: &Path| synth_variant(quant, "qdq-static", out);
    let weights_only = dir.path().join("qdq.onnx");
    assert!(synth("qdq", &weights_only).status.success());
    let stat = dir.path().join("static.onnx");
    let o = synth("qdq-static", &stat);
    let text = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{text}");
    // 4 per layer (4 layers) and the output's.
    assert!(text.contains("calibrated 17 activation ranges"), "{text}");
    // No calibration leftovers beside it.
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        names.iter().all(|n| !n.contains("calibration")),
        "{names:?}"
    );

    let m = ModelProto::decode(std::fs::read(&stat).unwrap().as_slice()).unwrap();
    let about = m
        .metadata_props
        .iter()
        .find(|p| p.key == "edgebench.synth.twin_activations")
        .map(|p| p.value.clone())
        .unwrap();
    assert!(about.contains("256 seeded ids"), "{about}");
    let g = m.graph.unwrap();
    let ops = |op: &str| g.node.iter().filter(|n| n.op_type == op).count();
    assert_eq!(ops("QuantizeLinear"), 17);
    assert!(g.output.iter().all(|o| !o.name.starts_with("calib.")));
    // Every scale is a real range's: positive, finite, not the 1.0 of an
    // activation calibration never saw.
    for t in g
        .initializer
        .iter()
        .filter(|t| t.name.ends_with("_act_scale"))
    {
        let s = f32::from_le_bytes(t.raw_data[..4].try_into().unwrap());
        assert!(s.is_finite() && s > 0.0 && s < 1.0, "{}: {s}", t.name);
    }

    // The same twin with ranges an eighth of the measured ones.
    let spec = SynthSpec {
        preset: Preset::Tiny,
        quant: Quant::Q4_0,
        seed: 42,
    };
    let calib = dir.path().join("c").join("calib.onnx");
    std::fs::create_dir(calib.parent().unwrap()).unwrap();
    let opts = TwinOptions {
        qdq: true,
        calibration_outputs: true,
        ..TwinOptions::default()
    };
    write_onnx_with(&spec, &calib, opts).unwrap();
    let ids: Vec<u32> = (0..64).map(|i| (i * 37 + 1) % 1000).collect();
    let ranges = edgebench_backends::onnx::calibrate(&calib, &ids).unwrap();
    assert_eq!(ranges.len(), 17);
    assert!(
        ranges.values().all(|&(lo, hi)| lo < 0.0 && hi > 0.0),
        "{ranges:?}"
    );
    let clipped = dir.path().join("clipped.onnx");
    let act = StaticQdq {
        ranges: ranges
            .into_iter()
            .map(|(k, (lo, hi))| (k, (lo / 8.0, hi / 8.0)))
            .collect(),
        calibration: "an eighth of the measured ranges".into(),
    };
    let opts = TwinOptions {
        qdq: true,
        ..TwinOptions::default()
    };
    write_onnx_static_qdq(&spec, &clipped, opts, &act).unwrap();

    // Against the weights-only twin, so the KLD is the activations' own.
    let out = dir.path().join("quality.json");
    let o = edgebench(dir.path())
        .arg("quality")
        .args([&weights_only, &stat, &clipped])
        .arg("--reference")
        .arg(&weights_only)
        .args(["--reference-backend", "onnx:cpu", "-b", "onnx:cpu"])
        .args(["-t", "2", "--tokens", "64", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&o.stderr).into_owned();
    assert_eq!(o.status.code(), Some(0), "{text}");
    let v: Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    let stat_of = |k: &str| -> Vec<f64> {
        v["rows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["stats"][k].as_f64().unwrap())
            .collect()
    };
    let (kld, top1) = (stat_of("mean_kld"), stat_of("top1_agreement"));
    eprintln!(
        "mean KLD against the weights-only twin (itself, static, clipped): {kld:?}; top-1 {top1:?}"
    );
    assert_eq!((kld[0], top1[0]), (0.0, 1.0), "{text}");
    // Measured on tiny q4_0 (docs/onnx.md): static 4.3e-5 and top-1 92 %,
    // clipped 4.1e-2 and top-1 0 %.
    assert!(kld[1] > 0.0, "activation rounding changed nothing: {kld:?}");
    assert!(
        kld[1] * 30.0 < kld[2],
        "clipped ranges cost no more: {kld:?}"
    );
    assert!(top1[1] > top1[2], "{top1:?}");

    // Other quants: int8 per-column weights (q8_0, the f16 model's
    // matrices) conform with llama.cpp at the quantised tolerance; a float
    // model whose activations are quantised is judged as quantised.
    for quant in ["q8_0", "f16"] {
        let (gguf, _) = twins(dir.path(), quant);
        let onnx = dir.path().join(format!("static-{quant}.onnx"));
        let o = synth_q(quant, &onnx);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let (code, v, text) = conform(dir.path(), &[&gguf, &onnx], "llama.cpp,onnx:cpu");
        assert_eq!(code, 0, "{quant}: {text}");
        assert_eq!(v["pairs"][0]["tolerance"]["class"], "quantised", "{text}");
        assert_eq!(v["pass"], true, "{quant}: {text}");
    }
}

/// onnxruntime-genai exports as the model builder writes them:
/// GroupQueryAttention with the rotary inside and no `position_ids`, with a
/// growing past (`gqa`) or one max-length buffer shared by past and present
/// (`shared-kv`, run through IO binding). `synth --onnx-variant` writes each
/// with its genai_config.json; both conform with llama.cpp, through a
/// chunked prefill too.
#[test]
fn genai_gqa_exports_with_and_without_a_shared_kv_buffer_conform() {
    let dir = tempfile::tempdir().unwrap();
    let (gguf, _) = twins(dir.path(), "q4_0");
    let mut models = vec![];
    for variant in ["gqa", "shared-kv"] {
        let sub = dir.path().join(variant);
        std::fs::create_dir(&sub).unwrap();
        let onnx = sub.join("model.onnx");
        edgebench(dir.path())
            .args(["synth", "--preset", "tiny", "--quant", "q4_0"])
            .args(["--format", "onnx", "--onnx-variant", variant, "--out"])
            .arg(&onnx)
            .assert()
            .success();
        let cfg: Value =
            serde_json::from_slice(&std::fs::read(sub.join("genai_config.json")).unwrap()).unwrap();
        assert_eq!(
            cfg["search"]["past_present_share_buffer"],
            variant == "shared-kv",
            "{cfg}"
        );
        let m = ModelProto::decode(std::fs::read(&onnx).unwrap().as_slice()).unwrap();
        let g = m.graph.unwrap();
        assert!(g.node.iter().any(|n| n.op_type == "GroupQueryAttention"));
        assert!(!g.input.iter().any(|i| i.name == "position_ids"));
        // A second write into the same folder would replace the config: refused.
        edgebench(dir.path())
            .args(["synth", "--preset", "tiny", "--quant", "q4_0"])
            .args(["--format", "onnx", "--onnx-variant", variant, "--out"])
            .arg(sub.join("again.onnx"))
            .assert()
            .code(2)
            .stderr(predicates::str::contains("genai_config.json"));
        models.push(onnx);
    }
    let (code, v, text) = conform(
        dir.path(),
        &[&gguf, &models[0], &models[1]],
        "llama.cpp,onnx:cpu,onnx:cpu",
    );
    assert_eq!(code, 0, "{text}");
    assert_eq!(v["pass"], true, "{text}");
    // A prompt longer than the batch: the second chunk continues the cache.
    let out = dir.path().join("run.json");
    edgebench(dir.path())
        .args(["run", "-m"])
        .arg(&models[1])
        .args(["-b", "onnx:cpu", "-t", "2", "-p", "48", "-n", "8"])
        .args([
            "--batch", "16", "-ub", "16", "-r", "1", "-o", "json", "--out",
        ])
        .arg(&out)
        .assert()
        .success();
    let r: Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    for rec in r.as_array().unwrap() {
        assert_eq!(rec["status"], "ok", "{rec}");
    }
}

/// `load` batches sequences on the twin as Optimum writes it (left
/// padding) and as onnxruntime-genai writes it (GroupQueryAttention, right
/// padding): at concurrency 3 every request gets all its tokens, as at
/// concurrency 1.
#[test]
fn load_batches_sequences_on_optimum_and_genai_twins() {
    let dir = tempfile::tempdir().unwrap();
    let (_, onnx) = twins(dir.path(), "q4_0");
    let sub = dir.path().join("genai");
    std::fs::create_dir(&sub).unwrap();
    let genai = sub.join("model.onnx");
    edgebench(dir.path())
        .args(["synth", "--preset", "tiny", "--quant", "q4_0"])
        .args(["--format", "onnx", "--onnx-variant", "gqa", "--out"])
        .arg(&genai)
        .assert()
        .success();
    for model in [&onnx, &genai] {
        let out = dir.path().join("load.json");
        let _ = std::fs::remove_file(&out);
        edgebench(dir.path())
            .args(["load", "-m"])
            .arg(model)
            .args(["-b", "onnx:cpu", "-t", "2", "-p", "16-40", "-n", "4-12"])
            .args(["-c", "1,3", "--requests", "9", "--rate", "1000", "--out"])
            .arg(&out)
            .assert()
            .success();
        let r: Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
        let r = if r.is_array() { r[0].clone() } else { r };
        assert_eq!(r["status"], "ok", "{r}");
        let points = r["load"]["points"].as_array().unwrap();
        assert_eq!(
            points
                .iter()
                .map(|p| p["concurrency"].as_u64().unwrap())
                .collect::<Vec<_>>(),
            [1, 3],
            "{}",
            model.display()
        );
        for p in points {
            let samples = p["samples"].as_array().unwrap();
            assert_eq!(samples.len(), 9, "{p}");
            for s in samples {
                let n_gen = s["n_gen"].as_u64().unwrap() as usize;
                assert!(s["end_ns"].is_u64(), "{s}");
                assert_eq!(s["itl_ns"].as_array().unwrap().len(), n_gen - 1, "{s}");
            }
        }
    }
}
