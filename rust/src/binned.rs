//! A faster evaluation of a tree ensemble of small trees: inputs as bin
//! numbers, and each tree's exit leaf found from bitmasks (QuickScorer:
//! Lucchese et al., SIGIR 2015), a block of rows at a time.
//!
//! * **Bins.** With the thresholds of feature `f` across all trees sorted and
//!   deduplicated (`t_0 < t_1 < …`), `x <= t_j` holds exactly when
//!   `bin(x) <= j`, where `bin(x)` counts the thresholds below `x`. A block of
//!   rows is binned once: 16-bit numbers, a quarter of the bytes of its doubles.
//! * **Exit leaves.** Number a tree's leaves left to right. A row's leaf is the
//!   leftmost one not inside the left subtree of a node where the row goes
//!   right. So each row starts with every leaf's bit set, and every node clears
//!   the bits of its left subtree's leaves for the rows that go right there;
//!   the lowest bit left is the leaf. The nodes are tested in any order,
//!   independently: for a block of rows, one node is a comparison of a
//!   contiguous run of bins with one number, which the compiler vectorises;
//!   the pointer walk ([`crate::nets::Ensemble`]) is a chain of dependent loads
//!   a row.
//!
//! Every row lands on the very leaf the pointer walk lands it on, and the
//! leaves are summed in the same order, so the scores are equal to the last
//! bit. A NaN goes right at every node, as `<=` has it ([`NAN_BIN`]).

use std::ops::{BitAnd, BitAndAssign};

use crate::nets::TREE_ROW_BLOCK as BLOCK;

/// A block's values of one feature, as bin numbers.
pub type Bins = [u16; BLOCK];

/// Most leaves a tree may have here: one bit each in a `u64`.
pub const MAX_LEAVES: usize = 64;
/// The bin of a NaN: above every bin a node tests, so it goes right at all.
const NAN_BIN: u16 = u16::MAX;
/// Most distinct thresholds a feature may have: a value's bin is at most
/// their count, which must stay below [`NAN_BIN`].
const MAX_CUTS: usize = NAN_BIN as usize - 1;

/// One node: the feature it tests, its threshold's bin, and the leaves a row
/// that goes right keeps (every bit but those of its left subtree's leaves).
#[derive(Debug, Clone, Copy)]
struct Node {
    feature: u16,
    bin: u16,
    keep: u64,
}

/// What a tree of the file is, as the layout reads it.
pub struct TreeView<'a> {
    pub feature: &'a [i64],
    pub threshold: &'a [f64],
    pub left: &'a [i64],
    pub right: &'a [i64],
    pub value: &'a [f64],
}

/// The trees of an ensemble, binned, as node masks and leaf values.
#[derive(Debug, Clone)]
pub struct BinnedTrees {
    /// Per feature: its thresholds across all trees, sorted, distinct.
    cuts: Vec<Vec<f64>>,
    /// The features some tree tests: the only ones worth binning.
    used: Vec<usize>,
    /// All trees' nodes; tree `t`'s are `nodes[node_start[t]..node_start[t + 1]]`.
    nodes: Vec<Node>,
    node_start: Vec<usize>,
    /// `width` leaf values a tree, left to right (0 beyond its leaves).
    leaves: Vec<f64>,
    /// Bits of the leaf masks: 16, 32 or 64, the fewest that hold every tree.
    width: usize,
}

