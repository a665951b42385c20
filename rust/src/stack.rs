//! The second pass's stacking: features of each line drawn from what pass one
//! believes about it and its neighbours (`decode.stack_features`), and the
//! two passes run back to back (`decode.beliefs`).
//!
//! The neighbours speak with pass one's beliefs summed over windows and
//! directions, the heaviest run of body belief on the page (the article is
//! mostly one run of lines), how far a line is from that run, and from the
//! likeliest title. Sums follow numpy's order (cumulative sums in order,
//! totals pairwise), so the features equal the numpy reference's.

use pyo3::prelude::*;
use pyo3::types::PyByteArray;

use crate::nets::{
    doubles, pairwise_sum, squash, to_bytearray, Classifier, ModelError, Network, Precision,
    PyModel, NET_ROW_BLOCK,
};

/// The line classes, in the order of the models' outputs.
pub const CLASSES: [&str; 10] = [
    "body", "title", "meta", "nav", "related", "pager", "share", "footer", "comment", "other",
];
const BODY: usize = 0;
const TITLE: usize = 1;
/// Classes whose belief is averaged over windows around each line (indices
/// into [`CLASSES`]: body, meta, nav, related, comment, footer, share); body
/// first, whose running sums the one-sided windows read too.
const WINDOW_CLASSES: [usize; 7] = [BODY, 2, 3, 4, 8, 7, 6];
const _: () = assert!(WINDOW_CLASSES[0] == BODY);
/// Half-widths of those windows (lines on each side).
const WIDTHS: [i64; 4] = [1, 2, 5, 10];
/// Widths of the body-belief windows on one side only (before, after).
const SIDE_WIDTHS: [i64; 2] = [3, 10];
/// Lines: distances to the heaviest body run or the title are capped here.
const SEGMENT_CAP: i64 = 30;
/// Han characters that make a line below the title its first text.
const FIRST_TEXT_HAN: f64 = 10.0;
/// Rows of pass two's joined input (base features beside the stacked ones)
/// built at once: a copy of the whole page would cost as much memory again.
const JOIN_ROW_BLOCK: usize = 256;

/// The names of the stacked features, in column order (`decode.STACK_NAMES`).
pub fn stack_names() -> Vec<String> {
    let mut names: Vec<String> = CLASSES.iter().map(|c| format!("p_{c}")).collect();
    for c in WINDOW_CLASSES.map(|c| CLASSES[c]) {
        names.extend(WIDTHS.iter().map(|w| format!("pwin{w}_{c}")));
    }
    for w in SIDE_WIDTHS {
        for side in ["before", "after"] {
            names.push(format!("p{side}{w}_body"));
        }
    }
    for name in [
        "pmax3_body",
        "pmass_before",
        "pmass_after",
        "in_run",
        "run_dist_before",
        "run_dist_after",
        "run_share",
        "body_lines_expected",
        "from_title",
        "title_belief",
        "first_text_after_title",
    ] {
        names.push(name.to_string());
    }
    names
}

/// How many stacked features there are.
pub const STACK_WIDTH: usize = 10 + 7 * 4 + 2 * 2 + 11;

/// Where the stacking finds its base features in `x1`.
#[derive(Debug, Clone, Copy)]
pub struct BaseColumns {
    pub han: usize,
    pub latin_ratio: usize,
    pub chars: usize,
}

/// The contiguous run `[start, end)` with the largest sum of `gain` (Kadane);
/// `(0, 0)` when no run has a positive sum.
pub fn heaviest_run(gain: &[f64]) -> (usize, usize) {
    let (mut best, mut best_span) = (0.0, (0, 0));
    let (mut run, mut start) = (0.0, 0);
    for (i, &g) in gain.iter().enumerate() {
        if run <= 0.0 {
            (run, start) = (g, i);
        } else {
            run += g;
        }
        if run > best {
            (best, best_span) = (run, (start, i + 1));
        }
    }
    best_span
}

/// `v`'s cumulative sum with a leading 0 (numpy's `cumsum`: in order).
fn cumulative(v: &[f64]) -> Vec<f64> {
    let mut c = Vec::with_capacity(v.len() + 1);
    let mut s = 0.0;
    c.push(s);
    for &x in v {
        s += x;
        c.push(s);
    }
    c
}

