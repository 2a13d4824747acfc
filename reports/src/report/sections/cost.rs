//! The cost section: the cost model (docs/metrics.md) from each device's
//! [cost], then the measured capacity, each row with its formula and inputs.
use edgebench_devices::profile::Cost;

use crate::report::Report;
use crate::report::cost::{Capacity, CostInputs, CostModel, DUTY_CYCLE, SECONDS_PER_MONTH};
use crate::report::doc::{Block, Section};
use crate::report::fmt::{num, opt_usd, thousands, usd, usd_exact};
use crate::report::table::{Cell, Table, Tone};

/// The cost section.
pub(super) fn section(report: &Report) -> Section {
    let mut s = Section::new("Cost: edge against cloud", "cost");
    s.para(format!(
        "The cost model of docs/metrics.md from each profile's [cost], inputs exactly as given, then what the measurements add: the queries per month one device serves at the measured mean end-to-end latency (one request at a time, duty cycle {DUTY_CYCLE}, {} s per month), the devices the stated volume needs and what they cost.",
        thousands(SECONDS_PER_MONTH)
    ));
    let mut without = Vec::new();
    for d in &report.devices {
        let Some(c) = &d.cost else {
            without.push(d.label.clone());
            continue;
        };
        s.push(Block::Sub(d.label.clone()));
        s.para(inputs_line(&c.inputs));
        let mut t = Table::new(&["quantity", "formula", "with the inputs", ">value"]);
        model_rows(&mut t, c);
        match &d.capacity {
            Some((label, k)) => capacity_rows(&mut t, &c.inputs, label, k),
            None => t.row(vec![
                "queries per month, one device".into(),
                "needs an ok case with e2e_ms".into(),
                "".into(),
                "-".into(),
            ]),
        }
        s.push(Block::Table(t));
    }
    if !without.is_empty() {
        s.para(format!(
            "No [cost] for: {}. Add a [cost] section to the device profile, or pass --slo-profile with one.",
            without.join(", ")
        ));
    }
    s
}

/// The `[cost]` inputs exactly as given, in one sentence.
fn inputs_line(inputs: &CostInputs) -> String {
    let i = &inputs.cost;
    format!(
        "Inputs: CAPEX = {}, C_lifecycle = {} per month, C_eng = {}, T = {} months, C_query = {}, V = {} queries per month, price_usd = {}.",
        usd_exact(i.capex_usd),
        usd_exact(i.lifecycle_usd_per_month),
        usd_exact(i.engineering_usd),
        i.horizon_months,
        usd_exact(i.cloud_cost_per_query_usd),
        i.monthly_queries
            .map_or_else(|| "not given".to_owned(), |v| v.to_string()),
        inputs
            .price_usd
            .map_or_else(|| "not given".to_owned(), usd_exact),
    )
}

/// The rows from `[cost]` alone: cloud and edge over T, savings, tipping volume.
fn model_rows(t: &mut Table, c: &CostModel) {
    let i = &c.inputs.cost;
    let t_m = num(i.horizon_months);
    t.row(vec![
        "cloud cost over T".into(),
        "C_query × V × T".into(),
        i.monthly_queries
            .map_or_else(
                || "V not given".to_owned(),
                |v| format!("{} × {} × {t_m}", i.cloud_cost_per_query_usd, thousands(v)),
            )
            .into(),
        opt_usd(c.cloud_usd).into(),
    ]);
    t.row(vec![
        "edge cost over T".into(),
        "CAPEX + C_lifecycle × T + C_eng".into(),
        format!(
            "{} + {} × {t_m} + {}",
            num(i.capex_usd),
            num(i.lifecycle_usd_per_month),
            num(i.engineering_usd)
        )
        .into(),
        usd(c.edge_usd).into(),
    ]);
    t.row(vec![
        "savings over T".into(),
        "cloud - edge (and / cloud)".into(),
        "".into(),
        savings_cell(c),
    ]);
    t.row(vec![
        "tipping volume V_tipping".into(),
        "(CAPEX + C_lifecycle × T + C_eng) / (C_query × T)".into(),
        format!(
            "{} / ({} × {t_m})",
            num(c.edge_usd),
            i.cloud_cost_per_query_usd
        )
        .into(),
        format!("{} queries/month", thousands(c.tipping_queries_per_month)).into(),
    ]);
}

