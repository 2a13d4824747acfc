//! The profiles shipped in profiles/ parse, and say what they promise.
use std::path::{Path, PathBuf};

use edgebench_devices::profile::{
    ArtifactFormat, DeviceClass, EMBEDDED_LOCAL_ORIGIN, Profile, SloMetric, SloOp, Stat,
    SummaryMetric,
};

fn profiles_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../profiles")
}

fn load(name: &str) -> Profile {
    let path = profiles_dir().join(name);
    match Profile::load(&path) {
        Ok(p) => p,
        Err(e) => panic!("{name} must parse:\n{e}"),
    }
}

#[test]
fn every_shipped_profile_parses() {
    let mut names: Vec<String> = std::fs::read_dir(profiles_dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".toml"))
        .collect();
    names.sort();
    for expected in [
        "jetson.toml",
        "local.toml",
        "raspberry-pi-5.toml",
        "x86-laptop.toml",
    ] {
        assert!(
            names.iter().any(|n| n == expected),
            "{expected} missing from profiles/"
        );
    }
    for name in &names {
        let p = load(name);
        assert!(!p.models.is_empty(), "{name}");
        assert!(!p.slos.is_empty(), "{name}");
    }
}

#[test]
fn embedded_local_parses_and_matches_the_file() {
    let embedded = Profile::embedded_local();
    assert_eq!(embedded.origin, EMBEDDED_LOCAL_ORIGIN);
    let file = load("local.toml");
    assert_eq!(embedded.models, file.models);
    assert_eq!(embedded.matrix, file.matrix);
    assert_eq!(embedded.slos, file.slos);
    assert!(Profile::try_embedded_local().is_ok());
}

#[test]
fn local_needs_no_downloads_and_stays_small() {
    let p = Profile::embedded_local();
    for m in &p.models {
        assert!(m.artifacts.is_empty(), "{} names a file", m.id);
        let s = m.synth.as_ref().unwrap();
        assert!(["tiny", "small"].contains(&s.preset.as_str()), "{}", m.id);
    }
    assert_eq!(p.matrix.backends, ["llama.cpp", "onnx:cpu", "cpu"]);
    let cases = p.models.len()
        * p.matrix.threads.len()
        * p.matrix.n_prompt.len()
        * p.matrix.n_gen.len()
        * p.matrix.n_depth.len();
    // Quick on 2 cores (about three minutes in all), yet a TTFT curve:
    // at least three prompt lengths.
    assert!(cases <= 12, "{cases} cases");
    assert!(p.matrix.n_prompt.len() >= 3, "{:?}", p.matrix.n_prompt);
    assert!(p.matrix.n_prompt.iter().all(|&n| n <= 512));
    assert!(p.matrix.n_gen.iter().all(|&n| n <= 128));
    let tiny_decode = p
        .slos
        .iter()
        .find(|s| s.metric == SloMetric::Summary(SummaryMetric::DecodeTps, Stat::P50))
        .unwrap();
    assert_eq!(tiny_decode.op, SloOp::AtLeast);
    assert!(p.slos.iter().any(|s| s.metric == SloMetric::PeakRssMb));
}

#[test]
fn local_gives_every_report_section_content() {
    let p = Profile::embedded_local();
    // A short sustained run (about a minute) on one model and backend.
    let s = p.sustained.as_ref().expect("a [sustained] section");
    assert!(
        s.duration_s <= 90.0 && s.duration_s >= 30.0,
        "{}",
        s.duration_s
    );
    assert_eq!((s.models.len(), s.backends.len()), (1, 1));
    // Illustrative cost inputs, within the typical ranges the docs give,
    // and labelled as such.
    let c = p.cost.as_ref().expect("a [cost] section");
    assert!((0.0005..=0.001).contains(&c.cloud_cost_per_query_usd));
    assert!((36.0..=60.0).contains(&c.horizon_months));
    assert!(
        c.monthly_queries.is_some(),
        "cost per Mtok needs the volume"
    );
    let note = c.note.as_deref().unwrap_or("");
    assert!(note.contains("illustrative"), "{note}");
}

