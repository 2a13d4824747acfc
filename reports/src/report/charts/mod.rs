//! The report's charts: what each shows, built from the devices' results,
//! then drawn with plotters as SVG (inline in report.html) and PNG (beside
//! report.md). Every style tells series apart by marker shape and dash
//! pattern as well as colour, so a greyscale print stays readable.
mod data;
mod draw;
mod load;
mod render;
mod style;
mod sustained;

pub use data::{Bar, ChartData, Corner, Series, case_charts};
pub use load::{LOAD_STEM_PREFIX, LoadLine, load_charts, load_lines};
pub use render::{png, svg};
pub use sustained::{SUSTAINED_STEM_PREFIX, sustained_charts};

use super::device::DeviceResults;

/// Every chart of the report, each with its title and its data or why it
/// has none: the charts of ordinary cases, then those of sustained runs
/// (stems starting with [`SUSTAINED_STEM_PREFIX`], present only when some
/// sustained run has windows), then those of load runs (stems starting
/// with [`LOAD_STEM_PREFIX`], present only when some load run has runs).
pub fn build(devices: &[DeviceResults]) -> Vec<(String, Result<Chart, String>)> {
    let mut charts = case_charts(devices);
    charts.extend(
        sustained_charts(devices)
            .into_iter()
            .chain(load_charts(devices))
            .map(|c| (c.title.clone(), Ok(c))),
    );
    charts
}

/// One chart: its file stem, title, text alternative and data.
#[derive(Debug, Clone, PartialEq)]
pub struct Chart {
    /// File stem, e.g. `decode-tps` (`charts/decode-tps.png`).
    pub stem: String,
    /// Title drawn above the chart and used as its heading.
    pub title: String,
    /// Text alternative for screen readers and Markdown viewers.
    pub alt: String,
    /// What to draw.
    pub data: ChartData,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(series: Vec<Series>, log: bool) -> Chart {
        Chart {
            stem: "t".into(),
            title: "t".into(),
            alt: "t".into(),
            data: ChartData::Lines {
                x_label: "x (units)".into(),
                y_label: "y (units)".into(),
                log_x: log,
                log_y: log,
                y_from_zero: true,
                x_ticks: Vec::new(),
                series,
                legend: Corner::UpperLeft,
            },
        }
    }

    fn one_point(y: f64) -> Series {
        Series {
            name: "only".into(),
            points: vec![(3.0, y)],
            err: vec![None],
            line: true,
            markers: true,
            style: 0,
            dashed: false,
        }
    }

    #[test]
    fn degenerate_charts_still_draw() {
        let bars = Chart {
            stem: "b".into(),
            title: "b".into(),
            alt: "b".into(),
            data: ChartData::Bars {
                value_label: "v (tok/s)".into(),
                bars: vec![Bar {
                    label: "one".into(),
                    value: 0.0,
                    sd: None,
                    style: 0,
                }],
            },
        };
        for chart in [
            bars,
            lines(vec![one_point(5.0)], false),
            lines(vec![one_point(0.0)], false),
            lines(vec![one_point(5.0)], true),
        ] {
            let svg = svg(&chart).unwrap();
            assert!(svg.contains("<svg"), "{}", chart.stem);
            let png = png(&chart).unwrap();
            assert!(png.starts_with(b"\x89PNG"), "{}", chart.stem);
        }
    }
}
