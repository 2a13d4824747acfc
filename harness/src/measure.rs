//! The timing loop: runs one case's repetitions on a configured backend and
//! returns raw nanosecond samples. Statistics are computed afterwards.
//!
//! Inside the timed region there is only the backend's work and clock reads:
//! sample vectors are reserved up front, nothing is logged, and the greedy
//! next-token pick (argmax over the logits) happens between timed regions.
use edgebench_backends::{Backend, BackendError};
pub use edgebench_reports::record::TestShape;

/// Raw samples of one case, in nanoseconds.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Samples {
    /// Prompt prefill incl. device sync, per repetition (none for a tg
    /// test). For a request this is also TTFT: the prefill's last logits
    /// are the first generated token's.
    pub prefill_ns: Vec<u64>,
    /// Sum of decode steps per repetition (repetitions with decode steps).
    pub decode_ns: Vec<u64>,
    /// Every decode step of every repetition.
    pub step_ns: Vec<u64>,
    /// Tokens generated per repetition.
    pub tokens: Vec<u32>,
}

/// The inputs of one case's timing loop.
#[derive(Debug, Clone, Copy)]
pub struct Job<'a> {
    /// What is timed.
    pub shape: TestShape,
    /// Untimed KV-cache fill before the prompt.
    pub depth: &'a [u32],
    /// The timed prompt; for a tg test, the one token its first decode
    /// step is given (BOS where the model declares one, as llama-bench).
    pub prompt: &'a [u32],
    /// Tokens to generate: for a request the first comes from the
    /// prefill's logits and n_gen - 1 are decode steps; a tg or pg test
    /// has n_gen decode steps.
    pub n_gen: u32,
    /// Measured repetitions.
    pub reps: u32,
    /// Unrecorded warm-up repetitions.
    pub warmup: u32,
}

/// A repetition failed; what was measured before it is kept.
#[derive(Debug)]
pub struct Failure {
    /// Completed repetitions' samples.
    pub partial: Samples,
    /// What went wrong.
    pub error: BackendError,
    /// 1-based repetition (warm-ups counted as 0) that failed.
    pub rep: u32,
}

/// Runs warm-ups then measured repetitions. The backend must be configured.
pub fn measure(backend: &mut dyn Backend, job: Job<'_>) -> Result<Samples, Box<Failure>> {
    let steps = job.n_gen as usize;
    let mut s = Samples {
        prefill_ns: Vec::with_capacity(job.reps as usize),
        decode_ns: Vec::with_capacity(job.reps as usize),
        step_ns: Vec::with_capacity(job.reps as usize * steps),
        tokens: Vec::with_capacity(job.reps as usize),
    };
    let mut scratch = Vec::with_capacity(steps);
    for _ in 0..job.warmup {
        scratch.clear();
        if let Err(error) = one_rep(backend, &job, &mut scratch) {
            return Err(Box::new(Failure {
                partial: s,
                error,
                rep: 0,
            }));
        }
    }
    for rep in 1..=job.reps {
        scratch.clear();
        match one_rep(backend, &job, &mut scratch) {
            Ok((prefill, tokens)) => {
                s.prefill_ns.extend(prefill);
                if !scratch.is_empty() {
                    s.decode_ns.push(scratch.iter().sum());
                }
                s.step_ns.extend_from_slice(&scratch);
                s.tokens.push(tokens);
            }
            Err(error) => {
                return Err(Box::new(Failure {
                    partial: s,
                    error,
                    rep,
                }));
            }
        }
    }
    Ok(s)
}

/// One repetition: returns (prefill ns, none for a tg test; tokens
/// generated) and pushes each decode step's ns into `steps` (reserved by
/// the caller).
fn one_rep(
    b: &mut dyn Backend,
    job: &Job<'_>,
    steps: &mut Vec<u64>,
) -> Result<(Option<u64>, u32), BackendError> {
    let clock = b.clock();
    b.clear()?;
    if !job.depth.is_empty() {
        b.prefill(job.depth, 0)?;
        b.synchronize();
    }
    let mut pos = job.depth.len() as u32;
    let (prefill, mut token, decode_steps) = if job.shape == TestShape::Tg {
        let first = job.prompt.first().copied().unwrap_or(0);
        (None, first, job.n_gen)
    } else {
        let t0 = clock.now_ns();
        b.prefill(job.prompt, pos)?;
        b.synchronize();
        let t1 = clock.now_ns();
        pos += job.prompt.len() as u32;
        if job.n_gen == 0 {
            return Ok((Some(t1 - t0), 0));
        }
        let token = b.next_token()?;
        // A request's first token is the prefill's; llama-bench's pg
        // decodes all n_gen after the prompt.
        let decode_steps = match job.shape {
            TestShape::Request => job.n_gen - 1,
            _ => job.n_gen,
        };
        (Some(t1 - t0), token, decode_steps)
    };
    for _ in 0..decode_steps {
        let ts = clock.now_ns();
        b.decode(token, pos)?;
        b.synchronize();
        let te = clock.now_ns();
        steps.push(te - ts);
        pos += 1;
        token = b.next_token()?;
    }
    Ok((prefill, job.n_gen))
}

