//! Profiles that are wrong: errors point at file:line:col, say what is
//! wrong and what is allowed, and semantic problems come all at once.
use std::path::Path;

use edgebench_devices::profile::{Profile, ProfileError};

/// A valid minimal profile; tests break one thing at a time.
const MINIMAL: &str = r#"[device]
name = "box"
class = "sbc"

[[model]]
id = "m"
synth = { preset = "tiny", quant = "q4_0" }

[matrix]
backends = ["llama.cpp"]
threads = [2]
n_prompt = [8]
n_gen = [4]
"#;

fn parse(text: &str) -> Result<Profile, ProfileError> {
    Profile::parse(text, "dev.toml", Path::new("/profiles"))
}

fn syntax(text: &str) -> (usize, usize, String) {
    match parse(text) {
        Err(ProfileError::Syntax {
            origin,
            line,
            col,
            message,
            ..
        }) => {
            assert_eq!(origin, "dev.toml");
            (line, col, message)
        }
        other => panic!("expected a syntax error, got {other:?}"),
    }
}

fn problems(text: &str) -> Vec<String> {
    match parse(text) {
        Err(ProfileError::Invalid { origin, problems }) => {
            assert_eq!(origin, "dev.toml");
            problems
        }
        other => panic!("expected validation problems, got {other:?}"),
    }
}

#[test]
fn the_minimal_profile_is_valid_and_takes_defaults() {
    let p = parse(MINIMAL).unwrap();
    assert_eq!(p.matrix.n_depth, [0]);
    assert_eq!((p.matrix.reps, p.matrix.warmup), (5, 1));
    assert_eq!(p.matrix.timeout_s, 600.0);
    assert_eq!((p.matrix.batch, p.matrix.ubatch), (2048, 512));
    assert_eq!(p.matrix.n_gpu_layers, None);
    assert_eq!(p.models[0].synth.as_ref().unwrap().seed, 42);
    assert_eq!(p.models[0].synth.as_ref().unwrap().spec(), "tiny-q4_0-s42");
    assert!(p.slos.is_empty() && p.sustained.is_none() && p.cost.is_none());
}

#[test]
fn unknown_key_names_position_and_allowed_keys() {
    let text = MINIMAL.replace("class = \"sbc\"", "class = \"sbc\"\nmemroy_gb = 8");
    let (line, col, message) = syntax(&text);
    assert_eq!((line, col), (4, 1));
    assert!(
        message.contains("unknown key `memroy_gb` in [device]"),
        "{message}"
    );
    assert!(message.contains("`memory_gb`"), "{message}");
    assert!(message.contains("`mem_bandwidth_gbs`"), "{message}");
    let shown = parse(&text).unwrap_err().to_string();
    assert!(shown.starts_with("dev.toml:4:1: unknown key"), "{shown}");
    assert!(
        shown.contains("memroy_gb = 8\n"),
        "the line is shown: {shown}"
    );
}

#[test]
fn unknown_tables_and_inline_keys_are_refused() {
    let (line, col, message) = syntax(&format!("{MINIMAL}\n[matrx]\nreps = 1\n"));
    assert_eq!((line, col), (15, 2));
    assert!(message.contains("unknown key `matrx`"), "{message}");
    assert!(message.contains("`matrix`"), "{message}");

    let text = MINIMAL.replace("quant = \"q4_0\"", "quant = \"q4_0\", sed = 1");
    let (line, _, message) = syntax(&text);
    assert_eq!(line, 7);
    assert!(message.contains("unknown key `sed`"), "{message}");
    assert!(message.contains("`seed`"), "{message}");
}

#[test]
fn wrong_types_say_what_is_expected() {
    let (line, col, message) = syntax(&MINIMAL.replace("threads = [2]", "threads = 2"));
    assert_eq!((line, col), (11, 11));
    assert!(message.contains("`threads` in [matrix]"), "{message}");
    assert!(message.contains("expected an array"), "{message}");

    let (line, col, message) = syntax(&MINIMAL.replace("name = \"box\"", "name = 7"));
    assert_eq!((line, col), (2, 8));
    assert!(message.contains("expected a string"), "{message}");

    let (line, col, message) = syntax(&MINIMAL.replace("n_gen = [4]", "n_gen = [4, -1]"));
    assert_eq!((line, col), (13, 13));
    assert!(message.contains("-1"), "{message}");

    let (_, _, message) = syntax(&MINIMAL.replace("id = \"m\"", "id = \"m\"\ngguf = 3"));
    assert!(message.contains("a path string or a table"), "{message}");
}

