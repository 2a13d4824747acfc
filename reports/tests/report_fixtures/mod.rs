//! Two devices' sweep outputs with fixed numbers, written as the sweep
//! writes them (a folder with sweep.json): a Jetson running llama.cpp and
//! onnx:cuda on two prompt lengths, plus a 10-minute sustained run whose
//! rate falls from 40 to 30 tok/s as it heats from 50 to 80 °C, and a
//! Raspberry Pi 5 that has no onnx:cuda and fails the readable-streaming SLO.
#![allow(dead_code)] // each test binary uses part of this module

use std::path::{Path, PathBuf};

use edgebench_devices::HostInfo;
use edgebench_devices::profile::Profile;
use edgebench_reports::record::{
    BackendInfo, DeviceRef, Metrics, ModelInfo, RecordKind, ToolInfo, Workload,
};
use edgebench_reports::roofline::{Roofline, RooflineInputs};
use edgebench_reports::sustained::{
    Energy, SustainedRun, SustainedSettings, SustainedSummary, SustainedWindow, analyze_rates,
};
use edgebench_reports::{Record, SCHEMA_VERSION, Status, Summary};

pub const JETSON_TOML: &str = r#"
[device]
name = "Jetson AGX Orin 64GB"
class = "jetson"
mem_bandwidth_gbs = 204.8
price_usd = 1999
power_mode = "MAXN"

[[model]]
id = "llama-1b"
synth = { preset = "small", quant = "q4_0", seed = 42 }

[matrix]
backends = ["llama.cpp", "onnx:cuda"]
threads = [8]
n_prompt = [128, 512]
n_gen = [128]

[[slo]]
name = "interactive TTFT"
backend = "llama.cpp"
metric = "ttft_ms.p99"
op = "<="
threshold = 450

[[slo]]
name = "readable streaming"
backend = "llama.cpp"
metric = "decode_tps.p50"
op = ">="
threshold = 15

[cost]
lifecycle_usd_per_month = 7
engineering_usd = 20000
horizon_months = 36
cloud_cost_per_query_usd = 0.0005
monthly_queries = 100000
"#;

pub const PI_TOML: &str = r#"
[device]
name = "Raspberry Pi 5 8GB"
class = "sbc"
mem_bandwidth_gbs = 17.07
price_usd = 80

[[model]]
id = "llama-1b"
synth = { preset = "small", quant = "q4_0", seed = 42 }

[matrix]
backends = ["llama.cpp"]
threads = [4]
n_prompt = [128, 512]
n_gen = [128]

[[slo]]
name = "interactive TTFT"
backend = "llama.cpp"
metric = "ttft_ms.p99"
op = "<="
threshold = 450

[[slo]]
name = "readable streaming"
backend = "llama.cpp"
metric = "decode_tps.p50"
op = ">="
threshold = 15

[cost]
lifecycle_usd_per_month = 1
engineering_usd = 20000
horizon_months = 36
cloud_cost_per_query_usd = 0.0005
monthly_queries = 100000
"#;

pub fn profile(text: &str, origin: &str) -> Profile {
    Profile::parse(text, origin, Path::new("/profiles")).expect("fixture profile parses")
}

fn host(name: &str, cpu: &str, arch: &str, cores: u32, ram_gib: u64) -> HostInfo {
    HostInfo {
        cpu_model: Some(cpu.into()),
        arch: arch.into(),
        physical_cores: Some(cores),
        logical_cores: cores,
        ram_bytes: ram_gib << 30,
        os: Some("Ubuntu 22.04.4 LTS".into()),
        kernel: Some("5.15.136-tegra".into()),
        hostname: Some(name.into()),
        board: None,
        cpu_governors: vec!["performance".into()],
        cpu_max_mhz: None,
        swap_bytes: Some(0),
        gpus: vec![],
        l4t_release: None,
        nvpmodel_mode: None,
    }
}

/// Samples around `mean`, spread by `spread` (fixed, symmetric).
fn around(mean: f64, spread: f64, n: usize) -> Vec<f64> {
    (0..n)
        .map(|i| mean + spread * (i as f64 - (n as f64 - 1.0) / 2.0) / n as f64)
        .collect()
}

pub struct Case<'a> {
    pub device: &'a Profile,
    pub host: &'a HostInfo,
    pub backend: &'a str,
    pub backend_version: &'a str,
    pub n_prompt: u32,
    pub ttft_ms: f64,
    pub decode_tps: f64,
    pub status: Status,
    pub minute: u32,
}

