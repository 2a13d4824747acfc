//! What the telemetry says about a sustained run: per-window temperature,
//! clock and power, the throttled-time fraction and the energy per token.
use edgebench_devices::telemetry::{
    ChannelKind, NVML_THROTTLING_REASONS, PI_THROTTLED_NOW, TelemetrySeries,
};
use serde::{Deserialize, Serialize};

/// A clock below this share of its maximum under load counts as throttled.
const CLOCK_THROTTLED_BELOW: f64 = 0.95;

/// Energy over a sustained run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Energy {
    /// The channels summed, e.g. "rapl/package-0 + nvml0/energy".
    pub source: String,
    /// Joules over the run.
    pub total_j: f64,
    /// Mean power over the run, W.
    pub mean_power_w: f64,
    /// Joules per generated token (all energy over all decode tokens).
    pub per_token_j: f64,
    /// Joules per prompt token, from the mean power over prefill time.
    pub prefill_j_per_token: Option<f64>,
    /// Joules per decode token, from the mean power over decode time.
    pub decode_j_per_token: Option<f64>,
    /// How the split was made, for the reader.
    pub method: String,
}

/// Time and tokens a run spent in each phase.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PhaseTotals {
    /// Seconds spent in prefill.
    pub prefill_s: f64,
    /// Seconds spent in decode.
    pub decode_s: f64,
    /// Prompt tokens processed.
    pub prefill_tokens: u64,
    /// Tokens generated.
    pub decode_tokens: u64,
    /// When the load stopped, seconds since the run began.
    pub run_end_s: f64,
}

/// Per-sample throttle flags (None: no throttle signal exists) and the
/// names of channels whose signal was on at least once.
fn throttle_flags(s: &TelemetrySeries) -> (Option<Vec<bool>>, Vec<String>) {
    let cols: Vec<usize> = (0..s.channels.len())
        .filter(|&c| {
            let ch = &s.channels[c];
            match ch.kind {
                ChannelKind::ThrottleCount
                | ChannelKind::GpuThrottleReasons
                | ChannelKind::PiThrottled => true,
                ChannelKind::CpuClock | ChannelKind::GpuClock => ch.max.is_some_and(|m| m > 0.0),
                _ => false,
            }
        })
        .collect();
    if cols.is_empty() {
        return (None, Vec::new());
    }
    let mut on_ever = vec![false; s.channels.len()];
    let flags = (0..s.rows.len())
        .map(|i| {
            let mut any = false;
            for &c in &cols {
                let Some(v) = s.rows[i][c] else { continue };
                let ch = &s.channels[c];
                let on = match ch.kind {
                    ChannelKind::ThrottleCount => i > 0 && s.rows[i - 1][c].is_some_and(|p| v > p),
                    ChannelKind::GpuThrottleReasons => (v as u64) & NVML_THROTTLING_REASONS != 0,
                    ChannelKind::PiThrottled => (v as u64) & PI_THROTTLED_NOW != 0,
                    _ => ch.max.is_some_and(|m| v < CLOCK_THROTTLED_BELOW * m),
                };
                if on {
                    on_ever[c] = true;
                    any = true;
                }
            }
            any
        })
        .collect();
    let names = (0..s.channels.len())
        .filter(|&c| on_ever[c])
        .map(|c| s.channels[c].name.clone())
        .collect();
    (Some(flags), names)
}

/// Share of samples taken under load (t <= `run_end_s`) with a throttle
/// signal on, and the channels that signalled; None when none exists.
pub fn throttled_fraction(s: &TelemetrySeries, run_end_s: f64) -> (Option<f64>, Vec<String>) {
    let (flags, names) = throttle_flags(s);
    let Some(flags) = flags else {
        return (None, names);
    };
    let under_load: Vec<bool> = s
        .t_s
        .iter()
        .zip(flags)
        .filter(|(t, _)| **t <= run_end_s)
        .map(|(_, f)| f)
        .collect();
    if under_load.is_empty() {
        return (None, names);
    }
    let on = under_load.iter().filter(|&&f| f).count();
    (Some(on as f64 / under_load.len() as f64), names)
}

/// (t0, t1, watts): mean power between two samples.
type Interval = (f64, f64, f64);

