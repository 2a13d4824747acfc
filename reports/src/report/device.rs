//! Results grouped by device: a device is a profile name on a host, so the
//! same profile run on two machines makes two devices.
use crate::load_run::LoadCapacity;
use std::collections::BTreeSet;

use super::cost::{Capacity, CostInputs, CostModel};
use super::input::Loaded;
use super::profile::ProfileFacts;
use crate::bandwidth::BandwidthRecord;
use crate::record::{Record, RecordKind, Status, TestShape};
use crate::slo::{self, Verdict};

/// One device's results and what the report derives from them.
#[derive(Debug, Clone)]
pub struct DeviceResults {
    /// Name shown in tables and charts (unique within the report).
    pub label: String,
    /// `[device] name`, else the host's board or CPU.
    pub name: String,
    /// The host name, when known.
    pub hostname: Option<String>,
    /// Its records, in input order: ordinary cases (`kind` llm) and
    /// sustained runs; see [`DeviceResults::cases`] and
    /// [`DeviceResults::sustained_runs`].
    pub records: Vec<Record>,
    /// The files they came from.
    pub sources: Vec<String>,
    /// The profile its SLOs and cost come from, when one is known.
    pub profile: Option<ProfileFacts>,
    /// Where the SLOs came from (the profile, or `--slo-profile`).
    pub slo_origin: Option<String>,
    /// The SLOs applied to it.
    pub slos: Vec<edgebench_devices::profile::Slo>,
    /// One verdict per SLO and matching case.
    pub verdicts: Vec<Verdict>,
    /// The bandwidth probe of its sweep.
    pub bandwidth: Option<BandwidthRecord>,
    /// Cost model, when a `[cost]` is known.
    pub cost: Option<CostModel>,
    /// Capacity of the heaviest ok case (largest mean e2e), with its label.
    pub capacity: Option<(String, Capacity)>,
}

impl DeviceResults {
    /// Whether it has SLOs and every verdict passed.
    pub fn meets_every_slo(&self) -> bool {
        !self.verdicts.is_empty() && slo::all_pass(&self.verdicts)
    }

    /// Its ordinary cases (`kind` llm): what per-case tables, charts and
    /// the cost model's request shape are made of.
    pub fn cases(&self) -> impl Iterator<Item = &Record> {
        self.records.iter().filter(|r| r.kind == RecordKind::Llm)
    }

    /// Its load runs (`kind` load) that ran.
    pub fn load_runs(&self) -> impl Iterator<Item = &Record> {
        self.records
            .iter()
            .filter(|r| r.kind == RecordKind::Load && r.status == Status::Ok && r.load.is_some())
    }

    /// Its load runs that stopped before their end (a sweep's budget, a
    /// crash, Ctrl-C) but had written what they measured until then: shown
    /// for what they are, never used to size a fleet.
    pub fn stopped_load_runs(&self) -> impl Iterator<Item = &Record> {
        self.records
            .iter()
            .filter(|r| r.kind == RecordKind::Load && r.status != Status::Ok && r.load.is_some())
    }

    /// The capacity measured under load for the option and request shape
    /// of case `r` (same model, backend, threads, prompt and generated
    /// tokens, every request alike): the highest bracketed capacity over
    /// the concurrencies run.
    pub fn load_capacity_for(&self, r: &Record) -> Option<&LoadCapacity> {
        self.load_runs()
            .filter(|l| {
                pair_of(l) == pair_of(r)
                    && l.workload.threads == r.workload.threads
                    && l.workload.n_prompt == r.workload.n_prompt
                    && l.workload.n_gen == r.workload.n_gen
            })
            .filter_map(|l| l.load.as_ref())
            // A mix of lengths (a range or a trace) is not this case's
            // request: its capacity sizes no fleet for it.
            .filter(|l| l.lengths.as_deref().is_none_or(|s| s.starts_with("fixed")))
            .filter_map(|l| l.best_capacity())
            .max_by(|a, b| a.rps.total_cmp(&b.rps))
    }

    /// Its sustained runs (`kind` sustained), whatever their status.
    pub fn sustained_runs(&self) -> impl Iterator<Item = &Record> {
        self.records
            .iter()
            .filter(|r| r.kind == RecordKind::Sustained)
    }

    /// (model, backend) pairs it has records for (sustained runs included,
    /// since sustained SLOs are judged on them).
    pub fn pairs(&self) -> BTreeSet<(String, String)> {
        self.records.iter().map(pair_of).collect()
    }
}

/// The (model, backend) column of a record.
pub fn pair_of(r: &Record) -> (String, String) {
    (
        r.model.id.clone().unwrap_or_else(|| r.model_label()),
        r.backend.id.clone(),
    )
}

/// A case's short label: model · backend · test · threads.
pub fn case_label(r: &Record) -> String {
    let (m, b) = pair_of(r);
    format!("{m} · {b} · {} · t{}", r.workload.test, r.workload.threads)
}

