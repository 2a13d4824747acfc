//! Does the onnx backend slow ONNX Runtime down? One decode step through
//! `OnnxBackend::decode` against one bare `Session::run` written directly
//! with ort on the same model, same thread count, same inputs (ids, mask of
//! ones, positions, the previous step's `present.*` moved in as
//! `past_key_values.*`) and the same KV growth: both restart from a
//! one-token prefill every `RESTART` steps, outside the timed region. The
//! goal is backend/bare - 1 <= 3 %, as the geometric mean of ABBA rounds
//! run once with each session created first (the session created first
//! runs faster, whichever it is).
//!
//!     cargo bench -p edgebench-benches --features onnx --bench onnx_overhead
//!
//! Model: `EDGEBENCH_BENCH_ONNX` (an Optimum-layout .onnx path), default the
//! synthetic ONNX twin of synth:small-f32 written by
//! `edgebench_backends::synth::write_onnx`; threads: `EDGEBENCH_BENCH_THREADS`,
//! default 2. ONNX Runtime is found as the backend finds it
//! (`ORT_DYLIB_PATH`, scripts/setup.sh's install, the Python wheel).
use std::path::PathBuf;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use edgebench_backends::onnx::{OnnxBackend, OnnxOptions, runtime};
use edgebench_backends::{Backend, ContextSettings};
use ort::session::{Session, SessionInputValue};
use ort::value::{DynTensor, DynValue, TensorElementType, TensorRef};

/// Decode steps before the KV cache is restarted (bounds the context).
const RESTART: usize = 256;

