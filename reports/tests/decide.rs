//! The report's answer (report::decide) on crafted results: ties, a near
//! miss, a device without cost, several devices and quantisations.
mod common;

use edgebench_devices::profile::{Cost, Slo, SloMetric, SloOp};
use edgebench_reports::Record;
use edgebench_reports::Summary;
use edgebench_reports::report::cost::{CostInputs, CostModel};
use edgebench_reports::report::decide::{Basis, Standing, decide, model_family};
use edgebench_reports::report::device::DeviceResults;
use edgebench_reports::slo;

/// A case of `model` (`<family>-<quant>`) on `backend`, with every sample
/// of decode rate, TTFT and end-to-end latency equal to the given value.
fn case(
    model: &str,
    quant: &str,
    backend: &str,
    decode_tps: f64,
    ttft_ms: f64,
    e2e_ms: f64,
) -> Record {
    let mut r = common::full_llama_case();
    let s = |x: f64| Summary::from_samples(vec![x, x, x]);
    r.model.id = Some(model.into());
    r.model.quant = quant.into();
    r.backend.id = backend.into();
    r.workload.test = "req128+32".into();
    r.workload.n_gen = 32;
    r.metrics.decode_tps = s(decode_tps);
    r.metrics.ttft_ms = s(ttft_ms);
    r.metrics.e2e_ms = s(e2e_ms);
    r
}

fn slo(name: &str, metric: &str, op: SloOp, threshold: f64) -> Slo {
    Slo {
        name: name.into(),
        model: None,
        backend: None,
        metric: SloMetric::parse(metric).unwrap(),
        op,
        threshold,
    }
}

fn slos() -> Vec<Slo> {
    vec![
        slo("streaming", "decode_tps.p50", SloOp::AtLeast, 15.0),
        slo("chat TTFT", "ttft_ms.p99", SloOp::AtMost, 500.0),
    ]
}

/// 10M queries a month over 36 months, $0.0005 a query in the cloud.
fn cost(price: f64) -> CostInputs {
    CostInputs::of(
        &Cost {
            capex_usd: price,
            lifecycle_usd_per_month: 5.0,
            engineering_usd: 1000.0,
            horizon_months: 36.0,
            cloud_cost_per_query_usd: 0.0005,
            monthly_queries: Some(10_000_000.0),
            note: None,
        },
        Some(price),
    )
}

fn device(label: &str, records: Vec<Record>, cost: Option<CostInputs>) -> DeviceResults {
    let slos = slos();
    DeviceResults {
        label: label.into(),
        name: label.into(),
        hostname: None,
        verdicts: slo::evaluate(&slos, &records),
        records,
        sources: vec![],
        profile: None,
        slo_origin: Some("test".into()),
        slos,
        bandwidth: None,
        cost: cost.map(|c| CostModel::compute(&c)),
        capacity: None,
    }
}

#[test]
fn quantisations_are_options_of_one_model() {
    let r = case("small-q4_0", "Q4_0", "llama.cpp", 30.0, 100.0, 1000.0);
    assert_eq!(model_family(&r), "small");
    let r = case(
        "llama-3.2-1b-Q4_K_M",
        "Q4_K_M",
        "llama.cpp",
        30.0,
        100.0,
        1000.0,
    );
    assert_eq!(model_family(&r), "llama-3.2-1b");
    // An id that does not end in its quantisation stays whole.
    let r = case("my-model", "Q4_0", "llama.cpp", 30.0, 100.0, 1000.0);
    assert_eq!(model_family(&r), "my-model");
}

#[test]
fn equal_costs_rank_by_the_primary_slo_metric_then_input_order() {
    // Both need one device at 10M queries a month (e2e 100 ms: 26M a
    // month each), so they cost the same per Mtok; the faster ranks first.
    let d = device(
        "box",
        vec![
            case("small-q8_0", "Q8_0", "llama.cpp", 20.0, 100.0, 100.0),
            case("small-q4_0", "Q4_0", "llama.cpp", 40.0, 100.0, 100.0),
            case("small-q4_0", "Q4_0", "cpu", 20.0, 100.0, 100.0),
        ],
        Some(cost(600.0)),
    );
    let devices = [d];
    let ds = decide(&devices);
    assert_eq!(ds.len(), 1);
    let d = &ds[0];
    assert_eq!((d.model.as_str(), d.test.as_str()), ("small", "req128+32"));
    assert_eq!(d.basis, Basis::Cost);
    let costs: Vec<f64> = d.meets.iter().map(|c| c.usd_per_mtok.unwrap()).collect();
    assert!(costs.windows(2).all(|w| w[0] == w[1]), "{costs:?}");
    let order: Vec<String> = d.meets.iter().map(|c| c.label()).collect();
    // 40 tok/s first; the two at 20 tok/s keep their input order.
    assert_eq!(
        order,
        [
            "box · llama.cpp · Q4_0 · t8",
            "box · llama.cpp · Q8_0 · t8",
            "box · cpu · Q4_0 · t8"
        ]
    );
    assert!(d.costs_tie());
    let line = d.tradeoff().unwrap();
    assert!(
        line.contains("All 3 passing options cost the same"),
        "{line}"
    );
    assert!(
        line.contains("decodes 2.0x as fast as the slowest"),
        "{line}"
    );
}