/// Power as (t0, t1, watts) intervals between samples, from the best source:
/// a whole-board input rail, else RAPL packages plus NVML GPU energy, else
/// the sum of INA3221 rails. None without any.
fn power_intervals(s: &TelemetrySeries) -> Option<(String, Vec<Interval>)> {
    let names = |cols: &[usize]| {
        cols.iter()
            .map(|&c| s.channels[c].name.as_str())
            .collect::<Vec<_>>()
            .join(" + ")
    };
    let gauges = |cols: Vec<usize>| -> Vec<Interval> {
        (1..s.rows.len())
            .filter_map(|i| {
                let p = |row: &Vec<Option<f64>>| cols.iter().map(|&c| row[c]).sum::<Option<f64>>();
                Some((
                    s.t_s[i - 1],
                    s.t_s[i],
                    (p(&s.rows[i - 1])? + p(&s.rows[i])?) / 2.0,
                ))
            })
            .collect()
    };
    let total: Vec<usize> = (0..s.channels.len())
        .filter(|&c| s.channels[c].total_input && s.channels[c].kind == ChannelKind::Power)
        .collect();
    if !total.is_empty() {
        return Some((names(&total), gauges(total)));
    }
    let counters: Vec<usize> = (0..s.channels.len())
        .filter(|&c| {
            let n = &s.channels[c].name;
            s.channels[c].kind == ChannelKind::Energy
                && (n.starts_with("rapl/package") || n.starts_with("nvml"))
        })
        .collect();
    if !counters.is_empty() {
        let iv = (1..s.rows.len())
            .filter_map(|i| {
                let dt = s.t_s[i] - s.t_s[i - 1];
                let de = counters
                    .iter()
                    .map(|&c| Some(s.rows[i][c]? - s.rows[i - 1][c]?))
                    .sum::<Option<f64>>()?;
                (dt > 0.0).then_some((s.t_s[i - 1], s.t_s[i], de / dt))
            })
            .collect();
        return Some((names(&counters), iv));
    }
    let rails: Vec<usize> = (0..s.channels.len())
        .filter(|&c| {
            s.channels[c].kind == ChannelKind::Power && s.channels[c].name.starts_with("ina3")
        })
        .collect();
    if !rails.is_empty() {
        return Some((
            format!("{} (monitored rails only)", names(&rails)),
            gauges(rails),
        ));
    }
    None
}

/// Joules in [a, b] from power intervals (clipped at the edges).
fn joules(iv: &[Interval], a: f64, b: f64) -> (f64, f64) {
    let mut e = 0.0;
    let mut covered = 0.0;
    for &(t0, t1, p) in iv {
        let overlap = t1.min(b) - t0.max(a);
        if overlap > 0.0 {
            e += p * overlap;
            covered += overlap;
        }
    }
    (e, covered)
}

/// Energy over the run, split by phase time; None without a power source
/// or without samples covering the run.
pub fn energy(s: &TelemetrySeries, t: PhaseTotals) -> Option<Energy> {
    let (source, iv) = power_intervals(s)?;
    let (total_j, covered) = joules(&iv, 0.0, t.run_end_s);
    if covered <= 0.0 || t.decode_tokens == 0 {
        return None;
    }
    let mean_power_w = total_j / covered;
    let per = |secs: f64, tokens: u64| (tokens > 0).then(|| mean_power_w * secs / tokens as f64);
    Some(Energy {
        source,
        // Scaled to the whole run where the samples cover only part of it.
        total_j: mean_power_w * t.run_end_s,
        mean_power_w,
        per_token_j: mean_power_w * t.run_end_s / t.decode_tokens as f64,
        prefill_j_per_token: per(t.prefill_s, t.prefill_tokens),
        decode_j_per_token: per(t.decode_s, t.decode_tokens),
        method: "mean power over the run x each phase's time: counters sampled at ~1 Hz \
                 cannot tell millisecond phases apart"
            .to_string(),
    })
}

/// Hottest temperature, mean CPU clock, mean power and throttled flag over
/// [a, b]; windows shorter than the sampling period use the sample nearest
/// before `b`.
pub fn window_telemetry(
    s: &TelemetrySeries,
    a: f64,
    b: f64,
) -> (Option<f64>, Option<f64>, Option<f64>, Option<bool>) {
    let mut idx: Vec<usize> = (0..s.t_s.len())
        .filter(|&i| s.t_s[i] >= a && s.t_s[i] <= b)
        .collect();
    if idx.is_empty()
        && let Some(i) = (0..s.t_s.len()).rev().find(|&i| s.t_s[i] <= b)
    {
        idx.push(i);
    }
    let temp = idx
        .iter()
        .filter_map(|&i| s.hottest_c(i))
        .fold(None, |m: Option<f64>, v| Some(m.map_or(v, |m| m.max(v))));
    let clocks: Vec<f64> = idx
        .iter()
        .flat_map(|&i| {
            s.columns_of(ChannelKind::CpuClock)
                .into_iter()
                .filter_map(move |c| s.rows[i][c])
        })
        .collect();
    let cpu = (!clocks.is_empty()).then(|| clocks.iter().sum::<f64>() / clocks.len() as f64);
    let power = power_intervals(s).and_then(|(_, iv)| {
        let (e, covered) = joules(&iv, a, b);
        (covered > 0.0).then(|| e / covered)
    });
    let (flags, _) = throttle_flags(s);
    let throttled = flags.map(|f| idx.iter().any(|&i| f[i]));
    (temp, cpu, power, throttled)
}

#[cfg(test)]
mod tests {
    use super::*;
    use edgebench_devices::telemetry::Channel;

    fn channel(name: &str, kind: ChannelKind, max: Option<f64>, total: bool) -> Channel {
        let mut c: Channel = serde_json::from_value(serde_json::json!({
            "name": name, "kind": kind, "unit": kind.unit()
        }))
        .unwrap();
        c.max = max;
        c.total_input = total;
        c
    }

