//! Colours, markers and dashes that survive greyscale printing: the
//! Okabe-Ito palette ordered so that neighbours differ in lightness, with
//! a marker shape and a dash pattern per series as well.
use plotters::style::RGBColor;

/// Series colours, dark and light alternating.
pub const PALETTE: [RGBColor; 6] = [
    RGBColor(0, 0, 0),      // black
    RGBColor(230, 159, 0),  // orange (light)
    RGBColor(0, 114, 178),  // blue (dark)
    RGBColor(86, 180, 233), // sky blue (light)
    RGBColor(213, 94, 0),   // vermillion (mid)
    RGBColor(0, 158, 115),  // bluish green (mid)
];

/// The colour of series `i`.
pub fn colour(i: usize) -> RGBColor {
    PALETTE[i % PALETTE.len()]
}

/// Marker shapes, in the order series get them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Marker {
    /// Filled circle.
    Circle,
    /// Filled triangle.
    Triangle,
    /// Hollow square.
    Square,
    /// Filled diamond.
    Diamond,
}

/// The marker of series `i`.
pub fn marker(i: usize) -> Marker {
    [
        Marker::Circle,
        Marker::Triangle,
        Marker::Square,
        Marker::Diamond,
    ][i % 4]
}

/// Whether series `i` is drawn dashed: alternating, with the pattern
/// flipped after every four, so the first eight series each have their
/// own (marker, dash) pair even in greyscale.
pub fn dashed(i: usize) -> bool {
    (i % 2 + i / 4) % 2 == 1
}

/// The font family registered for every chart.
pub const FONT: &str = "sans-serif";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eight_series_differ_without_colour() {
        let mut seen: Vec<(Marker, bool)> = (0..8).map(|i| (marker(i), dashed(i))).collect();
        seen.dedup();
        let n = seen.len();
        seen.sort_by_key(|(m, d)| (*m as u8, *d));
        seen.dedup();
        assert_eq!((n, seen.len()), (8, 8));
    }
}
