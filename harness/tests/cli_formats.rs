//! Every output format of `run`, on the deterministic mock backend, as
//! snapshots. Only what truly varies between runs (host, time, memory, load
//! time, cache path, build) is masked; every statistic is exact.
mod common;
use common::{edgebench, mock_run};

fn mock_output(format: &str) -> String {
    let cache = tempfile::tempdir().unwrap();
    let args = mock_run(&["-o", format, "-p", "16,32"]);
    let out = edgebench(cache.path()).args(args).assert().success();
    String::from_utf8(out.get_output().stdout.clone()).unwrap()
}

fn mask_json(v: &mut serde_json::Value) {
    for r in v.as_array_mut().unwrap() {
        r["edgebench"] = "[build]".into();
        r["host"] = "[host]".into();
        r["timestamp"] = "[time]".into();
        r["thermal_at_start"] = "[temperatures]".into();
        r["telemetry_at_start"] = "[telemetry]".into();
        r["model"]["path"] = "[cache]/models/...".into();
        r["metrics"]["peak_rss_bytes"] = "[rss]".into();
        r["metrics"]["load_ms"] = "[load]".into();
        r["metrics"]["case_wall_ms"] = "[wall]".into();
        r["backend"]["version"] = "[version]".into();
        // What the machine has free right now, and where that was read.
        r["preflight"]["available_bytes"] = "[available]".into();
        r["preflight"]["available_source"] = "[source]".into();
    }
}

#[test]
fn json_snapshot() {
    let mut v: serde_json::Value = serde_json::from_str(&mock_output("json")).unwrap();
    mask_json(&mut v);
    insta::assert_json_snapshot!(v);
}

#[test]
fn jsonl_holds_the_same_records_as_json() {
    let mut json: serde_json::Value = serde_json::from_str(&mock_output("json")).unwrap();
    let text = mock_output("jsonl");
    assert_eq!(text.lines().count(), 2, "one line per record");
    let mut lines = serde_json::Value::Array(
        text.lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect(),
    );
    mask_json(&mut json);
    mask_json(&mut lines);
    assert_eq!(json, lines);
}

#[test]
fn md_snapshot() {
    let text = mock_output("md");
    // Column widths depend on the masked peak-RSS value; compare modulo padding.
    insta::with_settings!({filters => vec![
        (r"\d+\.\d MiB", "[rss]"),
        (r" {2,}", " "),
        (r"-{3,}", "---"),
    ]}, {
        insta::assert_snapshot!(text);
    });
}

/// Splits one CSV line, honouring RFC 4180 quotes.
fn split_csv(line: &str) -> Vec<String> {
    let (mut out, mut cur, mut quoted, mut chars) =
        (vec![], String::new(), false, line.chars().peekable());
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                cur.push('"');
                chars.next();
            }
            ('"', _) => quoted = !quoted,
            (',', false) => out.push(std::mem::take(&mut cur)),
            _ => cur.push(c),
        }
    }
    out.push(cur);
    out
}

#[test]
fn csv_snapshot() {
    let text = mock_output("csv");
    let mut lines = text.lines();
    let header = split_csv(lines.next().unwrap());
    let masked = [
        "timestamp",
        "host_cpu_model",
        "host_hostname",
        "backend_version",
        "model_path",
        "load_ms",
        "peak_rss_bytes",
    ];
    let mut out = vec![header.join(",")];
    for line in lines {
        let cells: Vec<String> = split_csv(line)
            .into_iter()
            .zip(&header)
            .map(|(cell, name)| {
                if masked.contains(&name.as_str()) {
                    format!("[{name}]")
                } else {
                    cell
                }
            })
            .collect();
        assert_eq!(cells.len(), header.len(), "every row has every column");
        out.push(cells.join(","));
    }
    insta::assert_snapshot!(out.join("\n"));
}
