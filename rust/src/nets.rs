//! The line classifiers: the two JSON model formats that `tools/train.py`
//! writes (no pickle), parsed with serde_json and evaluated here.
//!
//! * `zhengwen-mlp/1`: a small feed-forward network (squash, standardise,
//!   ReLU hidden layers, softmax). The products run through `matrixmultiply`'s
//!   gemm a block of rows at a time, in single precision by default (see
//!   [`Precision`]).
//! * `zhengwen-trees/1`: a LightGBM tree ensemble. The trees are laid out as
//!   flat node arrays (struct of arrays) and walked level by level for a block
//!   of rows at once, so that the walks of different rows overlap in the CPU.
//!   The sums follow the numpy walker's order, so the raw scores equal its
//!   own to the last bit.
//!
//! Every check of a model's shape happens at load ([`ModelError`], a Python
//! `ValueError`); evaluating a loaded model cannot fail on any input values.

use std::borrow::Cow;
use std::fmt;

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyByteArray;
use serde::Deserialize;

use crate::binned::{BinnedTrees, Bins, TreeView};

/// The format tag of a network file.
pub const MLP_FORMAT: &str = "zhengwen-mlp/1";
/// The format tag of a tree-ensemble file.
pub const TREES_FORMAT: &str = "zhengwen-trees/1";
/// Rows through a network at once: the block's input (177 columns) and hidden
/// layer (128) then stay within the L2 cache in either precision.
pub const NET_ROW_BLOCK: usize = 256;
/// Rows walked through the trees at once: enough rows to reuse each tree's
/// nodes while they are in cache and to overlap the rows' walks, few enough
/// that the block's features stay in L1/L2.
pub const TREE_ROW_BLOCK: usize = 64;

/// A model file that cannot be used: raised as Python's `ValueError`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelError(pub String);

impl fmt::Display for ModelError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ModelError {}

impl From<ModelError> for PyErr {
    fn from(e: ModelError) -> PyErr {
        PyValueError::new_err(e.0)
    }
}

fn err<T>(msg: impl Into<String>) -> Result<T, ModelError> {
    Err(ModelError(msg.into()))
}

/// numpy's summation of a contiguous run of doubles (`pairwise_sum_DOUBLE`):
/// eight interleaved partial sums for up to 128 values, halves beyond. Using
/// the same order makes the tree sums and the softmax denominators equal the
/// numpy reference bit for bit, not merely within rounding.
pub fn pairwise_sum(a: &[f64]) -> f64 {
    let n = a.len();
    if n < 8 {
        let mut res = 0.0;
        for &v in a {
            res += v;
        }
        res
    } else if n <= 128 {
        let mut r = [0.0f64; 8];
        r.copy_from_slice(&a[..8]);
        let full = n - n % 8;
        let mut i = 8;
        while i < full {
            for (j, acc) in r.iter_mut().enumerate() {
                *acc += a[i + j];
            }
            i += 8;
        }
        let mut res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
        for &v in &a[full..] {
            res += v;
        }
        res
    } else {
        let mut n2 = n / 2;
        n2 -= n2 % 8;
        pairwise_sum(&a[..n2]) + pairwise_sum(&a[n2..])
    }
}

/// Softmax of each row of `logits` (`rows × k`) in place, as numpy computes
/// it: subtract the row's maximum, exponentiate, divide by the (pairwise) sum.
fn softmax_rows(logits: &mut [f64], k: usize) {
    for row in logits.chunks_exact_mut(k) {
        // numpy's max propagates NaN; f64::max would drop it.
        let mut top = row[0];
        for &v in &row[1..] {
            if v > top || v.is_nan() {
                top = v;
            }
            if top.is_nan() {
                break;
            }
        }
        for v in row.iter_mut() {
            *v = (*v - top).exp();
        }
        let total = pairwise_sum(row);
        for v in row.iter_mut() {
            *v /= total;
        }
    }
}

/// The precision of a network's products. Single precision halves the memory
/// traffic and doubles the SIMD width; `tools/check_core_models.py` measures
/// what it changes against the double-precision numpy reference.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Precision {
    F32,
    F64,
}

impl Precision {
    /// What `predict` uses unless asked otherwise: single precision changes
    /// no label of the 127,729 lines of the dev and train pages, and beliefs
    /// by 2.0e-6 at most (`tools/check_core_models.py`).
    pub const DEFAULT: Precision = Precision::F32;

    /// `"f32"`, `"f64"`, or the default for `None`.
    pub fn parse(name: Option<&str>) -> Result<Precision, ModelError> {
        match name {
            None => Ok(Precision::DEFAULT),
            Some("f32") => Ok(Precision::F32),
            Some("f64") => Ok(Precision::F64),
            Some(other) => err(format!("precision must be 'f32' or 'f64', not {other:?}")),
        }
    }
}

/// `log1p` of the integers below this, computed once: most feature values
/// are counts (three in four are small integers, two in three are 0), and
/// the table gives them the very value `ln_1p` would, at a fraction of the cost.
const LOG1P_TABLE: usize = 1024;

fn log1p_table() -> &'static [f64; LOG1P_TABLE] {
    static TABLE: std::sync::OnceLock<[f64; LOG1P_TABLE]> = std::sync::OnceLock::new();
    TABLE.get_or_init(|| std::array::from_fn(|i| (i as f64).ln_1p()))
}

/// Slots of [`Misses`]' memo (a power of two).
const MEMO_SLOTS: usize = 1024;

/// What [`squash_slice`] keeps between calls: where the table was wrong, and
/// a memo of `ln_1p` for the values that were no small integer.
///
/// The memo is direct-mapped on a value's bits and gives the very value
/// `ln_1p` gave it: within a page, seven in ten such values (window means of
/// flags such as 3/20, ratios, page-wide sums) occur before, on this line or
/// on another (dev pages).
pub struct Misses {
    at: Vec<usize>,
    memo: Box<[(u64, f64); MEMO_SLOTS]>,
}

impl Default for Misses {
    fn default() -> Self {
        // Key 0 is the bits of 0.0, a small integer: never looked up.
        Self {
            at: Vec::new(),
            memo: Box::new([(0, 0.0); MEMO_SLOTS]),
        }
    }
}

impl Misses {
    /// `ln_1p(a)` for `a ≥ 0` (or NaN), from the memo when `a` was seen.
    #[inline]
    fn ln_1p(&mut self, a: f64) -> f64 {
        let bits = a.to_bits();
        // Fibonacci hashing: the top bits of the product mix every bit of the value.
        let slot = (bits.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (64 - MEMO_SLOTS.trailing_zeros()))
            as usize;
        let entry = &mut self.memo[slot];
        if entry.0 != bits {
            *entry = (bits, a.ln_1p());
        }
        entry.1
    }
}

/// `sign(x)·log1p(|x|)` of every value of `x` into `dst`, as numpy computes
/// it (sign(0) = 0, sign(NaN) = NaN).
///
/// Two passes: the first gives every value its table entry, without a branch
/// (a value that is no small integer gets a wrong one), and notes where it
/// was wrong; the second computes `ln_1p` for those alone (or takes it from
/// the memo). A branch per value, taken one time in four at random, would
/// cost more than the table saves.
fn squash_into(x: &[f64], dst: &mut Vec<f64>, misses: &mut Misses) {
    // Every value is written below: resizing alone leaves nothing stale.
    dst.resize(x.len(), 0.0);
    squash_slice(x, dst, misses);
}

