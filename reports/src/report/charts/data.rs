//! What each chart shows, as plain numbers taken from the results.
use std::collections::BTreeMap;

use super::Chart;
use crate::record::{Record, Status};
use crate::report::decide::{decide, model_family};
use crate::report::device::{DeviceResults, case_label, pair_of};
use crate::stats::Summary;

/// One horizontal bar: a case's mean with its standard deviation.
#[derive(Debug, Clone, PartialEq)]
pub struct Bar {
    /// The case, e.g. `Jetson · tiny · llama.cpp · req128+32 · t2`.
    pub label: String,
    /// The mean.
    pub value: f64,
    /// The sample standard deviation, when there are two samples or more.
    pub sd: Option<f64>,
    /// Style index: the device's position, so one device's bars match.
    pub style: usize,
}

/// One line or set of points.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// Legend text.
    pub name: String,
    /// (x, y) points, x ascending.
    pub points: Vec<(f64, f64)>,
    /// Symmetric y error per point (sd), when known.
    pub err: Vec<Option<f64>>,
    /// Join the points with a line.
    pub line: bool,
    /// Mark each point.
    pub markers: bool,
    /// Style index (colour, marker).
    pub style: usize,
    /// Dashed line.
    pub dashed: bool,
}

/// Where a line chart's legend goes: the corner the data leave free.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Corner {
    /// Top left.
    UpperLeft,
    /// Bottom left.
    LowerLeft,
    /// Bottom right.
    LowerRight,
}

/// The kinds of chart.
#[derive(Debug, Clone, PartialEq)]
pub enum ChartData {
    /// Horizontal bars with error bars, one per case.
    Bars {
        /// Axis label of the values, with its unit.
        value_label: String,
        /// The bars, top to bottom.
        bars: Vec<Bar>,
    },
    /// Lines and points on numeric axes.
    Lines {
        /// x-axis label with its unit.
        x_label: String,
        /// y-axis label with its unit.
        y_label: String,
        /// Logarithmic x axis.
        log_x: bool,
        /// Logarithmic y axis.
        log_y: bool,
        /// A linear y axis starts at zero (rates); false fits it to the
        /// data (temperatures).
        y_from_zero: bool,
        /// Named ticks on x (categorical x); empty for numeric ticks.
        x_ticks: Vec<(f64, String)>,
        /// The series.
        series: Vec<Series>,
        /// Legend placement.
        legend: Corner,
    },
}

/// The charts of ordinary cases, each with its data or why it has none:
/// small multiples per model (its quantisations together), so models
/// whose speeds differ a hundredfold never share a linear axis; then the
/// roofline (log-log, every model) and the cost/speed Pareto chart.
pub fn case_charts(devices: &[DeviceResults]) -> Vec<(String, Result<Chart, String>)> {
    let mut families: Vec<String> = Vec::new();
    for d in devices {
        for r in d.cases() {
            let f = model_family(r);
            if !families.contains(&f) {
                families.push(f);
            }
        }
    }
    let mut charts = Vec::new();
    for f in &families {
        let only = only_family(devices, f);
        let slug = slug(f);
        let per_model = [
            rate_bars(&only, "decode-tps", "Decode rate", |r| {
                r.metrics.decode_tps.as_ref()
            }),
            rate_bars(&only, "prefill-tps", "Prefill rate", |r| {
                r.metrics.prefill_tps.as_ref()
            }),
            ttft(&only),
            itl(&only),
        ];
        for (title, chart) in per_model {
            let title = format!("{f}: {title}");
            let chart = chart.map(|mut c| {
                c.stem = format!("{}-{slug}", c.stem);
                c.title = format!("{f}: {}", c.title);
                c.alt = format!("Model {f}: {}", c.alt);
                c
            });
            charts.push((title, chart));
        }
    }
    if families.is_empty() {
        charts.push((
            "Per-model charts".into(),
            Err("no ordinary cases in these inputs".into()),
        ));
    }
    charts.push(roofline(devices));
    charts.push(pareto(devices));
    charts
}

/// The devices with only the cases (and sustained runs) of model family
/// `f`; device order and labels kept, so styles stay per device.
fn only_family(devices: &[DeviceResults], f: &str) -> Vec<DeviceResults> {
    devices
        .iter()
        .map(|d| {
            let mut d = d.clone();
            d.records.retain(|r| model_family(r) == f);
            d
        })
        .collect()
}

