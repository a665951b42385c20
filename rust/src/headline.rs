//! The headline ranker: chooses the headline among a page's most title-like
//! lines (a port of `src/zhengwen/headline.py`'s `Ranker.choose`).
//!
//! The second pass judges a line's title belief from the line and its
//! surroundings, not against the article it would head. The ranker reads,
//! for the `CANDIDATES` most title-like lines, how much of the line's wording
//! recurs in the body, how far it sits above the body, whether meta follows
//! it and how headline-like its wording is, and picks the best by a linear
//! score. Its weights are the JSON file `model/title.json` (format
//! `zhengwen-headline/2`), fitted by `tools/train.py`; the Python side keeps
//! the feature code the training reads, and `tools/check_core_decode.py`
//! proves the two choose alike.

use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use regex::Regex;
use serde::Deserialize;

/// The model file's format tag.
pub const FORMAT: &str = "zhengwen-headline/2";
/// Most title-like lines the ranker chooses among.
pub const CANDIDATES: usize = 10;
/// Lines: a headline further above its article's first line counts as this.
pub const LINES_TO_BODY_CAP: usize = 30;
/// Beliefs are compared on a log scale, floored here.
pub const BELIEF_FLOOR: f64 = 1e-6;
/// Characters (folded): this short, a name, a source or a label more than a headline.
pub const SHORT_CHARS: usize = 8;
/// Characters (folded): a line this long says something.
pub const LONG_CHARS: usize = 25;
/// The candidate features, in the order of the model's weights.
pub const NAMES: [&str; 7] = [
    "log_belief",
    "belief_gap",
    "body_overlap",
    "lines_to_body",
    "log_body_above",
    "meta_below",
    "wording",
];
const N_FEATURES: usize = NAMES.len();

static HAN: LazyLock<Regex> = LazyLock::new(|| compiled(r"\p{Han}+"));
static LATIN: LazyLock<Regex> = LazyLock::new(|| compiled(r"[A-Za-z]+"));
/// Shapes a line's characters alone do not show, each a token of its own
/// (`headline._SHAPES`; Python's `$` also matches before a final newline).
static SHAPES: LazyLock<Vec<(Regex, &'static str)>> = LazyLock::new(|| {
    [
        (r"^0+[.、．]", "<numbered>"),
        (r"^[一二三四五六七八九十]+、", "<cn-numbered>"),
        (r"^第.{1,4}[章节回篇]", "<chapter>"),
        (r"[？?！!]\n?\z", "<asks>"),
        (r"0{4}[-年./]0", "<date>"),
    ]
    .into_iter()
    .map(|(pattern, name)| (compiled(pattern), name))
    .collect()
});

/// A pattern written in this file; a typo in it is a bug, caught by any test.
fn compiled(pattern: &str) -> Regex {
    Regex::new(pattern).expect("a pattern of headline.rs")
}

/// Whether `c` is a decimal digit as Python's `regex` reads `\d` (Unicode Nd).
fn is_digit(c: char) -> bool {
    static DIGIT: LazyLock<Regex> = LazyLock::new(|| compiled(r"\A\d\z"));
    if c.is_ascii() {
        return c.is_ascii_digit();
    }
    let mut buf = [0u8; 4];
    DIGIT.is_match(c.encode_utf8(&mut buf))
}

/// Counts of Han pairs, hashed by foldhash (seeded): SipHash cost more than
/// the counting; nothing reads them in hash order.
type PairCounts = HashMap<(char, char), u32, foldhash::fast::RandomState>;

/// How often each pair of adjacent Han characters occurs in `text` (within runs of Han).
pub fn han_pairs(text: &str) -> PairCounts {
    let mut out = PairCounts::default();
    add_han_pairs(text, &mut out);
    out
}

fn add_han_pairs(text: &str, out: &mut PairCounts) {
    for run in HAN.find_iter(text) {
        let mut chars = run.as_str().chars();
        if let Some(mut prev) = chars.next() {
            for c in chars {
                *out.entry((prev, c)).or_insert(0) += 1;
                prev = c;
            }
        }
    }
}

