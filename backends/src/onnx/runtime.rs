//! Finding and loading the ONNX Runtime shared library (ort's `load-dynamic`).
//!
//! Order: `ORT_DYLIB_PATH`; else the newest
//! `${XDG_DATA_HOME:-~/.local/share}/edgebench/onnxruntime/<version>/` that
//! holds a library (what scripts/setup.sh installs); else the `onnxruntime`
//! Python wheel's `capi/` folder under `$VIRTUAL_ENV`,
//! `~/.local/lib/python3*/site-packages`, `/usr/local/lib/python3*/dist-packages`
//! or `/usr/lib/python3/dist-packages`. The library is loaded once per process.
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use crate::error::BackendError;

/// The oldest ONNX Runtime this build talks to: ort is built with `api-24`.
pub const MIN_MINOR: u32 = 24;

/// The ort crate's version (pinned with `=` in the workspace Cargo.toml).
pub const ORT_CRATE_VERSION: &str = "2.0.0-rc.15";

/// The loaded ONNX Runtime library.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuntimeInfo {
    /// The library file that was loaded.
    pub library: PathBuf,
    /// ONNX Runtime's own version string (`OrtGetApiBase()->GetVersionString()`).
    pub version: String,
}

/// The environment variables discovery reads, passed in so tests do not
/// have to change the process environment.
#[derive(Debug, Clone, Default)]
pub struct LibraryEnv {
    /// `ORT_DYLIB_PATH`
    pub ort_dylib_path: Option<OsString>,
    /// `XDG_DATA_HOME`
    pub xdg_data_home: Option<OsString>,
    /// `HOME`
    pub home: Option<OsString>,
    /// `VIRTUAL_ENV`
    pub virtual_env: Option<OsString>,
    /// Roots for the system Python folders ("/" outside tests).
    pub root: PathBuf,
}

impl LibraryEnv {
    /// The process's environment.
    pub fn from_process() -> LibraryEnv {
        LibraryEnv {
            ort_dylib_path: std::env::var_os("ORT_DYLIB_PATH").filter(|v| !v.is_empty()),
            xdg_data_home: std::env::var_os("XDG_DATA_HOME").filter(|v| !v.is_empty()),
            home: std::env::var_os("HOME").filter(|v| !v.is_empty()),
            virtual_env: std::env::var_os("VIRTUAL_ENV").filter(|v| !v.is_empty()),
            root: PathBuf::from("/"),
        }
    }
}

fn is_library_name(name: &str) -> bool {
    let stem_ok = name.starts_with("libonnxruntime.") || name.starts_with("onnxruntime.");
    stem_ok
        && (name.ends_with(".dylib")
            || name.ends_with(".dll")
            || name.ends_with(".so")
            || name.contains(".so."))
}

/// The library file in `dir`, preferring the most specific name
/// (`libonnxruntime.so.1.31.1` over `libonnxruntime.so`).
fn library_in(dir: &Path) -> Option<PathBuf> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .ok()?
        .filter_map(|e| e.ok())
        .filter(|e| e.path().is_file())
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|n| is_library_name(n))
        .collect();
    names.sort_by_key(|n| std::cmp::Reverse(n.len()));
    names.first().map(|n| dir.join(n))
}

fn version_key(s: &str) -> Vec<u64> {
    s.split(|c: char| !c.is_ascii_digit())
        .filter(|p| !p.is_empty())
        .map(|p| p.parse().unwrap_or(0))
        .collect()
}

fn python_dirs(base: &Path, sub: &str) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(base)
        .into_iter()
        .flatten()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with("python3"))
        .map(|e| e.path().join(sub))
        .collect();
    out.sort_by_key(|p| std::cmp::Reverse(version_key(&p.to_string_lossy())));
    out
}

