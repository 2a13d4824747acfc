//! Command-line flags (clap). Raw flags become a validated plan in
//! `plan.rs`; nothing here runs anything.
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::plan::UIntList;

/// Every backend id, from the registry (`BackendKind::ALL`), for `--help`.
pub fn backend_ids() -> String {
    edgebench_backends::BackendKind::ALL
        .iter()
        .map(|k| k.id())
        .collect::<Vec<_>>()
        .join(", ")
}

/// edgebench: benchmark on-device LLM inference across backends.
#[derive(Debug, Parser)]
#[command(name = "edgebench", version, about, long_about = None)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Measure TTFT, prefill/decode tok/s and latency percentiles (llama-bench's job).
    Run(RunArgs),
    /// Run a device profile's whole matrix in worker processes, with SLO verdicts.
    Sweep(SweepArgs),
    /// Everything knowable about this host: CPU, memory, GPUs, board, sensors, backends.
    Probe(ProbeArgs),
    /// Predict a model's decode ceilings on a device from its profile, without running it.
    Roofline(RooflineArgs),
    /// Measure memory bandwidth (STREAM copy/scale/add/triad and a read-only sum).
    Bandwidth(BandwidthArgs),
    /// Write a synthetic llama-architecture GGUF model (random weights, real format).
    Synth(SynthArgs),
    /// Back-to-back requests for a fixed time with device telemetry: peak,
    /// sustained rate, degradation, throttling, energy per token.
    Sustained(SustainedArgs),
    /// Open-loop load on one model, one request at a time: seeded arrivals
    /// at each --rate, queue time, TTFT from arrival, goodput, overload, and
    /// the capacity at the latency limits (--capacity).
    Load(LoadArgs),
    /// Hardware-selection report (HTML + Markdown) from sweep outputs: SLO verdicts, charts, cost.
    Report(ReportArgs),
    /// Compare candidate results with a baseline: % change, 95% interval, verdict per metric.
    Compare(CompareArgs),
    /// Keep results in a history store and find where regressions started.
    History(HistoryArgs),
    /// Check that (model, backend) pairs compute the same logits: top-1
    /// agreement, max logit difference, cosine similarity, pass/fail.
    Conform(ConformArgs),
    /// The quality a quantisation costs: the same token ids through a
    /// reference (f16/f32 of the same weights) and each quantised model;
    /// KL divergence, top-1 agreement and perplexity ratio per model.
    Quality(QualityArgs),
    /// Turn another tool's results into edgebench records (llama-bench's
    /// json, jsonl, csv or sql output), for compare, report and history.
    Import(ImportArgs),
    /// Internal: run one model group for a sweep (reads a job on stdin).
    #[command(hide = true)]
    Worker,
}

/// Output formats of `probe`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ProbeFormat {
    /// Markdown sections.
    Md,
    /// JSON object.
    Json,
}

/// Flags of `edgebench probe`.
#[derive(Debug, Args)]
pub struct ProbeArgs {
    /// Output format.
    #[arg(short = 'o', long = "output", value_enum, default_value_t = ProbeFormat::Md)]
    pub output: ProbeFormat,
    /// Read system files under this folder instead of / (for checking fixture trees).
    #[arg(long, hide = true)]
    pub root: Option<PathBuf>,
}

/// Flags of `edgebench bandwidth`.
#[derive(Debug, Args)]
pub struct BandwidthArgs {
    /// Thread count(s), e.g. 1,2,4 for a scaling table (default: every logical CPU).
    #[arg(short = 't', long = "threads")]
    pub threads: Option<String>,
    /// Bytes per array in MiB (default: 4x the last-level cache, at least 8 MiB).
    #[arg(long = "size-mb")]
    pub size_mb: Option<u64>,
    /// Passes per kernel (>= 10; the first is excluded from the figures).
    #[arg(long = "reps", default_value_t = 10)]
    pub reps: u32,
    /// Device profile: adds the fraction of its theoretical peak.
    #[arg(long)]
    pub device: Option<PathBuf>,
    /// Output format.
    #[arg(short = 'o', long = "output", value_enum, default_value_t = OutputFormat::Md)]
    pub output: OutputFormat,
    /// Write the output to this file (atomically) instead of stdout.
    #[arg(long = "out")]
    pub out: Option<PathBuf>,
}