#[test]
fn a_near_miss_fails_with_its_slo_and_margin() {
    // 505 ms TTFT against a 500 ms limit: fails by 1 %.
    let d = device(
        "box",
        vec![
            case("small-q4_0", "Q4_0", "llama.cpp", 30.0, 450.0, 3000.0),
            case("small-q4_0", "Q4_0", "cpu", 30.0, 505.0, 1000.0),
        ],
        Some(cost(600.0)),
    );
    let devices = [d];
    let ds = decide(&devices);
    let d = &ds[0];
    assert_eq!(d.meets.len(), 1);
    assert_eq!(d.fails.len(), 1);
    let miss = &d.fails[0];
    assert_eq!(miss.standing, Standing::Fails);
    let failed = miss.failed();
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0].slo, "chat TTFT");
    assert!((failed[0].margin_pct.unwrap() + 1.0).abs() < 1e-9);
    // The passing option binds on TTFT with 10 % headroom.
    let binding = d.meets[0].binding().unwrap();
    assert_eq!(binding.slo, "chat TTFT");
    assert!((binding.margin_pct.unwrap() - 10.0).abs() < 1e-9);
    // The failing one is cheaper (e2e 1 s: one device; 3 s: two), and
    // the trade-off line says what it misses.
    assert!(miss.usd_per_mtok.unwrap() < d.meets[0].usd_per_mtok.unwrap());
    let line = d.tradeoff().unwrap();
    assert!(line.contains("misses chat TTFT by 1.0 %"), "{line}");
}

#[test]
fn without_cost_the_primary_metric_ranks_and_says_why() {
    let d = device(
        "board",
        vec![
            case("small-q4_0", "Q4_0", "llama.cpp", 18.0, 100.0, 2000.0),
            case("small-q4_0", "Q4_0", "cpu", 25.0, 100.0, 1500.0),
        ],
        None,
    );
    let devices = [d];
    let ds = decide(&devices);
    let d = &ds[0];
    match &d.basis {
        Basis::Primary {
            metric,
            op,
            why_not_cost,
        } => {
            assert_eq!((metric.as_str(), op.as_str()), ("decode_tps.p50", ">="));
            assert!(why_not_cost.contains("no [cost]"), "{why_not_cost}");
        }
        other => panic!("{other:?}"),
    }
    assert!(d.meets.iter().all(|c| c.usd_per_mtok.is_none()));
    assert_eq!(d.meets[0].label(), "board · cpu · Q4_0 · t8");
}

#[test]
fn several_devices_rank_cheapest_first_across_devices() {
    // Same speed class; the $80 board needs more devices (e2e 2 s) than
    // the $2000 box (e2e 0.2 s) yet costs less per Mtok at this volume.
    let pi = device(
        "pi",
        vec![case("small-q4_0", "Q4_0", "llama.cpp", 16.0, 300.0, 2000.0)],
        Some(cost(80.0)),
    );
    let orin = device(
        "orin",
        vec![
            case("small-q4_0", "Q4_0", "llama.cpp", 160.0, 30.0, 200.0),
            case("small-q8_0", "Q8_0", "llama.cpp", 100.0, 40.0, 320.0),
        ],
        Some(cost(2000.0)),
    );
    // The slow board, failing streaming: 12 tok/s against 15.
    let slow = device(
        "slow",
        vec![case("small-q4_0", "Q4_0", "llama.cpp", 12.0, 300.0, 2700.0)],
        Some(cost(50.0)),
    );
    let devices = [orin, pi, slow];
    let ds = decide(&devices);
    assert_eq!(ds.len(), 1, "one model, one workload");
    let d = &ds[0];
    assert_eq!(d.basis, Basis::Cost);
    let order: Vec<String> = d.meets.iter().map(|c| c.label()).collect();
    assert_eq!(order[0], "pi · llama.cpp · Q4_0 · t8", "{order:?}");
    let costs: Vec<f64> = d.meets.iter().map(|c| c.usd_per_mtok.unwrap()).collect();
    assert!(costs.windows(2).all(|w| w[0] <= w[1]), "{costs:?}");
    assert_eq!(d.fails.len(), 1);
    assert_eq!(d.fails[0].device.label, "slow");
    // Hand-worked: pi, e2e 2 s: 2,629,800 / 2 = 1,314,900 queries a month
    // per device, so ceil(10M / 1,314,900) = 8 devices;
    // fleet = 8 x (80 + 5 x 36) + 1000 = 3080 USD over 10M x 36 x 32
    // tokens = 1.152e10: 0.267361 USD per Mtok.
    assert!(
        (costs[0] - 3080.0 / 1.152e10 * 1e6).abs() < 1e-9,
        "{}",
        costs[0]
    );
    let line = d.tradeoff().unwrap();
    assert!(
        line.starts_with("Trade-off: the fastest, orin · llama.cpp · Q4_0 · t8"),
        "{line}"
    );
}

