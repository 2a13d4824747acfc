//! Continuous batching for open-loop load (`edgebench load --concurrency N`,
//! N > 1): up to N requests share one context, one sequence each, and every
//! step is one batch, as llama.cpp's server runs its slots:
//!
//! - each running request that is generating adds its one next token;
//! - the rest of the step's token budget (the context's batch size) goes to
//!   prompts of newly admitted requests, in chunks, first admitted first,
//!   so a long prompt is prefilled across steps while others keep decoding;
//! - a finished request frees its slot (its sequence's KV cache is
//!   cleared) and the first queued request takes it at the next step.
//!
//! Timing per request is as in [`crate::load::serve`]: queue time until
//! admission, TTFT from arrival to the step that produced its first token,
//! each later step's time as an inter-token latency, end-to-end.
use std::collections::VecDeque;

use edgebench_backends::{Backend, BackendError, SeqChunk};

use crate::load::{RequestSample, RequestShape};

/// A request holding a slot.
struct Running<'a> {
    /// Index into the arrivals.
    req: usize,
    /// Its sequence id (the slot).
    seq: u32,
    /// Its prompt.
    prompt: &'a [u32],
    /// Tokens it asked for.
    n_gen: u32,
    /// Prompt tokens already in the KV cache.
    prefilled: usize,
    /// The token to feed next once generating.
    token: u32,
    /// Tokens generated so far (the first comes from the prompt's logits).
    generated: u32,
    /// When its last token was ready.
    last_ns: u64,
}

/// Serves `arrivals` (offsets from now) with up to `n_slots` requests at
/// once, continuous batching with at most `batch_tokens` tokens per step.
/// The backend must have been configured with
/// [`Backend::configure_parallel`] for `n_slots` sequences, each with room
/// for the prompt and the generated tokens.
pub fn serve_batched(
    backend: &mut dyn Backend,
    shape: RequestShape<'_>,
    arrivals: &[u64],
    n_slots: u32,
    batch_tokens: usize,
) -> Result<Vec<RequestSample>, BackendError> {
    let clock = backend.clock();
    let origin = clock.now_ns();
    // Every step must fit each generating request's token plus progress.
    let batch_tokens = batch_tokens.max(n_slots as usize + 1);
    let mut samples: Vec<RequestSample> = arrivals
        .iter()
        .enumerate()
        .map(|(i, &a)| {
            let (prompt, n_gen) = shape.request(i);
            RequestSample {
                arrival_ns: origin + a,
                start_ns: 0,
                first_token_ns: None,
                end_ns: None,
                step_ns: Vec::with_capacity(n_gen.saturating_sub(1) as usize),
                n_prompt: prompt.len() as u32,
                n_gen,
            }
        })
        .collect();
    let mut free: Vec<u32> = (0..n_slots).rev().collect();
    let mut running: Vec<Running> = Vec::with_capacity(n_slots as usize);
    let mut queue: VecDeque<usize> = VecDeque::with_capacity(arrivals.len());
    let mut next_arrival = 0usize;
    // Per step: (index into `running`, first position, tokens, keeps logits).
    let mut plan: Vec<(usize, usize, usize, bool)> = Vec::with_capacity(n_slots as usize);
    let mut chunk_buf: Vec<SeqChunk<'static>> = Vec::with_capacity(n_slots as usize);
    loop {
        let now = clock.now_ns();
        while next_arrival < samples.len() && samples[next_arrival].arrival_ns <= now {
            queue.push_back(next_arrival);
            next_arrival += 1;
        }
        // Admit into free slots, first come first served; a request that
        // waited past the timeout is dropped at its turn, as `serve` does.
        while !free.is_empty()
            && let Some(req) = queue.pop_front()
        {
            let s = &mut samples[req];
            s.start_ns = now.max(s.arrival_ns);
            if s.start_ns - s.arrival_ns > shape.queue_timeout_ns {
                continue;
            }
            let seq = free.pop().expect("checked non-empty");
            backend.clear_seq(seq)?;
            let (prompt, n_gen) = shape.request(req);
            running.push(Running {
                req,
                seq,
                prompt,
                n_gen,
                prefilled: 0,
                token: 0,
                generated: 0,
                last_ns: 0,
            });
        }
        if running.is_empty() {
            if next_arrival >= samples.len() && queue.is_empty() {
                break;
            }
            if let Some(s) = samples.get(next_arrival) {
                clock.sleep_until(s.arrival_ns);
            }
            continue;
        }
        // Decodes first, then prompt chunks in admission order.
        plan.clear();
        let mut budget = batch_tokens;
        for (i, r) in running.iter().enumerate() {
            if r.prefilled == r.prompt.len() {
                plan.push((i, r.prefilled + r.generated as usize - 1, 1, true));
                budget -= 1;
            }
        }
        for (i, r) in running.iter().enumerate() {
            let n_prompt = r.prompt.len();
            if r.prefilled < n_prompt && budget > 0 {
                let take = (n_prompt - r.prefilled).min(budget);
                plan.push((i, r.prefilled, take, r.prefilled + take == n_prompt));
                budget -= take;
            }
        }
        {
            let mut chunks = recycle(std::mem::take(&mut chunk_buf));
            chunks.extend(plan.iter().map(|&(i, pos, take, logits)| {
                let r = &running[i];
                let tokens = if r.prefilled == r.prompt.len() {
                    std::slice::from_ref(&r.token)
                } else {
                    &r.prompt[r.prefilled..r.prefilled + take]
                };
                SeqChunk {
                    seq: r.seq,
                    tokens,
                    start_pos: pos as u32,
                    logits,
                }
            }));
            let stepped = backend.step(&chunks);
            chunk_buf = recycle(chunks);
            stepped?;
        }
        backend.synchronize();
        let t = clock.now_ns();
        let mut k = 0usize;
        for &(i, _, take, logits) in &plan {
            let r = &mut running[i];
            if r.prefilled < r.prompt.len() {
                r.prefilled += take;
            }
            if !logits {
                continue;
            }
            let next = backend.next_token_at(k)?;
            k += 1;
            let s = &mut samples[r.req];
            if r.generated == 0 {
                s.first_token_ns = Some(t);
            } else {
                s.step_ns.push(t - r.last_ns);
            }
            r.generated += 1;
            r.last_ns = t;
            r.token = next;
            if r.generated >= r.n_gen {
                s.end_ns = Some(t);
            }
        }
        running.retain(|r| {
            let done = samples[r.req].end_ns.is_some();
            if done {
                free.push(r.seq);
            }
            !done
        });
    }
    Ok(samples)
}

/// An emptied vector of chunks with another borrow lifetime, keeping its
/// allocation (collecting an empty `vec::IntoIter` of a same-layout type
/// reuses the buffer), so a step allocates nothing.
fn recycle<'b>(mut v: Vec<SeqChunk<'_>>) -> Vec<SeqChunk<'b>> {
    v.clear();
    v.into_iter()
        .map(|_| unreachable!("the vector was emptied"))
        .collect()
}