/// Flags of `edgebench roofline`.
#[derive(Debug, Args)]
pub struct RooflineArgs {
    /// Device profile giving [device] mem_bandwidth_gbs.
    #[arg(long)]
    pub device: PathBuf,
    /// Model file (GGUF) or synth:PRESET-QUANT[-sSEED].
    #[arg(short = 'm', long = "model")]
    pub model: String,
    /// Context lengths to predict at (default: 0, 512, 2048, 8192 up to the model's trained context).
    #[arg(short = 'c', long = "context")]
    pub context: Option<UIntList>,
    /// Measured read bandwidth to use beside the profile's peak, GB/s (e.g. from `edgebench bandwidth`).
    #[arg(long = "read-gbs")]
    pub read_gbs: Option<f64>,
    /// KV-cache type (default f16).
    #[arg(long = "kv-type", value_enum)]
    pub kv_type: Option<KvTypeArg>,
    /// Output format.
    #[arg(short = 'o', long = "output", value_enum, default_value_t = ProbeFormat::Md)]
    pub output: ProbeFormat,
}

/// Flags of `edgebench sweep`.
#[derive(Debug, Args)]
pub struct SweepArgs {
    /// Device profile (TOML). Default: the built-in profiles/local.toml, which
    /// runs anywhere on synthetic models edgebench writes itself.
    #[arg(long)]
    pub device: Option<PathBuf>,
    /// Output folder (default: edgebench-results/<profile>-<time>).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Continue the sweep in --out: run only the cases without a result.
    #[arg(long)]
    pub resume: bool,
    /// Only the cases matching, e.g. 'model=tiny*,backend=llama.cpp,threads=2,test=pp*'.
    #[arg(long, value_parser = parse_filter)]
    pub filter: Option<crate::sweep::filter::Filter>,
    /// Check the profile and print the plan; run nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Exit 1 when any SLO fails (for CI).
    #[arg(long)]
    pub fail_on_slo: bool,
    /// Also write the SLO verdicts as JUnit XML to FILE (one test case per
    /// check, for CI test reports), also when --fail-on-slo then exits 1.
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
    /// Seed of the prompt token ids.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Mock backend costs and faults (tests).
    #[arg(long = "mock-spec", hide = true, default_value = "")]
    pub mock_spec: String,
    /// Milliseconds between SIGTERM and SIGKILL for a timed-out worker.
    #[arg(long = "kill-grace-ms", hide = true, default_value_t = 2000)]
    pub kill_grace_ms: u64,
    /// Run cases the memory pre-flight refuses (as `[matrix] force = true`).
    #[arg(long)]
    pub force: bool,
    /// Run contexts longer than a model's training context (as `[matrix]
    /// allow_long_context = true`).
    #[arg(long = "allow-long-context")]
    pub allow_long_context: bool,
}

fn parse_filter(s: &str) -> Result<crate::sweep::filter::Filter, String> {
    s.parse()
}

/// Flags of `edgebench compare`. Exit 1 when any metric is significantly slower.
#[derive(Debug, Args)]
pub struct CompareArgs {
    /// Baseline results: a results file (json/jsonl), a sweep.json, or a sweep's --out folder.
    pub baseline: PathBuf,
    /// Candidate results, in the same forms.
    pub candidate: PathBuf,
    /// Changes within +/- this many % count as the same; beyond it, slower or faster.
    #[arg(long, default_value_t = edgebench_reports::compare::DEFAULT_THRESHOLD_PCT)]
    pub threshold: f64,
    /// Leave out cases that started above this temperature, °C (sweeps already mark them invalid).
    #[arg(long = "max-start-temp-c")]
    pub max_start_temp_c: Option<f64>,
    /// Also write the comparison as JUnit XML to FILE (one test case per case
    /// and metric, for CI test reports), also when it then exits 1.
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
    /// Output format.
    #[arg(short = 'o', long = "output", value_enum, default_value_t = ProbeFormat::Md)]
    pub output: ProbeFormat,
}