/// llama-bench's tests (here a tg128 from `edgebench run`) time part of a
/// request: they get no $/Mtok and size no fleet, even where the device has
/// a cost.
#[test]
fn llama_bench_tests_size_no_fleet() {
    use edgebench_reports::record::TestShape;
    let mut tg = case("small-q4_0", "Q4_0", "llama.cpp", 40.0, 100.0, 100.0);
    tg.workload.shape = TestShape::Tg;
    tg.workload.test = "tg128".into();
    let req = case("small-q4_0", "Q4_0", "llama.cpp", 40.0, 100.0, 100.0);
    let devices = [device("box", vec![tg, req], Some(cost(600.0)))];
    let ds = decide(&devices);
    let by_test = |t: &str| ds.iter().find(|d| d.test == t).unwrap();
    let tg = by_test("tg128");
    assert!(
        tg.meets
            .iter()
            .chain(&tg.fails)
            .chain(&tg.unjudged)
            .all(|c| c.usd_per_mtok.is_none())
    );
    assert!(by_test("req128+32").meets[0].usd_per_mtok.is_some());
}

/// A load run of the same option and request shape sizes the fleet from
/// the capacity it measured, not from one request at a time: here 4
/// requests in flight hold 2 req/s where one at a time (e2e 2 s) serves
/// 0.5, so for 10M queries a month 2 devices instead of 8.
#[test]
fn a_measured_capacity_sizes_the_fleet() {
    use edgebench_reports::load_run::{LoadCapacity, LoadLimits, LoadRun};
    use edgebench_reports::record::RecordKind;
    use edgebench_reports::report::cost::Capacity;
    let req = case("small-q4_0", "Q4_0", "llama.cpp", 40.0, 100.0, 2000.0);
    let alone = device("box", vec![req.clone()], Some(cost(600.0)));
    let mut load = req.clone();
    load.kind = RecordKind::Load;
    load.load = Some(LoadRun {
        concurrency: vec![1, 4],
        limits: LoadLimits {
            ttft_ms: Some(500.0),
            ..Default::default()
        },
        service_ms: 100.0,
        requests: 100,
        duration_s: None,
        step_tokens: None,
        lengths: None,
        queue_timeout_s: 60.0,
        points: vec![],
        capacity: vec![
            LoadCapacity {
                concurrency: 1,
                rps: 0.45,
                failed_rps: Some(0.46),
                precision: 0.02,
                tried: vec![],
                binding: Some("TTFT p99 520 ms > 500 ms".into()),
                trials: vec![],
                finished: true,
            },
            LoadCapacity {
                concurrency: 4,
                rps: 2.0,
                failed_rps: Some(2.04),
                precision: 0.02,
                tried: vec![],
                binding: Some("TTFT p99 510 ms > 500 ms".into()),
                trials: vec![],
                finished: true,
            },
            // Not bracketed (every rate held): never used.
            LoadCapacity {
                concurrency: 8,
                rps: 90.0,
                failed_rps: None,
                precision: 0.02,
                tried: vec![],
                binding: None,
                trials: vec![],
                finished: true,
            },
            // Cut before its end (the run was killed): its bracket is
            // wider than asked, and it is never used either.
            LoadCapacity::cut(
                16,
                0.02,
                vec![(40.0, true), (60.0, false)],
                Some("overloaded".into()),
                vec![],
            ),
        ],
    });
    let measured = device("box", vec![req, load], Some(cost(600.0)));
    // The load record judges no SLO: the verdicts are the case's alone.
    assert_eq!(measured.verdicts.len(), alone.verdicts.len());
    let per_mtok = |d: &DeviceResults| decide(std::slice::from_ref(d))[0].meets[0].usd_per_mtok;
    let inputs = cost(600.0);
    let want = Capacity::from_rate(&inputs, 2.0, 4, 32).unwrap();
    let one_at_a_time = Capacity::compute(&inputs, 2000.0, 32).unwrap();
    // 2 req/s × 2,629,800 s = 5.26M queries a device: 2 devices; 0.5 req/s:
    // 1.31M a device, 8 devices.
    assert_eq!(want.devices_needed, Some(2));
    assert_eq!(one_at_a_time.devices_needed, Some(8));
    assert_eq!(want.concurrency, Some(4));
    assert_eq!(per_mtok(&measured), want.edge_usd_per_mtok);
    assert_eq!(per_mtok(&alone), one_at_a_time.edge_usd_per_mtok);
    assert!(want.edge_usd_per_mtok < one_at_a_time.edge_usd_per_mtok);
}

