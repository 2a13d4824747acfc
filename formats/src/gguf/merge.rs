//! The merge loop both GGUF tokenizers share (llama.cpp's SPM and BPE
//! sessions run the same one): a text as a chain of symbols, and
//! repeatedly the adjacent pair with the best priority merged, ties to the
//! leftmost, until no pair has one.
use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;

/// One piece of the text while merging: bytes `start..start + len`
/// (`len` 0 once merged into its left neighbour).
#[derive(Debug, Clone, Copy)]
pub(super) struct Symbol {
    pub start: usize,
    pub len: usize,
    pub prev: Option<usize>,
    pub next: Option<usize>,
}

/// A merge candidate: symbols `left` and `right`, `len` bytes together when
/// proposed, of priority `key`.
struct Candidate<K> {
    key: K,
    left: usize,
    right: usize,
    len: usize,
}

impl<K: Ord> Candidate<K> {
    /// The heap's top: the highest key, then the leftmost.
    fn order(&self) -> (&K, Reverse<usize>) {
        (&self.key, Reverse(self.left))
    }
}
impl<K: Ord> PartialEq for Candidate<K> {
    fn eq(&self, o: &Self) -> bool {
        self.order() == o.order()
    }
}
impl<K: Ord> Eq for Candidate<K> {}
impl<K: Ord> PartialOrd for Candidate<K> {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}
impl<K: Ord> Ord for Candidate<K> {
    fn cmp(&self, o: &Self) -> Ordering {
        self.order().cmp(&o.order())
    }
}

/// `s` split into one symbol per character, then merged: `key(left,
/// right)` gives the priority of merging two adjacent pieces (None: they
/// do not merge). Returns the symbols; follow `next` from 0 for the pieces.
pub(super) fn merge<K: Ord>(s: &str, key: impl Fn(&str, &str) -> Option<K>) -> Vec<Symbol> {
    let mut sym: Vec<Symbol> = Vec::with_capacity(s.len());
    for (i, (start, c)) in s.char_indices().enumerate() {
        let len = c.len_utf8();
        sym.push(Symbol {
            start,
            len,
            prev: i.checked_sub(1),
            next: (start + len < s.len()).then_some(i + 1),
        });
    }
    let mut heap = BinaryHeap::new();
    let propose = |heap: &mut BinaryHeap<Candidate<K>>,
                   sym: &[Symbol],
                   l: Option<usize>,
                   r: Option<usize>| {
        let (Some(l), Some(r)) = (l, r) else { return };
        let (a, b) = (sym[l], sym[r]);
        let piece = |x: Symbol| &s[x.start..x.start + x.len];
        if let Some(key) = key(piece(a), piece(b)) {
            heap.push(Candidate {
                key,
                left: l,
                right: r,
                len: a.len + b.len,
            });
        }
    };
    for i in 1..sym.len() {
        propose(&mut heap, &sym, Some(i - 1), Some(i));
    }
    while let Some(c) = heap.pop() {
        let (l, r) = (sym[c.left], sym[c.right]);
        // Stale: one side was merged since this pair was proposed.
        if l.len == 0 || r.len == 0 || l.len + r.len != c.len || l.next != Some(c.right) {
            continue;
        }
        sym[c.left].len += r.len;
        sym[c.right].len = 0;
        sym[c.left].next = r.next;
        if let Some(n) = r.next {
            sym[n].prev = Some(c.left);
        }
        let left = sym[c.left];
        propose(&mut heap, &sym, left.prev, Some(c.left));
        propose(&mut heap, &sym, Some(c.left), left.next);
    }
    sym
}

/// The merged pieces of `s`, in order.
pub(super) fn pieces<'a>(s: &'a str, sym: &'a [Symbol]) -> impl Iterator<Item = &'a str> + 'a {
    let mut i = (!sym.is_empty()).then_some(0);
    std::iter::from_fn(move || {
        let k = i?;
        let p = sym[k];
        i = p.next;
        Some(&s[p.start..p.start + p.len])
    })
}