#[test]
fn broken_toml_has_a_position() {
    let (line, col, _) = syntax("[device]\nname = \"unterminated\n");
    assert_eq!(line, 2);
    assert!(col >= 8);
}

#[test]
fn many_semantic_problems_are_reported_together() {
    let text = r#"[device]
name = ""
class = "toaster"
price_usd = -5
peak_tflops = { int9 = 1.0 }

[[model]]
id = "a"
gguf = { path = "a.gguf", sha256 = "1234" }
synth = { preset = "huge", quant = "q3_k" }

[[model]]
id = "a"

[matrix]
backends = ["llama.cpp", "tensorflow"]
threads = [0]
n_prompt = []
n_gen = [4]
reps = 0
timeout = 0

[[slo]]
name = "x"
model = "nope"
metric = "ttft_ms.p95"
op = "<"
threshold = 1

[sustained]
duration = "ten minutes"
"#;
    let p = problems(text);
    let all = p.join("\n");
    let expect = [
        "dev.toml:2:8: device.name: is empty",
        "dev.toml:3:9: device.class: `toaster` is not a device class; allowed: server, desktop, laptop, sbc, jetson, phone, npu-pc",
        "dev.toml:4:13: device.price_usd: is -5",
        "device.peak_tflops.int9: `int9` is not a precision",
        "model[0]: has both model files and `synth`",
        "model[0].gguf.sha256: `1234` is not a sha256",
        "model[0].synth.preset: `huge` is not a synthetic preset; allowed: tiny, small, medium",
        "model[0].synth.quant: `q3_k` is not a synthetic quant; allowed: q4_0, q8_0, q4_1, q5_0, q4_k_m, q4_k_s, q5_k_m, q6_k, f16, bf16, f32",
        "model[1].id: `a` is already the id of model[0]",
        "model[1]: has no model",
        "matrix.backends[1]: `tensorflow` is not a backend id; known: llama.cpp",
        "matrix.threads[0]: is 0; it must be >= 1",
        "matrix.n_prompt: is empty",
        "matrix.reps: is 0",
        "matrix.timeout: is 0 s",
        "slo[0].model: `nope` is not the id of any [[model]]",
        "slo[0].metric: `ttft_ms.p95` is not a metric; known: ttft_ms.mean",
        "slo[0].op: `<` is not an op",
        "sustained.duration: `ten minutes` is not a duration",
    ];
    for e in expect {
        assert!(all.contains(e), "missing {e:?} in:\n{all}");
    }
    assert!(
        p.iter().all(|l| l.starts_with("dev.toml:")),
        "every problem names the file:\n{all}"
    );
    let shown = parse(text).unwrap_err().to_string();
    assert!(
        shown.starts_with(&format!(
            "dev.toml: {} problems in the profile:\n  dev.toml:2:8: ",
            p.len()
        )),
        "{shown}"
    );
    // File order: line numbers never go down.
    let lines: Vec<usize> = p
        .iter()
        .filter_map(|l| l.split(':').nth(1)?.parse().ok())
        .collect();
    assert!(lines.windows(2).all(|w| w[0] <= w[1]), "{lines:?}");
}

#[test]
fn missing_sections_and_keys_are_listed() {
    let p = problems("");
    let all = p.join("\n");
    assert!(all.contains("[device]: missing"), "{all}");
    assert!(all.contains("[[model]]: none given"), "{all}");
    assert!(all.contains("[matrix]: missing"), "{all}");

    let text = MINIMAL
        .replace("name = \"box\"\nclass = \"sbc\"\n", "")
        .replace("n_gen = [4]\n", "");
    let all = problems(&text).join("\n");
    assert!(all.contains("dev.toml:1:1: device.name: missing"), "{all}");
    assert!(all.contains("device.class: missing"), "{all}");
    assert!(all.contains("matrix.n_gen: missing"), "{all}");
}

#[test]
fn slo_filters_must_name_known_models_and_backends() {
    let text = format!(
        "{MINIMAL}\n[[slo]]\nname = \"a\"\nbackend = \"onnx:cpu\"\nmetric = \"peak_rss_mb\"\nop = \"<=\"\nthreshold = 10\n\n[[slo]]\nname = \"a\"\nmetric = \"sustained_ratio\"\nop = \">=\"\nthreshold = 0.8\n"
    );
    let all = problems(&text).join("\n");
    assert!(
        all.contains("slo[0].backend: `onnx:cpu` is not in [matrix] backends"),
        "{all}"
    );
    assert!(
        all.contains("slo[1].name: `a` is already the name of slo[0]"),
        "{all}"
    );
}

