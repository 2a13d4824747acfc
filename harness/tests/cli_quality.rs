//! `edgebench quality` on real llama.cpp with synthetic models: a model
//! against itself costs nothing, the quantisations order by their bits, and
//! a reference that is not the same network is refused by name.
#![cfg(feature = "llama")]
mod common;

use common::edgebench;
use serde_json::Value;

fn quality(dir: &std::path::Path, models: &[&str], reference: &str) -> (i32, Value, String) {
    let out = dir.join("quality.json");
    let _ = std::fs::remove_file(&out);
    let o = edgebench(dir)
        .arg("quality")
        .args(models)
        .args([
            "--reference",
            reference,
            "-t",
            "2",
            "--tokens",
            "64",
            "--out",
        ])
        .arg(&out)
        .output()
        .unwrap();
    let text =
        String::from_utf8_lossy(&o.stdout).into_owned() + &String::from_utf8_lossy(&o.stderr);
    let v = std::fs::read(&out)
        .map(|b| serde_json::from_slice(&b).unwrap())
        .unwrap_or(Value::Null);
    (o.status.code().unwrap(), v, text)
}

#[test]
fn kld_orders_the_quantisations_and_is_zero_against_itself() {
    let dir = tempfile::tempdir().unwrap();
    let (code, v, text) = quality(
        dir.path(),
        &[
            "synth:tiny-f32",
            "synth:tiny-q8_0",
            "synth:tiny-q6_k",
            "synth:tiny-q4_k_m",
            "synth:tiny-q4_0",
        ],
        "synth:tiny-f32",
    );
    assert_eq!(code, 0, "{text}");
    assert_eq!(v["kind"], "quality");
    assert!(text.contains("not task accuracy"), "{text}");
    let rows = v["rows"].as_array().unwrap();
    let kld: Vec<f64> = rows
        .iter()
        .map(|r| r["stats"]["mean_kld"].as_f64().unwrap())
        .collect();
    // The same file on the same backend: identical logits.
    assert_eq!(kld[0], 0.0, "{text}");
    assert_eq!(rows[0]["stats"]["top1_agreement"], 1.0);
    assert_eq!(rows[0]["stats"]["ln_ppl_ratio"], 0.0);
    // 64 positions, 63 of them with a next token.
    assert_eq!(rows[1]["stats"]["positions"], 64);
    // More bits, less divergence (measured on tiny: about 1.2e-5, 7.8e-5,
    // 9e-4, 1.6e-3; each step well over the test's factor of 1.3).
    for w in kld[1..].windows(2) {
        assert!(
            w[0] * 1.3 < w[1],
            "mean KLD not ordered q8_0 < q6_K < q4_K_M < q4_0: {kld:?}"
        );
    }
}

