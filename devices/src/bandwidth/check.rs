//! Result checks: the values each kernel must leave in the arrays, as
//! STREAM's `checkSTREAMresults` does, so a wrong or skipped kernel is an
//! error instead of a fast figure.
//!
//! Every run starts from `a = 1.0, b = 2.0, c = 0.5` and runs one kernel
//! some number of times. Each kernel alone is idempotent from that start, so
//! the expected values do not depend on the number of iterations, and all of
//! them (and the read sum, a count of ones) are exact in f64.

use super::error::BandwidthError;
use super::kernel::{Kernel, SCALAR};

/// Initial value of every element of `a`.
pub const INIT_A: f64 = 1.0;
/// Initial value of every element of `b`.
pub const INIT_B: f64 = 2.0;
/// Initial value of every element of `c`.
pub const INIT_C: f64 = 0.5;

/// The values (a, b, c) every element must hold after `kernel` has run any
/// number (>= 1) of times from the initial values.
pub fn expected_values(kernel: Kernel) -> (f64, f64, f64) {
    match kernel {
        Kernel::Copy => (INIT_A, INIT_B, INIT_A),
        Kernel::Scale => (INIT_A, SCALAR * INIT_C, INIT_C),
        Kernel::Add => (INIT_A, INIT_B, INIT_A + INIT_B),
        Kernel::Triad => (INIT_B + SCALAR * INIT_C, INIT_B, INIT_C),
        Kernel::Read => (INIT_A, INIT_B, INIT_C),
    }
}

/// The sum the read kernel must return over `elements` elements of `a`.
pub fn expected_sum(elements: u64) -> f64 {
    INIT_A * elements as f64
}

/// Checks the arrays (whole, or one thread's chunk of each) after `kernel`
/// ran; the first element that differs is named in the error.
pub fn check_arrays(kernel: Kernel, a: &[f64], b: &[f64], c: &[f64]) -> Result<(), BandwidthError> {
    let (ea, eb, ec) = expected_values(kernel);
    for (name, values, expected) in [("a", a, ea), ("b", b, eb), ("c", c, ec)] {
        if let Some(i) = values.iter().position(|&v| v != expected) {
            return Err(BandwidthError::WrongResult {
                kernel: kernel.name(),
                detail: format!("{name}[{i}] is {} but should be {expected}", values[i]),
            });
        }
    }
    Ok(())
}

/// Checks the read kernel's total over `elements` elements.
pub fn check_sum(sum: f64, elements: u64) -> Result<(), BandwidthError> {
    let expected = expected_sum(elements);
    if sum == expected {
        Ok(())
    } else {
        Err(BandwidthError::WrongResult {
            kernel: Kernel::Read.name(),
            detail: format!("sum is {sum} but should be {expected}"),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fresh(n: usize) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
        (vec![INIT_A; n], vec![INIT_B; n], vec![INIT_C; n])
    }

    #[test]
    fn every_kernel_passes_after_several_runs() {
        for k in Kernel::ALL {
            let (mut a, mut b, mut c) = fresh(101);
            let mut sum = 0.0;
            for _ in 0..3 {
                sum = k.apply(&mut a, &mut b, &mut c);
            }
            check_arrays(k, &a, &b, &c).unwrap();
            if k == Kernel::Read {
                check_sum(sum, 101).unwrap();
            }
        }
    }

    #[test]
    fn a_kernel_that_did_nothing_is_caught() {
        for k in [Kernel::Copy, Kernel::Scale, Kernel::Add, Kernel::Triad] {
            let (a, b, c) = fresh(10);
            let err = check_arrays(k, &a, &b, &c).unwrap_err();
            assert!(err.to_string().contains(k.name()), "{err}");
        }
    }
}
