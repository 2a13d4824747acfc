//! Writing results: atomic file replacement, so a crash at any point leaves
//! either the old or the new file, never a torn one; where the files are.
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

/// Replaces `path` with `contents`: temp file in the same folder, fsync,
/// rename, fsync of the folder.
pub fn write_atomically(path: &Path, contents: &[u8]) -> Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut tmp = tempfile::Builder::new()
        .prefix(".edgebench-")
        .suffix(".tmp")
        .tempfile_in(dir)
        .with_context(|| {
            format!(
                "--out {}: cannot create a file in {} (does the folder exist and is it writable?)",
                path.display(),
                dir.display()
            )
        })?;
    tmp.write_all(contents)
        .and_then(|_| tmp.as_file().sync_all())
        .map_err(|e| {
            let full = e.kind() == std::io::ErrorKind::StorageFull
                || e.kind() == std::io::ErrorKind::QuotaExceeded;
            let why = if full {
                format!(
                    "{}: cannot write it, the disk holding {} is full ({e}); the file is left \
                     as it was and results written before are intact; free some space and \
                     run again",
                    path.display(),
                    dir.display()
                )
            } else {
                format!("{}: write failed ({e})", path.display())
            };
            anyhow::anyhow!(why)
        })?;
    tmp.persist(path)
        .with_context(|| format!("--out {}: cannot replace the file", path.display()))?;
    sync_dir(dir);
    Ok(())
}

/// Flushes a folder's entries (the rename) to disk where the OS allows it.
pub fn sync_dir(dir: &Path) {
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
}

/// Prints where the report is, HTML first as the page to open.
pub fn announce(written: &[PathBuf]) {
    for p in written
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e != "png"))
    {
        let shown = std::path::absolute(p).unwrap_or_else(|_| p.clone());
        if p.extension().is_some_and(|e| e == "html") {
            eprintln!("edgebench: report: open file://{}", shown.display());
        } else {
            eprintln!("edgebench: report: {}", shown.display());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_whole_file_and_leaves_no_temp() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("r.json");
        write_atomically(&p, b"old old old").unwrap();
        write_atomically(&p, b"new").unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"new");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn missing_folder_is_named() {
        let e = write_atomically(Path::new("/nonexistent-dir/x.json"), b"x").unwrap_err();
        assert!(format!("{e:#}").contains("/nonexistent-dir"));
    }
}
