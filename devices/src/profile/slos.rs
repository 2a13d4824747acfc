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
            .and_then(|v| {
                if v.get_ref().trim().is_empty() {
                    c.add(Some(v.span()), &k("name"), "is empty; give the SLO a name");
                    return None;
                }
                if let Some(first) = names.get(v.get_ref()) {
                    c.add(
                        Some(v.span()),
                        &k("name"),
                        format!(
                            "`{}` is already the name of slo[{first}]; names must be unique",
                            v.get_ref()
                        ),
                    );
                    return None;
                }
                names.insert(v.get_ref().clone(), i);
                Some(v.into_inner())
            });
        let model = s.model.and_then(|v| {
            if models.iter().any(|m| &m.id == v.get_ref()) {
                return Some(v.into_inner());
            }
            let ids: Vec<&str> = models.iter().map(|m| m.id.as_str()).collect();
            c.add(
                Some(v.span()),
                &k("model"),
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
        });
        let backend = s.backend.and_then(|v| match matrix {
            Some(m) if !m.backends.contains(v.get_ref()) => {
                c.add(
                    Some(v.span()),
                    &k("backend"),
                    format!(
                        "`{}` is not in [matrix] backends, so no case would match; backends: {}",
                        v.get_ref(),
                        m.backends.join(", ")
                    ),
                );
                None
            }
            _ => Some(v.into_inner()),
        });
        let metric = c
            .require(
                s.metric,
                &span,
                &k("metric"),
                "a metric, e.g. metric = \"ttft_ms.p99\"",
            )
            .and_then(|v| {
                let parsed = SloMetric::parse(v.get_ref());
                if parsed.is_none() {
                    let known: Vec<&str> = SloMetric::all().iter().map(|m| m.as_str()).collect();
                    c.add(
                        Some(v.span()),
                        &k("metric"),
                        format!(
                            "`{}` is not a metric; known: {}",
                            v.get_ref(),
                            known.join(", ")
                        ),
                    );
                }
                parsed
            });
        let op = c
            .require(s.op, &span, &k("op"), "op = \"<=\" or op = \">=\"")
            .and_then(|v| {
                let parsed = SloOp::parse(v.get_ref().trim());
                if parsed.is_none() {
                    c.add(
                        Some(v.span()),
                        &k("op"),
                        format!(
                            "`{}` is not an op; write \"<=\" (at most) or \">=\" (at least)",
                            v.get_ref()
                        ),
                    );
                }
                parsed
            });
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
