//! `edgebench load`: open-loop load on one loaded model (see `crate::load`
//! and, above concurrency 1, `crate::load_batched`): a run per
//! (`--concurrency`, `--rate`), and with `--capacity` the highest rate at
//! which the latency limits hold, per concurrency.
use anyhow::{Context, Result, anyhow, bail};
use edgebench_backends::BackendKind;
use edgebench_devices::HostInfo;
use edgebench_reports::Summary;
use edgebench_reports::load_run::{
    LoadCapacity, LoadLimits, LoadPoint, LoadRun, LoadSample, UNFINISHED,
};
use edgebench_reports::record::{Record, RecordKind, Status};

use crate::cli::{ArrivalArg, LoadArgs, ProbeFormat};
use crate::exit::EXIT_OK;
use crate::flags::{check_out_folder, default_threads, existing_model, one_request_plan};
use crate::load::{
    Arrival, Limits, LoadSummary, RequestSample, RequestShape, arrivals, arrivals_within, capacity,
    serve, summarise,
};
use crate::load_batched::serve_batched;
use crate::model::resolve_model_for;
use crate::{output, prompt, session};
use edgebench_backends::{Backend, ContextSettings};

/// The numeric flags in range, each named in its error with what to give.
fn check_flags(args: &LoadArgs) -> Result<()> {
    for &r in &args.rates {
        if !(r.is_finite() && r > 0.0 && r <= 1e6) {
            bail!(
                "--rate {r}: give requests per second above 0 and at most 1000000, e.g. --rate 0.5,1,2"
            );
        }
    }
    if let Some(n) = args.requests
        && !(1..=MAX_REQUESTS).contains(&n)
    {
        bail!("--requests {n}: give 1 to {MAX_REQUESTS}");
    }
    if let Some(n) = args.step_tokens {
        let most = args.concurrency.iter().copied().max().unwrap_or(1);
        edgebench_devices::load_lengths::check_step_tokens(n, most)
            .map_err(|e| anyhow!("--step-tokens {e}"))?;
    }
    if let Some(d) = args.duration
        && !(d > 0.0 && d <= edgebench_devices::limits::MAX_DURATION_S)
    {
        bail!("--duration must be longer than 0 and at most 7 days, e.g. 2m");
    }
    for (flag, v) in [
        ("--ttft-ms", args.ttft_ms),
        ("--itl-ms", args.itl_ms),
        ("--e2e-ms", args.e2e_ms),
    ] {
        if let Some(v) = v
            && !(v.is_finite() && v > 0.0)
        {
            bail!("{flag} {v}: give a limit in milliseconds above 0");
        }
    }
    if args.queue_timeout.is_nan() || args.queue_timeout <= 0.0 {
        bail!("--queue-timeout must be longer than 0, e.g. 60s");
    }
    for &c in &args.concurrency {
        if !(1..=MAX_SEQUENCES).contains(&c) {
            bail!(
                "--concurrency {c}: give 1 to {MAX_SEQUENCES} requests at once (llama.cpp holds \
                 at most {MAX_SEQUENCES} sequences in one context)"
            );
        }
    }
    Ok(())
}

/// Requests in one run, at most.
const MAX_REQUESTS: u32 = 1_000_000;

/// Lengths drawn from a range when runs are timed (`--duration`): this
/// many, repeated.
const LENGTH_POOL: usize = 4096;

/// Per-request lengths from `--trace` or -p/-n, and how they were chosen
/// (the record's `lengths`).
fn request_lengths(args: &LoadArgs) -> Result<(Vec<(u32, u32)>, String)> {
    if let Some(path) = &args.trace {
        let t = edgebench_devices::load_lengths::read_trace(path)
            .map_err(|e| anyhow!("--trace {e}"))?;
        let name = path.file_name().map_or_else(
            || path.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        );
        let why = format!("trace {name} ({} requests, repeated in order)", t.len());
        return Ok((t, why));
    }
    let n = args.requests.map_or(LENGTH_POOL, |n| n as usize);
    let lengths = crate::load::draw_lengths(args.n_prompt, args.n_gen, n, args.seed);
    let how = if args.n_prompt.is_fixed() && args.n_gen.is_fixed() {
        "fixed"
    } else {
        "uniform"
    };
    Ok((lengths, format!("{how} {}+{}", args.n_prompt, args.n_gen)))
}

