//! The report's charts: what each shows, built from the devices' results,
//! then drawn with plotters as SVG (inline in report.html) and PNG (beside
//! report.md). Every style tells series apart by marker shape and dash
//! pattern as well as colour, so a greyscale print stays readable.
mod data;
mod draw;
mod render;
mod style;

pub use data::{Bar, ChartData, Corner, Series, build};
pub use render::{png, svg};

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
