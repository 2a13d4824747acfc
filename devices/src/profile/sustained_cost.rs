//! Checks of `[sustained]` and `[cost]`, parsed now and used by later
//! commands (sustained runs, the cost model).
use super::KNOWN_BACKENDS;
use super::checker::Checker;
use super::raw::{RawCost, RawSustained, S};
use super::types::{Cost, MatrixSpec, ModelEntry, Sustained};

/// `[sustained]`: duration (default 10 min) and window (default 5 s), the
/// models (default every one) and backends (default the matrix's first)
/// to run, and the request shape.
pub(crate) fn sustained(
    c: &mut Checker,
    raw: S<RawSustained>,
    models: &[ModelEntry],
    matrix: Option<&MatrixSpec>,
) -> Sustained {
    let span = raw.span();
    let s = raw.into_inner();
    let (duration_given, window_given) = (s.duration.is_some(), s.window.is_some());
    let duration = c.duration(s.duration, "sustained.duration");
    let window = c.duration(s.window, "sustained.window");
    let both_valid = duration.is_some() == duration_given && window.is_some() == window_given;
    let duration_s = duration.unwrap_or(600.0);
    let window_s = window.unwrap_or(5.0);
    if both_valid && window_s >= duration_s {
        c.add(
            Some(span.clone()),
            "sustained.window",
            format!("{window_s} s is not shorter than the duration ({duration_s} s); a run needs many windows"),
        );
    }
    let ids: Vec<&str> = models.iter().map(|m| m.id.as_str()).collect();
    let model_list = match s.models {
        None => ids.iter().map(|s| s.to_string()).collect(),
        Some(list) => known_only(c, list, "sustained.models", &ids, "a [[model]] id"),
    };
    let backends = match s.backends {
        None => matrix
            .and_then(|m| m.backends.first().cloned())
            .into_iter()
            .collect(),
        Some(list) => known_only(
            c,
            list,
            "sustained.backends",
            &KNOWN_BACKENDS,
            "a backend id",
        ),
    };
    use crate::limits::{MAX_THREADS, MAX_TOKENS};
    let mut positive = |v: Option<S<u32>>, key: &str, max: u32, default: u32| {
        c.bounded(v, key, (1, max), default).unwrap_or(default)
    };
    let threads = positive(
        s.threads,
        "sustained.threads",
        MAX_THREADS,
        matrix.and_then(|m| m.threads.first().copied()).unwrap_or(1),
    );
    let n_prompt = positive(s.n_prompt, "sustained.n_prompt", MAX_TOKENS, 128);
    let n_gen = positive(s.n_gen, "sustained.n_gen", MAX_TOKENS, 128);
    if n_gen < 2 {
        c.add(
            Some(span.clone()),
            "sustained.n_gen",
            "must be at least 2: a sustained run measures decode",
        );
    }
    let gap_given = s.gap.is_some();
    let gap_s = c.duration(s.gap, "sustained.gap");
    let gap_s = if gap_given { gap_s.unwrap_or(0.0) } else { 0.0 };
    let hz = c
        .number(s.telemetry_hz, "sustained.telemetry_hz", false)
        .unwrap_or(1.0);
    if hz > 100.0 {
        c.add(
            Some(span),
            "sustained.telemetry_hz",
            format!("{hz} Hz is above the 100 Hz the sampler allows"),
        );
    }
    Sustained {
        duration_s,
        window_s,
        models: model_list,
        backends,
        threads,
        n_prompt,
        n_gen,
        gap_s,
        telemetry_hz: hz,
        cooldown_watch: s.cooldown_watch.map(S::into_inner).unwrap_or(false),
    }
}

/// The items of `list` that are in `known`; each other one is a problem
/// at `key[j]`.
pub(crate) fn known_only(
    c: &mut Checker,
    list: S<Vec<S<String>>>,
    key: &str,
    known: &[&str],
    what: &str,
) -> Vec<String> {
    let mut out = Vec::new();
    for (j, item) in list.into_inner().into_iter().enumerate() {
        if known.contains(&item.get_ref().as_str()) {
            out.push(item.into_inner());
        } else {
            c.add(
                Some(item.span()),
                &format!("{key}[{j}]"),
                format!(
                    "`{}` is not {what}; known: {}",
                    item.get_ref(),
                    known.join(", ")
                ),
            );
        }
    }
    out
}

/// `[cost]`: capex defaults to `[device] price_usd`, upkeep and engineering
/// to 0, the horizon to 36 months; the cloud price per query is required.
pub(crate) fn cost(c: &mut Checker, raw: S<RawCost>, price_usd: Option<f64>) -> Option<Cost> {
    let span = raw.span();
    let r = raw.into_inner();
    let capex_given = r.capex_usd.is_some();
    let capex = c.number(r.capex_usd, "cost.capex_usd", true);
    let capex_usd = match (capex, capex_given, price_usd) {
        (Some(x), _, _) => Some(x),
        (None, false, Some(p)) => Some(p),
        (None, false, None) => {
            c.add(
                Some(span.clone()),
                "cost.capex_usd",
                "missing and [device] has no price_usd; give one of them",
            );
            None
        }
        (None, true, _) => None,
    };
    let lifecycle = c.number(
        r.lifecycle_usd_per_month,
        "cost.lifecycle_usd_per_month",
        true,
    );
    let engineering = c.number(r.engineering_usd, "cost.engineering_usd", true);
    let horizon = c.number(r.horizon_months, "cost.horizon_months", false);
    let cloud = c
        .require(
            r.cloud_cost_per_query_usd,
            &span,
            "cost.cloud_cost_per_query_usd",
            "what one query costs in the cloud, e.g. cloud_cost_per_query_usd = 0.0005",
        )
        .and_then(|v| c.number(Some(v), "cost.cloud_cost_per_query_usd", false));
    let monthly_queries = c.number(r.monthly_queries, "cost.monthly_queries", true);
    Some(Cost {
        capex_usd: capex_usd?,
        lifecycle_usd_per_month: lifecycle.unwrap_or(0.0),
        engineering_usd: engineering.unwrap_or(0.0),
        horizon_months: horizon.unwrap_or(36.0),
        cloud_cost_per_query_usd: cloud?,
        monthly_queries,
        note: r.note.map(|n| n.into_inner()),
    })
}
