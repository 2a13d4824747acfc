//! A sweep's output folder: one record file per finished case, written
//! atomically, an fsynced JSONL index, and `sweep.json` at the end.
//!
//! ```text
//! OUT/cases/<key>.json   one record per case (temp + fsync + rename)
//! OUT/index.jsonl        {"key", "status", "file"} per finished case, fsynced per line
//! OUT/sweep.json         profile, host, every record, SLO verdicts
//! ```
//!
//! `--resume` trusts the case files: a case whose file holds a record with a
//! status other than `interrupted` is done and not run again.
use std::collections::BTreeMap;
use std::fs::OpenOptions;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use edgebench_reports::{Record, Status, load};

use crate::output::{sync_dir, write_atomically};

/// The output folder of one sweep.
pub struct Store {
    dir: PathBuf,
}

/// Turns a case key into a safe file name (letters, digits, `._+@-`).
pub fn file_stem(key: &str) -> String {
    key.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "._+@-".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect()
}

impl Store {
    /// Opens `dir` for a new sweep (it must be absent or empty) or, with
    /// `resume`, for continuing one.
    pub fn open(dir: &Path, resume: bool) -> Result<Store> {
        let has_results = dir.join("index.jsonl").exists() || dir.join("cases").is_dir();
        if has_results && !resume {
            bail!(
                "--out {}: holds results of an earlier sweep; add --resume to continue it, \
                 or choose another --out (results are never overwritten)",
                dir.display()
            );
        }
        if resume && !dir.is_dir() {
            bail!(
                "--resume: {} does not exist; give the --out folder of the sweep to continue",
                dir.display()
            );
        }
        std::fs::create_dir_all(dir.join("cases"))
            .with_context(|| format!("--out {}: cannot create the folder", dir.display()))?;
        if resume {
            repair_index(&dir.join("index.jsonl"))?;
        }
        Ok(Store {
            dir: dir.to_path_buf(),
        })
    }

    /// The folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn case_path(&self, key: &str) -> PathBuf {
        self.dir
            .join("cases")
            .join(format!("{}.json", file_stem(key)))
    }

    /// Records already finished (for `--resume`), by key. Unreadable case
    /// files are reported, not trusted: that case runs again.
    pub fn finished(&self, keys: &[String]) -> BTreeMap<String, Record> {
        let mut done = BTreeMap::new();
        for key in keys {
            let path = self.case_path(key);
            if !path.exists() {
                continue;
            }
            match load::read_records(&path) {
                Ok(mut rs) if rs.len() == 1 => {
                    let r = rs.remove(0);
                    if r.status != Status::Interrupted {
                        done.insert(key.clone(), r);
                    }
                }
                Ok(_) => eprintln!(
                    "edgebench: {} does not hold exactly one record; running that case again",
                    path.display()
                ),
                Err(e) => eprintln!("edgebench: {e}; running that case again"),
            }
        }
        done
    }

    /// Writes a finished case: its record file atomically, then its index line.
    pub fn write_case(&self, key: &str, record: &Record) -> Result<()> {
        let path = self.case_path(key);
        let mut text = serde_json::to_string_pretty(record)?;
        text.push('\n');
        write_atomically(&path, text.as_bytes())?;
        let line = serde_json::json!({
            "key": key,
            "status": record.status.as_str(),
            "file": format!("cases/{}.json", file_stem(key)),
        });
        let index = self.dir.join("index.jsonl");
        let mut f = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&index)
            .with_context(|| format!("cannot append to {}", index.display()))?;
        writeln!(f, "{line}")?;
        f.sync_all()?;
        sync_dir(&self.dir);
        Ok(())
    }

    /// Writes `sweep.json` atomically. Through a `Value`, so its keys stay
    /// sorted as sweep.json has always had them.
    pub fn write_summary(&self, summary: &impl serde::Serialize) -> Result<PathBuf> {
        let path = self.dir.join("sweep.json");
        let mut text = serde_json::to_string_pretty(&serde_json::to_value(summary)?)?;
        text.push('\n');
        write_atomically(&path, text.as_bytes())?;
        Ok(path)
    }
}

/// Cuts a torn last line off index.jsonl (the sweep was killed while
/// appending it), so the lines `--resume` appends start on a line of their
/// own. The torn line's case file was written before it (atomically), so
/// nothing is lost: the case is still found through its file.
fn repair_index(index: &Path) -> Result<()> {
    let Ok(bytes) = std::fs::read(index) else {
        return Ok(());
    };
    if bytes.is_empty() || bytes.ends_with(b"\n") {
        return Ok(());
    }
    let keep = bytes.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    eprintln!(
        "edgebench: {}: its last line was cut off mid-write ({} bytes); dropping it (the \
         case's own file is what --resume reads)",
        index.display(),
        bytes.len() - keep
    );
    let f = OpenOptions::new()
        .write(true)
        .open(index)
        .with_context(|| format!("--resume: cannot repair {}", index.display()))?;
    f.set_len(keep as u64)
        .and_then(|_| f.sync_all())
        .with_context(|| format!("--resume: cannot repair {}", index.display()))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stems_are_safe() {
        assert_eq!(
            file_stem("tiny/llama.cpp/t2/req64+16 @ d512"),
            "tiny_llama.cpp_t2_req64+16_@_d512"
        );
        assert_eq!(file_stem("a b:c"), "a_b_c");
    }

    #[test]
    fn resume_cuts_a_torn_index_line() {
        let dir = tempfile::tempdir().unwrap();
        let index = dir.path().join("index.jsonl");
        std::fs::write(&index, "{\"key\":\"a\"}\n{\"key\":\"b\",\"sta").unwrap();
        Store::open(dir.path(), true).unwrap();
        assert_eq!(
            std::fs::read_to_string(&index).unwrap(),
            "{\"key\":\"a\"}\n"
        );
        // A whole file is left alone.
        Store::open(dir.path(), true).unwrap();
        assert_eq!(
            std::fs::read_to_string(&index).unwrap(),
            "{\"key\":\"a\"}\n"
        );
    }

    #[test]
    fn refuses_to_overwrite_without_resume() {
        let dir = tempfile::tempdir().unwrap();
        Store::open(dir.path(), false).unwrap();
        std::fs::write(dir.path().join("index.jsonl"), "").unwrap();
        let e = Store::open(dir.path(), false).err().unwrap().to_string();
        assert!(e.contains("--resume"), "{e}");
        assert!(Store::open(dir.path(), true).is_ok());
    }
}
