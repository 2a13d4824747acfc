//! Seeded prompt token ids: the same seed, vocabulary size and lengths give
//! the same ids on every backend and every machine.
//!
//! Ids come from SplitMix64 (a fixed, documented generator, so other tools
//! can reproduce them): the prompt from the stream seeded with `seed`, the
//! depth fill from the stream seeded with `seed ^ DEPTH_STREAM`. Position 0 of
//! the whole context (the depth fill if there is one, else the prompt) is the
//! model's BOS token when it declares one.

const DEPTH_STREAM: u64 = 0x6465_7074_6866_696c; // "depthfil"

pub use edgebench_reports::rng::SplitMix64;

/// Token ids for one case: (depth fill, prompt).
pub fn workload_tokens(
    seed: u64,
    n_vocab: u32,
    bos: Option<u32>,
    n_depth: u32,
    n_prompt: u32,
) -> (Vec<u32>, Vec<u32>) {
    let draw = |stream_seed: u64, n: u32| {
        let mut rng = SplitMix64::new(stream_seed);
        (0..n).map(|_| rng.below(n_vocab)).collect::<Vec<u32>>()
    };
    let mut depth = draw(seed ^ DEPTH_STREAM, n_depth);
    let mut prompt = draw(seed, n_prompt);
    if let Some(bos) = bos {
        if let Some(first) = depth.first_mut() {
            *first = bos;
        } else if let Some(first) = prompt.first_mut() {
            *first = bos;
        }
    }
    (depth, prompt)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_ids() {
        assert_eq!(
            workload_tokens(42, 32000, Some(1), 16, 64),
            workload_tokens(42, 32000, Some(1), 16, 64)
        );
        assert_ne!(
            workload_tokens(42, 32000, Some(1), 0, 64).1,
            workload_tokens(43, 32000, Some(1), 0, 64).1
        );
    }

    #[test]
    fn bos_first_and_ids_in_range() {
        let (d, p) = workload_tokens(7, 100, Some(1), 0, 50);
        assert!(d.is_empty());
        assert_eq!(p[0], 1);
        assert!(p.iter().all(|&t| t < 100));
        let (d, p2) = workload_tokens(7, 100, Some(1), 5, 50);
        assert_eq!(d[0], 1);
        // With a depth fill, the prompt carries no BOS but is otherwise the same stream.
        assert_eq!(p[1..], p2[1..]);
        let (_, p3) = workload_tokens(7, 100, None, 0, 50);
        assert_eq!(p3[1..], p[1..]);
    }
}
