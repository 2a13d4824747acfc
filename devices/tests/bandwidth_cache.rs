//! Last-level cache detection on fixture sysfs trees.

use std::path::PathBuf;

use edgebench_devices::bandwidth::{auto_array_bytes, last_level_cache_bytes_at};

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

#[test]
fn x86_l3_is_the_last_level() {
    let llc = last_level_cache_bytes_at(&fixture("cache-x86"));
    assert_eq!(llc, Some(32 << 20));
    assert_eq!(auto_array_bytes(32 << 20), 128 << 20);
}

#[test]
fn arm_without_l3_uses_l2() {
    assert_eq!(
        last_level_cache_bytes_at(&fixture("cache-arm")),
        Some(2 << 20)
    );
}

#[test]
fn instruction_only_or_missing_is_none() {
    assert_eq!(last_level_cache_bytes_at(&fixture("cache-empty")), None);
    assert_eq!(last_level_cache_bytes_at(&fixture("no-such-tree")), None);
}
