//! Drawing a [`Chart`] on any plotters backend (SVG or bitmap).
use plotters::coord::Shift;
use plotters::prelude::*;

use super::Chart;
use super::data::{Bar, ChartData, Corner, Series};
use super::style::{FONT, Marker, colour, marker};

/// Width of every chart, pixels.
pub const WIDTH: u32 = 960;

/// Height of `chart`, pixels: bar charts grow with their bars.
pub fn height(chart: &Chart) -> u32 {
    match &chart.data {
        ChartData::Bars { bars, .. } => 110 + 30 * bars.len() as u32,
        ChartData::Lines { series, .. } => 420 + 20 * series.len().min(12) as u32,
    }
}

type DrawResult = Result<(), String>;

fn err<E: std::fmt::Display>(e: E) -> String {
    e.to_string()
}

/// Draws `chart` on `area` (white background, title, axes with units).
pub fn draw<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, chart: &Chart) -> DrawResult {
    area.fill(&WHITE).map_err(err)?;
    match &chart.data {
        ChartData::Bars { value_label, bars } => draw_bars(area, &chart.title, value_label, bars),
        ChartData::Lines {
            x_label,
            y_label,
            log_x,
            log_y,
            y_from_zero,
            x_ticks,
            series,
            legend,
        } => {
            let spec = LineSpec {
                legend: *legend,
                y_from_zero: *y_from_zero,
                title: &chart.title,
                x_label,
                y_label,
                x_ticks,
                series,
            };
            match (log_x, log_y) {
                (true, true) => draw_log_lines(area, &spec),
                _ => draw_lines(area, &spec),
            }
        }
    }
}

fn draw_bars<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    title: &str,
    value_label: &str,
    bars: &[Bar],
) -> DrawResult {
    let n = bars.len() as i32;
    let xmax = bars
        .iter()
        .map(|b| b.value + b.sd.unwrap_or(0.0))
        .fold(0.0, f64::max);
    let xmax = if xmax.is_finite() && xmax > 0.0 {
        xmax * 1.12
    } else {
        1.0
    };
    let longest = bars
        .iter()
        .map(|b| b.label.chars().count())
        .max()
        .unwrap_or(10);
    let label_w = (longest as u32 * 7 + 16).clamp(120, 560);
    let labels: Vec<String> = bars.iter().map(|b| b.label.clone()).collect();
    // Bar 0 is drawn on top: row k holds bar n - 1 - k.
    let label_of = |v: &SegmentValue<i32>| match v {
        SegmentValue::CenterOf(k) if *k < n => labels
            .get((n - 1 - *k) as usize)
            .cloned()
            .unwrap_or_default(),
        _ => String::new(),
    };
    let mut chart = ChartBuilder::on(area)
        .caption(title, (FONT, 18))
        .margin(12)
        .x_label_area_size(48)
        .y_label_area_size(label_w)
        // A segmented 0..top has top + 1 rows.
        .build_cartesian_2d(0f64..xmax, (0..(n - 1).max(1)).into_segmented())
        .map_err(err)?;
    chart
        .configure_mesh()
        .disable_y_mesh()
        .y_labels(bars.len())
        .y_label_formatter(&label_of)
        .x_label_formatter(&|v| axis_num(*v))
        .x_desc(value_label)
        .label_style((FONT, 13))
        .axis_desc_style((FONT, 14))
        .light_line_style(RGBColor(235, 235, 235))
        .draw()
        .map_err(err)?;
    for (i, b) in bars.iter().enumerate() {
        let k = n - 1 - i as i32;
        let fill = colour(b.style).mix(0.45).filled();
        let mut rect = Rectangle::new(
            [
                (0.0, SegmentValue::Exact(k)),
                (b.value, SegmentValue::Exact(k + 1)),
            ],
            fill,
        );
        rect.set_margin(5, 5, 0, 0);
        chart.draw_series(std::iter::once(rect)).map_err(err)?;
        // Outline so light fills stay visible in greyscale.
        let mut outline = Rectangle::new(
            [
                (0.0, SegmentValue::Exact(k)),
                (b.value, SegmentValue::Exact(k + 1)),
            ],
            BLACK.stroke_width(1),
        );
        outline.set_margin(5, 5, 0, 0);
        chart.draw_series(std::iter::once(outline)).map_err(err)?;
        if let Some(sd) = b.sd.filter(|s| s.is_finite() && *s > 0.0) {
            let y = SegmentValue::CenterOf(k);
            let style = BLACK.stroke_width(2);
            let lo = (b.value - sd).max(0.0);
            let hi = b.value + sd;
            chart
                .draw_series(std::iter::once(PathElement::new(
                    vec![(lo, y.clone()), (hi, y.clone())],
                    style,
                )))
                .map_err(err)?;
            for x in [lo, hi] {
                chart
                    .draw_series(std::iter::once(
                        EmptyElement::at((x, y.clone()))
                            + PathElement::new(vec![(0, -6), (0, 6)], style),
                    ))
                    .map_err(err)?;
            }
        }
    }
    area.present().map_err(err)
}

