//! Turns the raw `run` flags into a validated plan: the lists expanded into
//! cases, ordered so each model with the same load settings is loaded once.
use std::fmt;

use edgebench_backends::{BackendKind, ContextSettings, KvType, LoadSettings};
use edgebench_devices::limits::{MAX_REPS, MAX_THREADS, MAX_TOKENS, MAX_WARMUP, check_u32};
use edgebench_reports::record::TestShape;

/// A parsed list flag: "512", "128,256,512", "128-512*2" (128, 256, 512),
/// "1-4" (1, 2, 3, 4) or "0-1024+256" (0, 256, ..., 1024), as llama-bench.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UIntList(pub Vec<u32>);

impl std::str::FromStr for UIntList {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let mut out = Vec::new();
        for item in s.split(',').map(str::trim) {
            if item.is_empty() {
                return Err(format!("empty item in '{s}'"));
            }
            out.extend(parse_item(item)?);
        }
        if out.len() > 4096 {
            return Err(format!(
                "'{s}' expands to {} values; at most 4096",
                out.len()
            ));
        }
        Ok(UIntList(out))
    }
}

fn parse_item(item: &str) -> Result<Vec<u32>, String> {
    let num = |t: &str| -> Result<u32, String> {
        t.trim()
            .parse::<u32>()
            .map_err(|_| format!("'{t}' is not a whole number >= 0"))
    };
    let Some((first, rest)) = item.split_once('-') else {
        return Ok(vec![num(item)?]);
    };
    let first = num(first)?;
    let (last, step) = if let Some((last, step)) = rest.split_once('+') {
        (num(last)?, Step::Add(num(step)?))
    } else if let Some((last, mul)) = rest.split_once('*') {
        (num(last)?, Step::Mul(num(mul)?))
    } else {
        (num(rest)?, Step::Add(1))
    };
    if last < first {
        return Err(format!("range '{item}' ends before it starts"));
    }
    let mut out = vec![];
    let mut v = first as u64;
    while v <= last as u64 {
        out.push(v as u32);
        if out.len() > 4096 {
            return Err(format!("range '{item}' has more than 4096 values"));
        }
        v = match step {
            Step::Add(0) | Step::Mul(0) | Step::Mul(1) => {
                return Err(format!("range '{item}' has a step that never advances"));
            }
            Step::Add(s) => v + s as u64,
            Step::Mul(m) if v == 0 => return Err(format!("range '{item}' multiplies 0 by {m}")),
            Step::Mul(m) => v * m as u64,
        };
    }
    Ok(out)
}

#[derive(Clone, Copy)]
enum Step {
    Add(u32),
    Mul(u32),
}

/// How the model of a case is given.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ModelSource {
    /// A file the user brings.
    File(std::path::PathBuf),
    /// A synthetic model edgebench writes into its cache: "tiny-q4_0-s42".
    Synth(String),
}

impl fmt::Display for ModelSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ModelSource::File(p) => write!(f, "{}", p.display()),
            ModelSource::Synth(s) => write!(f, "synth:{s}"),
        }
    }
}

/// Workload settings of one case (what is timed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Workload {
    /// What is timed: a request, or llama-bench's pp, tg or pg test.
    pub shape: TestShape,
    /// Prompt tokens.
    pub n_prompt: u32,
    /// Generated tokens.
    pub n_gen: u32,
    /// KV-cache depth before the prompt.
    pub n_depth: u32,
    /// Measured repetitions.
    pub reps: u32,
    /// Warm-up repetitions.
    pub warmup: u32,
    /// Prompt seed.
    pub seed: u64,
}

impl Workload {
    /// The test's name: "req512+128", or llama-bench's "pp512", "tg128",
    /// "pp512+tg128"; " @ d512" at a depth.
    pub fn test_name(&self) -> String {
        self.shape
            .test_name(self.n_prompt, self.n_gen, self.n_depth)
    }
}

/// Which tests the `-p`, `-n` and `-pg` lists make.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Tests {
    /// As llama-bench: a pp test per prompt length, a tg test per
    /// generation length (0 skips), a pg test per `-pg` pair; each at every
    /// depth.
    LlamaBench {
        /// `-pg` pairs (prompt, generated).
        pg: Vec<(u32, u32)>,
    },
    /// edgebench's request: one test per (prompt, generated) pair of the
    /// product of the lists, as sweeps run them.
    Requests,
}

