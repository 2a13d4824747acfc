//! The provenance table: where every figure of a device comes from (host,
//! edgebench build, backends, models, when it ran, which files).
use crate::record::{Record, Status};
use crate::report::Report;
use crate::report::device::{DeviceResults, pair_of};
use crate::report::doc::{Block, Section};
use crate::report::fmt::gib;
use crate::report::table::{Cell, Table, Tone};

/// Where every figure comes from.
pub(super) fn provenance(report: &Report) -> Section {
    let mut s = Section::new("Provenance", "provenance");
    let mut t = Table::new(&[
        "device",
        "host",
        "edgebench",
        "backends",
        "models",
        "ran",
        "from",
    ]);
    for d in &report.devices {
        let Some(first) = d.records.first() else {
            continue;
        };
        t.row(vec![
            d.label.clone().into(),
            Cell::lines(host_lines(first), Tone::Plain),
            Cell::lines(tool_lines(d), Tone::Plain),
            Cell::lines(or_dash(backend_lines(d)), Tone::Plain),
            Cell::lines(or_dash(model_lines(d)), Tone::Plain),
            Cell::lines(ran_lines(d), Tone::Plain),
            Cell::lines(from_lines(d), Tone::Plain),
        ]);
    }
    s.push(Block::Table(t));
    s
}

/// The machine, from the device's first record (one device, one host).
fn host_lines(first: &Record) -> Vec<String> {
    let h = &first.host;
    let mut host = vec![format!(
        "{} ({}), {} cores / {} threads, {}",
        h.cpu_model.as_deref().unwrap_or("unknown CPU"),
        h.arch,
        h.physical_cores
            .map_or_else(|| "?".into(), |c| c.to_string()),
        // 0 where the record does not know (imported results).
        if h.logical_cores == 0 {
            "?".into()
        } else {
            h.logical_cores.to_string()
        },
        if h.ram_bytes == 0 {
            "RAM unknown".into()
        } else {
            gib(h.ram_bytes)
        }
    )];
    host.push(format!(
        "host {}; {}; kernel {}",
        h.hostname.as_deref().unwrap_or("?"),
        h.os.as_deref().unwrap_or("unknown OS"),
        h.kernel.as_deref().unwrap_or("?")
    ));
    if let Some(b) = &h.board {
        host.push(format!("board {b}"));
    }
    for g in &h.gpus {
        host.push(format!("GPU {g}"));
    }
    if let Some(m) = h
        .nvpmodel_mode
        .as_ref()
        .or(first.device.as_ref().and_then(|d| d.power_mode.as_ref()))
    {
        host.push(format!("power mode {m}"));
    }
    host
}

/// Every edgebench build that wrote the device's records.
fn tool_lines(d: &DeviceResults) -> Vec<String> {
    sorted_distinct(d.records.iter().map(|r| {
        let e = &r.edgebench;
        let dirty = if e.dirty == Some(true) {
            " (dirty)"
        } else {
            ""
        };
        let own = match &e.commit {
            Some(c) => format!("{} {}{dirty}", e.version, prefix(c, 12)),
            None => e.version.clone(),
        };
        // Measured by another tool: say so, and what it did not measure.
        match &r.imported {
            Some(i) => format!(
                "imported from {} {} by edgebench {own}; not measured: {}",
                i.tool,
                i.version.as_deref().unwrap_or("(version unknown)"),
                i.not_measured.join(", ")
            ),
            None => own,
        }
    }))
}

/// Every backend build of the ok records.
fn backend_lines(d: &DeviceResults) -> Vec<String> {
    sorted_distinct(
        d.records
            .iter()
            .filter(|r| r.status == Status::Ok)
            .map(|r| {
                let f = if r.backend.build_features.is_empty() {
                    String::new()
                } else {
                    format!(" [{}]", r.backend.build_features.join(", "))
                };
                format!(
                    "{} {} on {}{f}",
                    r.backend.id, r.backend.version, r.backend.device
                )
            }),
    )
}

/// Every model file with a known hash.
fn model_lines(d: &DeviceResults) -> Vec<String> {
    sorted_distinct(
        d.records
            .iter()
            .filter(|r| !r.model.sha256.is_empty())
            .map(|r| {
                format!(
                    "{} {} sha256 {}",
                    pair_of(r).0,
                    r.model.quant,
                    prefix(&r.model.sha256, 16)
                )
            }),
    )
}

/// The first and last timestamp ("a to", "b"), or the one.
fn ran_lines(d: &DeviceResults) -> Vec<String> {
    let mut times: Vec<&str> = d.records.iter().map(|r| r.timestamp.as_str()).collect();
    times.sort();
    match (times.first(), times.last()) {
        (Some(a), Some(b)) if a != b => vec![format!("{a} to"), (*b).to_owned()],
        (Some(a), _) => vec![(*a).to_owned()],
        _ => vec![],
    }
}

/// The input files, and the profile when one was read.
fn from_lines(d: &DeviceResults) -> Vec<String> {
    let mut from = d.sources.clone();
    if let Some(p) = &d.profile {
        from.push(format!("profile {}", p.origin));
    }
    from
}

/// The lines sorted, each once.
fn sorted_distinct(lines: impl Iterator<Item = String>) -> Vec<String> {
    let mut v: Vec<String> = lines.collect();
    v.sort();
    v.dedup();
    v
}

/// `lines`, or a lone "-" when there are none.
fn or_dash(lines: Vec<String>) -> Vec<String> {
    if lines.is_empty() {
        vec!["-".into()]
    } else {
        lines
    }
}

/// The first `n` characters of `s` (files may hold anything, so never a
/// byte slice that could split a character).
fn prefix(s: &str, n: usize) -> String {
    s.chars().take(n).collect()
}
