//! The `load` section of a record of kind `load` (`edgebench load`): open-
//! loop runs on one loaded model at each (concurrency, rate), every
//! request's timings, and per concurrency the capacity found at the latency
//! limits, with the limit that binds. The report sizes fleets from it
//! (`report::cost::Capacity::from_rate`).
use serde::{Deserialize, Serialize};

use crate::stats::Summary;

/// How the reason of a load record written before its run ended begins
/// when nothing said why (a kill, a crash, Ctrl-C); `; kept what it had
/// measured: ...` follows.
pub const UNFINISHED: &str = "the load run stopped before its end (killed, crashed or Ctrl-C)";

/// Latency limits a request must meet (each optional), ms; the capacity
/// search holds while the p99 of each given one does.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct LoadLimits {
    /// TTFT from arrival (queue included).
    pub ttft_ms: Option<f64>,
    /// Every inter-token latency.
    pub itl_ms: Option<f64>,
    /// Arrival to last token.
    pub e2e_ms: Option<f64>,
}

/// One request of a run, ns from the run's first arrival.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LoadSample {
    /// When it arrived.
    pub arrival_ns: u64,
    /// When it was admitted (arrival + queue time).
    pub start_ns: u64,
    /// When its first token was ready (None when dropped).
    pub first_token_ns: Option<u64>,
    /// When its last token was ready (None when dropped).
    pub end_ns: Option<u64>,
    /// Its inter-token latencies.
    pub itl_ns: Vec<u64>,
    /// Its prompt tokens (absent in records before lengths varied: every
    /// request had the workload's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub n_prompt: Option<u32>,
    /// Tokens it asked for (absent as `n_prompt`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub n_gen: Option<u32>,
}

/// One run at one (concurrency, rate).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LoadPoint {
    /// Requests served at once.
    pub concurrency: u32,
    /// Arrival rate asked, requests/s.
    pub rate_rps: f64,
    /// `poisson` or `constant`.
    pub arrival: String,
    /// Requests in the run.
    pub requests: usize,
    /// Arrivals over their span, requests/s.
    pub offered_rps: f64,
    /// Served requests per second of the run.
    pub served_rps: f64,
    /// Generated tokens per second of the run, all requests together.
    pub gen_tps: f64,
    /// Requests that met every limit, per second.
    pub goodput_rps: f64,
    /// Requests dropped by the queue timeout.
    pub dropped: usize,
    /// The queue grew without bound or requests were dropped.
    pub overloaded: bool,
    /// Queue time of served requests, ms.
    pub queue_ms: Option<Summary>,
    /// TTFT from arrival, ms.
    pub ttft_ms: Option<Summary>,
    /// Inter-token latencies, ms.
    pub itl_ms: Option<Summary>,
    /// Arrival to last token, ms.
    pub e2e_ms: Option<Summary>,
    /// Every request.
    pub samples: Vec<LoadSample>,
}

/// The capacity search at one concurrency.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LoadCapacity {
    /// Requests served at once.
    pub concurrency: u32,
    /// Highest rate tried that held, requests/s (0 when none).
    pub rps: f64,
    /// Lowest rate tried that did not (infinite when every one held:
    /// written as null).
    pub failed_rps: Option<f64>,
    /// The search's relative precision.
    pub precision: f64,
    /// Rates tried, in order, with whether each held.
    pub tried: Vec<(f64, bool)>,
    /// What broke at the failing rates: the first limit over, or overload.
    pub binding: Option<String>,
    /// Each trial's run in the order tried, summarised (its requests'
    /// samples are not kept: a search runs many); absent in older records.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub trials: Vec<LoadPoint>,
    /// False when the search was cut before its end (the run was killed,
    /// crashed or stopped by Ctrl-C): `rps` and `failed_rps` are then the
    /// bracket its trials had reached, wider than `precision`. Written only
    /// when false; absent means finished.
    #[serde(default = "finished", skip_serializing_if = "is_finished")]
    pub finished: bool,
}

fn finished() -> bool {
    true
}

fn is_finished(f: &bool) -> bool {
    *f
}

impl LoadCapacity {
    /// Whether the search bracketed the capacity (a rate failed above it)
    /// and found one (some rate held).
    pub fn bracketed(&self) -> bool {
        self.rps > 0.0 && self.failed_rps.is_some_and(f64::is_finite)
    }

    /// The search so far at concurrency `concurrency` from the trials run
    /// (rates with whether each held, and each run): the highest rate that
    /// held and the lowest that failed, marked unfinished.
    pub fn cut(
        concurrency: u32,
        precision: f64,
        tried: Vec<(f64, bool)>,
        binding: Option<String>,
        trials: Vec<LoadPoint>,
    ) -> Self {
        let held = tried.iter().filter(|t| t.1).map(|t| t.0);
        let failed = tried.iter().filter(|t| !t.1).map(|t| t.0);
        Self {
            concurrency,
            rps: held.fold(0.0, f64::max),
            failed_rps: failed.reduce(f64::min),
            precision,
            tried,
            binding,
            trials,
            finished: false,
        }
    }
}

/// The `load` section of a record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LoadRun {
    /// Concurrencies run.
    pub concurrency: Vec<u32>,
    /// The limits goodput and capacity were judged on.
    pub limits: LoadLimits,
    /// Median service time of one request alone, ms.
    pub service_ms: f64,
    /// Requests per run (with `duration_s`, the most a run may have).
    pub requests: u32,
    /// Each run's arrivals span this long, s, instead of a fixed number
    /// of requests (absent: `requests` per run).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_s: Option<f64>,
    /// Most tokens in one batched step above concurrency 1 (running
    /// decodes first, prompt chunks after); absent in older records (the
    /// context's batch).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step_tokens: Option<u32>,
    /// How request lengths were chosen: `fixed 128+32`, `uniform
    /// 32-256+16-64` (prompt+generated, seeded) or `trace NAME (N
    /// requests)`; absent in older records (fixed, the workload's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lengths: Option<String>,
    /// A request queued longer than this is dropped, s.
    pub queue_timeout_s: f64,
    /// Every run.
    pub points: Vec<LoadPoint>,
    /// One per concurrency when a capacity search ran.
    pub capacity: Vec<LoadCapacity>,
}

impl LoadRun {
    /// The capacity search that found the highest bracketed capacity.
    pub fn best_capacity(&self) -> Option<&LoadCapacity> {
        self.capacity
            .iter()
            .filter(|c| c.finished && c.bracketed())
            .max_by(|a, b| a.rps.total_cmp(&b.rps))
    }

    /// The bracketed capacity at concurrency 1, when searched.
    pub fn capacity_at_one(&self) -> Option<&LoadCapacity> {
        self.capacity
            .iter()
            .find(|c| c.concurrency == 1 && c.finished && c.bracketed())
    }
}