/// [`squash_into`] over a slice of `x.len()` values.
fn squash_slice(x: &[f64], dst: &mut [f64], misses: &mut Misses) {
    let table = log1p_table();
    let mut at = std::mem::take(&mut misses.at);
    at.resize(x.len(), 0);
    let mut n = 0;
    for (j, (&v, d)) in x.iter().zip(dst.iter_mut()).enumerate() {
        let a = v.abs();
        // `as` saturates (NaN gives 0); `trunc` would be a libm call on baseline x86-64.
        let i = (a as usize).min(LOG1P_TABLE - 1);
        *d = table[i].copysign(v);
        at[n] = j;
        n += usize::from(i as f64 != a);
    }
    for &j in &at[..n] {
        let v = x[j];
        dst[j] = misses.ln_1p(v.abs()).copysign(v);
    }
    misses.at = at;
}

/// `sign(x)·log1p(|x|)` of every value of `x` (what a network does first to
/// its input), for [`Network::predict_squashed_into`].
pub fn squash(x: &[f64]) -> Vec<f64> {
    let mut out = vec![0.0; x.len()];
    let mut misses = Misses::default();
    // A block at a time: the misses' buffer stays small.
    for (chunk, dst) in x.chunks(1 << 14).zip(out.chunks_mut(1 << 14)) {
        squash_slice(chunk, dst, &mut misses);
    }
    out
}

/// One dense layer: `inputs × outputs` weights, row-major, in both precisions.
#[derive(Debug, Clone)]
struct Layer {
    inputs: usize,
    outputs: usize,
    w64: Vec<f64>,
    b64: Vec<f64>,
    w32: Vec<f32>,
    b32: Vec<f32>,
}

/// A feed-forward network with ReLU hidden layers and a softmax output.
///
/// Inputs are squashed (`sign(x)·log1p(|x|)`: counts and lengths span orders
/// of magnitude) and standardised with the training set's mean and scale
/// before the first layer.
#[derive(Debug, Clone)]
pub struct Network {
    pub classes: Vec<String>,
    pub features: Vec<String>,
    mean: Vec<f64>,
    scale: Vec<f64>,
    layers: Vec<Layer>,
}

#[derive(Deserialize)]
struct FormatJson {
    format: Option<serde_json::Value>,
}

#[derive(Deserialize)]
struct NetworkJson {
    classes: Vec<String>,
    features: Vec<String>,
    mean: Vec<f64>,
    scale: Vec<f64>,
    layers: Vec<LayerJson>,
}

/// Either format's fields, for reading a file of unknown format in one parse
/// ([`Classifier::from_json`]); a file it does not fit is read as before.
#[derive(Deserialize)]
struct AnyModelJson {
    format: Option<serde_json::Value>,
    classes: Vec<String>,
    features: Vec<String>,
    mean: Option<Vec<f64>>,
    scale: Option<Vec<f64>>,
    layers: Option<Vec<LayerJson>>,
    trees: Option<Vec<TreeJson>>,
    base: Option<Vec<f64>>,
}

#[derive(Deserialize)]
struct LayerJson {
    weights: Vec<Vec<f64>>,
    bias: Vec<f64>,
}

/// The `format` field as Python's `repr` would show it in the error message.
fn format_repr(v: &Option<serde_json::Value>) -> String {
    match v {
        None | Some(serde_json::Value::Null) => "None".to_string(),
        Some(serde_json::Value::String(s)) => format!("'{s}'"),
        Some(other) => other.to_string(),
    }
}

fn check_format(text: &str, expected: &str) -> Result<(), ModelError> {
    let head: FormatJson =
        serde_json::from_str(text).map_err(|e| ModelError(format!("not a model file: {e}")))?;
    match &head.format {
        Some(serde_json::Value::String(s)) if s == expected => Ok(()),
        other => err(format!(
            "not a {expected} model: format={}",
            format_repr(other)
        )),
    }
}

fn parse_body<'a, T: Deserialize<'a>>(text: &'a str, kind: &str) -> Result<T, ModelError> {
    serde_json::from_str(text).map_err(|e| ModelError(format!("bad {kind} model: {e}")))
}

impl Network {
    /// A network from its JSON text; shapes checked as `network_from_dict` does.
    pub fn from_json(text: &str) -> Result<Network, ModelError> {
        check_format(text, MLP_FORMAT)?;
        Network::from_parsed(parse_body(text, MLP_FORMAT)?)
    }

    fn from_parsed(data: NetworkJson) -> Result<Network, ModelError> {
        let mut width = data.features.len();
        if data.mean.len() != width
            || data.scale.len() != width
            || !data.scale.iter().all(|&s| s > 0.0)
        {
            return err("mean/scale do not match the feature list");
        }
        if data.classes.is_empty() {
            return err("a model needs at least one class");
        }
        let mut layers = Vec::with_capacity(data.layers.len());
        for layer in data.layers {
            let rows = layer.weights.len();
            let cols = layer.weights.first().map_or(0, Vec::len);
            if rows == 0 || layer.weights.iter().any(|r| r.len() != cols) {
                return err(format!(
                    "layer weights are not a matrix ({rows} rows) after width {width}"
                ));
            }
            if rows != width || layer.bias.len() != cols {
                return err(format!(
                    "layer shape ({rows}, {cols}) does not follow width {width}"
                ));
            }
            let w64: Vec<f64> = layer.weights.into_iter().flatten().collect();
            let w32 = w64.iter().map(|&v| v as f32).collect();
            let b32 = layer.bias.iter().map(|&v| v as f32).collect();
            layers.push(Layer {
                inputs: rows,
                outputs: cols,
                w64,
                b64: layer.bias,
                w32,
                b32,
            });
            width = cols;
        }
        if width != data.classes.len() {
            return err(format!(
                "output width {width} != {} classes",
                data.classes.len()
            ));
        }
        Ok(Network {
            classes: data.classes,
            features: data.features,
            mean: data.mean,
            scale: data.scale,
            layers,
        })
    }

    /// Class probabilities of `x` (`rows × features`, row-major) into `out`
    /// (`rows × classes`), a block of [`NET_ROW_BLOCK`] rows at a time.
    pub fn predict_into(&self, x: &[f64], out: &mut [f64], precision: Precision) {
        self.run(x, true, out, precision);
    }

    /// [`Network::predict_into`] on input already squashed ([`squash`]): a
    /// caller that feeds the same values to two networks squashes them once.
    pub fn predict_squashed_into(&self, squashed: &[f64], out: &mut [f64], precision: Precision) {
        self.run(squashed, false, out, precision);
    }