/// `Llama 3.2 1B` -> `llama-3-2-1b`: a file-name-safe stem.
fn slug(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    let out = out.trim_matches('-').to_owned();
    if out.is_empty() { "model".into() } else { out }
}

/// Cost per million generated tokens against decode rate, one point per
/// option with both (the answer's figures), one series per model; the
/// Pareto frontier (no other option both faster and cheaper) joined.
fn pareto(devices: &[DeviceResults]) -> (String, Result<Chart, String>) {
    let title = "Cost against speed: $ per million tokens against decode rate".to_owned();
    let decisions = decide(devices);
    let mut pts: Vec<(String, String, f64, f64)> = Vec::new();
    for d in &decisions {
        for c in d.meets.iter().chain(&d.fails).chain(&d.unjudged) {
            if let (Some(tps), Some(usd)) = (c.decode_tps, c.usd_per_mtok)
                && tps > 0.0
                && usd > 0.0
            {
                pts.push((
                    d.model.clone(),
                    format!("{} · {}", c.label(), d.test),
                    tps,
                    usd,
                ));
            }
        }
    }
    if pts.len() < 2 {
        return (
            title,
            Err("fewer than two options have both a decode rate and a cost per million tokens (cost needs a [cost] with monthly_queries)".into()),
        );
    }
    let frontier: Vec<&(String, String, f64, f64)> = {
        let mut f: Vec<&(String, String, f64, f64)> = pts
            .iter()
            .filter(|p| {
                !pts.iter()
                    .any(|q| q.2 >= p.2 && q.3 <= p.3 && (q.2 > p.2 || q.3 < p.3))
            })
            .collect();
        f.sort_by(|a, b| a.2.total_cmp(&b.2));
        f
    };
    let mut models: Vec<&str> = Vec::new();
    for p in &pts {
        if !models.contains(&p.0.as_str()) {
            models.push(&p.0);
        }
    }
    let mut series: Vec<Series> = models
        .iter()
        .enumerate()
        .map(|(k, m)| {
            let mine: Vec<(f64, f64)> = pts
                .iter()
                .filter(|p| p.0 == *m)
                .map(|p| (p.2, p.3))
                .collect();
            Series {
                name: format!("model {m}"),
                err: vec![None; mine.len()],
                points: mine,
                line: false,
                markers: true,
                style: k,
                dashed: false,
            }
        })
        .collect();
    series.push(Series {
        name: "Pareto frontier (faster or cheaper than every other)".into(),
        points: frontier.iter().map(|p| (p.2, p.3)).collect(),
        err: vec![None; frontier.len()],
        line: true,
        markers: false,
        style: models.len(),
        dashed: true,
    });
    let spread = |v: &mut dyn Iterator<Item = f64>| {
        let (lo, hi) = v.fold((f64::INFINITY, 0.0f64), |(lo, hi), x| {
            (lo.min(x), hi.max(x))
        });
        hi / lo
    };
    let log_x = spread(&mut pts.iter().map(|p| p.2)) > 20.0;
    let log_y = spread(&mut pts.iter().map(|p| p.3)) > 20.0;
    let chart = Chart {
        stem: "pareto-cost-speed".into(),
        title: title.clone(),
        alt: format!(
            "Fleet cost per million generated tokens (USD) against decode rate (tok/s) for {} options; the frontier: {}",
            pts.len(),
            frontier
                .iter()
                .map(|p| format!("{} ({:.1} tok/s, ${:.2}/Mtok)", p.1, p.2, p.3))
                .collect::<Vec<_>>()
                .join("; ")
        ),
        data: ChartData::Lines {
            x_label: format!(
                "decode rate (tok/s, p50{})",
                if log_x { ", log" } else { "" }
            ),
            y_label: format!(
                "$ per million generated tokens{}",
                if log_y { " (log)" } else { "" }
            ),
            log_x,
            log_y,
            y_from_zero: true,
            x_ticks: Vec::new(),
            series,
            legend: Corner::LowerLeft,
        },
    };
    (title, Ok(chart))
}