/// Flags of `edgebench conform`. Exit 0 when every pair passes, 1 when one
/// fails, 2 on bad input.
#[derive(Debug, Args)]
pub struct ConformArgs {
    /// Models: files (.gguf, .onnx) or synth:PRESET-QUANT (a GGUF, or its
    /// ONNX twin for an onnx backend). The first is the reference; every other
    /// one is compared against it. The same model may be given twice.
    #[arg(required = true, num_args = 2..)]
    pub models: Vec<String>,
    /// One backend per model, in order (comma list). Default: GGUF on
    /// llama.cpp, ONNX on onnx:cpu.
    #[arg(short = 'b', long = "backends", value_delimiter = ',')]
    pub backends: Vec<String>,
    /// Tokens run through each pair (prefill, then one decode step each).
    #[arg(long, default_value_t = 40)]
    pub tokens: u32,
    /// How many of them form the first (batched) prefill.
    #[arg(long, default_value_t = 8)]
    pub prefill: u32,
    /// Seed of the token ids (SplitMix64, as in `run`).
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// CPU threads for every backend (default: physical cores).
    #[arg(short = 't', long)]
    pub threads: Option<u32>,
    /// Override the class's minimum top-1 agreement (0..1).
    #[arg(long = "min-top1")]
    pub min_top1: Option<f64>,
    /// Override the class's minimum cosine similarity (0..1).
    #[arg(long = "min-cosine")]
    pub min_cosine: Option<f64>,
    /// Override the class's largest logit difference, as a fraction of the
    /// reference logit range (> 0).
    #[arg(long = "max-diff-rel")]
    pub max_diff_rel: Option<f64>,
    /// Output format on stdout.
    #[arg(short = 'o', long = "output", value_enum, default_value_t = ProbeFormat::Md)]
    pub output: ProbeFormat,
    /// Also write the conformance record (JSON) to this file.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Load settings: --ngl, --ep-option, --graph-opt.
    #[command(flatten)]
    pub load: LoadFlags,
}

/// Flags of `edgebench quality`. Exit 0 when every model was measured, 2 on
/// bad input.
#[derive(Debug, Args)]
pub struct QualityArgs {
    /// Quantised models: files (.gguf, .onnx) or synth:PRESET-QUANT.
    #[arg(required = true)]
    pub models: Vec<String>,
    /// The reference: the f16/f32 file of the same weights (or
    /// synth:PRESET-f16 for synthetic models).
    #[arg(long, value_name = "MODEL")]
    pub reference: String,
    /// Backend of the reference (default: llama.cpp for GGUF, onnx:cpu for
    /// ONNX).
    #[arg(long = "reference-backend")]
    pub reference_backend: Option<String>,
    /// Backends to run every model on (comma list; default: llama.cpp for
    /// GGUF, onnx:cpu for ONNX). Each model runs on each backend.
    #[arg(short = 'b', long = "backends", value_delimiter = ',')]
    pub backends: Vec<String>,
    /// Token ids run through every model (the first is BOS, then the text's
    /// or seeded ids).
    #[arg(long, default_value_t = 128)]
    pub tokens: u32,
    /// Text fed as ids, tokenized by the reference's own vocabulary
    /// (llama.cpp's tokenizer): a file, or `builtin` (a public-domain text
    /// built in). Default: `builtin` for real models, seeded ids for
    /// synthetic ones (random weights have no language to measure).
    #[arg(long, value_name = "FILE|builtin")]
    pub text: Option<String>,
    /// Seed of the token ids (SplitMix64).
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// CPU threads for every backend (default: physical cores).
    #[arg(short = 't', long)]
    pub threads: Option<u32>,
    /// Output format on stdout.
    #[arg(short = 'o', long = "output", value_enum, default_value_t = ProbeFormat::Md)]
    pub output: ProbeFormat,
    /// Also write the quality record (JSON) to this file.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Load settings: --ngl, --ep-option, --graph-opt.
    #[command(flatten)]
    pub load: LoadFlags,
}

/// Flags of `edgebench history`.
#[derive(Debug, Args)]
pub struct HistoryArgs {
    /// What to do with the history.
    #[command(subcommand)]
    pub command: HistoryCommand,
}

/// Subcommands of `edgebench history`.
#[derive(Debug, Subcommand)]
pub enum HistoryCommand {
    /// Store results (adding the same results twice stores them once).
    Add(HistoryAddArgs),
    /// Find change points in every series; exit 1 when one is a regression.
    Check(HistoryCheckArgs),
}

/// Flags of `edgebench history add`.
#[derive(Debug, Args)]
pub struct HistoryAddArgs {
    /// Results files, sweep.json files or sweep --out folders, and quality
    /// records (`edgebench quality --out`; a sweep's are in its sweep.json).
    #[arg(required = true)]
    pub results: Vec<PathBuf>,
    /// Store: sqlite:PATH, a file path, or postgres://USER@HOST[:PORT]/DB
    /// (default: $EDGEBENCH_HISTORY, else <data dir>/edgebench/history.sqlite).
    #[arg(long)]
    pub store: Option<String>,
}