    fn run(&self, x: &[f64], raw: bool, out: &mut [f64], precision: Precision) {
        let width = self.features.len();
        let k = self.classes.len();
        let rows = out.len() / k;
        let mut work = Work::default();
        for start in (0..rows).step_by(NET_ROW_BLOCK) {
            let n = NET_ROW_BLOCK.min(rows - start);
            let xb = &x[start * width..(start + n) * width];
            let ob = &mut out[start * k..(start + n) * k];
            let sq = if raw {
                squash_into(xb, &mut work.sq, &mut work.misses);
                &work.sq[..]
            } else {
                xb
            };
            match precision {
                Precision::F32 => self.block_f32(sq, n, ob, &mut work.a32, &mut work.b32),
                Precision::F64 => self.block_f64(sq, n, ob, &mut work.a64, &mut work.b64),
            }
        }
    }

    /// The standardised input of a block (`rows × width`) from its squashed values.
    fn standardise(&self, sq: &[f64], dst: &mut Vec<f64>) {
        dst.clear();
        dst.extend_from_slice(sq);
        if self.mean.is_empty() {
            return;
        }
        // A pass of its own, so that it vectorises.
        for row in dst.chunks_exact_mut(self.mean.len()) {
            for ((v, &m), &s) in row.iter_mut().zip(&self.mean).zip(&self.scale) {
                *v = (*v - m) / s;
            }
        }
    }

    fn block_f64(
        &self,
        sq: &[f64],
        rows: usize,
        out: &mut [f64],
        a64: &mut Vec<f64>,
        b64: &mut Vec<f64>,
    ) {
        self.standardise(sq, a64);
        for (i, layer) in self.layers.iter().enumerate() {
            // gemm with beta 0 writes every value: no need to zero them first.
            b64.resize(rows * layer.outputs, 0.0);
            gemm_f64(rows, layer, a64, b64);
            let relu = i + 1 < self.layers.len();
            for row in b64.chunks_exact_mut(layer.outputs) {
                for (v, &b) in row.iter_mut().zip(&layer.b64) {
                    *v += b;
                    if relu && *v < 0.0 {
                        *v = 0.0;
                    }
                }
            }
            std::mem::swap(a64, b64);
        }
        out.copy_from_slice(&a64[..out.len()]);
        softmax_rows(out, self.classes.len());
    }

    fn block_f32(
        &self,
        sq: &[f64],
        rows: usize,
        out: &mut [f64],
        a32: &mut Vec<f32>,
        b32: &mut Vec<f32>,
    ) {
        if self.layers.is_empty() {
            let mut a64 = Vec::new();
            self.standardise(sq, &mut a64);
            out.copy_from_slice(&a64[..out.len()]);
            softmax_rows(out, self.classes.len());
            return;
        }
        // Standardised in double precision, then rounded: one pass.
        a32.resize(sq.len(), 0.0);
        if self.mean.is_empty() {
            for (d, &v) in a32.iter_mut().zip(sq) {
                *d = v as f32;
            }
        } else {
            let width = self.mean.len();
            for (drow, row) in a32.chunks_exact_mut(width).zip(sq.chunks_exact(width)) {
                for (((d, &v), &m), &s) in drow.iter_mut().zip(row).zip(&self.mean).zip(&self.scale)
                {
                    *d = ((v - m) / s) as f32;
                }
            }
        }
        for (i, layer) in self.layers.iter().enumerate() {
            // gemm with beta 0 writes every value: no need to zero them first.
            b32.resize(rows * layer.outputs, 0.0);
            gemm_f32(rows, layer, a32, b32);
            let relu = i + 1 < self.layers.len();
            for row in b32.chunks_exact_mut(layer.outputs) {
                for (v, &b) in row.iter_mut().zip(&layer.b32) {
                    *v += b;
                    if relu && *v < 0.0 {
                        *v = 0.0;
                    }
                }
            }
            std::mem::swap(a32, b32);
        }
        for (o, &v) in out.iter_mut().zip(a32.iter()) {
            *o = f64::from(v);
        }
        softmax_rows(out, self.classes.len());
    }
}

/// Reused buffers of a network's forward pass (one per call, not per block).
#[derive(Default)]
struct Work {
    misses: Misses,
    sq: Vec<f64>,
    a64: Vec<f64>,
    b64: Vec<f64>,
    a32: Vec<f32>,
    b32: Vec<f32>,
}

/// `c = a · w` for a block: `a` is `rows × inputs`, `c` is `rows × outputs`.
fn gemm_f64(rows: usize, layer: &Layer, a: &[f64], c: &mut [f64]) {
    let (k, n) = (layer.inputs, layer.outputs);
    assert!(a.len() >= rows * k && c.len() >= rows * n && layer.w64.len() == k * n);
    // SAFETY: the asserts above bound every index gemm touches: a is
    // rows × k, w is k × n and c is rows × n, all row-major and contiguous.
    unsafe {
        matrixmultiply::dgemm(
            rows,
            k,
            n,
            1.0,
            a.as_ptr(),
            k as isize,
            1,
            layer.w64.as_ptr(),
            n as isize,
            1,
            0.0,
            c.as_mut_ptr(),
            n as isize,
            1,
        );
    }
}

/// [`gemm_f64`] in single precision.
fn gemm_f32(rows: usize, layer: &Layer, a: &[f32], c: &mut [f32]) {
    let (k, n) = (layer.inputs, layer.outputs);
    assert!(a.len() >= rows * k && c.len() >= rows * n && layer.w32.len() == k * n);
    // SAFETY: as in gemm_f64.
    unsafe {
        matrixmultiply::sgemm(
            rows,
            k,
            n,
            1.0,
            a.as_ptr(),
            k as isize,
            1,
            layer.w32.as_ptr(),
            n as isize,
            1,
            0.0,
            c.as_mut_ptr(),
            n as isize,
            1,
        );
    }
}

/// A multiclass (or binary, one class) additive tree model.
///
/// All trees' nodes live in flat arrays (struct of arrays), each tree's nodes
/// contiguous, the trees ordered by class. Leaves point to themselves and
/// hold `threshold = +inf`, so that walking a tree's `steps` levels from its
/// root lands every row on its leaf whatever path it takes: the walk has no
/// branch to mispredict.
#[derive(Debug, Clone)]
pub struct Ensemble {
    pub classes: Vec<String>,
    pub features: Vec<String>,
    /// Node `i` reads the block's values of its feature `f` at
    /// `column[i] = f · TREE_ROW_BLOCK` (the block is stored column by column).
    column: Vec<u32>,
    threshold: Vec<f64>,
    /// Node `i`'s children: `child[2 i]` where `x <= threshold`, else `child[2 i + 1]`.
    child: Vec<u32>,
    value: Vec<f64>,
    /// Per tree (in class order): its root and the levels a walk takes.
    root: Vec<u32>,
    steps: Vec<u32>,
    /// Trees `class_start[k]..class_start[k + 1]` are class `k`'s, in file order.
    class_start: Vec<usize>,
    base: Vec<f64>,
    /// The same trees as leaf masks over binned inputs, evaluated instead of
    /// walked when every tree has at most 64 leaves (`tools/train.py` grows 15).
    binned: Option<Box<BinnedTrees>>,
}

