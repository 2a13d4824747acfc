//! Records how llama.cpp was compiled, for every record's provenance.
//!
//! llama-cpp-sys-2 builds llama.cpp with CMake and tells its direct
//! dependents where the install went (`DEP_LLAMA_GGML_CMAKE_DIR`, i.e.
//! `<its OUT_DIR>/lib/cmake`). Its CMake cache (`<OUT_DIR>/build/CMakeCache.txt`)
//! says what was really used: the build type, the optimisation flags of that
//! type, GGML_NATIVE and GGML_OPENMP. They are handed to the crate as
//! `EDGEBENCH_LLAMA_BUILD` (`KEY=VALUE` pairs joined by `;`, empty when
//! llama.cpp is not compiled in or the cache cannot be read), so the record
//! states the facts instead of inferring them from cargo's settings.
use std::path::{Path, PathBuf};

fn main() {
    println!("cargo:rerun-if-env-changed=DEP_LLAMA_GGML_CMAKE_DIR");
    println!("cargo:rerun-if-changed=build.rs");
    let facts = std::env::var_os("DEP_LLAMA_GGML_CMAKE_DIR")
        .and_then(|dir| cmake_cache(Path::new(&dir)))
        .map(|cache| {
            println!("cargo:rerun-if-changed={}", cache.display());
            std::fs::read_to_string(&cache)
                .map(|text| facts(&text))
                .unwrap_or_default()
        })
        .unwrap_or_default();
    println!("cargo:rustc-env=EDGEBENCH_LLAMA_BUILD={facts}");
}

/// `<OUT_DIR>/build/CMakeCache.txt` from `<OUT_DIR>/lib*/cmake`.
fn cmake_cache(cmake_dir: &Path) -> Option<PathBuf> {
    let out_dir = cmake_dir.parent()?.parent()?;
    let cache = out_dir.join("build").join("CMakeCache.txt");
    cache.is_file().then_some(cache)
}

/// The build facts that change speed, from the text of a CMake cache.
fn facts(cache: &str) -> String {
    let get = |key: &str| {
        cache.lines().find_map(|l| {
            let (k, v) = l.split_once('=')?;
            (k.split(':').next()? == key).then(|| v.trim().to_string())
        })
    };
    let build_type = get("CMAKE_BUILD_TYPE").unwrap_or_default();
    let type_flags = if build_type.is_empty() {
        String::new()
    } else {
        get(&format!("CMAKE_CXX_FLAGS_{}", build_type.to_uppercase())).unwrap_or_default()
    };
    let mut out = vec![format!("CMAKE_BUILD_TYPE={build_type}")];
    out.push(format!("CXX_FLAGS={type_flags}"));
    for key in ["GGML_NATIVE", "GGML_OPENMP"] {
        if let Some(v) = get(key) {
            out.push(format!("{key}={v}"));
        }
    }
    out.join(";")
}