impl Tests {
    /// (shape, n_prompt, n_gen) of every test at one depth, in llama-bench's
    /// order: pp tests, tg tests, pg tests.
    pub fn expand(&self, n_prompt: &[u32], n_gen: &[u32]) -> Vec<(TestShape, u32, u32)> {
        match self {
            Tests::Requests => n_prompt
                .iter()
                .flat_map(|&p| n_gen.iter().map(move |&n| (TestShape::Request, p, n)))
                .collect(),
            Tests::LlamaBench { pg } => n_prompt
                .iter()
                .filter(|&&p| p > 0)
                .map(|&p| (TestShape::Pp, p, 0))
                .chain(
                    n_gen
                        .iter()
                        .filter(|&&n| n > 0)
                        .map(|&n| (TestShape::Tg, 0, n)),
                )
                .chain(
                    pg.iter()
                        .filter(|&&(p, n)| p > 0 || n > 0)
                        .map(|&(p, n)| (TestShape::llama_bench(p, n), p, n)),
                )
                .collect(),
        }
    }
}

/// One case: a model group (loaded once) plus context and workload settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Case {
    /// Index of the group (model x backend x load settings) in the plan.
    pub group: usize,
    /// Context settings (threads, batching, KV cache).
    pub context: ContextSettings,
    /// What to time.
    pub workload: Workload,
}

/// A model loaded once for several cases.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    /// Which model.
    pub model: ModelSource,
    /// Which backend.
    pub backend: BackendKind,
    /// Load settings.
    pub load: LoadSettings,
}

/// The validated plan of a `run`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// Model groups in load order.
    pub groups: Vec<Group>,
    /// Cases, grouped by `group`, in run order.
    pub cases: Vec<Case>,
}

/// Raw list settings of a run, as the flags give them.
#[derive(Debug, Clone)]
pub struct Matrix {
    /// Models.
    pub models: Vec<ModelSource>,
    /// Backends.
    pub backends: Vec<BackendKind>,
    /// n_gpu_layers, if given.
    pub n_gpu_layers: Option<u32>,
    /// ONNX Runtime session settings (threads are set per group).
    pub onnx: edgebench_backends::OnnxLoadSettings,
    /// Which tests the lists make.
    pub tests: Tests,
    /// Prompt lengths.
    pub n_prompt: Vec<u32>,
    /// Generation lengths.
    pub n_gen: Vec<u32>,
    /// Depths.
    pub n_depth: Vec<u32>,
    /// Thread counts.
    pub threads: Vec<u32>,
    /// Logical batch.
    pub batch: u32,
    /// Micro-batch.
    pub ubatch: u32,
    /// Flash attention.
    pub flash_attn: Option<bool>,
    /// KV type.
    pub kv_type: Option<KvType>,
    /// Repetitions.
    pub reps: u32,
    /// Warm-up repetitions.
    pub warmup: u32,
    /// Prompt seed.
    pub seed: u64,
}

