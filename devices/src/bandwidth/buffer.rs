//! The bandwidth arrays: allocated without being written, so that each
//! worker's first write to its own chunk places those pages (first touch,
//! which on NUMA machines puts them near the thread that uses them).

use std::alloc::Layout;
use std::mem::MaybeUninit;
use std::ops::Range;
use std::ptr::NonNull;

use super::error::BandwidthError;

/// Alignment of each array: a 2 MiB huge page, so the kernel can back the
/// arrays with transparent huge pages (asked for with madvise below) and
/// TLB misses do not eat into the figure; chunk boundaries (multiples of 8
/// elements) fall on cache-line boundaries.
const ALIGN: usize = 2 << 20;

/// Chunk boundaries are multiples of this many elements (one 64-byte line).
const CHUNK_ALIGN_ELEMENTS: usize = 8;

/// An f64 array of `len` elements whose memory has not been written yet.
pub(super) struct Buffer {
    ptr: NonNull<f64>,
    len: usize,
    layout: Layout,
}

impl Buffer {
    /// Allocates `len` (>= 1) elements without touching them.
    pub(super) fn new(len: usize) -> Result<Buffer, BandwidthError> {
        let bytes = len.max(1).checked_mul(8);
        let failed = || BandwidthError::AllocationFailed {
            bytes: (len as u64).saturating_mul(8),
        };
        let layout = bytes
            .and_then(|b| Layout::from_size_align(b, ALIGN).ok())
            .ok_or_else(failed)?;
        // SAFETY: the layout has a non-zero size.
        let ptr = unsafe { std::alloc::alloc(layout) }.cast::<f64>();
        let ptr = NonNull::new(ptr).ok_or_else(failed)?;
        // Best effort: with THP in "madvise" mode (common) this is what gets
        // huge pages; where it is refused the arrays simply use 4 KiB pages.
        #[cfg(target_os = "linux")]
        // SAFETY: advice on memory this buffer owns; it changes no contents.
        unsafe {
            libc::madvise(ptr.as_ptr().cast(), layout.size(), libc::MADV_HUGEPAGE);
        }
        Ok(Buffer { ptr, len, layout })
    }

    /// Splits the array into the chunks of `partition` (contiguous ranges
    /// covering `0..len` in order, as [`partition`] gives).
    pub(super) fn chunks(&mut self, partition: &[Range<usize>]) -> Vec<&mut [MaybeUninit<f64>]> {
        // SAFETY: the allocation holds `len` f64s, is exclusively borrowed
        // through `self`, and MaybeUninit allows unwritten memory.
        let mut rest: &mut [MaybeUninit<f64>] = unsafe {
            std::slice::from_raw_parts_mut(self.ptr.as_ptr().cast::<MaybeUninit<f64>>(), self.len)
        };
        let mut chunks = Vec::with_capacity(partition.len());
        for range in partition {
            let n = range.len().min(rest.len());
            let (chunk, tail) = std::mem::take(&mut rest).split_at_mut(n);
            chunks.push(chunk);
            rest = tail;
        }
        chunks
    }
}

impl Drop for Buffer {
    fn drop(&mut self) {
        // SAFETY: allocated in `new` with this layout, freed once.
        unsafe { std::alloc::dealloc(self.ptr.as_ptr().cast::<u8>(), self.layout) }
    }
}

/// Writes `value` to every element (the first touch) and returns the chunk
/// as initialised f64s.
pub(super) fn fill(chunk: &mut [MaybeUninit<f64>], value: f64) -> &mut [f64] {
    for x in chunk.iter_mut() {
        x.write(value);
    }
    // SAFETY: every element was just written; MaybeUninit<f64> has the
    // layout of f64.
    unsafe { &mut *(chunk as *mut [MaybeUninit<f64>] as *mut [f64]) }
}

/// One static contiguous range per thread over `len` elements; boundaries
/// are multiples of 8 elements (a 64-byte line) except the end. The same
/// partition is used for first touch and for every kernel.
pub fn partition(len: usize, threads: usize) -> Vec<Range<usize>> {
    let threads = threads.max(1);
    let bound = |i: usize| {
        if i == threads {
            len
        } else {
            // i * len / threads without overflow for any realistic len.
            let raw = (i as u128 * len as u128 / threads as u128) as usize;
            raw / CHUNK_ALIGN_ELEMENTS * CHUNK_ALIGN_ELEMENTS
        }
    };
    (0..threads).map(|i| bound(i)..bound(i + 1)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partition_covers_everything_in_order() {
        for (len, threads) in [(1000, 3), (7, 2), (1, 1), (64, 8), (1 << 20, 7)] {
            let p = partition(len, threads);
            assert_eq!(p.len(), threads);
            assert_eq!(p[0].start, 0);
            assert_eq!(p[threads - 1].end, len);
            for w in p.windows(2) {
                assert_eq!(w[0].end, w[1].start);
                assert_eq!(w[1].start % 8, 0);
            }
        }
    }

    #[test]
    fn chunks_fill_and_read_back() {
        let mut buf = Buffer::new(100).unwrap();
        let p = partition(100, 3);
        let mut total = 0.0;
        for (i, chunk) in buf.chunks(&p).into_iter().enumerate() {
            let c = fill(chunk, i as f64);
            total += c.iter().sum::<f64>();
        }
        let expect: f64 = p
            .iter()
            .enumerate()
            .map(|(i, r)| i as f64 * r.len() as f64)
            .sum();
        assert_eq!(total, expect);
    }
}