#[test]
fn reserved_metrics_and_unbuilt_backends_parse() {
    let text = MINIMAL.replace(
        "backends = [\"llama.cpp\"]",
        "backends = [\"llama.cpp\", \"onnx:cuda\", \"cpu\"]",
    ) + "\n[[slo]]\nname = \"steady\"\nbackend = \"onnx:cuda\"\nmetric = \"sustained_ratio\"\nop = \">=\"\nthreshold = 0.8\n";
    let p = parse(&text).unwrap();
    assert_eq!(p.matrix.backends, ["llama.cpp", "onnx:cuda", "cpu"]);
    assert!(p.slos[0].metric.is_sustained());
}

#[test]
fn cost_needs_a_capex_and_a_cloud_price() {
    let text = format!("{MINIMAL}\n[cost]\nhorizon_months = 0\n");
    let all = problems(&text).join("\n");
    assert!(
        all.contains("cost.capex_usd: missing and [device] has no price_usd"),
        "{all}"
    );
    assert!(
        all.contains("cost.cloud_cost_per_query_usd: missing"),
        "{all}"
    );
    assert!(all.contains("cost.horizon_months: is 0"), "{all}");

    let text = MINIMAL.replace("class = \"sbc\"", "class = \"sbc\"\nprice_usd = 80")
        + "\n[cost]\ncloud_cost_per_query_usd = 0.001\n";
    let c = parse(&text).unwrap().cost.unwrap();
    assert_eq!(c.capex_usd, 80.0);
    assert_eq!(
        (
            c.lifecycle_usd_per_month,
            c.engineering_usd,
            c.horizon_months
        ),
        (0.0, 0.0, 36.0)
    );
    assert_eq!(c.monthly_queries, None);
}

#[test]
fn a_missing_file_names_the_path() {
    let e = Profile::load(Path::new("/no/such/profile.toml")).unwrap_err();
    assert!(matches!(e, ProfileError::Read { .. }));
    assert!(e.to_string().contains("/no/such/profile.toml"), "{e}");
}

#[test]
fn cooldown_and_sustained_sections_take_defaults() {
    let text = MINIMAL.replace(
        "n_gen = [4]\n",
        "n_gen = [4]\ncooldown = { max_temp_c = 60 }\n\n[sustained]\nduration = \"2m\"\n",
    );
    let p = parse(&text).unwrap();
    let cd = p.matrix.cooldown.unwrap();
    assert_eq!((cd.max_temp_c, cd.timeout_s), (60.0, 600.0));
    let s = p.sustained.unwrap();
    assert_eq!((s.duration_s, s.window_s), (120.0, 5.0));
    assert_eq!(s.models, ["m"]);
    assert_eq!(s.backends, ["llama.cpp"]);
    assert_eq!((s.threads, s.n_prompt, s.n_gen), (2, 128, 128));
    assert_eq!(
        (s.gap_s, s.telemetry_hz, s.cooldown_watch),
        (0.0, 1.0, false)
    );
}

#[test]
fn bad_cooldown_and_sustained_values_are_named_together() {
    let text = MINIMAL.replace(
        "n_gen = [4]\n",
        "n_gen = [4]\ncooldown = { timeout_s = \"soon\" }\n\n[sustained]\n\
         models = [\"nope\"]\nbackends = [\"tpu\"]\nthreads = 0\nn_gen = 1\n\
         gap = -1\ntelemetry_hz = 500.0\n",
    );
    let all = problems(&text).join("\n");
    for key in [
        "matrix.cooldown.max_temp_c",
        "matrix.cooldown.timeout_s",
        "sustained.models[0]",
        "sustained.backends[0]",
        "sustained.threads",
        "sustained.n_gen",
        "sustained.gap",
        "sustained.telemetry_hz",
    ] {
        assert!(all.contains(key), "{key} not named in:\n{all}");
    }
    assert!(all.contains("`nope` is not a [[model]] id"), "{all}");
    let unknown = MINIMAL.replace(
        "n_gen = [4]\n",
        "n_gen = [4]\ncooldown = { max_temp = 60 }\n",
    );
    assert!(matches!(parse(&unknown), Err(ProfileError::Syntax { .. })));
}