/// Groups the loaded runs by device and evaluates SLOs and cost.
/// `override_profile` (`--slo-profile`) gives every device its SLOs, and
/// its `[cost]` to devices whose own profile has none.
pub fn group(loaded: &Loaded, override_profile: Option<&ProfileFacts>) -> Vec<DeviceResults> {
    let mut devices: Vec<DeviceResults> = Vec::new();
    for run in &loaded.runs {
        for r in &run.records {
            let name = r
                .device
                .as_ref()
                .map(|d| d.name.clone())
                .or_else(|| r.host.board.clone())
                .or_else(|| r.host.cpu_model.clone())
                .unwrap_or_else(|| "unknown device".into());
            let hostname = r.host.hostname.clone();
            let source = run.source.display().to_string();
            let i = match devices
                .iter()
                .position(|d| d.name == name && d.hostname == hostname)
            {
                Some(i) => i,
                None => {
                    devices.push(DeviceResults {
                        label: name.clone(),
                        name,
                        hostname,
                        records: Vec::new(),
                        sources: Vec::new(),
                        profile: None,
                        slo_origin: None,
                        slos: Vec::new(),
                        verdicts: Vec::new(),
                        bandwidth: None,
                        cost: None,
                        capacity: None,
                    });
                    devices.len() - 1
                }
            };
            let d = &mut devices[i];
            // The same sweep given twice (its folder and its sweep.json)
            // counts once.
            if !d.records.contains(r) {
                d.records.push(r.clone());
            }
            if !d.sources.contains(&source) {
                d.sources.push(source);
            }
            if d.profile.is_none() {
                d.profile = run.profile.clone();
            }
            if d.bandwidth.is_none() {
                d.bandwidth = run.bandwidth.clone();
            }
        }
    }
    unique_labels(&mut devices);
    for d in &mut devices {
        evaluate(d, override_profile);
    }
    devices
}

/// Two devices of the same name get their host names appended.
fn unique_labels(devices: &mut [DeviceResults]) {
    let names: Vec<String> = devices.iter().map(|d| d.name.clone()).collect();
    for d in devices.iter_mut() {
        if names.iter().filter(|n| **n == d.name).count() > 1 {
            d.label = format!(
                "{} @ {}",
                d.name,
                d.hostname.as_deref().unwrap_or("unknown host")
            );
        }
    }
}

fn evaluate(d: &mut DeviceResults, override_profile: Option<&ProfileFacts>) {
    let slo_source = override_profile.or(d.profile.as_ref());
    if let Some(p) = slo_source {
        d.slos = p.slos.clone();
        d.slo_origin = Some(p.origin.clone());
    }
    d.verdicts = slo::evaluate(&d.slos, &d.records);
    let cost_source = d
        .profile
        .as_ref()
        .filter(|p| p.cost.is_some())
        .or(override_profile);
    let Some((mut cost, mut price)) =
        cost_source.and_then(|p| p.cost.as_ref().map(|c| (c.clone(), p.price_usd)))
    else {
        return;
    };
    // An override profile's [cost] does not make this device cost what the
    // override's device costs: its own price_usd stays, and so does a CAPEX
    // that only defaulted to the override's price.
    if let Some(own) = d.profile.as_ref().and_then(|p| p.price_usd)
        && d.profile.as_ref().is_none_or(|p| p.cost.is_none())
    {
        if price.is_some_and(|p| p == cost.capex_usd) {
            cost.capex_usd = own;
        }
        price = Some(own);
    }
    let inputs = CostInputs::of(&cost, price);
    d.cost = Some(CostModel::compute(&inputs));
    // Measured capacity first: the load run of the heaviest request shape
    // (most prompt + generated tokens; the lower capacity on a tie), at
    // its best concurrency.
    let measured = d
        .load_runs()
        .filter_map(|l| Some((l, l.load.as_ref()?.best_capacity()?)))
        .max_by(|(a, ca), (b, cb)| {
            let size = |r: &Record| r.workload.n_prompt + r.workload.n_gen;
            size(a).cmp(&size(b)).then(cb.rps.total_cmp(&ca.rps))
        });
    if let Some((l, c)) = measured {
        let label = format!(
            "{}: {:.3} req/s at concurrency {} under load{}",
            case_label(l),
            c.rps,
            c.concurrency,
            c.binding
                .as_deref()
                .map(|b| format!(" (above it: {b})"))
                .unwrap_or_default()
        );
        d.capacity = Capacity::from_rate(&inputs, c.rps, c.concurrency, l.workload.n_gen)
            .map(|k| (label, k));
        return;
    }
    // Without a load run, the fleet is sized for the heaviest request shape
    // the device ran, one request at a time (ordinary cases only: a
    // sustained run's requests are back to back).
    let heaviest = d
        .cases()
        .filter(|r| r.status == Status::Ok && r.workload.shape == TestShape::Request)
        .filter_map(|r| r.metrics.e2e_ms.as_ref().map(|s| (r, s.mean)))
        .max_by(|a, b| a.1.total_cmp(&b.1));
    if let Some((r, e2e)) = heaviest {
        d.capacity = Capacity::compute(&inputs, e2e, r.workload.n_gen).map(|c| (case_label(r), c));
    }
}

/// Devices that meet every SLO, cheapest first: by the fleet's cost over
/// the horizon when the volume is known, else by the edge cost over the
/// horizon, else by price; those without any cost figure last, by name.
pub fn ranking(devices: &[DeviceResults]) -> Vec<(&DeviceResults, Option<f64>, &'static str)> {
    let mut v: Vec<(&DeviceResults, Option<f64>, &'static str)> = devices
        .iter()
        .filter(|d| d.meets_every_slo())
        .map(|d| {
            let fleet = d.capacity.as_ref().and_then(|(_, c)| c.fleet_edge_usd);
            match (fleet, &d.cost, d.profile.as_ref().and_then(|p| p.price_usd)) {
                (Some(f), _, _) => (d, Some(f), "fleet cost over the horizon"),
                (None, Some(c), _) => (d, Some(c.edge_usd), "edge cost over the horizon"),
                (None, None, Some(p)) => (d, Some(p), "device price"),
                _ => (d, None, "no cost known"),
            }
        })
        .collect();
    v.sort_by(|a, b| match (a.1, b.1) {
        (Some(x), Some(y)) => x.total_cmp(&y),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => a.0.label.cmp(&b.0.label),
    });
    v
}