/// The load charts: one line per option and concurrency, the runs and the
/// search's trials together in order of offered rate, and the capacity
/// marked at the goodput of its trial.
#[test]
fn load_charts_show_each_option_and_mark_its_capacity() {
    use edgebench_reports::load_run::{LoadCapacity, LoadLimits, LoadPoint, LoadRun};
    use edgebench_reports::record::RecordKind;
    use edgebench_reports::report::charts::{ChartData, load_charts, load_lines, svg};
    let point = |rate: f64, goodput: f64, ttft_p99: f64| LoadPoint {
        concurrency: 2,
        rate_rps: rate,
        arrival: "poisson".into(),
        requests: 40,
        offered_rps: rate * 1.01,
        served_rps: rate,
        gen_tps: rate * 32.0,
        goodput_rps: goodput,
        dropped: 0,
        overloaded: false,
        queue_ms: None,
        ttft_ms: Summary::from_samples(vec![ttft_p99]),
        itl_ms: None,
        e2e_ms: None,
        samples: vec![],
    };
    let req = case("small-q4_0", "Q4_0", "llama.cpp", 40.0, 100.0, 2000.0);
    let mut load = req.clone();
    load.kind = RecordKind::Load;
    load.load = Some(LoadRun {
        concurrency: vec![2],
        limits: LoadLimits::default(),
        service_ms: 100.0,
        requests: 40,
        duration_s: None,
        step_tokens: None,
        lengths: Some("fixed 128+32".into()),
        queue_timeout_s: 60.0,
        points: vec![point(1.0, 1.0, 150.0)],
        capacity: vec![LoadCapacity {
            concurrency: 2,
            rps: 5.0,
            failed_rps: Some(6.0),
            precision: 0.2,
            tried: vec![(8.0, false), (4.0, true), (6.0, false), (5.0, true)],
            binding: Some("TTFT p99 900 ms > 500 ms".into()),
            trials: vec![
                point(8.0, 2.0, 4000.0),
                point(4.0, 4.0, 200.0),
                point(6.0, 4.5, 900.0),
                point(5.0, 4.9, 400.0),
            ],
            finished: true,
        }],
    });
    let devices = vec![device("box", vec![req, load], None)];
    let lines = load_lines(&devices);
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0].label, "box · small-q4_0 · llama.cpp · t8 · c2");
    let rates: Vec<f64> = lines[0].points.iter().map(|p| p.rate_rps).collect();
    assert_eq!(rates, [1.0, 4.0, 5.0, 6.0, 8.0]);
    let charts = load_charts(&devices);
    let stems: Vec<&str> = charts.iter().map(|c| c.stem.as_str()).collect();
    assert_eq!(stems, ["load-throughput-ttft", "load-goodput"]);
    let ChartData::Lines { series, .. } = &charts[0].data else {
        panic!("lines")
    };
    assert_eq!(series[0].points[4], (8.0 * 32.0, 4000.0));
    let ChartData::Lines { series, .. } = &charts[1].data else {
        panic!("lines")
    };
    assert_eq!(series.len(), 2, "the line and its capacity marker");
    assert_eq!(series[1].points, [(5.0 * 1.01, 4.9)]);
    assert!(!series[1].line && series[1].style == series[0].style);
    assert!(series[1].name.starts_with("capacity 5.000 req/s"));
    for c in &charts {
        assert!(svg(c).unwrap().contains("<svg"));
    }
    // No load record, no load chart.
    let none = vec![device(
        "box",
        vec![case("m", "Q4_0", "cpu", 1.0, 1.0, 1.0)],
        None,
    )];
    assert!(load_charts(&none).is_empty());
}
