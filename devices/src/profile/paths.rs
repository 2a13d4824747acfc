//! Where a path written in a profile points: relative paths are joined to the
//! profile's folder and may not climb out of it with `..`; absolute paths the
//! user writes are taken as they are (RELIABILITY.md item 12).
use std::path::{Component, Path, PathBuf};

/// Resolves `written` against `base` (the profile's folder).
///
/// The check is lexical: `a/../b.gguf` stays inside and is allowed,
/// `../b.gguf` and `a/../../b.gguf` leave and are refused. Symbolic links are
/// not followed here (the file need not exist yet). `~` is not expanded.
/// The error says what is wrong and what to write instead.
pub(crate) fn resolve(base: &Path, written: &str) -> Result<PathBuf, String> {
    if written.trim().is_empty() {
        return Err(
            "is empty; give the model file's path, relative to the profile's folder or absolute"
                .into(),
        );
    }
    let path = Path::new(written);
    if path.is_absolute() {
        return Ok(path.to_path_buf());
    }
    if written == "~" || written.starts_with("~/") || written.starts_with("~\\") {
        return Err(format!(
            "`{written}`: `~` is not expanded in profiles; write the absolute path (e.g. /home/me/models/...) or a path relative to the profile's folder"
        ));
    }
    let mut kept: Vec<&std::ffi::OsStr> = Vec::new();
    for c in path.components() {
        match c {
            Component::Normal(part) => kept.push(part),
            Component::CurDir => {}
            Component::ParentDir => {
                if kept.pop().is_none() {
                    return Err(format!(
                        "`{written}` leaves the profile's folder {} through `..`; relative paths must stay inside the folder the profile is in (write an absolute path to use a file elsewhere)",
                        base.display()
                    ));
                }
            }
            Component::RootDir | Component::Prefix(_) => {
                return Err(format!(
                    "`{written}` is neither relative to the profile's folder nor a full absolute path; write one or the other"
                ));
            }
        }
    }
    if kept.is_empty() {
        return Err(format!(
            "`{written}` names the profile's folder itself, not a file; give the model file's path"
        ));
    }
    Ok(kept.iter().fold(base.to_path_buf(), |p, part| p.join(part)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_paths_join_the_base() {
        let base = Path::new("/p");
        assert_eq!(resolve(base, "m/x.gguf").unwrap(), Path::new("/p/m/x.gguf"));
        assert_eq!(
            resolve(base, "./m/../x.gguf").unwrap(),
            Path::new("/p/x.gguf")
        );
    }

    #[test]
    fn climbing_out_is_refused() {
        let base = Path::new("/p");
        for bad in ["../x.gguf", "m/../../x.gguf", "..", "./.."] {
            let e = resolve(base, bad).unwrap_err();
            assert!(e.contains("leaves the profile's folder"), "{bad}: {e}");
        }
    }

    #[test]
    fn absolute_paths_are_kept_and_odd_ones_refused() {
        let base = Path::new("/p");
        assert_eq!(
            resolve(base, "/models/x.gguf").unwrap(),
            Path::new("/models/x.gguf")
        );
        assert!(resolve(base, "").is_err());
        assert!(resolve(base, ".").is_err());
        assert!(
            resolve(base, "~/x.gguf")
                .unwrap_err()
                .contains("not expanded")
        );
    }
}
