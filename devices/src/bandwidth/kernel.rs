//! The five bandwidth kernels: what each does to the arrays and how many
//! bytes STREAM counts for it.
//!
//! The loops are plain iterator zips over slices so LLVM vectorises them
//! (with `-C target-cpu=native`, AVX2/AVX-512/NEON as the CPU has them) and
//! drops bounds checks. Write-allocate traffic (reading a destination line
//! before writing it) is not counted, as in STREAM.

use serde::{Deserialize, Serialize};

/// STREAM's scalar for Scale and Triad.
pub const SCALAR: f64 = 3.0;

/// Lanes of the read kernel's accumulator: 8 independent partial sums (one
/// AVX-512 register, two AVX2 or four NEON registers), so the loop is bound
/// by memory, not by one add chain's latency. 8 was measured against 32 on a
/// Zen 4 host: 32 (unrolled by LLVM, lines read out of order within a group)
/// was ~2 % slower at 1 thread and ~6 % slower at 2.
const READ_LANES: usize = 8;

/// One bandwidth kernel over the arrays `a`, `b`, `c` of f64.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum Kernel {
    /// `c[i] = a[i]`: 16 bytes per element.
    Copy,
    /// `b[i] = SCALAR * c[i]`: 16 bytes per element.
    Scale,
    /// `c[i] = a[i] + b[i]`: 24 bytes per element.
    Add,
    /// `a[i] = b[i] + SCALAR * c[i]`: 24 bytes per element.
    Triad,
    /// `sum += a[i]`, read only (what LLM decode mostly does): 8 bytes per
    /// element.
    Read,
}

impl Kernel {
    /// All kernels in STREAM's order, with the read kernel last.
    pub const ALL: [Kernel; 5] = [
        Kernel::Copy,
        Kernel::Scale,
        Kernel::Add,
        Kernel::Triad,
        Kernel::Read,
    ];

    /// The name used in results and on the command line: `copy`, `scale`,
    /// `add`, `triad`, `read`.
    pub fn name(self) -> &'static str {
        match self {
            Kernel::Copy => "copy",
            Kernel::Scale => "scale",
            Kernel::Add => "add",
            Kernel::Triad => "triad",
            Kernel::Read => "read",
        }
    }

    /// The kernel with this name, if any.
    pub fn from_name(name: &str) -> Option<Kernel> {
        Kernel::ALL.into_iter().find(|k| k.name() == name)
    }

    /// Bytes moved per element as STREAM counts them (8-byte f64; reads plus
    /// writes, write-allocate traffic not counted): 16, 16, 24, 24, 8.
    pub fn bytes_per_element(self) -> u64 {
        match self {
            Kernel::Copy | Kernel::Scale => 16,
            Kernel::Add | Kernel::Triad => 24,
            Kernel::Read => 8,
        }
    }

    /// Bytes one pass over arrays of `elements` moves.
    pub fn bytes_per_iteration(self, elements: u64) -> u64 {
        self.bytes_per_element().saturating_mul(elements)
    }

    /// Runs the kernel once over equally long slices (a thread's chunk).
    /// Returns the sum for [`Kernel::Read`], 0.0 for the others.
    pub fn apply(self, a: &mut [f64], b: &mut [f64], c: &mut [f64]) -> f64 {
        match self {
            Kernel::Copy => copy(a, c),
            Kernel::Scale => scale(c, b),
            Kernel::Add => add(a, b, c),
            Kernel::Triad => triad(b, c, a),
            Kernel::Read => return read(a),
        }
        0.0
    }
}

impl std::fmt::Display for Kernel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Copy: `c[i] = a[i]`.
pub fn copy(a: &[f64], c: &mut [f64]) {
    for (c, a) in c.iter_mut().zip(a) {
        *c = *a;
    }
}

/// Scale: `b[i] = SCALAR * c[i]`.
pub fn scale(c: &[f64], b: &mut [f64]) {
    for (b, c) in b.iter_mut().zip(c) {
        *b = SCALAR * *c;
    }
}

/// Add: `c[i] = a[i] + b[i]`.
pub fn add(a: &[f64], b: &[f64], c: &mut [f64]) {
    for ((c, a), b) in c.iter_mut().zip(a).zip(b) {
        *c = *a + *b;
    }
}

/// Triad: `a[i] = b[i] + SCALAR * c[i]`.
pub fn triad(b: &[f64], c: &[f64], a: &mut [f64]) {
    for ((a, b), c) in a.iter_mut().zip(b).zip(c) {
        *a = *b + SCALAR * *c;
    }
}

/// Read: the sum of `a`, with [`READ_LANES`] independent partial sums.
pub fn read(a: &[f64]) -> f64 {
    let mut acc = [0.0f64; READ_LANES];
    let mut chunks = a.chunks_exact(READ_LANES);
    for chunk in &mut chunks {
        for (s, x) in acc.iter_mut().zip(chunk) {
            *s += *x;
        }
    }
    let tail: f64 = chunks.remainder().iter().sum();
    acc.iter().sum::<f64>() + tail
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for k in Kernel::ALL {
            assert_eq!(Kernel::from_name(k.name()), Some(k));
        }
        assert_eq!(Kernel::from_name("Triad"), None);
    }

    #[test]
    fn kernels_compute_stream_formulas() {
        let mut a = vec![1.0, 2.0, 3.0];
        let mut b = vec![10.0, 20.0, 30.0];
        let mut c = vec![0.5, 0.25, 0.125];
        Kernel::Triad.apply(&mut a, &mut b, &mut c);
        assert_eq!(a, [11.5, 20.75, 30.375]);
        Kernel::Add.apply(&mut a, &mut b, &mut c);
        assert_eq!(c, [21.5, 40.75, 60.375]);
        Kernel::Scale.apply(&mut a, &mut b, &mut c);
        assert_eq!(b, [64.5, 122.25, 181.125]);
        Kernel::Copy.apply(&mut a, &mut b, &mut c);
        assert_eq!(c, a);
    }

    #[test]
    fn read_sums_every_element_including_the_tail() {
        let a: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(read(&a), 5050.0);
        assert_eq!(read(&a[..7]), 28.0);
        assert_eq!(read(&[]), 0.0);
    }
}
