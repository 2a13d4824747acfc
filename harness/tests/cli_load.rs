//! `edgebench load`: open-loop load from the command line, on the mock's
//! virtual clock (exact) and on llama.cpp (real), and its bad input.
mod common;
use common::edgebench;
use predicates::prelude::*;

fn json(out: &[u8]) -> serde_json::Value {
    serde_json::from_slice(out).expect("JSON on stdout")
}

/// Requests of 32 + 8 tokens cost 0.32 + 7 x 0.1 = 1.02 ms on the mock:
/// one at a time, capacity is below 1 / 1.02 ms = 980 req/s, and with a
/// 5 ms TTFT limit on the p99 it is the TTFT that binds.
#[test]
fn mock_load_runs_and_capacity() {
    let cache = tempfile::tempdir().unwrap();
    let out = edgebench(cache.path())
        .args([
            "load",
            "-b",
            "mock",
            "--mock-spec",
            "prefill_us=10,decode_us=100",
        ])
        .args([
            "-p",
            "32",
            "-n",
            "8",
            "--rate",
            "500,1200",
            "--requests",
            "2000",
        ])
        .args(["--ttft-ms", "5", "--capacity", "-o", "json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v = json(&out.stdout);
    assert_eq!(v["kind"], "load");
    assert_eq!(v["schema_version"], 2);
    assert_eq!(v["backend"]["id"], "mock");
    let l = &v["load"];
    assert_eq!(l["concurrency"], serde_json::json!([1]));
    assert!((l["service_ms"].as_f64().unwrap() - 1.02).abs() < 1e-9);
    let runs = l["points"].as_array().unwrap();
    assert_eq!(runs.len(), 2);
    assert_eq!(runs[0]["samples"].as_array().unwrap().len(), 2000);
    assert_eq!(runs[0]["overloaded"], false);
    // 1200 req/s is past what one request at a time can serve.
    assert_eq!(runs[1]["overloaded"], true);
    assert!(runs[1]["served_rps"].as_f64().unwrap() < 981.0);
    assert_eq!(runs[0]["concurrency"], 1);
    let cap = &l["capacity"][0];
    assert_eq!(cap["concurrency"], 1);
    let (rps, failed) = (
        cap["rps"].as_f64().unwrap(),
        cap["failed_rps"].as_f64().unwrap(),
    );
    assert!(rps > 100.0 && rps < failed && failed < 980.4, "{cap}");
    assert!((failed - rps) / failed <= 0.02, "{cap}");
    assert!(
        cap["binding"].as_str().unwrap().starts_with("TTFT p99"),
        "{cap}"
    );
}

#[test]
fn bad_load_flags_are_named() {
    let cache = tempfile::tempdir().unwrap();
    for (args, want) in [
        (vec!["--rate", "0"], "--rate 0"),
        (vec!["--rate=-2"], "--rate -2"),
        (vec!["--rate", "1", "--requests", "0"], "--requests 0"),
        (vec!["--rate", "1", "-n", "0"], "--n-gen"),
        (
            vec!["--rate", "1", "--step-tokens", "1"],
            "--step-tokens is 1; give 2 to",
        ),
        (
            vec!["--rate", "1", "-c", "1,4", "--step-tokens", "4"],
            "--step-tokens is 4 at concurrency 4: a step holds each running request's next token",
        ),
        (
            vec!["--rate", "1", "--step-tokens", "100000"],
            "--step-tokens 100000 is above the context's batch size",
        ),
        (
            vec!["--rate", "1", "-p", "64-32"],
            "`64-32`: the range's first count is above its second",
        ),
        (
            vec!["--rate", "1", "--duration", "0s"],
            "--duration must be longer than 0",
        ),
        (
            vec!["--rate", "1", "--duration", "1s", "--requests", "5"],
            "cannot be used with",
        ),
        (
            vec!["--rate", "1", "--trace", "/nonexistent/t.jsonl"],
            "--trace /nonexistent/t.jsonl: ",
        ),
        (vec!["--rate", "1", "--ttft-ms", "0"], "--ttft-ms 0"),
        (vec![], "--rate"),
        (vec!["--rate", "1", "-c", "0"], "--concurrency 0"),
        (vec!["--rate", "1", "-c", "1,300"], "at most 256 sequences"),
        // The mock runs one sequence at a time: said, not run serially.
        (
            vec!["--rate", "1", "-c", "4"],
            "unsupported: concurrency > 1 on mock",
        ),
    ] {
        edgebench(cache.path())
            .args(["load", "-b", "mock"])
            .args(&args)
            .assert()
            .code(2)
            .stderr(predicate::str::contains(want));
    }
}

/// A trace with a bad line is named with the line; a trace and -p/-n
/// together are refused (one would silently win).
#[test]
fn a_bad_trace_is_named_with_its_line() {
    let cache = tempfile::tempdir().unwrap();
    let t = cache.path().join("t.jsonl");
    std::fs::write(
        &t,
        "{\"prompt_len\": 8, \"gen_len\": 4}\n{\"prompt_len\": 8, \"gen_len\": \"4\"}\n",
    )
    .unwrap();
    let trace = t.to_str().unwrap();
    edgebench(cache.path())
        .args(["load", "-b", "mock", "--rate", "1", "--trace", trace])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(format!(
            "--trace {trace}:2: invalid type: string \"4\""
        )));
    edgebench(cache.path())
        .args([
            "load", "-b", "mock", "--rate", "1", "--trace", trace, "-p", "8",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("cannot be used with"));
}

/// The shipped mix replayed for a timed run: requests take the trace's
/// lengths in order, repeated, and the record says how lengths were chosen.
/// Lengths drawn from ranges stay within them.
#[test]
fn traces_and_ranges_shape_the_requests() {
    let cache = tempfile::tempdir().unwrap();
    let mix = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../profiles/traces/chat-mix.jsonl"
    );
    let trace = edgebench_devices::load_lengths::read_trace(std::path::Path::new(mix)).unwrap();
    let out = edgebench(cache.path())
        .args([
            "load",
            "-b",
            "mock",
            "--mock-spec",
            "prefill_us=10,decode_us=100",
        ])
        .args(["--trace", mix, "--rate", "50", "--duration", "2s"])
        .args(["--arrival", "constant", "-o", "json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v = json(&out.stdout);
    let l = &v["load"];
    assert_eq!(
        l["lengths"],
        "trace chat-mix.jsonl (24 requests, repeated in order)"
    );
    assert_eq!(l["duration_s"], 2.0);
    // Constant arrivals every 20 ms within 2 s: 100 of them.
    let samples = l["points"][0]["samples"].as_array().unwrap();
    assert_eq!(samples.len(), 100);
    for (i, r) in samples.iter().enumerate() {
        let (p, g) = trace[i % trace.len()];
        assert_eq!(
            (r["n_prompt"].as_u64(), r["n_gen"].as_u64()),
            (Some(p.into()), Some(g.into()))
        );
        assert_eq!(r["itl_ns"].as_array().unwrap().len() as u32 + 1, g);
    }
    // The longest request sized the context.
    assert_eq!(v["workload"]["n_prompt"], 512);
    assert_eq!(v["workload"]["n_gen"], 192);

    let out = edgebench(cache.path())
        .args([
            "load", "-b", "mock", "-p", "16-64", "-n", "2-9", "--rate", "100",
        ])
        .args(["--requests", "2000", "-o", "json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v = json(&out.stdout);
    assert_eq!(v["load"]["lengths"], "uniform 16-64+2-9");
    let samples = v["load"]["points"][0]["samples"].as_array().unwrap();
    let p: Vec<u64> = samples
        .iter()
        .map(|r| r["n_prompt"].as_u64().unwrap())
        .collect();
    let g: Vec<u64> = samples
        .iter()
        .map(|r| r["n_gen"].as_u64().unwrap())
        .collect();
    assert!(p.iter().all(|x| (16..=64).contains(x)) && g.iter().all(|x| (2..=9).contains(x)));
    // 2000 draws of 49 values: both ends show up.
    assert!(p.contains(&16) && p.contains(&64) && g.contains(&2) && g.contains(&9));
}

/// The real backend: every request served with its tokens, TTFT from
/// arrival at least the service's own prefill.
#[cfg(feature = "llama")]
#[test]
fn llama_cpp_serves_an_open_loop_load() {
    let cache = tempfile::tempdir().unwrap();
    let out = edgebench(cache.path())
        .args([
            "load",
            "-m",
            "synth:tiny-q4_0",
            "-b",
            "llama.cpp",
            "-t",
            "2",
        ])
        .args([
            "-p",
            "32",
            "-n",
            "8",
            "--rate",
            "50",
            "--requests",
            "20",
            "-c",
            "1,4",
            "-o",
            "json",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v = json(&out.stdout);
    let runs = v["load"]["points"].as_array().unwrap();
    assert_eq!(runs.len(), 2, "one run per concurrency");
    for (run, c) in runs.iter().zip([1, 4]) {
        assert_eq!(run["concurrency"], c);
        assert_eq!(run["dropped"], 0);
        let samples = run["samples"].as_array().unwrap();
        assert_eq!(samples.len(), 20);
        for s in samples {
            assert!(s["end_ns"].as_u64().unwrap() > s["first_token_ns"].as_u64().unwrap());
            assert!(s["start_ns"].as_u64().unwrap() >= s["arrival_ns"].as_u64().unwrap());
            assert_eq!(s["itl_ns"].as_array().unwrap().len(), 7, "c {c}");
        }
        assert!(run["ttft_ms"]["p50"].as_f64().unwrap() > 0.0);
        assert!(run["gen_tps"].as_f64().unwrap() > 0.0);
    }
    assert_eq!(v["backend"]["id"], "llama.cpp");
    // The record reads back as a record (report, compare, history).
    let r: edgebench_reports::Record = serde_json::from_value(v.clone()).unwrap();
    assert_eq!(r.kind, edgebench_reports::record::RecordKind::Load);
}

/// A load run that dies part way keeps what it measured in `--out`: the
/// record is written after every run and capacity trial. On the mock, 200
/// requests of 32 + 8 tokens are ~1,500 decodes, so decode 4000 falls in
/// the capacity search's second trial: the --rate run and the first trial
/// are kept, the search marked cut. A crash leaves status `interrupted`;
/// an error, `failed` with the error.
#[test]
fn a_load_run_stopped_part_way_keeps_what_it_measured() {
    for (fault, status) in [("crash", "interrupted"), ("fail", "failed")] {
        let cache = tempfile::tempdir().unwrap();
        let rec = cache.path().join("load.json");
        let out = edgebench(cache.path())
            .args(["load", "-b", "mock", "--mock-spec"])
            .arg(format!("prefill_us=10,decode_us=100,{fault}=decode:4000"))
            .args(["-p", "32", "-n", "8", "--rate", "500", "--requests", "200"])
            .args(["--ttft-ms", "5", "--capacity", "--out"])
            .arg(&rec)
            .output()
            .unwrap();
        assert!(!out.status.success(), "{fault}: it must not succeed");
        let v: serde_json::Value = serde_json::from_slice(
            &std::fs::read(&rec).unwrap_or_else(|e| panic!("{fault}: no record kept: {e}")),
        )
        .unwrap();
        assert_eq!(v["status"], status, "{fault}: {}", v["reason"]);
        let reason = v["reason"].as_str().unwrap();
        assert!(
            reason.contains(
                "; kept what it had measured: 1 of 1 run(s) and 0 of 1 capacity search(es) \
                 finished, the search at concurrency 1 was cut after 1 trial(s)"
            ),
            "{fault}: {reason}"
        );
        if fault == "fail" {
            assert!(
                reason.contains("injected failure at Decode call 4000"),
                "{fault}: the error is kept: {reason}"
            );
        }
        let l = &v["load"];
        assert_eq!(l["points"][0]["samples"].as_array().unwrap().len(), 200);
        let cut = &l["capacity"][0];
        assert_eq!(cut["finished"], false, "{cut}");
        assert_eq!(cut["tried"].as_array().unwrap().len(), 1, "{cut}");
        assert_eq!(cut["trials"].as_array().unwrap().len(), 1, "{cut}");
    }
}