/// What the wording score reads of a folded line: its characters (digits read
/// as `0`, a run of Latin letters as `a`), its first and last one (`^x`,
/// `x$`), and its shapes (`<numbered>`, `<short>`, …; `<plain>` when it has none).
pub fn wording_tokens(folded: &str) -> HashSet<String> {
    let digits: String = folded
        .chars()
        .map(|c| if is_digit(c) { '0' } else { c })
        .collect();
    let text = LATIN.replace_all(&digits, "a");
    let (Some(first), Some(last)) = (text.chars().next(), text.chars().next_back()) else {
        return HashSet::from(["<empty>".to_string()]);
    };
    let mut tokens: HashSet<String> = text.chars().map(String::from).collect();
    tokens.insert(format!("^{first}"));
    tokens.insert(format!("{last}$"));
    let mut shaped = false;
    for (pattern, name) in SHAPES.iter() {
        if pattern.is_match(&text) {
            tokens.insert((*name).to_string());
            shaped = true;
        }
    }
    let len = text.chars().count();
    if len <= SHORT_CHARS {
        tokens.insert("<short>".to_string());
        shaped = true;
    } else if len >= LONG_CHARS {
        tokens.insert("<long>".to_string());
        shaped = true;
    }
    if !shaped {
        tokens.insert("<plain>".to_string());
    }
    tokens
}

/// The exactly rounded sum of `values`, as Python's `math.fsum` gives it
/// (Shewchuk's partials, CPython's `math_fsum`), so that a score does not
/// depend on the order its terms are walked in. Finite terms are assumed (the
/// model's weights are checked finite); a non-finite one gives the plain sum.
pub fn fsum(values: impl IntoIterator<Item = f64>) -> f64 {
    let values: Vec<f64> = values.into_iter().collect();
    if values.iter().any(|v| !v.is_finite()) {
        return values.iter().sum();
    }
    let mut partials: Vec<f64> = Vec::new();
    for mut x in values {
        let mut i = 0;
        for j in 0..partials.len() {
            let mut y = partials[j];
            if x.abs() < y.abs() {
                std::mem::swap(&mut x, &mut y);
            }
            let hi = x + y;
            let lo = y - (hi - x);
            if lo != 0.0 {
                partials[i] = lo;
                i += 1;
            }
            x = hi;
        }
        partials.truncate(i);
        if x != 0.0 {
            if !x.is_finite() {
                return f64::NAN; // an intermediate overflow: Python raises
            }
            partials.push(x);
        }
    }
    let mut n = partials.len();
    if n == 0 {
        return 0.0;
    }
    n -= 1;
    let mut hi = partials[n];
    let mut lo = 0.0;
    while n > 0 {
        let x = hi;
        n -= 1;
        let y = partials[n];
        hi = x + y;
        lo = y - (hi - x);
        if lo != 0.0 {
            break;
        }
    }
    // Half-even rounding across several partials (CPython's fix-up).
    if n > 0 && ((lo < 0.0 && partials[n - 1] < 0.0) || (lo > 0.0 && partials[n - 1] > 0.0)) {
        let y = lo * 2.0;
        let x = hi + y;
        if y == x - hi {
            hi = x;
        }
    }
    hi
}

/// A linear score over a line's `wording_tokens`; a token absent weighs 0.
#[pyclass(frozen, module = "zhengwen._core.headline")]
#[derive(Clone, Debug)]
pub struct Wording {
    weights: HashMap<String, f64>,
    bias: f64,
}

impl Wording {
    /// A wording from its weights, which must be finite.
    pub fn new(weights: HashMap<String, f64>, bias: f64) -> Result<Self, String> {
        if !bias.is_finite() || weights.values().any(|v| !v.is_finite()) {
            return Err("the wording's weights must be finite".to_string());
        }
        Ok(Self { weights, bias })
    }

