//! Pins the JSON shape of records on disk. A `Record` embeds devices' structs
//! (host facts, telemetry, temperatures, bandwidth results), so a renamed or
//! reshaped field in either crate would otherwise change the files silently;
//! here it fails a snapshot (or, for a new field, the struct literals below).
use edgebench_devices::HostInfo;
use edgebench_devices::bandwidth::{BandwidthResult, Kernel};
use edgebench_devices::probe::TemperatureReading;
use edgebench_devices::telemetry::{
    Channel, ChannelKind, Reading, TelemetrySeries, TelemetrySnapshot, TripPoint,
};
use edgebench_reports::bandwidth::BandwidthRecord;
use edgebench_reports::record::{
    BackendInfo, DeviceRef, Metrics, ModelInfo, RecordKind, ToolInfo, Workload,
};
use edgebench_reports::roofline::Roofline;
use edgebench_reports::sustained::{
    Energy, SustainedRun, SustainedSettings, SustainedSummary, SustainedWindow,
};
use edgebench_reports::{Record, SCHEMA_VERSION, Status, Summary};

/// Every host fact filled in.
fn host() -> HostInfo {
    HostInfo {
        cpu_model: Some("ARMv8 Processor rev 1 (v8l)".into()),
        arch: "aarch64".into(),
        physical_cores: Some(12),
        logical_cores: 12,
        ram_bytes: 64 << 30,
        os: Some("Ubuntu 22.04.4 LTS".into()),
        kernel: Some("5.15.136-tegra".into()),
        hostname: Some("orin-01".into()),
        board: Some("NVIDIA Jetson AGX Orin Developer Kit".into()),
        cpu_governors: vec!["schedutil".into()],
        cpu_max_mhz: Some(2201.6),
        swap_bytes: Some(0),
        gpus: vec!["Orin (nvgpu) (540.3.0, CUDA 12.2)".into()],
        l4t_release: Some("36.3.0".into()),
        nvpmodel_mode: Some("0 (MAXN)".into()),
    }
}

fn tool() -> ToolInfo {
    ToolInfo {
        version: "0.1.0".into(),
        commit: Some("0123456789abcdef0123456789abcdef01234567".into()),
        dirty: Some(false),
    }
}

fn device() -> DeviceRef {
    DeviceRef {
        name: "Jetson AGX Orin 64GB".into(),
        class: "jetson".into(),
        power_mode: Some("MAXN".into()),
        profile: "profiles/jetson-agx-orin-64gb.toml".into(),
    }
}

/// A summary written out, not computed, so only the shape is under test.
fn summary(mean: f64) -> Option<Summary> {
    Some(Summary {
        mean,
        sd: Some(1.5),
        min: mean - 1.0,
        p50: mean,
        p90: mean + 0.5,
        p99: mean + 1.0,
        max: mean + 1.0,
        n: 2,
        samples: vec![mean - 1.0, mean + 1.0],
    })
}

fn telemetry_at_start() -> TelemetrySnapshot {
    TelemetrySnapshot {
        clocks: vec![Reading {
            name: "cpufreq/policy0".into(),
            value: 2201.6,
            unit: "MHz".into(),
            max: Some(2201.6),
        }],
        governors: vec!["schedutil".into()],
        power_mode: Some("0 (MAXN)".into()),
        power: vec![Reading {
            name: "ina3221/VDD_IN".into(),
            value: 12.5,
            unit: "W".into(),
            max: None,
        }],
        throttling: vec!["rpi: throttled".into()],
    }
}

fn roofline() -> Roofline {
    Roofline {
        context_tokens: 130.0,
        weight_bytes_per_token: 4.0e9,
        kv_bytes_per_token: 1.0e6,
        bytes_per_token: 4.001e9,
        achieved_gbs: Some(80.0),
        ceiling_tps_measured: Some(40.0),
        ceiling_tps_peak: Some(50.0),
        mbu: Some(0.4),
        decode_pct_of_measured_ceiling: Some(50.0),
        prefill_context_tokens: 64.5,
        prefill_flops_per_token: 1.4e10,
        mfu: Some(0.25),
        peak_tflops_precision: Some("fp16".into()),
    }
}