pub fn record(c: &Case) -> Record {
    let n_gen = 128u32;
    let ok = c.status == Status::Ok;
    let reps = 5;
    let itl_ms = 1000.0 / c.decode_tps;
    let itl: Vec<f64> = (0..reps * 8)
        .map(|i| itl_ms * (0.95 + 0.1 * f64::from(i % 8) / 7.0))
        .collect();
    let e2e = c.ttft_ms + itl_ms * f64::from(n_gen - 1);
    let summary = |v: Vec<f64>| if ok { Summary::from_samples(v) } else { None };
    let roofline = ok.then(|| {
        Roofline::compute(&RooflineInputs {
            weight_bytes_per_token: 700e6,
            kv_bytes_per_context_token: 32768.0,
            prefill_flops_per_token_at_ctx0: 2.4e9,
            attention_flops_per_token_per_ctx: 65536.0,
            n_depth: 0,
            n_prompt: c.n_prompt,
            n_gen,
            decode_tps: Some(c.decode_tps),
            prefill_tps: Some(f64::from(c.n_prompt) / c.ttft_ms * 1000.0),
            measured_read_gbs: None,
            peak_gbs: c.device.device.mem_bandwidth_gbs,
            peak_tflops: None,
            peak_tflops_precision: None,
        })
    });
    Record {
        schema_version: SCHEMA_VERSION,
        kind: RecordKind::Llm,
        edgebench: ToolInfo {
            version: "0.1.0".into(),
            commit: Some("0123456789abcdef0123456789abcdef01234567".into()),
            dirty: Some(false),
        },
        host: c.host.clone(),
        device: Some(DeviceRef::of(c.device)),
        backend: BackendInfo {
            id: c.backend.into(),
            version: c.backend_version.into(),
            build_features: if ok { vec!["CUDA".into()] } else { vec![] },
            device: if ok { "GPU".into() } else { String::new() },
            execution_provider: None,
        },
        model: ModelInfo {
            id: Some("llama-1b".into()),
            path: "/models/llama-1b-q4_0.gguf".into(),
            sha256: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08".into(),
            size_bytes: 770_000_000,
            n_params: 1_235_814_400,
            quant: "Q4_0".into(),
            arch: "llama".into(),
            n_layers: Some(16),
            n_vocab: Some(128_256),
            n_ctx_train: Some(131_072),
            synthetic: None,
        },
        workload: Workload {
            test: format!("req{}+{n_gen}", c.n_prompt),
            shape: edgebench_reports::record::TestShape::Request,
            n_prompt: c.n_prompt,
            n_gen,
            n_depth: 0,
            reps,
            warmup: 1,
            threads: 8,
            batch: 2048,
            ubatch: 512,
            n_gpu_layers: Some(99),
            n_ctx: 4096,
            seed: 42,
        },
        status: c.status,
        reason: (!ok)
            .then(|| format!("backend '{}' is not built yet in this edgebench", c.backend)),
        timestamp: format!("2026-11-20T10:{:02}:00.000Z", c.minute),
        thermal_at_start: vec![],
        telemetry_at_start: None,
        preflight: None,
        imported: None,
        sustained: None,
        load: None,
        metrics: Metrics {
            ttft_ms: summary(around(c.ttft_ms, c.ttft_ms * 0.04, 5)),
            prefill_tps: summary(
                around(c.ttft_ms, c.ttft_ms * 0.04, 5)
                    .into_iter()
                    .map(|t| f64::from(c.n_prompt) / t * 1000.0)
                    .collect(),
            ),
            decode_tps: summary(around(c.decode_tps, c.decode_tps * 0.05, 5)),
            itl_ms: summary(itl),
            e2e_ms: summary(around(e2e, e2e * 0.02, 5)),
            load_ms: ok.then_some(900.0),
            peak_rss_bytes: ok.then_some(1_200 << 20),
            case_wall_ms: None,
            tokens_generated: if ok { vec![n_gen; 5] } else { vec![] },
        },
        roofline,
        warnings: vec![],
    }
}

/// Windows of the fixture's sustained run: 30 of 20 s.
pub const SUSTAINED_WINDOWS: u32 = 30;