/// Mean over lines `i+lo ..= i+hi` of the values whose cumulative sum is `c`
/// (cut at the page edges; an empty window gives 0), for line `i`.
fn mean_window(c: &[f64], i: usize, lo: i64, hi: i64) -> f64 {
    let n = (c.len() - 1) as i64;
    let i = i as i64;
    let a = (i + lo).clamp(0, n);
    let b = (i + hi + 1).clamp(0, n);
    let width = (b - a).max(1);
    (c[b as usize] - c[a as usize]) / width as f64
}

/// Checks that the stacking's inputs fit together.
fn check_stack_input(
    x1: &[f64],
    rows: usize,
    cols: usize,
    probs: &[f64],
    at: BaseColumns,
) -> Result<(), ModelError> {
    if rows.checked_mul(cols) != Some(x1.len()) {
        return Err(ModelError(format!(
            "x1 has {} values, not {rows} rows of {cols}",
            x1.len()
        )));
    }
    if rows.checked_mul(CLASSES.len()) != Some(probs.len()) {
        return Err(ModelError(format!(
            "probs has {} values, not {rows} rows of {} classes",
            probs.len(),
            CLASSES.len()
        )));
    }
    if at.han >= cols || at.latin_ratio >= cols || at.chars >= cols {
        return Err(ModelError(format!(
            "a base column is past the {cols} columns of x1"
        )));
    }
    Ok(())
}

/// Pass-two features (`rows × STACK_WIDTH`) from base features `x1`
/// (`rows × cols`) and pass-one `probs` (`rows × CLASSES`). The inputs'
/// sizes must have been checked ([`check_stack_input`]).
fn stack(x1: &[f64], rows: usize, cols: usize, probs: &[f64], at: BaseColumns) -> Vec<f64> {
    let text: Vec<LineText> = (0..rows)
        .map(|i| LineText::of(&x1[i * cols..(i + 1) * cols], at))
        .collect();
    let mut out = vec![0.0; rows * STACK_WIDTH];
    Stacking::new(probs, &text).rows(probs, 0..rows, &mut out);
    out
}

/// What the stacking reads of a line's base features.
#[derive(Clone, Copy, Debug)]
pub struct LineText {
    han: f64,
    latin_ratio: f64,
    chars: f64,
}

impl LineText {
    /// From a line's base row.
    pub fn of(row: &[f64], at: BaseColumns) -> Self {
        Self {
            han: row[at.han],
            latin_ratio: row[at.latin_ratio],
            chars: row[at.chars],
        }
    }
}

/// What the stacked features need of the whole page: running sums of pass
/// one's beliefs, where the body's mass lies, the heaviest run of body
/// belief and the likeliest title. With these, any block of rows gets its
/// stacked features on its own ([`Stacking::rows`]).
pub struct Stacking {
    /// Running sums of each of [`WINDOW_CLASSES`]' beliefs (`n + 1` each).
    cums: Vec<Vec<f64>>,
    /// Per line: the body mass (body belief × Han) of the lines before it.
    mass_before: Vec<f64>,
    mass: Vec<f64>,
    total: f64,
    run: (usize, usize),
    run_share: f64,
    expected: f64,
    title: usize,
    title_belief: f64,
    first_text: Option<usize>,
}

impl Stacking {
    /// From pass one's `probs` (`n × CLASSES`) and each line's text.
    pub fn new(probs: &[f64], text: &[LineText]) -> Self {
        let n = text.len();
        let k = CLASSES.len();
        let column = |c: usize| -> Vec<f64> { (0..n).map(|i| probs[i * k + c]).collect() };
        let cums = WINDOW_CLASSES
            .iter()
            .map(|&c| cumulative(&column(c)))
            .collect();
        let pb = column(BODY);
        let mass: Vec<f64> = pb.iter().zip(text).map(|(p, t)| p * t.han).collect();
        let summed = pairwise_sum(&mass);
        // Python's max(sum, 1.0): keeps the sum unless 1.0 is greater (NaN stays).
        let total = if 1.0 > summed { 1.0 } else { summed };
        let mut running = 0.0;
        let mass_before = mass
            .iter()
            .map(|&m| {
                running += m;
                running - m
            })
            .collect();
        // The heaviest run of body belief, weighted by how much text each line has.
        let gain: Vec<f64> = pb
            .iter()
            .zip(text)
            .map(|(p, t)| (p - 0.5) * (t.han + t.latin_ratio * t.chars).ln_1p())
            .collect();
        let run = heaviest_run(&gain);
        let run_share = pairwise_sum(&mass[run.0..run.1]) / total;
        let expected = pb.iter().filter(|&&p| p > 0.5).count() as f64;
        // The headline anchors the article: its text starts a few lines below.
        let pt = column(TITLE);
        let title = argmax(&pt);
        let title_belief = pt.get(title).copied().unwrap_or(0.0);
        let first_text = (title + 1..n).find(|&i| text[i].han >= FIRST_TEXT_HAN);
        Self {
            cums,
            mass_before,
            mass,
            total,
            run,
            run_share,
            expected,
            title,
            title_belief,
            first_text,
        }
    }

