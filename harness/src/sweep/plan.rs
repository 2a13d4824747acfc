//! A sweep's plan: the profile's matrix expanded into cases in model-reuse
//! order, every model resolved and checked, every problem found before
//! anything runs.
use std::fmt::Write as _;

use anyhow::Result;
use edgebench_backends::BackendKind;
use edgebench_devices::profile::{ArtifactFormat, ModelEntry, Profile};

use super::filter::Filter;
use super::protocol::JobCase;
use crate::cache;
use crate::model::{ResolvedModel, resolve_model_for};
use crate::plan::ModelSource;

/// Why a group will not run at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Blocked {
    /// The backend is not in this build, or the model has no file it runs.
    Unavailable(String),
    /// The model file's sha256 is not the pinned one.
    ArtifactMismatch(String),
}

/// One model x backend group: one worker, one model load.
pub struct SweepGroup {
    /// Profile model id.
    pub model_id: String,
    /// The backend, typed from the profile's id.
    pub backend: BackendKind,
    /// The checked model (None when it could not be resolved; then `blocked` says why).
    pub model: Option<ResolvedModel>,
    /// Set when the group's cases are recorded without running.
    pub blocked: Option<Blocked>,
    /// Cases in run order.
    pub cases: Vec<JobCase>,
}

/// The whole sweep.
pub struct SweepPlan {
    /// Groups in run order.
    pub groups: Vec<SweepGroup>,
    /// Sustained runs (`[sustained]`), after the matrix: one group of one
    /// case each, keyed `model/backend/tT/sustained`.
    pub sustained: Vec<SweepGroup>,
    /// Load runs (`[load]`), after the sustained runs: one group of one
    /// case each, keyed `model/backend/tT/load`.
    pub load: Vec<SweepGroup>,
}

impl SweepPlan {
    /// Every case key, in run order.
    pub fn keys(&self) -> Vec<String> {
        self.groups
            .iter()
            .chain(&self.sustained)
            .chain(&self.load)
            .flat_map(|g| g.cases.iter().map(|c| c.key.clone()))
            .collect()
    }

    /// Number of cases.
    pub fn len(&self) -> usize {
        self.groups
            .iter()
            .chain(&self.sustained)
            .chain(&self.load)
            .map(|g| g.cases.len())
            .sum()
    }

    /// Whether there is nothing to run.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The `--dry-run` listing.
    pub fn describe(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(s, "| # | case | model | backend | threads | test | note |");
        let _ = writeln!(s, "| ---: | --- | --- | --- | ---: | --- | --- |");
        let mut n = 0;
        for g in self.groups.iter().chain(&self.sustained).chain(&self.load) {
            let note = match &g.blocked {
                None => String::new(),
                Some(Blocked::Unavailable(why)) => format!("ep_unavailable: {why}"),
                Some(Blocked::ArtifactMismatch(why)) => format!("artifact_mismatch: {why}"),
            };
            for c in &g.cases {
                n += 1;
                let test = if c.key.ends_with(SUSTAINED_SUFFIX) {
                    format!("sustained/{}", test_name(c))
                } else if c.key.ends_with(LOAD_SUFFIX) {
                    format!("load/{}", test_name(c))
                } else {
                    test_name(c)
                };
                let _ = writeln!(
                    s,
                    "| {n} | {} | {} | {} | {} | {test} | {note} |",
                    c.key, g.model_id, g.backend, c.threads
                );
            }
        }
        s
    }
}

fn test_name(c: &JobCase) -> String {
    c.workload().test_name()
}

/// What ends the key of a sustained case.
pub const SUSTAINED_SUFFIX: &str = "/sustained";

/// What ends the key of a load case.
pub const LOAD_SUFFIX: &str = "/load";

/// The key of a case: `model/backend/tT/test`.
pub fn case_key(model_id: &str, backend: &str, c: &JobCase) -> String {
    format!("{model_id}/{backend}/t{}/{}", c.threads, test_name(c))
}

