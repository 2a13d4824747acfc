//! Tolerant readers for sysfs/procfs files under a probe root.
//!
//! Every helper answers `None` (or an empty list) for a file that is absent,
//! unreadable, empty or garbage: the probe reports what it cannot read as
//! missing, it never fails and never panics.

use std::io::Read;
use std::path::{Path, PathBuf};

/// Largest file read, in bytes. sysfs attributes are a page at most; the
/// cap keeps a stray device node or a huge file in a fixture from stalling
/// the probe. /proc/cpuinfo of a 192-thread server is ~300 KiB.
const MAX_READ_BYTES: u64 = 1 << 20;

/// `root` joined with an absolute system path such as "/sys/class/hwmon".
pub(crate) fn at(root: &Path, system_path: &str) -> PathBuf {
    root.join(system_path.trim_start_matches('/'))
}

/// The file's bytes, or `None` if it cannot be opened or read.
pub(crate) fn read_bytes(path: &Path) -> Option<Vec<u8>> {
    let meta = std::fs::metadata(path).ok()?;
    // Only regular files: a FIFO or device node could block or never end.
    if !meta.is_file() {
        return None;
    }
    let file = std::fs::File::open(path).ok()?;
    let mut bytes = Vec::new();
    file.take(MAX_READ_BYTES).read_to_end(&mut bytes).ok()?;
    Some(bytes)
}

/// The file as text, lossily decoded, with surrounding whitespace and NUL
/// bytes (device-tree strings are NUL-terminated) trimmed; `None` when empty.
pub(crate) fn read_trimmed(path: &Path) -> Option<String> {
    let bytes = read_bytes(path)?;
    let text = String::from_utf8_lossy(&bytes);
    let trimmed = text.trim_matches(|c: char| c == '\0' || c.is_whitespace());
    (!trimmed.is_empty()).then(|| trimmed.to_string())
}

/// The file's whole text (not trimmed), lossily decoded.
pub(crate) fn read_text(path: &Path) -> Option<String> {
    read_bytes(path).map(|b| String::from_utf8_lossy(&b).into_owned())
}

/// The file parsed as one integer (sysfs style), `None` if absent or garbage.
pub(crate) fn read_i64(path: &Path) -> Option<i64> {
    read_trimmed(path)?.parse().ok()
}

/// The file parsed as one non-negative integer.
pub(crate) fn read_u64(path: &Path) -> Option<u64> {
    read_trimmed(path)?.parse().ok()
}

/// Entries of a directory as (name, path), in natural order ("zone2" before
/// "zone10"); empty when the directory is absent or unreadable.
pub(crate) fn list_dir(dir: &Path) -> Vec<(String, PathBuf)> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut out: Vec<(String, PathBuf)> = entries
        .filter_map(Result::ok)
        .filter_map(|e| e.file_name().to_str().map(|n| (n.to_string(), e.path())))
        .collect();
    out.sort_by(|a, b| natural_key(&a.0).cmp(&natural_key(&b.0)));
    out
}

/// Entries of `dir` named `prefix` followed by digits only (e.g. "policy3",
/// "thermal_zone12"), in numeric order.
pub(crate) fn numbered_entries(dir: &Path, prefix: &str) -> Vec<(String, PathBuf)> {
    list_dir(dir)
        .into_iter()
        .filter(|(name, _)| {
            name.strip_prefix(prefix)
                .is_some_and(|rest| !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_digit()))
        })
        .collect()
}

/// Sort key splitting a trailing number off a name: ("policy", 10).
pub(crate) fn natural_key(name: &str) -> (&str, u64, &str) {
    let split = name
        .char_indices()
        .find(|(_, c)| c.is_ascii_digit())
        .map_or(name.len(), |(i, _)| i);
    let (head, tail) = name.split_at(split);
    let digits_end = tail
        .char_indices()
        .find(|(_, c)| !c.is_ascii_digit())
        .map_or(tail.len(), |(i, _)| i);
    let number = tail[..digits_end].parse().unwrap_or(u64::MAX);
    (head, number, &tail[digits_end..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn at_joins_absolute_paths_under_the_root() {
        assert_eq!(at(Path::new("/"), "/sys/a"), PathBuf::from("/sys/a"));
        assert_eq!(
            at(Path::new("/tmp/r"), "/sys/a"),
            PathBuf::from("/tmp/r/sys/a")
        );
    }

    #[test]
    fn natural_order_puts_10_after_2() {
        let mut v = vec!["zone10", "zone2", "zone1", "a"];
        v.sort_by(|a, b| natural_key(a).cmp(&natural_key(b)));
        assert_eq!(v, ["a", "zone1", "zone2", "zone10"]);
    }

    #[test]
    fn tolerant_reads() {
        let dir = tempfile::tempdir().unwrap();
        let p = |n: &str| dir.path().join(n);
        std::fs::write(p("model"), b"Raspberry Pi 5\0").unwrap();
        std::fs::write(p("empty"), b"").unwrap();
        std::fs::write(p("garbage"), b"\xff\xfe12x").unwrap();
        std::fs::write(p("num"), b"42000\n").unwrap();
        assert_eq!(read_trimmed(&p("model")).as_deref(), Some("Raspberry Pi 5"));
        assert_eq!(read_trimmed(&p("empty")), None);
        assert_eq!(read_i64(&p("garbage")), None);
        assert_eq!(read_u64(&p("num")), Some(42000));
        assert_eq!(read_u64(&p("absent")), None);
        // A directory is not a file.
        assert_eq!(read_trimmed(dir.path()), None);
        assert!(list_dir(&p("absent")).is_empty());
    }
}