struct LineSpec<'a> {
    legend: Corner,
    y_from_zero: bool,
    title: &'a str,
    x_label: &'a str,
    y_label: &'a str,
    x_ticks: &'a [(f64, String)],
    series: &'a [Series],
}

/// An axis tick: whole numbers plain, else up to three decimals, trailing
/// zeros dropped.
fn axis_num(v: f64) -> String {
    if v.fract() == 0.0 || v.abs() >= 100.0 {
        return format!("{v:.0}");
    }
    let s = format!("{v:.3}");
    s.trim_end_matches('0').trim_end_matches('.').to_owned()
}

fn bounds(series: &[Series], x: bool) -> (f64, f64) {
    let vals = series.iter().flat_map(|s| {
        s.points.iter().zip(&s.err).flat_map(move |(p, e)| {
            let v = if x { p.0 } else { p.1 };
            let e = if x { 0.0 } else { e.unwrap_or(0.0) };
            [v - e, v + e]
        })
    });
    let (lo, hi) = vals
        .filter(|v| v.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
            (a.min(v), b.max(v))
        });
    if lo.is_finite() && hi.is_finite() {
        (lo, hi)
    } else {
        (0.0, 1.0)
    }
}

fn draw_lines<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, s: &LineSpec) -> DrawResult {
    let (x0, x1) = if s.x_ticks.is_empty() {
        let (lo, hi) = bounds(s.series, true);
        let pad = ((hi - lo) * 0.08).max(hi.abs() * 0.1).max(1.0);
        ((lo - pad).max(0.0), hi + pad)
    } else {
        (-0.3, s.x_ticks.len() as f64 - 0.7)
    };
    let (lo, hi) = bounds(s.series, false);
    let (y0, y1) = if s.y_from_zero {
        (0.0, if hi > 0.0 { hi * 1.15 } else { 1.0 })
    } else {
        // Fitted to the data, with room above for the legend.
        let pad = ((hi - lo) * 0.15).max(1.0);
        (lo - pad, hi + 2.0 * pad)
    };
    let ticks = s.x_ticks.to_vec();
    let tick_label = |v: &f64| {
        if ticks.is_empty() {
            axis_num(*v)
        } else {
            ticks
                .iter()
                .find(|(x, _)| (x - v).abs() < 1e-6)
                .map(|(_, l)| l.clone())
                .unwrap_or_default()
        }
    };
    let mut chart = ChartBuilder::on(area)
        .caption(s.title, (FONT, 18))
        .margin(12)
        .x_label_area_size(48)
        .y_label_area_size(70)
        .build_cartesian_2d(x0..x1, y0..y1)
        .map_err(err)?;
    let mut mesh = chart.configure_mesh();
    mesh.x_desc(s.x_label)
        .y_desc(s.y_label)
        .label_style((FONT, 13))
        .axis_desc_style((FONT, 14))
        .light_line_style(RGBColor(235, 235, 235))
        .x_label_formatter(&tick_label)
        .y_label_formatter(&|v| axis_num(*v));
    if !ticks.is_empty() {
        // 4 ticks at 0..3: ask for a tick per 0.25 and name the whole ones.
        mesh.x_labels(4 * ticks.len() + 1);
    }
    mesh.draw().map_err(err)?;
    draw_series(&mut chart, s.series)?;
    legend(&mut chart, s.legend)?;
    area.present().map_err(err)
}

