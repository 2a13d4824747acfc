//! Last-level cache size from Linux sysfs, which sizes the bandwidth arrays
//! (STREAM's rule: each array at least 4x the last-level cache).

use std::path::Path;

/// Cache size assumed when the system does not say (64 MiB, more than the
/// last-level cache of the edge boards and most desktops): arrays are then
/// 4 x 64 MiB, and results carry a note saying the size was assumed.
pub const DEFAULT_LLC_BYTES: u64 = 64 << 20;

/// The last-level cache of this machine in bytes, from
/// `/sys/devices/system/cpu/cpu0/cache`; `None` where it cannot be read.
pub fn last_level_cache_bytes() -> Option<u64> {
    last_level_cache_bytes_at(Path::new("/"))
}

/// The last-level cache in bytes under a filesystem root (`/` or a fixture
/// tree): the Data or Unified cache of the highest `level` among
/// `sys/devices/system/cpu/cpu0/cache/index*/`. `None` when there is none.
pub fn last_level_cache_bytes_at(root: &Path) -> Option<u64> {
    let dir = root.join("sys/devices/system/cpu/cpu0/cache");
    let mut best: Option<(u32, u64)> = None;
    for entry in std::fs::read_dir(dir).ok()?.flatten() {
        let path = entry.path();
        let is_index = path
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with("index"));
        if !is_index {
            continue;
        }
        let read = |f: &str| std::fs::read_to_string(path.join(f)).ok();
        let Some(kind) = read("type") else { continue };
        if !matches!(kind.trim(), "Unified" | "Data") {
            continue;
        }
        let level = read("level").and_then(|l| l.trim().parse::<u32>().ok());
        let size = read("size").and_then(|s| parse_cache_size(&s));
        if let (Some(level), Some(size)) = (level, size) {
            // Highest level wins; at equal levels, the larger one.
            if best.is_none_or(|b| (level, size) > b) {
                best = Some((level, size));
            }
        }
    }
    best.map(|(_, size)| size)
}

/// Parses a sysfs cache size such as `32768K`, `1024K`, `32M` or `512`
/// (bytes). `None` for anything else or 0.
pub fn parse_cache_size(text: &str) -> Option<u64> {
    let text = text.trim();
    let (digits, unit) = match text.char_indices().find(|(_, ch)| !ch.is_ascii_digit()) {
        Some((i, _)) => text.split_at(i),
        None => (text, ""),
    };
    let value: u64 = digits.parse().ok()?;
    let multiplier: u64 = match unit.trim() {
        "" => 1,
        "K" | "KB" | "KiB" => 1 << 10,
        "M" | "MB" | "MiB" => 1 << 20,
        "G" | "GB" | "GiB" => 1 << 30,
        _ => return None,
    };
    value.checked_mul(multiplier).filter(|&b| b > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_sysfs_sizes() {
        assert_eq!(parse_cache_size("32768K\n"), Some(32 << 20));
        assert_eq!(parse_cache_size("1024K"), Some(1 << 20));
        assert_eq!(parse_cache_size("32M"), Some(32 << 20));
        assert_eq!(parse_cache_size("512"), Some(512));
        assert_eq!(parse_cache_size("0K"), None);
        assert_eq!(parse_cache_size("12X"), None);
        assert_eq!(parse_cache_size(""), None);
        assert_eq!(parse_cache_size("K"), None);
    }
}
