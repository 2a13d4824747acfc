//! A sweep with a `[load]` section, on the mock backend's virtual clock:
//! the load run comes after the matrix as its own record (kind `load`),
//! it judges no SLO, and the report sizes the fleet from its capacity.
mod common;
use std::path::Path;

use common::edgebench;
use serde_json::Value;

fn profile(dir: &Path, load: &str) -> std::path::PathBuf {
    let p = dir.join("p.toml");
    std::fs::write(
        &p,
        format!(
            r#"
[device]
name = "load box"
class = "sbc"
price_usd = 100

[[model]]
id = "tiny"
synth = {{ preset = "tiny", quant = "q4_0", seed = 42 }}

[matrix]
backends = ["mock"]
threads = [1]
n_prompt = [32]
n_gen = [8]
reps = 2
warmup = 0
timeout = 60
bandwidth = false

[[slo]]
name = "chat TTFT"
metric = "ttft_ms.p99"
op = "<="
threshold = 5

[cost]
lifecycle_usd_per_month = 1
engineering_usd = 0
horizon_months = 12
cloud_cost_per_query_usd = 0.001
monthly_queries = 10000000000

{load}
"#
        ),
    )
    .unwrap();
    p
}

/// `edgebench report` on the sweep in `out`, into `dir`/report: the folder
/// and its report.md.
fn report_md(dir: &Path, out: &Path) -> (std::path::PathBuf, String) {
    let report = dir.join("report");
    edgebench(&dir.join("cache"))
        .arg("report")
        .arg(out)
        .arg("--out")
        .arg(&report)
        .assert()
        .success();
    let md = std::fs::read_to_string(report.join("report.md")).unwrap();
    (report, md)
}

/// The load run's record in the sweep's sweep.json.
fn load_record(out: &Path) -> Value {
    let s: Value = serde_json::from_slice(&std::fs::read(out.join("sweep.json")).unwrap()).unwrap();
    s["records"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["kind"] == "load")
        .expect("a load record")
        .clone()
}

#[test]
fn load_section_runs_and_sizes_the_fleet() {
    let dir = tempfile::tempdir().unwrap();
    // The TTFT limit comes from the profile's SLO (5 ms p99).
    let p = profile(
        dir.path(),
        "[load]\nn_prompt = 32\nn_gen = 8\nrequests = 400\nrates = [100]\n",
    );
    let listing = edgebench(&dir.path().join("cache"))
        .args(["sweep", "--dry-run", "--device"])
        .arg(&p)
        .assert()
        .success();
    let listing = String::from_utf8(listing.get_output().stdout.clone()).unwrap();
    assert!(listing.contains("tiny/mock/t1/load"), "{listing}");
    let out = dir.path().join("out");
    edgebench(&dir.path().join("cache"))
        .args(["sweep", "--device"])
        .arg(&p)
        .arg("--out")
        .arg(&out)
        .args(["--mock-spec", "prefill_us=10,decode_us=100"])
        .assert()
        .success();
    let s: Value = serde_json::from_slice(&std::fs::read(out.join("sweep.json")).unwrap()).unwrap();
    let records = s["records"].as_array().unwrap();
    assert_eq!(records.len(), 2, "one matrix case and one load run");
    let load = records.iter().find(|r| r["kind"] == "load").unwrap();
    assert_eq!(load["status"], "ok", "{}", load["reason"]);
    assert_eq!(load["device"]["name"], "load box");
    assert_eq!(load["model"]["id"], "tiny");
    assert_eq!(load["load"]["limits"]["ttft_ms"], 5.0);
    assert_eq!(load["load"]["points"][0]["rate_rps"], 100.0);
    let cap = &load["load"]["capacity"][0];
    // One at a time at 1.02 ms a request: below 980 req/s.
    let rps = cap["rps"].as_f64().unwrap();
    assert!(rps > 100.0 && rps < 980.4, "{cap}");
    // The SLO is judged on the matrix case only.
    let verdicts = s["verdicts"].as_array().unwrap();
    assert_eq!(verdicts.len(), 1, "{verdicts:?}");
    assert_eq!(verdicts[0]["test"], "req32+8");
    // The report sizes the fleet from the measured capacity.
    let (report, md) = report_md(dir.path(), &out);
    assert!(md.contains("capacity under load"), "{md}");
    assert!(md.contains("at concurrency 1 under load"), "{md}");
    // Its own section, with the capacity's binding limit and both charts.
    assert!(md.contains("## Capacity under load"), "{md}");
    assert!(md.contains("TTFT p99"), "{md}");
    for stem in ["load-throughput-ttft", "load-goodput"] {
        assert!(
            report.join(format!("charts/{stem}.png")).is_file(),
            "{stem}"
        );
        assert!(md.contains(&format!("charts/{stem}.png")), "{md}");
    }
}

#[test]
fn bad_load_sections_are_named_with_their_line() {
    let dir = tempfile::tempdir().unwrap();
    let p = profile(
        dir.path(),
        "[load]\nconcurrency = [0, 300]\nrates = [-1]\narrival = \"bursty\"\ncapacity = false\n",
    );
    let o = edgebench(&dir.path().join("cache"))
        .args(["sweep", "--dry-run", "--device"])
        .arg(&p)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    for want in [
        "load.concurrency",
        "load.rates[0]",
        "load.arrival",
        "p.toml:",
    ] {
        assert!(err.contains(want), "{want} missing: {err}");
    }
}

