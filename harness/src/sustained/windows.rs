//! From token and prompt events to the rate series, then the summary.
use edgebench_devices::telemetry::TelemetrySeries;
use edgebench_reports::sustained::{
    self, PhaseTotals, SustainedSummary, SustainedWindow, analyze_rates,
};

/// How the rate series is cut.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum WindowSpec {
    /// Fixed time windows, seconds.
    Seconds(f64),
    /// Every this-many decode tokens.
    Tokens(u32),
}

impl std::str::FromStr for WindowSpec {
    type Err = String;
    /// "5s", "500ms", "1m" (a duration) or "32tok" (tokens).
    fn from_str(s: &str) -> Result<WindowSpec, String> {
        if let Some(n) = s.strip_suffix("tok") {
            let n: u32 = n
                .trim()
                .parse()
                .map_err(|_| format!("'{s}': give a token count like 32tok"))?;
            if n < 2 {
                return Err(format!("'{s}': a token window needs at least 2 tokens"));
            }
            return Ok(WindowSpec::Tokens(n));
        }
        let d = humantime::parse_duration(s).map_err(|e| {
            format!("'{s}': {e}; give a duration like 5s or a token count like 32tok")
        })?;
        if d.as_secs_f64() <= 0.0 {
            return Err(format!("'{s}': the window must be longer than 0"));
        }
        Ok(WindowSpec::Seconds(d.as_secs_f64()))
    }
}

/// A timed event: when it ended (s since the run began), how long it took
/// (s), and how many tokens it covered.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Event {
    /// End time, seconds since the run began.
    pub end_s: f64,
    /// Busy time, seconds.
    pub busy_s: f64,
    /// Tokens.
    pub tokens: u32,
}

/// The rate series: decode rate per window, with prefill and telemetry.
pub fn windows(
    spec: WindowSpec,
    decode: &[Event],
    prefill: &[Event],
    run_end_s: f64,
    telemetry: &TelemetrySeries,
) -> Vec<SustainedWindow> {
    let bounds: Vec<(f64, f64)> = match spec {
        WindowSpec::Seconds(w) => {
            let n = (run_end_s / w + 1e-9).floor() as usize;
            (0..n).map(|k| (k as f64 * w, (k + 1) as f64 * w)).collect()
        }
        WindowSpec::Tokens(n) => {
            let mut out = Vec::new();
            let mut start = 0.0;
            for chunk in decode.chunks_exact(n as usize) {
                let end = chunk[chunk.len() - 1].end_s;
                out.push((start, end));
                start = end;
            }
            out
        }
    };
    bounds
        .into_iter()
        .filter_map(|(a, b)| {
            // Time windows are [a, b); token windows (a, b], closing on their
            // last token.
            let inside = |e: &&Event| match spec {
                WindowSpec::Seconds(_) => e.end_s >= a && e.end_s < b,
                WindowSpec::Tokens(_) => e.end_s > a && e.end_s <= b,
            };
            let (tokens, busy) = decode
                .iter()
                .filter(inside)
                .fold((0u32, 0.0), |(n, t), e| (n + e.tokens, t + e.busy_s));
            if tokens == 0 || busy <= 0.0 {
                return None;
            }
            let (p_tok, p_busy) = prefill
                .iter()
                .filter(inside)
                .fold((0u32, 0.0), |(n, t), e| (n + e.tokens, t + e.busy_s));
            let (temp_max_c, cpu_mhz, power_w, throttled) =
                sustained::window_telemetry(telemetry, a, b);
            Some(SustainedWindow {
                start_s: a,
                end_s: b,
                tokens,
                decode_tps: f64::from(tokens) / busy,
                prefill_tps: (p_busy > 0.0).then(|| f64::from(p_tok) / p_busy),
                temp_max_c,
                cpu_mhz,
                power_w,
                throttled,
            })
        })
        .collect()
}