    /// The line's title-likeness from its wording: the bias plus its tokens' weights.
    pub fn score(&self, folded: &str) -> f64 {
        let tokens = wording_tokens(folded);
        let weights = tokens
            .iter()
            .map(|t| self.weights.get(t).copied().unwrap_or(0.0));
        fsum(std::iter::once(self.bias).chain(weights))
    }
}

#[pymethods]
impl Wording {
    #[new]
    fn py_new(weights: HashMap<String, f64>, bias: f64) -> PyResult<Self> {
        Self::new(weights, bias).map_err(PyValueError::new_err)
    }

    /// The line's title-likeness from its wording (see `headline.Wording.score`).
    #[pyo3(name = "score")]
    fn py_score(&self, folded: &Bound<'_, PyAny>) -> PyResult<f64> {
        Ok(self.score(&crate::decode::py_text(folded)?))
    }
}

/// The rows of the `CANDIDATES` highest title beliefs, best first (ties to
/// the earlier line); negative ones (lines ruled out) excluded.
pub fn candidates(title_belief: &[f64]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..title_belief.len()).collect();
    // Descending, NaN last (it is never a candidate: NaN >= 0 is false).
    let key = |i: usize| {
        let b = title_belief[i];
        if b.is_nan() {
            f64::NEG_INFINITY
        } else {
            b
        }
    };
    order.sort_by(|&a, &b| key(b).total_cmp(&key(a)).then(a.cmp(&b)));
    order.truncate(CANDIDATES);
    order.retain(|&i| title_belief[i] >= 0.0);
    order
}

/// One row of `NAMES` per candidate line `rows` (best first).
///
/// `body` flags the body lines; `meta_belief` is each line's meta belief.
/// All slices are a page's lines (callers check their lengths).
pub fn candidate_features<S: AsRef<str>>(
    rows: &[usize],
    title_belief: &[f64],
    meta_belief: &[f64],
    body: &[bool],
    folded: &[S],
    wording: &Wording,
    use_wording: bool,
) -> Vec<[f64; N_FEATURES]> {
    let body_rows: Vec<usize> = (0..body.len()).filter(|&i| body[i]).collect();
    let mut counts = PairCounts::default();
    for &i in &body_rows {
        add_han_pairs(folded[i].as_ref(), &mut counts);
    }
    let log_floor = |b: f64| b.max(BELIEF_FLOOR).ln();
    let top = rows.first().map_or(0.0, |&r| log_floor(title_belief[r]));
    rows.iter()
        .map(|&i| {
            let pairs = han_pairs(folded[i].as_ref());
            // A body line's own pairs are not evidence for itself: a pair
            // counts when it occurs in the body more often than in the line.
            let overlap = if pairs.is_empty() {
                0.0
            } else {
                let found = pairs
                    .iter()
                    .filter(|(p, own)| {
                        let own = if body[i] { **own } else { 0 };
                        counts.get(*p).copied().unwrap_or(0) > own
                    })
                    .count();
                found as f64 / pairs.len() as f64
            };
            let above = body_rows.partition_point(|&r| r < i);
            let below = body_rows.partition_point(|&r| r <= i);
            let to_body = body_rows
                .get(below)
                .map_or(LINES_TO_BODY_CAP, |&r| (r - i).min(LINES_TO_BODY_CAP));
            let log_belief = log_floor(title_belief[i]);
            [
                log_belief,
                log_belief - top,
                overlap,
                to_body as f64,
                (above as f64).ln_1p(),
                meta_belief.get(i + 1).copied().unwrap_or(0.0),
                if use_wording {
                    wording.score(folded[i].as_ref())
                } else {
                    0.0
                },
            ]
        })
        .collect()
}

/// The first index of the largest value, NaN counting as largest (numpy's `argmax`).
pub fn argmax(values: &[f64]) -> Option<usize> {
    let mut best: Option<usize> = None;
    for (i, &v) in values.iter().enumerate() {
        if v.is_nan() {
            return Some(i);
        }
        match best {
            Some(b) if values[b] >= v => {}
            _ => best = Some(i),
        }
    }
    best
}