#[test]
fn a_reference_of_another_network_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (code, _, text) = quality(dir.path(), &["synth:tiny-q4_0"], "synth:small-f16");
    assert_eq!(code, 2, "{text}");
    assert!(
        text.contains("synth:tiny-q4_0") && text.contains("differs from the reference"),
        "{text}"
    );
    let o = edgebench(dir.path())
        .args([
            "quality",
            "synth:tiny-q4_0",
            "--reference",
            "synth:tiny-f32",
        ])
        .args(["--tokens", "1"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--tokens 1"));
}

/// The report puts quality beside speed: a quality record among the
/// inputs gives each option of the same model file its mean KLD and
/// top-1, and the quantisation's cost against the most faithful option.
#[test]
fn the_report_shows_quality_beside_speed() {
    let dir = tempfile::tempdir().unwrap();
    let (code, _, text) = quality(
        dir.path(),
        &["synth:tiny-q8_0", "synth:tiny-q4_0"],
        "synth:tiny-f32",
    );
    assert_eq!(code, 0, "{text}");
    let mut inputs = vec![dir.path().join("quality.json")];
    for q in ["q8_0", "q4_0"] {
        let out = dir.path().join(format!("run-{q}.json"));
        let o = edgebench(dir.path())
            .args([
                "run",
                "-q",
                "--shape",
                "request",
                "-b",
                "llama.cpp",
                "-t",
                "2",
            ])
            .args(["-p", "16", "-n", "8", "-r", "2", "-o", "json", "-m"])
            .arg(format!("synth:tiny-{q}"))
            .arg("--out")
            .arg(&out)
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        inputs.push(out);
    }
    let rep = dir.path().join("rep");
    let o = edgebench(dir.path())
        .arg("report")
        .args(&inputs)
        .arg("--out")
        .arg(&rep)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let md = std::fs::read_to_string(rep.join("report.md")).unwrap();
    assert!(md.contains("| quality vs reference |"), "{md}");
    assert!(md.contains("## Quality against the reference"), "{md}");
    let tax = md
        .lines()
        .find(|l| l.starts_with("- Q4_0: ") && l.contains("x the decode rate of Q8_0"))
        .unwrap_or_else(|| panic!("no quality-tax line for Q4_0: {md}"));
    assert!(
        tax.contains("mean KLD 0.0") && tax.contains("top-1"),
        "{tax}"
    );
    // The q8_0 option is the most faithful: it gets no tax line.
    assert!(!md.lines().any(|l| l.starts_with("- Q8_0: ")), "{md}");
}

/// `compare` on two quality records: the same check twice is the same;
/// a record whose q4_0 lost precision (its KLD raised, as a worse
/// quantiser would) is a regression, exit 1; a quality record against
/// speed results is refused by name.
#[test]
fn compare_flags_a_quality_regression() {
    let dir = tempfile::tempdir().unwrap();
    let (code, v, text) = quality(dir.path(), &["synth:tiny-q4_0"], "synth:tiny-f32");
    assert_eq!(code, 0, "{text}");
    let base = dir.path().join("base.json");
    std::fs::write(&base, serde_json::to_vec(&v).unwrap()).unwrap();
    let again = dir.path().join("again.json");
    let (code, v2, _) = quality(dir.path(), &["synth:tiny-q4_0"], "synth:tiny-f32");
    assert_eq!(code, 0);
    std::fs::write(&again, serde_json::to_vec(&v2).unwrap()).unwrap();
    let o = edgebench(dir.path())
        .args(["compare"])
        .arg(&base)
        .arg(&again)
        .output()
        .unwrap();
    let md = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(0), "{md}");
    assert!(md.contains("| same |"), "{md}");
    let mut worse = v.clone();
    let kld = worse["rows"][0]["stats"]["mean_kld"].as_f64().unwrap();
    worse["rows"][0]["stats"]["mean_kld"] = (kld * 1.5).into();
    let worse_path = dir.path().join("worse.json");
    std::fs::write(&worse_path, serde_json::to_vec(&worse).unwrap()).unwrap();
    let o = edgebench(dir.path())
        .args(["compare"])
        .arg(&base)
        .arg(&worse_path)
        .output()
        .unwrap();
    let md = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(1), "{md}");
    assert!(md.contains("| WORSE |") && md.contains("+50.0 %"), "{md}");
    let speed = dir.path().join("speed.json");
    std::fs::write(&speed, "[]").unwrap();
    let o = edgebench(dir.path())
        .args(["compare"])
        .arg(&base)
        .arg(&speed)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("base.json is a quality record and"), "{err}");
}

/// `--text`: the text through the reference's tokenizer (llama.cpp) gives
/// the ids; a text too short for --tokens, and a reference backend without
/// a tokenizer, are refused by name.
#[test]
fn text_is_tokenized_by_the_reference() {
    let dir = tempfile::tempdir().unwrap();
    // tiny q4_0 against tiny f32, 2 threads, with `extra`.
    let quality = |extra: &[&str]| {
        edgebench(dir.path())
            .args([
                "quality",
                "synth:tiny-q4_0",
                "--reference",
                "synth:tiny-f32",
            ])
            .args(["-t", "2"])
            .args(extra)
            .output()
            .unwrap()
    };
    let o = quality(&["--text", "builtin", "--tokens", "96", "-o", "json"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    let source = v["tokens_source"].as_str().unwrap();
    assert!(
        source.starts_with("text: builtin (the Gettysburg Address"),
        "{source}"
    );
    assert_eq!(v["n_tokens"], 96);
    assert!(v["rows"][0]["stats"]["mean_kld"].as_f64().unwrap() > 0.0);
    // The cpu backend tokenizes with edgebench's own SentencePiece
    // tokenizer: text works without llama.cpp as the reference.
    let o = quality(&[
        "--text",
        "builtin",
        "--reference-backend",
        "cpu",
        "-b",
        "cpu",
        "--tokens",
        "96",
        "-o",
        "json",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    let source = v["tokens_source"].as_str().unwrap();
    assert!(
        source.starts_with("text: builtin") && source.ends_with("(cpu)"),
        "{source}"
    );
    let short = dir.path().join("short.txt");
    std::fs::write(&short, "Hi\n").unwrap();
    for (extra, want) in [
        (
            vec!["--text", short.to_str().unwrap()],
            "gives 5 token ids with the reference's vocabulary, fewer than --tokens 128"
                .to_string(),
        ),
        (
            vec!["--text", "builtin", "--reference-backend", "onnx:cpu"],
            "tokenizing text on onnx:cpu".to_string(),
        ),
    ] {
        let o = quality(&extra);
        assert_eq!(o.status.code(), Some(2));
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains(&want), "{err}");
    }
}