/// The summary of a finished run (recovery is filled in by the caller).
pub fn summarize(
    windows: &[SustainedWindow],
    decode: &[Event],
    prefill: &[Event],
    duration_s: f64,
    run_end_s: f64,
    telemetry: &TelemetrySeries,
) -> Option<SustainedSummary> {
    let series: Vec<(f64, f64, f64)> = windows
        .iter()
        .map(|w| (w.start_s, w.end_s, w.decode_tps))
        .collect();
    let r = analyze_rates(&series, duration_s)?;
    let (throttled_fraction, throttle_signals) =
        sustained::throttled_fraction(telemetry, run_end_s);
    let totals = PhaseTotals {
        prefill_s: prefill.iter().map(|e| e.busy_s).sum(),
        decode_s: decode.iter().map(|e| e.busy_s).sum(),
        prefill_tokens: prefill.iter().map(|e| u64::from(e.tokens)).sum(),
        decode_tokens: decode.iter().map(|e| u64::from(e.tokens)).sum(),
        run_end_s,
    };
    let mut notes = Vec::new();
    if r.steady.is_none() {
        notes.push(format!(
            "no steady span (120 s with |slope| < 1 %/min and CV < 3 %) in {duration_s:.0} s: \
             sustained is the median of the last 20 % of the run; run longer (--duration 10m)"
        ));
    }
    if windows.len() < 6 {
        notes.push(format!(
            "only {} window(s): the peak and t_10/t_25 rest on few points; use a longer \
             --duration or a shorter --window",
            windows.len()
        ));
    }
    if telemetry.channels.is_empty() {
        notes.push(
            "this machine exposes no temperature, clock, power or throttle sensor: the series \
             has rates only"
                .to_string(),
        );
    }
    if let Some(cpu) = telemetry.sampler_cpu_s
        && run_end_s > 0.0
    {
        notes.push(format!(
            "telemetry sampler used {:.1} ms of CPU over {:.1} s ({:.3} % of one core) for {} \
             channel(s) at {} Hz",
            cpu * 1e3,
            run_end_s,
            100.0 * cpu / run_end_s,
            telemetry.channels.len(),
            telemetry.hz
        ));
    }
    Some(SustainedSummary {
        peak_tps: r.peak,
        steady: r.steady.is_some(),
        steady_start_s: r.steady.map(|s| s.0),
        steady_end_s: r.steady.map(|s| s.1),
        sustained_tps: r.sustained,
        sustained_ratio: r.sustained / r.peak,
        degradation_pct: 100.0 * r.degradation,
        t10_s: r.t10_s,
        t25_s: r.t25_s,
        throttled_fraction,
        throttle_signals,
        energy: sustained::energy(telemetry, totals),
        recovery_s: None,
        recovery_note: None,
        notes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(end_s: f64, busy_s: f64) -> Event {
        Event {
            end_s,
            busy_s,
            tokens: 1,
        }
    }

    #[test]
    fn window_specs_parse() {
        assert_eq!("5s".parse(), Ok(WindowSpec::Seconds(5.0)));
        assert_eq!("500ms".parse(), Ok(WindowSpec::Seconds(0.5)));
        assert_eq!("32tok".parse(), Ok(WindowSpec::Tokens(32)));
        assert!("1tok".parse::<WindowSpec>().is_err());
        assert!("0s".parse::<WindowSpec>().is_err());
        assert!("fast".parse::<WindowSpec>().unwrap_err().contains("32tok"));
    }

    #[test]
    fn time_windows_count_decode_rate_not_wall_rate() {
        // Window 0: two tokens of 0.1 s each (10 tok/s while decoding)
        // even though the window lasts 1 s; window 1: four of 0.05 s.
        let decode = [
            ev(0.2, 0.1),
            ev(0.3, 0.1),
            ev(1.1, 0.05),
            ev(1.2, 0.05),
            ev(1.3, 0.05),
            ev(1.4, 0.05),
        ];
        let w = windows(
            WindowSpec::Seconds(1.0),
            &decode,
            &[],
            2.5,
            &TelemetrySeries::default(),
        );
        // The partial third window (2..2.5 s) is dropped; it has no tokens anyway.
        assert_eq!(w.len(), 2);
        assert_eq!(w[0].tokens, 2);
        assert!((w[0].decode_tps - 10.0).abs() < 1e-9);
        assert!((w[1].decode_tps - 20.0).abs() < 1e-9);
        assert_eq!(w[0].temp_max_c, None);
        assert_eq!(w[0].throttled, None);
    }

    #[test]
    fn token_windows_close_on_their_last_token() {
        let decode: Vec<Event> = (1..=7).map(|i| ev(i as f64 * 0.1, 0.1)).collect();
        let w = windows(
            WindowSpec::Tokens(3),
            &decode,
            &[],
            1.0,
            &TelemetrySeries::default(),
        );
        assert_eq!(w.len(), 2, "7 tokens make two full windows of 3");
        assert_eq!((w[0].start_s, w[0].end_s), (0.0, 0.30000000000000004));
        assert_eq!(w[0].tokens, 3);
        assert_eq!(w[1].tokens, 3);
    }
}
