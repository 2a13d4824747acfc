//! Model paths resolve against the profile's folder and may not leave it;
//! durations accept seconds or "10m"-style strings.
use std::path::Path;

use edgebench_devices::profile::{ArtifactFormat, Profile, ProfileError};

fn with_model(model: &str) -> String {
    format!(
        "[device]\nname = \"box\"\nclass = \"laptop\"\n\n[[model]]\nid = \"m\"\n{model}\n\n[matrix]\nbackends = [\"llama.cpp\"]\nthreads = [1]\nn_prompt = [8]\nn_gen = [0]\n"
    )
}

fn problems(text: &str, base: &Path) -> String {
    match Profile::parse(text, "p.toml", base) {
        Err(ProfileError::Invalid { problems, .. }) => problems.join("\n"),
        other => panic!("expected problems, got {other:?}"),
    }
}

#[test]
fn relative_paths_resolve_against_the_profile_folder() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("lab")).unwrap();
    // Canonical, as load makes the folder (e.g. /tmp is a link on macOS).
    let sub = std::fs::canonicalize(dir.path().join("lab")).unwrap();
    let file = sub.join("board.toml");
    std::fs::write(
        &file,
        with_model(
            "gguf = \"models/x.gguf\"\nonnx = { path = \"./onnx/../onnx/model.onnx\", sha256 = \"ABCDEF0123456789abcdef0123456789ABCDEF0123456789abcdef0123456789\" }",
        ),
    )
    .unwrap();
    let p = Profile::load(&file).unwrap();
    let m = &p.models[0];
    let gguf = m.artifact(ArtifactFormat::Gguf).unwrap();
    assert_eq!(gguf.path, sub.join("models/x.gguf"));
    assert_eq!(gguf.sha256, None);
    let onnx = m.artifact(ArtifactFormat::Onnx).unwrap();
    assert_eq!(onnx.path, sub.join("onnx/model.onnx"));
    assert_eq!(
        onnx.sha256.as_deref(),
        Some("abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789"),
        "pins are stored lower case"
    );
    assert_eq!(p.origin, file.display().to_string());
}

#[test]
fn a_relative_profile_path_still_gives_absolute_model_paths() {
    // Integration tests run in the package folder (devices/).
    let p = Profile::load(Path::new("../profiles/jetson.toml")).unwrap();
    assert_eq!(p.origin, "../profiles/jetson.toml");
    let profiles = std::fs::canonicalize("../profiles").unwrap();
    let gguf = &p.models[0].artifacts[0];
    assert_eq!(
        gguf.path,
        profiles.join("models/Llama-3.2-1B-Instruct-Q4_K_M.gguf")
    );
}

#[test]
fn dot_dot_that_leaves_the_folder_is_refused() {
    for bad in ["../x.gguf", "models/../../x.gguf", "./../secret/x.gguf"] {
        let text = with_model(&format!("gguf = \"{bad}\""));
        let all = problems(&text, Path::new("/lab/profiles"));
        assert!(all.contains("p.toml:7:8: model[0].gguf: "), "{all}");
        assert!(
            all.contains("leaves the profile's folder /lab/profiles"),
            "{all}"
        );
        assert!(
            all.contains("absolute path"),
            "says what to do instead: {all}"
        );
    }
    let text = with_model("gguf = { path = \"../x.gguf\" }");
    let all = problems(&text, Path::new("/lab"));
    assert!(
        all.contains("p.toml:7:17: model[0].gguf"),
        "points at the path: {all}"
    );
}

#[test]
fn dot_dot_that_stays_inside_and_absolute_paths_are_allowed() {
    let text = with_model("gguf = \"models/old/../x.gguf\"\nonnx = \"/srv/models/m.onnx\"");
    let p = Profile::parse(&text, "p.toml", Path::new("/lab")).unwrap();
    let m = &p.models[0];
    assert_eq!(m.artifacts[0].path, Path::new("/lab/models/x.gguf"));
    assert_eq!(m.artifacts[1].path, Path::new("/srv/models/m.onnx"));
}

#[test]
fn tilde_and_empty_paths_are_refused() {
    let all = problems(&with_model("gguf = \"~/m.gguf\""), Path::new("/lab"));
    assert!(all.contains("not expanded"), "{all}");
    let all = problems(&with_model("gguf = \"\""), Path::new("/lab"));
    assert!(all.contains("model[0].gguf: is empty"), "{all}");
    let all = problems(&with_model("gguf = { sha256 = \"00\" }"), Path::new("/lab"));
    assert!(all.contains("model[0].gguf.path: missing"), "{all}");
}

fn sustained(body: &str) -> Result<Profile, ProfileError> {
    let text = with_model("synth = { preset = \"tiny\", quant = \"f16\", seed = 7 }")
        + "\n[sustained]\n"
        + body;
    Profile::parse(&text, "p.toml", Path::new("/lab"))
}

#[test]
fn durations_take_seconds_or_unit_strings() {
    let s = sustained("duration = \"10m\"\nwindow = \"5s\"\n")
        .unwrap()
        .sustained
        .unwrap();
    assert_eq!((s.duration_s, s.window_s), (600.0, 5.0));
    let s = sustained("duration = \"1h30m\"\nwindow = 2.5\n")
        .unwrap()
        .sustained
        .unwrap();
    assert_eq!((s.duration_s, s.window_s), (5400.0, 2.5));
    let s = sustained("duration = 90\n").unwrap().sustained.unwrap();
    assert_eq!((s.duration_s, s.window_s), (90.0, 5.0));
    let s = sustained("").unwrap().sustained.unwrap();
    assert_eq!((s.duration_s, s.window_s), (600.0, 5.0));
}

#[test]
fn bad_durations_say_what_is_allowed() {
    let e = sustained("duration = \"10\"\n").unwrap_err().to_string();
    assert!(
        e.contains("sustained.duration: `10` has a number without a unit"),
        "{e}"
    );
    assert!(e.contains("\"10m\""), "{e}");
    let e = sustained("duration = \"5s\"\nwindow = \"10s\"\n")
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("sustained.window: 10 s is not shorter than the duration"),
        "{e}"
    );
    let e = sustained("duration = -3\n").unwrap_err().to_string();
    assert!(e.contains("sustained.duration: is -3 s"), "{e}");
    let e = sustained("duration = true\n").unwrap_err().to_string();
    assert!(
        e.contains("p.toml:16:12: wrong type for `duration` in [sustained]"),
        "{e}"
    );
}

#[test]
fn matrix_timeout_takes_a_duration() {
    let text =
        with_model("synth = { preset = \"tiny\", quant = \"q8_0\" }") + "timeout = \"90s\"\n";
    let p = Profile::parse(&text, "p.toml", Path::new("/lab")).unwrap();
    assert_eq!(p.matrix.timeout_s, 90.0);
}
