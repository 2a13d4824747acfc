//! The profile's validity rules (RELIABILITY item 7): a case measured for
//! less than `[matrix] min_duration`, or started above
//! `[matrix] max_start_temp_c`, is `invalid` with the reason; comparisons and
//! reports then leave it out.
use edgebench_reports::{Record, Status};

/// Marks an `ok` record `invalid` when it breaks a rule; others are left alone.
pub fn apply(record: &mut Record, min_duration_s: Option<f64>, max_start_temp_c: Option<f64>) {
    if record.status != Status::Ok {
        return;
    }
    if let Some(min) = min_duration_s {
        let measured_s: f64 = record
            .metrics
            .e2e_ms
            .as_ref()
            .map_or(0.0, |s| s.samples.iter().sum::<f64>() / 1e3);
        if measured_s < min {
            record.status = Status::Invalid;
            record.reason = Some(format!(
                "measured for {measured_s:.3} s in all, below the profile's min_duration of \
                 {min} s; raise [matrix] reps or n_gen"
            ));
            return;
        }
    }
    if let Some(limit) = max_start_temp_c
        && let Some(hot) = record
            .thermal_at_start
            .iter()
            .max_by(|a, b| a.temp_c.total_cmp(&b.temp_c))
        && hot.temp_c > limit
    {
        record.status = Status::Invalid;
        record.reason = Some(format!(
            "started at {:.1} °C ({}), above the profile's max_start_temp_c of {limit} °C; \
             let the device cool down and run the case again (--resume skips valid cases only)",
            hot.temp_c, hot.sensor
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use edgebench_devices::probe::TemperatureReading;
    use edgebench_reports::Summary;

    /// A minimal ok record (only what the rules read is meaningful).
    fn record() -> Record {
        serde_json::from_value(serde_json::json!({
            "schema_version": 2, "kind": "llm",
            "edgebench": {"version": "0", "commit": null, "dirty": null},
            "host": {"cpu_model": null, "arch": "x86_64", "physical_cores": 1,
                "logical_cores": 1, "ram_bytes": 1, "os": null, "kernel": null, "hostname": null},
            "backend": {"id": "mock", "version": "0", "build_features": [], "device": "virtual",
                "execution_provider": null},
            "model": {"path": "m.gguf", "sha256": "", "size_bytes": 0, "n_params": 0,
                "quant": "Q4_0", "arch": "llama", "n_layers": null, "n_vocab": null,
                "n_ctx_train": null, "synthetic": null},
            "workload": {"test": "req16+5", "n_prompt": 16, "n_gen": 5, "n_depth": 0, "reps": 3,
                "warmup": 0, "threads": 1, "batch": 2048, "ubatch": 512, "n_gpu_layers": null,
                "n_ctx": 21, "seed": 42},
            "status": "ok", "reason": null, "timestamp": "2026-11-21T00:00:00.000Z",
            "metrics": {"tokens_generated": [5, 5, 5]},
            "warnings": []
        }))
        .unwrap()
    }

    #[test]
    fn too_short_is_invalid() {
        let mut r = record();
        r.metrics.e2e_ms = Summary::from_samples(vec![100.0, 100.0, 100.0]);
        apply(&mut r, Some(0.2), None);
        assert_eq!(r.status, Status::Ok, "0.3 s measured >= 0.2 s");
        apply(&mut r, Some(1.0), None);
        assert_eq!(r.status, Status::Invalid);
        assert!(r.reason.unwrap().contains("min_duration"));
    }

    #[test]
    fn hot_start_is_invalid_and_no_sensors_cannot_break_it() {
        let mut r = record();
        apply(&mut r, None, Some(70.0));
        assert_eq!(r.status, Status::Ok, "no sensors: the rule cannot apply");
        r.thermal_at_start = vec![
            TemperatureReading {
                sensor: "cpu-thermal".into(),
                temp_c: 65.0,
            },
            TemperatureReading {
                sensor: "gpu-thermal".into(),
                temp_c: 81.5,
            },
        ];
        apply(&mut r, None, Some(70.0));
        assert_eq!(r.status, Status::Invalid);
        let reason = r.reason.unwrap();
        assert!(
            reason.contains("81.5") && reason.contains("gpu-thermal"),
            "{reason}"
        );
    }
}