fn draw_log_lines<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, s: &LineSpec) -> DrawResult {
    let (xl, xh) = bounds(s.series, true);
    let pts = s.series.iter().filter(|x| x.markers).collect::<Vec<_>>();
    let (mut yl, mut yh) = (f64::INFINITY, 0.0f64);
    for p in pts.iter().flat_map(|x| &x.points) {
        yl = yl.min(p.1);
        yh = yh.max(p.1);
    }
    if !(yl.is_finite() && yl > 0.0) {
        yl = 1.0;
    }
    // Room above the points for the ceilings.
    let top = s
        .series
        .iter()
        .flat_map(|x| &x.points)
        .map(|p| p.1)
        .filter(|y| y.is_finite())
        .fold(yh, f64::max);
    let yh = (top * 1.5).max(yl * 10.0);
    let yl = yl / 3.0;
    // Whole decades, so the log axes have labelled ticks at both ends.
    let decade_down = |v: f64| 10f64.powf(v.log10().floor());
    let decade_up = |v: f64| 10f64.powf(v.log10().ceil());
    let xl = decade_down(xl.max(1e-9));
    let xh = decade_up(xh).max(xl * 10.0);
    let (yl, yh) = (decade_down(yl), decade_up(yh));
    let mut chart = ChartBuilder::on(area)
        .caption(s.title, (FONT, 18))
        .margin(12)
        .x_label_area_size(48)
        .y_label_area_size(70)
        .build_cartesian_2d((xl..xh).log_scale(), (yl..yh).log_scale())
        .map_err(err)?;
    chart
        .configure_mesh()
        .x_labels(12)
        .y_labels(12)
        .x_desc(s.x_label)
        .y_desc(s.y_label)
        .label_style((FONT, 13))
        .axis_desc_style((FONT, 14))
        .light_line_style(RGBColor(235, 235, 235))
        .x_label_formatter(&|v| axis_num(*v))
        .y_label_formatter(&|v| axis_num(*v))
        .draw()
        .map_err(err)?;
    // Ceilings beyond the y range are clipped by the backend.
    let clipped: Vec<Series> = s
        .series
        .iter()
        .map(|x| Series {
            points: x
                .points
                .iter()
                .filter(|p| p.1 >= yl && p.1 <= yh)
                .copied()
                .collect(),
            err: Vec::new(),
            ..x.clone()
        })
        .collect();
    draw_series(&mut chart, &clipped)?;
    legend(&mut chart, s.legend)?;
    area.present().map_err(err)
}