    /// The stacked features of lines `range` into `out` (`range.len() ×
    /// STACK_WIDTH`, zeros), from pass one's `probs` of the whole page.
    pub fn rows(&self, probs: &[f64], range: std::ops::Range<usize>, out: &mut [f64]) {
        let n = self.mass.len();
        let k = CLASSES.len();
        let s = STACK_WIDTH;
        let body = |i: usize| probs[i * k + BODY];
        let (start, end) = self.run;
        for i in range.clone() {
            let row = &mut out[(i - range.start) * s..(i - range.start + 1) * s];
            row[..k].copy_from_slice(&probs[i * k..(i + 1) * k]);
            let mut f = k;
            for cum in &self.cums {
                for w in WIDTHS {
                    row[f] = mean_window(cum, i, -w, w);
                    f += 1;
                }
            }
            let cum = &self.cums[0]; // body's
            for w in SIDE_WIDTHS {
                row[f] = mean_window(cum, i, -w, -1);
                row[f + 1] = mean_window(cum, i, 1, w);
                f += 2;
            }
            // The highest body belief within 3 lines (beyond the edges: 0), with
            // numpy's max, which a NaN wins.
            let mut top = if i < 3 || i + 3 >= n {
                0.0
            } else {
                f64::NEG_INFINITY
            };
            for j in i.saturating_sub(3)..(i + 4).min(n) {
                let v = body(j);
                if v.is_nan() {
                    top = v;
                    break;
                }
                if v > top {
                    top = v;
                }
            }
            row[f] = top;
            f += 1;
            let before = self.mass_before[i];
            row[f] = before / self.total;
            row[f + 1] = (self.total - before - self.mass[i]) / self.total;
            f += 2;
            let idx = i as i64;
            row[f] = f64::from(u8::from(i >= start && i < end));
            row[f + 1] = (start as i64 - idx).clamp(0, SEGMENT_CAP) as f64;
            row[f + 2] = (idx - (end as i64 - 1)).clamp(0, SEGMENT_CAP) as f64;
            row[f + 3] = self.run_share;
            row[f + 4] = self.expected;
            f += 5;
            row[f] = (idx - self.title as i64).clamp(-SEGMENT_CAP, SEGMENT_CAP) as f64;
            row[f + 1] = self.title_belief;
            if self.first_text == Some(i) {
                row[f + 2] = 1.0;
            }
            debug_assert_eq!(f + 3, s);
        }
    }
}

/// numpy's `argmax`: the first maximum, or the first NaN if there is one.
fn argmax(v: &[f64]) -> usize {
    let mut best = 0;
    for (i, &x) in v.iter().enumerate() {
        if x.is_nan() {
            return i;
        }
        if x > v[best] {
            best = i;
        }
    }
    best
}

/// Pass-two features of a page; checks the inputs' sizes.
pub fn stack_features(
    x1: &[f64],
    rows: usize,
    cols: usize,
    probs: &[f64],
    at: BaseColumns,
) -> Result<Vec<f64>, ModelError> {
    check_stack_input(x1, rows, cols, probs, at)?;
    Ok(stack(x1, rows, cols, probs, at))
}

/// Pass one on the base features, pass two on them and pass one's beliefs:
/// `rows × classes` of the second model. Pass two's input is joined a block
/// of rows at a time, never for the whole page.
pub fn beliefs(
    x1: &[f64],
    rows: usize,
    cols: usize,
    first: &Classifier,
    second: &Classifier,
    at: BaseColumns,
    precision: Precision,
) -> Result<Vec<f64>, ModelError> {
    first.check_input(x1.len(), rows)?;
    check_models(cols, first, second)?;
    if let (Classifier::Network(one), Classifier::Network(two)) = (first, second) {
        // Squashing the whole page at once holds two more copies of its
        // features: pages up to SQUASH_PAGE_ROWS lines (nearly all) take that
        // for speed; longer ones go a block of rows at a time, as trees do,
        // so that memory a line stays what docs/reliability.md states.
        if rows <= SQUASH_PAGE_ROWS {
            return Ok(network_beliefs(x1, rows, cols, one, two, at, precision));
        }
    }
    let mut probs1 = vec![0.0; rows * CLASSES.len()];
    first.predict_into(x1, &mut probs1, precision);
    let extra = stack_features(x1, rows, cols, &probs1, at)?;
    Ok(joined_passes(
        x1,
        &extra,
        rows,
        cols,
        second.classes().len(),
        |block, out| second.predict_into(block, out, precision),
    ))
}

