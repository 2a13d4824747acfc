//! The edge-versus-cloud cost model of docs/metrics.md ("Cost model") from a
//! profile's `[cost]`, and what a measured device adds to it: queries per
//! month one device serves, devices a volume needs, cost per million tokens.
//!
//! Formulas (docs/report.md shows them with a worked example):
//!
//! ```text
//! cloud over T   = C_query × V × T
//! edge over T    = CAPEX + C_lifecycle × T + C_eng
//! savings        = cloud - edge          (and savings / cloud × 100 %)
//! V_tipping      = (CAPEX + C_lifecycle × T + C_eng) / (C_query × T)
//! Q_device       = seconds per month × duty cycle / (e2e_ms.mean / 1000)
//! devices        = ceil(V / Q_device)
//! fleet hardware = devices × price_usd   (covered when CAPEX >= it)
//! fleet over T   = devices × (price_usd + C_lifecycle × T) + C_eng
//! edge $/Mtok    = fleet over T / (V × T × n_gen) × 1e6
//! cloud $/Mtok   = C_query / n_gen × 1e6
//! ```
use edgebench_devices::profile::Cost;
use serde::Serialize;

/// Seconds in an average month: 365.25 / 12 days.
pub const SECONDS_PER_MONTH: f64 = 365.25 / 12.0 * 86_400.0;

/// Share of the time a device serves requests. Requests are served one at
/// a time (batch 1, as the cases measure them), back to back.
pub const DUTY_CYCLE: f64 = 1.0;

/// The cost model from `[cost]` alone, inputs as given.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CostModel {
    /// The `[cost]` inputs.
    pub inputs: CostInputs,
    /// C_query × V × T, USD (needs V).
    pub cloud_usd: Option<f64>,
    /// CAPEX + C_lifecycle × T + C_eng, USD.
    pub edge_usd: f64,
    /// cloud - edge, USD (needs V).
    pub savings_usd: Option<f64>,
    /// savings / cloud × 100 (needs V and a cloud cost above 0).
    pub savings_pct: Option<f64>,
    /// Queries per month above which edge pays off over the horizon.
    pub tipping_queries_per_month: f64,
}

/// The `[cost]` inputs, with the device price beside them. Flattened, so
/// the serialised shape is the seven fields side by side.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CostInputs {
    /// The profile's `[cost]`: CAPEX_hw, C_lifecycle, C_eng, T, C_query, V.
    #[serde(flatten)]
    pub cost: Cost,
    /// `[device] price_usd`: the price of one more device.
    pub price_usd: Option<f64>,
}

impl CostInputs {
    /// The inputs of a profile's `[cost]` and `[device] price_usd`.
    pub fn of(cost: &Cost, price_usd: Option<f64>) -> CostInputs {
        CostInputs {
            cost: cost.clone(),
            price_usd,
        }
    }

    /// What one more device costs: price_usd, else CAPEX (one device).
    pub fn unit_price_usd(&self) -> f64 {
        self.price_usd.unwrap_or(self.cost.capex_usd)
    }
}

impl CostModel {
    /// The model for `inputs`.
    pub fn compute(inputs: &CostInputs) -> CostModel {
        let i = &inputs.cost;
        let t = i.horizon_months;
        let edge = i.capex_usd + i.lifecycle_usd_per_month * t + i.engineering_usd;
        let cloud = i
            .monthly_queries
            .map(|v| i.cloud_cost_per_query_usd * v * t);
        let savings = cloud.map(|c| c - edge);
        let savings_pct = cloud
            .zip(savings)
            .filter(|(c, _)| *c > 0.0)
            .map(|(c, s)| s / c * 100.0);
        CostModel {
            inputs: inputs.clone(),
            cloud_usd: cloud,
            edge_usd: edge,
            savings_usd: savings,
            savings_pct,
            tipping_queries_per_month: edge / (i.cloud_cost_per_query_usd * t),
        }
    }
}

