//! Sustained (thermal) runs: the record section, and the analysis of
//! docs/metrics.md ("Sustained (thermal) runs") from the rate series and the
//! telemetry sampled beside it.
//!
//! - peak P: the largest 3-window trailing rolling median within the first 60 s;
//! - steady state: the first span of at least 120 s whose rates have
//!   |slope| < 1 %/min and CV < 3 %, extended while both still hold;
//! - sustained S: the median rate over the steady span, else over the last
//!   20 % of the run (then `steady` is false);
//! - degradation = 1 - S/P; t_10 and t_25: the end of the first window from
//!   which the rolling median stays at or below 0.90 P (0.75 P) for two windows.
mod analysis;
mod render;
mod signals;

use edgebench_devices::telemetry::TelemetrySeries;
use serde::{Deserialize, Serialize};

pub use analysis::{RateSummary, analyze_rates, rolling_median};
pub use render::render_md;
pub use signals::{Energy, PhaseTotals, energy, throttled_fraction, window_telemetry};

/// A sustained run's settings, series and summary (a record's `sustained`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SustainedRun {
    /// What was asked for.
    pub settings: SustainedSettings,
    /// Requests (prefill + decode) completed.
    pub requests: u32,
    /// The rate series, one entry per complete window.
    pub windows: Vec<SustainedWindow>,
    /// Peak, steady state, sustained rate, degradation, throttling, energy.
    pub summary: SustainedSummary,
    /// Every telemetry sample of the run (and of the cool-down watch).
    pub telemetry: TelemetrySeries,
}

/// The settings of a sustained run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SustainedSettings {
    /// How long requests were issued, seconds.
    pub duration_s: f64,
    /// Window length in seconds (time windows), or None.
    pub window_s: Option<f64>,
    /// Window length in decode tokens (token windows), or None.
    pub window_tokens: Option<u32>,
    /// Idle time between requests, seconds.
    pub gap_s: f64,
    /// Prompt tokens per request.
    pub n_prompt: u32,
    /// Tokens generated per request.
    pub n_gen: u32,
    /// Telemetry sampling rate, Hz.
    pub telemetry_hz: f64,
    /// Whether the run watched the device cool down afterwards.
    pub cooldown_watch: bool,
}

/// One window of the rate series.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SustainedWindow {
    /// Window start, seconds since the run began.
    pub start_s: f64,
    /// Window end, seconds since the run began.
    pub end_s: f64,
    /// Decode tokens completed in the window.
    pub tokens: u32,
    /// Decode rate: those tokens over the decode time they took, tok/s
    /// (prefill and gaps excluded, so a gap does not read as a slowdown).
    pub decode_tps: f64,
    /// Prefill rate of the prompts finished in the window, tok/s.
    pub prefill_tps: Option<f64>,
    /// Hottest sensor, the largest over the window's samples, °C.
    pub temp_max_c: Option<f64>,
    /// Mean CPU clock over the window's samples and the clusters, MHz.
    pub cpu_mhz: Option<f64>,
    /// Mean power over the window (the energy source's), W.
    pub power_w: Option<f64>,
    /// Whether any throttle signal was on in the window (None: no signal exists).
    pub throttled: Option<bool>,
}

/// The summary figures of a sustained run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SustainedSummary {
    /// Peak P, tok/s.
    pub peak_tps: f64,
    /// Whether a steady span was found.
    pub steady: bool,
    /// The steady span's start, seconds.
    pub steady_start_s: Option<f64>,
    /// The steady span's end, seconds.
    pub steady_end_s: Option<f64>,
    /// Sustained S, tok/s.
    pub sustained_tps: f64,
    /// S / P (the SLO metric `sustained_ratio`).
    pub sustained_ratio: f64,
    /// 100 x (1 - S/P) (the SLO metric `degradation_pct`).
    pub degradation_pct: f64,
    /// When the rate fell 10 % below peak to stay, seconds; None if it never did.
    pub t10_s: Option<f64>,
    /// When the rate fell 25 % below peak to stay, seconds; None if it never did.
    pub t25_s: Option<f64>,
    /// Share of telemetry samples with a throttle signal on; None when the
    /// machine has no throttle signal at all.
    pub throttled_fraction: Option<f64>,
    /// The channels whose signal was on at least once.
    pub throttle_signals: Vec<String>,
    /// Energy over the run; None without a power or energy counter.
    pub energy: Option<Energy>,
    /// Seconds after the load stopped until the hottest sensor was back
    /// within 1 °C of its start temperature (`--cooldown-watch`).
    pub recovery_s: Option<f64>,
    /// Why there is no recovery time when one was asked for.
    pub recovery_note: Option<String>,
    /// Things to know (too short for a steady state, few windows...).
    pub notes: Vec<String>,
}
