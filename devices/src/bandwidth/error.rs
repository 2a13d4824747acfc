//! Errors of the memory-bandwidth probe: bad settings and wrong kernel results.

/// Why a bandwidth measurement could not be set up, run or trusted.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BandwidthError {
    /// `-t/--threads` was 0 (or a list held a 0).
    #[error("-t/--threads must be >= 1")]
    ZeroThreads,
    /// More threads than logical CPUs this process may run on.
    #[error(
        "-t/--threads {threads} is more than the {cpus} logical CPUs this machine has; \
         use at most {cpus}"
    )]
    TooManyThreads {
        /// Threads asked for.
        threads: u32,
        /// Logical CPUs available to this process.
        cpus: usize,
    },
    /// A thread list such as `1,2,x` that does not parse.
    #[error("-t/--threads: {value:?} is not a thread count or a comma list such as 1,2,4")]
    BadThreadList {
        /// The text that was given.
        value: String,
    },
    /// Fewer than the 10 iterations STREAM's rules require.
    #[error("--reps {iterations} is too few: at least 10 are needed (the first is discarded)")]
    TooFewIterations {
        /// Iterations asked for.
        iterations: u32,
    },
    /// Arrays too small to give every thread at least one element.
    #[error(
        "--size-mb gives arrays of {array_bytes} bytes, too small for {threads} threads; \
         use a larger --size-mb"
    )]
    ArrayTooSmall {
        /// Bytes per array.
        array_bytes: u64,
        /// Threads asked for.
        threads: u32,
    },
    /// The three arrays would not fit in half of the machine's RAM.
    #[error(
        "three arrays of {array_bytes} bytes need {needed_bytes} bytes, more than half of \
         the {ram_bytes} bytes of RAM; use a smaller --size-mb"
    )]
    ArrayTooBig {
        /// Bytes per array.
        array_bytes: u64,
        /// Bytes for all three arrays.
        needed_bytes: u64,
        /// Total RAM of the machine.
        ram_bytes: u64,
    },
    /// The allocator refused the arrays.
    #[error("could not allocate {bytes} bytes for the bandwidth arrays; use a smaller --size-mb")]
    AllocationFailed {
        /// Bytes asked for (one array).
        bytes: u64,
    },
    /// A worker thread could not be started.
    #[error("could not start bandwidth worker thread: {0}")]
    Spawn(#[source] std::io::Error),
    /// A worker thread panicked (a bug, not bad input).
    #[error("a bandwidth worker thread panicked")]
    WorkerPanicked,
    /// A kernel left values in the arrays (or a sum) other than STREAM's
    /// expected ones: the figure would be for wrong work, so none is given.
    #[error("kernel {kernel} gave a wrong result: {detail}")]
    WrongResult {
        /// Kernel name (`copy`, `scale`, `add`, `triad`, `read`).
        kernel: &'static str,
        /// Which array or sum, where, expected and found.
        detail: String,
    },
}
