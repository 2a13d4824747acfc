//! Checks of `[matrix]`: the lists whose product is the set of cases, and
//! the per-case settings with their defaults.
use super::KNOWN_BACKENDS;
use super::checker::{Checker, int_list};
use super::raw::{RawMatrix, S};
use super::types::{Cooldown, MatrixSpec};
use crate::limits::{MAX_REPS, MAX_THREADS, MAX_TOKENS, MAX_WARMUP};

/// `[matrix]`, which every profile needs.
pub(crate) fn check(c: &mut Checker, raw: Option<S<RawMatrix>>) -> Option<MatrixSpec> {
    let Some(raw) = raw else {
        c.add(
            None,
            "[matrix]",
            "missing; add a [matrix] table with backends, threads, n_prompt and n_gen",
        );
        return None;
    };
    let span = raw.span();
    let m = raw.into_inner();
    let backends = backends(c, m.backends, &span);
    let tokens = |min| (min, MAX_TOKENS);
    let threads = int_list(
        c,
        m.threads,
        &span,
        "matrix.threads",
        (1, MAX_THREADS),
        None,
    );
    let n_prompt = int_list(c, m.n_prompt, &span, "matrix.n_prompt", tokens(1), None);
    let n_gen = int_list(c, m.n_gen, &span, "matrix.n_gen", tokens(0), None);
    let n_depth = int_list(
        c,
        m.n_depth,
        &span,
        "matrix.n_depth",
        tokens(0),
        Some(vec![0]),
    );
    let reps = c.bounded(m.reps, "matrix.reps", (1, MAX_REPS), 5);
    let batch = c.bounded(m.batch, "matrix.batch", tokens(1), 2048);
    let ubatch_span = m.ubatch.as_ref().map(|u| u.span());
    let ubatch = c.bounded(m.ubatch, "matrix.ubatch", tokens(1), 512);
    if let (Some(b), Some(u), Some(span)) = (batch, ubatch, ubatch_span)
        && u > b
    {
        c.add(
            Some(span),
            "matrix.ubatch",
            format!(
                "is {u}, larger than matrix.batch ({b}); the micro-batch must fit in the batch"
            ),
        );
    }
    let warmup = c.bounded(m.warmup, "matrix.warmup", (0, MAX_WARMUP), 1);
    let timeout_given = m.timeout.is_some();
    let timeout_s = c.duration(m.timeout, "matrix.timeout");
    let timeout_s = if timeout_given {
        timeout_s
    } else {
        Some(600.0)
    };
    let min_duration_s = c.duration(m.min_duration, "matrix.min_duration");
    let max_start_temp_c = c.number(m.max_start_temp_c, "matrix.max_start_temp_c", false);
    let cooldown = m.cooldown.and_then(|raw| {
        let span = raw.span();
        let cd = raw.into_inner();
        let max_temp_c = c
            .require(
                cd.max_temp_c,
                &span,
                "matrix.cooldown.max_temp_c",
                "the hottest sensor allowed before a case starts, e.g. max_temp_c = 60",
            )
            .and_then(|v| c.number(Some(v), "matrix.cooldown.max_temp_c", false));
        let timeout_given = cd.timeout_s.is_some();
        let timeout_s = c.duration(cd.timeout_s, "matrix.cooldown.timeout_s");
        let timeout_s = if timeout_given { timeout_s? } else { 600.0 };
        Some(Cooldown {
            max_temp_c: max_temp_c?,
            timeout_s,
        })
    });
    Some(MatrixSpec {
        backends: backends?,
        threads: threads?,
        n_prompt: n_prompt?,
        n_gen: n_gen?,
        n_depth: n_depth?,
        reps: reps?,
        warmup: warmup?,
        timeout_s: timeout_s?,
        batch: batch?,
        ubatch: ubatch?,
        n_gpu_layers: m.n_gpu_layers.map(S::into_inner),
        min_duration_s,
        max_start_temp_c,
        bandwidth: m.bandwidth.map(S::into_inner).unwrap_or(true),
        quality: m.quality.is_some_and(S::into_inner),
        cooldown,
        force: m.force.is_some_and(S::into_inner),
        allow_long_context: m.allow_long_context.is_some_and(S::into_inner),
    })
}

fn backends(
    c: &mut Checker,
    v: Option<S<Vec<S<String>>>>,
    table: &std::ops::Range<usize>,
) -> Option<Vec<String>> {
    let Some(v) = v else {
        c.add(
            Some(table.clone()),
            "matrix.backends",
            "missing; add e.g. backends = [\"llama.cpp\"]",
        );
        return None;
    };
    let span = v.span();
    let items = v.into_inner();
    if items.is_empty() {
        c.add(
            Some(span),
            "matrix.backends",
            format!(
                "is empty; give at least one of: {}",
                KNOWN_BACKENDS.join(", ")
            ),
        );
        return None;
    }
    let mut out: Vec<String> = Vec::new();
    let mut ok = true;
    for (j, b) in items.into_iter().enumerate() {
        let key = format!("matrix.backends[{j}]");
        if !KNOWN_BACKENDS.contains(&b.get_ref().as_str()) {
            c.add(
                Some(b.span()),
                &key,
                format!(
                    "`{}` is not a backend id; known: {} (ids this build lacks are accepted and reported as unavailable when the sweep runs)",
                    b.get_ref(),
                    KNOWN_BACKENDS.join(", ")
                ),
            );
            ok = false;
        } else if out.contains(b.get_ref()) {
            c.add(
                Some(b.span()),
                &key,
                format!("`{}` is listed twice; list each backend once", b.get_ref()),
            );
            ok = false;
        } else {
            out.push(b.into_inner());
        }
    }
    ok.then_some(out)
}