#[cfg(test)]
mod tests {
    use super::*;
    use edgebench_backends::ContextSettings;
    use edgebench_backends::mock::{MockBackend, MockConfig};

    fn mock(spec: &str) -> MockBackend {
        let mut m = MockBackend::new(spec.parse::<MockConfig>().unwrap(), 1000, Some(1));
        m.configure(&ContextSettings {
            n_ctx: 512,
            threads: 1,
            batch: 512,
            ubatch: 512,
            flash_attn: None,
            kv_type: None,
        })
        .unwrap();
        m
    }

    #[test]
    fn exact_samples_from_virtual_clock() {
        let mut m = mock("prefill_us=10,decode_us=100");
        let prompt = vec![5u32; 32];
        let s = measure(
            &mut m,
            Job {
                shape: TestShape::Request,
                depth: &[1; 8],
                prompt: &prompt,
                n_gen: 4,
                reps: 3,
                warmup: 1,
            },
        )
        .unwrap();
        assert_eq!(s.prefill_ns, vec![320_000; 3]);
        assert_eq!(s.step_ns, vec![100_000; 9]);
        assert_eq!(s.decode_ns, vec![300_000; 3]);
        assert_eq!(s.tokens, vec![4; 3]);
    }

    /// llama-bench's tg: n_gen single-token steps, no prefill; pg: the
    /// prefill and then n_gen steps (a request has n_gen - 1).
    #[test]
    fn tg_and_pg_time_what_llama_bench_times() {
        let mut m = mock("prefill_us=10,decode_us=100");
        let job = |shape, prompt| Job {
            shape,
            depth: &[1; 8],
            prompt,
            n_gen: 4,
            reps: 2,
            warmup: 0,
        };
        let tg = measure(&mut m, job(TestShape::Tg, &[7])).unwrap();
        assert!(tg.prefill_ns.is_empty());
        assert_eq!(tg.step_ns, vec![100_000; 8]);
        assert_eq!(tg.decode_ns, vec![400_000; 2]);
        assert_eq!(tg.tokens, vec![4, 4]);
        let pg = measure(&mut m, job(TestShape::Pg, &[5; 32])).unwrap();
        assert_eq!(pg.prefill_ns, vec![320_000; 2]);
        assert_eq!(pg.decode_ns, vec![400_000; 2]);
        let req = measure(&mut m, job(TestShape::Request, &[5; 32])).unwrap();
        assert_eq!(req.decode_ns, vec![300_000; 2]);
        assert_eq!(req.tokens, vec![4, 4]);
    }

    #[test]
    fn n_gen_one_has_no_decode_steps() {
        let mut m = mock("");
        let s = measure(
            &mut m,
            Job {
                shape: TestShape::Request,
                depth: &[],
                prompt: &[1, 2],
                n_gen: 1,
                reps: 2,
                warmup: 0,
            },
        )
        .unwrap();
        assert!(s.step_ns.is_empty() && s.decode_ns.is_empty());
        assert_eq!(s.tokens, vec![1, 1]);
    }

    #[test]
    fn failure_keeps_completed_reps() {
        // 3 decode steps per rep; the 5th decode call is in rep 2 (no warm-up).
        let mut m = mock("fail=decode:5");
        let f = measure(
            &mut m,
            Job {
                shape: TestShape::Request,
                depth: &[],
                prompt: &[1, 2],
                n_gen: 4,
                reps: 3,
                warmup: 0,
            },
        )
        .unwrap_err();
        assert_eq!(f.rep, 2);
        assert_eq!(f.partial.prefill_ns.len(), 1);
        assert_eq!(f.partial.step_ns.len(), 3);
    }
}