/// `trace` (relative to the profile's folder) and `duration` reach the
/// child: requests replay the trace's lengths; a range draws them. The
/// group's context is sized for the longest request.
#[test]
fn a_trace_section_replays_its_lengths() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("mix.jsonl"),
        "{\"prompt_len\": 12, \"gen_len\": 3}\n{\"prompt_len\": 40, \"gen_len\": 9}\n",
    )
    .unwrap();
    let p = profile(
        dir.path(),
        "[load]\ntrace = \"mix.jsonl\"\nduration = \"1s\"\nrates = [20]\ncapacity = false\n\
         arrival = \"constant\"\n",
    );
    let out = dir.path().join("out");
    edgebench(&dir.path().join("cache"))
        .args(["sweep", "--device"])
        .arg(&p)
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
    let load = load_record(&out);
    assert_eq!(load["status"], "ok", "{}", load["reason"]);
    assert_eq!(
        load["load"]["lengths"],
        "trace mix.jsonl (2 requests, repeated in order)"
    );
    assert_eq!(load["workload"]["n_prompt"], 40);
    let samples = load["load"]["points"][0]["samples"].as_array().unwrap();
    // Every 50 ms within 1 s.
    assert_eq!(samples.len(), 20);
    for (i, r) in samples.iter().enumerate() {
        let want = if i % 2 == 0 { (12, 3) } else { (40, 9) };
        assert_eq!(
            (r["n_prompt"].clone(), r["n_gen"].clone()),
            (want.0.into(), want.1.into())
        );
    }
}

#[test]
fn bad_lengths_and_traces_are_named() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("bad.jsonl"),
        "{\"prompt_len\": 12, \"gen_len\": 3}\n\n{\"prompt_len\": 12}\n",
    )
    .unwrap();
    for (section, wants) in [
        (
            "[load]\nn_prompt = \"64-8\"\nn_gen = 0\nrequests = 10\nduration = \"1m\"\n\
             concurrency = [1, 4]\nstep_tokens = 4\n",
            vec![
                "load.step_tokens: is 4 at concurrency 4: a step holds each running request's next token",
                "load.n_prompt: `64-8`: the range's first count is above its second",
                "load.n_gen: `0`",
                "load.requests: and load.duration both size a run",
            ],
        ),
        (
            "[load]\ntrace = \"bad.jsonl\"\nn_prompt = 8\n",
            vec![
                "load.trace: replaces load.n_prompt",
                "bad.jsonl:3: missing field `gen_len`",
            ],
        ),
        (
            "[load]\ntrace = \"../x.jsonl\"\n",
            vec!["load.trace: `../x.jsonl` leaves the profile's folder"],
        ),
    ] {
        let p = profile(dir.path(), section);
        let o = edgebench(&dir.path().join("cache"))
            .args(["sweep", "--dry-run", "--device"])
            .arg(&p)
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(2));
        let err = String::from_utf8_lossy(&o.stderr);
        for want in wants {
            assert!(err.contains(want), "{want} missing: {err}");
        }
        assert!(err.contains("p.toml:"), "{err}");
    }
}

/// A load run killed at its `[load] budget` keeps what it had measured:
/// the sweep's record is `timeout` with the child's runs and the search
/// cut mid-way, and the report shows it for what it is without sizing a
/// fleet from it. The mock hangs at decode 4000: in the capacity search's
/// second trial (200 requests of 32 + 8 tokens are ~1,500 decodes).
#[test]
fn a_load_run_past_its_budget_keeps_what_it_measured() {
    let dir = tempfile::tempdir().unwrap();
    let p = profile(
        dir.path(),
        "[load]\nn_prompt = 32\nn_gen = 8\nrequests = 200\nrates = [100]\nbudget = \"3s\"\n",
    );
    let out = dir.path().join("out");
    edgebench(&dir.path().join("cache"))
        .args(["sweep", "--device"])
        .arg(&p)
        .arg("--out")
        .arg(&out)
        .args([
            "--mock-spec",
            "prefill_us=10,decode_us=100,hang=decode:4000",
        ])
        .output()
        .unwrap();
    let load = load_record(&out);
    assert_eq!(load["status"], "timeout", "{}", load["reason"]);
    let reason = load["reason"].as_str().unwrap();
    assert!(
        reason.starts_with(
            "the load run did not finish within 3 s ([load] budget); it was killed; kept what \
             it had measured: 1 of 1 run(s)"
        ),
        "{reason}"
    );
    assert_eq!(load["model"]["id"], "tiny");
    assert_eq!(load["device"]["name"], "load box");
    let l = &load["load"];
    assert_eq!(l["points"][0]["samples"].as_array().unwrap().len(), 200);
    assert_eq!(l["capacity"][0]["finished"], false);
    let (_, md) = report_md(dir.path(), &out);
    assert!(
        md.contains("tiny on mock: the load run stopped before its end (timeout"),
        "{md}"
    );
    assert!(
        md.contains("Concurrency 1: search cut after 1 trial(s)"),
        "{md}"
    );
    assert!(
        !md.contains("at concurrency 1 under load"),
        "no fleet sized from it: {md}"
    );
}