/// llama.cpp's `LLAMA_MAX_SEQ`: sequences one context can hold.
const MAX_SEQUENCES: u32 = 256;

/// Refuses a concurrency whose KV cache (one sequence of the case's context
/// per request) with the weights cannot fit the memory available now.
fn check_concurrency_fits(
    c: u32,
    model: &crate::model::ResolvedModel,
    ctx: &ContextSettings,
) -> Result<()> {
    let (Some(fp), Some(avail)) = (&model.footprint, crate::preflight::available_now()) else {
        return Ok(());
    };
    let kv = fp
        .kv_bytes_per_token_of_context(edgebench_backends::footprint::kv_elem_bytes(ctx.kv_type))
        * f64::from(ctx.n_ctx)
        * f64::from(c);
    let need = kv + model.record.size_bytes as f64;
    if need > avail.bytes as f64 {
        let gib = |b: f64| b / f64::from(1u32 << 30);
        bail!(
            "--concurrency {c}: {c} sequences × {} positions of KV cache take {:.2} GiB, with \
             the weights {:.2} GiB; {:.2} GiB is available ({}); lower --concurrency or -p/-n",
            ctx.n_ctx,
            gib(kv),
            gib(need),
            gib(avail.bytes as f64),
            avail.source
        );
    }
    Ok(())
}

/// Serves `a` at concurrency `c`: one request at a time for 1, continuous
/// batching above (the backend configured for `c` sequences).
fn serve_at(
    backend: &mut dyn Backend,
    c: u32,
    shape: RequestShape<'_>,
    a: &[u64],
    batch: u32,
) -> Result<Vec<RequestSample>, edgebench_backends::BackendError> {
    if c == 1 {
        serve(backend, shape, a)
    } else {
        serve_batched(backend, shape, a, c, batch as usize)
    }
}

/// The model resolved, checked by the memory pre-flight and loaded, and
/// every concurrency checked to fit its KV cache.
fn open(
    args: &LoadArgs,
    kind: BackendKind,
    source: &crate::plan::ModelSource,
    plan: &crate::plan::Plan,
    mock: &edgebench_backends::mock::MockConfig,
) -> Result<(crate::model::ResolvedModel, Box<dyn Backend>)> {
    let model =
        resolve_model_for(source, Some(kind)).with_context(|| format!("-m {}", args.model))?;
    let verdict = crate::preflight::check(
        kind,
        &model,
        &plan.cases[0],
        crate::preflight::available_now().as_ref(),
        Default::default(),
        crate::preflight::Origin::Flags,
    );
    if let Some(why) = verdict.refusal {
        bail!("-m {} on {}: {why}", args.model, args.backend);
    }
    let backend = session::load(kind, &model, &plan.groups[0].load, mock)
        .map_err(|f| anyhow!("loading -m {} on {}: {f}", args.model, args.backend))?
        .backend;
    for &c in &args.concurrency {
        check_concurrency_fits(c, &model, &plan.cases[0].context)?;
    }
    Ok((model, backend))
}