/// Flags of `edgebench history check`.
#[derive(Debug, Args)]
pub struct HistoryCheckArgs {
    /// Store, as for `history add`.
    #[arg(long)]
    pub store: Option<String>,
    /// Report only changes that started at or after this date (YYYY-MM-DD or RFC 3339, UTC);
    /// older runs still set the baseline and the noise.
    #[arg(long)]
    pub since: Option<String>,
    /// A change point is kept when its t test's p-value is below this.
    #[arg(long = "max-pvalue", default_value_t = 1e-4)]
    pub max_pvalue: f64,
    /// Quality series (mean KLD, top-1 agreement) are compared run to run:
    /// a mean KLD up more than PCT % of the run before (and by more than
    /// 1e-6) is a regression, as is top-1 down more than 1 point.
    #[arg(long = "quality-threshold", value_name = "PCT", default_value_t = 5.0)]
    pub quality_threshold: f64,
    /// Also write the check as JUnit XML to FILE (one test case per series,
    /// for CI test reports), also when it then exits 1.
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
    /// Output format.
    #[arg(short = 'o', long = "output", value_enum, default_value_t = ProbeFormat::Md)]
    pub output: ProbeFormat,
}

/// Output formats of `run`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// Markdown table.
    Md,
    /// JSON array of records.
    Json,
    /// One JSON record per line.
    Jsonl,
    /// Flat CSV table.
    Csv,
}

/// What `run`'s tests time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ShapeArg {
    /// llama-bench's tests: pp per -p, tg per -n, pp+tg per -pg.
    #[value(name = "llama-bench")]
    LlamaBench,
    /// Requests: every -p x -n pair, first token from the prompt's logits.
    Request,
}

/// One `-pg` pair: "512,128".
fn parse_pg(s: &str) -> Result<(u32, u32), String> {
    let (p, g) = s
        .split_once(',')
        .ok_or_else(|| format!("'{s}': give PP,TG, e.g. 512,128"))?;
    let num = |t: &str| {
        t.trim()
            .parse::<u32>()
            .map_err(|_| format!("'{t}' in '{s}' is not a whole number >= 0"))
    };
    Ok((num(p)?, num(g)?))
}

/// llama-bench's multi-letter single-dash flags, as edgebench spells them.
const LLAMA_BENCH_FLAGS: &[(&str, &str)] = &[
    ("-pg", "--pg"),
    ("-ub", "--ubatch"),
    ("-ngl", "--ngl"),
    ("-fa", "--fa"),
    ("-ctk", "--cache-type-k"),
    ("-ctv", "--cache-type-v"),
];

/// The command line with llama-bench's multi-letter single-dash flags
/// (`-pg 512,128`, `-ub 256`, `-ngl 99`, `-fa 1`, `-ctk q8_0`) spelled as
/// edgebench's long flags, so that a llama-bench command line can be pasted
/// after `edgebench run`. Only whole arguments are rewritten, and only
/// after the `run` subcommand.
pub fn llama_bench_spelling(
    args: impl IntoIterator<Item = std::ffi::OsString>,
) -> Vec<std::ffi::OsString> {
    let mut seen_run = false;
    args.into_iter()
        .map(|a| {
            if !seen_run {
                seen_run = a == "run";
                return a;
            }
            match LLAMA_BENCH_FLAGS.iter().find(|(short, _)| a == *short) {
                Some((_, long)) => std::ffi::OsString::from(long),
                None => a,
            }
        })
        .collect()
}

/// KV-cache types settable from the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum KvTypeArg {
    /// 16-bit float.
    F16,
    /// 32-bit float.
    F32,
    /// 8-bit blocks.
    #[value(name = "q8_0")]
    Q8_0,
    /// 4-bit blocks.
    #[value(name = "q4_0")]
    Q4_0,
}

