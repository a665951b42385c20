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
    PyModel,
};

/// The line classes, in the order of the models' outputs.
pub const CLASSES: [&str; 10] = [
    "body", "title", "meta", "nav", "related", "pager", "share", "footer", "comment", "other",
];
const BODY: usize = 0;
const TITLE: usize = 1;
/// Classes whose belief is averaged over windows around each line.
const WINDOW_CLASSES: [&str; 7] = [
    "body", "meta", "nav", "related", "comment", "footer", "share",
];
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
    for c in WINDOW_CLASSES {
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
    let n = rows;
    let k = CLASSES.len();
    let s = STACK_WIDTH;
    let mut out = vec![0.0; n * s];
    if n == 0 {
        return out;
    }
    let column = |c: usize| -> Vec<f64> { (0..n).map(|i| probs[i * k + c]).collect() };
    for i in 0..n {
        out[i * s..i * s + k].copy_from_slice(&probs[i * k..(i + 1) * k]);
    }
    let mut f = k;
    for c in WINDOW_CLASSES {
        let Some(ci) = CLASSES.iter().position(|&name| name == c) else {
            continue;
        };
        let cum = cumulative(&column(ci));
        for w in WIDTHS {
            for i in 0..n {
                out[i * s + f] = mean_window(&cum, i, -w, w);
            }
            f += 1;
        }
    }
    let pb = column(BODY);
    let cum = cumulative(&pb);
    for w in SIDE_WIDTHS {
        for i in 0..n {
            out[i * s + f] = mean_window(&cum, i, -w, -1);
            out[i * s + f + 1] = mean_window(&cum, i, 1, w);
        }
        f += 2;
    }
    // The highest body belief within 3 lines (beyond the edges: 0), with
    // numpy's max, which a NaN wins.
    for i in 0..n {
        let mut top = if i < 3 || i + 3 >= n {
            0.0
        } else {
            f64::NEG_INFINITY
        };
        for &v in &pb[i.saturating_sub(3)..(i + 4).min(n)] {
            if v.is_nan() {
                top = v;
                break;
            }
            if v > top {
                top = v;
            }
        }
        out[i * s + f] = top;
    }
    f += 1;
    let han: Vec<f64> = (0..n).map(|i| x1[i * cols + at.han]).collect();
    let mass: Vec<f64> = pb.iter().zip(&han).map(|(p, h)| p * h).collect();
    let summed = pairwise_sum(&mass);
    // Python's max(sum, 1.0): keeps the sum unless 1.0 is greater (NaN stays).
    let total = if 1.0 > summed { 1.0 } else { summed };
    let mut running = 0.0;
    for i in 0..n {
        running += mass[i];
        let before = running - mass[i];
        out[i * s + f] = before / total;
        out[i * s + f + 1] = (total - before - mass[i]) / total;
    }
    f += 2;
    // The heaviest run of body belief, weighted by how much text each line has.
    let gain: Vec<f64> = (0..n)
        .map(|i| {
            let text = han[i] + x1[i * cols + at.latin_ratio] * x1[i * cols + at.chars];
            (pb[i] - 0.5) * text.ln_1p()
        })
        .collect();
    let (start, end) = heaviest_run(&gain);
    let run_share = pairwise_sum(&mass[start..end]) / total;
    let expected = pb.iter().filter(|&&p| p > 0.5).count() as f64;
    for i in 0..n {
        let row = &mut out[i * s + f..i * s + f + 5];
        let idx = i as i64;
        row[0] = f64::from(u8::from(i >= start && i < end));
        row[1] = (start as i64 - idx).clamp(0, SEGMENT_CAP) as f64;
        row[2] = (idx - (end as i64 - 1)).clamp(0, SEGMENT_CAP) as f64;
        row[3] = run_share;
        row[4] = expected;
    }
    f += 5;
    // The headline anchors the article: its text starts a few lines below.
    let pt = column(TITLE);
    let t = argmax(&pt);
    for i in 0..n {
        out[i * s + f] = (i as i64 - t as i64).clamp(-SEGMENT_CAP, SEGMENT_CAP) as f64;
        out[i * s + f + 1] = pt[t];
    }
    if let Some(first) = (t + 1..n).find(|&i| han[i] >= FIRST_TEXT_HAN) {
        out[first * s + f + 2] = 1.0;
    }
    debug_assert_eq!(f + 3, s);
    out
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