/// Runs `edgebench load`; bad input is an `Err` (exit 2).
pub fn load(args: &LoadArgs) -> Result<i32> {
    check_flags(args)?;
    if let Some(p) = &args.out {
        check_out_folder(p)?;
    }
    let backend_kind: BackendKind = args
        .backend
        .parse()
        .map_err(|e| anyhow!("-b {}: {e}", args.backend))?;
    let source = existing_model(&args.model)?;
    let threads = args.threads.unwrap_or_else(default_threads);
    let mock = args.mock_spec.parse().map_err(|e| anyhow!("{e}"))?;
    let (lengths, lengths_how) = request_lengths(args)?;
    let max_prompt = lengths.iter().map(|l| l.0).max().unwrap_or(1);
    let max_gen = lengths.iter().map(|l| l.1).max().unwrap_or(1);
    // One sequence's context holds the longest prompt and generation.
    let plan = one_request_plan(
        &source,
        backend_kind,
        &args.load,
        max_prompt,
        max_gen,
        threads,
        args.seed,
    )?;
    let context = plan.cases[0].context.clone();
    // llama_decode takes at most the context's batch in one call: said
    // before the model loads.
    let step_tokens = match args.step_tokens {
        Some(n) if n > context.batch => bail!(
            "--step-tokens {n} is above the context's batch size {}: give at most that, or \
             raise the batch",
            context.batch
        ),
        Some(n) => n,
        None => context.batch,
    };
    session::prepare_process(&[backend_kind], threads);
    let (model, mut backend) = open(args, backend_kind, &source, &plan, &mock)?;
    backend.configure(&context)?;
    let prompt = prompt::workload_tokens(
        args.seed,
        backend.n_vocab(),
        backend.bos_token(),
        0,
        max_prompt,
    )
    .1;
    let shape = RequestShape {
        prompt: &prompt,
        lengths: &lengths,
        queue_timeout_ns: (args.queue_timeout * 1e9) as u64,
    };
    let limits = Limits {
        ttft_ms: args.ttft_ms,
        itl_ms: args.itl_ms,
        e2e_ms: args.e2e_ms,
    };
    let process = match args.arrival {
        ArrivalArg::Poisson => Arrival::Poisson,
        ArrivalArg::Constant => Arrival::Constant,
    };
    let service_ms = service_time_ms(backend.as_mut(), shape)?;
    let started = std::time::SystemTime::now();
    let trials = Trials {
        process,
        count: match args.duration {
            Some(d) => RunLength::Duration((d * 1e9) as u64),
            None => RunLength::Requests(args.requests.unwrap_or(100) as usize),
        },
        seed: args.seed,
        shape,
        limits,
        step_tokens,
    };
    let mut record = crate::record::base_record(
        &HostInfo::probe(),
        &backend.describe(),
        &plan.groups[0],
        &model.record,
        &plan.cases[0],
        started,
    );
    record.kind = RecordKind::Load;
    record.workload.test = match &args.trace {
        Some(_) => "load trace".to_string(),
        None => format!("load {}+{}", args.n_prompt, args.n_gen),
    };
    record.load = Some(empty_load_run(args, service_ms, step_tokens, lengths_how));
    let mut progress = Progress {
        out: args.out.as_deref(),
        record,
        runs_planned: args.concurrency.len() * args.rates.len(),
        searches_planned: if args.capacity {
            args.concurrency.len()
        } else {
            0
        },
        cut: None,
        warned: false,
    };
    let mut measure = || -> Result<()> {
        for &c in &args.concurrency {
            configure_for(backend.as_mut(), &context, c, shape)
                .map_err(|e| anyhow!("--concurrency {c} on {}: {e}", args.backend))?;
            for &rate in &args.rates {
                eprintln!(
                    "edgebench: {} at {rate} req/s ({:?} arrivals), concurrency {c}",
                    trials.count, args.arrival
                );
                let samples = trials.run(backend.as_mut(), c, rate)?;
                let mut point = run_of(c, rate, process, &samples, &limits);
                point.samples = samples_of(&samples);
                progress.run_done(point);
            }
            if args.capacity {
                let k = trials.capacity(backend.as_mut(), c, service_ms, &mut |so_far| {
                    progress.trial_done(so_far);
                })?;
                progress.search_done(k);
            }
        }
        Ok(())
    };
    if let Err(e) = measure() {
        // What finished stays in --out, with the error as its reason.
        progress.failed(&e);
        return Err(e);
    }
    let record = progress.record;
    let json = serde_json::to_string_pretty(&record)?;
    if let Some(p) = &args.out {
        output::write_atomically(p, json.as_bytes())?;
        eprintln!("edgebench: wrote the load record to {}", p.display());
    }
    match args.output {
        ProbeFormat::Json => println!("{json}"),
        ProbeFormat::Md => print!("{}", render_md(&record)),
    }
    Ok(EXIT_OK)
}