/// Builds and checks the plan. Returns every problem at once.
pub fn build(profile: &Profile, filter: &Filter, seed: u64) -> Result<SweepPlan, Vec<String>> {
    // The profile parser has already refused unknown backend ids; ids this
    // build lacks (onnx:*, cpu) become `ep_unavailable` records below.
    let mut problems = vec![];
    let m = &profile.matrix;
    let backends = typed_backends(profile, &m.backends, "matrix.backends", &mut problems);
    let mut groups = vec![];
    for entry in &profile.models {
        let wanted: Vec<BackendKind> = backends
            .iter()
            .copied()
            .filter(|b| filter.matches_group(&entry.id, b.id()))
            .collect();
        if wanted.is_empty() {
            continue;
        }
        // Each format the wanted backends run is resolved once.
        let mut by_format: std::collections::BTreeMap<bool, Option<Resolved>> = Default::default();
        for backend in &wanted {
            let onnx = backend.runs_onnx();
            if by_format.contains_key(&onnx) {
                continue;
            }
            let r = match resolve_entry(profile, entry, onnx) {
                Ok(r) => Some(r),
                Err(e) => {
                    problems.push(e);
                    None
                }
            };
            by_format.insert(onnx, r);
        }
        for backend in wanted {
            let resolved = by_format.get(&backend.runs_onnx()).cloned().flatten();
            let mut cases = vec![];
            for &threads in &m.threads {
                for &n_depth in &m.n_depth {
                    for &n_prompt in &m.n_prompt {
                        for &n_gen in &m.n_gen {
                            let mut c = JobCase {
                                key: String::new(),
                                threads,
                                n_prompt,
                                n_gen,
                                n_depth,
                                reps: m.reps,
                                warmup: m.warmup,
                                batch: m.batch,
                                ubatch: m.ubatch,
                                seed,
                            };
                            c.key = case_key(&entry.id, backend.id(), &c);
                            if filter.matches_case(&entry.id, backend.id(), threads, &test_name(&c))
                            {
                                cases.push(c);
                            }
                        }
                    }
                }
            }
            if cases.is_empty() {
                continue;
            }
            let blocked = availability(backend);
            let (model, blocked) = match &resolved {
                Some(Resolved::Model(r)) => (Some((**r).clone()), blocked),
                Some(Resolved::Mismatch(why)) => {
                    (None, Some(Blocked::ArtifactMismatch(why.clone())))
                }
                Some(Resolved::NoArtifact(why)) => (None, Some(Blocked::Unavailable(why.clone()))),
                None => (None, blocked),
            };
            // A backend whose thread pool is sized once per process gets a
            // worker per thread count.
            let parts: Vec<Vec<JobCase>> = if backend.one_thread_count_per_process() {
                m.threads
                    .iter()
                    .map(|&t| cases.iter().filter(|c| c.threads == t).cloned().collect())
                    .filter(|v: &Vec<JobCase>| !v.is_empty())
                    .collect()
            } else {
                vec![cases]
            };
            for cases in parts {
                groups.push(SweepGroup {
                    model_id: entry.id.clone(),
                    backend,
                    model: model.clone(),
                    blocked: blocked.clone(),
                    cases,
                });
            }
        }
    }
    let sustained = profile.sustained.as_ref().map_or_else(Vec::new, |s| {
        side_groups(
            profile,
            filter,
            seed,
            &groups,
            &mut problems,
            Side {
                models: &s.models,
                backends: &s.backends,
                backends_key: "sustained.backends",
                threads: s.threads,
                n_prompt: s.n_prompt,
                n_gen: s.n_gen,
                suffix: SUSTAINED_SUFFIX,
            },
        )
    });
    let load = profile.load.as_ref().map_or_else(Vec::new, |l| {
        side_groups(
            profile,
            filter,
            seed,
            &groups,
            &mut problems,
            Side {
                models: &l.models,
                backends: &l.backends,
                backends_key: "load.backends",
                threads: l.threads,
                // The group's context holds the longest request.
                n_prompt: l.max_lengths().0,
                n_gen: l.max_lengths().1,
                suffix: LOAD_SUFFIX,
            },
        )
    });
    if problems.is_empty() {
        Ok(SweepPlan {
            groups,
            sustained,
            load,
        })
    } else {
        Err(problems)
    }
}

/// Why a backend cannot run in this build, if it cannot.
fn availability(backend: BackendKind) -> Option<Blocked> {
    (!backend.compiled_in()).then(|| {
        Blocked::Unavailable(format!(
            "backend '{backend}' is not compiled into this edgebench"
        ))
    })
}

/// The profile's backend ids as the registry's enum. The profile parser
/// refuses ids outside the registry (a test ties the two lists), so an id
/// that does not parse here is a bug, reported as a problem all the same.
fn typed_backends(
    profile: &Profile,
    ids: &[String],
    key: &str,
    problems: &mut Vec<String>,
) -> Vec<BackendKind> {
    ids.iter()
        .filter_map(|id| match id.parse::<BackendKind>() {
            Ok(kind) => Some(kind),
            Err(e) => {
                problems.push(format!("{}: {key}: {e}", profile.origin));
                None
            }
        })
        .collect()
}

/// What a run after the matrix (`[sustained]`, `[load]`) runs.
struct Side<'a> {
    models: &'a [String],
    backends: &'a [String],
    backends_key: &'a str,
    threads: u32,
    n_prompt: u32,
    n_gen: u32,
    suffix: &'a str,
}

