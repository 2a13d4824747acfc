//! The memory pre-flight: before a case loads anything, its memory need is
//! estimated (backends' `memory_need`) and compared with what the machine
//! has (`devices::memory::available_at`: MemAvailable and cgroup limits),
//! and its context with the model's training context. A case that cannot
//! fit is refused: `run` exits 2 with the numbers and the flag to change, a
//! sweep records it `invalid` with the same reason and goes on. `--force` /
//! `[matrix] force` (and `--allow-long-context` / `[matrix]
//! allow_long_context` for the context) run it anyway, and its record says
//! so.
use edgebench_backends::memory_need::{MemoryNeed, estimate};
use edgebench_backends::{BackendKind, KvType};
use edgebench_devices::memory::AvailableMemory;
use edgebench_reports::record::Preflight;
use serde::{Deserialize, Serialize};

use crate::model::ResolvedModel;
use crate::plan::Case;

/// What the user allows past the pre-flight.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Policy {
    /// Run cases that do not fit the available memory.
    pub force: bool,
    /// Run contexts longer than the model's training context.
    pub allow_long_context: bool,
}

/// Where the settings came from, so a refusal names what to change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// `edgebench run` flags.
    Flags,
    /// A sweep's device profile.
    Profile,
}

impl Origin {
    fn context_keys(self) -> &'static str {
        match self {
            Origin::Flags => "-p/--n-prompt, -n/--n-gen or -d/--n-depth",
            Origin::Profile => "[matrix] n_prompt, n_gen or n_depth",
        }
    }

    fn kv_key(self) -> &'static str {
        match self {
            Origin::Flags => "--kv-type q8_0",
            Origin::Profile => "a smaller KV type",
        }
    }

    fn force_key(self) -> &'static str {
        match self {
            Origin::Flags => "--force",
            Origin::Profile => "[matrix] force = true (or sweep --force)",
        }
    }

    fn long_context_key(self) -> &'static str {
        match self {
            Origin::Flags => "--allow-long-context",
            Origin::Profile => "[matrix] allow_long_context = true (or sweep --allow-long-context)",
        }
    }
}

/// The pre-flight of one case: the figures for its record, and why it must
/// not run (None: it may run, possibly because it was forced).
#[derive(Debug, Clone)]
pub struct Verdict {
    /// For the record (None when the model's header lacks what the
    /// estimate needs; the check is then skipped).
    pub preflight: Option<Preflight>,
    /// Why the case is refused, with the numbers and what to change.
    pub refusal: Option<String>,
}

/// Checks one case of `model` on `backend` against `available`.
pub fn check(
    backend: BackendKind,
    model: &ResolvedModel,
    case: &Case,
    available: Option<&AvailableMemory>,
    policy: Policy,
    origin: Origin,
) -> Verdict {
    let Some(fp) = &model.footprint else {
        return Verdict {
            preflight: None,
            refusal: None,
        };
    };
    let need = estimate(backend, fp, &model.meta, &case.context);
    let mut problems = vec![];
    let mut forced = false;
    if let Some(avail) = available
        && need.total() > avail.bytes
    {
        if policy.force {
            forced = true;
        } else {
            problems.push(too_big(&need, avail, case.context.kv_type, origin));
        }
    }
    let n_ctx_train = fp.n_ctx_train;
    if let Some(train) = n_ctx_train
        && need.n_ctx > u64::from(train)
    {
        if policy.allow_long_context {
            forced = true;
        } else {
            problems.push(format!(
                "its context of {} tokens (depth + prompt + gen) is longer than the model's \
                 training context of {train} tokens: results there are not what the model is \
                 deployed with; lower {}, or pass {} to run it anyway",
                need.n_ctx,
                origin.context_keys(),
                origin.long_context_key()
            ));
        }
    }
    Verdict {
        preflight: Some(Preflight {
            need_bytes: need.total(),
            weights_bytes: need.weights,
            kv_cache_bytes: need.kv_cache,
            compute_bytes: need.compute,
            runtime_bytes: need.runtime,
            n_ctx: need.n_ctx,
            available_bytes: available.map(|a| a.bytes),
            available_source: available.map(|a| a.source.clone()),
            n_ctx_train,
            forced,
        }),
        refusal: (!problems.is_empty())
            .then(|| format!("refused before loading: {}", problems.join("; and "))),
    }
}

fn too_big(
    need: &MemoryNeed,
    avail: &AvailableMemory,
    kv: Option<KvType>,
    origin: Origin,
) -> String {
    let kv_hint = if matches!(kv, None | Some(KvType::F16) | Some(KvType::F32)) {
        format!(", use {}", origin.kv_key())
    } else {
        String::new()
    };
    format!(
        "it needs about {} ({} weights, {} KV cache for {} tokens, {} compute buffers, {} runtime) \
         but {} is available ({}); lower {}{kv_hint}, free memory, or pass {} to try anyway",
        bytes(need.total()),
        bytes(need.weights),
        bytes(need.kv_cache),
        need.n_ctx,
        bytes(need.compute),
        bytes(need.runtime),
        bytes(avail.bytes),
        avail.source,
        origin.context_keys(),
        origin.force_key()
    )
}

/// A byte count for people: "1.5 GiB", "120.0 MiB".
pub fn bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = n as f64;
    let mut unit = 0;
    while v >= 1024.0 && unit + 1 < UNITS.len() {
        v /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", UNITS[unit])
    }
}

/// The memory available to this process now (under `EDGEBENCH_SYSFS_ROOT`
/// when set, so tests can give a fixture tree).
pub fn available_now() -> Option<AvailableMemory> {
    edgebench_devices::memory::available_at(&edgebench_devices::telemetry::sysfs_root())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_for_people() {
        assert_eq!(bytes(512), "512 B");
        assert_eq!(bytes(1536), "1.5 KiB");
        assert_eq!(bytes(3 << 30), "3.0 GiB");
        assert_eq!(bytes(u64::MAX), "16777216.0 TiB");
    }
}