#[derive(Deserialize)]
struct EnsembleJson {
    classes: Vec<String>,
    features: Vec<String>,
    trees: Vec<TreeJson>,
    base: Option<Vec<f64>>,
}

#[derive(Deserialize)]
struct TreeJson {
    class: i64,
    depth: i64,
    feature: Vec<i64>,
    threshold: Vec<f64>,
    left: Vec<i64>,
    right: Vec<i64>,
    value: Vec<f64>,
}

/// Check one tree of the file: lengths agree, features and children are
/// in range, and every node has one parent that precedes it, so a walk
/// always ends on a leaf. (LightGBM's trees, flattened in pre-order by
/// `tools/train.py`, are such trees.)
fn check_tree(
    t: usize,
    tree: &TreeJson,
    n_classes: usize,
    n_features: usize,
) -> Result<(), ModelError> {
    if !(0..n_classes as i64).contains(&tree.class) {
        return err(format!("tree {t}: class {} out of range", tree.class));
    }
    let n = tree.feature.len();
    if tree.threshold.len() != n || tree.left.len() != n || tree.right.len() != n {
        return err(format!(
            "tree {t}: feature, threshold, left and right differ in length"
        ));
    }
    if let Some(&f) = tree
        .feature
        .iter()
        .find(|&&f| !(0..n_features as i64).contains(&f))
    {
        return err(format!("tree {t}: feature {f} out of range"));
    }
    let leaves = tree.value.len();
    let mut seen = vec![false; n + leaves];
    for i in 0..n {
        for child in [tree.left[i], tree.right[i]] {
            let slot = if child >= 0 {
                if child as usize <= i || child as usize >= n {
                    return err(format!("tree {t}: node {i} has child {child}"));
                }
                child as usize
            } else {
                let leaf = (-1 - child) as u64;
                if leaf >= leaves as u64 {
                    return err(format!("tree {t}: node {i} has leaf {child}"));
                }
                n + leaf as usize
            };
            if std::mem::replace(&mut seen[slot], true) {
                return err(format!("tree {t}: node {child} has two parents"));
            }
        }
    }
    Ok(())
}

/// A node still to place: its reference in the file, the parent's slot to
/// fill (parent, whether the left child) and its level.
type Pending = (i64, Option<(u32, bool)>, u32);

/// Builds the flat node arrays, one tree after another.
#[derive(Default)]
struct NodeArrays {
    column: Vec<u32>,
    threshold: Vec<f64>,
    child: Vec<u32>,
    value: Vec<f64>,
}

impl NodeArrays {
    fn push_leaf(&mut self, value: f64) -> u32 {
        let me = self.value.len() as u32;
        self.column.push(0);
        self.threshold.push(f64::INFINITY);
        self.child.extend([me, me]);
        self.value.push(value);
        me
    }

    /// Append `tree` from its root; give its root and the levels a walk needs.
    ///
    /// The numpy walker takes `depth` levels (the deepest declared depth of
    /// all trees) and reads the value where it stopped, 0 for an inner node.
    /// A node that lies deeper in a tree whose declared depth understated it
    /// is therefore cut here to a leaf of value 0, which gives the same sums.
    fn push_tree(&mut self, tree: &TreeJson, depth: u32) -> (u32, u32) {
        let n = tree.feature.len();
        if n == 0 {
            let root = self.push_leaf(tree.value.first().copied().unwrap_or(0.0));
            return (root, 0);
        }
        let root = self.value.len() as u32;
        let mut steps = 0;
        // (reference in the file, slot to fill in the parent, level)
        let mut stack: Vec<Pending> = vec![(0, None, 0)];
        while let Some((node, parent, level)) = stack.pop() {
            let me = if node < 0 {
                steps = steps.max(level);
                self.push_leaf(tree.value[(-1 - node) as usize])
            } else if level >= depth {
                steps = steps.max(level);
                self.push_leaf(0.0)
            } else {
                let i = node as usize;
                let me = self.value.len() as u32;
                // In range: the feature count was checked against u32 at load.
                self.column
                    .push((tree.feature[i] as usize * TREE_ROW_BLOCK) as u32);
                self.threshold.push(tree.threshold[i]);
                self.child.extend([me, me]);
                self.value.push(0.0);
                stack.push((tree.right[i], Some((me, false)), level + 1));
                stack.push((tree.left[i], Some((me, true)), level + 1));
                me
            };
            if let Some((p, is_left)) = parent {
                self.child[2 * p as usize + usize::from(!is_left)] = me;
            }
        }
        (root, steps)
    }
}

impl Ensemble {
    /// An ensemble from its JSON text; checked as `from_dict` does, and more
    /// (children in range, one parent a node: no input can make a walk loop).
    pub fn from_json(text: &str) -> Result<Ensemble, ModelError> {
        check_format(text, TREES_FORMAT)?;
        Ensemble::from_parsed(parse_body(text, TREES_FORMAT)?)
    }

    fn from_parsed(data: EnsembleJson) -> Result<Ensemble, ModelError> {
        let n_classes = data.classes.len();
        if n_classes == 0 {
            return err("a model needs at least one class");
        }
        if data.features.len() > u32::MAX as usize / TREE_ROW_BLOCK {
            return err(format!("{} features are too many", data.features.len()));
        }
        for (t, tree) in data.trees.iter().enumerate() {
            check_tree(t, tree, n_classes, data.features.len())?;
        }
        let checked = &data.trees;
        let depth = data
            .trees
            .iter()
            .map(|t| t.depth)
            .max()
            .unwrap_or(1)
            .clamp(1, u32::MAX as i64) as u32;
        let base = data.base.unwrap_or_else(|| vec![0.0; n_classes]);
        if base.len() != n_classes {
            return err(format!(
                "base has {} values for {n_classes} classes",
                base.len()
            ));
        }
        let mut order: Vec<usize> = (0..checked.len()).collect();
        order.sort_by_key(|&t| checked[t].class); // stable: file order within a class
        let mut nodes = NodeArrays::default();
        let mut root = Vec::with_capacity(order.len());
        let mut steps = Vec::with_capacity(order.len());
        let mut class_start = vec![0; n_classes + 1];
        for &t in &order {
            let (r, s) = nodes.push_tree(&checked[t], depth);
            root.push(r);
            steps.push(s);
            class_start[checked[t].class as usize + 1] += 1;
        }
        for k in 0..n_classes {
            class_start[k + 1] += class_start[k];
        }
        let views: Vec<TreeView<'_>> = order
            .iter()
            .map(|&t| {
                let tree = &checked[t];
                TreeView {
                    feature: &tree.feature,
                    threshold: &tree.threshold,
                    left: &tree.left,
                    right: &tree.right,
                    value: &tree.value,
                }
            })
            .collect();
        let binned = BinnedTrees::new(&views, data.features.len(), depth).map(Box::new);
        Ok(Ensemble {
            classes: data.classes,
            features: data.features,
            column: nodes.column,
            threshold: nodes.threshold,
            child: nodes.child,
            value: nodes.value,
            root,
            steps,
            class_start,
            base,
            binned,
        })
    }

