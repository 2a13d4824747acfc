//! How the linked llama.cpp was compiled, read from its CMake cache at build
//! time (see `backends/build.rs`): the facts that change its speed, for every
//! record's provenance and `edgebench probe`, and a loud warning when the
//! build is not optimised the way llama.cpp's own releases are.

/// The build facts of the linked llama.cpp.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LlamaBuild {
    /// CMake build type: `Release`, `RelWithDebInfo`, `Debug`, `MinSizeRel`.
    pub build_type: String,
    /// The C++ flags of that build type (`CMAKE_CXX_FLAGS_<TYPE>`), e.g.
    /// `-O3 -DNDEBUG`.
    pub cxx_flags: String,
    /// GGML_NATIVE: compiled for the building CPU's SIMD (`-march=native`).
    pub native: Option<bool>,
    /// GGML_OPENMP: ggml's threads are an OpenMP team.
    pub openmp: Option<bool>,
}

impl LlamaBuild {
    /// The facts of the llama.cpp this binary links, or `None` when llama.cpp
    /// is not compiled in (or its CMake cache could not be read at build time).
    pub fn current() -> Option<LlamaBuild> {
        LlamaBuild::parse(env!("EDGEBENCH_LLAMA_BUILD"))
    }

    /// Parses build.rs's `KEY=VALUE;...` form.
    pub fn parse(text: &str) -> Option<LlamaBuild> {
        let mut b = LlamaBuild {
            build_type: String::new(),
            cxx_flags: String::new(),
            native: None,
            openmp: None,
        };
        let on = |v: &str| matches!(v.to_ascii_uppercase().as_str(), "ON" | "1" | "TRUE" | "YES");
        for pair in text.split(';') {
            let Some((k, v)) = pair.split_once('=') else {
                continue;
            };
            match k {
                "CMAKE_BUILD_TYPE" => b.build_type = v.to_string(),
                "CXX_FLAGS" => b.cxx_flags = v.to_string(),
                "GGML_NATIVE" => b.native = Some(on(v)),
                "GGML_OPENMP" => b.openmp = Some(on(v)),
                _ => {}
            }
        }
        (!b.build_type.is_empty()).then_some(b)
    }

    /// Whether this is how llama.cpp's releases (and llama-bench as built
    /// by its README) are compiled: CMake `Release`, i.e. `-O3 -DNDEBUG`.
    pub fn optimised(&self) -> bool {
        self.build_type == "Release"
    }

    /// The facts as record `build_features` entries:
    /// `CMAKE_BUILD_TYPE=Release`, `CXX_FLAGS=-O3 -DNDEBUG`, `GGML_NATIVE=ON`,
    /// `GGML_OPENMP=ON`.
    pub fn features(&self) -> Vec<String> {
        let flag = |b: bool| if b { "ON" } else { "OFF" };
        let mut out = vec![
            format!("CMAKE_BUILD_TYPE={}", self.build_type),
            format!("CXX_FLAGS={}", self.cxx_flags),
        ];
        if let Some(n) = self.native {
            out.push(format!("GGML_NATIVE={}", flag(n)));
        }
        if let Some(o) = self.openmp {
            out.push(format!("GGML_OPENMP={}", flag(o)));
        }
        out
    }

    /// One line for `probe`: `Release (-O3 -DNDEBUG), GGML_NATIVE=ON, GGML_OPENMP=ON`.
    pub fn summary(&self) -> String {
        let mut s = format!("{} ({})", self.build_type, self.cxx_flags.trim());
        for f in self.features().into_iter().skip(2) {
            s.push_str(", ");
            s.push_str(&f);
        }
        s
    }

    /// What is wrong with this build for benchmarking, if anything: a build
    /// type other than Release, or a build without the CPU's SIMD.
    pub fn warnings(&self) -> Vec<String> {
        let mut out = Vec::new();
        if !self.optimised() {
            out.push(format!(
                "llama.cpp was compiled as CMake {} ({}), not Release (-O3) as llama.cpp releases \
                 it: its figures are lower than llama-bench's on this machine (RelWithDebInfo \
                 measured 5-8 % slower prefill); rebuild with LLAMA_LIB_PROFILE=Release (the \
                 project's .cargo/config.toml sets it)",
                self.build_type,
                self.cxx_flags.trim()
            ));
        }
        if self.native == Some(false) {
            out.push(
                "llama.cpp was compiled without GGML_NATIVE (only the baseline SIMD of the target): \
                 build with RUSTFLAGS=\"-C target-cpu=native\" (the project's .cargo/config.toml \
                 sets it) unless this is a deliberate cross-build"
                    .into(),
            );
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_build_facts_and_flags_unoptimised_builds() {
        let b = LlamaBuild::parse(
            "CMAKE_BUILD_TYPE=RelWithDebInfo;CXX_FLAGS=-O2 -g -DNDEBUG;GGML_NATIVE=ON;GGML_OPENMP=OFF",
        )
        .expect("facts");
        assert_eq!(b.build_type, "RelWithDebInfo");
        assert_eq!(b.native, Some(true));
        assert_eq!(b.openmp, Some(false));
        assert!(!b.optimised());
        assert_eq!(
            b.features(),
            [
                "CMAKE_BUILD_TYPE=RelWithDebInfo",
                "CXX_FLAGS=-O2 -g -DNDEBUG",
                "GGML_NATIVE=ON",
                "GGML_OPENMP=OFF"
            ]
        );
        let w = b.warnings();
        assert_eq!(w.len(), 1, "{w:?}");
        assert!(w[0].contains("RelWithDebInfo") && w[0].contains("LLAMA_LIB_PROFILE"));

        let release =
            LlamaBuild::parse("CMAKE_BUILD_TYPE=Release;CXX_FLAGS=-O3 -DNDEBUG;GGML_NATIVE=OFF")
                .expect("facts");
        assert!(release.optimised());
        assert_eq!(
            release.warnings().len(),
            1,
            "no native SIMD is warned about"
        );
        assert_eq!(release.summary(), "Release (-O3 -DNDEBUG), GGML_NATIVE=OFF");
        assert_eq!(LlamaBuild::parse(""), None);
    }

    /// This very build, where llama.cpp is compiled in: the project's
    /// configuration must give the optimised build.
    #[cfg(feature = "llama")]
    #[test]
    fn this_build_of_llama_cpp_is_release_and_native() {
        let b = LlamaBuild::current().expect("build.rs read llama.cpp's CMake cache");
        assert_eq!(b.build_type, "Release", "{b:?}");
        assert!(b.cxx_flags.contains("-O3"), "{b:?}");
        assert_eq!(b.native, Some(true), "{b:?}");
        assert!(b.warnings().is_empty(), "{:?}", b.warnings());
    }
}
