//! Peak resident memory of this process (high-water mark), resettable per
//! case, and the memory still available to it (for the pre-flight check that
//! refuses a case that cannot fit before it loads anything).
use std::path::Path;

use serde::{Deserialize, Serialize};

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
    parse_kib_field(status, "VmHWM:")
}

/// Memory this process can still take: the smaller of the kernel's
/// `MemAvailable` and the headroom left under every cgroup memory limit
/// that applies to it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AvailableMemory {
    /// Bytes.
    pub bytes: u64,
    /// Where the figure comes from, e.g. "MemAvailable" or
    /// "cgroup /sys/fs/cgroup/memory/lab/memory.limit_in_bytes (limit 4.0 GiB)".
    pub source: String,
}

/// cgroup v1 writes "no limit" as a huge page-aligned number
/// (PAGE_COUNTER_MAX); anything from 2^62 up is read as no limit.
const NO_LIMIT: u64 = 1 << 62;

/// Reads the memory available to this process under `root` (`/` on a
/// device; a fixture tree in tests): `proc/meminfo`'s `MemAvailable`, then
/// each cgroup (v2 `memory.max`, v1 `memory.limit_in_bytes`) from this
/// process's cgroup up to the hierarchy's root, whose headroom is the limit
/// minus the usage that cannot be reclaimed (usage less `inactive_file`,
/// as the kernel's and Kubernetes' working set count it). None when
/// `MemAvailable` cannot be read (not Linux): the caller then skips the
/// check and says so.
pub fn available_at(root: &Path) -> Option<AvailableMemory> {
    let meminfo = std::fs::read_to_string(root.join("proc/meminfo")).ok()?;
    let mut best = AvailableMemory {
        bytes: parse_kib_field(&meminfo, "MemAvailable:")?,
        source: "MemAvailable in /proc/meminfo".into(),
    };
    let cgroups = std::fs::read_to_string(root.join("proc/self/cgroup")).unwrap_or_default();
    for (dir, limit_file, usage_file) in cgroup_dirs(root, &cgroups) {
        let read = |f: &str| -> Option<u64> {
            std::fs::read_to_string(dir.join(f))
                .ok()?
                .trim()
                .parse()
                .ok()
        };
        let Some(limit) = read(limit_file).filter(|&l| l < NO_LIMIT) else {
            continue;
        };
        let usage = read(usage_file).unwrap_or(0);
        let stat = std::fs::read_to_string(dir.join("memory.stat")).unwrap_or_default();
        let reclaimable = stat
            .lines()
            .find_map(|l| l.strip_prefix("inactive_file "))
            .and_then(|v| v.trim().parse::<u64>().ok())
            .unwrap_or(0);
        let headroom = limit.saturating_sub(usage.saturating_sub(reclaimable));
        if headroom < best.bytes {
            let shown = dir.strip_prefix(root).unwrap_or(&dir);
            best = AvailableMemory {
                bytes: headroom,
                source: format!(
                    "cgroup limit /{}/{limit_file} ({:.1} GiB, {:.1} GiB in use)",
                    shown.display(),
                    limit as f64 / GIB,
                    usage.saturating_sub(reclaimable) as f64 / GIB
                ),
            };
        }
    }
    Some(best)
}

const GIB: f64 = (1u64 << 30) as f64;

/// The cgroup folders whose memory limits apply to this process, leaf
/// first: (folder, limit file, usage file). cgroup v2 ("0::/path") lives
/// under `sys/fs/cgroup/path`, v1 ("N:memory:/path" or a list holding
/// `memory`) under `sys/fs/cgroup/memory/path`; every ancestor up to the
/// mount point is included, since a parent's limit binds as well.
fn cgroup_dirs(
    root: &Path,
    cgroups: &str,
) -> Vec<(std::path::PathBuf, &'static str, &'static str)> {
    let mut out = vec![];
    for line in cgroups.lines() {
        let mut parts = line.splitn(3, ':');
        let (Some(_), Some(controllers), Some(path)) = (parts.next(), parts.next(), parts.next())
        else {
            continue;
        };
        let (base, limit, usage) = if controllers.is_empty() {
            (root.join("sys/fs/cgroup"), "memory.max", "memory.current")
        } else if controllers.split(',').any(|c| c == "memory") {
            (
                root.join("sys/fs/cgroup/memory"),
                "memory.limit_in_bytes",
                "memory.usage_in_bytes",
            )
        } else {
            continue;
        };
        // Each component of the path, never `..`: a crafted file cannot
        // point the reader outside the cgroup mount.
        let comps: Vec<&str> = path
            .split('/')
            .filter(|c| !c.is_empty() && *c != "." && *c != "..")
            .collect();
        for n in (0..=comps.len()).rev() {
            let mut dir = base.clone();
            for c in &comps[..n] {
                dir.push(c);
            }
            out.push((dir, limit, usage));
        }
    }
    out
}