fn draw_series<'a, DB, X, Y>(
    chart: &mut ChartContext<'a, DB, Cartesian2d<X, Y>>,
    series: &[Series],
) -> DrawResult
where
    DB: DrawingBackend + 'a,
    X: Ranged<ValueType = f64>,
    Y: Ranged<ValueType = f64>,
{
    for s in series {
        let c = colour(s.style);
        let line_style = c.stroke_width(2);
        let m = marker(s.style);
        // Error bars first, under the markers.
        for (p, e) in s.points.iter().zip(&s.err) {
            if let Some(e) = e.filter(|e| e.is_finite() && *e > 0.0) {
                chart
                    .draw_series(std::iter::once(PathElement::new(
                        vec![(p.0, (p.1 - e).max(0.0)), (p.0, p.1 + e)],
                        c.stroke_width(1),
                    )))
                    .map_err(err)?;
            }
        }
        let anno = if s.line && s.dashed {
            chart
                .draw_series(DashedLineSeries::new(
                    s.points.iter().copied(),
                    8,
                    5,
                    line_style,
                ))
                .map_err(err)?
        } else if s.line {
            chart
                .draw_series(LineSeries::new(s.points.iter().copied(), line_style))
                .map_err(err)?
        } else {
            chart
                .draw_series(std::iter::empty::<PathElement<(f64, f64)>>())
                .map_err(err)?
        };
        let (line, dashed, markers) = (s.line, s.dashed, s.markers);
        anno.label(s.name.clone()).legend(move |(x, y)| {
            let (seg1, seg2) = match (line, dashed) {
                (true, true) => (vec![(-4, 0), (2, 0)], vec![(14, 0), (20, 0)]),
                (true, false) => (vec![(-4, 0), (8, 0)], vec![(8, 0), (20, 0)]),
                _ => (Vec::new(), Vec::new()),
            };
            let (fill, outline) = if markers {
                (marker_fill(m, c), marker_outline(m, 8))
            } else {
                (WHITE.mix(0.0).filled(), Vec::new())
            };
            let shape = if markers {
                shape_points(m, 8)
            } else {
                vec![(8, 0)]
            };
            EmptyElement::at((x, y))
                + PathElement::new(seg1, c.stroke_width(2))
                + PathElement::new(seg2, c.stroke_width(2))
                + Polygon::new(shape, fill)
                + PathElement::new(outline, c.stroke_width(2))
        });
        if s.markers {
            let fill = marker_fill(m, c);
            chart
                .draw_series(s.points.iter().map(|&p| {
                    EmptyElement::at(p)
                        + Polygon::new(shape_points(m, 0), fill)
                        + PathElement::new(marker_outline(m, 0), c.stroke_width(2))
                }))
                .map_err(err)?;
        }
    }
    Ok(())
}

/// Filled shapes, except the square, which is hollow (white inside).
fn marker_fill(m: Marker, c: RGBColor) -> ShapeStyle {
    match m {
        Marker::Square => WHITE.filled(),
        _ => c.filled(),
    }
}

/// The marker's corners in pixels around (dx, 0).
fn shape_points(m: Marker, dx: i32) -> Vec<(i32, i32)> {
    let pts: Vec<(i32, i32)> = match m {
        Marker::Circle => (0..12)
            .map(|k| {
                let a = f64::from(k) * std::f64::consts::PI / 6.0;
                (
                    (5.0 * a.cos()).round() as i32,
                    (5.0 * a.sin()).round() as i32,
                )
            })
            .collect(),
        Marker::Triangle => vec![(0, -6), (6, 5), (-6, 5)],
        Marker::Square => vec![(-5, -5), (5, -5), (5, 5), (-5, 5)],
        Marker::Diamond => vec![(0, -7), (6, 0), (0, 7), (-6, 0)],
    };
    pts.into_iter().map(|(x, y)| (x + dx, y)).collect()
}

/// The marker's closed outline.
fn marker_outline(m: Marker, dx: i32) -> Vec<(i32, i32)> {
    let mut pts = shape_points(m, dx);
    if let Some(&first) = pts.first() {
        pts.push(first);
    }
    pts
}

fn legend<'a, DB, X, Y>(
    chart: &mut ChartContext<'a, DB, Cartesian2d<X, Y>>,
    corner: Corner,
) -> DrawResult
where
    DB: DrawingBackend + 'a,
    X: Ranged<ValueType = f64>,
    Y: Ranged<ValueType = f64>,
{
    chart
        .configure_series_labels()
        .position(match corner {
            Corner::UpperLeft => SeriesLabelPosition::UpperLeft,
            Corner::LowerLeft => SeriesLabelPosition::LowerLeft,
            Corner::LowerRight => SeriesLabelPosition::LowerRight,
        })
        .label_font((FONT, 12))
        .background_style(WHITE.mix(0.85))
        .border_style(RGBColor(120, 120, 120))
        .draw()
        .map_err(err)
}
