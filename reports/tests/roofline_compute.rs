//! Roofline arithmetic against hand-worked numbers (the medium q4_0 synthetic
//! model of docs/roofline.md), and absent inputs giving `None`, never 0.

use edgebench_reports::roofline::{
    PredictInputs, Roofline, RooflineInputs, default_contexts, predict, render_prediction_md,
};

/// medium q4_0: 262_170_320 weight bytes per token, 24_576 KV bytes per
/// token of context (2 x 24 layers x 4 kv heads x 64 x 2 bytes), N =
/// 465_696_000 (2N = 931_392_000), attention 2 x 24 x 20 x 64 = 61_440
/// FLOPs per token of context. pp512 + tg128, 20 tok/s decode, 200 tok/s
/// prefill, 50 GB/s measured, 68 GB/s peak, 10 TFLOP/s fp16.
fn medium() -> RooflineInputs {
    RooflineInputs {
        weight_bytes_per_token: 262_170_320.0,
        kv_bytes_per_context_token: 24_576.0,
        prefill_flops_per_token_at_ctx0: 931_392_000.0,
        attention_flops_per_token_per_ctx: 61_440.0,
        n_depth: 0,
        n_prompt: 512,
        n_gen: 128,
        decode_tps: Some(20.0),
        prefill_tps: Some(200.0),
        measured_read_gbs: Some(50.0),
        peak_gbs: Some(68.0),
        peak_tflops: Some(10.0),
        peak_tflops_precision: Some("fp16".into()),
    }
}

fn close(a: Option<f64>, b: f64) {
    let a = a.expect("a value");
    assert!((a - b).abs() <= 1e-9 * b.abs().max(1.0), "{a} vs {b}");
}

#[test]
fn hand_worked_medium_q4_0() {
    let r = Roofline::compute(&medium());
    // context: 0 + 512 + 128 / 2 = 576 tokens
    assert_eq!(r.context_tokens, 576.0);
    // KV: 576 x 24_576 = 14_155_776 B; total 276_326_096 B
    assert_eq!(r.kv_bytes_per_token, 14_155_776.0);
    assert_eq!(r.bytes_per_token, 276_326_096.0);
    // achieved: 276_326_096 x 20 / 1e9 = 5.52652192 GB/s
    close(r.achieved_gbs, 5.526_521_92);
    // ceilings: 50e9 / 276_326_096 and 68e9 / 276_326_096
    close(r.ceiling_tps_measured, 180.945_631_714_783_8);
    close(r.ceiling_tps_peak, 246.086_059_132_106);
    // MBU: 5.52652192 / 68
    close(r.mbu, 5.526_521_92 / 68.0);
    // 20 / 180.9456... x 100 = 20 x 276_326_096 / 5e10 x 100
    close(r.decode_pct_of_measured_ceiling, 11.053_043_84);
    // prefill context: 0 + (512 + 1) / 2 = 256.5;
    // FLOPs: 931_392_000 + 256.5 x 61_440 = 947_151_360
    assert_eq!(r.prefill_context_tokens, 256.5);
    assert_eq!(r.prefill_flops_per_token, 947_151_360.0);
    // MFU: 947_151_360 x 200 / 10e12
    close(r.mfu, 0.018_943_027_2);
    assert_eq!(r.peak_tflops_precision.as_deref(), Some("fp16"));
}

#[test]
fn depth_moves_the_decode_context() {
    let mut i = medium();
    i.n_depth = 1024;
    let r = Roofline::compute(&i);
    assert_eq!(r.context_tokens, 1600.0);
    assert_eq!(r.prefill_context_tokens, 1280.5);
    assert_eq!(r.bytes_per_token, 262_170_320.0 + 1600.0 * 24_576.0);
}

