//! The hardware-selection report: report.md for a fixed pair of devices
//! (snapshot), the cost model against hand-worked figures, and bad inputs.
mod report_fixtures;

use std::path::{Path, PathBuf};

use edgebench_devices::profile::Cost;
use edgebench_reports::report::cost::{Capacity, CostInputs, CostModel};
use edgebench_reports::report::{self, Options, ReportError, ReportFormat};

fn opts() -> Options {
    Options {
        slo_profile: None,
        edgebench_version: "0.1.0".into(),
    }
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * b.abs().max(1.0)
}

/// Writes the report of `inputs` into `out` and returns report.md.
fn report_md(inputs: &[PathBuf], out: &Path) -> String {
    let r = report::build(inputs, &opts()).unwrap();
    report::write(&r, out, &[ReportFormat::Md, ReportFormat::Html]).unwrap();
    std::fs::read_to_string(out.join("report.md")).unwrap()
}

#[test]
fn report_md_for_two_devices() {
    let dir = tempfile::tempdir().unwrap();
    let (jetson, pi) = report_fixtures::two_devices(dir.path());
    let out = dir.path().join("report");
    let md = report_md(&[jetson, pi], &out);
    // Small multiples per model (one model here), then the roofline.
    for chart in [
        "decode-tps-llama-1b",
        "prefill-tps-llama-1b",
        "ttft-vs-prompt-llama-1b",
        "itl-percentiles-llama-1b",
        "roofline",
    ] {
        let png = std::fs::read(out.join("charts").join(format!("{chart}.png"))).unwrap();
        assert!(
            png.starts_with(b"\x89PNG\r\n\x1a\n"),
            "{chart}.png is a PNG"
        );
        assert!(
            md.contains(&format!("](charts/{chart}.png)")),
            "{chart} linked"
        );
    }
    let root = dir.path().display().to_string();
    insta::with_settings!({filters => vec![(root.as_str(), "[TMP]")]}, {
        insta::assert_snapshot!("report_md_two_devices", md);
    });
}

#[test]
fn slo_matrix_ranking_and_missing_backend() {
    let dir = tempfile::tempdir().unwrap();
    let (jetson, pi) = report_fixtures::two_devices(dir.path());
    let r = report::build(&[jetson, pi], &opts()).unwrap();
    assert_eq!(r.devices.len(), 2);
    let (j, p) = (&r.devices[0], &r.devices[1]);
    assert!(j.meets_every_slo(), "{:?}", j.verdicts);
    assert!(!p.meets_every_slo());
    let failed: Vec<&str> = p
        .verdicts
        .iter()
        .filter(|v| !v.pass)
        .map(|v| v.slo.as_str())
        .collect();
    assert_eq!(failed, ["readable streaming", "readable streaming"]);
    let ranked = report::device::ranking(&r.devices);
    assert_eq!(ranked.len(), 1);
    assert_eq!(ranked[0].0.label, "Jetson AGX Orin 64GB");
    // Jetson fleet for 100k queries: one device, 1999 + 7 x 36 + 20000.
    assert!(close(ranked[0].1.unwrap(), 22_251.0));
    assert!(
        !p.pairs()
            .contains(&("llama-1b".to_owned(), "onnx:cuda".to_owned()))
    );
}

/// The Jetson profile's [cost] (profiles/jetson.toml), worked by hand.
fn jetson_inputs(monthly_queries: Option<f64>) -> CostInputs {
    CostInputs {
        cost: Cost {
            capex_usd: 1999.0,
            lifecycle_usd_per_month: 7.0,
            engineering_usd: 20_000.0,
            horizon_months: 36.0,
            cloud_cost_per_query_usd: 0.0005,
            monthly_queries,
            note: None,
        },
        price_usd: Some(1999.0),
    }
}

#[test]
fn cost_model_hand_worked() {
    let m = CostModel::compute(&jetson_inputs(Some(100_000.0)));
    // cloud = 0.0005 x 100,000 x 36 = 1,800
    assert!(close(m.cloud_usd.unwrap(), 1_800.0));
    // edge = 1,999 + 7 x 36 + 20,000 = 22,251
    assert!(close(m.edge_usd, 22_251.0));
    // savings = 1,800 - 22,251 = -20,451, i.e. -1,136.17 % of cloud
    assert!(close(m.savings_usd.unwrap(), -20_451.0));
    assert!(close(m.savings_pct.unwrap(), -20_451.0 / 1_800.0 * 100.0));
    // V_tipping = 22,251 / (0.0005 x 36) = 22,251 / 0.018 = 1,236,166.67
    assert!(close(m.tipping_queries_per_month, 22_251.0 / 0.018));
    assert!((m.tipping_queries_per_month - 1_236_166.666_666_7).abs() < 1e-3);
    // Without V there is no cloud cost, but the tipping volume stands.
    let m = CostModel::compute(&jetson_inputs(None));
    assert_eq!(
        (m.cloud_usd, m.savings_usd, m.savings_pct),
        (None, None, None)
    );
    assert!(close(m.tipping_queries_per_month, 22_251.0 / 0.018));
}