/// Finds the ONNX Runtime library, or lists every place looked at.
pub fn find_library(env: &LibraryEnv) -> Result<PathBuf, Vec<PathBuf>> {
    let mut looked = Vec::new();
    if let Some(p) = &env.ort_dylib_path {
        // An explicit path is taken as given; loading reports if it is wrong.
        return Ok(PathBuf::from(p));
    }
    let data_home = env
        .xdg_data_home
        .as_ref()
        .map(PathBuf::from)
        .or_else(|| env.home.as_ref().map(|h| Path::new(h).join(".local/share")));
    if let Some(data) = data_home {
        let base = data.join("edgebench/onnxruntime");
        let mut versions: Vec<PathBuf> = std::fs::read_dir(&base)
            .into_iter()
            .flatten()
            .filter_map(|e| e.ok())
            .map(|e| e.path())
            .filter(|p| p.is_dir())
            .collect();
        versions.sort_by(|a, b| {
            let name = |p: &Path| version_key(&p.file_name().unwrap_or_default().to_string_lossy());
            name(b).cmp(&name(a))
        });
        for v in &versions {
            if let Some(lib) = library_in(v) {
                return Ok(lib);
            }
        }
        looked.push(base.join("<version>"));
    }
    let mut site = Vec::new();
    if let Some(venv) = &env.virtual_env {
        site.extend(python_dirs(&Path::new(venv).join("lib"), "site-packages"));
    }
    if let Some(home) = &env.home {
        site.extend(python_dirs(
            &Path::new(home).join(".local/lib"),
            "site-packages",
        ));
    }
    site.extend(python_dirs(
        &env.root.join("usr/local/lib"),
        "dist-packages",
    ));
    site.push(env.root.join("usr/lib/python3/dist-packages"));
    for s in site {
        let capi = s.join("onnxruntime/capi");
        if let Some(lib) = library_in(&capi) {
            return Ok(lib);
        }
        looked.push(capi);
    }
    Err(looked)
}

/// The error for a library that is nowhere to be found.
pub fn missing_library_error(looked: &[PathBuf]) -> BackendError {
    let list: Vec<String> = looked.iter().map(|p| p.display().to_string()).collect();
    BackendError::EpUnavailable {
        backend: "onnx".into(),
        detail: format!(
            "the ONNX Runtime library was not found; looked in ORT_DYLIB_PATH (unset), {}; \
             run scripts/setup.sh or set ORT_DYLIB_PATH to libonnxruntime's path",
            list.join(", ")
        ),
    }
}

/// Reads the library's version string without initialising ort, so an old
/// library gets edgebench's message rather than a panic.
fn read_version(path: &Path) -> Result<String, String> {
    // SAFETY: loading ONNX Runtime runs its static initialisers, which is
    // what ort does with the same file right after; the handle is reference
    // counted by the dynamic loader and shared with ort's.
    let lib = unsafe { libloading::Library::new(path) }
        .map_err(|e| format!("could not load {}: {e}", path.display()))?;
    // SAFETY: the symbol has this signature in every ONNX Runtime release.
    let get_base: libloading::Symbol<unsafe extern "C" fn() -> *const ort::sys::OrtApiBase> =
        unsafe { lib.get(b"OrtGetApiBase") }.map_err(|_| {
            format!(
                "{} does not export OrtGetApiBase; it is not an ONNX Runtime library",
                path.display()
            )
        })?;
    // SAFETY: OrtGetApiBase returns a static table; GetVersionString a static C string.
    let version = unsafe {
        let base = get_base();
        if base.is_null() {
            return Err(format!("{}: OrtGetApiBase returned null", path.display()));
        }
        std::ffi::CStr::from_ptr(((*base).GetVersionString)())
            .to_string_lossy()
            .into_owned()
    };
    // Keep the library loaded for the life of the process (ort holds it too).
    std::mem::forget(lib);
    Ok(version)
}

