//! What the targets share: a private scratch folder per fuzzing process
//! (in /dev/shm where there is one, so writing each input costs no disk I/O).
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// A folder of this process's own, created on first use.
pub fn scratch() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let shm = Path::new("/dev/shm");
        let base = if shm.is_dir() {
            shm.to_path_buf()
        } else {
            std::env::temp_dir()
        };
        let dir = base.join(format!("edgebench-fuzz-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("create the fuzz scratch folder");
        dir
    })
}

/// `data` written to `name` in the scratch folder; its path.
pub fn file(name: &str, data: &[u8]) -> PathBuf {
    let path = scratch().join(name);
    std::fs::write(&path, data).expect("write the fuzz input");
    path
}

/// An error's message: rendering it must not panic, and it must say something.
pub fn message(e: &dyn std::fmt::Display) -> String {
    let msg = e.to_string();
    assert!(!msg.trim().is_empty(), "an error with an empty message");
    msg
}