impl BinnedTrees {
    /// The layout of `trees` (checked, in summing order) over `n_features`
    /// features, each tree cut at `depth` levels (the file's deepest declared
    /// depth: a node there counts as a leaf of value 0, as in the pointer
    /// walk). `None` when the trees do not fit it: a tree of more than
    /// [`MAX_LEAVES`] leaves, more than 65,535 features, a feature with more
    /// than 65,533 distinct thresholds, a NaN threshold.
    pub fn new(trees: &[TreeView<'_>], n_features: usize, depth: u32) -> Option<BinnedTrees> {
        if n_features > usize::from(u16::MAX) {
            return None;
        }
        let mut cuts = vec![Vec::new(); n_features];
        for tree in trees {
            for (&f, &t) in tree.feature.iter().zip(tree.threshold) {
                if t.is_nan() {
                    return None;
                }
                cuts[f as usize].push(t);
            }
        }
        for c in &mut cuts {
            c.sort_by(f64::total_cmp);
            // -0.0 and 0.0 test alike: one cut.
            c.dedup_by(|a, b| a == b);
            if c.len() > MAX_CUTS {
                return None;
            }
        }
        let mut layout = BinnedTrees {
            used: (0..n_features).filter(|&f| !cuts[f].is_empty()).collect(),
            cuts,
            nodes: Vec::new(),
            node_start: vec![0],
            leaves: Vec::new(),
            width: 16,
        };
        let mut values = Vec::with_capacity(trees.len());
        for tree in trees {
            values.push(layout.push(tree, depth)?);
        }
        let most = values.iter().map(Vec::len).max().unwrap_or(1);
        layout.width = most.next_power_of_two().max(16);
        for v in &mut values {
            v.resize(layout.width, 0.0);
            layout.leaves.extend_from_slice(v);
        }
        Some(layout)
    }

    /// Appends `tree`'s nodes; gives its leaf values, left to right (`None`
    /// for more than [`MAX_LEAVES`]).
    fn push(&mut self, tree: &TreeView<'_>, depth: u32) -> Option<Vec<f64>> {
        let mut values = Vec::new();
        if tree.feature.is_empty() {
            values.push(tree.value.first().copied().unwrap_or(0.0));
        } else {
            self.visit(tree, 0, 0, depth, &mut values)?;
        }
        self.node_start.push(self.nodes.len());
        Some(values)
    }

    /// Numbers the leaves under `node` (a reference of the file: below 0 is
    /// leaf `-1 - r`) from `values.len()` on, pushing their values and the
    /// inner nodes; gives the mask of those leaves.
    fn visit(
        &mut self,
        tree: &TreeView<'_>,
        node: i64,
        level: u32,
        depth: u32,
        values: &mut Vec<f64>,
    ) -> Option<u64> {
        // A tree of at most MAX_LEAVES leaves is less deep than that; this
        // also bounds the recursion whatever the file holds.
        if level as usize >= MAX_LEAVES {
            return None;
        }
        if node < 0 || level >= depth {
            // A leaf, or an inner node cut where the declared depth ends.
            let value = if node < 0 {
                tree.value.get((-1 - node) as usize).copied().unwrap_or(0.0)
            } else {
                0.0
            };
            if values.len() == MAX_LEAVES {
                return None;
            }
            values.push(value);
            return Some(1 << (values.len() - 1));
        }
        let i = node as usize;
        let f = tree.feature[i] as usize;
        // Present: every threshold of the trees is among its feature's cuts.
        let bin = self.cuts[f].partition_point(|&c| c < tree.threshold[i]) as u16;
        let at = self.nodes.len();
        self.nodes.push(Node {
            feature: f as u16,
            bin,
            keep: 0,
        });
        let left = self.visit(tree, tree.left[i], level + 1, depth, values)?;
        let right = self.visit(tree, tree.right[i], level + 1, depth, values)?;
        self.nodes[at].keep = !left;
        Some(left | right)
    }

    /// The bins of a block of rows (`x`, `width` values a row, at most
    /// [`BLOCK`] rows) into `bins` (one [`Bins`] a feature): row `r`'s value
    /// `v` of feature `f` becomes the count of `f`'s cuts below `v`.
    pub fn bin_block(&self, x: &[f64], width: usize, bins: &mut [Bins]) {
        let rows = (x.len() / width.max(1)).min(BLOCK);
        for &f in &self.used {
            let cuts = &self.cuts[f];
            let column = &mut bins[f];
            // Neighbouring lines often share a value (two in three are 0):
            // the last value's bin is kept, and a repeat costs no search.
            let mut last = (f64::NAN, NAN_BIN);
            for (r, b) in column.iter_mut().enumerate().take(rows) {
                let v = x[r * width + f];
                // NaN is never equal: it never takes the kept bin.
                if v != last.0 {
                    let bin = if v.is_nan() {
                        NAN_BIN
                    } else {
                        // At most MAX_CUTS: fits.
                        cuts.partition_point(|&c| c < v) as u16
                    };
                    last = (v, bin);
                }
                *b = last.1;
            }
        }
    }

    /// Adds the leaf values of trees `trees` to the first `rows` values of
    /// `acc` (one a row of the block), tree by tree, in order; `bins` as
    /// [`BinnedTrees::bin_block`] gives them.
    pub fn add_leaves(
        &self,
        trees: std::ops::Range<usize>,
        bins: &[Bins],
        acc: &mut [f64; BLOCK],
        rows: usize,
    ) {
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: this CPU has AVX2.
            return unsafe { self.add_leaves_avx2(trees, bins, acc, rows) };
        }
        self.add_leaves_any(trees, bins, acc, rows);
    }

