//! Which CPUs the worker threads run on, and pinning a thread to one.
//!
//! Workers go to distinct physical cores first (one logical CPU per core,
//! then the SMT siblings), like `OMP_PLACES=cores OMP_PROC_BIND=true`.

use std::path::Path;

/// The logical CPUs this process may run on (its affinity mask on Linux,
/// `0..available_parallelism` elsewhere), in ascending order.
pub fn allowed_cpus() -> Vec<usize> {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: cpu_set_t is plain data, all zeroes is the empty set, and
        // sched_getaffinity writes at most size_of::<cpu_set_t>() bytes.
        let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
        let rc =
            unsafe { libc::sched_getaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &mut set) };
        if rc == 0 {
            let cpus: Vec<usize> = (0..libc::CPU_SETSIZE as usize)
                // SAFETY: cpu < CPU_SETSIZE, within the set.
                .filter(|&cpu| unsafe { libc::CPU_ISSET(cpu, &set) })
                .collect();
            if !cpus.is_empty() {
                return cpus;
            }
        }
    }
    let n = std::thread::available_parallelism().map_or(1, |n| n.get());
    (0..n).collect()
}

/// Orders `cpus` so that distinct physical cores come first, reading
/// `sys/devices/system/cpu/cpuN/topology/{physical_package_id,core_id}`
/// under `root`. A CPU whose topology cannot be read counts as its own core.
pub fn order_by_core(cpus: &[usize], root: &Path) -> Vec<usize> {
    let core_of = |cpu: usize| {
        let dir = root.join(format!("sys/devices/system/cpu/cpu{cpu}/topology"));
        let read = |f: &str| {
            std::fs::read_to_string(dir.join(f))
                .ok()
                .and_then(|s| s.trim().parse::<i64>().ok())
        };
        match (read("physical_package_id"), read("core_id")) {
            (Some(pkg), Some(core)) => (pkg, core, None),
            _ => (-1, -1, Some(cpu)),
        }
    };
    let mut seen = std::collections::HashSet::new();
    let (mut first, mut siblings) = (vec![], vec![]);
    for &cpu in cpus {
        if seen.insert(core_of(cpu)) {
            first.push(cpu);
        } else {
            siblings.push(cpu);
        }
    }
    first.extend(siblings);
    first
}

/// Pins the calling thread to logical CPU `cpu`; false where that failed or
/// the platform has no pinning (the thread then runs unpinned).
pub fn pin_current_thread(cpu: usize) -> bool {
    #[cfg(target_os = "linux")]
    {
        if cpu >= libc::CPU_SETSIZE as usize {
            return false;
        }
        // SAFETY: as in allowed_cpus; cpu < CPU_SETSIZE; pid 0 is this thread.
        unsafe {
            let mut set: libc::cpu_set_t = std::mem::zeroed();
            libc::CPU_SET(cpu, &mut set);
            libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set) == 0
        }
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = cpu;
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allowed_cpus_is_not_empty() {
        assert!(!allowed_cpus().is_empty());
    }

    #[test]
    fn unknown_topology_keeps_the_order() {
        let root = Path::new("/nonexistent-edgebench-root");
        assert_eq!(order_by_core(&[3, 1, 2], root), vec![3, 1, 2]);
    }
}
