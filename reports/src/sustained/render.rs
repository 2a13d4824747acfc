//! A sustained run as Markdown: the summary, then the rate series.
use std::fmt::Write;

use crate::record::Record;

fn opt(v: Option<f64>, digits: usize) -> String {
    v.map_or("–".into(), |x| format!("{x:.digits$}"))
}

/// The summary table and the window series of each sustained record; other
/// records get one line saying they are not sustained runs.
pub fn render_md(records: &[Record]) -> String {
    let mut out = String::new();
    for r in records {
        let _ = writeln!(
            out,
            "## {} on {} ({} threads): {}\n",
            r.model_label(),
            r.backend.id,
            r.workload.threads,
            r.status.as_str()
        );
        if let Some(reason) = &r.reason {
            let _ = writeln!(out, "{reason}\n");
        }
        let Some(run) = &r.sustained else {
            continue;
        };
        let s = &run.summary;
        let st = &run.settings;
        let window = match (st.window_s, st.window_tokens) {
            (Some(w), _) => format!("{w} s"),
            (_, Some(n)) => format!("{n} tokens"),
            _ => "?".into(),
        };
        let _ = writeln!(
            out,
            "{} requests of {} over {:.0} s, gap {} s, windows of {window}, telemetry at {} Hz\n",
            run.requests,
            crate::record::TestShape::Request.test_name(st.n_prompt, st.n_gen, 0),
            st.duration_s,
            st.gap_s,
            st.telemetry_hz
        );
        let steady = match (s.steady_start_s, s.steady_end_s) {
            (Some(a), Some(b)) => format!("yes, {a:.0}–{b:.0} s"),
            _ => "no (sustained = median of the last 20 %)".into(),
        };
        let energy = s
            .energy
            .as_ref()
            .map_or("– (no power or energy counter)".into(), |e| {
                format!(
                    "{:.3} J/token ({:.1} W mean, from {}); prefill {} J/token, decode {} J/token",
                    e.per_token_j,
                    e.mean_power_w,
                    e.source,
                    opt(e.prefill_j_per_token, 4),
                    opt(e.decode_j_per_token, 4)
                )
            });
        let throttled = match s.throttled_fraction {
            Some(f) if s.throttle_signals.is_empty() => format!("{:.1} %", 100.0 * f),
            Some(f) => format!("{:.1} % ({})", 100.0 * f, s.throttle_signals.join(", ")),
            None => "– (no throttle signal on this machine)".into(),
        };
        let recovery = match (s.recovery_s, &s.recovery_note) {
            (Some(x), _) => format!("{x:.1} s"),
            (None, Some(n)) => format!("– ({n})"),
            (None, None) => "– (not watched; use --cooldown-watch)".into(),
        };
        let rows = [
            ("peak", format!("{:.2} tok/s", s.peak_tps)),
            ("sustained", format!("{:.2} tok/s", s.sustained_tps)),
            ("sustained_ratio", format!("{:.3}", s.sustained_ratio)),
            ("degradation_pct", format!("{:.1} %", s.degradation_pct)),
            ("steady state", steady),
            ("t_10", opt(s.t10_s, 0) + " s"),
            ("t_25", opt(s.t25_s, 0) + " s"),
            ("throttled time", throttled),
            ("energy", energy),
            ("recovery", recovery),
        ];
        out.push_str("| figure | value |\n|---|---|\n");
        for (k, v) in rows {
            let _ = writeln!(out, "| {k} | {v} |");
        }
        out.push('\n');
        for n in &s.notes {
            let _ = writeln!(out, "- {n}");
        }
        out.push_str(
            "\n| window end (s) | tokens | decode tok/s | prefill tok/s | hottest °C | CPU MHz | power W | throttled |\n\
             |---:|---:|---:|---:|---:|---:|---:|---|\n",
        );
        for w in &run.windows {
            let _ = writeln!(
                out,
                "| {:.1} | {} | {:.2} | {} | {} | {} | {} | {} |",
                w.end_s,
                w.tokens,
                w.decode_tps,
                opt(w.prefill_tps, 1),
                opt(w.temp_max_c, 1),
                opt(w.cpu_mhz, 0),
                opt(w.power_w, 2),
                w.throttled.map_or("–", |t| if t { "yes" } else { "no" })
            );
        }
        out.push('\n');
    }
    out
}