/// A 10-minute sustained run (20 s windows): 40 tok/s for the first minute,
/// falling evenly to 30 tok/s by 360 s and flat after, while the hottest
/// sensor rises evenly from 50 to 80 °C; throttled from 240 s on; 30 W.
/// Its per-request metrics (TTFT 400 ms, e2e about 4 s, heavier than any
/// ordinary case) must stay out of the per-case tables, charts and the
/// cost model's request shape.
pub fn sustained_record(device: &Profile, host: &HostInfo) -> Record {
    let mut r = record(&Case {
        device,
        host,
        backend: "llama.cpp",
        backend_version: "b6500 (3f4c2a1)",
        n_prompt: 128,
        ttft_ms: 400.0,
        decode_tps: 35.0,
        status: Status::Ok,
        minute: 30,
    });
    r.kind = RecordKind::Sustained;
    r.workload.test = "sustained/req128+128".into();
    r.workload.reps = 1;
    r.roofline = None;
    let window_s = 20.0;
    let n = SUSTAINED_WINDOWS;
    let windows: Vec<SustainedWindow> = (0..n)
        .map(|i| {
            let k = f64::from(i);
            let decode_tps = match i {
                0..=2 => 40.0,
                3..=17 => 40.0 - (k - 2.0) * 10.0 / 15.0,
                _ => 30.0,
            };
            SustainedWindow {
                start_s: k * window_s,
                end_s: (k + 1.0) * window_s,
                tokens: (decode_tps * 15.0).round() as u32,
                decode_tps,
                prefill_tps: Some(900.0),
                temp_max_c: Some(50.0 + 30.0 * k / f64::from(n - 1)),
                cpu_mhz: Some(2200.0 - 500.0 * k / f64::from(n - 1)),
                power_w: Some(30.0),
                throttled: Some(i >= 12),
            }
        })
        .collect();
    let series: Vec<(f64, f64, f64)> = windows
        .iter()
        .map(|w| (w.start_s, w.end_s, w.decode_tps))
        .collect();
    let duration_s = 600.0;
    let a = analyze_rates(&series, duration_s).expect("the fixture has windows");
    let tokens: f64 = windows.iter().map(|w| f64::from(w.tokens)).sum();
    r.sustained = Some(SustainedRun {
        settings: SustainedSettings {
            duration_s,
            window_s: Some(window_s),
            window_tokens: None,
            gap_s: 0.0,
            n_prompt: 128,
            n_gen: 128,
            telemetry_hz: 1.0,
            cooldown_watch: false,
        },
        requests: 140,
        summary: SustainedSummary {
            peak_tps: a.peak,
            steady: a.steady.is_some(),
            steady_start_s: a.steady.map(|s| s.0),
            steady_end_s: a.steady.map(|s| s.1),
            sustained_tps: a.sustained,
            sustained_ratio: a.sustained / a.peak,
            degradation_pct: 100.0 * a.degradation,
            t10_s: a.t10_s,
            t25_s: a.t25_s,
            throttled_fraction: Some(0.6),
            throttle_signals: vec!["thermal_zone0 trip".into()],
            energy: Some(Energy {
                source: "VDD_IN".into(),
                total_j: 30.0 * duration_s,
                mean_power_w: 30.0,
                per_token_j: 30.0 * duration_s / tokens,
                prefill_j_per_token: None,
                decode_j_per_token: None,
                method: "mean power x phase time".into(),
            }),
            recovery_s: None,
            recovery_note: None,
            notes: vec![],
        },
        windows,
        telemetry: Default::default(),
    });
    r
}

/// Writes a sweep folder `dir/name` holding sweep.json as a sweep does.
pub fn write_sweep(
    dir: &Path,
    name: &str,
    profile: &Profile,
    host: &HostInfo,
    records: &[Record],
) -> PathBuf {
    let out = dir.join(name);
    std::fs::create_dir_all(out.join("cases")).unwrap();
    let summary = serde_json::json!({
        "schema_version": SCHEMA_VERSION,
        "kind": "sweep",
        "profile": profile,
        "host": host,
        "records": records,
        "verdicts": [],
        "bandwidth": null,
        "complete": true,
    });
    std::fs::write(
        out.join("sweep.json"),
        serde_json::to_string_pretty(&summary).unwrap(),
    )
    .unwrap();
    out
}

/// Both devices' sweep folders under `dir`: (jetson, pi).
pub fn two_devices(dir: &Path) -> (PathBuf, PathBuf) {
    let jetson = profile(JETSON_TOML, "profiles/jetson.toml");
    let pi = profile(PI_TOML, "profiles/raspberry-pi-5.toml");
    let jh = host("orin-01", "ARMv8 Processor rev 1 (v8l)", "aarch64", 12, 64);
    let ph = host("pi5-01", "Cortex-A76", "aarch64", 4, 8);
    let llama = "b6500 (3f4c2a1)";
    let j = |backend, n_prompt, ttft_ms, decode_tps, status, minute| {
        record(&Case {
            device: &jetson,
            host: &jh,
            backend,
            backend_version: if backend == "llama.cpp" { llama } else { "" },
            n_prompt,
            ttft_ms,
            decode_tps,
            status,
            minute,
        })
    };
    let jetson_records = vec![
        j("llama.cpp", 128, 42.0, 61.5, Status::Ok, 0),
        j("llama.cpp", 512, 150.0, 58.2, Status::Ok, 1),
        j("onnx:cuda", 128, 0.0, 1.0, Status::EpUnavailable, 2),
        j("onnx:cuda", 512, 0.0, 1.0, Status::EpUnavailable, 2),
        sustained_record(&jetson, &jh),
    ];
    let p = |n_prompt, ttft_ms, decode_tps, minute| {
        record(&Case {
            device: &pi,
            host: &ph,
            backend: "llama.cpp",
            backend_version: llama,
            n_prompt,
            ttft_ms,
            decode_tps,
            status: Status::Ok,
            minute,
        })
    };
    let pi_records = vec![p(128, 95.0, 11.8, 10), p(512, 380.0, 10.9, 12)];
    (
        write_sweep(dir, "jetson", &jetson, &jh, &jetson_records),
        write_sweep(dir, "pi", &pi, &ph, &pi_records),
    )
}