/// Checks a version string against what this build needs.
pub fn check_version(version: &str, path: &Path) -> Result<(), String> {
    let key = version_key(version);
    let (major, minor) = (
        key.first().copied().unwrap_or(0),
        key.get(1).copied().unwrap_or(0),
    );
    if major != 1 || minor < MIN_MINOR as u64 {
        return Err(format!(
            "{} is ONNX Runtime {version}, but edgebench (ort {ORT_CRATE_VERSION}) needs 1.{MIN_MINOR} \
             or newer; run scripts/setup.sh or point ORT_DYLIB_PATH at a newer libonnxruntime",
            path.display()
        ));
    }
    Ok(())
}

struct Runtime {
    info: RuntimeInfo,
    env: ort::environment::Environment,
}

/// Why loading ONNX Runtime failed, kept (in the process-wide cache) with
/// its kind, so every later call returns the same [`BackendError`] variant.
#[derive(Debug, Clone)]
enum InitError {
    /// No usable library: not found, not loadable, not ONNX Runtime, too
    /// old. Recorded as `ep_unavailable`.
    Unavailable(String),
    /// The library loaded but its environment could not be created.
    Environment(String),
}

impl InitError {
    fn to_backend_error(&self) -> BackendError {
        match self {
            InitError::Unavailable(detail) => BackendError::EpUnavailable {
                backend: "onnx".into(),
                detail: detail.clone(),
            },
            InitError::Environment(detail) => BackendError::Context {
                backend: "onnx".into(),
                detail: detail.clone(),
            },
        }
    }
}

fn runtime() -> Result<&'static Runtime, BackendError> {
    static RT: OnceLock<Result<Runtime, InitError>> = OnceLock::new();
    RT.get_or_init(|| {
        let path =
            find_library(&LibraryEnv::from_process()).map_err(
                |looked| match missing_library_error(&looked) {
                    BackendError::EpUnavailable { detail, .. } => InitError::Unavailable(detail),
                    other => InitError::Unavailable(other.to_string()),
                },
            )?;
        let version = read_version(&path).map_err(InitError::Unavailable)?;
        check_version(&version, &path).map_err(InitError::Unavailable)?;
        let env = ort::init_from(&path)
            .map_err(|e| {
                InitError::Unavailable(format!(
                    "could not load ONNX Runtime from {}: {e}",
                    path.display()
                ))
            })?
            .with_name("edgebench")
            .with_telemetry(false)
            .build()
            .map_err(|e| InitError::Environment(format!("ONNX Runtime environment: {e}")))?;
        Ok(Runtime {
            info: RuntimeInfo {
                library: std::fs::canonicalize(&path).unwrap_or(path),
                version,
            },
            env,
        })
    })
    .as_ref()
    .map_err(InitError::to_backend_error)
}

/// Loads ONNX Runtime (once per process) and says which library and version.
pub fn runtime_info() -> Result<RuntimeInfo, BackendError> {
    runtime().map(|r| r.info.clone())
}

