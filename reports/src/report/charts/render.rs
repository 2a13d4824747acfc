//! A chart as an SVG document (for the HTML page) or PNG bytes (beside
//! report.md). Text is drawn with DejaVu Sans, built into the binary, so
//! rendering needs no font files or C libraries on the machine.
use std::sync::OnceLock;

use plotters::prelude::*;
use plotters::style::FontStyle;

use super::Chart;
use super::draw::{WIDTH, draw, height};
use super::style::FONT;

/// DejaVu Sans (Bitstream Vera licence, see reports/assets/).
static DEJAVU_SANS: &[u8] = include_bytes!("../../../assets/DejaVuSans.ttf");

/// Registers the font once; an error says why text cannot be drawn.
fn font() -> Result<(), String> {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    let ok = *REGISTERED.get_or_init(|| {
        plotters::style::register_font(FONT, FontStyle::Normal, DEJAVU_SANS).is_ok()
    });
    if ok {
        Ok(())
    } else {
        Err("the built-in font could not be read".into())
    }
}

/// The chart as a standalone SVG document.
pub fn svg(chart: &Chart) -> Result<String, String> {
    font()?;
    let mut out = String::new();
    {
        let area = SVGBackend::with_string(&mut out, (WIDTH, height(chart))).into_drawing_area();
        draw(&area, chart)?;
    }
    Ok(out)
}

/// The chart as PNG bytes (8-bit RGB).
pub fn png(chart: &Chart) -> Result<Vec<u8>, String> {
    font()?;
    let (w, h) = (WIDTH, height(chart));
    let mut rgb = vec![255u8; (w * h * 3) as usize];
    {
        let area = BitMapBackend::with_buffer(&mut rgb, (w, h)).into_drawing_area();
        draw(&area, chart)?;
    }
    let mut bytes = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut bytes, w, h);
        enc.set_color(png::ColorType::Rgb);
        enc.set_depth(png::BitDepth::Eight);
        let mut writer = enc.write_header().map_err(|e| e.to_string())?;
        writer.write_image_data(&rgb).map_err(|e| e.to_string())?;
    }
    Ok(bytes)
}