/// Ok ordinary cases (sustained runs have their own charts).
fn ok_records(devices: &[DeviceResults]) -> impl Iterator<Item = (usize, &DeviceResults, &Record)> {
    devices.iter().enumerate().flat_map(|(i, d)| {
        d.cases()
            .filter(|r| r.status == Status::Ok)
            .map(move |r| (i, d, r))
    })
}

fn rate_bars(
    devices: &[DeviceResults],
    stem: &str,
    what: &str,
    metric: impl Fn(&Record) -> Option<&Summary>,
) -> (String, Result<Chart, String>) {
    let title = format!("{what} per device × backend (tok/s, mean ± sd)");
    let bars: Vec<Bar> = ok_records(devices)
        .filter_map(|(i, d, r)| {
            metric(r).map(|s| Bar {
                label: format!("{} · {}", d.label, case_label(r)),
                value: s.mean,
                sd: s.sd,
                style: i,
            })
        })
        .collect();
    if bars.is_empty() {
        return (
            title,
            Err(format!("no ok case measured the {}", what.to_lowercase())),
        );
    }
    let chart = Chart {
        stem: stem.to_owned(),
        title: title.clone(),
        alt: format!(
            "{what} in tokens per second for {} case(s), one bar per device, model, backend and test, with ± one standard deviation",
            bars.len()
        ),
        data: ChartData::Bars {
            value_label: format!(
                "{} rate (tok/s), mean ± sd",
                what.split(' ').next().unwrap_or(what).to_lowercase()
            ),
            bars,
        },
    };
    (title, Ok(chart))
}

/// Device index, model, backend, threads, depth: one TTFT line each.
type SeriesKey = (usize, String, String, u32, u32);

/// Prompt length, mean TTFT, its sd.
type Point = (f64, f64, Option<f64>);

fn ttft(devices: &[DeviceResults]) -> (String, Result<Chart, String>) {
    let title = "Time to first token against prompt length (ms, mean ± sd)".to_owned();
    // One series per device, model, backend, threads and depth.
    let mut groups: BTreeMap<SeriesKey, Vec<Point>> = BTreeMap::new();
    for (i, _, r) in ok_records(devices) {
        if let Some(s) = &r.metrics.ttft_ms {
            let (m, b) = pair_of(r);
            groups
                .entry((i, m, b, r.workload.threads, r.workload.n_depth))
                .or_default()
                .push((f64::from(r.workload.n_prompt), s.mean, s.sd));
        }
    }
    if groups.is_empty() {
        return (title, Err("no ok case measured TTFT".into()));
    }
    let series: Vec<Series> = groups
        .into_iter()
        .enumerate()
        .map(|(k, ((i, m, b, t, d), mut pts))| {
            pts.sort_by(|a, b| a.0.total_cmp(&b.0));
            let depth = if d > 0 {
                format!(" @ d{d}")
            } else {
                String::new()
            };
            Series {
                name: format!("{} · {m} · {b} · t{t}{depth}", devices[i].label),
                points: pts.iter().map(|p| (p.0, p.1)).collect(),
                err: pts.iter().map(|p| p.2).collect(),
                line: pts.len() > 1,
                markers: true,
                style: k,
                dashed: super::style::dashed(k),
            }
        })
        .collect();
    let chart = Chart {
        stem: "ttft-vs-prompt".into(),
        title: title.clone(),
        alt: format!(
            "Time to first token in milliseconds against prompt length in tokens, {} series",
            series.len()
        ),
        data: ChartData::Lines {
            x_label: "prompt length (tokens)".into(),
            y_label: "TTFT (ms)".into(),
            log_x: false,
            log_y: false,
            y_from_zero: true,
            x_ticks: Vec::new(),
            series,
            legend: Corner::UpperLeft,
        },
    };
    (title, Ok(chart))
}