/// The record's `load` section before any run: the settings the runs
/// will be judged and described by.
fn empty_load_run(
    args: &LoadArgs,
    service_ms: f64,
    step_tokens: u32,
    lengths_how: String,
) -> LoadRun {
    LoadRun {
        concurrency: args.concurrency.clone(),
        limits: LoadLimits {
            ttft_ms: args.ttft_ms,
            itl_ms: args.itl_ms,
            e2e_ms: args.e2e_ms,
        },
        service_ms,
        requests: args.requests.unwrap_or(if args.duration.is_some() {
            MAX_REQUESTS
        } else {
            100
        }),
        duration_s: args.duration,
        step_tokens: Some(step_tokens),
        lengths: Some(lengths_how),
        queue_timeout_s: args.queue_timeout,
        points: vec![],
        capacity: vec![],
    }
}

/// Two untimed requests warm caches, then requests served back to back
/// give the service time (ms) that brackets the capacity search: every
/// request alike, the median of five; lengths that vary, the mean over
/// the first `min(24, max(5, entries))` of them (a trace's cycle, or a
/// sample of the drawn lengths: the mean is what sets capacity).
fn service_time_ms(backend: &mut dyn Backend, shape: RequestShape<'_>) -> Result<f64> {
    serve(backend, shape, &[0, 0])?;
    let n = if shape.lengths.len() == 1 {
        5
    } else {
        shape.lengths.len().clamp(5, 24)
    };
    let alone = serve(backend, shape, &vec![0; n])?;
    let ms: Vec<f64> = alone
        .iter()
        .map(|r| (r.end_ns.unwrap_or(r.start_ns) - r.start_ns) as f64 / 1e6)
        .collect();
    if shape.lengths.len() == 1 {
        Ok(Summary::from_samples(ms).map_or(1.0, |s| s.p50))
    } else {
        Ok(ms.iter().sum::<f64>() / ms.len() as f64)
    }
}

/// One sequence for concurrency 1; `c` sequences above, warmed with `c`
/// untimed requests at once.
fn configure_for(
    backend: &mut dyn Backend,
    context: &ContextSettings,
    c: u32,
    shape: RequestShape<'_>,
) -> Result<(), edgebench_backends::BackendError> {
    if c == 1 {
        return backend.configure(context);
    }
    backend.configure_parallel(context, c)?;
    serve_batched(
        backend,
        shape,
        &vec![0; c as usize],
        c,
        context.batch as usize,
    )?;
    Ok(())
}

/// How long each run is.
#[derive(Debug, Clone, Copy)]
enum RunLength {
    /// This many requests.
    Requests(usize),
    /// Arrivals within this many ns (at most [`MAX_REQUESTS`]).
    Duration(u64),
}

impl std::fmt::Display for RunLength {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RunLength::Requests(n) => write!(f, "{n} requests"),
            RunLength::Duration(ns) => write!(f, "{:.0} s of arrivals", *ns as f64 / 1e9),
        }
    }
}

/// What every run of one `load` shares: arrivals, requests and limits.
struct Trials<'a> {
    process: Arrival,
    count: RunLength,
    seed: u64,
    shape: RequestShape<'a>,
    limits: Limits,
    /// Most tokens per batched step (`--step-tokens`).
    step_tokens: u32,
}