/// [`beliefs`] for a page whose base features are never held whole: `fill(range,
/// out)` writes rows `range` of them into `out` (zeros), a block of `block`
/// rows at a time, once for each pass; `keep(range, rows)` sees each block
/// once. The beliefs are the ones [`beliefs`] gives on the whole matrix.
#[allow(clippy::too_many_arguments)]
pub fn beliefs_by_blocks(
    rows: usize,
    cols: usize,
    block: usize,
    mut fill: impl FnMut(std::ops::Range<usize>, &mut [f64]),
    mut keep: impl FnMut(std::ops::Range<usize>, &[f64]),
    first: &Classifier,
    second: &Classifier,
    at: BaseColumns,
    precision: Precision,
) -> Result<Vec<f64>, ModelError> {
    check_models(cols, first, second)?;
    if at.han >= cols || at.latin_ratio >= cols || at.chars >= cols {
        return Err(ModelError(format!(
            "a base column is past the {cols} columns of x1"
        )));
    }
    // Whole network blocks, so that each row meets the same arithmetic.
    let block = block.max(1).div_ceil(NET_ROW_BLOCK) * NET_ROW_BLOCK;
    let blocks = || {
        (0..rows)
            .step_by(block)
            .map(move |a| a..(a + block).min(rows))
    };
    let k = CLASSES.len();
    let mut x = vec![0.0; block.min(rows) * cols];
    let mut probs1 = vec![0.0; rows * k];
    let mut text = Vec::with_capacity(rows);
    for range in blocks() {
        let x = &mut x[..range.len() * cols];
        x.fill(0.0);
        fill(range.clone(), x);
        keep(range.clone(), x);
        text.extend(x.chunks_exact(cols).map(|row| LineText::of(row, at)));
        first.predict_into(x, &mut probs1[range.start * k..range.end * k], precision);
    }
    let stacking = Stacking::new(&probs1, &text);
    drop(text);
    let k2 = second.classes().len();
    let mut out = vec![0.0; rows * k2];
    let mut extra = vec![0.0; block.min(rows) * STACK_WIDTH];
    for range in blocks() {
        let n = range.len();
        let x = &mut x[..n * cols];
        x.fill(0.0);
        fill(range.clone(), x);
        let extra = &mut extra[..n * STACK_WIDTH];
        extra.fill(0.0);
        stacking.rows(&probs1, range.clone(), extra);
        let beliefs = joined_passes(x, extra, n, cols, k2, |b, o| {
            second.predict_into(b, o, precision);
        });
        out[range.start * k2..range.end * k2].copy_from_slice(&beliefs);
    }
    Ok(out)
}

/// Checks that pass one reads `cols` features and gives the stacking's
/// classes, and that pass two reads those features and the stacked ones.
fn check_models(cols: usize, first: &Classifier, second: &Classifier) -> Result<(), ModelError> {
    if first.features().len() != cols {
        return Err(ModelError(format!(
            "pass one reads {} features, the page has {cols}",
            first.features().len()
        )));
    }
    if first.classes().len() != CLASSES.len() {
        return Err(ModelError(format!(
            "pass one gives {} classes, the stacking reads {}",
            first.classes().len(),
            CLASSES.len()
        )));
    }
    let joined = cols + STACK_WIDTH;
    if second.features().len() != joined {
        return Err(ModelError(format!(
            "pass two reads {} features, not {cols} base and {STACK_WIDTH} stacked",
            second.features().len()
        )));
    }
    Ok(())
}