#[test]
fn jetson_has_its_published_figures() {
    let p = load("jetson.toml");
    assert_eq!(p.device.class, DeviceClass::Jetson);
    assert_eq!(p.device.mem_bandwidth_gbs, Some(204.8));
    assert_eq!(p.device.memory_gb, Some(64.0));
    assert_eq!(p.device.peak_tflops.get("int8_sparse"), Some(&275.0));
    assert_eq!(p.device.power_mode.as_deref(), Some("MAXN"));
    assert_eq!(p.device.price_usd, Some(1999.0));
    let cost = p.cost.as_ref().unwrap();
    assert_eq!(cost.capex_usd, 1999.0, "capex defaults to the device price");
    let s = p.sustained.as_ref().unwrap();
    assert_eq!((s.duration_s, s.window_s), (600.0, 5.0));
}

#[test]
fn raspberry_pi_and_laptop_figures() {
    let pi = load("raspberry-pi-5.toml");
    assert_eq!(pi.device.class, DeviceClass::Sbc);
    let bw = pi.device.mem_bandwidth_gbs.unwrap();
    assert!((bw - 4.267 * 4.0).abs() < 0.01, "{bw}");
    assert_eq!(pi.device.price_usd, Some(80.0));
    let laptop = load("x86-laptop.toml");
    assert_eq!(laptop.device.class, DeviceClass::Laptop);
    assert!(laptop.device.mem_bandwidth_gbs.unwrap() > 0.0);
}

#[test]
fn real_device_models_resolve_inside_the_profiles_folder() {
    let dir = std::fs::canonicalize(profiles_dir()).unwrap();
    for name in ["jetson.toml", "raspberry-pi-5.toml", "x86-laptop.toml"] {
        let p = load(name);
        let files: Vec<_> = p.models.iter().flat_map(|m| &m.artifacts).collect();
        assert!(
            files.iter().any(|a| a.format == ArtifactFormat::Gguf),
            "{name} names a GGUF file"
        );
        for a in files {
            assert!(a.path.is_absolute(), "{}", a.path.display());
            assert!(
                a.path.starts_with(dir.join("models")),
                "{}",
                a.path.display()
            );
        }
        assert!(
            p.models.iter().any(|m| m.synth.is_some()),
            "{name} has a synthetic model to run without downloads"
        );
    }
}

#[test]
fn profiles_serialize_for_sweep_json() {
    let p = load("jetson.toml");
    let v = serde_json::to_value(&p).unwrap();
    assert_eq!(v["device"]["class"], "jetson");
    assert_eq!(v["slos"][0]["metric"], "ttft_ms.p99");
    assert_eq!(v["slos"][0]["op"], "<=");
    assert_eq!(v["models"][0]["artifacts"][0]["format"], "gguf");
    let npu = serde_json::to_value(DeviceClass::NpuPc).unwrap();
    assert_eq!(npu, "npu-pc");
}

#[test]
fn the_full_example_in_the_docs_parses() {
    let doc =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/profiles.md"))
            .unwrap();
    let section = doc
        .split("## A full example")
        .nth(1)
        .expect("docs have a full example");
    let start = section.find("```toml\n").unwrap() + "```toml\n".len();
    let end = start + section[start..].find("```").unwrap();
    let p = Profile::parse(&section[start..end], "docs/profiles.md", Path::new("/lab")).unwrap();
    assert_eq!(p.device.class, DeviceClass::Sbc);
    assert_eq!(p.models.len(), 2);
    assert_eq!(p.slos.len(), 3);
    assert!(p.sustained.is_some() && p.cost.is_some());
}

/// Every shipped profile's `[load]` runs a request shape the matrix also
/// runs, at threads the matrix has, so the report can size the fleet from
/// the capacity it finds (a load run of another shape is reported, not
/// priced).
#[test]
fn load_sections_match_a_matrix_case() {
    for name in [
        "local.toml",
        "jetson.toml",
        "raspberry-pi-5.toml",
        "x86-laptop.toml",
    ] {
        let p = load(name);
        let l = p
            .load
            .as_ref()
            .unwrap_or_else(|| panic!("{name} has [load]"));
        let m = &p.matrix;
        assert!(
            l.trace.is_none() && l.n_prompt.is_fixed() && l.n_gen.is_fixed(),
            "{name}"
        );
        assert!(m.n_prompt.contains(&l.n_prompt.lo), "{name}");
        assert!(m.n_gen.contains(&l.n_gen.lo), "{name}");
        assert!(m.threads.contains(&l.threads), "{name}");
        assert!(l.ttft_ms.is_some(), "{name}: a TTFT limit");
        for b in &l.backends {
            assert!(m.backends.contains(b), "{name}: {b}");
        }
    }
}