#[test]
fn device_count_hand_worked() {
    // e2e 2,798.4 ms per request (the schema page's example record):
    // a month of 2,629,800 s serves 2,629,800 / 2.7984 = 939,751.3 requests.
    let c = Capacity::compute(&jetson_inputs(Some(100_000.0)), 2798.4, 128).unwrap();
    assert!(close(c.queries_per_month_per_device, 2_629_800.0 / 2.7984));
    assert_eq!(c.devices_needed, Some(1));
    assert_eq!(c.capex_covers, Some(true));
    assert!(close(c.fleet_edge_usd.unwrap(), 22_251.0));
    // 22,251 / (100,000 x 36 x 128 tokens) x 1e6 = $48.29 per million tokens
    assert!(close(
        c.edge_usd_per_mtok.unwrap(),
        22_251.0 / 460_800_000.0 * 1e6
    ));
    // cloud: 0.0005 / 128 x 1e6 = $3.90625 per million tokens
    assert!(close(c.cloud_usd_per_mtok.unwrap(), 3.906_25));

    // 5M queries a month: ceil(5,000,000 / 939,751.3) = ceil(5.32) = 6 devices,
    // 6 x 1,999 = 11,994 of hardware, which a CAPEX of 1,999 does not cover.
    let c = Capacity::compute(&jetson_inputs(Some(5_000_000.0)), 2798.4, 128).unwrap();
    assert_eq!(c.devices_needed, Some(6));
    assert!(close(c.fleet_hardware_usd.unwrap(), 11_994.0));
    assert_eq!(c.capex_covers, Some(false));
    // 6 x (1,999 + 7 x 36) + 20,000 = 33,506; cloud 0.0005 x 5M x 36 = 90,000
    assert!(close(c.fleet_edge_usd.unwrap(), 33_506.0));
    assert!(close(c.fleet_savings_usd.unwrap(), 90_000.0 - 33_506.0));

    // Exactly one device's capacity needs one device; one more query, two.
    let q = c.queries_per_month_per_device;
    let one = Capacity::compute(&jetson_inputs(Some(q)), 2798.4, 128).unwrap();
    assert_eq!(one.devices_needed, Some(1));
    let two = Capacity::compute(&jetson_inputs(Some(q + 1.0)), 2798.4, 128).unwrap();
    assert_eq!(two.devices_needed, Some(2));
    assert!(Capacity::compute(&jetson_inputs(None), 0.0, 128).is_none());
}

#[test]
fn newer_schema_is_refused_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let (jetson, _) = report_fixtures::two_devices(dir.path());
    let newer = dir.path().join("newer.jsonl");
    std::fs::write(&newer, "{\"schema_version\": 99, \"kind\": \"llm\"}\n").unwrap();
    let err = report::build(&[jetson.clone(), newer], &opts()).unwrap_err();
    assert!(matches!(err, ReportError::NewerSchema(_)), "{err}");
    let msg = err.to_string();
    assert!(msg.contains("newer.jsonl line 1"), "{msg}");
    assert!(
        msg.contains("schema_version 99") && msg.contains("upgrade edgebench"),
        "{msg}"
    );

    let summary = jetson.join("sweep.json");
    let text = std::fs::read_to_string(&summary).unwrap();
    std::fs::write(
        &summary,
        text.replacen(
            &format!("\"schema_version\": {}", edgebench_reports::SCHEMA_VERSION),
            &format!(
                "\"schema_version\": {}",
                edgebench_reports::SCHEMA_VERSION + 1
            ),
            1,
        ),
    )
    .unwrap();
    let err = report::build(&[jetson], &opts()).unwrap_err();
    assert!(err.to_string().contains("sweep.json"), "{err}");
    assert!(err.to_string().contains("upgrade edgebench"), "{err}");
}

