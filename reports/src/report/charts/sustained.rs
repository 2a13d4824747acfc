//! The charts of sustained runs: the decode rate of each window against
//! time, and the hottest sensor of each window against time when any
//! window read a temperature (docs/sustained.md defines both series).
use super::Chart;
use super::data::{ChartData, Corner, Series};
use crate::record::Record;
use crate::report::device::{DeviceResults, pair_of};
use crate::report::fmt::num;
use crate::sustained::SustainedWindow;

/// Every sustained chart's file stem starts with this.
pub const SUSTAINED_STEM_PREFIX: &str = "sustained-";

/// Above this many windows a series is drawn without markers (its dash
/// pattern still tells it apart), so long runs stay readable.
const MAX_MARKED_WINDOWS: usize = 60;

/// The decode-rate chart, then the temperature chart when any window has a
/// temperature; empty when no sustained run has a complete window.
pub fn sustained_charts(devices: &[DeviceResults]) -> Vec<Chart> {
    let runs: Vec<(String, &[SustainedWindow])> = devices
        .iter()
        .flat_map(|d| {
            d.sustained_runs().filter_map(move |r| {
                let run = r.sustained.as_ref()?;
                (!run.windows.is_empty()).then(|| (run_label(d, r), run.windows.as_slice()))
            })
        })
        .collect();
    if runs.is_empty() {
        return Vec::new();
    }
    let mut charts = vec![rate_chart(&runs)];
    charts.extend(temperature_chart(&runs));
    charts
}

/// Legend text of one run: device · model · backend · threads · duration.
fn run_label(d: &DeviceResults, r: &Record) -> String {
    let (m, b) = pair_of(r);
    let duration = r
        .sustained
        .as_ref()
        .map(|s| format!(" · {} s", num(s.settings.duration_s)))
        .unwrap_or_default();
    format!(
        "{} · {m} · {b} · t{}{duration}",
        d.label, r.workload.threads
    )
}

/// A window's place on the time axis: its middle, seconds.
fn mid_s(w: &SustainedWindow) -> f64 {
    (w.start_s + w.end_s) / 2.0
}

fn series(k: usize, name: &str, points: Vec<(f64, f64)>) -> Series {
    Series {
        name: name.to_owned(),
        err: vec![None; points.len()],
        line: true,
        markers: points.len() <= MAX_MARKED_WINDOWS,
        points,
        style: k,
        dashed: super::style::dashed(k),
    }
}

fn rate_chart(runs: &[(String, &[SustainedWindow])]) -> Chart {
    let series: Vec<Series> = runs
        .iter()
        .enumerate()
        .map(|(k, (name, windows))| {
            let pts = windows
                .iter()
                .filter(|w| w.decode_tps.is_finite())
                .map(|w| (mid_s(w), w.decode_tps))
                .collect();
            series(k, name, pts)
        })
        .collect();
    Chart {
        stem: format!("{SUSTAINED_STEM_PREFIX}decode-tps"),
        title: "Sustained decode rate per window against time (tok/s)".into(),
        alt: format!(
            "Decode tokens per second of each window against seconds since the run began, {} sustained run(s), one point per window at its middle",
            series.len()
        ),
        data: ChartData::Lines {
            x_label: "time since the run began (s)".into(),
            y_label: "decode rate per window (tok/s)".into(),
            log_x: false,
            log_y: false,
            y_from_zero: true,
            x_ticks: Vec::new(),
            series,
            legend: Corner::LowerLeft,
        },
    }
}

fn temperature_chart(runs: &[(String, &[SustainedWindow])]) -> Option<Chart> {
    let series: Vec<Series> = runs
        .iter()
        .enumerate()
        .filter_map(|(k, (name, windows))| {
            let pts: Vec<(f64, f64)> = windows
                .iter()
                .filter_map(|w| {
                    w.temp_max_c
                        .filter(|t| t.is_finite())
                        .map(|t| (mid_s(w), t))
                })
                .collect();
            // The run keeps its style index, so both charts match.
            (!pts.is_empty()).then(|| series(k, name, pts))
        })
        .collect();
    if series.is_empty() {
        return None;
    }
    Some(Chart {
        stem: format!("{SUSTAINED_STEM_PREFIX}temperature"),
        title: "Hottest sensor per window against time (°C)".into(),
        alt: format!(
            "The hottest temperature sensor's largest reading in each window, in degrees Celsius, against seconds since the run began, {} sustained run(s)",
            series.len()
        ),
        data: ChartData::Lines {
            x_label: "time since the run began (s)".into(),
            y_label: "hottest sensor (°C)".into(),
            log_x: false,
            log_y: false,
            y_from_zero: false,
            x_ticks: Vec::new(),
            series,
            legend: Corner::UpperLeft,
        },
    })
}