/// Pass two over `base` (`rows × cols`) joined with `extra` (`rows ×
/// STACK_WIDTH`), a block of JOIN_ROW_BLOCK rows at a time, so that the
/// joined input never exists for the whole page: `predict(block, out)` fills
/// the block's `k` beliefs a row.
fn joined_passes(
    base: &[f64],
    extra: &[f64],
    rows: usize,
    cols: usize,
    k: usize,
    mut predict: impl FnMut(&[f64], &mut [f64]),
) -> Vec<f64> {
    let mut out = vec![0.0; rows * k];
    let mut block = Vec::with_capacity(JOIN_ROW_BLOCK * (cols + STACK_WIDTH));
    for start in (0..rows).step_by(JOIN_ROW_BLOCK) {
        let n = JOIN_ROW_BLOCK.min(rows - start);
        block.clear();
        for i in start..start + n {
            block.extend_from_slice(&base[i * cols..(i + 1) * cols]);
            block.extend_from_slice(&extra[i * STACK_WIDTH..(i + 1) * STACK_WIDTH]);
        }
        predict(&block, &mut out[start * k..(start + n) * k]);
    }
    out
}

/// Lines up to which [`beliefs`] squashes a page's features once for both
/// networks (a few MB at most); the beliefs are the same either way.
pub const SQUASH_PAGE_ROWS: usize = 8192;

/// [`beliefs`] for two networks, whose sizes have been checked. Both read
/// the base features squashed (`sign·log1p`, most of a network's input cost):
/// they are squashed once, for the whole page, and pass two joins them with
/// its squashed stacked features. The values are the very ones each network
/// would squash itself, so the beliefs are the same to the bit.
fn network_beliefs(
    x1: &[f64],
    rows: usize,
    cols: usize,
    first: &Network,
    second: &Network,
    at: BaseColumns,
    precision: Precision,
) -> Vec<f64> {
    let sq1 = squash(x1);
    let mut probs1 = vec![0.0; rows * CLASSES.len()];
    first.predict_squashed_into(&sq1, &mut probs1, precision);
    let extra = squash(&stack(x1, rows, cols, &probs1, at));
    joined_passes(
        &sq1,
        &extra,
        rows,
        cols,
        second.classes.len(),
        |block, out| second.predict_squashed_into(block, out, precision),
    )
}

/// `decode.stack_features` for Python: doubles in, a bytearray of
/// `rows × STACK_WIDTH` doubles out.
#[pyfunction(name = "stack_features")]
#[allow(clippy::too_many_arguments)]
fn py_stack_features<'py>(
    py: Python<'py>,
    x1: &[u8],
    rows: usize,
    cols: usize,
    probs: &[u8],
    han: usize,
    latin_ratio: usize,
    chars: usize,
) -> PyResult<Bound<'py, PyByteArray>> {
    let at = BaseColumns {
        han,
        latin_ratio,
        chars,
    };
    let (x1, probs) = (doubles(x1)?, doubles(probs)?);
    let out = py.detach(|| stack_features(&x1, rows, cols, &probs, at))?;
    Ok(to_bytearray(py, &out))
}

/// `decode.heaviest_run` for Python: `gain` as native doubles.
#[pyfunction(name = "heaviest_run")]
fn py_heaviest_run(gain: &[u8]) -> PyResult<(usize, usize)> {
    Ok(heaviest_run(&doubles(gain)?))
}