#[test]
fn absent_inputs_give_none_never_zero() {
    let mut i = medium();
    i.decode_tps = None;
    i.prefill_tps = None;
    i.measured_read_gbs = None;
    i.peak_gbs = None;
    i.peak_tflops = None;
    let r = Roofline::compute(&i);
    assert_eq!(r.achieved_gbs, None);
    assert_eq!(r.ceiling_tps_measured, None);
    assert_eq!(r.ceiling_tps_peak, None);
    assert_eq!(r.mbu, None);
    assert_eq!(r.decode_pct_of_measured_ceiling, None);
    assert_eq!(r.mfu, None);
    assert_eq!(r.peak_tflops_precision, None);
    // The model-only figures are still there.
    assert_eq!(r.bytes_per_token, 276_326_096.0);

    // Zero, negative or NaN inputs count as absent.
    let mut i = medium();
    i.decode_tps = Some(0.0);
    i.peak_gbs = Some(-1.0);
    i.peak_tflops = Some(f64::NAN);
    let r = Roofline::compute(&i);
    assert_eq!(r.achieved_gbs, None);
    assert_eq!(r.mbu, None);
    assert_eq!(r.ceiling_tps_peak, None);
    assert_eq!(r.decode_pct_of_measured_ceiling, None);
    assert_eq!(r.mfu, None);
    assert!(r.ceiling_tps_measured.is_some());

    // Only the peak: MBU, no measured ceiling.
    let mut i = medium();
    i.measured_read_gbs = None;
    let r = Roofline::compute(&i);
    assert!(r.mbu.is_some() && r.ceiling_tps_peak.is_some());
    assert_eq!(r.ceiling_tps_measured, None);
    assert_eq!(r.decode_pct_of_measured_ceiling, None);
}

#[test]
fn serialises_with_nulls_for_absent_figures() {
    let mut i = medium();
    i.peak_tflops = None;
    let v = serde_json::to_value(Roofline::compute(&i)).unwrap();
    assert!(v["mfu"].is_null());
    assert_eq!(v["bytes_per_token"], 276_326_096.0);
    let back: Roofline = serde_json::from_value(v).unwrap();
    assert_eq!(back, Roofline::compute(&i));
}

#[test]
fn default_contexts_stop_at_the_training_context() {
    assert_eq!(default_contexts(None), vec![0, 512, 2048, 8192]);
    assert_eq!(default_contexts(Some(4096)), vec![0, 512, 2048, 4096]);
    assert_eq!(default_contexts(Some(8192)), vec![0, 512, 2048, 8192]);
    assert_eq!(
        default_contexts(Some(32768)),
        vec![0, 512, 2048, 8192, 32768]
    );
}

#[test]
fn prediction_table() {
    let p = predict(&PredictInputs {
        model: "medium-q4_0".into(),
        device: "test board".into(),
        weight_bytes_per_token: 262_170_320.0,
        kv_bytes_per_context_token: 24_576.0,
        contexts: default_contexts(Some(4096)),
        measured_read_gbs: Some(50.0),
        peak_gbs: None,
    });
    let ctx: Vec<u64> = p.rows.iter().map(|r| r.context_tokens).collect();
    assert_eq!(ctx, vec![0, 512, 2048, 4096]);
    // 50e9 / 262_170_320 and 50e9 / (262_170_320 + 4096 x 24_576)
    close(p.rows[0].ceiling_tps_measured, 190.715_714_883_362_84);
    close(p.rows[3].ceiling_tps_measured, 137.804_210_511_740_45);
    assert_eq!(p.rows[3].bytes_per_token, 362_833_616.0);
    assert!(p.rows.iter().all(|r| r.ceiling_tps_peak.is_none()));
    let md = render_prediction_md(&p);
    assert!(md.contains("medium-q4_0 on test board"), "{md}");
    assert!(md.contains("| 0 | 262.17 | 190.7 | n/a |"), "{md}");
    assert!(md.contains("| 4096 | 362.83 | 137.8 | n/a |"), "{md}");
}