/// A `Key:   N kB` field of /proc/meminfo, in bytes.
fn parse_kib_field(text: &str, key: &str) -> Option<u64> {
    let line = text.lines().find(|l| l.starts_with(key))?;
    let mut parts = line[key.len()..].split_whitespace();
    let value: u64 = parts.next()?.parse().ok()?;
    match parts.next() {
        Some("kB") => value.checked_mul(1024),
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

    fn tree(files: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for (path, text) in files {
            let p = dir.path().join(path);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, text).unwrap();
        }
        dir
    }

    const MEMINFO: &str = "MemTotal: 8000000 kB\nMemFree: 100 kB\nMemAvailable: 6000000 kB\n";

    #[test]
    fn mem_available_without_cgroup_limits() {
        let t = tree(&[("proc/meminfo", MEMINFO), ("proc/self/cgroup", "0::/\n")]);
        let a = available_at(t.path()).unwrap();
        assert_eq!(a.bytes, 6_000_000 * 1024);
        assert!(a.source.contains("MemAvailable"), "{a:?}");
    }

    #[test]
    fn a_cgroup_v2_limit_up_the_tree_binds() {
        // The leaf has no limit ("max"); its parent allows 2 GiB, of which
        // 1.5 GiB is used, 0.5 GiB of it reclaimable page cache.
        let t = tree(&[
            ("proc/meminfo", MEMINFO),
            ("proc/self/cgroup", "0::/lab/job\n"),
            ("sys/fs/cgroup/lab/job/memory.max", "max\n"),
            ("sys/fs/cgroup/lab/job/memory.current", "100\n"),
            ("sys/fs/cgroup/lab/memory.max", "2147483648\n"),
            ("sys/fs/cgroup/lab/memory.current", "1610612736\n"),
            (
                "sys/fs/cgroup/lab/memory.stat",
                "anon 1\ninactive_file 536870912\n",
            ),
        ]);
        let a = available_at(t.path()).unwrap();
        assert_eq!(a.bytes, 2147483648 - (1610612736 - 536870912));
        assert!(a.source.contains("sys/fs/cgroup/lab/memory.max"), "{a:?}");
    }

    #[test]
    fn cgroup_v1_limits_and_the_no_limit_value() {
        let t = tree(&[
            ("proc/meminfo", MEMINFO),
            ("proc/self/cgroup", "5:cpu:/x\n4:memory:/lab\n0::/\n"),
            (
                "sys/fs/cgroup/memory/memory.limit_in_bytes",
                "9223372036854771712\n",
            ),
            (
                "sys/fs/cgroup/memory/lab/memory.limit_in_bytes",
                "1073741824\n",
            ),
            (
                "sys/fs/cgroup/memory/lab/memory.usage_in_bytes",
                "73741824\n",
            ),
        ]);
        let a = available_at(t.path()).unwrap();
        assert_eq!(a.bytes, 1_000_000_000);
        // "No limit" alone leaves MemAvailable in charge.
        let t = tree(&[
            ("proc/meminfo", MEMINFO),
            ("proc/self/cgroup", "4:memory:/\n"),
            (
                "sys/fs/cgroup/memory/memory.limit_in_bytes",
                "9223372036854771712\n",
            ),
        ]);
        assert_eq!(available_at(t.path()).unwrap().bytes, 6_000_000 * 1024);
    }

    #[test]
    fn a_crafted_cgroup_path_stays_under_the_mount() {
        let t = tree(&[
            ("proc/meminfo", MEMINFO),
            ("proc/self/cgroup", "0::/../../etc\n"),
            ("sys/fs/cgroup/etc/memory.max", "1000\n"),
        ]);
        // "/../../etc" reads sys/fs/cgroup/etc (inside the mount), never ../../etc.
        assert_eq!(available_at(t.path()).unwrap().bytes, 1000);
    }

    #[test]
    fn no_meminfo_means_unknown() {
        let t = tree(&[("proc/self/cgroup", "0::/\n")]);
        assert!(available_at(t.path()).is_none());
        let t = tree(&[("proc/meminfo", "MemTotal: 1 kB\n")]);
        assert!(available_at(t.path()).is_none());
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn this_machine_has_some_memory_available() {
        let a = available_at(Path::new("/")).expect("linux has MemAvailable");
        assert!(a.bytes > 0, "{a:?}");
    }
}