/// `decode.beliefs` for Python with the package's two models.
#[pyfunction(name = "beliefs")]
#[pyo3(signature = (x1, rows, cols, first, second, han, latin_ratio, chars, precision=None))]
#[allow(clippy::too_many_arguments)]
fn py_beliefs<'py>(
    py: Python<'py>,
    x1: &[u8],
    rows: usize,
    cols: usize,
    first: &PyModel,
    second: &PyModel,
    han: usize,
    latin_ratio: usize,
    chars: usize,
    precision: Option<&str>,
) -> PyResult<Bound<'py, PyByteArray>> {
    let at = BaseColumns {
        han,
        latin_ratio,
        chars,
    };
    let precision = Precision::parse(precision)?;
    let x1 = doubles(x1)?;
    let out = py.detach(|| beliefs(&x1, rows, cols, &first.inner, &second.inner, at, precision))?;
    Ok(to_bytearray(py, &out))
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("CLASSES", CLASSES.to_vec())?;
    m.add("STACK_NAMES", stack_names())?;
    m.add_function(wrap_pyfunction!(py_stack_features, m)?)?;
    m.add_function(wrap_pyfunction!(py_beliefs, m)?)?;
    m.add_function(wrap_pyfunction!(py_heaviest_run, m)?)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_match_the_width() {
        assert_eq!(stack_names().len(), STACK_WIDTH);
        assert_eq!(stack_names()[10], "pwin1_body");
        assert_eq!(stack_names()[STACK_WIDTH - 1], "first_text_after_title");
    }

    #[test]
    fn heaviest_run_is_kadane() {
        assert_eq!(heaviest_run(&[-1.0, 2.0, -0.5, 2.0, -3.0, 1.0]), (1, 4));
        assert_eq!(heaviest_run(&[-1.0, -2.0]), (0, 0));
        assert_eq!(heaviest_run(&[]), (0, 0));
    }

    /// A hand-made page of 3 lines: x1 columns are (han, latin_ratio, chars).
    #[test]
    fn stack_of_a_small_page() {
        let x1 = [20.0, 0.0, 20.0, 0.0, 0.0, 0.0, 12.0, 0.5, 30.0];
        let mut probs = vec![0.0; 30];
        // line 0: title 0.9; line 1: nav 1.0; line 2: body 0.8, title 0.2
        probs[1] = 0.9;
        probs[10 + 3] = 1.0;
        probs[20] = 0.8;
        probs[21] = 0.2;
        let at = BaseColumns {
            han: 0,
            latin_ratio: 1,
            chars: 2,
        };
        let out = stack_features(&x1, 3, 3, &probs, at).unwrap();
        let row = |i: usize| &out[i * STACK_WIDTH..(i + 1) * STACK_WIDTH];
        let names = stack_names();
        let at_name = |i: usize, name: &str| row(i)[names.iter().position(|n| n == name).unwrap()];
        assert_eq!(at_name(1, "p_nav"), 1.0);
        assert_eq!(at_name(0, "pwin1_body"), 0.0); // (0 + 0) / 2
        assert_eq!(at_name(1, "pwin1_body"), 0.8 / 3.0);
        assert_eq!(at_name(2, "pafter3_body"), 0.0); // empty window
        assert_eq!(at_name(2, "pbefore3_body"), 0.0);
        assert_eq!(at_name(0, "pmax3_body"), 0.8);
        // mass: only line 2 (0.8 × 12 = 9.6); total 9.6
        assert_eq!(at_name(2, "pmass_before"), 0.0);
        assert_eq!(at_name(0, "pmass_after"), 1.0);
        // gain: line 2 alone is positive, (0.8 - 0.5) · log1p(12 + 15)
        assert_eq!(at_name(2, "in_run"), 1.0);
        assert_eq!(at_name(0, "run_dist_before"), 2.0);
        assert_eq!(at_name(0, "run_dist_after"), 0.0);
        assert_eq!(at_name(0, "run_share"), 1.0);
        assert_eq!(at_name(0, "body_lines_expected"), 1.0);
        assert_eq!(at_name(2, "from_title"), 2.0);
        assert_eq!(at_name(1, "title_belief"), 0.9);
        // line 1 has no Han; line 2 is the first text below the title
        assert_eq!(at_name(1, "first_text_after_title"), 0.0);
        assert_eq!(at_name(2, "first_text_after_title"), 1.0);
    }

    #[test]
    fn beliefs_check_that_the_models_fit_together() {
        let net = |features: usize, classes: usize| {
            let names: Vec<String> = (0..features).map(|i| format!("\"f{i}\"")).collect();
            let row = format!("[{}]", vec!["0.0"; classes].join(","));
            let text = format!(
                r#"{{"format":"zhengwen-mlp/1","classes":[{}],"features":[{}],"mean":[{}],
                    "scale":[{}],"layers":[{{"weights":[{}],"bias":{row}}}]}}"#,
                (0..classes)
                    .map(|c| format!("\"c{c}\""))
                    .collect::<Vec<_>>()
                    .join(","),
                names.join(","),
                vec!["0.0"; features].join(","),
                vec!["1.0"; features].join(","),
                vec![row.as_str(); features].join(","),
            );
            Classifier::from_json(&text).unwrap()
        };
        let at = BaseColumns {
            han: 0,
            latin_ratio: 1,
            chars: 2,
        };
        let (first, second) = (net(3, 10), net(3 + STACK_WIDTH, 10));
        let x1 = [1.0, 0.0, 1.0, 20.0, 0.5, 4.0];
        let out = beliefs(&x1, 2, 3, &first, &second, at, Precision::F64).unwrap();
        // All weights 0: every class alike.
        assert!(out.iter().all(|&p| (p - 0.1).abs() < 1e-15));
        assert!(beliefs(&x1, 2, 3, &second, &second, at, Precision::F64).is_err());
        assert!(beliefs(&x1, 2, 3, &first, &first, at, Precision::F64).is_err());
        assert!(beliefs(&x1, 2, 3, &net(3, 4), &second, at, Precision::F64).is_err());
        assert!(beliefs(&x1[..5], 2, 3, &first, &second, at, Precision::F64).is_err());
    }

    /// A network of `features` inputs, a hidden layer of 8 and 10 classes,
    /// with weights drawn from `seed`.
    fn random_network(features: usize, seed: u64) -> Classifier {
        let mut state = seed;
        let mut draw = |count: usize| -> String {
            let values: Vec<String> = (0..count)
                .map(|_| {
                    state = state
                        .wrapping_mul(6_364_136_223_846_793_005)
                        .wrapping_add(1_442_695_040_888_963_407);
                    format!("{:.6}", ((state >> 40) as f64 / (1u64 << 24) as f64) - 0.5)
                })
                .collect();
            values.join(",")
        };
        let matrix = |rows: usize, cols: usize, draw: &mut dyn FnMut(usize) -> String| {
            let rows: Vec<String> = (0..rows).map(|_| format!("[{}]", draw(cols))).collect();
            format!("[{}]", rows.join(","))
        };
        let hidden = matrix(features, 8, &mut draw);
        let hidden_bias = draw(8);
        let output = matrix(8, 10, &mut draw);
        let output_bias = draw(10);
        let names: Vec<String> = (0..features).map(|i| format!("\"f{i}\"")).collect();
        let text = format!(
            r#"{{"format":"zhengwen-mlp/1","classes":[{}],"features":[{}],"mean":[{}],
                "scale":[{}],"layers":[{{"weights":{hidden},"bias":[{hidden_bias}]}},
                {{"weights":{output},"bias":[{output_bias}]}}]}}"#,
            CLASSES.map(|c| format!("\"{c}\"")).join(","),
            names.join(","),
            vec!["0.1"; features].join(","),
            vec!["1.5"; features].join(","),
        );
        Classifier::from_json(&text).unwrap()
    }

    #[test]
    fn beliefs_a_block_at_a_time_equal_the_whole_page() {
        let cols = 5;
        let (first, second) = (
            random_network(cols, 1),
            random_network(cols + STACK_WIDTH, 2),
        );
        let at = BaseColumns {
            han: 0,
            latin_ratio: 1,
            chars: 2,
        };
        for rows in [1, 300, 1000, SQUASH_PAGE_ROWS + 700] {
            let x1: Vec<f64> = (0..rows * cols)
                .map(|i| ((i * 7919) % 101) as f64 / 7.0 - 3.0)
                .collect();
            let whole = beliefs(&x1, rows, cols, &first, &second, at, Precision::DEFAULT).unwrap();
            for block in [1, 256, 700, 4096, 20_000] {
                let mut seen = 0;
                let blocked = beliefs_by_blocks(
                    rows,
                    cols,
                    block,
                    |range, out| out.copy_from_slice(&x1[range.start * cols..range.end * cols]),
                    |range, x| {
                        assert_eq!(range.start, seen);
                        assert_eq!(x.len(), range.len() * cols);
                        seen = range.end;
                    },
                    &first,
                    &second,
                    at,
                    Precision::DEFAULT,
                )
                .unwrap();
                assert_eq!(seen, rows);
                let same = blocked
                    .iter()
                    .zip(&whole)
                    .all(|(a, b)| a.to_bits() == b.to_bits());
                assert!(
                    same && blocked.len() == whole.len(),
                    "{rows} rows, block {block}"
                );
            }
        }
    }

    #[test]
    fn stack_refuses_mismatched_inputs() {
        let at = BaseColumns {
            han: 0,
            latin_ratio: 1,
            chars: 2,
        };
        assert!(stack_features(&[0.0; 6], 2, 3, &[0.0; 10], at).is_err());
        assert!(stack_features(&[0.0; 5], 2, 3, &[0.0; 20], at).is_err());
        let far = BaseColumns { chars: 3, ..at };
        assert!(stack_features(&[0.0; 6], 2, 3, &[0.0; 20], far).is_err());
        assert_eq!(
            stack_features(&[], 0, 3, &[], at).unwrap(),
            Vec::<f64>::new()
        );
    }
}
