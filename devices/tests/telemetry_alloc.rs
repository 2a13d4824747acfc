//! The sampler's steady state allocates nothing: reading every source of a
//! fixture machine into a row makes no heap allocation on the reading thread.
//! (The sampler thread does exactly this plus pushes into vectors reserved
//! up front.) A counting global allocator tallies this thread's allocations.
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::path::Path;

use edgebench_devices::telemetry::Sources;

struct Counting;

thread_local! {
    static ALLOCS: Cell<u64> = const { Cell::new(0) };
}

// SAFETY: defers to the system allocator; only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let _ = ALLOCS.try_with(|c| c.set(c.get() + 1));
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let _ = ALLOCS.try_with(|c| c.set(c.get() + 1));
        // SAFETY: same contract as the caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

#[test]
fn reading_every_source_allocates_nothing() {
    for machine in ["x86-laptop", "jetson-orin", "raspberry-pi-5"] {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures")
            .join(machine);
        let mut sources = Sources::discover_at(&root);
        assert!(sources.channels().len() >= 3, "{machine}");
        let mut row = vec![f64::NAN; sources.channels().len()];
        sources.read(&mut row);
        let before = ALLOCS.with(Cell::get);
        for _ in 0..100 {
            sources.read(&mut row);
        }
        let after = ALLOCS.with(Cell::get);
        assert_eq!(
            after - before,
            0,
            "{machine}: {} allocations in 100 reads",
            after - before
        );
        assert!(row.iter().any(|v| !v.is_nan()), "{machine}: nothing read");
    }
}