    /// [`BinnedTrees::add_leaves`] compiled for AVX2: a node's comparison
    /// takes 16 lines an instruction (the baseline's SSE2 takes 8).
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    unsafe fn add_leaves_avx2(
        &self,
        trees: std::ops::Range<usize>,
        bins: &[Bins],
        acc: &mut [f64; BLOCK],
        rows: usize,
    ) {
        self.add_leaves_any(trees, bins, acc, rows);
    }

    /// [`BinnedTrees::add_leaves`] for any CPU; inlined into each caller, so
    /// that it is compiled with the caller's instructions.
    #[inline(always)]
    fn add_leaves_any(
        &self,
        trees: std::ops::Range<usize>,
        bins: &[Bins],
        acc: &mut [f64; BLOCK],
        rows: usize,
    ) {
        match self.width {
            16 => self.add::<u16>(trees, bins, acc, rows),
            32 => self.add::<u32>(trees, bins, acc, rows),
            _ => self.add::<u64>(trees, bins, acc, rows),
        }
    }

    /// [`BinnedTrees::add_leaves`] with leaf masks of type `W`.
    #[inline(always)]
    fn add<W: Mask>(
        &self,
        trees: std::ops::Range<usize>,
        bins: &[Bins],
        acc: &mut [f64; BLOCK],
        rows: usize,
    ) {
        let width = self.width;
        let mut masks = [W::ALL; BLOCK];
        for t in trees {
            masks.fill(W::ALL);
            for node in &self.nodes[self.node_start[t]..self.node_start[t + 1]] {
                let keep = W::cut(node.keep);
                let column = &bins[usize::from(node.feature)];
                // Whole blocks, without a branch: this loop vectorises.
                for (m, &b) in masks.iter_mut().zip(column) {
                    *m &= if b > node.bin { keep } else { W::ALL };
                }
            }
            let leaf = &self.leaves[t * width..(t + 1) * width];
            for (a, m) in acc.iter_mut().zip(&masks).take(rows) {
                // A row keeps its exit leaf's bit, so the lowest bit is below `width`.
                *a += leaf[m.lowest() % width];
            }
        }
    }
}

/// A leaf mask: `u16`, `u32` or `u64`.
trait Mask: Copy + BitAnd<Output = Self> + BitAndAssign {
    const ALL: Self;
    /// The low bits of a 64-bit mask.
    fn cut(mask: u64) -> Self;
    /// The index of the lowest set bit.
    fn lowest(self) -> usize;
}

macro_rules! mask {
    ($($t:ty),*) => {$(
        impl Mask for $t {
            const ALL: Self = <$t>::MAX;
            #[inline]
            fn cut(mask: u64) -> Self {
                mask as $t
            }
            #[inline]
            fn lowest(self) -> usize {
                self.trailing_zeros() as usize
            }
        }
    )*};
}

mask!(u16, u32, u64);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_instruction_set_gives_the_same_sums() {
        // Two trees over three features: x0 <= 1 ? (x1 <= 5 ? a : b) : (x2 <= 0 ? c : d), and
        // x2 <= 3 ? e : f; inputs that fall on each side of every threshold, and NaN.
        let trees = [
            TreeView {
                feature: &[0, 1, 2],
                threshold: &[1.0, 5.0, 0.0],
                left: &[1, -1, -3],
                right: &[2, -2, -4],
                value: &[0.5, -1.25, 2.0, 3.5],
            },
            TreeView {
                feature: &[2],
                threshold: &[3.0],
                left: &[-1],
                right: &[-2],
                value: &[0.125, -0.75],
            },
        ];
        let layout = BinnedTrees::new(&trees, 3, 8).expect("fits");
        let grid = [f64::NAN, -1.0, 0.0, 1.0, 2.0, 3.0, 5.0, 6.0];
        let x: Vec<f64> = (0..BLOCK * 3)
            .map(|i| grid[(i * 7 + i / 3) % grid.len()])
            .collect();
        let mut bins = vec![[0; BLOCK]; 3];
        layout.bin_block(&x, 3, &mut bins);
        let (mut fast, mut any) = ([0.0; BLOCK], [0.0; BLOCK]);
        layout.add_leaves(0..2, &bins, &mut fast, BLOCK);
        layout.add_leaves_any(0..2, &bins, &mut any, BLOCK);
        assert_eq!(fast, any);
        // By hand, the first row (NaN, 6, 5): NaN goes right at the root, 5 right at x2 <= 0
        // (leaf d); and right at x2 <= 3 (leaf f).
        assert!(x[0].is_nan() && x[1] == 6.0 && x[2] == 5.0);
        assert_eq!(any[0], 3.5 - 0.75);
    }
}