/// Savings in USD and % of cloud, green when edge is cheaper.
fn savings_cell(c: &CostModel) -> Cell {
    let savings = match (c.savings_usd, c.savings_pct) {
        (Some(x), Some(p)) => format!("{} ({:+.1}%)", usd(x), p),
        (Some(x), None) => usd(x),
        _ => "-".into(),
    };
    let tone = match c.savings_usd {
        Some(x) if x >= 0.0 => Tone::Pass,
        Some(_) => Tone::Fail,
        None => Tone::Plain,
    };
    Cell::lines(vec![savings], tone)
}

/// The rows a measured request shape adds: queries per device, the fleet
/// for V (when given), cloud cost per million tokens.
fn capacity_rows(t: &mut Table, inputs: &CostInputs, label: &str, k: &Capacity) {
    let i = &inputs.cost;
    if let (Some(rps), Some(c)) = (k.measured_rps, k.concurrency) {
        t.row(vec![
            "capacity under load".into(),
            "the highest arrival rate at which the load run's latency limits held (p99), \
             heaviest load run, best concurrency"
                .into(),
            label.to_owned().into(),
            format!("{} req/s at concurrency {c}, {} tokens", num(rps), k.n_gen).into(),
        ]);
        t.row(vec![
            "queries per month, one device".into(),
            "capacity × s per month × duty".into(),
            format!(
                "{} × {} × {DUTY_CYCLE}",
                num(rps),
                thousands(SECONDS_PER_MONTH)
            )
            .into(),
            thousands(k.queries_per_month_per_device).into(),
        ]);
    } else {
        t.row(vec![
            "request shape".into(),
            "the heaviest ok case (largest mean e2e), one request at a time (no load run)".into(),
            label.to_owned().into(),
            format!("{} ms, {} tokens", num(k.e2e_ms), k.n_gen).into(),
        ]);
        t.row(vec![
            "queries per month, one device".into(),
            "s per month × duty / (e2e_ms / 1000)".into(),
            format!(
                "{} × {DUTY_CYCLE} / {}",
                thousands(SECONDS_PER_MONTH),
                num(k.e2e_ms / 1000.0)
            )
            .into(),
            thousands(k.queries_per_month_per_device).into(),
        ]);
    }
    if let (Some(v), Some(n)) = (i.monthly_queries, k.devices_needed) {
        fleet_rows(t, inputs, v, n, k);
    }
    t.row(vec![
        "cloud cost per million generated tokens".into(),
        "C_query / n_gen × 1e6".into(),
        format!("{} / {} × 1e6", i.cloud_cost_per_query_usd, k.n_gen).into(),
        opt_usd(k.cloud_usd_per_mtok).into(),
    ]);
}

/// The rows of the fleet that serves `v` queries a month with `n` devices.
fn fleet_rows(t: &mut Table, inputs: &CostInputs, v: f64, n: u64, k: &Capacity) {
    let i: &Cost = &inputs.cost;
    let t_m = num(i.horizon_months);
    t.row(vec![
        "devices for V".into(),
        "ceil(V / queries per device)".into(),
        format!(
            "ceil({} / {})",
            thousands(v),
            thousands(k.queries_per_month_per_device)
        )
        .into(),
        n.to_string().into(),
    ]);
    let covered = match k.capex_covers {
        Some(true) => ("yes", Tone::Pass),
        Some(false) => ("no", Tone::Fail),
        None => ("-", Tone::Plain),
    };
    t.row(vec![
        "fleet hardware; covered by CAPEX?".into(),
        "devices × price_usd <= CAPEX".into(),
        format!(
            "{n} × {} vs {}",
            num(inputs.unit_price_usd()),
            num(i.capex_usd)
        )
        .into(),
        Cell::lines(
            vec![format!("{}: {}", opt_usd(k.fleet_hardware_usd), covered.0)],
            covered.1,
        ),
    ]);
    t.row(vec![
        "fleet cost over T".into(),
        "devices × (price_usd + C_lifecycle × T) + C_eng".into(),
        format!(
            "{n} × ({} + {} × {t_m}) + {}",
            num(inputs.unit_price_usd()),
            num(i.lifecycle_usd_per_month),
            num(i.engineering_usd)
        )
        .into(),
        opt_usd(k.fleet_edge_usd).into(),
    ]);
    t.row(vec![
        "fleet savings over T".into(),
        "cloud - fleet".into(),
        "".into(),
        opt_usd(k.fleet_savings_usd).into(),
    ]);
    t.row(vec![
        "edge cost per million generated tokens".into(),
        "fleet / (V × T × n_gen) × 1e6".into(),
        format!(
            "{} / ({} × {t_m} × {}) × 1e6",
            num(k.fleet_edge_usd.unwrap_or(0.0)),
            thousands(v),
            k.n_gen
        )
        .into(),
        opt_usd(k.edge_usd_per_mtok).into(),
    ]);
}
