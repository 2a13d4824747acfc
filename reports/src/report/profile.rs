//! What the report needs from a device profile: its price and bandwidth,
//! its SLOs and its `[cost]`. Read from the `profile` a sweep writes into
//! sweep.json, or from a loaded [`Profile`] (`--slo-profile`).
use edgebench_devices::profile::{Cost, Profile, Slo, SloMetric, SloOp};
use serde::Deserialize;

/// The profile facts a report uses.
#[derive(Debug, Clone, PartialEq)]
pub struct ProfileFacts {
    /// Where the profile came from (its path, or `<embedded>/local.toml`).
    pub origin: String,
    /// `[device] name`.
    pub device_name: String,
    /// `[device] price_usd`.
    pub price_usd: Option<f64>,
    /// `[device] mem_bandwidth_gbs`: theoretical peak, GB/s.
    pub mem_bandwidth_gbs: Option<f64>,
    /// `[[slo]]` entries.
    pub slos: Vec<Slo>,
    /// `[cost]`, when given.
    pub cost: Option<Cost>,
}

impl ProfileFacts {
    /// The facts of a loaded profile.
    pub fn of(p: &Profile) -> ProfileFacts {
        ProfileFacts {
            origin: p.origin.clone(),
            device_name: p.device.name.clone(),
            price_usd: p.device.price_usd,
            mem_bandwidth_gbs: p.device.mem_bandwidth_gbs,
            slos: p.slos.clone(),
            cost: p.cost.clone(),
        }
    }

    /// The facts from the `profile` object of a sweep.json; an error says
    /// what is wrong with it (the report goes on without it).
    pub fn from_sweep_json(value: &serde_json::Value) -> Result<ProfileFacts, String> {
        let raw: RawProfile = serde_json::from_value(value.clone()).map_err(|e| e.to_string())?;
        let slos = raw
            .slos
            .into_iter()
            .map(|s| {
                let metric = SloMetric::parse(&s.metric)
                    .ok_or_else(|| format!("SLO `{}`: unknown metric `{}`", s.name, s.metric))?;
                let op = SloOp::parse(&s.op)
                    .ok_or_else(|| format!("SLO `{}`: unknown op `{}`", s.name, s.op))?;
                Ok(Slo {
                    name: s.name,
                    model: s.model,
                    backend: s.backend,
                    metric,
                    op,
                    threshold: s.threshold,
                })
            })
            .collect::<Result<Vec<_>, String>>()?;
        Ok(ProfileFacts {
            origin: raw.origin,
            device_name: raw.device.name,
            price_usd: raw.device.price_usd,
            mem_bandwidth_gbs: raw.device.mem_bandwidth_gbs,
            slos,
            cost: raw.cost.map(|c| Cost {
                capex_usd: c.capex_usd,
                lifecycle_usd_per_month: c.lifecycle_usd_per_month,
                engineering_usd: c.engineering_usd,
                horizon_months: c.horizon_months,
                cloud_cost_per_query_usd: c.cloud_cost_per_query_usd,
                monthly_queries: c.monthly_queries,
                note: c.note,
            }),
        })
    }
}

/// The serialised `Profile` as sweep.json holds it (only what is read).
#[derive(Deserialize)]
struct RawProfile {
    origin: String,
    device: RawDevice,
    #[serde(default)]
    slos: Vec<RawSlo>,
    #[serde(default)]
    cost: Option<RawCost>,
}

#[derive(Deserialize)]
struct RawDevice {
    name: String,
    #[serde(default)]
    price_usd: Option<f64>,
    #[serde(default)]
    mem_bandwidth_gbs: Option<f64>,
}

#[derive(Deserialize)]
struct RawSlo {
    name: String,
    #[serde(default)]
    model: Option<String>,
    #[serde(default)]
    backend: Option<String>,
    metric: String,
    op: String,
    threshold: f64,
}

#[derive(Deserialize)]
struct RawCost {
    capex_usd: f64,
    lifecycle_usd_per_month: f64,
    engineering_usd: f64,
    horizon_months: f64,
    cloud_cost_per_query_usd: f64,
    #[serde(default)]
    monthly_queries: Option<f64>,
    #[serde(default)]
    note: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_serialised_profile_with_cost_reads_back() {
        let text = r#"
[device]
name = "board"
class = "sbc"
price_usd = 80
mem_bandwidth_gbs = 17.07

[[model]]
id = "m"
synth = { preset = "tiny", quant = "q4_0" }

[matrix]
backends = ["mock"]
threads = [1]
n_prompt = [16]
n_gen = [4]

[[slo]]
name = "floor"
model = "m"
backend = "mock"
metric = "decode_tps.p50"
op = ">="
threshold = 15

[cost]
lifecycle_usd_per_month = 1
cloud_cost_per_query_usd = 0.001
monthly_queries = 5000
"#;
        let p = Profile::parse(text, "board.toml", std::path::Path::new(".")).unwrap();
        let json = serde_json::to_value(&p).unwrap();
        let facts = ProfileFacts::from_sweep_json(&json).unwrap();
        assert_eq!(facts, ProfileFacts::of(&p));
        assert_eq!(facts.cost.as_ref().map(|c| c.capex_usd), Some(80.0));
        assert_eq!(facts.slos.len(), 1);
    }

    #[test]
    fn a_serialised_profile_reads_back() {
        let p = Profile::parse(
            edgebench_devices::profile::EMBEDDED_LOCAL,
            "<embedded>/local.toml",
            std::path::Path::new("."),
        )
        .unwrap();
        let json = serde_json::to_value(&p).unwrap();
        let facts = ProfileFacts::from_sweep_json(&json).unwrap();
        assert_eq!(facts, ProfileFacts::of(&p));
    }
}
