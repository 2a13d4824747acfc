//! The `bandwidth` record kind: a memory-bandwidth probe's results on one
//! host, in the same versioned schema family as case records, and its
//! exporters.
use edgebench_devices::HostInfo;
use edgebench_devices::bandwidth::BandwidthResult;
use serde::{Deserialize, Serialize};

use crate::export::Format;
use crate::record::{DeviceRef, RecordKind, ToolInfo};

/// One bandwidth probe run: every kernel at every thread count asked for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BandwidthRecord {
    /// Schema version ([`crate::SCHEMA_VERSION`]).
    pub schema_version: u32,
    /// Always `bandwidth`.
    pub kind: RecordKind,
    /// The edgebench build.
    pub edgebench: ToolInfo,
    /// The machine.
    pub host: HostInfo,
    /// The device profile given with `--device` (or the sweep's).
    #[serde(default)]
    pub device: Option<DeviceRef>,
    /// The profile's theoretical peak, GB/s, when a profile gives one.
    pub peak_gbs: Option<f64>,
    /// When the probe started, RFC 3339 UTC.
    pub timestamp: String,
    /// One row per kernel and thread count.
    pub results: Vec<BandwidthResult>,
}

impl BandwidthRecord {
    /// Best `read`-kernel figure over all thread counts, GB/s: what decode
    /// ceilings are computed from.
    pub fn best_read_gbs(&self) -> Option<f64> {
        self.results
            .iter()
            .filter(|r| r.kernel == "read")
            .map(|r| r.gbs)
            .fold(None, |m: Option<f64>, g| Some(m.map_or(g, |m| m.max(g))))
    }

    /// Renders the results in `format` (md table, json object, jsonl: one
    /// line per result row with the record's context, csv).
    pub fn render(&self, format: Format) -> Result<String, serde_json::Error> {
        let pct = |gbs: f64| self.peak_gbs.map(|p| gbs / p * 100.0);
        Ok(match format {
            Format::Json => serde_json::to_string_pretty(self)? + "\n",
            Format::Jsonl => {
                let mut out = String::new();
                for r in &self.results {
                    let line = serde_json::json!({
                        "schema_version": self.schema_version,
                        "kind": self.kind,
                        "timestamp": self.timestamp,
                        "hostname": self.host.hostname,
                        "peak_gbs": self.peak_gbs,
                        "pct_of_peak": pct(r.gbs),
                        "result": r,
                    });
                    out.push_str(&serde_json::to_string(&line)?);
                    out.push('\n');
                }
                out
            }
            Format::Csv => {
                let mut out = String::from(
                    "kernel,threads,gbs,min_gbs,avg_gbs,array_bytes,bytes_per_iteration,iterations_measured,pinned,pct_of_peak\n",
                );
                for r in &self.results {
                    out.push_str(&format!(
                        "{},{},{},{},{},{},{},{},{},{}\n",
                        r.kernel,
                        r.threads,
                        r.gbs,
                        r.min_gbs,
                        r.avg_gbs,
                        r.array_bytes,
                        r.bytes_per_iteration,
                        r.iterations_measured,
                        r.pinned,
                        pct(r.gbs).map(|p| p.to_string()).unwrap_or_default()
                    ));
                }
                out
            }
            Format::Md => {
                let mut out = String::from(
                    "| kernel | threads | best GB/s | min GB/s | avg GB/s | % of peak | array MiB |\n\
                     | --- | ---: | ---: | ---: | ---: | ---: | ---: |\n",
                );
                for r in &self.results {
                    out.push_str(&format!(
                        "| {} | {} | {:.2} | {:.2} | {:.2} | {} | {} |\n",
                        r.kernel,
                        r.threads,
                        r.gbs,
                        r.min_gbs,
                        r.avg_gbs,
                        pct(r.gbs).map_or("–".into(), |p| format!("{p:.1}%")),
                        r.array_bytes >> 20,
                    ));
                }
                let notes: Vec<&String> = {
                    let mut n: Vec<&String> = self.results.iter().flat_map(|r| &r.notes).collect();
                    n.sort();
                    n.dedup();
                    n
                };
                for note in notes {
                    out.push_str(&format!("\n- {note}"));
                }
                if !out.ends_with('\n') {
                    out.push('\n');
                }
                out
            }
        })
    }
}
