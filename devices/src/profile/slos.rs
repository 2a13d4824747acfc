//! Checks of `[[slo]]` entries: names, filters, metric, op and threshold.
use std::collections::HashMap;

use super::SloMetric;
use super::checker::Checker;
use super::raw::{RawSlo, S};
use super::types::{MatrixSpec, ModelEntry, Slo, SloOp};

/// `[[slo]]` entries; filters must name a model id and a matrix backend.
pub(crate) fn slos(
    c: &mut Checker,
    raw: Vec<S<RawSlo>>,
    models: &[ModelEntry],
    matrix: Option<&MatrixSpec>,
) -> Vec<Slo> {
    let mut names: HashMap<String, usize> = HashMap::new();
    let mut out = Vec::new();
    for (i, s) in raw.into_iter().enumerate() {
        let span = s.span();
        let s = s.into_inner();
        let key = format!("slo[{i}]");
        let k = |f: &str| format!("{key}.{f}");
        let name = c
            .require(
                s.name,
                &span,
                &k("name"),
                "a name, e.g. name = \"interactive TTFT\"",
            )
            .and_then(|v| unique_name(c, v, &k("name"), &mut names, i));
        let model = s.model.and_then(|v| known_model(c, v, &k("model"), models));
        let backend = s
            .backend
            .and_then(|v| matrix_backend(c, v, &k("backend"), matrix));
        let metric = c
            .require(
                s.metric,
                &span,
                &k("metric"),
                "a metric, e.g. metric = \"ttft_ms.p99\"",
            )
            .and_then(|v| known_metric(c, v, &k("metric")));
        let op = c
            .require(s.op, &span, &k("op"), "op = \"<=\" or op = \">=\"")
            .and_then(|v| known_op(c, v, &k("op")));
        let threshold = c
            .require(
                s.threshold,
                &span,
                &k("threshold"),
                "threshold = <number in the metric's unit>",
            )
            .and_then(|v| c.number(Some(v), &k("threshold"), true));
        if let (Some(name), Some(metric), Some(op), Some(threshold)) = (name, metric, op, threshold)
        {
            out.push(Slo {
                name,
                model,
                backend,
                metric,
                op,
                threshold,
            });
        }
    }
    out
}

/// A non-empty name no earlier SLO has; `names` maps names to their index.
fn unique_name(
    c: &mut Checker,
    v: S<String>,
    key: &str,
    names: &mut HashMap<String, usize>,
    i: usize,
) -> Option<String> {
    if v.get_ref().trim().is_empty() {
        c.add(Some(v.span()), key, "is empty; give the SLO a name");
        return None;
    }
    if let Some(first) = names.get(v.get_ref()) {
        c.add(
            Some(v.span()),
            key,
            format!(
                "`{}` is already the name of slo[{first}]; names must be unique",
                v.get_ref()
            ),
        );
        return None;
    }
    names.insert(v.get_ref().clone(), i);
    Some(v.into_inner())
}

/// A model filter naming a `[[model]]` id.
fn known_model(c: &mut Checker, v: S<String>, key: &str, models: &[ModelEntry]) -> Option<String> {
    if models.iter().any(|m| &m.id == v.get_ref()) {
        return Some(v.into_inner());
    }
    let ids: Vec<&str> = models.iter().map(|m| m.id.as_str()).collect();
    c.add(
        Some(v.span()),
        key,
        format!(
            "`{}` is not the id of any [[model]]; known ids: {}",
            v.get_ref(),
            if ids.is_empty() {
                "(none)".into()
            } else {
                ids.join(", ")
            }
        ),
    );
    None
}

/// A backend filter in `[matrix] backends` (any, without a matrix).
fn matrix_backend(
    c: &mut Checker,
    v: S<String>,
    key: &str,
    matrix: Option<&MatrixSpec>,
) -> Option<String> {
    match matrix {
        Some(m) if !m.backends.contains(v.get_ref()) => {
            c.add(
                Some(v.span()),
                key,
                format!(
                    "`{}` is not in [matrix] backends, so no case would match; backends: {}",
                    v.get_ref(),
                    m.backends.join(", ")
                ),
            );
            None
        }
        _ => Some(v.into_inner()),
    }
}

/// A known SLO metric name.
fn known_metric(c: &mut Checker, v: S<String>, key: &str) -> Option<SloMetric> {
    let parsed = SloMetric::parse(v.get_ref());
    if parsed.is_none() {
        let known: Vec<&str> = SloMetric::all().iter().map(|m| m.as_str()).collect();
        c.add(
            Some(v.span()),
            key,
            format!(
                "`{}` is not a metric; known: {}",
                v.get_ref(),
                known.join(", ")
            ),
        );
    }
    parsed
}

/// `<=` or `>=`.
fn known_op(c: &mut Checker, v: S<String>, key: &str) -> Option<SloOp> {
    let parsed = SloOp::parse(v.get_ref().trim());
    if parsed.is_none() {
        c.add(
            Some(v.span()),
            key,
            format!(
                "`{}` is not an op; write \"<=\" (at most) or \">=\" (at least)",
                v.get_ref()
            ),
        );
    }
    parsed
}