    /// Summed leaf values per class plus the base (`rows × classes`) into `out`.
    ///
    /// Each class's leaf values are added in file order from 0, then to the
    /// base: the numpy walker's order (its per-class slice of leaf values is
    /// column-major, so numpy sums it tree by tree), which makes the sums
    /// equal to the last bit. (numpy sums a block of a single row pairwise
    /// instead; there the two differ within rounding.)
    pub fn raw_into(&self, x: &[f64], out: &mut [f64]) {
        if let Some(binned) = &self.binned {
            return self.raw_binned_into(binned, x, out);
        }
        self.raw_walked_into(x, out);
    }

    /// [`Ensemble::raw_into`] by leaf masks over binned inputs (`binned.rs`).
    fn raw_binned_into(&self, binned: &BinnedTrees, x: &[f64], out: &mut [f64]) {
        let width = self.features.len();
        let k = self.classes.len();
        let mut acc = [0.0f64; TREE_ROW_BLOCK];
        let mut bins: Vec<Bins> = vec![[0; TREE_ROW_BLOCK]; width.max(1)];
        let rows = out.len() / k;
        for start in (0..rows).step_by(TREE_ROW_BLOCK) {
            let n = TREE_ROW_BLOCK.min(rows - start);
            if width > 0 {
                let xb = &x[start * width..(start + n) * width];
                binned.bin_block(xb, width, &mut bins);
            }
            let ob = &mut out[start * k..(start + n) * k];
            for c in 0..k {
                acc.fill(0.0);
                let trees = self.class_start[c]..self.class_start[c + 1];
                binned.add_leaves(trees, &bins, &mut acc, n);
                for (r, &a) in acc[..n].iter().enumerate() {
                    ob[r * k + c] = self.base[c] + a;
                }
            }
        }
    }

    /// [`Ensemble::raw_into`] by walking the node arrays, for trees of any size.
    fn raw_walked_into(&self, x: &[f64], out: &mut [f64]) {
        let width = self.features.len();
        let k = self.classes.len();
        let mut node = [0u32; TREE_ROW_BLOCK];
        let mut acc = [0.0f64; TREE_ROW_BLOCK];
        // The block column by column: the rows that stand on the same node read
        // neighbouring values, and a node finds its column without a multiply.
        let mut columns = vec![0.0f64; width.max(1) * TREE_ROW_BLOCK];
        let rows = out.len() / k;
        for start in (0..rows).step_by(TREE_ROW_BLOCK) {
            let n = TREE_ROW_BLOCK.min(rows - start);
            if width > 0 {
                let xb = &x[start * width..(start + n) * width];
                for (r, row) in xb.chunks_exact(width).enumerate() {
                    for (f, &v) in row.iter().enumerate() {
                        columns[f * TREE_ROW_BLOCK + r] = v;
                    }
                }
            }
            let ob = &mut out[start * k..(start + n) * k];
            for c in 0..k {
                let acc = &mut acc[..n];
                acc.fill(0.0);
                for t in self.class_start[c]..self.class_start[c + 1] {
                    self.walk(t, &columns, &mut node[..n]);
                    for (a, &leaf) in acc.iter_mut().zip(&node[..n]) {
                        *a += self.value[leaf as usize];
                    }
                }
                for (r, &a) in acc.iter().enumerate() {
                    ob[r * k + c] = self.base[c] + a;
                }
            }
        }
    }

    /// Walk tree `t` for every row of the block (`columns`: feature-major,
    /// `TREE_ROW_BLOCK` values a feature), level by level: the rows' walks
    /// are independent, so the CPU overlaps them.
    #[inline]
    // `!(v <= threshold)`, not `v > threshold`: a NaN goes right.
    #[allow(clippy::neg_cmp_op_on_partial_ord)]
    fn walk(&self, t: usize, columns: &[f64], node: &mut [u32]) {
        node.fill(self.root[t]);
        for _ in 0..self.steps[t] {
            for (r, nd) in node.iter_mut().enumerate() {
                let i = *nd as usize;
                let v = columns[self.column[i] as usize + r];
                // NaN goes right, as `<=` has it in the numpy walker.
                *nd = self.child[2 * i + usize::from(!(v <= self.threshold[i]))];
            }
        }
    }

    /// Class probabilities (sigmoid for one class, softmax else) into `out`.
    pub fn predict_into(&self, x: &[f64], out: &mut [f64]) {
        self.raw_into(x, out);
        if self.classes.len() == 1 {
            for v in out.iter_mut() {
                *v = 1.0 / (1.0 + (-*v).exp());
            }
        } else {
            softmax_rows(out, self.classes.len());
        }
    }
}

/// Either kind of model.
#[derive(Debug, Clone)]
pub enum Classifier {
    Network(Network),
    Ensemble(Ensemble),
}

impl Classifier {
    /// A model of either kind from its JSON text: a network if the file says
    /// `zhengwen-mlp/1`, else a tree ensemble (whose check names the format).
    pub fn from_json(text: &str) -> Result<Classifier, ModelError> {
        // One parse when the file is whole; else as below, which gives the
        // messages of a check by format.
        if let Ok(any) = serde_json::from_str::<AnyModelJson>(text) {
            if let Some(serde_json::Value::String(format)) = &any.format {
                match (format.as_str(), any.mean, any.scale, any.layers, any.trees) {
                    (MLP_FORMAT, Some(mean), Some(scale), Some(layers), _) => {
                        let (classes, features) = (any.classes, any.features);
                        return Network::from_parsed(NetworkJson {
                            classes,
                            features,
                            mean,
                            scale,
                            layers,
                        })
                        .map(Classifier::Network);
                    }
                    (TREES_FORMAT, _, _, _, Some(trees)) => {
                        let (classes, features, base) = (any.classes, any.features, any.base);
                        return Ensemble::from_parsed(EnsembleJson {
                            classes,
                            features,
                            trees,
                            base,
                        })
                        .map(Classifier::Ensemble);
                    }
                    _ => {}
                }
            }
        }
        Self::from_json_by_format(text)
    }

    /// [`Classifier::from_json`] by the `format` field, then the file read as that.
    fn from_json_by_format(text: &str) -> Result<Classifier, ModelError> {
        let head: FormatJson =
            serde_json::from_str(text).map_err(|e| ModelError(format!("not a model file: {e}")))?;
        match head.format {
            Some(serde_json::Value::String(s)) if s == MLP_FORMAT => {
                Network::from_json(text).map(Classifier::Network)
            }
            _ => Ensemble::from_json(text).map(Classifier::Ensemble),
        }
    }

    pub fn classes(&self) -> &[String] {
        match self {
            Classifier::Network(m) => &m.classes,
            Classifier::Ensemble(m) => &m.classes,
        }
    }

    pub fn features(&self) -> &[String] {
        match self {
            Classifier::Network(m) => &m.features,
            Classifier::Ensemble(m) => &m.features,
        }
    }

    /// Class probabilities of `x` (`rows × features`) into `out` (`rows × classes`).
    pub fn predict_into(&self, x: &[f64], out: &mut [f64], precision: Precision) {
        match self {
            Classifier::Network(m) => m.predict_into(x, out, precision),
            Classifier::Ensemble(m) => m.predict_into(x, out),
        }
    }