fn sustained() -> SustainedRun {
    SustainedRun {
        settings: SustainedSettings {
            duration_s: 600.0,
            window_s: Some(10.0),
            window_tokens: None,
            gap_s: 0.5,
            n_prompt: 128,
            n_gen: 64,
            telemetry_hz: 2.0,
            cooldown_watch: true,
        },
        requests: 2,
        windows: vec![SustainedWindow {
            start_s: 0.0,
            end_s: 10.0,
            tokens: 200,
            decode_tps: 20.0,
            prefill_tps: Some(500.0),
            temp_max_c: Some(55.5),
            cpu_mhz: Some(2201.6),
            power_w: Some(12.5),
            throttled: Some(false),
        }],
        summary: SustainedSummary {
            peak_tps: 20.0,
            steady: true,
            steady_start_s: Some(120.0),
            steady_end_s: Some(600.0),
            sustained_tps: 18.0,
            sustained_ratio: 0.9,
            degradation_pct: 10.0,
            t10_s: Some(300.0),
            t25_s: None,
            throttled_fraction: Some(0.25),
            throttle_signals: vec!["nvml0/throttle_reasons".into()],
            energy: Some(Energy {
                source: "ina3221/VDD_IN".into(),
                total_j: 7500.0,
                mean_power_w: 12.5,
                per_token_j: 0.625,
                prefill_j_per_token: Some(0.05),
                decode_j_per_token: Some(0.5),
                method: "mean power over each phase's time".into(),
            }),
            recovery_s: Some(90.0),
            recovery_note: None,
            notes: vec!["few windows".into()],
        },
        telemetry: TelemetrySeries {
            hz: 2.0,
            channels: vec![
                Channel {
                    name: "thermal/cpu-thermal".into(),
                    kind: ChannelKind::Temperature,
                    unit: "°C".into(),
                    max: None,
                    trip_points: vec![TripPoint {
                        trip_type: Some("passive".into()),
                        temp_c: 95.0,
                    }],
                    total_input: false,
                },
                Channel {
                    name: "ina3221/VDD_IN".into(),
                    kind: ChannelKind::Power,
                    unit: "W".into(),
                    max: None,
                    trip_points: vec![],
                    total_input: true,
                },
            ],
            t_s: vec![0.0, 0.5],
            rows: vec![vec![Some(50.0), Some(12.0)], vec![Some(51.0), None]],
            late_samples: 1,
            sampler_cpu_s: Some(0.25),
        },
    }
}

/// A record with every optional part present.
fn full_record() -> Record {
    Record {
        schema_version: SCHEMA_VERSION,
        kind: RecordKind::Sustained,
        edgebench: tool(),
        host: host(),
        device: Some(device()),
        backend: BackendInfo {
            id: "llama.cpp".into(),
            version: "b6500 (3f4c2a1)".into(),
            build_features: vec!["CUDA".into()],
            device: "Orin".into(),
            execution_provider: Some("CUDAExecutionProvider".into()),
        },
        model: ModelInfo {
            id: Some("llama-3.2-1b-q4_0".into()),
            path: "/models/llama-3.2-1b-q4_0.gguf".into(),
            sha256: "ab".repeat(32),
            size_bytes: 770_000_000,
            n_params: 1_235_814_400,
            quant: "Q4_0".into(),
            arch: "llama".into(),
            n_layers: Some(16),
            n_vocab: Some(128_256),
            n_ctx_train: Some(131_072),
            synthetic: Some("tiny-q4_0-s42".into()),
        },
        workload: Workload {
            test: "req128+4 @ d512".into(),
            shape: edgebench_reports::record::TestShape::Request,
            n_prompt: 128,
            n_gen: 4,
            n_depth: 512,
            reps: 2,
            warmup: 1,
            threads: 12,
            batch: 2048,
            ubatch: 512,
            n_gpu_layers: Some(99),
            n_ctx: 1024,
            seed: 42,
        },
        status: Status::Invalid,
        reason: Some("fewer tokens than asked".into()),
        timestamp: "2026-11-21T06:30:00.123Z".into(),
        thermal_at_start: vec![TemperatureReading {
            sensor: "cpu-thermal".into(),
            temp_c: 48.5,
        }],
        telemetry_at_start: Some(telemetry_at_start()),
        metrics: Metrics {
            ttft_ms: summary(51.0),
            prefill_tps: summary(2510.0),
            decode_tps: summary(20.5),
            itl_ms: summary(48.5),
            e2e_ms: summary(201.0),
            load_ms: Some(812.5),
            peak_rss_bytes: Some(1 << 30),
            case_wall_ms: Some(1500.0),
            tokens_generated: vec![4, 3],
        },
        roofline: Some(roofline()),
        imported: None,
        preflight: Some(edgebench_reports::record::Preflight {
            need_bytes: 96 << 20,
            weights_bytes: 40 << 20,
            kv_cache_bytes: 4 << 20,
            compute_bytes: 4 << 20,
            runtime_bytes: 48 << 20,
            n_ctx: 1024,
            available_bytes: Some(8 << 30),
            available_source: Some("MemAvailable in /proc/meminfo".into()),
            n_ctx_train: Some(4096),
            forced: false,
        }),
        sustained: Some(sustained()),
        load: None,
        warnings: vec!["noisy samples".into()],
    }
}

#[test]
fn record_json_shape() {
    insta::assert_json_snapshot!("record", full_record());
}

#[test]
fn bandwidth_record_json_shape() {
    let result = BandwidthResult::from_samples(
        Kernel::Read,
        4,
        64 << 20,
        vec![2_000_000, 1_000_000, 1_250_000],
        true,
    )
    .expect("three passes give a result");
    let record = BandwidthRecord {
        schema_version: SCHEMA_VERSION,
        kind: RecordKind::Bandwidth,
        edgebench: tool(),
        host: host(),
        device: Some(device()),
        peak_gbs: Some(204.8),
        timestamp: "2026-11-21T06:30:00.123Z".into(),
        results: vec![result],
    };
    insta::assert_json_snapshot!("bandwidth_record", record);
}