/// A linear score over standardised candidate features; the best score wins.
#[pyclass(frozen, module = "zhengwen._core.headline")]
#[derive(Clone, Debug)]
pub struct Ranker {
    mean: [f64; N_FEATURES],
    scale: [f64; N_FEATURES],
    coef: [f64; N_FEATURES],
    wording: Wording,
}

/// The JSON form of a ranker (`model/title.json`).
#[derive(Deserialize)]
struct RankerFile {
    format: Option<String>,
    features: Vec<String>,
    mean: Vec<f64>,
    scale: Vec<f64>,
    coef: Vec<f64>,
    wording: WordingFile,
}

#[derive(Deserialize)]
struct WordingFile {
    #[serde(default)]
    bias: f64,
    weights: HashMap<String, f64>,
}

impl Ranker {
    /// A ranker from its parts, checked as `headline.from_dict` checks them.
    pub fn new<S: AsRef<str>>(
        features: &[S],
        mean: &[f64],
        scale: &[f64],
        coef: &[f64],
        wording: Wording,
    ) -> Result<Self, String> {
        if !features.iter().map(AsRef::as_ref).eq(NAMES) {
            return Err(format!("the ranker's features are not {NAMES:?}"));
        }
        let array = |v: &[f64]| -> Result<[f64; N_FEATURES], String> {
            v.try_into()
                .map_err(|_| format!("mean, scale and coef must each hold {N_FEATURES} numbers"))
        };
        let (mean, scale, coef) = (array(mean)?, array(scale)?, array(coef)?);
        let all = mean.iter().chain(&scale).chain(&coef);
        if !(all.clone().all(|v| v.is_finite()) && scale.iter().all(|&s| s > 0.0)) {
            return Err("the ranker's numbers must be finite, its scales positive".to_string());
        }
        Ok(Self {
            mean,
            scale,
            coef,
            wording,
        })
    }

    /// A ranker from its JSON file (`model/title.json`, format `zhengwen-headline/2`).
    pub fn from_json(text: &str) -> Result<Self, String> {
        let file: RankerFile = serde_json::from_str(text).map_err(|e| e.to_string())?;
        if file.format.as_deref() != Some(FORMAT) {
            return Err(format!("not a {FORMAT} model: format {:?}", file.format));
        }
        let wording = Wording::new(file.wording.weights, file.wording.bias)?;
        Self::new(&file.features, &file.mean, &file.scale, &file.coef, wording)
    }

    /// The row of the headline among the candidates, or None when there are
    /// none (`title_belief` has no line at 0 or above). `use_wording` false
    /// scores every line's wording 0 (the rule switched off).
    pub fn choose<S: AsRef<str>>(
        &self,
        title_belief: &[f64],
        meta_belief: &[f64],
        body: &[bool],
        folded: &[S],
        use_wording: bool,
    ) -> Option<usize> {
        let rows = candidates(title_belief);
        if rows.len() <= 1 {
            return rows.first().copied();
        }
        let x = candidate_features(
            &rows,
            title_belief,
            meta_belief,
            body,
            folded,
            &self.wording,
            use_wording,
        );
        let scores: Vec<f64> = x
            .iter()
            .map(|row| {
                let terms = row.iter().zip(&self.mean).zip(&self.scale).zip(&self.coef);
                terms.fold(0.0, |s, (((x, m), sc), c)| s + (x - m) / sc * c)
            })
            .collect();
        argmax(&scores).map(|k| rows[k]) // ties go to the more title-like line
    }
}

/// Lengths of a page's per-line inputs must agree: a caller's mistake is an error, not a panic.
fn check_lengths(n: usize, meta: usize, body: usize, folded: usize) -> PyResult<()> {
    if meta != n || body != n || folded != n {
        return Err(PyValueError::new_err(format!(
            "title beliefs for {n} lines, but {meta} meta beliefs, {body} body flags, {folded} lines"
        )));
    }
    Ok(())
}