/// Flags of `edgebench run`. List flags take "a,b,c" and ranges "a-b", "a-b+step", "a-b*mult".
#[derive(Debug, Args)]
pub struct RunArgs {
    /// Model file(s) (GGUF), or synth:PRESET-QUANT[-sSEED] for a synthetic model
    /// edgebench writes into its cache. Default: synth:tiny-q4_0 (no download).
    #[arg(short = 'm', long = "model", value_delimiter = ',')]
    pub models: Vec<String>,
    #[arg(
        short = 'b',
        long = "backend",
        value_delimiter = ',',
        default_value = "llama.cpp",
        help = format!("Backend(s): {}", backend_ids())
    )]
    #[allow(missing_docs)] // its help is the registry's list
    pub backends: Vec<String>,
    /// Prompt length(s), 0 to 16777216: a pp test each, as llama-bench (0 skips);
    /// with --shape request, the requests' prompt lengths (1 or more).
    #[arg(short = 'p', long = "n-prompt", default_value = "512")]
    pub n_prompt: UIntList,
    /// Tokens to generate, 0 to 16777216: a tg test each, as llama-bench (0 skips);
    /// with --shape request, the requests' generation lengths.
    #[arg(short = 'n', long = "n-gen", default_value = "128")]
    pub n_gen: UIntList,
    /// Prompt and generation pair(s) PP,TG (llama-bench's -pg, also accepted
    /// as -pg), repeatable: a pp+tg test each, timed together.
    #[arg(long = "pg", value_name = "PP,TG", value_parser = parse_pg)]
    pub pg: Vec<(u32, u32)>,
    /// What the tests time: llama-bench's pp/tg/pg tests (default), or
    /// `request`: one request per -p x -n pair (a prompt, then generation
    /// from its logits; the shape sweeps and SLOs use, the one with TTFT).
    #[arg(long, value_enum, default_value_t = ShapeArg::LlamaBench)]
    pub shape: ShapeArg,
    /// KV-cache depth(s): tokens already in context before the test (untimed), 0 to 16777216.
    #[arg(short = 'd', long = "n-depth", default_value = "0")]
    pub n_depth: UIntList,
    /// Measured repetitions per case, 1 to 10000.
    #[arg(short = 'r', long = "repetitions", default_value_t = 5)]
    pub reps: u32,
    /// CPU thread count(s), 1 to 1024. Default: physical cores.
    #[arg(short = 't', long = "threads")]
    pub threads: Option<UIntList>,
    /// Logical batch size (prompt tokens per decode call), 1 to 16777216.
    #[arg(long, default_value_t = 2048)]
    pub batch: u32,
    /// Physical micro-batch size, 1 to --batch (llama-bench's -ub).
    #[arg(long, default_value_t = 512)]
    pub ubatch: u32,
    /// Load settings: --ngl, --ep-option, --graph-opt.
    #[command(flatten)]
    pub load: LoadFlags,
    /// Flash attention: 0 or 1 (default: the backend decides).
    #[arg(long = "fa", value_parser = clap::value_parser!(u8).range(0..=1))]
    pub flash_attn: Option<u8>,
    /// KV-cache type (default: the backend's, f16 for llama.cpp).
    #[arg(long = "kv-type", value_enum)]
    pub kv_type: Option<KvTypeArg>,
    /// KV-cache K type (llama-bench's -ctk); must equal -ctv and --kv-type where given.
    #[arg(long = "cache-type-k", value_enum)]
    pub cache_type_k: Option<KvTypeArg>,
    /// KV-cache V type (llama-bench's -ctv); must equal -ctk and --kv-type where given.
    #[arg(long = "cache-type-v", value_enum)]
    pub cache_type_v: Option<KvTypeArg>,
    /// Seed of the prompt token ids.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Measured read bandwidth of this machine, GB/s (from `edgebench bandwidth`):
    /// gives every case its decode ceiling and the table its "% of ceiling".
    #[arg(long = "read-gbs")]
    pub read_gbs: Option<f64>,
    /// Unrecorded warm-up repetitions before measuring, 0 to 1000.
    #[arg(long, default_value_t = 1, conflicts_with = "no_warmup")]
    pub warmup: u32,
    /// No warm-up repetition.
    #[arg(long)]
    pub no_warmup: bool,
    /// Output format.
    #[arg(short = 'o', long = "output", value_enum, default_value_t = OutputFormat::Md)]
    pub output: OutputFormat,
    /// Write the output to this file (atomically, updated after every case) instead of stdout.
    #[arg(long = "out")]
    pub out: Option<PathBuf>,
    /// No progress lines on stderr.
    #[arg(short = 'q', long)]
    pub quiet: bool,
    /// Mock backend costs and faults, e.g. "prefill_us=20,decode_us=1000,fail=decode:5".
    #[arg(long = "mock-spec", hide = true, default_value = "")]
    pub mock_spec: String,
    /// Run a case even when the memory pre-flight estimates it needs more
    /// memory than this machine has available (recorded in the record).
    #[arg(long)]
    pub force: bool,
    /// Run a context (depth + prompt + gen) longer than the model's training
    /// context (recorded in the record).
    #[arg(long = "allow-long-context")]
    pub allow_long_context: bool,
}