#[test]
fn corrupt_file_is_named_and_the_rest_reported() {
    let dir = tempfile::tempdir().unwrap();
    let (jetson, pi) = report_fixtures::two_devices(dir.path());
    let pi_summary = pi.join("sweep.json");
    let text = std::fs::read_to_string(&pi_summary).unwrap();
    std::fs::write(&pi_summary, &text[..text.len() / 2]).unwrap();
    let out = dir.path().join("report");
    let r = report::build(&[jetson, pi], &opts()).unwrap();
    assert_eq!(r.devices.len(), 1, "the Jetson is still reported");
    assert_eq!(r.warnings.len(), 1, "{:?}", r.warnings);
    assert!(r.warnings[0].contains("pi/sweep.json"), "{}", r.warnings[0]);
    assert!(
        r.warnings[0].contains("malformed JSON"),
        "{}",
        r.warnings[0]
    );
    report::write(&r, &out, &[ReportFormat::Md]).unwrap();
    let md = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(md.contains("pi/sweep.json"), "the warning is in the report");
}

#[test]
fn no_results_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let err = report::build(&[dir.path().to_path_buf()], &opts()).unwrap_err();
    assert!(matches!(err, ReportError::NoResults { .. }), "{err}");
    assert!(err.to_string().contains("no results found"), "{err}");

    let empty = dir.path().join("empty.jsonl");
    std::fs::write(&empty, "").unwrap();
    let err = report::build(&[empty], &opts()).unwrap_err();
    assert!(matches!(err, ReportError::NoResults { .. }), "{err}");

    let missing = dir.path().join("nope");
    let err = report::build(&[missing], &opts()).unwrap_err();
    assert!(matches!(err, ReportError::MissingInput(_)), "{err}");
    assert!(err.to_string().contains("no such file or folder"), "{err}");
}

#[test]
fn slo_profile_judges_results_without_one() {
    let dir = tempfile::tempdir().unwrap();
    let (jetson, _) = report_fixtures::two_devices(dir.path());
    // The records alone, as `edgebench run --out` would write them.
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(jetson.join("sweep.json")).unwrap()).unwrap();
    let records = dir.path().join("records.json");
    std::fs::write(&records, serde_json::to_string(&v["records"]).unwrap()).unwrap();
    let plain = report::build(std::slice::from_ref(&records), &opts()).unwrap();
    assert!(plain.devices[0].slos.is_empty());
    assert!(plain.devices[0].cost.is_none());
    let p = report_fixtures::profile(report_fixtures::PI_TOML, "pi.toml");
    let with = report::build(
        &[records],
        &Options {
            slo_profile: Some(report::ProfileFacts::of(&p)),
            ..opts()
        },
    )
    .unwrap();
    let d = &with.devices[0];
    assert_eq!(d.slos.len(), 2);
    assert_eq!(d.slo_origin.as_deref(), Some("pi.toml"));
    assert!(d.meets_every_slo());
    assert!(d.cost.is_some(), "the profile's [cost] stands in");
}

#[test]
fn html_is_self_contained() {
    let dir = tempfile::tempdir().unwrap();
    let (jetson, pi) = report_fixtures::two_devices(dir.path());
    let out = dir.path().join("report");
    let r = report::build(&[jetson, pi], &opts()).unwrap();
    report::write(&r, &out, &[ReportFormat::Html]).unwrap();
    let page = std::fs::read_to_string(out.join("report.html")).unwrap();
    // Four per-model charts, the roofline, the cost/speed Pareto chart,
    // then the sustained rate and temperature charts.
    assert_eq!(page.matches("<svg").count(), 8);
    assert!(page.contains("<figure id=\"chart-pareto-cost-speed\""));
    for stem in ["sustained-decode-tps", "sustained-temperature"] {
        let start = page
            .find(&format!("<figure id=\"chart-{stem}\""))
            .unwrap_or_else(|| panic!("{stem} is in the page"));
        let figure = &page[start..start + page[start..].find("</figure>").unwrap()];
        assert!(figure.contains("<svg"), "{stem} has an SVG");
        // A drawn line: the run's 30 windows as a path or polyline.
        assert!(
            figure.contains("<polyline") || figure.contains("<path"),
            "{stem} draws its series"
        );
        assert!(figure.len() > 5_000, "{stem} is not empty: {figure}");
    }
    // Both charts sit in the sustained section, after its table.
    let sustained = page.find("<section id=\"sustained\"").unwrap();
    let cases = page.find("<section id=\"cases\"").unwrap();
    let section = &page[sustained..cases];
    assert!(
        section.contains("<td class=\"num\">0.750</td>"),
        "{section}"
    );
    assert_eq!(section.matches("<svg").count(), 2);
    // Self-contained: one inline script (sortable tables), nothing loaded.
    assert_eq!(page.matches("<script").count(), 1);
    assert!(page.contains("<script>"), "the script is inline");
    for banned in [
        "http://",
        "https://",
        "<link",
        "@import",
        "src=",
        "fetch(",
        "XMLHttpRequest",
    ] {
        let outside_svg_ns = page.replace("http://www.w3.org/2000/svg", "");
        assert!(!outside_svg_ns.contains(banned), "{banned} in report.html");
    }
    assert!(!out.join("report.md").exists());
    assert!(!page.contains("No sustained results in these inputs."));
    assert!(page.contains("No conformance results in these inputs."));
}