impl Trials<'_> {
    /// One run at `rate` and concurrency `c`.
    fn run(
        &self,
        backend: &mut dyn Backend,
        c: u32,
        rate: f64,
    ) -> Result<Vec<RequestSample>, edgebench_backends::BackendError> {
        let a = match self.count {
            RunLength::Requests(n) => arrivals(self.process, rate, n, self.seed),
            RunLength::Duration(ns) => {
                arrivals_within(self.process, rate, ns, MAX_REQUESTS as usize, self.seed)
            }
        };
        serve_at(backend, c, self.shape, &a, self.step_tokens)
    }

    /// The capacity search at concurrency `c`: c at once serve at most
    /// c / service, so it starts at 1.5 times that and goes down.
    /// `after_trial` gets the search so far after each trial (to be saved:
    /// a run killed mid-search keeps the trials it ran).
    fn capacity(
        &self,
        backend: &mut dyn Backend,
        c: u32,
        service_ms: f64,
        after_trial: &mut dyn FnMut(&LoadCapacity),
    ) -> Result<LoadCapacity, edgebench_backends::BackendError> {
        let hi = 1.5e3 * f64::from(c) / service_ms;
        let lo = 0.05e3 / service_ms;
        let precision = 0.02;
        let mut binding = None;
        let mut trials = vec![];
        let mut tried = vec![];
        let cap = capacity(lo, hi, precision, 12, |rate| {
            eprintln!("edgebench: capacity trial at {rate:.3} req/s, concurrency {c}");
            let s = self.run(backend, c, rate)?;
            trials.push(run_of(c, rate, self.process, &s, &self.limits));
            let why = first_broken(&s, &summarise(&s, &self.limits), &self.limits);
            let holds = why.is_none();
            if let Some(w) = why {
                binding = Some(w);
            }
            tried.push((rate, holds));
            after_trial(&LoadCapacity::cut(
                c,
                precision,
                tried.clone(),
                binding.clone(),
                trials.clone(),
            ));
            Ok(holds)
        })?;
        Ok(LoadCapacity {
            concurrency: c,
            rps: cap.rps,
            failed_rps: Some(cap.failed_rps).filter(|f| f.is_finite()),
            precision,
            tried: cap.tried,
            binding,
            trials,
            finished: true,
        })
    }
}

/// The record as it grows: written to `--out` after every run and every
/// capacity trial, so a run killed part way (a sweep's `[load]` budget, a
/// crash, Ctrl-C) keeps what it measured. Until the end the file's status
/// is `interrupted` (`failed` with the error when one stopped it) and its
/// reason says what had finished; a search cut mid-way is kept with
/// `finished: false`.
struct Progress<'a> {
    out: Option<&'a std::path::Path>,
    record: Record,
    runs_planned: usize,
    searches_planned: usize,
    /// The capacity search under way, as far as its trials went.
    cut: Option<LoadCapacity>,
    /// A failed write was reported once (the final write still must work).
    warned: bool,
}

impl Progress<'_> {
    fn run(&mut self) -> &mut LoadRun {
        self.record
            .load
            .as_mut()
            .expect("the load section is set first")
    }

    fn run_done(&mut self, point: LoadPoint) {
        self.run().points.push(point);
        self.save();
    }

    fn trial_done(&mut self, search_so_far: &LoadCapacity) {
        self.cut = Some(search_so_far.clone());
        self.save();
    }

    fn search_done(&mut self, k: LoadCapacity) {
        self.cut = None;
        self.run().capacity.push(k);
        self.save();
    }

    /// Saves the record so far.
    fn save(&mut self) {
        self.write(Status::Interrupted, UNFINISHED.into());
    }

    /// Saves the record so far as failed with `e`.
    fn failed(&mut self, e: &anyhow::Error) {
        self.write(Status::Failed, format!("{e:#}"));
    }

    fn write(&mut self, status: Status, why: String) {
        let Some(path) = self.out else { return };
        let (runs, searches) = (self.run().points.len(), self.run().capacity.len());
        let mut reason = format!(
            "{why}; kept what it had measured: {runs} of {} run(s) and {searches} of {} \
             capacity search(es) finished",
            self.runs_planned, self.searches_planned
        );
        if let Some(k) = self.cut.clone() {
            reason.push_str(&format!(
                ", the search at concurrency {} was cut after {} trial(s)",
                k.concurrency,
                k.tried.len()
            ));
            self.run().capacity.push(k);
        }
        let (was, was_why) = (self.record.status, self.record.reason.take());
        self.record.status = status;
        self.record.reason = Some(reason);
        let written = serde_json::to_string_pretty(&self.record)
            .map_err(anyhow::Error::from)
            .and_then(|json| output::write_atomically(path, json.as_bytes()));
        self.record.status = was;
        self.record.reason = was_why;
        if self.cut.is_some() {
            self.run().capacity.pop();
        }
        if let Err(e) = written
            && !self.warned
        {
            eprintln!(
                "edgebench: warning: cannot save the load run so far to {}: {e:#}",
                path.display()
            );
            self.warned = true;
        }
    }
}