/// Settings fixed when a model is loaded, shared by `run`, `conform` and
/// `sustained` (and passed by sweeps to their child processes).
#[derive(Debug, Clone, Default, Args)]
pub struct LoadFlags {
    /// Layers to offload to the GPU (llama.cpp GPU builds).
    #[arg(long = "ngl")]
    pub n_gpu_layers: Option<u32>,
    /// ONNX Runtime execution-provider option KEY=VALUE, repeatable
    /// (e.g. device_id=0, backend_path=libQnnHtp.so, htp_performance_mode=burst).
    #[arg(long = "ep-option", value_name = "KEY=VALUE")]
    pub ep_options: Vec<String>,
    /// ONNX Runtime graph optimisation: disable, basic, extended, all (ORT's default).
    #[arg(long = "graph-opt")]
    pub graph_opt: Option<String>,
}

/// What `edgebench synth` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SynthFormat {
    /// The GGUF file (llama.cpp, cpu).
    Gguf,
    /// The ONNX twin (onnx:<ep>), with its external-data file.
    Onnx,
    /// Both, side by side.
    Both,
}

/// Flags of `edgebench synth`.
#[derive(Debug, Args)]
pub struct SynthArgs {
    /// Size: tiny (~4M params, tests), small (~100M), medium (~0.5B, benchmarks).
    #[arg(long)]
    pub preset: String,
    /// Weight type: q4_0, q8_0, q4_1, q5_0, q4_k_m, q4_k_s, q5_k_m, q6_k, f16, bf16, f32.
    #[arg(long)]
    pub quant: String,
    /// Seed of the weights.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Output file: NAME.gguf (gguf, both) or NAME.onnx (onnx). With
    /// `both`, NAME.onnx and its NAME.onnx.data are written beside NAME.gguf.
    #[arg(long)]
    pub out: PathBuf,
    /// gguf, onnx (the ONNX twin: same weights and math, Optimum layout), or both.
    #[arg(long, value_enum, default_value_t = SynthFormat::Gguf)]
    pub format: SynthFormat,
    /// ONNX twin variants as exporters write them, comma-separated:
    /// int32 (int32 ids, mask and positions), qdq (DequantizeLinear + MatMul
    /// weights in place of MatMulNBits), qdq-static (qdq plus uint8
    /// QuantizeLinear/DequantizeLinear on every MatMul's activations, with
    /// ranges calibrated on ONNX Runtime, as quantize_static writes for NPU
    /// providers such as QNN), gqa (onnxruntime-genai's
    /// GroupQueryAttention graph, with a genai_config.json beside it),
    /// shared-kv (gqa with past_present_share_buffer = true).
    #[arg(long = "onnx-variant", value_delimiter = ',')]
    pub onnx_variant: Vec<String>,
}

/// Flags of `edgebench sustained`.
#[derive(Debug, Args)]
pub struct SustainedArgs {
    /// Model: a GGUF or ONNX path, or synth:PRESET-QUANT (its ONNX twin on onnx backends).
    #[arg(short = 'm', long = "model", default_value = "synth:tiny-q4_0")]
    pub model: String,
    #[arg(
        short = 'b',
        long = "backend",
        default_value = "llama.cpp",
        help = format!("Backend: {}", backend_ids())
    )]
    #[allow(missing_docs)] // its help is the registry's list
    pub backend: String,
    /// How long to keep issuing requests, e.g. 10m, 90s (at most 7 days).
    #[arg(long, default_value = "10m", value_parser = parse_duration_s)]
    pub duration: f64,
    /// Window of the rate series: a duration (5s) or a token count (32tok).
    #[arg(long, default_value = "5s")]
    pub window: crate::sustained::WindowSpec,
    /// Idle time between requests, e.g. 0s, 1s.
    #[arg(long, default_value = "0s", value_parser = parse_duration_s)]
    pub gap: f64,
    /// Prompt tokens per request, 1 to 16777216.
    #[arg(short = 'p', long = "n-prompt", default_value_t = 128)]
    pub n_prompt: u32,
    /// Tokens generated per request, 2 to 16777216.
    #[arg(short = 'n', long = "n-gen", default_value_t = 128)]
    pub n_gen: u32,
    /// CPU threads (default: physical cores).
    #[arg(short = 't', long = "threads")]
    pub threads: Option<u32>,
    /// Telemetry sampling rate, Hz (1 to 100).
    #[arg(long = "telemetry-hz", default_value_t = 1.0)]
    pub telemetry_hz: f64,
    /// After the run, watch the device cool down and report the recovery time.
    #[arg(long)]
    pub cooldown_watch: bool,
    /// Give up the cool-down watch after this long.
    #[arg(long = "cooldown-timeout", default_value = "10m", value_parser = parse_duration_s)]
    pub cooldown_timeout: f64,
    /// Prompt seed.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Output format on stdout.
    #[arg(short = 'o', long = "output", value_enum, default_value_t = ProbeFormat::Md)]
    pub output: ProbeFormat,
    /// Also write the record (JSON) to this file.
    #[arg(long = "out")]
    pub out: Option<PathBuf>,
    /// Mock backend settings (tests).
    #[arg(long = "mock-spec", hide = true, default_value = "")]
    pub mock_spec: String,
    /// Load settings: --ngl, --ep-option, --graph-opt.
    #[command(flatten)]
    pub load: LoadFlags,
    /// Read sysfs under this root (tests; default $EDGEBENCH_SYSFS_ROOT or /).
    #[arg(long = "sysfs-root", hide = true)]
    pub sysfs_root: Option<PathBuf>,
    /// Run even when the memory pre-flight estimates the case needs more
    /// memory than this machine has available (recorded in the record).
    #[arg(long)]
    pub force: bool,
    /// Run a context longer than the model's training context.
    #[arg(long = "allow-long-context")]
    pub allow_long_context: bool,
}