#[test]
fn the_same_sweep_given_twice_counts_once() {
    let dir = tempfile::tempdir().unwrap();
    let (jetson, _) = report_fixtures::two_devices(dir.path());
    let r = report::build(&[jetson.clone(), jetson.join("sweep.json")], &opts()).unwrap();
    assert_eq!(r.devices.len(), 1);
    assert_eq!(r.devices[0].records.len(), 5);
}

#[test]
fn an_interrupted_sweep_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let (jetson, _) = report_fixtures::two_devices(dir.path());
    let summary = jetson.join("sweep.json");
    let text = std::fs::read_to_string(&summary).unwrap();
    std::fs::write(
        &summary,
        text.replace("\"complete\": true", "\"complete\": false"),
    )
    .unwrap();
    let r = report::build(&[jetson], &opts()).unwrap();
    assert!(
        r.warnings.iter().any(|w| w.contains("did not complete")),
        "{:?}",
        r.warnings
    );
}

#[test]
fn one_profile_on_two_hosts_is_two_devices() {
    let dir = tempfile::tempdir().unwrap();
    let (jetson, _) = report_fixtures::two_devices(dir.path());
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(jetson.join("sweep.json")).unwrap()).unwrap();
    let other = dir.path().join("jetson-2");
    std::fs::create_dir(&other).unwrap();
    let text = serde_json::to_string(&v)
        .unwrap()
        .replace("orin-01", "orin-02");
    std::fs::write(other.join("sweep.json"), text).unwrap();
    let r = report::build(&[jetson, other], &opts()).unwrap();
    let labels: Vec<&str> = r.devices.iter().map(|d| d.label.as_str()).collect();
    assert_eq!(
        labels,
        [
            "Jetson AGX Orin 64GB @ orin-01",
            "Jetson AGX Orin 64GB @ orin-02"
        ]
    );
}

#[test]
fn sustained_runs_stay_out_of_case_tables_and_charts() {
    let dir = tempfile::tempdir().unwrap();
    let (jetson, pi) = report_fixtures::two_devices(dir.path());
    let r = report::build(&[jetson, pi.clone()], &opts()).unwrap();
    let j = &r.devices[0];
    assert_eq!((j.records.len(), j.cases().count()), (5, 4));
    assert_eq!(j.sustained_runs().count(), 1);
    // The cost model sizes the fleet for the heaviest ordinary case, not
    // the sustained run's heavier requests.
    let (label, _) = j.capacity.as_ref().unwrap();
    assert_eq!(label, "llama-1b · llama.cpp · req512+128 · t8");
    let built = report::charts::build(&r.devices);
    let count = |stem: &str| match &built
        .iter()
        .find_map(|(_, c)| c.as_ref().ok().filter(|c| c.stem == stem))
        .unwrap()
        .data
    {
        report::charts::ChartData::Bars { bars, .. } => bars.len(),
        report::charts::ChartData::Lines { series, .. } => series.len(),
    };
    // Two ok Jetson cases and two Pi cases; no sustained bar or line.
    assert_eq!(count("decode-tps-llama-1b"), 4);
    assert_eq!(count("ttft-vs-prompt-llama-1b"), 2);
    assert_eq!(count("itl-percentiles-llama-1b"), 4);
    assert_eq!(count("sustained-decode-tps"), 1);
    assert_eq!(count("sustained-temperature"), 1);

    // Without sustained runs the section says so and draws nothing.
    let r = report::build(&[pi], &opts()).unwrap();
    let out = dir.path().join("pi-report");
    report::write(&r, &out, &[ReportFormat::Md]).unwrap();
    let md = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(md.contains("No sustained results in these inputs."), "{md}");
    assert!(!out.join("charts/sustained-decode-tps.png").exists());
}

