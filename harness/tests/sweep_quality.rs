//! `[matrix] quality = true`: after the matrix, each quantised model is
//! measured against its reference (for synthetic models the f32 synth of
//! the same weights) on the GGUF backends that ran it; sweep.json carries
//! the records and the report shows them beside speed.
#![cfg(feature = "llama")]
mod common;
use common::edgebench;
use serde_json::Value;

const PROFILE: &str = r#"
[device]
name = "quality box"
class = "desktop"

[[model]]
id = "tiny-q4_0"
synth = { preset = "tiny", quant = "q4_0", seed = 42 }

[[model]]
id = "tiny-q8_0"
synth = { preset = "tiny", quant = "q8_0", seed = 42 }

# A float model is a reference itself: no quality check.
[[model]]
id = "tiny-f16"
synth = { preset = "tiny", quant = "f16", seed = 42 }

[matrix]
backends = ["llama.cpp"]
threads = [2]
n_prompt = [8]
n_gen = [4]
reps = 1
warmup = 0
timeout = 60
bandwidth = false
quality = true
"#;

#[test]
fn a_sweep_measures_quality_and_the_report_shows_it() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("p.toml");
    std::fs::write(&p, PROFILE).unwrap();
    let out = dir.path().join("out");
    let o = edgebench(&dir.path().join("cache"))
        .args(["sweep", "--device"])
        .arg(&p)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let s: Value = serde_json::from_slice(&std::fs::read(out.join("sweep.json")).unwrap()).unwrap();
    let q = s["quality"].as_array().unwrap();
    assert_eq!(q.len(), 2, "q4_0 and q8_0, not f16: {q:?}");
    assert!(s["quality_problems"].as_array().unwrap().is_empty());
    let kld = |i: usize| q[i]["rows"][0]["stats"]["mean_kld"].as_f64().unwrap();
    assert_eq!(q[0]["rows"][0]["side"]["backend"], "llama.cpp");
    assert!(
        q[0]["reference"]["model"]
            .as_str()
            .unwrap()
            .contains("tiny-f32"),
        "{}",
        q[0]["reference"]
    );
    assert!(kld(1) < kld(0), "q8_0 {} against q4_0 {}", kld(1), kld(0));
    assert!(out.join("quality-tiny-q4_0.json").is_file());
    let rep = dir.path().join("rep");
    edgebench(&dir.path().join("cache"))
        .arg("report")
        .arg(&out)
        .arg("--out")
        .arg(&rep)
        .assert()
        .success();
    let md = std::fs::read_to_string(rep.join("report.md")).unwrap();
    assert!(md.contains("| quality vs reference |"), "{md}");
    assert!(md.contains("- Q4_0: "), "{md}");
    // The f16 option has no quality figure: said, not left blank.
    assert!(md.contains("not measured"), "{md}");
}

#[test]
fn a_reference_outside_the_profile_folder_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("p.toml");
    let text = PROFILE.replace(
        "synth = { preset = \"tiny\", quant = \"q8_0\", seed = 42 }",
        "synth = { preset = \"tiny\", quant = \"q8_0\", seed = 42 }\nreference = \"../f16.gguf\"",
    );
    std::fs::write(&p, text).unwrap();
    let o = edgebench(&dir.path().join("cache"))
        .args(["sweep", "--dry-run", "--device"])
        .arg(&p)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("model[1].reference") && err.contains("leaves the profile's folder"),
        "{err}"
    );
}