/// One group per model x backend of a `[sustained]` or `[load]` section
/// the filter lets through; models already resolved for the matrix are not
/// hashed again.
fn side_groups(
    profile: &Profile,
    filter: &Filter,
    seed: u64,
    matrix: &[SweepGroup],
    problems: &mut Vec<String>,
    s: Side<'_>,
) -> Vec<SweepGroup> {
    let backends = typed_backends(profile, s.backends, s.backends_key, problems);
    let mut out = vec![];
    for id in s.models {
        let Some(entry) = profile.models.iter().find(|m| &m.id == id) else {
            continue;
        };
        let wanted: Vec<BackendKind> = backends
            .iter()
            .copied()
            .filter(|b| filter.matches_group(id, b.id()))
            .collect();
        if wanted.is_empty() {
            continue;
        }
        for backend in wanted {
            let onnx = backend.runs_onnx();
            let resolved = match matrix
                .iter()
                .find(|g| &g.model_id == id && g.backend.runs_onnx() == onnx)
            {
                Some(g) => match (&g.model, &g.blocked) {
                    (Some(m), _) => Some(Resolved::Model(Box::new(m.clone()))),
                    (None, Some(Blocked::ArtifactMismatch(why))) => {
                        Some(Resolved::Mismatch(why.clone()))
                    }
                    (None, Some(Blocked::Unavailable(why))) => {
                        Some(Resolved::NoArtifact(why.clone()))
                    }
                    (None, None) => None,
                },
                None => match resolve_entry(profile, entry, onnx) {
                    Ok(r) => Some(r),
                    Err(e) => {
                        problems.push(e);
                        None
                    }
                },
            };
            let case = JobCase {
                key: format!("{id}/{backend}/t{}{}", s.threads, s.suffix),
                threads: s.threads,
                n_prompt: s.n_prompt,
                n_gen: s.n_gen,
                n_depth: 0,
                reps: 1,
                warmup: 0,
                batch: profile.matrix.batch,
                ubatch: profile.matrix.ubatch,
                seed,
            };
            let blocked = availability(backend);
            let (model, blocked) = match &resolved {
                Some(Resolved::Model(r)) => (Some((**r).clone()), blocked),
                Some(Resolved::Mismatch(why)) => {
                    (None, Some(Blocked::ArtifactMismatch(why.clone())))
                }
                Some(Resolved::NoArtifact(why)) => (None, Some(Blocked::Unavailable(why.clone()))),
                None => (None, blocked),
            };
            out.push(SweepGroup {
                model_id: id.clone(),
                backend,
                model,
                blocked,
                cases: vec![case],
            });
        }
    }
    out
}

/// A profile model resolved for one format.
#[derive(Clone)]
pub enum Resolved {
    /// The checked file.
    Model(Box<ResolvedModel>),
    /// The file's hash is not the pinned one (its cases are recorded
    /// `artifact_mismatch`, the rest still run).
    Mismatch(String),
    /// The entry has no file in this format (its cases on such backends are
    /// recorded as unavailable, the rest still run).
    NoArtifact(String),
}

/// Resolves a profile model to a checked file in the format the backend
/// runs (GGUF, or ONNX when `onnx`). Err: a problem that stops the sweep.
fn resolve_entry(profile: &Profile, entry: &ModelEntry, onnx: bool) -> Result<Resolved, String> {
    let here = format!("{}: model '{}'", profile.origin, entry.id);
    let (format, name) = if onnx {
        (ArtifactFormat::Onnx, "onnx")
    } else {
        (ArtifactFormat::Gguf, "gguf")
    };
    let (source, pin) = if let Some(s) = &entry.synth {
        let spec = format!("{}-{}-s{}", s.preset, s.quant, s.seed);
        cache::parse_spec(&spec).map_err(|e| format!("{here}: synth: {e:#}"))?;
        (ModelSource::Synth(spec), None)
    } else if let Some(a) = entry.artifacts.iter().find(|a| a.format == format) {
        if !a.path.is_file() {
            return Err(format!(
                "{here}: {name} file {} does not exist; download it or fix the path \
                 (relative paths are resolved against the profile's folder)",
                a.path.display()
            ));
        }
        (ModelSource::File(a.path.clone()), a.sha256.clone())
    } else {
        return Ok(Resolved::NoArtifact(format!(
            "model '{}' has no {} file; add `{name} = \"path\"` to its [[model]] entry \
             to run it on {} backends",
            entry.id,
            name.to_uppercase(),
            if onnx { "onnx:*" } else { "llama.cpp/cpu" }
        )));
    };
    let kind = if onnx {
        Some(edgebench_backends::BackendKind::Onnx(Default::default()))
    } else {
        None
    };
    let model = resolve_model_for(&source, kind).map_err(|e| format!("{here}: {e:#}"))?;
    if let Some(pin) = pin
        && !pin.eq_ignore_ascii_case(&model.record.sha256)
    {
        return Ok(Resolved::Mismatch(format!(
            "{} has sha256 {} but the profile pins {pin}; refusing to run it \
             (re-download the file, or update the pin if the change is intended)",
            model.path.display(),
            model.record.sha256
        )));
    }
    let mut model = model;
    model.record.id = Some(entry.id.clone());
    Ok(Resolved::Model(Box::new(model)))
}
