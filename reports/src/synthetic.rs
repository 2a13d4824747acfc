//! Synthetic result records for tests and examples: a valid schema-1
//! record whose identity and raw samples the caller chooses.
use crate::record::Record;
use crate::stats::Summary;

/// The parts of a synthetic record that matter to comparisons and history.
#[derive(Debug, Clone, PartialEq)]
pub struct SyntheticCase<'a> {
    /// Device profile name.
    pub device: &'a str,
    /// Model sha256 (any string).
    pub model_sha256: &'a str,
    /// Backend id.
    pub backend: &'a str,
    /// Workload test name, e.g. `req64+16`.
    pub test: &'a str,
    /// RFC 3339 timestamp.
    pub timestamp: &'a str,
}

impl Default for SyntheticCase<'_> {
    fn default() -> Self {
        SyntheticCase {
            device: "Test Device",
            model_sha256: "5ca1ab1e00000000000000000000000000000000000000000000000000000000",
            backend: "mock",
            test: "req64+16",
            timestamp: "2026-11-21T00:00:00.000Z",
        }
    }
}

/// An `ok` record of `case` with `decode_tps` samples and matching
/// `ttft_ms` samples (1000 / rate, so both move together).
pub fn record(case: &SyntheticCase<'_>, decode_tps: &[f64]) -> Record {
    let value = serde_json::json!({
        "schema_version": 2, "kind": "llm",
        "edgebench": {"version": "0.1.0", "commit": "0000000", "dirty": false},
        "host": {"cpu_model": "synthetic", "arch": "x86_64", "physical_cores": 1,
            "logical_cores": 1, "ram_bytes": 1, "os": null, "kernel": null, "hostname": null},
        "device": {"name": case.device, "class": "server", "power_mode": null,
            "profile": "synthetic.toml"},
        "backend": {"id": case.backend, "version": "0", "build_features": [],
            "device": "virtual", "execution_provider": null},
        "model": {"id": "synthetic", "path": "m.gguf", "sha256": case.model_sha256,
            "size_bytes": 0, "n_params": 0, "quant": "Q4_0", "arch": "llama",
            "n_layers": null, "n_vocab": null, "n_ctx_train": null, "synthetic": null},
        "workload": {"test": case.test, "n_prompt": 64, "n_gen": 16, "n_depth": 0,
            "reps": decode_tps.len(), "warmup": 1, "threads": 1, "batch": 2048,
            "ubatch": 512, "n_gpu_layers": null, "n_ctx": 80, "seed": 42},
        "status": "ok", "reason": null, "timestamp": case.timestamp,
        "metrics": {"tokens_generated": vec![16; decode_tps.len()]},
        "warnings": []
    });
    let mut r: Record = match serde_json::from_value(value) {
        Ok(r) => r,
        // The literal above is a valid record; a failure is a bug here.
        Err(e) => unreachable!("synthetic record does not match the schema: {e}"),
    };
    r.metrics.decode_tps = Summary::from_samples(decode_tps.to_vec());
    r.metrics.ttft_ms = Summary::from_samples(decode_tps.iter().map(|x| 1000.0 / x).collect());
    r
}