    /// Class probabilities of `rows` rows of `x`; checks the sizes.
    pub fn predict(
        &self,
        x: &[f64],
        rows: usize,
        precision: Precision,
    ) -> Result<Vec<f64>, ModelError> {
        self.check_input(x.len(), rows)?;
        let mut out = vec![0.0; rows * self.classes().len()];
        self.predict_into(x, &mut out, precision);
        Ok(out)
    }

    /// That `len` values are `rows` rows of this model's features.
    pub fn check_input(&self, len: usize, rows: usize) -> Result<(), ModelError> {
        let width = self.features().len();
        if rows.checked_mul(width) != Some(len) {
            return err(format!(
                "expected {rows} rows of {width} features, got {len} values"
            ));
        }
        Ok(())
    }
}

/// `bytes` read as native-endian doubles: borrowed when aligned, else copied.
pub fn doubles(bytes: &[u8]) -> Result<Cow<'_, [f64]>, ModelError> {
    if !bytes.len().is_multiple_of(8) {
        return err(format!(
            "{} bytes are not a whole number of doubles",
            bytes.len()
        ));
    }
    Ok(match bytemuck::try_cast_slice::<u8, f64>(bytes) {
        Ok(v) => Cow::Borrowed(v),
        Err(_) => Cow::Owned(
            bytes
                .chunks_exact(8)
                .map(|b| f64::from_ne_bytes(b.try_into().unwrap_or_default()))
                .collect(),
        ),
    })
}

/// Doubles as a Python `bytearray` (numpy reads it with `np.frombuffer`).
pub fn to_bytearray<'py>(py: Python<'py>, v: &[f64]) -> Bound<'py, PyByteArray> {
    PyByteArray::new(py, bytemuck::cast_slice(v))
}

/// A loaded model, as Python sees it (`zhengwen._core.Model`).
#[pyclass(frozen, module = "zhengwen._core", name = "Model")]
pub struct PyModel {
    pub inner: Classifier,
}

#[pymethods]
impl PyModel {
    /// Parse a model of either format from its JSON text (ValueError if unusable).
    /// With `expect`, the file must be of that format.
    #[new]
    #[pyo3(signature = (text, expect=None))]
    fn new(py: Python<'_>, text: &str, expect: Option<&str>) -> PyResult<Self> {
        let inner = py.detach(|| match expect {
            None => Classifier::from_json(text),
            Some(MLP_FORMAT) => Network::from_json(text).map(Classifier::Network),
            Some(TREES_FORMAT) => Ensemble::from_json(text).map(Classifier::Ensemble),
            Some(other) => err(format!("unknown model format {other:?}")),
        })?;
        Ok(PyModel { inner })
    }

