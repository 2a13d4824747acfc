//! Checks of `[load]`: open-loop load runs and capacity searches a sweep
//! does per model x backend (docs/profiles.md).
use super::KNOWN_BACKENDS;
use super::checker::{Checker, int_list};
use super::metric::SloMetric;
use super::raw::{RawLen, RawLoad, S};
use super::types::{Load, LoadTrace, MatrixSpec, ModelEntry, Slo, SloOp};
use crate::load_lengths::LenRange;
use std::path::Path;

/// llama.cpp's `LLAMA_MAX_SEQ`: sequences one context can hold.
const MAX_CONCURRENCY: u32 = 256;

/// The p99 limit an unfiltered `<=` SLO on `name` (`ttft_ms.p99`...) sets.
fn slo_limit(slos: &[Slo], name: &str) -> Option<f64> {
    slos.iter()
        .filter(|s| s.model.is_none() && s.backend.is_none() && s.op == SloOp::AtMost)
        .filter(|s| s.metric == SloMetric::parse(name).expect("a known metric"))
        .map(|s| s.threshold)
        .reduce(f64::min)
}

/// A count (`128`) or a range (`"32-256"`); `default` when absent or wrong
/// (the problem goes to `c`).
fn len_range(c: &mut Checker, v: Option<S<RawLen>>, key: &str, default: u32) -> LenRange {
    let Some(v) = v else {
        return LenRange::fixed(default);
    };
    let span = v.span();
    let parsed = match v.into_inner() {
        RawLen::Count(n) => n.to_string().parse::<LenRange>(),
        RawLen::Text(t) => t.parse::<LenRange>(),
    };
    parsed.unwrap_or_else(|e| {
        c.add(Some(span), key, e);
        LenRange::fixed(default)
    })
}

/// The trace file, resolved against the profile's folder, read and
/// parsed now so that a bad line is reported with the profile's problems.
fn trace(c: &mut Checker, t: S<String>, base_dir: &Path) -> Option<LoadTrace> {
    let span = t.span();
    let path = match super::paths::resolve(base_dir, t.get_ref()) {
        Ok(p) => p,
        Err(e) => {
            c.add(Some(span), "load.trace", e);
            return None;
        }
    };
    match crate::load_lengths::read_trace(&path) {
        Ok(lengths) => Some(LoadTrace { path, lengths }),
        Err(e) => {
            c.add(Some(span), "load.trace", e);
            None
        }
    }
}

/// `rates`, each above 0 and at most 1000000 requests/s; a bad one is
/// named by its index.
fn rates(c: &mut Checker, list: Option<S<Vec<S<f64>>>>) -> Vec<f64> {
    let mut rates = vec![];
    for (j, r) in list
        .map(S::into_inner)
        .unwrap_or_default()
        .into_iter()
        .enumerate()
    {
        let x = *r.get_ref();
        if x.is_finite() && x > 0.0 && x <= 1e6 {
            rates.push(x);
        } else {
            c.add(
                Some(r.span()),
                &format!("load.rates[{j}]"),
                format!("is {x}; give requests per second above 0 and at most 1000000"),
            );
        }
    }
    rates
}

/// `arrival`: `poisson` (default) or `constant`.
fn arrival(c: &mut Checker, a: Option<S<String>>) -> String {
    match a {
        None => "poisson".to_string(),
        Some(a) if matches!(a.get_ref().as_str(), "poisson" | "constant") => a.into_inner(),
        Some(a) => {
            c.add(
                Some(a.span()),
                "load.arrival",
                format!("is `{}`; give \"poisson\" or \"constant\"", a.get_ref()),
            );
            "poisson".into()
        }
    }
}

