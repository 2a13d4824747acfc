//! The charts of load runs (docs/load.md): how latency rises with
//! throughput as the arrival rate rises, and goodput against the offered
//! rate with each option's capacity marked. One line per option: device ·
//! model · backend · concurrency. The points are the runs of `--rate` and
//! the capacity search's trials together, in order of offered rate.
use super::Chart;
use super::data::{ChartData, Corner, Series};
use crate::load_run::{LoadPoint, LoadRun};
use crate::record::Record;
use crate::report::device::{DeviceResults, pair_of};

/// Every load chart's file stem starts with this.
pub const LOAD_STEM_PREFIX: &str = "load-";

/// One option's runs at one concurrency.
pub struct LoadLine<'a> {
    /// Legend text: device · model · backend · tT · cN.
    pub label: String,
    /// Requests served at once.
    pub concurrency: u32,
    /// Its runs (rates and search trials), by offered rate.
    pub points: Vec<&'a LoadPoint>,
    /// The capacity found at this concurrency, when bracketed.
    pub capacity_rps: Option<f64>,
}

/// The lines of every load record, by device, record and concurrency.
pub fn load_lines(devices: &[DeviceResults]) -> Vec<LoadLine<'_>> {
    let mut out = vec![];
    for d in devices {
        for r in d.load_runs() {
            let Some(run) = r.load.as_ref() else { continue };
            for &c in &run.concurrency {
                let mut points = points_at(run, c);
                if points.is_empty() {
                    continue;
                }
                points.sort_by(|a, b| a.offered_rps.total_cmp(&b.offered_rps));
                out.push(LoadLine {
                    label: label(d, r, c),
                    concurrency: c,
                    points,
                    capacity_rps: run
                        .capacity
                        .iter()
                        .find(|k| k.concurrency == c && k.finished && k.bracketed())
                        .map(|k| k.rps),
                });
            }
        }
    }
    out
}

fn points_at(run: &LoadRun, c: u32) -> Vec<&LoadPoint> {
    run.points
        .iter()
        .chain(
            run.capacity
                .iter()
                .filter(|k| k.concurrency == c)
                .flat_map(|k| &k.trials),
        )
        .filter(|p| p.concurrency == c && p.offered_rps.is_finite())
        .collect()
}

fn label(d: &DeviceResults, r: &Record, c: u32) -> String {
    let (m, b) = pair_of(r);
    format!("{} · {m} · {b} · t{} · c{c}", d.label, r.workload.threads)
}

/// The two load charts; none when no load run has a point.
pub fn load_charts(devices: &[DeviceResults]) -> Vec<Chart> {
    let lines = load_lines(devices);
    if lines.is_empty() {
        return Vec::new();
    }
    vec![latency_chart(&lines), goodput_chart(&lines)]
}

fn series(k: usize, name: String, points: Vec<(f64, f64)>, line: bool) -> Series {
    Series {
        name,
        err: vec![None; points.len()],
        line,
        markers: true,
        points,
        style: k,
        dashed: super::style::dashed(k),
    }
}

/// Generated tokens per second against the p99 TTFT (from arrival, queue
/// included), one point per run, joined in order of offered rate: the
/// curve bends up where queueing starts.
fn latency_chart(lines: &[LoadLine<'_>]) -> Chart {
    let series: Vec<Series> = lines
        .iter()
        .enumerate()
        .map(|(k, l)| {
            let pts = l
                .points
                .iter()
                .filter_map(|p| Some((p.gen_tps, p.ttft_ms.as_ref()?.p99)))
                .filter(|(x, y)| x.is_finite() && y.is_finite() && *y > 0.0)
                .collect();
            series(k, l.label.clone(), pts, true)
        })
        .collect();
    Chart {
        stem: format!("{LOAD_STEM_PREFIX}throughput-ttft"),
        title: "Throughput against p99 TTFT as load rises".into(),
        alt: format!(
            "Generated tokens per second (x) against the p99 time to first token from arrival \
             (y, ms), one point per load run, {} option(s), joined in order of offered rate",
            series.len()
        ),
        data: ChartData::Lines {
            x_label: "generated tokens per second, all requests".into(),
            y_label: "TTFT p99 from arrival (ms)".into(),
            log_x: false,
            log_y: false,
            y_from_zero: true,
            x_ticks: Vec::new(),
            series,
            legend: Corner::UpperLeft,
        },
    }
}

/// Goodput against offered rate, one line per option, and each option's
/// capacity as a marker on its line (goodput of the trial at that rate).
fn goodput_chart(lines: &[LoadLine<'_>]) -> Chart {
    let mut all: Vec<Series> = vec![];
    for (k, l) in lines.iter().enumerate() {
        let pts = l
            .points
            .iter()
            .map(|p| (p.offered_rps, p.goodput_rps))
            .filter(|(x, y)| x.is_finite() && y.is_finite())
            .collect();
        all.push(series(k, l.label.clone(), pts, true));
        if let Some(cap) = l.capacity_rps {
            let at = l
                .points
                .iter()
                .filter(|p| p.rate_rps == cap)
                .map(|p| (p.offered_rps, p.goodput_rps))
                .next();
            if let Some(at) = at {
                all.push(series(
                    k,
                    format!("capacity {:.3} req/s ({})", cap, l.label),
                    vec![at],
                    false,
                ));
            }
        }
    }
    Chart {
        stem: format!("{LOAD_STEM_PREFIX}goodput"),
        title: "Goodput against offered rate, capacity marked".into(),
        alt: format!(
            "Requests per second that met every latency limit (y) against the offered arrival \
             rate (x, requests/s), one line per option ({} line(s)); a lone marker is the \
             capacity the search found",
            lines.len()
        ),
        data: ChartData::Lines {
            x_label: "offered rate (requests/s)".into(),
            y_label: "goodput (requests/s within the limits)".into(),
            log_x: false,
            log_y: false,
            y_from_zero: true,
            x_ticks: Vec::new(),
            series: all,
            legend: Corner::UpperLeft,
        },
    }
}