/// How `edgebench load` spaces arrivals.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ArrivalArg {
    /// Exponential gaps (Poisson), seeded by --seed.
    Poisson,
    /// Equal gaps.
    Constant,
}

/// Flags of `edgebench load`.
#[derive(Debug, Args)]
pub struct LoadArgs {
    /// Model: a GGUF or ONNX path, or synth:PRESET-QUANT (its ONNX twin on onnx backends).
    #[arg(short = 'm', long = "model", default_value = "synth:tiny-q4_0")]
    pub model: String,
    #[arg(
        short = 'b',
        long = "backend",
        default_value = "llama.cpp",
        help = format!("Backend: {}", backend_ids())
    )]
    #[allow(missing_docs)] // its help is the registry's list
    pub backend: String,
    /// Arrival rate(s), requests per second, above 0 and at most 1000000: one run each.
    #[arg(
        long = "rate",
        value_delimiter = ',',
        required_unless_present = "capacity"
    )]
    pub rates: Vec<f64>,
    /// How arrivals are spaced.
    #[arg(long, value_enum, default_value_t = ArrivalArg::Poisson)]
    pub arrival: ArrivalArg,
    /// Requests per run (per rate, and per trial of --capacity), 1 to
    /// 1000000 (default 100).
    #[arg(long, conflicts_with = "duration")]
    pub requests: Option<u32>,
    /// Instead of --requests: each run's arrivals span this long (90s, 5m),
    /// at most 1000000 requests.
    #[arg(long, value_parser = parse_duration_s)]
    pub duration: Option<f64>,
    /// Requests served at once (comma list, 1 to 256): above 1, continuous
    /// batching of that many sequences in one context (llama.cpp only).
    #[arg(
        short = 'c',
        long = "concurrency",
        value_delimiter = ',',
        default_value = "1"
    )]
    pub concurrency: Vec<u32>,
    /// Tokens in one batched step above concurrency 1: each running
    /// request's next token first, prompt chunks of new requests fill the
    /// rest. Smaller keeps inter-token latency down while prompts are
    /// prefilled, at the cost of TTFT (default: the context's batch, 2048;
    /// 2 to that batch).
    #[arg(long = "step-tokens")]
    pub step_tokens: Option<u32>,
    /// Prompt tokens per request: a count, or a range drawn from uniformly
    /// per request (32-256, seeded); each 1 to 16777216.
    #[arg(short = 'p', long = "n-prompt", default_value = "128")]
    pub n_prompt: edgebench_devices::load_lengths::LenRange,
    /// Tokens generated per request: a count or a range, as -p.
    #[arg(short = 'n', long = "n-gen", default_value = "32")]
    pub n_gen: edgebench_devices::load_lengths::LenRange,
    /// Replay request lengths from this file instead of -p/-n: one JSON
    /// object per line, {"prompt_len": P, "gen_len": G}, taken in order and
    /// repeated (docs/load.md; profiles/traces/chat-mix.jsonl is a mix).
    #[arg(long, conflicts_with_all = ["n_prompt", "n_gen"])]
    pub trace: Option<PathBuf>,
    /// CPU threads (default: physical cores).
    #[arg(short = 't', long = "threads")]
    pub threads: Option<u32>,
    /// A request still queued this long after arriving is dropped (a server's timeout).
    #[arg(long = "queue-timeout", default_value = "60s", value_parser = parse_duration_s)]
    pub queue_timeout: f64,
    /// Latency limit, TTFT from arrival, ms: goodput counts requests within
    /// it, --capacity holds while the p99 is.
    #[arg(long = "ttft-ms")]
    pub ttft_ms: Option<f64>,
    /// Latency limit on every inter-token latency, ms (goodput; p99 for --capacity).
    #[arg(long = "itl-ms")]
    pub itl_ms: Option<f64>,
    /// Latency limit, arrival to last token, ms (goodput; p99 for --capacity).
    #[arg(long = "e2e-ms")]
    pub e2e_ms: Option<f64>,
    /// Search the highest rate at which the p99 of each limit holds, no
    /// request is dropped and the queue does not grow (bisection to 2 %,
    /// at most 12 runs of --requests each).
    #[arg(long)]
    pub capacity: bool,
    /// Seed of the prompt and of the arrivals.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Output format on stdout.
    #[arg(short = 'o', long = "output", value_enum, default_value_t = ProbeFormat::Md)]
    pub output: ProbeFormat,
    /// Also write the runs (JSON, with every request's timings) to this file.
    #[arg(long = "out")]
    pub out: Option<PathBuf>,
    /// Mock backend settings (tests).
    #[arg(long = "mock-spec", hide = true, default_value = "")]
    pub mock_spec: String,
    /// Load settings: --ngl, --ep-option, --graph-opt.
    #[command(flatten)]
    pub load: LoadFlags,
}