fn itl(devices: &[DeviceResults]) -> (String, Result<Chart, String>) {
    let title = "Inter-token latency percentiles (ms)".to_owned();
    let series: Vec<Series> = ok_records(devices)
        .filter_map(|(_, d, r)| r.metrics.itl_ms.as_ref().map(|s| (d, r, s)))
        .enumerate()
        .map(|(k, (d, r, s))| Series {
            name: format!("{} · {}", d.label, case_label(r)),
            points: vec![(0.0, s.p50), (1.0, s.p90), (2.0, s.p99), (3.0, s.max)],
            err: vec![None; 4],
            line: true,
            markers: true,
            style: k,
            dashed: super::style::dashed(k),
        })
        .collect();
    if series.is_empty() {
        return (
            title,
            Err("no ok case measured inter-token latency (it needs n_gen >= 2)".into()),
        );
    }
    let chart = Chart {
        stem: "itl-percentiles".into(),
        title: title.clone(),
        alt: format!(
            "Inter-token latency in milliseconds at p50, p90, p99 and max, {} case(s)",
            series.len()
        ),
        data: ChartData::Lines {
            x_label: "percentile of decode steps".into(),
            y_label: "inter-token latency (ms)".into(),
            log_x: false,
            log_y: false,
            y_from_zero: true,
            x_ticks: vec![
                (0.0, "p50".into()),
                (1.0, "p90".into()),
                (2.0, "p99".into()),
                (3.0, "max".into()),
            ],
            series,
            legend: Corner::LowerRight,
        },
    };
    (title, Ok(chart))
}

fn roofline(devices: &[DeviceResults]) -> (String, Result<Chart, String>) {
    let title = "Roofline: achieved decode rate against the bandwidth ceilings".to_owned();
    let mut series = Vec::new();
    let mut xs: Vec<f64> = Vec::new();
    for (i, d) in devices.iter().enumerate() {
        let pts: Vec<(f64, f64)> = d
            .cases()
            .filter(|r| r.status == Status::Ok)
            .filter_map(|r| {
                let rl = r.roofline.as_ref()?;
                let tps = r.metrics.decode_tps.as_ref()?.mean;
                (rl.bytes_per_token > 0.0).then(|| (rl.bytes_per_token / 1e6, tps))
            })
            .collect();
        if pts.is_empty() {
            continue;
        }
        xs.extend(pts.iter().map(|p| p.0));
        series.push(Series {
            name: format!("{}: measured cases", d.label),
            err: vec![None; pts.len()],
            points: pts,
            line: false,
            markers: true,
            style: i,
            dashed: false,
        });
    }
    if series.is_empty() {
        return (
            title,
            Err("no ok case has a roofline (decode rate and bytes per token)".into()),
        );
    }
    // Ceilings span the whole decades the points fall in.
    let lo = 10f64.powf(
        xs.iter()
            .copied()
            .fold(f64::INFINITY, f64::min)
            .log10()
            .floor(),
    );
    let hi = 10f64
        .powf(xs.iter().copied().fold(0.0, f64::max).log10().ceil())
        .max(lo * 10.0);
    for (i, d) in devices.iter().enumerate() {
        let peak = d.profile.as_ref().and_then(|p| p.mem_bandwidth_gbs);
        let measured = d.bandwidth.as_ref().and_then(|b| b.best_read_gbs());
        for (gbs, what, dashed) in [(peak, "peak", false), (measured, "measured read", true)] {
            let Some(g) = gbs.filter(|g| g.is_finite() && *g > 0.0) else {
                continue;
            };
            // tok/s = GB/s × 1e9 / bytes = GB/s × 1e3 / MB.
            let pts: Vec<(f64, f64)> = (0..=16)
                .map(|k| lo * (hi / lo).powf(f64::from(k) / 16.0))
                .map(|mb| (mb, g * 1e3 / mb))
                .collect();
            series.push(Series {
                name: format!("{}: ceiling at {what} {g:.1} GB/s", d.label),
                err: vec![None; pts.len()],
                points: pts,
                line: true,
                markers: false,
                style: i,
                dashed,
            });
        }
    }
    let chart = Chart {
        stem: "roofline".into(),
        title: title.clone(),
        alt: "Decode tokens per second against megabytes read per token, log-log, with the ceilings the peak and measured memory bandwidth allow".into(),
        data: ChartData::Lines {
            x_label: "bytes read per decode token (MB, log)".into(),
            y_label: "decode rate (tok/s, log)".into(),
            log_x: true,
            log_y: true,
            y_from_zero: true,
            x_ticks: Vec::new(),
            series,
            legend: Corner::LowerLeft,
        },
    };
    (title, Ok(chart))
}