impl Matrix {
    /// Validates the flags and expands the product of the lists. Errors name
    /// the flag and the allowed values.
    pub fn plan(&self) -> Result<Plan, String> {
        let nonzero = |flag: &str, v: &[u32], why: &str| -> Result<(), String> {
            if v.contains(&0) {
                Err(format!("{flag} must be >= 1 ({why})"))
            } else {
                Ok(())
            }
        };
        if self.tests == Tests::Requests {
            nonzero(
                "-p/--n-prompt",
                &self.n_prompt,
                "a request's first token needs a prompt",
            )?;
        } else if self.tests.expand(&self.n_prompt, &self.n_gen).is_empty() {
            return Err(
                "no test to run: -p, -n and --pg are all 0 or empty (as in llama-bench, 0 skips a test)"
                    .into(),
            );
        }
        nonzero("-t/--threads", &self.threads, "at least one thread")?;
        if self.reps == 0 {
            return Err("-r/--reps must be >= 1".into());
        }
        if self.batch == 0 || self.ubatch == 0 {
            return Err("--batch and --ubatch must be >= 1".into());
        }
        let pg_values: Vec<u32> = match &self.tests {
            Tests::LlamaBench { pg } => pg.iter().flat_map(|&(p, n)| [p, n]).collect(),
            Tests::Requests => vec![],
        };
        let min_prompt = u32::from(self.tests == Tests::Requests);
        for (flag, list, min, max) in [
            ("-p/--n-prompt", &self.n_prompt, min_prompt, MAX_TOKENS),
            ("--pg", &pg_values, 0, MAX_TOKENS),
            ("-n/--n-gen", &self.n_gen, 0, MAX_TOKENS),
            ("-d/--n-depth", &self.n_depth, 0, MAX_TOKENS),
            ("-t/--threads", &self.threads, 1, MAX_THREADS),
            ("-r/--repetitions", &vec![self.reps], 1, MAX_REPS),
            ("--warmup", &vec![self.warmup], 0, MAX_WARMUP),
            ("--batch", &vec![self.batch], 1, MAX_TOKENS),
        ] {
            for &v in list {
                check_u32(flag, v, min, max)?;
            }
        }
        if self.ubatch > self.batch {
            return Err(format!(
                "--ubatch {} is larger than --batch {}; the micro-batch must fit in the batch",
                self.ubatch, self.batch
            ));
        }
        for (flag, list) in [
            ("-p/--n-prompt", &self.n_prompt),
            ("-n/--n-gen", &self.n_gen),
            ("-d/--n-depth", &self.n_depth),
            ("-t/--threads", &self.threads),
        ] {
            if list.is_empty() {
                return Err(format!("{flag} needs at least one value"));
            }
        }
        let mut groups = vec![];
        let mut cases = vec![];
        for model in &self.models {
            for &backend in &self.backends {
                let group = groups.len();
                groups.push(Group {
                    model: model.clone(),
                    backend,
                    load: LoadSettings {
                        n_gpu_layers: self.n_gpu_layers,
                        onnx: edgebench_backends::OnnxLoadSettings {
                            threads: self.threads.first().copied(),
                            ..self.onnx.clone()
                        },
                    },
                });
                for &threads in &self.threads {
                    for &n_depth in &self.n_depth {
                        for (shape, n_prompt, n_gen) in
                            self.tests.expand(&self.n_prompt, &self.n_gen)
                        {
                            let n_ctx = n_depth as u64 + n_prompt as u64 + n_gen as u64;
                            let n_ctx = u32::try_from(n_ctx)
                                .map_err(|_| "-d + -p + -n exceeds 2^32 tokens".to_string())?;
                            cases.push(Case {
                                group,
                                context: ContextSettings {
                                    n_ctx,
                                    threads,
                                    batch: self.batch,
                                    ubatch: self.ubatch,
                                    flash_attn: self.flash_attn,
                                    kv_type: self.kv_type,
                                },
                                workload: Workload {
                                    shape,
                                    n_prompt,
                                    n_gen,
                                    n_depth,
                                    reps: self.reps,
                                    warmup: self.warmup,
                                    seed: self.seed,
                                },
                            });
                        }
                    }
                }
            }
        }
        Ok(Plan { groups, cases })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(s: &str) -> Result<Vec<u32>, String> {
        s.parse::<UIntList>().map(|l| l.0)
    }

    #[test]
    fn lists_and_ranges() {
        assert_eq!(list("512").unwrap(), [512]);
        assert_eq!(list("1,2, 4").unwrap(), [1, 2, 4]);
        assert_eq!(list("1-4").unwrap(), [1, 2, 3, 4]);
        assert_eq!(list("128-512*2").unwrap(), [128, 256, 512]);
        assert_eq!(list("0-1024+256").unwrap(), [0, 256, 512, 768, 1024]);
        assert_eq!(list("1,8-16+8").unwrap(), [1, 8, 16]);
    }

    #[test]
    fn bad_lists_say_why() {
        for (s, want) in [
            ("", "empty"),
            ("a", "not a whole number"),
            ("-1", "not a whole number"),
            ("5-1", "ends before"),
            ("1-9+0", "never advances"),
            ("0-9*2", "multiplies 0"),
            ("0-100000", "more than 4096"),
        ] {
            let e = list(s).unwrap_err();
            assert!(e.contains(want), "{s}: {e}");
        }
    }

    fn matrix() -> Matrix {
        Matrix {
            models: vec![ModelSource::Synth("tiny-q4_0-s42".into())],
            backends: vec![BackendKind::Mock],
            n_gpu_layers: None,
            onnx: Default::default(),
            tests: Tests::Requests,
            n_prompt: vec![16, 32],
            n_gen: vec![8],
            n_depth: vec![0, 64],
            threads: vec![1, 2],
            batch: 2048,
            ubatch: 512,
            flash_attn: None,
            kv_type: None,
            reps: 3,
            warmup: 1,
            seed: 42,
        }
    }

    #[test]
    fn product_grouped_by_model() {
        let mut m = matrix();
        m.models.push(ModelSource::File("b.gguf".into()));
        let plan = m.plan().unwrap();
        assert_eq!(plan.groups.len(), 2);
        assert_eq!(plan.cases.len(), 2 * 2 * 2 * 2);
        // All cases of group 0 come before any of group 1: one load per model.
        let groups: Vec<usize> = plan.cases.iter().map(|c| c.group).collect();
        assert!(groups.windows(2).all(|w| w[0] <= w[1]));
        assert_eq!(plan.cases[0].context.n_ctx, 16 + 8);
        assert_eq!(plan.cases[3].context.n_ctx, 64 + 32 + 8);
    }

    #[test]
    fn out_of_range_flags_are_named() {
        let mut m = matrix();
        m.reps = 0;
        assert!(m.plan().unwrap_err().contains("-r/--reps"));
        let mut m = matrix();
        m.n_prompt = vec![0];
        assert!(m.plan().unwrap_err().contains("-p/--n-prompt"));
        let mut m = matrix();
        m.ubatch = 4096;
        assert!(m.plan().unwrap_err().contains("--ubatch"));
        let mut m = matrix();
        m.threads = vec![0];
        assert!(m.plan().unwrap_err().contains("-t/--threads"));
        // Upper limits, named with the range.
        for (set, flag) in [
            (
                (|m: &mut Matrix| m.n_prompt = vec![16, 20_000_000]) as fn(&mut Matrix),
                "-p/--n-prompt 20000000 is out of range (1 to 16777216)",
            ),
            (|m| m.n_gen = vec![20_000_000], "-n/--n-gen 20000000"),
            (|m| m.n_depth = vec![u32::MAX], "-d/--n-depth"),
            (
                |m| m.threads = vec![4096],
                "-t/--threads 4096 is out of range (1 to 1024)",
            ),
            (|m| m.reps = 10_001, "-r/--repetitions 10001"),
            (
                |m| m.warmup = 5000,
                "--warmup 5000 is out of range (0 to 1000)",
            ),
            (
                |m| {
                    m.batch = 20_000_000;
                },
                "--batch 20000000",
            ),
        ] {
            let mut m = matrix();
            set(&mut m);
            let e = m.plan().unwrap_err();
            assert!(e.contains(flag), "{flag}: {e}");
        }
    }

    #[test]
    fn test_names_follow_llama_bench() {
        let w = |shape, p, n, d| Workload {
            shape,
            n_prompt: p,
            n_gen: n,
            n_depth: d,
            reps: 1,
            warmup: 0,
            seed: 0,
        };
        assert_eq!(w(TestShape::Pg, 512, 128, 0).test_name(), "pp512+tg128");
        assert_eq!(w(TestShape::Pp, 512, 0, 0).test_name(), "pp512");
        assert_eq!(w(TestShape::Tg, 0, 128, 0).test_name(), "tg128");
        assert_eq!(w(TestShape::Tg, 0, 64, 512).test_name(), "tg64 @ d512");
        assert_eq!(w(TestShape::Request, 16, 64, 0).test_name(), "req16+64");
        assert_eq!(
            w(TestShape::Request, 16, 64, 512).test_name(),
            "req16+64 @ d512"
        );
    }

    /// The tests a llama-bench command line makes, as its README's examples
    /// list them: -p and -n lists make separate pp and tg tests (0 skips),
    /// -pg pairs the combined ones, every depth repeats them all.
    #[test]
    fn flags_make_llama_bench_tests() {
        let names = |p: &[u32], n: &[u32], pg: &[(u32, u32)], d: &[u32]| -> Vec<String> {
            let mut m = matrix();
            m.tests = Tests::LlamaBench { pg: pg.to_vec() };
            m.n_prompt = p.to_vec();
            m.n_gen = n.to_vec();
            m.n_depth = d.to_vec();
            m.threads = vec![2];
            m.plan()
                .unwrap()
                .cases
                .iter()
                .map(|c| c.workload.test_name())
                .collect()
        };
        // llama-bench's defaults: -p 512 -n 128.
        assert_eq!(names(&[512], &[128], &[], &[0]), ["pp512", "tg128"]);
        // `-p 0 -n 128,256,512`.
        assert_eq!(
            names(&[0], &[128, 256, 512], &[], &[0]),
            ["tg128", "tg256", "tg512"]
        );
        // `-n 0 -p 1024`.
        assert_eq!(names(&[1024], &[0], &[], &[0]), ["pp1024"]);
        // `-pg 512,128` beside the defaults, at two depths.
        assert_eq!(
            names(&[512], &[128], &[(512, 128)], &[0, 512]),
            [
                "pp512",
                "tg128",
                "pp512+tg128",
                "pp512 @ d512",
                "tg128 @ d512",
                "pp512+tg128 @ d512"
            ]
        );
        // `-p 0 -n 0 -pg 0,0`: nothing to run, said so.
        let mut m = matrix();
        m.tests = Tests::LlamaBench { pg: vec![(0, 0)] };
        m.n_prompt = vec![0];
        m.n_gen = vec![0];
        assert!(m.plan().unwrap_err().contains("no test to run"));
        // Each test's context holds depth + prompt + generated tokens.
        let mut m = matrix();
        m.tests = Tests::LlamaBench { pg: vec![(64, 16)] };
        m.n_prompt = vec![64];
        m.n_gen = vec![16];
        m.n_depth = vec![100];
        m.threads = vec![1];
        let ctx: Vec<u32> = m
            .plan()
            .unwrap()
            .cases
            .iter()
            .map(|c| c.context.n_ctx)
            .collect();
        assert_eq!(ctx, [164, 116, 180]);
    }
}