    /// `"zhengwen-mlp/1"` or `"zhengwen-trees/1"`.
    #[getter]
    fn format(&self) -> &'static str {
        match self.inner {
            Classifier::Network(_) => MLP_FORMAT,
            Classifier::Ensemble(_) => TREES_FORMAT,
        }
    }

    #[getter]
    fn classes(&self) -> Vec<String> {
        self.inner.classes().to_vec()
    }

    #[getter]
    fn features(&self) -> Vec<String> {
        self.inner.features().to_vec()
    }

    /// Class probabilities of `rows` rows given as native doubles (row-major):
    /// a bytearray of `rows × classes` doubles. `precision` ("f32" or "f64")
    /// picks a network's arithmetic; trees are always walked in double.
    #[pyo3(signature = (data, rows, precision=None))]
    fn predict<'py>(
        &self,
        py: Python<'py>,
        data: &[u8],
        rows: usize,
        precision: Option<&str>,
    ) -> PyResult<Bound<'py, PyByteArray>> {
        let precision = Precision::parse(precision)?;
        let x = doubles(data)?;
        let out = py.detach(|| self.inner.predict(&x, rows, precision))?;
        Ok(to_bytearray(py, &out))
    }

    /// A tree ensemble's summed leaf values plus base, before the link function.
    fn raw<'py>(
        &self,
        py: Python<'py>,
        data: &[u8],
        rows: usize,
    ) -> PyResult<Bound<'py, PyByteArray>> {
        let Classifier::Ensemble(model) = &self.inner else {
            return Err(PyValueError::new_err("raw scores are a tree ensemble's"));
        };
        let x = doubles(data)?;
        self.inner.check_input(x.len(), rows)?;
        let out = py.detach(|| {
            let mut out = vec![0.0; rows * model.classes.len()];
            model.raw_into(&x, &mut out);
            out
        });
        Ok(to_bytearray(py, &out))
    }
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyModel>()?;
    m.add("MLP_FORMAT", MLP_FORMAT)?;
    m.add("TREES_FORMAT", TREES_FORMAT)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn net_json(layers: &str, features: &str, mean: &str) -> String {
        format!(
            r#"{{"format":"{MLP_FORMAT}","classes":["a","b"],"features":{features},
                "mean":{mean},"scale":[1.0],"layers":{layers}}}"#
        )
    }

    const HAND_LAYERS: &str = r#"[{"weights":[[1.0,-1.0]],"bias":[0.0,0.0]},
        {"weights":[[1.0,0.0],[0.0,1.0]],"bias":[0.0,0.0]}]"#;

    #[test]
    fn network_matches_a_hand_computation() {
        let net = Network::from_json(&net_json(HAND_LAYERS, r#"["x"]"#, "[0.0]")).unwrap();
        // log1p(e - 1) = 1: hidden (1, 0) after ReLU, softmax e/(e+1), 1/(e+1).
        let x = [std::f64::consts::E - 1.0, -(std::f64::consts::E - 1.0)];
        let e = std::f64::consts::E;
        for precision in [Precision::F64, Precision::F32] {
            let mut out = [0.0; 4];
            net.predict_into(&x, &mut out, precision);
            let tol = if precision == Precision::F64 {
                1e-15
            } else {
                1e-6
            };
            assert!((out[0] - e / (e + 1.0)).abs() < tol, "{out:?}");
            assert!((out[1] - 1.0 / (e + 1.0)).abs() < tol, "{out:?}");
            // -(e - 1) squashes to -1: hidden (0, 1).
            assert!((out[2] - 1.0 / (e + 1.0)).abs() < tol, "{out:?}");
            assert!((out[3] - e / (e + 1.0)).abs() < tol, "{out:?}");
        }
    }

    #[test]
    fn network_refuses_inconsistent_shapes() {
        let bad = [
            // first layer reads 1 input, the features are 2
            net_json(
                r#"[{"weights":[[1.0,0.0,0.0]],"bias":[0.0,0.0,0.0]}]"#,
                r#"["x","y"]"#,
                "[0.0,0.0]",
            ),
            // mean of the wrong length
            net_json(HAND_LAYERS, r#"["x"]"#, "[0.0,1.0]"),
            // ragged weights
            net_json(
                r#"[{"weights":[[1.0,0.0],[1.0]],"bias":[0.0,0.0]}]"#,
                r#"["x"]"#,
                "[0.0]",
            ),
            // bias of the wrong length
            net_json(
                r#"[{"weights":[[1.0,0.0]],"bias":[0.0]}]"#,
                r#"["x"]"#,
                "[0.0]",
            ),
            // output width 3 for 2 classes
            net_json(
                r#"[{"weights":[[1.0,0.0,1.0]],"bias":[0.0,0.0,0.0]}]"#,
                r#"["x"]"#,
                "[0.0]",
            ),
            // not even JSON, and another format
            "{".to_string(),
            format!(r#"{{"format":"{TREES_FORMAT}"}}"#),
        ];
        for text in bad {
            assert!(Network::from_json(&text).is_err(), "{text}");
        }
        let zero_scale = net_json(HAND_LAYERS, r#"["x"]"#, "[0.0]").replace("[1.0]", "[0.0]");
        assert!(Network::from_json(&zero_scale).is_err());
    }

    fn tree_json(class0: &str) -> String {
        // Class 0: x0 <= 1 ? (x1 <= 5 ? 1.0 : 2.0) : 3.0; class 1: a single leaf 0.5.
        format!(
            r#"{{"format":"{TREES_FORMAT}","classes":["a","b"],"features":["x0","x1"],
                "trees":[{class0},
                {{"class":1,"depth":0,"feature":[],"threshold":[],"left":[],"right":[],
                  "value":[0.5]}}]}}"#
        )
    }

    const CLASS0: &str = r#"{"class":0,"depth":2,"feature":[0,1],"threshold":[1.0,5.0],
        "left":[1,-1],"right":[-3,-2],"value":[1.0,2.0,3.0]}"#;

    #[test]
    fn trees_walk_to_the_right_leaves() {
        let model = Ensemble::from_json(&tree_json(CLASS0)).unwrap();
        let x = [0.0, 4.0, 0.0, 6.0, 2.0, 0.0, 1.0, 5.0, f64::NAN, 0.0];
        let mut raw = [0.0; 10];
        model.raw_into(&x, &mut raw);
        assert_eq!(raw, [1.0, 0.5, 2.0, 0.5, 3.0, 0.5, 1.0, 0.5, 3.0, 0.5]);
        let mut probs = [0.0; 2];
        model.predict_into(&x[..2], &mut probs);
        let e = (1.0f64).exp() / ((1.0f64).exp() + (0.5f64).exp());
        assert!((probs[0] - e).abs() < 1e-15);
    }

    #[test]
    fn trees_cut_where_the_declared_depth_ends() {
        // Declared depth 1 for a tree two levels deep: the numpy walker stops
        // on the inner node (value 0) for rows that go left at the root.
        let shallow = CLASS0.replace(r#""depth":2"#, r#""depth":1"#);
        let model = Ensemble::from_json(&tree_json(&shallow)).unwrap();
        let mut raw = [0.0; 4];
        model.raw_into(&[0.0, 4.0, 2.0, 0.0], &mut raw);
        assert_eq!(raw, [0.0, 0.5, 3.0, 0.5]);
    }

    #[test]
    fn trees_refuse_bad_files() {
        let bad = [
            CLASS0.replace(r#""feature":[0,1]"#, r#""feature":[0,7]"#),
            CLASS0.replace(r#""class":0"#, r#""class":2"#),
            CLASS0.replace(r#""left":[1,-1]"#, r#""left":[0,-1]"#), // a loop
            CLASS0.replace(r#""left":[1,-1]"#, r#""left":[1,-9]"#), // no such leaf
            CLASS0.replace(r#""right":[-3,-2]"#, r#""right":[-1,-2]"#), // leaf 0 twice
            CLASS0.replace(r#""threshold":[1.0,5.0]"#, r#""threshold":[1.0]"#),
        ];
        for tree in bad {
            assert!(Ensemble::from_json(&tree_json(&tree)).is_err(), "{tree}");
        }
        let text = tree_json(CLASS0).replace(TREES_FORMAT, "pickle");
        let e = Ensemble::from_json(&text).unwrap_err();
        assert_eq!(e.0, "not a zhengwen-trees/1 model: format='pickle'");
        let based = tree_json(CLASS0).replace(r#""trees""#, r#""base":[1.0],"trees""#);
        assert!(Ensemble::from_json(&based).is_err());
    }

    #[test]
    fn one_parse_reads_every_file_as_the_check_by_format_does() {
        let net = net_json(HAND_LAYERS, r#"["x"]"#, "[0.0]");
        let trees = tree_json(CLASS0);
        let texts = [
            net.clone(),
            trees.clone(),
            net.replace(MLP_FORMAT, TREES_FORMAT),
            trees.replace(TREES_FORMAT, MLP_FORMAT),
            trees.replace(TREES_FORMAT, "pickle"),
            net.replace(r#""format":"zhengwen-mlp/1","#, ""),
            net.replace(r#""scale":[1.0],"#, ""),
            net.replace(r#""mean":[0.0]"#, r#""mean":[0.0,1.0]"#),
            net.replace(r#""format":"zhengwen-mlp/1""#, r#""format":5"#),
            net.replace(r#""classes""#, r#""format":"x","classes""#),
            trees.replace(r#""trees""#, r#""base":[1.0],"trees""#),
            trees.replace(r#""trees""#, r#""mean":"no","trees""#),
            trees.replace(r#""left":[1,-1]"#, r#""left":[0,-1]"#),
            "{".to_string(),
            "[]".to_string(),
        ];
        for text in texts {
            let show = |r: Result<Classifier, ModelError>| match r {
                Ok(model) => format!("{model:?}"),
                Err(e) => format!("error: {e}"),
            };
            assert_eq!(
                show(Classifier::from_json(&text)),
                show(Classifier::from_json_by_format(&text)),
                "{text}"
            );
        }
    }

    #[test]
    fn pairwise_sum_follows_numpy() {
        let v: Vec<f64> = (0..300).map(|i| 1.0 / f64::from(i + 1)).collect();
        // Less than 8 values: in order from 0.
        assert_eq!(pairwise_sum(&v[..3]), (0.0 + v[0]) + v[1] + v[2]);
        let eight = &v[..10];
        let tree = ((eight[0] + eight[1]) + (eight[2] + eight[3]))
            + ((eight[4] + eight[5]) + (eight[6] + eight[7]));
        assert_eq!(pairwise_sum(eight), tree + eight[8] + eight[9]);
        assert_eq!(
            pairwise_sum(&v),
            pairwise_sum(&v[..144]) + pairwise_sum(&v[144..])
        );
    }

    #[test]
    fn squash_takes_the_table_only_for_small_integers() {
        let x = [
            0.0,
            -0.0,
            3.0,
            -3.0,
            2.5,
            -0.25,
            1023.0,
            1024.0,
            5e9,
            f64::NAN,
            f64::INFINITY,
        ];
        let (mut dst, mut misses) = (Vec::new(), Misses::default());
        squash_into(&x, &mut dst, &mut misses);
        for (&v, &got) in x.iter().zip(&dst) {
            let want = if v == 0.0 {
                v
            } else {
                v.signum() * v.abs().ln_1p()
            };
            assert!(
                got.to_bits() == want.to_bits() || (got.is_nan() && want.is_nan()),
                "{v}"
            );
        }
    }

    #[test]
    fn the_memo_gives_what_ln_1p_gives() {
        // Far more distinct values than slots, each seen many times in a
        // scrambled order: slots are overwritten, hits and misses alternate.
        let values: Vec<f64> = (0..5000).map(|i| f64::from(i) / 7.0 + 0.001).collect();
        let x: Vec<f64> = (0..60_000)
            .map(|i: usize| {
                let v = values[i.wrapping_mul(7919) % values.len()];
                if i.is_multiple_of(3) {
                    -v
                } else {
                    v
                }
            })
            .collect();
        let mut misses = Misses::default();
        for chunk in x.chunks(4096) {
            let mut dst = Vec::new();
            squash_into(chunk, &mut dst, &mut misses);
            for (&v, &got) in chunk.iter().zip(&dst) {
                assert_eq!(got.to_bits(), v.abs().ln_1p().copysign(v).to_bits(), "{v}");
            }
        }
    }

    #[test]
    fn input_sizes_are_checked() {
        let model = Classifier::from_json(&tree_json(CLASS0)).unwrap();
        assert!(model.predict(&[0.0; 3], 2, Precision::DEFAULT).is_err());
        assert!(model
            .predict(&[0.0; 4], usize::MAX, Precision::DEFAULT)
            .is_err());
        assert_eq!(
            model.predict(&[], 0, Precision::DEFAULT).unwrap(),
            Vec::<f64>::new()
        );
        assert!(doubles(&[0u8; 7]).is_err());
    }

    /// A small deterministic generator (splitmix64) for the random trees.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        }

        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }
    }

    /// The few values thresholds and inputs are drawn from, so that inputs
    /// often equal a threshold; and the odd ones.
    const GRID: [f64; 9] = [-2.0, -0.5, -0.0, 0.0, 0.25, 1.0, 3.0, 1e9, f64::INFINITY];

    /// A random tree in the file's pre-order form with `leaves` leaves.
    fn random_tree(rng: &mut Rng, class: usize, leaves: usize, features: usize) -> String {
        fn grow(rng: &mut Rng, leaves: usize, features: usize, t: &mut [Vec<String>; 5]) -> i64 {
            if leaves == 1 {
                t[4].push(format!("{}", rng.below(1000) as f64 / 7.0 - 50.0));
                return -(t[4].len() as i64);
            }
            let i = t[0].len();
            t[0].push(rng.below(features).to_string());
            t[1].push(format!("{:?}", GRID[rng.below(GRID.len() - 1)]));
            t[2].push(String::new());
            t[3].push(String::new());
            let left = 1 + rng.below(leaves - 1);
            let l = grow(rng, left, features, t);
            let r = grow(rng, leaves - left, features, t);
            (t[2][i], t[3][i]) = (l.to_string(), r.to_string());
            i as i64
        }
        let mut t: [Vec<String>; 5] = Default::default();
        grow(rng, leaves, features, &mut t);
        let [feature, threshold, left, right, value] = t.map(|v| v.join(","));
        format!(
            r#"{{"class":{class},"depth":{leaves},"feature":[{feature}],"threshold":[{threshold}],
                "left":[{left}],"right":[{right}],"value":[{value}]}}"#
        )
    }

    fn random_ensemble(rng: &mut Rng, most_leaves: usize, depth: Option<usize>) -> String {
        let trees: Vec<String> = (0..60)
            .map(|t| {
                let leaves = 1 + rng.below(most_leaves);
                random_tree(rng, t % 3, leaves, 5)
            })
            .collect();
        let mut text = format!(
            r#"{{"format":"{TREES_FORMAT}","classes":["a","b","c"],
                "features":["f0","f1","f2","f3","f4"],"trees":[{}]}}"#,
            trees.join(",")
        );
        if let Some(d) = depth {
            // Every tree declares `d`: deeper nodes are cut to leaves of value 0.
            text = text.replace(r#""depth":"#, &format!(r#""depth":{d},"old":"#));
        }
        text
    }

    /// Rows of random inputs from the grid, a few NaN.
    fn random_rows(rng: &mut Rng, rows: usize) -> Vec<f64> {
        (0..rows * 5)
            .map(|_| match rng.below(12) {
                0 => f64::NAN,
                1 => -f64::INFINITY,
                k => GRID[k % GRID.len()] + if rng.below(2) == 0 { 0.0 } else { 1e-9 },
            })
            .collect()
    }

    #[test]
    fn binned_trees_give_the_walks_sums_to_the_last_bit() {
        let mut rng = Rng(7);
        for (most_leaves, depth) in [(16, None), (32, None), (64, None), (40, Some(3))] {
            let model =
                Ensemble::from_json(&random_ensemble(&mut rng, most_leaves, depth)).unwrap();
            assert!(
                model.binned.is_some(),
                "{most_leaves} leaves fit the layout"
            );
            // Blocks of 64 rows and a part of one.
            let x = random_rows(&mut rng, 150);
            let (mut binned, mut walked) = (vec![0.0; 450], vec![0.0; 450]);
            model.raw_into(&x, &mut binned);
            model.raw_walked_into(&x, &mut walked);
            let bits = |v: &[f64]| v.iter().map(|a| a.to_bits()).collect::<Vec<_>>();
            assert_eq!(
                bits(&binned),
                bits(&walked),
                "{most_leaves} leaves, depth {depth:?}"
            );
        }
    }

    #[test]
    fn trees_beyond_the_binned_layout_are_walked() {
        let mut rng = Rng(11);
        let big = random_tree(&mut rng, 0, 65, 5);
        let text = random_ensemble(&mut rng, 8, None)
            .replace(r#""trees":["#, &format!(r#""trees":[{big},"#));
        let model = Ensemble::from_json(&text).unwrap();
        assert!(model.binned.is_none(), "65 leaves do not fit a 64-bit mask");
        let x = random_rows(&mut rng, 10);
        let mut raw = vec![0.0; 30];
        model.raw_into(&x, &mut raw);
        assert!(raw.iter().all(|v| v.is_finite()));
        // A chain far deeper than any mask: refused by the layout, not recursed into.
        let deep = 10_000;
        let chain = format!(
            r#"{{"class":0,"depth":{deep},"feature":[{}],"threshold":[{}],"left":[{}],"right":[{}],"value":[{}]}}"#,
            vec!["0"; deep].join(","),
            vec!["0.5"; deep].join(","),
            (1..=deep)
                .map(|i| if i < deep { i.to_string() } else { "-1".into() })
                .collect::<Vec<_>>()
                .join(","),
            (0..deep)
                .map(|i| (-2 - i as i64).to_string())
                .collect::<Vec<_>>()
                .join(","),
            vec!["1.0"; deep + 1].join(","),
        );
        let model = Ensemble::from_json(&tree_json(&chain)).unwrap();
        assert!(model.binned.is_none());
        let mut raw = [0.0; 2];
        model.raw_into(&[0.0, 0.0], &mut raw);
        assert_eq!(raw, [1.0, 0.5]);
    }
}
