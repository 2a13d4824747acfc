//! The sweep's summary: `sweep.json` as a type, and what the terminal shows
//! at the end.
use edgebench_devices::HostInfo;
use edgebench_devices::profile::Profile;
use edgebench_reports::bandwidth::BandwidthRecord;
use edgebench_reports::conformance::ConformanceRecord;
use edgebench_reports::export::{Format, render};
use edgebench_reports::junit;
use edgebench_reports::quality::QualityRecord;
use edgebench_reports::slo::{self, Verdict};
use edgebench_reports::{Record, SCHEMA_VERSION};
use serde::Serialize;

/// `sweep.json`.
#[derive(Serialize)]
pub struct SweepSummary<'a> {
    /// [`SCHEMA_VERSION`].
    pub schema_version: u32,
    /// Always "sweep" (readers tell a summary from a record by it).
    pub kind: &'static str,
    /// The profile the sweep ran.
    pub profile: &'a Profile,
    /// The machine.
    pub host: &'a HostInfo,
    /// Every case's record, in plan order.
    pub records: Vec<Record>,
    /// The profile's SLOs judged on `records`.
    pub verdicts: Vec<Verdict>,
    /// The bandwidth probe (None when off or failed).
    pub bandwidth: Option<&'a BandwidthRecord>,
    /// Conformance checks of models run from several formats.
    pub conformance: Vec<ConformanceRecord>,
    /// Checks that could not run, with why.
    pub conformance_problems: Vec<String>,
    /// Quality checks (`[matrix] quality`): each quantised model against
    /// its reference.
    pub quality: Vec<QualityRecord>,
    /// Quality checks that could not run, with why.
    pub quality_problems: Vec<String>,
    /// Every case of the plan has a record and Ctrl-C did not stop it.
    pub complete: bool,
    /// Where the time went.
    pub timing: Timing,
}

/// What the checks after the matrix found.
pub struct Checks {
    /// Conformance records.
    pub conformance: Vec<ConformanceRecord>,
    /// Conformance checks that could not run.
    pub conformance_problems: Vec<String>,
    /// Quality records.
    pub quality: Vec<QualityRecord>,
    /// Quality checks that could not run.
    pub quality_problems: Vec<String>,
}

/// A sweep's time: its wall time against what its cases and model loads
/// took (the isolation ratio shows the cost of worker processes).
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Timing {
    /// Whole sweep, seconds.
    pub wall_s: f64,
    /// Sum of the cases' wall times, seconds.
    pub cases_s: f64,
    /// Sum of the model loads, seconds.
    pub model_loads_s: f64,
    /// `wall_s / (cases_s + model_loads_s)`; None on a resumed sweep.
    pub isolation_ratio: Option<f64>,
}

impl SweepSummary<'_> {
    /// The kind tag.
    pub const KIND: &'static str = "sweep";

    /// Schema version of the summary.
    pub const SCHEMA_VERSION: u32 = SCHEMA_VERSION;

    /// The SLO verdicts as JUnit XML (`--junit`): one suite, the device, a
    /// case per verdict.
    pub fn junit(&self) -> junit::Report {
        let device = &self.profile.device;
        let name = match &device.power_mode {
            Some(mode) => format!("{}@{mode}", device.name),
            None => device.name.clone(),
        };
        let mut suite = junit::slo_suite(&name, &self.verdicts);
        suite.hostname = self.host.hostname.clone();
        suite.time_s = Some(self.timing.wall_s);
        suite.properties = vec![
            ("profile".into(), self.profile.origin.clone()),
            ("device.class".into(), device.class.to_string()),
            ("cases".into(), self.records.len().to_string()),
            ("complete".into(), self.complete.to_string()),
        ];
        junit::Report {
            name: format!("edgebench sweep {}", self.profile.origin),
            time_s: Some(self.timing.wall_s),
            suites: vec![suite],
        }
    }

    /// The results table and the SLO verdicts, on stdout; the timing on
    /// stderr.
    pub fn print(&self) -> anyhow::Result<()> {
        print!("{}", render(&self.records, Format::Md)?);
        if !self.verdicts.is_empty() {
            println!("\nSLO verdicts ({}):\n", self.profile.origin);
            print!("{}", slo::render_verdicts_md(&self.verdicts));
        }
        let t = self.timing;
        if let Some(ratio) = t.isolation_ratio {
            eprintln!(
                "edgebench: sweep wall time {:.1} s = {ratio:.3} x (cases {:.1} s + model loads {:.1} s)",
                t.wall_s, t.cases_s, t.model_loads_s
            );
        }
        Ok(())
    }
}