#[pymethods]
impl Ranker {
    #[new]
    fn py_new(
        features: Vec<String>,
        mean: Vec<f64>,
        scale: Vec<f64>,
        coef: Vec<f64>,
        wording: &Wording,
    ) -> PyResult<Self> {
        Self::new(&features, &mean, &scale, &coef, wording.clone()).map_err(PyValueError::new_err)
    }

    /// A ranker from the text of its JSON file.
    #[staticmethod]
    #[pyo3(name = "from_json")]
    fn py_from_json(text: &str) -> PyResult<Self> {
        Self::from_json(text).map_err(PyValueError::new_err)
    }

    /// The row of the headline among the candidates (see `headline.Ranker.choose`).
    #[pyo3(name = "choose", signature = (title_belief, meta_belief, body, folded, use_wording = true))]
    fn py_choose(
        &self,
        title_belief: Vec<f64>,
        meta_belief: Vec<f64>,
        body: Vec<bool>,
        folded: &Bound<'_, PyAny>,
        use_wording: bool,
    ) -> PyResult<usize> {
        let folded = crate::decode::py_lines(folded)?;
        check_lengths(
            title_belief.len(),
            meta_belief.len(),
            body.len(),
            folded.len(),
        )?;
        self.choose(&title_belief, &meta_belief, &body, &folded, use_wording)
            .ok_or_else(|| PyValueError::new_err("no line is a headline candidate"))
    }
}

/// `headline.han_pairs`: each pair of adjacent Han characters and its count.
#[pyfunction]
#[pyo3(name = "han_pairs")]
fn py_han_pairs(text: &Bound<'_, PyAny>) -> PyResult<HashMap<String, u32>> {
    let text = crate::decode::py_text(text)?;
    Ok(han_pairs(&text)
        .into_iter()
        .map(|((a, b), n)| (format!("{a}{b}"), n))
        .collect())
}

/// `headline.wording_tokens`: the tokens the wording score reads of a line.
#[pyfunction]
#[pyo3(name = "wording_tokens")]
fn py_wording_tokens<'py>(
    py: Python<'py>,
    folded: &Bound<'py, PyAny>,
) -> PyResult<Vec<Bound<'py, PyAny>>> {
    let text = crate::decode::py_text(folded)?;
    wording_tokens(&text)
        .iter()
        .map(|t| crate::decode::to_py_text(py, t))
        .collect()
}

/// `headline.candidates`: the candidate rows, best first.
#[pyfunction]
#[pyo3(name = "candidates")]
fn py_candidates(title_belief: Vec<f64>) -> Vec<usize> {
    candidates(&title_belief)
}

/// `headline.candidate_features`: one row of `NAMES` per candidate.
#[pyfunction]
#[pyo3(name = "candidate_features")]
fn py_candidate_features(
    rows: Vec<usize>,
    title_belief: Vec<f64>,
    meta_belief: Vec<f64>,
    body: Vec<bool>,
    folded: &Bound<'_, PyAny>,
    wording: &Wording,
) -> PyResult<Vec<Vec<f64>>> {
    let folded = crate::decode::py_lines(folded)?;
    check_lengths(
        title_belief.len(),
        meta_belief.len(),
        body.len(),
        folded.len(),
    )?;
    if let Some(&bad) = rows.iter().find(|&&r| r >= folded.len()) {
        return Err(PyValueError::new_err(format!(
            "row {bad} of a page of {} lines",
            folded.len()
        )));
    }
    let x = candidate_features(
        &rows,
        &title_belief,
        &meta_belief,
        &body,
        &folded,
        wording,
        true,
    );
    Ok(x.into_iter().map(Vec::from).collect())
}