/// `[load]` with its defaults; every problem goes to `c`.
pub(crate) fn load(
    c: &mut Checker,
    raw: S<RawLoad>,
    models: &[ModelEntry],
    matrix: Option<&MatrixSpec>,
    slos: &[Slo],
    base_dir: &Path,
) -> Load {
    let span = raw.span();
    let l = raw.into_inner();
    let ids: Vec<&str> = models.iter().map(|m| m.id.as_str()).collect();
    let model_list = match l.models {
        None => ids.iter().map(|s| s.to_string()).collect(),
        Some(list) => {
            super::sustained_cost::known_only(c, list, "load.models", &ids, "a [[model]] id")
        }
    };
    let backends = match l.backends {
        None => matrix
            .and_then(|m| m.backends.first().cloned())
            .into_iter()
            .collect(),
        Some(list) => super::sustained_cost::known_only(
            c,
            list,
            "load.backends",
            &KNOWN_BACKENDS,
            "a backend id",
        ),
    };
    if let (Some(_), Some(n)) = (&l.trace, l.n_prompt.as_ref().or(l.n_gen.as_ref())) {
        c.add(
            Some(n.span()),
            "load.trace",
            "replaces load.n_prompt and load.n_gen; give the trace or the lengths",
        );
    }
    let n_prompt = len_range(c, l.n_prompt, "load.n_prompt", 128);
    let n_gen = len_range(c, l.n_gen, "load.n_gen", 32);
    let trace = l.trace.and_then(|t| trace(c, t, base_dir));
    let duration_s = c.duration(l.duration, "load.duration");
    if let (Some(_), Some(r)) = (duration_s, &l.requests) {
        c.add(
            Some(r.span()),
            "load.requests",
            "and load.duration both size a run; give one of them",
        );
    }
    use crate::limits::MAX_THREADS;
    let mut bounded = |v: Option<S<u32>>, key: &str, max: u32, default: u32| {
        c.bounded(v, key, (1, max), default).unwrap_or(default)
    };
    let threads = bounded(
        l.threads,
        "load.threads",
        MAX_THREADS,
        matrix.and_then(|m| m.threads.first().copied()).unwrap_or(1),
    );
    let requests = bounded(l.requests, "load.requests", 1_000_000, 100);
    let concurrency = int_list(
        c,
        l.concurrency,
        &span,
        "load.concurrency",
        (1, MAX_CONCURRENCY),
        Some(vec![1]),
    )
    .unwrap_or_else(|| vec![1]);
    let step_tokens = l.step_tokens.and_then(|v| {
        let most = concurrency.iter().max().copied().unwrap_or(1);
        crate::load_lengths::check_step_tokens(*v.get_ref(), most)
            .map_err(|e| c.add(Some(v.span()), "load.step_tokens", e))
            .ok()
            .map(|()| v.into_inner())
    });
    let rates = rates(c, l.rates);
    let arrival = arrival(c, l.arrival);
    let queue_timeout_s = c
        .duration(l.queue_timeout, "load.queue_timeout")
        .unwrap_or(60.0);
    let budget_s = c.duration(l.budget, "load.budget").unwrap_or(1800.0);
    let capacity = l.capacity.map(S::into_inner).unwrap_or(true);
    let ttft_ms = c
        .number(l.ttft_ms, "load.ttft_ms", false)
        .or_else(|| slo_limit(slos, "ttft_ms.p99"));
    let itl_ms = c
        .number(l.itl_ms, "load.itl_ms", false)
        .or_else(|| slo_limit(slos, "itl_ms.p99"));
    let e2e_ms = c
        .number(l.e2e_ms, "load.e2e_ms", false)
        .or_else(|| slo_limit(slos, "e2e_ms.p99"));
    if !capacity && rates.is_empty() {
        c.add(
            Some(span),
            "load",
            "runs nothing: give rates = [...] or leave capacity = true",
        );
    }
    Load {
        models: model_list,
        backends,
        threads,
        n_prompt,
        n_gen,
        trace,
        duration_s,
        concurrency,
        step_tokens,
        rates,
        arrival,
        requests,
        queue_timeout_s,
        capacity,
        ttft_ms,
        itl_ms,
        e2e_ms,
        budget_s,
    }
}