/// The process's ONNX Runtime environment (loading the library first), for
/// code that builds its own sessions next to the backend's, such as the
/// `onnx_overhead` bench's bare loop.
pub fn environment() -> Result<&'static ort::environment::Environment, BackendError> {
    runtime().map(|r| &r.env)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn touch(p: &Path) {
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, b"").unwrap();
    }

    fn env(root: &Path) -> LibraryEnv {
        LibraryEnv {
            ort_dylib_path: None,
            xdg_data_home: None,
            home: Some(root.join("home").into()),
            virtual_env: None,
            root: root.to_path_buf(),
        }
    }

    #[test]
    fn explicit_path_wins() {
        let t = tempfile::tempdir().unwrap();
        let mut e = env(t.path());
        touch(
            &t.path()
                .join("home/.local/share/edgebench/onnxruntime/1.31.1/libonnxruntime.so"),
        );
        e.ort_dylib_path = Some("/opt/x/libonnxruntime.so".into());
        assert_eq!(
            find_library(&e).unwrap(),
            PathBuf::from("/opt/x/libonnxruntime.so")
        );
    }

    #[test]
    fn newest_installed_version_then_xdg_then_python() {
        let t = tempfile::tempdir().unwrap();
        let e = env(t.path());
        let share = t.path().join("home/.local/share/edgebench/onnxruntime");
        touch(&share.join("1.9.0/libonnxruntime.so.1.9.0"));
        touch(&share.join("1.31.1/libonnxruntime.so.1.31.1"));
        touch(&share.join("1.31.1/libonnxruntime_providers_shared.so"));
        touch(&share.join("1.24.0/libonnxruntime.so.1.24.0"));
        std::fs::create_dir_all(share.join("2.0.0")).unwrap(); // empty: skipped
        assert_eq!(
            find_library(&e).unwrap(),
            share.join("1.31.1/libonnxruntime.so.1.31.1")
        );
        // XDG_DATA_HOME replaces ~/.local/share.
        let mut x = e.clone();
        x.xdg_data_home = Some(t.path().join("xdg").into());
        touch(
            &t.path()
                .join("xdg/edgebench/onnxruntime/1.30.0/libonnxruntime.dylib"),
        );
        assert_eq!(
            find_library(&x).unwrap(),
            t.path()
                .join("xdg/edgebench/onnxruntime/1.30.0/libonnxruntime.dylib")
        );
        // Nothing installed: the Python wheel, venv first.
        let t2 = tempfile::tempdir().unwrap();
        let mut p = env(t2.path());
        let user = t2
            .path()
            .join("home/.local/lib/python3.12/site-packages/onnxruntime/capi");
        touch(&user.join("libonnxruntime.so.1.31.1"));
        assert_eq!(
            find_library(&p).unwrap(),
            user.join("libonnxruntime.so.1.31.1")
        );
        let venv = t2
            .path()
            .join("venv/lib/python3.11/site-packages/onnxruntime/capi");
        touch(&venv.join("onnxruntime.dll"));
        p.virtual_env = Some(t2.path().join("venv").into());
        assert_eq!(find_library(&p).unwrap(), venv.join("onnxruntime.dll"));
    }

    #[test]
    fn missing_library_says_where_it_looked_and_what_to_do() {
        let t = tempfile::tempdir().unwrap();
        let looked = find_library(&env(t.path())).unwrap_err();
        let msg = missing_library_error(&looked).to_string();
        assert!(msg.contains("edgebench/onnxruntime/<version>"), "{msg}");
        assert!(
            msg.contains("usr/lib/python3/dist-packages/onnxruntime/capi"),
            "{msg}"
        );
        assert!(
            msg.contains("run scripts/setup.sh or set ORT_DYLIB_PATH"),
            "{msg}"
        );
    }

    #[test]
    fn old_versions_are_refused() {
        let p = Path::new("/x/libonnxruntime.so");
        assert!(check_version("1.31.1", p).is_ok());
        assert!(check_version("1.24.0", p).is_ok());
        let e = check_version("1.17.3", p).unwrap_err();
        assert!(e.contains("1.17.3") && e.contains("needs 1.24"), "{e}");
        assert!(check_version("garbage", p).is_err());
    }

    #[test]
    fn init_errors_keep_their_kind() {
        let e = InitError::Unavailable("needs 1.24 or newer".into()).to_backend_error();
        assert!(
            matches!(&e, BackendError::EpUnavailable { backend, detail }
                if backend == "onnx" && detail.contains("needs 1.24")),
            "{e:?}"
        );
        assert!(e.to_string().contains("ep_unavailable"), "{e}");
        assert!(matches!(
            InitError::Environment("y".into()).to_backend_error(),
            BackendError::Context { .. }
        ));
        let looked = find_library(&env(tempfile::tempdir().unwrap().path())).unwrap_err();
        assert!(matches!(
            missing_library_error(&looked),
            BackendError::EpUnavailable { .. }
        ));
    }
}
