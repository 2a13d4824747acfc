//! The hardware-selection report (`edgebench report`): SLO verdicts per
//! device × (model, backend), the cheapest devices that meet them, the
//! edge-versus-cloud cost model, charts and provenance, as one
//! self-contained `report.html` and a `report.md` with PNG charts beside it.
//!
//! Built once as a [`doc::Section`] list ([`sections`]) and rendered twice
//! ([`md`], [`html`]), so both files hold the same tables.
pub mod charts;
pub mod cost;
pub mod decide;
pub mod device;
pub mod doc;
mod error;
pub mod fmt;
pub mod html;
pub mod input;
pub mod md;
pub mod profile;
pub mod sections;
pub mod table;

use std::path::{Path, PathBuf};

pub use error::ReportError;
pub use profile::ProfileFacts;

/// The report files `edgebench report` can write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ReportFormat {
    /// `report.html`: one self-contained page, charts as inline SVG.
    Html,
    /// `report.md` with `charts/*.png` beside it.
    Md,
}

impl std::str::FromStr for ReportFormat {
    type Err = String;
    fn from_str(s: &str) -> Result<ReportFormat, String> {
        match s.trim() {
            "html" => Ok(ReportFormat::Html),
            "md" => Ok(ReportFormat::Md),
            other => Err(format!(
                "`{other}` is not a report format; use html, md or html,md"
            )),
        }
    }
}

/// Options of a report.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// A profile whose SLOs every device is judged by, and whose `[cost]`
    /// stands in where a device's own profile has none (`--slo-profile`).
    pub slo_profile: Option<ProfileFacts>,
    /// The version of edgebench writing the report.
    pub edgebench_version: String,
}

/// A report, ready to render.
#[derive(Debug, Clone)]
pub struct Report {
    /// The inputs as given.
    pub inputs: Vec<String>,
    /// Files skipped and other things the reader should know.
    pub warnings: Vec<String>,
    /// One entry per device.
    pub devices: Vec<device::DeviceResults>,
    /// Conformance checks in the inputs.
    pub conformance: Vec<crate::conformance::ConformanceRecord>,
    /// Quality checks in the inputs: each quantised model against its
    /// reference (the answer shows them beside speed and cost).
    pub quality: Vec<crate::quality::QualityRecord>,
    /// Where `--slo-profile` came from, when given.
    pub slo_profile: Option<String>,
    /// edgebench version writing it.
    pub edgebench_version: String,
}

/// Reads the inputs and evaluates SLOs and cost per device.
pub fn build(inputs: &[PathBuf], opts: &Options) -> Result<Report, ReportError> {
    let loaded = input::load(inputs)?;
    let devices = device::group(&loaded, opts.slo_profile.as_ref());
    Ok(Report {
        inputs: inputs.iter().map(|p| p.display().to_string()).collect(),
        warnings: loaded.warnings.clone(),
        devices,
        conformance: loaded.conformance.clone(),
        quality: loaded.quality.clone(),
        slo_profile: opts.slo_profile.as_ref().map(|p| p.origin.clone()),
        edgebench_version: opts.edgebench_version.clone(),
    })
}

/// Writes the report into `out` (created if missing) in each format;
/// returns the files written, report files first.
pub fn write(
    report: &Report,
    out: &Path,
    formats: &[ReportFormat],
) -> Result<Vec<PathBuf>, ReportError> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| ReportError::Write { path, source }
    };
    std::fs::create_dir_all(out).map_err(io(out))?;
    let built = charts::build(&report.devices);
    let doc = sections::build(report, &built);
    let mut written = Vec::new();
    let mut charts_written = Vec::new();
    for f in formats {
        match f {
            ReportFormat::Html => {
                let path = out.join("report.html");
                let page = html::render(report, &doc, &built)?;
                write_atomically(&path, page.as_bytes()).map_err(io(&path))?;
                written.push(path);
            }
            ReportFormat::Md => {
                let dir = out.join("charts");
                std::fs::create_dir_all(&dir).map_err(io(&dir))?;
                for (_, chart) in &built {
                    let Ok(chart) = chart else { continue };
                    let bytes = charts::png(chart).map_err(|message| ReportError::Chart {
                        name: chart.stem.clone(),
                        message,
                    })?;
                    let path = dir.join(format!("{}.png", chart.stem));
                    write_atomically(&path, &bytes).map_err(io(&path))?;
                    charts_written.push(path);
                }
                let path = out.join("report.md");
                write_atomically(&path, md::render(report, &doc).as_bytes()).map_err(io(&path))?;
                written.push(path);
            }
        }
    }
    written.extend(charts_written);
    Ok(written)
}

/// Temp file beside the target, then rename: a reader never sees half a file.
fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "report".into());
    let tmp = path.with_file_name(format!(".{name}.tmp"));
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, path)
}