/// Why a run does not hold at its rate: a dropped request, a p99 above
/// its limit (the one furthest over, in % of the limit), or a growing
/// queue; None when it holds. The limits are SLOs on the p99 (as the
/// profile's SLOs are percentiles), and goodput counts requests one by one.
fn first_broken(s: &[RequestSample], sum: &LoadSummary, limits: &Limits) -> Option<String> {
    if sum.dropped > 0 {
        return Some(format!(
            "overload: {} request(s) dropped by --queue-timeout",
            sum.dropped
        ));
    }
    let p99 = |v: Vec<u64>| {
        Summary::from_samples(v.into_iter().map(|ns| ns as f64 / 1e6).collect()).map(|s| s.p99)
    };
    let measured = [
        (
            "TTFT p99",
            limits.ttft_ms,
            p99(s.iter().filter_map(|r| r.ttft_ns()).collect()),
        ),
        (
            "ITL p99",
            limits.itl_ms,
            p99(s.iter().flat_map(|r| r.step_ns.iter().copied()).collect()),
        ),
        (
            "e2e p99",
            limits.e2e_ms,
            p99(s.iter().filter_map(|r| r.e2e_ns()).collect()),
        ),
    ];
    let worst = measured
        .iter()
        .filter_map(|&(name, limit, m)| {
            let (l, m) = (limit?, m?);
            (m > l).then(|| (m / l, format!("{name} {m:.2} ms > {l} ms")))
        })
        .max_by(|a, b| a.0.total_cmp(&b.0));
    match worst {
        Some((_, w)) => Some(w),
        None if sum.overloaded => Some("overload: the queue kept growing".into()),
        None => None,
    }
}

fn run_of(c: u32, rate: f64, arrival: Arrival, s: &[RequestSample], limits: &Limits) -> LoadPoint {
    let sum = summarise(s, limits);
    let ms = |v: Vec<u64>| Summary::from_samples(v.into_iter().map(|ns| ns as f64 / 1e6).collect());
    LoadPoint {
        concurrency: c,
        rate_rps: rate,
        arrival: match arrival {
            Arrival::Poisson => "poisson",
            Arrival::Constant => "constant",
        }
        .into(),
        requests: s.len(),
        offered_rps: sum.offered_rps,
        served_rps: sum.served_rps,
        gen_tps: {
            let served: Vec<&RequestSample> = s.iter().filter(|r| !r.dropped()).collect();
            let tokens: usize = served.iter().map(|r| r.step_ns.len() + 1).sum();
            if served.is_empty() {
                0.0
            } else {
                sum.served_rps * tokens as f64 / served.len() as f64
            }
        },
        goodput_rps: sum.goodput_rps,
        dropped: sum.dropped,
        overloaded: sum.overloaded,
        queue_ms: ms(s
            .iter()
            .filter(|r| !r.dropped())
            .map(|r| r.queue_ns())
            .collect()),
        ttft_ms: ms(s.iter().filter_map(|r| r.ttft_ns()).collect()),
        itl_ms: ms(s.iter().flat_map(|r| r.step_ns.iter().copied()).collect()),
        e2e_ms: ms(s.iter().filter_map(|r| r.e2e_ns()).collect()),
        samples: Vec::new(),
    }
}