    fn series(channels: Vec<Channel>, rows: Vec<Vec<Option<f64>>>) -> TelemetrySeries {
        TelemetrySeries {
            hz: 1.0,
            t_s: (0..rows.len()).map(|i| i as f64).collect(),
            channels,
            rows,
            late_samples: 0,
            sampler_cpu_s: None,
        }
    }

    #[test]
    fn throttle_signals_from_counters_clocks_and_bits() {
        let s = series(
            vec![
                channel(
                    "throttle/core_count",
                    ChannelKind::ThrottleCount,
                    None,
                    false,
                ),
                channel(
                    "cpufreq/policy0",
                    ChannelKind::CpuClock,
                    Some(2400.0),
                    false,
                ),
                channel("rpi/throttled", ChannelKind::PiThrottled, None, false),
            ],
            vec![
                vec![Some(3.0), Some(2400.0), Some(0.0)],
                vec![Some(3.0), Some(2300.0), Some(0.0)], // 95.8 %: not throttled
                vec![Some(5.0), Some(2400.0), Some(0.0)], // counter rose
                vec![Some(5.0), Some(1500.0), Some(0.0)], // clock down
                vec![Some(5.0), Some(2400.0), Some(f64::from(0x4))], // pi throttled now
                vec![Some(5.0), Some(2400.0), Some(f64::from(0x40000))], // since boot only
            ],
        );
        let (f, names) = throttled_fraction(&s, 10.0);
        assert_eq!(f, Some(3.0 / 6.0));
        assert_eq!(names.len(), 3);
        // Samples after the load stopped do not count.
        assert_eq!(throttled_fraction(&s, 2.5).0, Some(1.0 / 3.0));
        let none = series(
            vec![channel("thermal/x", ChannelKind::Temperature, None, false)],
            vec![vec![Some(40.0)]],
        );
        assert_eq!(throttled_fraction(&none, 10.0), (None, vec![]));
    }

    #[test]
    fn energy_from_a_counter_and_from_a_total_rail() {
        // RAPL package: 10 W for 4 s.
        let s = series(
            vec![channel("rapl/package-0", ChannelKind::Energy, None, false)],
            (0..5).map(|i| vec![Some(10.0 * i as f64)]).collect(),
        );
        let t = PhaseTotals {
            prefill_s: 1.0,
            decode_s: 3.0,
            prefill_tokens: 100,
            decode_tokens: 60,
            run_end_s: 4.0,
        };
        let e = energy(&s, t).unwrap();
        assert!((e.total_j - 40.0).abs() < 1e-9);
        assert!((e.mean_power_w - 10.0).abs() < 1e-9);
        assert!((e.per_token_j - 40.0 / 60.0).abs() < 1e-9);
        assert!((e.prefill_j_per_token.unwrap() - 0.1).abs() < 1e-9);
        assert!((e.decode_j_per_token.unwrap() - 0.5).abs() < 1e-9);
        // A VDD_IN rail beats the rails beside it; trapezoid of 6 W and 8 W.
        let s = series(
            vec![
                channel("ina3221/VDD_IN", ChannelKind::Power, None, true),
                channel("ina3221/VDD_CPU", ChannelKind::Power, None, false),
            ],
            vec![vec![Some(6.0), Some(1.0)], vec![Some(8.0), Some(1.0)]],
        );
        let e = energy(
            &s,
            PhaseTotals {
                run_end_s: 1.0,
                ..t
            },
        )
        .unwrap();
        assert_eq!(e.source, "ina3221/VDD_IN");
        assert!((e.mean_power_w - 7.0).abs() < 1e-9);
        // No power source: no energy, never 0 J.
        let s = series(
            vec![channel("thermal/x", ChannelKind::Temperature, None, false)],
            vec![vec![Some(1.0)], vec![Some(1.0)]],
        );
        assert_eq!(energy(&s, t), None);
    }

    #[test]
    fn window_figures() {
        let s = series(
            vec![
                channel("thermal/a", ChannelKind::Temperature, None, false),
                channel("thermal/b", ChannelKind::Temperature, None, false),
                channel(
                    "cpufreq/policy0",
                    ChannelKind::CpuClock,
                    Some(2000.0),
                    false,
                ),
            ],
            vec![
                vec![Some(40.0), Some(45.0), Some(2000.0)],
                vec![Some(50.0), None, Some(1000.0)],
                vec![Some(41.0), Some(42.0), Some(2000.0)],
            ],
        );
        let (temp, cpu, power, thr) = window_telemetry(&s, 0.0, 1.0);
        assert_eq!(temp, Some(50.0));
        assert_eq!(cpu, Some(1500.0));
        assert_eq!(power, None);
        assert_eq!(thr, Some(true));
        // A window between samples takes the one before its end.
        let (temp, _, _, thr) = window_telemetry(&s, 2.2, 2.4);
        assert_eq!(temp, Some(42.0));
        assert_eq!(thr, Some(false));
    }
}
