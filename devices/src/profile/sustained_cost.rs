//! Checks of `[sustained]` and `[cost]`, parsed now and used by later
//! commands (sustained runs, the cost model).
use super::checker::Checker;
use super::raw::{RawCost, RawSustained, S};
use super::types::{Cost, Sustained};

/// `[sustained]`: duration (default 10 min) and window (default 5 s).
pub(crate) fn sustained(c: &mut Checker, raw: S<RawSustained>) -> Sustained {
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
            Some(span),
            "sustained.window",
            format!("{window_s} s is not shorter than the duration ({duration_s} s); a run needs many windows"),
        );
    }
    Sustained {
        duration_s,
        window_s,
    }
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
    })
}
