//! The ranges every setting that sizes memory or time must stay within,
//! shared by the command-line flags and the profile keys, so `-p` and
//! `[matrix] n_prompt` refuse the same values with the same limits (and
//! `--help` states them; a test ties the help text to these constants).
//!
//! They bound slips of the finger (`-p 10000000`), not what a device can
//! do: whether a case fits the machine's memory is the pre-flight's job.

/// Tokens in a prompt, a generation, a depth, a batch or a micro-batch:
/// at most 2^24 (16777216), beyond every released model's context (the
/// longest, 10M tokens, is Llama 4 Scout's). Whether a context fits this
/// machine, and the model's training context, is the pre-flight's check.
pub const MAX_TOKENS: u32 = 1 << 24;

/// Measured repetitions per case.
pub const MAX_REPS: u32 = 10_000;

/// Warm-up repetitions per case.
pub const MAX_WARMUP: u32 = 1_000;

/// CPU threads.
pub const MAX_THREADS: u32 = 1_024;

/// Any duration (a sustained run, a time-out, a cool-down, a gap): 7 days.
pub const MAX_DURATION_S: f64 = 7.0 * 24.0 * 3600.0;

/// Checks `value` against `min..=max` for the setting `name` (a flag or a
/// profile key); the error names the setting and the allowed range.
pub fn check_u32(name: &str, value: u32, min: u32, max: u32) -> Result<(), String> {
    if (min..=max).contains(&value) {
        Ok(())
    } else {
        Err(format!(
            "{name} {value} is out of range ({min} to {max}){}",
            if value > max { hint(name) } else { "" }
        ))
    }
}

/// Checks a duration in seconds: finite, above 0, at most
/// [`MAX_DURATION_S`].
pub fn check_duration_s(name: &str, seconds: f64) -> Result<(), String> {
    if seconds.is_finite() && seconds > 0.0 && seconds <= MAX_DURATION_S {
        Ok(())
    } else {
        Err(format!(
            "{name} {seconds} s is out of range (longer than 0, at most 7 days = {MAX_DURATION_S} s)"
        ))
    }
}

fn hint(name: &str) -> &'static str {
    if name.contains("prompt") || name.contains("gen") || name.contains("depth") {
        "; a context that long needs more memory than any edge device has"
    } else {
        ""
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_name_the_setting_and_the_limits() {
        assert!(check_u32("-p/--n-prompt", 512, 1, MAX_TOKENS).is_ok());
        assert!(check_u32("-p/--n-prompt", MAX_TOKENS, 1, MAX_TOKENS).is_ok());
        let e = check_u32("-p/--n-prompt", 20_000_000, 1, MAX_TOKENS).unwrap_err();
        assert!(
            e.contains("-p/--n-prompt 20000000") && e.contains("1 to 16777216"),
            "{e}"
        );
        let e = check_u32("matrix.reps", 0, 1, MAX_REPS).unwrap_err();
        assert!(
            e.contains("matrix.reps 0") && e.contains("1 to 10000"),
            "{e}"
        );
        assert!(check_duration_s("--duration", 600.0).is_ok());
        for bad in [0.0, -1.0, f64::NAN, f64::INFINITY, 8.0 * 24.0 * 3600.0] {
            let e = check_duration_s("--duration", bad).unwrap_err();
            assert!(e.contains("--duration") && e.contains("7 days"), "{e}");
        }
    }
}