fn parse_duration_s(s: &str) -> Result<f64, String> {
    humantime::parse_duration(s)
        .map(|d| d.as_secs_f64())
        .map_err(|e| format!("'{s}': {e}; give a duration like 90s or 10m"))
}

/// Tools whose results `edgebench import` reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ImportTool {
    /// llama.cpp's llama-bench (`-o json`, `jsonl`, `csv` or `sql`).
    #[value(name = "llama-bench")]
    LlamaBench,
}

/// Flags of `edgebench import`.
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The tool that wrote the files.
    #[arg(value_enum)]
    pub tool: ImportTool,
    /// Its output files (format detected from the content).
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Where to write the records (a JSON array, readable by compare, report and history).
    #[arg(long, default_value = "llama-bench-import.json")]
    pub out: PathBuf,
}

/// Flags of `edgebench report`.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Sweep output folders, sweep.json files or result files (JSON / JSON Lines), one or many devices.
    #[arg(required = true, value_name = "RESULTS")]
    pub results: Vec<PathBuf>,
    /// Output folder (default: the input folder when there is one, else edgebench-report).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Files to write: html, md or html,md.
    #[arg(long, default_value = "html,md")]
    pub format: String,
    /// Judge every device by this profile's SLOs (its [cost] fills in where a device has none).
    #[arg(long = "slo-profile", value_name = "PROFILE")]
    pub slo_profile: Option<PathBuf>,
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;
    use edgebench_devices::limits::{MAX_REPS, MAX_THREADS, MAX_TOKENS, MAX_WARMUP};

    /// `run --help` states the limits the flags are checked against.
    #[test]
    fn run_help_states_the_limits() {
        let mut cmd = super::Cli::command();
        let run = cmd.find_subcommand_mut("run").unwrap();
        let help = run.render_long_help().to_string();
        for (flag, text) in [
            ("--n-prompt", format!("0 to {MAX_TOKENS}")),
            ("--n-gen", format!("0 to {MAX_TOKENS}")),
            ("--n-depth", format!("0 to {MAX_TOKENS}")),
            ("--repetitions", format!("1 to {MAX_REPS}")),
            ("--threads", format!("1 to {MAX_THREADS}")),
            ("--batch", format!("1 to {MAX_TOKENS}")),
            ("--warmup", format!("0 to {MAX_WARMUP}")),
        ] {
            let at = help.find(flag).unwrap_or_else(|| panic!("{flag} in help"));
            let section = &help[at..(at + 400).min(help.len())];
            assert!(
                section.contains(&text),
                "{flag}: want '{text}' in\n{section}"
            );
        }
    }
}