/// Every request of a run, from its first arrival (a run's samples; a
/// capacity trial keeps only its summary).
fn samples_of(s: &[RequestSample]) -> Vec<LoadSample> {
    let origin = s.first().map_or(0, |r| r.arrival_ns);
    s.iter()
        .map(|r| LoadSample {
            arrival_ns: r.arrival_ns - origin,
            start_ns: r.start_ns - origin,
            first_token_ns: r.first_token_ns.map(|t| t - origin),
            end_ns: r.end_ns.map(|t| t - origin),
            itl_ns: r.step_ns.clone(),
            n_prompt: Some(r.n_prompt),
            n_gen: Some(r.n_gen),
        })
        .collect()
}

fn render_md(r: &Record) -> String {
    use std::fmt::Write;
    let l = r.load.as_ref().expect("a load record");
    let lengths = l
        .lengths
        .clone()
        .unwrap_or_else(|| format!("fixed {}+{}", r.workload.n_prompt, r.workload.n_gen));
    let step = l
        .step_tokens
        .filter(|_| l.concurrency.iter().any(|&c| c > 1))
        .map(|n| format!(", at most {n} tokens per batched step"))
        .unwrap_or_default();
    let mut s = format!(
        "Open-loop load: {} on {}, {} threads, request lengths (prompt+generated tokens) {}, \
         concurrency {:?}{step} (service alone {:.2} ms)\n\n",
        r.model.path, r.backend.id, r.workload.threads, lengths, l.concurrency, l.service_ms
    );
    let p = |x: &Option<Summary>, f: fn(&Summary) -> f64| {
        x.as_ref().map_or("–".into(), |s| format!("{:.2}", f(s)))
    };
    if !l.points.is_empty() {
        s.push_str("| conc. | rate req/s | arrivals | requests | served/s | gen tok/s | goodput/s | dropped | queue p50 ms | queue p99 ms | TTFT p50 ms | TTFT p99 ms | ITL p99 ms | e2e p99 ms | overloaded |\n");
        s.push_str("| ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |\n");
        for r in &l.points {
            let _ = writeln!(
                s,
                "| {} | {} | {} | {} | {:.3} | {:.1} | {:.3} | {} | {} | {} | {} | {} | {} | {} | {} |",
                r.concurrency,
                r.rate_rps,
                r.arrival,
                r.requests,
                r.served_rps,
                r.gen_tps,
                r.goodput_rps,
                r.dropped,
                p(&r.queue_ms, |s| s.p50),
                p(&r.queue_ms, |s| s.p99),
                p(&r.ttft_ms, |s| s.p50),
                p(&r.ttft_ms, |s| s.p99),
                p(&r.itl_ms, |s| s.p99),
                p(&r.e2e_ms, |s| s.p99),
                if r.overloaded { "yes" } else { "no" }
            );
        }
    }
    for c in &l.capacity {
        if c.failed_rps.is_none() {
            let _ = writeln!(
                s,
                "\nCapacity at concurrency {}: every rate tried held, up to {:.3} req/s ({} runs): \
                 raise --requests so that a growing queue shows",
                c.concurrency,
                c.rps,
                c.tried.len()
            );
        } else {
            let _ = writeln!(
                s,
                "\nCapacity at concurrency {}: {:.3} req/s holds, {:.3} req/s does not ({} runs, \
                 to {:.0} %); binding: {}",
                c.concurrency,
                c.rps,
                c.failed_rps.unwrap_or(f64::INFINITY),
                c.tried.len(),
                c.precision * 100.0,
                c.binding.as_deref().unwrap_or("none found in the bracket")
            );
        }
    }
    s.push_str(
        "\nTTFT counts the time a request waited in the queue. Goodput counts requests that met \
         every given limit. Above concurrency 1, requests share one context, one sequence \
         each, continuous batching (prompts prefilled in chunks between the running decodes).\n",
    );
    s
}