fn threads() -> u32 {
    std::env::var("EDGEBENCH_BENCH_THREADS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2)
}

fn model() -> PathBuf {
    if let Ok(p) = std::env::var("EDGEBENCH_BENCH_ONNX") {
        return p.into();
    }
    synth_twin()
}

/// The synthetic ONNX twin, written once per run into a temp folder that
/// lives for the process.
fn synth_twin() -> PathBuf {
    use edgebench_backends::synth::{Preset, Quant, SynthSpec, write_onnx};
    let spec = SynthSpec {
        preset: Preset::Small,
        quant: Quant::F32,
        seed: 42,
    };
    let dir = tempfile::tempdir().expect("temp dir").keep();
    let path = dir.join(format!("{}.onnx", spec.cache_key()));
    write_onnx(&spec, &path).expect("write the ONNX twin");
    path
}

/// A decode loop written directly against ort: what the backend must not
/// be measurably slower than.
struct Bare {
    session: Session,
    names: Vec<String>,
    presents: Vec<String>,
    past: Vec<DynValue>,
    kv_shape: [usize; 4],
    kv_type: TensorElementType,
    ones: Vec<i64>,
    ids: [i64; 1],
    past_len: usize,
}

impl Bare {
    fn new(path: &std::path::Path, threads: u32, n_ctx: usize) -> Bare {
        let env = runtime::environment().expect("ONNX Runtime");
        let session = Session::builder(env)
            .unwrap()
            .with_intra_threads(threads as usize)
            .unwrap()
            .commit_from_file(path)
            .unwrap();
        let names: Vec<String> = session
            .inputs()
            .iter()
            .map(|i| i.name().to_string())
            .collect();
        let presents: Vec<String> = names
            .iter()
            .filter_map(|n| n.strip_prefix("past_key_values."))
            .map(|rest| format!("present.{rest}"))
            .collect();
        let first = session
            .inputs()
            .iter()
            .find(|i| i.name() == "past_key_values.0.key")
            .expect("an Optimum with-past export");
        let (kv_type, kv_shape) = match first.dtype() {
            ort::value::ValueType::Tensor { ty, shape, .. } => {
                (*ty, [1, shape[1] as usize, 0, shape[3] as usize])
            }
            _ => panic!("KV input is not a tensor"),
        };
        Bare {
            session,
            names,
            presents,
            past: Vec::new(),
            kv_shape,
            kv_type,
            ones: vec![1; n_ctx],
            ids: [0],
            past_len: 0,
        }
    }

    fn restart(&mut self) {
        self.past = (0..self.presents.len())
            .map(|_| {
                DynTensor::new(self.session.allocator(), self.kv_type, self.kv_shape)
                    .unwrap()
                    .into_dyn()
            })
            .collect();
        self.past_len = 0;
        self.step(1);
    }

    fn step(&mut self, token: i64) {
        self.ids[0] = token;
        let total = self.past_len + 1;
        let pos = [self.past_len as i64];
        let mut past = std::mem::take(&mut self.past).into_iter();
        let inputs: Vec<SessionInputValue<'_>> = self
            .names
            .iter()
            .map(|n| match n.as_str() {
                "input_ids" => TensorRef::from_array_view(([1usize, 1], &self.ids[..]))
                    .unwrap()
                    .into(),
                "attention_mask" => {
                    TensorRef::from_array_view(([1usize, total], &self.ones[..total]))
                        .unwrap()
                        .into()
                }
                "position_ids" => TensorRef::from_array_view(([1usize, 1], &pos[..]))
                    .unwrap()
                    .into(),
                _ => SessionInputValue::Owned(past.next().unwrap()),
            })
            .collect();
        let mut out = self.session.run(inputs.as_slice()).unwrap();
        let next: Vec<DynValue> = self
            .presents
            .iter()
            .map(|p| out.remove(p.as_str()).unwrap())
            .collect();
        drop(out);
        self.past = next;
        self.past_len = total;
    }
}

/// The backend and the bare loop on one model; `bare_first` says which
/// session is created first. Measured here (medium q4_0 twin, 2 threads):
/// the session created first is 5-8 % faster whichever it is, so every
/// figure must be taken over both orders.
fn pair(
    path: &std::path::Path,
    threads: u32,
    n_ctx: usize,
    bare_first: bool,
) -> (OnnxBackend, Bare) {
    let early_bare = bare_first.then(|| Bare::new(path, threads, n_ctx));
    let mut backend = OnnxBackend::load(
        path,
        &OnnxOptions {
            threads: Some(threads),
            ..Default::default()
        },
    )
    .expect("load the model on the onnx backend");
    backend
        .configure(&ContextSettings {
            n_ctx: n_ctx as u32,
            threads,
            batch: 512,
            ubatch: 512,
            flash_attn: None,
            kv_type: None,
        })
        .unwrap();
    let bare = early_bare.unwrap_or_else(|| Bare::new(path, threads, n_ctx));
    (backend, bare)
}

fn bench(c: &mut Criterion) {
    let path = model();
    let threads = threads();
    let n_ctx = RESTART + 8;
    {
        let (mut backend, mut bare) = pair(&path, threads, n_ctx, false);
        let mut g = c.benchmark_group("onnx_decode_step");
        g.sample_size(30).warm_up_time(Duration::from_secs(2));
        let mut steps = RESTART;
        g.bench_function("bare", |b| {
            b.iter_custom(|iters| {
                let mut t = Duration::ZERO;
                for _ in 0..iters {
                    if steps == RESTART {
                        bare.restart();
                        steps = 0;
                    }
                    let s = Instant::now();
                    bare.step(3);
                    t += s.elapsed();
                    steps += 1;
                }
                t
            })
        });
        let mut steps = RESTART;
        g.bench_function("backend", |b| {
            b.iter_custom(|iters| {
                let mut t = Duration::ZERO;
                for _ in 0..iters {
                    if steps == RESTART {
                        backend.clear().unwrap();
                        backend.prefill(&[1], 0).unwrap();
                        steps = 0;
                    }
                    let s = Instant::now();
                    backend.decode(3, steps as u32 + 1).unwrap();
                    t += s.elapsed();
                    steps += 1;
                }
                t
            })
        });
        g.finish();
    }

    // The same two loops interleaved in ABBA rounds of RESTART steps each
    // (restarts untimed), so drift of a shared machine lands on both, once
    // with each session created first: the figure to quote is the
    // geometric mean of the two orders' median backend/bare ratios.
    let rounds: usize = std::env::var("EDGEBENCH_BENCH_ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(8);
    let by_order: Vec<f64> = [false, true]
        .into_iter()
        .map(|bare_first| {
            let (backend, bare) = pair(&path, threads, n_ctx, bare_first);
            let median = abba(backend, bare, rounds);
            println!(
                "onnx_overhead interleaved, {} created first: median backend/bare per decode step {median:.4} ({:+.2} %) over {rounds} ABBA rounds of {RESTART} steps",
                if bare_first { "bare" } else { "backend" },
                (median - 1.0) * 100.0
            );
            median
        })
        .collect();
    let gm = (by_order[0] * by_order[1]).sqrt();
    println!(
        "onnx_overhead: backend/bare per decode step {gm:.4} ({:+.2} %), geometric mean over both creation orders",
        (gm - 1.0) * 100.0
    );
}

/// ABBA rounds of RESTART decode steps; the median backend/bare ratio.
fn abba(mut backend: OnnxBackend, mut bare: Bare, rounds: usize) -> f64 {
    let mut bare_block = || {
        bare.restart();
        let s = Instant::now();
        for _ in 0..RESTART {
            bare.step(3);
        }
        s.elapsed().as_secs_f64() / RESTART as f64
    };
    let mut backend_block = || {
        backend.clear().unwrap();
        backend.prefill(&[1], 0).unwrap();
        let s = Instant::now();
        for i in 0..RESTART {
            backend.decode(3, i as u32 + 1).unwrap();
        }
        s.elapsed().as_secs_f64() / RESTART as f64
    };
    let mut ratios = vec![];
    for r in 0..rounds {
        let (a1, b1, b2, a2) = if r % 2 == 0 {
            let a1 = bare_block();
            let b1 = backend_block();
            let b2 = backend_block();
            (a1, b1, b2, bare_block())
        } else {
            let b1 = backend_block();
            let a1 = bare_block();
            let a2 = bare_block();
            let b2 = backend_block();
            (a1, b1, b2, a2)
        };
        let ratio = (b1 + b2) / (a1 + a2);
        println!(
            "onnx_overhead interleaved round {r}: bare {:.1} us/step, backend {:.1} us/step, ratio {ratio:.4}",
            (a1 + a2) / 2.0 * 1e6,
            (b1 + b2) / 2.0 * 1e6
        );
        ratios.push(ratio);
    }
    ratios.sort_by(f64::total_cmp);
    let n = ratios.len();
    if n % 2 == 1 {
        ratios[n / 2]
    } else {
        (ratios[n / 2 - 1] + ratios[n / 2]) / 2.0
    }
}

// No plots: criterion's plotters backend looks for system fonts, which the
// workspace's plotters build (ab_glyph, for the report) does not provide.
criterion_group! {
    name = benches;
    config = Criterion::default().without_plots();
    targets = bench
}
criterion_main!(benches);