/// Adds the submodule `zhengwen._core.headline`.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let sub = PyModule::new(m.py(), "headline")?;
    sub.add("FORMAT", FORMAT)?;
    sub.add("CANDIDATES", CANDIDATES)?;
    sub.add("LINES_TO_BODY_CAP", LINES_TO_BODY_CAP)?;
    sub.add("BELIEF_FLOOR", BELIEF_FLOOR)?;
    sub.add("SHORT_CHARS", SHORT_CHARS)?;
    sub.add("LONG_CHARS", LONG_CHARS)?;
    sub.add("NAMES", NAMES.to_vec())?;
    sub.add_class::<Wording>()?;
    sub.add_class::<Ranker>()?;
    sub.add_function(wrap_pyfunction!(py_han_pairs, &sub)?)?;
    sub.add_function(wrap_pyfunction!(py_wording_tokens, &sub)?)?;
    sub.add_function(wrap_pyfunction!(py_candidates, &sub)?)?;
    sub.add_function(wrap_pyfunction!(py_candidate_features, &sub)?)?;
    m.add_submodule(&sub)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn han_pairs_stay_within_runs() {
        let pairs = han_pairs("地铁A线开通，开通");
        assert_eq!(pairs.len(), 3);
        assert_eq!(pairs[&('开', '通')], 2);
        assert!(han_pairs("abc").is_empty());
    }

    #[test]
    fn tokens_and_shapes() {
        let t = wording_tokens("地铁开通了吗？");
        assert!(t.contains("^地") && t.contains("？$") && t.contains("<asks>"));
        assert!(t.contains("<short>"));
        let t = wording_tokens("3.学会方法。");
        assert!(t.contains("<numbered>") && t.contains("0"));
        assert_eq!(wording_tokens(""), HashSet::from(["<empty>".to_string()]));
        assert!(wording_tokens("2022年GDP增长了百分之三点五").contains("a"));
    }

    #[test]
    fn fsum_is_exact() {
        assert_eq!(fsum([1e-16, 1.0, 1e16]), 10000000000000002.0);
        assert_eq!(fsum([0.1; 10]), 1.0);
        assert_eq!(fsum([]), 0.0);
        assert_eq!(fsum([1e100, 1.0, -1e100, 1e-100]), 1.0);
    }

    #[test]
    fn candidates_best_first() {
        assert_eq!(candidates(&[0.1, 0.5, -1.0, 0.5, 0.0]), vec![1, 3, 0, 4]);
        let many: Vec<f64> = (0..40).map(|i| i as f64 / 39.0).collect();
        assert_eq!(candidates(&many), (30..40).rev().collect::<Vec<_>>());
        assert!(candidates(&[]).is_empty());
        assert!(candidates(&[f64::NAN, -1.0]).is_empty());
    }

    #[test]
    fn argmax_like_numpy() {
        assert_eq!(argmax(&[1.0, 3.0, 3.0]), Some(1));
        assert_eq!(argmax(&[1.0, f64::NAN, 5.0]), Some(1));
        assert_eq!(argmax(&[]), None);
    }

    #[test]
    fn ranker_from_json_checks_its_numbers() {
        let good = r#"{"format": "zhengwen-headline/2",
            "features": ["log_belief","belief_gap","body_overlap","lines_to_body",
                         "log_body_above","meta_below","wording"],
            "mean": [0,0,0,0,0,0,0], "scale": [1,1,1,1,1,1,1], "coef": [1,0,0,0,0,0,0],
            "wording": {"bias": 0.0, "weights": {"？$": 1.0}}}"#;
        let ranker = Ranker::from_json(good).expect("a good ranker");
        // The most title-like line wins on log belief alone.
        let belief = [0.1, 0.5, 0.2];
        let folded = ["a", "b", "c"];
        let got = ranker.choose(&belief, &[0.0; 3], &[false; 3], &folded, true);
        assert_eq!(got, Some(1));
        assert!(Ranker::from_json(&good.replace("headline/2", "headline/1")).is_err());
        assert!(Ranker::from_json(&good.replace("[1,1,1,1,1,1,1]", "[1,1,0,1,1,1,1]")).is_err());
        assert!(Ranker::from_json(&good.replace("\"wording\"]", "\"x\"]")).is_err());
        assert!(Ranker::from_json("{").is_err());
    }

    #[test]
    fn the_packaged_ranker_loads() {
        let text = include_str!("../../src/zhengwen/model/title.json");
        assert!(Ranker::from_json(text).is_ok());
    }
}