/// What one measured request shape (a case) says about serving the volume.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Capacity {
    /// Mean end-to-end latency of one request, ms (for a measured
    /// capacity: device time per request, 1000 / rps).
    pub e2e_ms: f64,
    /// The capacity measured under open-loop load at the latency limits,
    /// requests/s, when the fleet is sized from it (`edgebench load`);
    /// None when sized from one request at a time.
    pub measured_rps: Option<f64>,
    /// The concurrency that capacity was measured at.
    pub concurrency: Option<u32>,
    /// Tokens one request generates.
    pub n_gen: u32,
    /// Requests one device serves in a month, one at a time.
    pub queries_per_month_per_device: f64,
    /// Devices the stated volume V needs (needs V).
    pub devices_needed: Option<u64>,
    /// devices × price, USD (needs V).
    pub fleet_hardware_usd: Option<f64>,
    /// Whether CAPEX covers that hardware (needs V).
    pub capex_covers: Option<bool>,
    /// devices × (price + C_lifecycle × T) + C_eng, USD (needs V).
    pub fleet_edge_usd: Option<f64>,
    /// cloud over T - fleet over T, USD (needs V).
    pub fleet_savings_usd: Option<f64>,
    /// Fleet cost per million generated tokens at volume V, USD (needs V
    /// and n_gen > 0).
    pub edge_usd_per_mtok: Option<f64>,
    /// Cloud cost per million generated tokens, USD (needs n_gen > 0).
    pub cloud_usd_per_mtok: Option<f64>,
}

impl Capacity {
    /// The capacity figures for a request of `e2e_ms` generating `n_gen`
    /// tokens; None when e2e_ms is not a positive number.
    pub fn compute(inputs: &CostInputs, e2e_ms: f64, n_gen: u32) -> Option<Capacity> {
        Capacity::sized(inputs, e2e_ms, n_gen, None)
    }

    /// The capacity figures from a capacity measured under load: `rps`
    /// requests/s held the latency limits at `concurrency`; queries per
    /// month per device = rps × s per month × duty.
    pub fn from_rate(
        inputs: &CostInputs,
        rps: f64,
        concurrency: u32,
        n_gen: u32,
    ) -> Option<Capacity> {
        if !(rps.is_finite() && rps > 0.0) {
            return None;
        }
        Capacity::sized(inputs, 1000.0 / rps, n_gen, Some((rps, concurrency)))
    }

    fn sized(
        inputs: &CostInputs,
        e2e_ms: f64,
        n_gen: u32,
        measured: Option<(f64, u32)>,
    ) -> Option<Capacity> {
        if !(e2e_ms.is_finite() && e2e_ms > 0.0) {
            return None;
        }
        let cost = &inputs.cost;
        let t = cost.horizon_months;
        let q = match measured {
            Some((rps, _)) => rps * SECONDS_PER_MONTH * DUTY_CYCLE,
            None => SECONDS_PER_MONTH * DUTY_CYCLE / (e2e_ms / 1000.0),
        };
        let v = cost.monthly_queries;
        let devices = v.map(|v| devices_for(v, q));
        let unit = inputs.unit_price_usd();
        let hardware = devices.map(|n| n as f64 * unit);
        let fleet = devices
            .map(|n| n as f64 * (unit + cost.lifecycle_usd_per_month * t) + cost.engineering_usd);
        let cloud = v.map(|v| cost.cloud_cost_per_query_usd * v * t);
        let tokens = v.map(|v| v * t * f64::from(n_gen)).filter(|x| *x > 0.0);
        Some(Capacity {
            e2e_ms,
            measured_rps: measured.map(|m| m.0),
            concurrency: measured.map(|m| m.1),
            n_gen,
            queries_per_month_per_device: q,
            devices_needed: devices,
            fleet_hardware_usd: hardware,
            capex_covers: hardware.map(|h| cost.capex_usd >= h),
            fleet_edge_usd: fleet,
            fleet_savings_usd: cloud.zip(fleet).map(|(c, f)| c - f),
            edge_usd_per_mtok: fleet.zip(tokens).map(|(f, n)| f / n * 1e6),
            cloud_usd_per_mtok: (n_gen > 0)
                .then(|| cost.cloud_cost_per_query_usd / f64::from(n_gen) * 1e6),
        })
    }
}

/// Devices needed for `v` queries a month at `q` per device (at least one
/// when there is any volume).
fn devices_for(v: f64, q: f64) -> u64 {
    if v <= 0.0 {
        return 0;
    }
    let n = (v / q).ceil();
    if n.is_finite() && n < u64::MAX as f64 {
        n.max(1.0) as u64
    } else {
        u64::MAX
    }
}