#[test]
fn a_single_sustained_record_file_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let jetson = report_fixtures::profile(report_fixtures::JETSON_TOML, "jetson.toml");
    let (jetson_dir, _) = report_fixtures::two_devices(dir.path());
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(jetson_dir.join("sweep.json")).unwrap())
            .unwrap();
    let host: edgebench_devices::HostInfo = serde_json::from_value(v["host"].clone()).unwrap();
    // As `edgebench sustained --out FILE` writes it: one object.
    let file = dir.path().join("sustained.json");
    let record = report_fixtures::sustained_record(&jetson, &host);
    std::fs::write(&file, serde_json::to_string_pretty(&record).unwrap()).unwrap();
    let out = dir.path().join("report");
    let md = report_md(std::slice::from_ref(&file), &out);
    assert!(md.contains("0 case(s) (0 ok), 1 sustained run(s)"), "{md}");
    assert!(md.contains("No ordinary cases in these inputs"), "{md}");
    assert!(
        md.contains("| llama-1b | llama.cpp | 8 | 600 | 40 | 30 | 0.750 | 25.0 |"),
        "{md}"
    );
    assert!(!md.contains("No sustained results"), "{md}");
    for stem in ["sustained-decode-tps", "sustained-temperature"] {
        let png = std::fs::read(out.join("charts").join(format!("{stem}.png"))).unwrap();
        assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "{stem}.png");
    }

    // A machine without temperature sensors: the rate chart only, and
    // "–" for the figures the run could not have.
    let mut bare = record;
    if let Some(run) = bare.sustained.as_mut() {
        for w in &mut run.windows {
            w.temp_max_c = None;
        }
        run.summary.throttled_fraction = None;
        run.summary.energy = None;
    }
    std::fs::write(&file, serde_json::to_string(&bare).unwrap()).unwrap();
    let out = dir.path().join("bare");
    let md = report_md(&[file], &out);
    assert!(md.contains("| 200 | 380 | – | – | – |"), "{md}");
    assert!(out.join("charts/sustained-decode-tps.png").is_file());
    assert!(!md.contains("sustained-temperature"), "{md}");
}

#[test]
fn conformance_results_are_tabled_with_their_verdicts() {
    use edgebench_reports::conformance::{
        ConformanceRecord, ConformanceSide, Tolerance, ToleranceClass, compare_position, judge,
    };
    use edgebench_reports::record::{RecordKind, ToolInfo};
    let dir = tempfile::tempdir().unwrap();
    let (jetson, _) = report_fixtures::two_devices(dir.path());
    let side = |model: &str, backend: &str| ConformanceSide {
        model: format!("/models/{model}"),
        sha256: "0".repeat(64),
        quant: Some("q4_0".into()),
        backend: backend.into(),
        backend_version: "v".into(),
        execution_provider: None,
    };
    let a: Vec<f32> = (0..64).map(|i| (i as f32 * 0.3).sin()).collect();
    let near: Vec<f32> = a.iter().map(|x| x + 1e-3).collect();
    let far: Vec<f32> = a.iter().rev().copied().collect();
    let tol = Tolerance::for_class(ToleranceClass::Quantised);
    let pass = judge(
        side("m.gguf", "llama.cpp"),
        side("m.onnx", "onnx:cpu"),
        tol,
        (0..5).map(|p| compare_position(p, &a, &near)).collect(),
    );
    let fail = judge(
        side("m.gguf", "llama.cpp"),
        side("m.gguf", "cpu"),
        tol,
        (0..5).map(|p| compare_position(p, &a, &far)).collect(),
    );
    assert!(pass.pass && !fail.pass);
    let record = ConformanceRecord {
        schema_version: edgebench_reports::SCHEMA_VERSION,
        kind: RecordKind::Conformance,
        edgebench: ToolInfo {
            version: "0.1.0".into(),
            commit: None,
            dirty: None,
        },
        timestamp: "2026-11-21T00:00:00.000Z".into(),
        n_prefill: 1,
        tokens: vec![1, 2, 3, 4, 5],
        pass: false,
        pairs: vec![pass, fail],
    };
    let file = dir.path().join("conformance-m.json");
    std::fs::write(&file, serde_json::to_vec(&record).unwrap()).unwrap();
    let md = report_md(&[jetson, file], &dir.path().join("report"));
    let section = &md[md.find("### Conformance across backends").unwrap()..];
    assert!(section.contains("| m.gguf on llama.cpp | m.onnx on onnx:cpu | quantised | 5 |"));
    assert!(section.contains("pass"), "{section}");
    assert!(section.contains("FAIL"), "{section}");
    assert!(
        section.contains("top-1 agreement 0.000 < 0.800"),
        "{section}"
    );
    assert!(!md.contains("No conformance results in these inputs."));
}
