//! Peak resident memory of this process (high-water mark), resettable per case.

/// Reads this process's peak resident set size in bytes.
///
/// Linux: `VmHWM` from /proc/self/status. Elsewhere `None` (not measured),
/// never a made-up figure.
pub fn peak_rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    parse_vm_hwm(&status)
}

/// Resets the peak-RSS high-water mark so the next reading covers only what
/// follows (Linux >= 4.0: writing "5" to /proc/self/clear_refs).
///
/// Returns false where the platform cannot reset it; the peak then covers the
/// whole process lifetime, and callers should say so.
pub fn reset_peak_rss() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

fn parse_vm_hwm(status: &str) -> Option<u64> {
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let mut parts = line["VmHWM:".len()..].split_whitespace();
    let value: u64 = parts.next()?.parse().ok()?;
    match parts.next() {
        Some("kB") => Some(value * 1024),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_vm_hwm_in_kib() {
        let s = "Name:\tx\nVmPeak:\t 100 kB\nVmHWM:\t    2048 kB\nVmRSS:\t 10 kB\n";
        assert_eq!(parse_vm_hwm(s), Some(2048 * 1024));
        assert_eq!(parse_vm_hwm("VmRSS: 1 kB\n"), None);
        assert_eq!(parse_vm_hwm("VmHWM: 12 MB\n"), None);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn peak_grows_when_memory_is_touched() {
        reset_peak_rss();
        let before = peak_rss_bytes().expect("linux has VmHWM");
        let big = vec![1u8; 64 << 20];
        std::hint::black_box(&big);
        let after = peak_rss_bytes().expect("linux has VmHWM");
        assert!(
            after >= before + (32 << 20),
            "before {before} after {after}"
        );
    }
}
