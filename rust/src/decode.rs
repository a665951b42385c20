//! The decoder's rules after the beliefs: from a page's folded lines, its
//! feature matrix and its class beliefs to one label a line (a port of
//! `src/zhengwen/decode.py` from `apply_template` on), and the whole
//! decision for a page (`decide`): blank lines set aside, the body re-read
//! alone until it is stable.
//!
//! The lexicon data, the patterns and the feature names come from Python at
//! construction ([`DecoderConfig`]), so that each is written once; the
//! constants and the rule switches come with each call ([`Rules`]), so that
//! `tools/audit_rules.py` can switch a rule off. `decide` reads sub-pages
//! through a [`Reader`]: for now a Python callback computing features and
//! beliefs, later the Rust features and networks.

use std::collections::HashSet;
use std::fmt;
use std::sync::Arc;

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyByteArray, PyBytes, PyString};
use regex::Regex;

use crate::headline::{argmax, Ranker};

/// A line's label: an index into `decode.CLASSES`, in its order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum Label {
    Body,
    Title,
    Meta,
    Nav,
    Related,
    Pager,
    Share,
    Footer,
    Comment,
    Other,
}

impl Label {
    /// Every label, in `decode.CLASSES` order.
    pub const ALL: [Label; 10] = [
        Label::Body,
        Label::Title,
        Label::Meta,
        Label::Nav,
        Label::Related,
        Label::Pager,
        Label::Share,
        Label::Footer,
        Label::Comment,
        Label::Other,
    ];

    /// The label of class index `i`, if there is one.
    pub fn from_index(i: usize) -> Option<Label> {
        Self::ALL.get(i).copied()
    }
}

/// Number of classes, the columns of a belief matrix.
pub const N_CLASSES: usize = Label::ALL.len();
const BODY: usize = Label::Body as usize;
const TITLE: usize = Label::Title as usize;
const META: usize = Label::Meta as usize;

/// What went wrong with a decoder's input or set-up.
#[derive(Debug, Clone, PartialEq)]
pub enum DecodeError {
    /// Inputs whose sizes disagree (a matrix's rows, a page's lines).
    Shape(String),
    /// A set-up that does not hold: an unknown feature name, a bad pattern.
    Config(String),
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecodeError::Shape(m) | DecodeError::Config(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for DecodeError {}

impl From<DecodeError> for PyErr {
    fn from(e: DecodeError) -> PyErr {
        PyValueError::new_err(e.to_string())
    }
}

/// A row-major matrix of f64 (a page's features or beliefs: one row a line),
/// whole or holding only some of its columns ([`Held`]).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Matrix {
    data: Vec<f64>,
    rows: usize,
    cols: usize,
    held: Option<Arc<Held>>,
}

/// The columns a [`Matrix`] holds of its `cols`, when not all: a page's
/// features as the rules and reasons read them, at a fraction of the memory.
#[derive(Debug, PartialEq)]
pub struct Held {
    columns: Vec<usize>,
    /// Per column of the whole: its place in a held row.
    slots: Vec<Option<usize>>,
}

impl Held {
    /// Columns `columns` (any order, repeats ignored) of `cols`.
    pub fn new(cols: usize, mut columns: Vec<usize>) -> Result<Self, DecodeError> {
        columns.sort_unstable();
        columns.dedup();
        if columns.last().is_some_and(|&c| c >= cols) {
            return Err(DecodeError::Shape(format!(
                "column {columns:?} past the {cols} columns of a matrix"
            )));
        }
        let mut slots = vec![None; cols];
        for (slot, &c) in columns.iter().enumerate() {
            slots[c] = Some(slot);
        }
        Ok(Self { columns, slots })
    }

    /// The held columns of a whole row, in order.
    pub fn gather<'a>(&'a self, row: &'a [f64]) -> impl Iterator<Item = f64> + 'a {
        self.columns.iter().map(|&c| row[c])
    }

    /// How many columns are held.
    pub fn len(&self) -> usize {
        self.columns.len()
    }

    /// Whether no column is held.
    pub fn is_empty(&self) -> bool {
        self.columns.is_empty()
    }
}

impl Matrix {
    /// A matrix of `rows` × `cols` from its values, row by row.
    pub fn new(data: Vec<f64>, rows: usize, cols: usize) -> Result<Self, DecodeError> {
        if rows.checked_mul(cols) != Some(data.len()) {
            return Err(DecodeError::Shape(format!(
                "{} values for a matrix of {rows} × {cols}",
                data.len()
            )));
        }
        Ok(Self {
            data,
            rows,
            cols,
            held: None,
        })
    }

    /// A matrix of `rows` × `cols` holding only the columns of `held`: `data`
    /// has their values, row by row.
    pub fn holding(
        data: Vec<f64>,
        rows: usize,
        cols: usize,
        held: Arc<Held>,
    ) -> Result<Self, DecodeError> {
        if held.slots.len() != cols || rows.checked_mul(held.len()) != Some(data.len()) {
            return Err(DecodeError::Shape(format!(
                "{} values for {rows} rows of {} held columns of {cols}",
                data.len(),
                held.len()
            )));
        }
        Ok(Self {
            data,
            rows,
            cols,
            held: Some(held),
        })
    }

    /// A matrix of zeros.
    pub fn zeros(rows: usize, cols: usize) -> Self {
        Self {
            data: vec![0.0; rows * cols],
            rows,
            cols,
            held: None,
        }
    }

    /// Zeros of `rows` rows, holding the columns this matrix holds.
    fn zeros_like(&self, rows: usize) -> Self {
        Self {
            data: vec![0.0; rows * self.stride()],
            rows,
            cols: self.cols,
            held: self.held.clone(),
        }
    }

    /// A matrix from native-endian f64 bytes (numpy's `tobytes()` of a C-ordered float64 array).
    pub fn from_ne_bytes(bytes: &[u8], rows: usize, cols: usize) -> Result<Self, DecodeError> {
        if rows.checked_mul(cols).and_then(|n| n.checked_mul(8)) != Some(bytes.len()) {
            return Err(DecodeError::Shape(format!(
                "{} bytes for a float64 matrix of {rows} × {cols}",
                bytes.len()
            )));
        }
        Self::new(f64s(bytes), rows, cols)
    }

    /// The values as native-endian bytes, row by row (the held columns only).
    pub fn to_ne_bytes(&self) -> Vec<u8> {
        self.data.iter().flat_map(|v| v.to_ne_bytes()).collect()
    }

    pub fn rows(&self) -> usize {
        self.rows
    }

    /// The values, row by row (the held columns only).
    pub fn into_data(self) -> Vec<f64> {
        self.data
    }

    pub fn cols(&self) -> usize {
        self.cols
    }

    /// Whether column `j` is there to read.
    pub fn holds(&self, j: usize) -> bool {
        match &self.held {
            None => j < self.cols,
            Some(h) => h.slots.get(j).is_some_and(Option::is_some),
        }
    }

    /// The values a stored row has.
    fn stride(&self) -> usize {
        self.held.as_ref().map_or(self.cols, |h| h.len())
    }

    /// Row `i` as stored (callers keep `i` below `rows()`): all columns, or
    /// the held ones in order.
    pub fn row(&self, i: usize) -> &[f64] {
        let s = self.stride();
        &self.data[i * s..(i + 1) * s]
    }

    fn row_mut(&mut self, i: usize) -> &mut [f64] {
        let s = self.stride();
        &mut self.data[i * s..(i + 1) * s]
    }

    /// The value at row `i`, column `j` (a column the matrix holds).
    pub fn get(&self, i: usize, j: usize) -> f64 {
        match &self.held {
            None => self.data[i * self.cols + j],
            Some(h) => {
                let slot = h.slots[j].expect("a column the matrix holds");
                self.data[i * h.len() + slot]
            }
        }
    }

    /// Column `j`, one value a row.
    pub fn column(&self, j: usize) -> Vec<f64> {
        (0..self.rows).map(|i| self.get(i, j)).collect()
    }
}

/// Native-endian f64 values of `bytes` (whole values only).
fn f64s(bytes: &[u8]) -> Vec<f64> {
    bytes
        .chunks_exact(8)
        .map(|c| f64::from_ne_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]))
        .collect()
}

/// The decoder's switches and constants, passed with each call so that a
/// rule can be switched off (`tools/audit_rules.py`) and a constant tuned.
#[pyclass(frozen, eq, module = "zhengwen._core.decode")]
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Rules {
    /// A line of no text (empty, icon glyphs) is never body.
    pub no_text: bool,
    /// A script, style or frame tag line is never body.
    pub code_element: bool,
    /// Forms that are never the headline (`never_headline`).
    pub never_headline: bool,
    /// Lexicon-named kinds for non-body lines (`name_furniture`).
    pub name_furniture: bool,
    /// Body lines equal to the title are echoes (`drop_title_echoes`).
    pub title_echoes: bool,
    /// A section header below the article closes it (`close_sections`).
    pub close_sections: bool,
    /// In `close_sections`, reader-comment headers close the article.
    pub comment_sections: bool,
    /// The ranker reads the line's wording (else scores it 0).
    pub ranker_wording: bool,
    pub title_min_prob: f64,
    pub fallback_min_prob: f64,
    pub fallback_relative: f64,
    pub template_min_share: f64,
    pub template_max_share: f64,
    pub pager_key_max_chars: usize,
    pub key_line_max_chars: usize,
    pub section_header_min_chars: usize,
    pub refine_rounds: usize,
}

/// The rule switches' names, as `decode.RULES` holds them.
pub const RULE_NAMES: [&str; 8] = [
    "no_text",
    "code_element",
    "never_headline",
    "name_furniture",
    "title_echoes",
    "close_sections",
    "comment_sections",
    "ranker_wording",
];

impl Default for Rules {
    /// The shipped rules: every one on, the constants of `decode.py`.
    fn default() -> Self {
        Self {
            no_text: true,
            code_element: true,
            never_headline: true,
            name_furniture: true,
            title_echoes: true,
            close_sections: true,
            comment_sections: true,
            ranker_wording: true,
            title_min_prob: 0.0005,
            fallback_min_prob: 0.15,
            fallback_relative: 0.7,
            template_min_share: 0.5,
            template_max_share: 0.99,
            pager_key_max_chars: 8,
            key_line_max_chars: 32,
            section_header_min_chars: 3,
            refine_rounds: 20,
        }
    }
}

#[pymethods]
impl Rules {
    /// Rules with the switches `on` (names of `RULE_NAMES`) and the given constants.
    #[new]
    #[pyo3(signature = (
        on, *, title_min_prob, fallback_min_prob, fallback_relative, template_min_share,
        template_max_share, pager_key_max_chars, key_line_max_chars, section_header_min_chars,
        refine_rounds
    ))]
    #[allow(clippy::too_many_arguments)]
    fn py_new(
        on: HashSet<String>,
        title_min_prob: f64,
        fallback_min_prob: f64,
        fallback_relative: f64,
        template_min_share: f64,
        template_max_share: f64,
        pager_key_max_chars: usize,
        key_line_max_chars: usize,
        section_header_min_chars: usize,
        refine_rounds: usize,
    ) -> PyResult<Self> {
        if let Some(bad) = on.iter().find(|n| !RULE_NAMES.contains(&n.as_str())) {
            return Err(PyValueError::new_err(format!(
                "unknown rule {bad:?}; the rules are {RULE_NAMES:?}"
            )));
        }
        let has = |name: &str| on.contains(name);
        Ok(Self {
            no_text: has("no_text"),
            code_element: has("code_element"),
            never_headline: has("never_headline"),
            name_furniture: has("name_furniture"),
            title_echoes: has("title_echoes"),
            close_sections: has("close_sections"),
            comment_sections: has("comment_sections"),
            ranker_wording: has("ranker_wording"),
            title_min_prob,
            fallback_min_prob,
            fallback_relative,
            template_min_share,
            template_max_share,
            pager_key_max_chars,
            key_line_max_chars,
            section_header_min_chars,
            refine_rounds,
        })
    }

    /// The shipped rules.
    #[staticmethod]
    #[pyo3(name = "shipped")]
    fn py_shipped() -> Self {
        Self::default()
    }

    fn __repr__(&self) -> String {
        format!("{self:?}")
    }
}

/// What a decoder is built from: the feature names (for column look-ups) and
/// the lexicon's words and patterns, as the Python modules hold them.
#[derive(Clone, Debug, Default)]
pub struct DecoderConfig {
    /// The feature matrix's column names (`features.ALL_NAMES`), in order.
    pub names: Vec<String>,
    /// The columns of the lexicon kinds' exact matches (`lex_exact_<kind>`).
    pub lexicon_columns: Vec<String>,
    /// Characters `line_core` strips from a line's ends (`features._EDGE_CHARS`).
    pub edge_chars: String,
    /// Reader-comment section headers (`lexicon.comment_section()`).
    pub comment_section: Vec<String>,
    /// The words every comment-section form ends in (`lexicon._COMMENT_WORDS`).
    pub comment_words: Vec<String>,
    /// The comment-section forms, matched whole (`lexicon._COMMENT_SECTION_FORMS`).
    pub comment_forms: String,
    /// A date or relative time alone, matched whole (`decode._WHEN_ALONE`,
    /// without look-around).
    pub when_alone: String,
    /// A script, style or frame tag, matched at a line's start (`decode._CODE_ELEMENT`).
    pub code_element: String,
    /// A subtitle's leading dashes (`decode._SUBTITLE_DASHES`).
    pub subtitle_dashes: String,
    /// Breadcrumb separators (`decode._BREADCRUMB`).
    pub breadcrumb: String,
}

/// The feature columns the rules read, looked up by name.
#[derive(Clone, Debug)]
struct Columns {
    chars: usize,
    date_cover: usize,
    has_time: usize,
    meta_key: usize,
    lex_start_pager: usize,
    lex_start_footer: usize,
    lex_exact_footer: usize,
    lex_exact_pager: usize,
    lex_exact_related_header: usize,
    lex_exact: Vec<usize>,
    /// All of these: what a feature matrix must hold.
    all: Vec<usize>,
}

impl Columns {
    fn new(names: &[String], lexicon_columns: &[String]) -> Result<Self, DecodeError> {
        let col = |name: &str| {
            names
                .iter()
                .position(|n| n == name)
                .ok_or_else(|| DecodeError::Config(format!("no feature named {name:?}")))
        };
        let lex_exact = lexicon_columns
            .iter()
            .map(|n| col(n))
            .collect::<Result<Vec<_>, _>>()?;
        let mut cols = Self {
            chars: col("chars")?,
            date_cover: col("date_cover")?,
            has_time: col("has_time")?,
            meta_key: col("meta_key")?,
            lex_start_pager: col("lex_start_pager")?,
            lex_start_footer: col("lex_start_footer")?,
            lex_exact_footer: col("lex_exact_footer")?,
            lex_exact_pager: col("lex_exact_pager")?,
            lex_exact_related_header: col("lex_exact_related_header")?,
            lex_exact,
            all: Vec::new(),
        };
        cols.all = [
            cols.chars,
            cols.date_cover,
            cols.has_time,
            cols.meta_key,
            cols.lex_start_pager,
            cols.lex_start_footer,
            cols.lex_exact_footer,
            cols.lex_exact_pager,
            cols.lex_exact_related_header,
        ]
        .into_iter()
        .chain(cols.lex_exact.iter().copied())
        .collect();
        Ok(cols)
    }

    /// Whether `x` has the columns (checked only where a rule reads them, so
    /// that a reading with no features works with those rules switched off).
    fn check(&self, x: &Matrix, lines: usize) -> Result<(), DecodeError> {
        if x.rows() != lines || (lines > 0 && !self.all.iter().all(|&j| x.holds(j))) {
            return Err(DecodeError::Shape(format!(
                "features of {} × {} for {lines} lines; the rules read columns {:?}",
                x.rows(),
                x.cols(),
                self.all
            )));
        }
        Ok(())
    }
}

/// The labels of one reading of a page.
#[derive(Clone, Debug, PartialEq)]
pub struct Labelled {
    pub labels: Vec<Label>,
    /// The beliefs after the site template (`apply_template`).
    pub probs: Matrix,
    pub title_rows: Vec<usize>,
    /// The line that closed the article (`close_sections`), if any.
    pub header: Option<usize>,
}

/// A sub-page's features and beliefs, one row each of the lines read.
#[derive(Clone, Debug, Default)]
pub struct Reading {
    pub x1: Matrix,
    /// Pass two's beliefs (rows × `N_CLASSES`), before the site template.
    pub probs: Matrix,
}

/// Reads the lines `rows` of a page (indices into the page `decide` was
/// given, in order) as a page of their own: their features and beliefs.
pub trait Reader {
    type Error: From<DecodeError>;
    fn read(&self, rows: &[usize]) -> Result<Reading, Self::Error>;
}

/// What `decide` concluded for a page (`decode.PageDecision`).
#[derive(Clone, Debug, PartialEq)]
pub struct Decision {
    pub labels: Vec<Label>,
    pub body_belief: Vec<f64>,
    pub title_rows: Vec<usize>,
    /// The page's features, as read whole (zeros on blank lines).
    pub features: Matrix,
    /// Body lines the re-readings of the body alone gave up.
    pub dropped: Vec<usize>,
    pub section_header: Option<usize>,
}

impl Decision {
    /// This decision for lines `rows` of an `n`-line page; the other lines are blank.
    fn spread(self, rows: &[usize], n: usize) -> Decision {
        let mut labels = vec![Label::Other; n];
        let mut body_belief = vec![0.0; n];
        let mut features = self.features.zeros_like(n);
        for (j, &i) in rows.iter().enumerate() {
            labels[i] = self.labels[j];
            body_belief[i] = self.body_belief[j];
            features.row_mut(i).copy_from_slice(self.features.row(j));
        }
        Decision {
            labels,
            body_belief,
            title_rows: self.title_rows.iter().map(|&j| rows[j]).collect(),
            features,
            dropped: self.dropped.iter().map(|&j| rows[j]).collect(),
            section_header: self.section_header.map(|j| rows[j]),
        }
    }
}

/// The decoder: the rules after the beliefs, with their lexicon data.
#[pyclass(frozen, module = "zhengwen._core.decode")]
#[derive(Debug)]
pub struct Decoder {
    columns: Columns,
    edge_chars: HashSet<char>,
    comment_section: HashSet<String>,
    comment_words: Vec<String>,
    comment_forms: Regex,
    when_alone: Regex,
    code_element: Regex,
    subtitle_dashes: Vec<char>,
    breadcrumb: Vec<char>,
}

/// A pattern compiled whole-string (`\A(?:…)\z`, Python's `fullmatch`) or
/// at the start only (`\A(?:…)`, Python's `match`).
fn anchored(pattern: &str, whole: bool) -> Result<Regex, DecodeError> {
    let end = if whole { r"\z" } else { "" };
    Regex::new(&format!(r"\A(?:{pattern}){end}"))
        .map_err(|e| DecodeError::Config(format!("pattern {pattern:?}: {e}")))
}

/// Whether Python's `str.isspace` holds for `c` (what `str.strip()` strips):
/// Unicode White_Space and the information separators U+001C..U+001F.
fn is_py_space(c: char) -> bool {
    c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c)
}

/// Whether `c` is a private-use code point (general category Co): icon glyphs.
fn is_private_use(c: char) -> bool {
    matches!(c, '\u{e000}'..='\u{f8ff}' | '\u{f0000}'..='\u{ffffd}' | '\u{100000}'..='\u{10fffd}')
}

/// Whether a folded line holds any text: not empty, not only icon glyphs (`normalize.has_text`).
pub fn has_text(folded: &str) -> bool {
    !folded.chars().all(is_private_use)
}

/// The last `n` characters of `s` (Python's `s[-n:]`).
fn last_chars(s: &str, n: usize) -> &str {
    if n == 0 {
        return s; // Python's s[-0:] is all of s
    }
    let start = s.char_indices().rev().nth(n - 1).map_or(0, |(i, _)| i);
    &s[start..]
}

/// Python's `x > 0` on a feature, and its truth (`bool(x)`: NaN is true).
fn positive(v: f64) -> bool {
    v > 0.0
}
fn truthy(v: f64) -> bool {
    v != 0.0
}

impl Decoder {
    /// A decoder from its lexicon data and patterns.
    pub fn new(config: DecoderConfig) -> Result<Self, DecodeError> {
        if config.comment_words.iter().any(|w| w.chars().count() != 2) {
            return Err(DecodeError::Config(
                "the comment words are two characters each".to_string(),
            ));
        }
        Ok(Self {
            columns: Columns::new(&config.names, &config.lexicon_columns)?,
            edge_chars: config.edge_chars.chars().collect(),
            comment_section: config.comment_section.into_iter().collect(),
            comment_words: config.comment_words,
            comment_forms: anchored(&config.comment_forms, true)?,
            when_alone: anchored(&config.when_alone, true)?,
            code_element: anchored(&config.code_element, false)?,
            subtitle_dashes: config.subtitle_dashes.chars().collect(),
            breadcrumb: config.breadcrumb.chars().collect(),
        })
    }

    /// The feature columns the rules read.
    pub fn feature_columns(&self) -> &[usize] {
        &self.columns.all
    }

    /// A folded line without its edge bullets, brackets and numbers (`features.line_core`).
    pub fn line_core<'a>(&self, folded: &'a str) -> &'a str {
        folded.trim_matches(|c| self.edge_chars.contains(&c))
    }

    /// Whether a line's core heads a reader-comment section (`lexicon.is_comment_section`).
    pub fn is_comment_section(&self, core: &str) -> bool {
        if self.comment_section.contains(core) {
            return true;
        }
        // Every form ends in a comment word: most lines are out before the pattern runs.
        let tail = last_chars(core, 2);
        self.comment_words.iter().any(|w| w == tail) && self.comment_forms.is_match(core)
    }

    /// Whether a folded line opens with a script, style or frame tag (`decode.is_code_element`).
    pub fn is_code_element(&self, folded: &str) -> bool {
        self.code_element.is_match(folded)
    }

    /// Per line: whether its form rules out the headline (`decode.never_headline`).
    pub fn never_headline<S: AsRef<str>>(
        &self,
        x: &Matrix,
        folded: &[S],
    ) -> Result<Vec<bool>, DecodeError> {
        let c = &self.columns;
        c.check(x, folded.len())?;
        Ok(folded
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let s = s.as_ref();
                let at = |j: usize| x.get(i, j);
                // numpy's max: a NaN among the columns makes the maximum NaN.
                let named = c
                    .lex_exact
                    .iter()
                    .map(|&j| at(j))
                    .try_fold(f64::NEG_INFINITY, |m, v| (!v.is_nan()).then(|| m.max(v)))
                    .is_some_and(positive);
                let date = at(c.date_cover);
                let dated = date > 0.5 || (positive(date) && positive(at(c.has_time)));
                named
                    || dated
                    || positive(at(c.meta_key))
                    || s.chars()
                        .next()
                        .is_some_and(|f| self.subtitle_dashes.contains(&f))
                    || s.chars().any(|ch| self.breadcrumb.contains(&ch))
                    || self.when_alone.is_match(s.trim_matches(is_py_space))
            })
            .collect())
    }

    /// Settle the kind of non-body lines that the lexicons name outright (`decode.name_furniture`).
    pub fn name_furniture<S: AsRef<str>>(
        &self,
        labels: &[Label],
        x: &Matrix,
        folded: &[S],
        rules: &Rules,
    ) -> Result<Vec<Label>, DecodeError> {
        let c = &self.columns;
        c.check(x, labels.len())?;
        check_lines(labels.len(), folded.len())?;
        let key_line = rules.key_line_max_chars as f64;
        let mut out = labels.to_vec();
        for (i, &label) in labels.iter().enumerate() {
            if matches!(label, Label::Body | Label::Title) {
                continue;
            }
            let at = |j: usize| x.get(i, j);
            let key_before = i > 0 && out[i - 1] == Label::Pager && {
                let prev = folded[i - 1].as_ref();
                matches!(last_chars(prev, 1), ":" | "：")
                    && prev.chars().count() <= rules.pager_key_max_chars
            };
            // A pager word opening a short line, or the title after a bare 上一篇： key.
            if (truthy(at(c.lex_start_pager)) && at(c.chars) <= key_line) || key_before {
                out[i] = Label::Pager;
            } else if truthy(at(c.lex_exact_related_header)) {
                out[i] = Label::Related;
            } else if truthy(at(c.lex_start_footer))
                && !truthy(at(c.lex_exact_footer))
                && at(c.chars) <= key_line
            {
                out[i] = Label::Footer;
            }
        }
        Ok(out)
    }

    /// Body lines below a section header are not the article (`decode.close_sections`).
    /// Gives the labels and the header's line, or None.
    pub fn close_sections<S: AsRef<str>>(
        &self,
        labels: &[Label],
        x: &Matrix,
        probs: &Matrix,
        title_rows: &[usize],
        folded: &[S],
        rules: &Rules,
    ) -> Result<(Vec<Label>, Option<usize>), DecodeError> {
        let n = labels.len();
        check_lines(n, folded.len())?;
        check_probs(probs, n)?;
        let body_rows: Vec<usize> = (0..n).filter(|&i| labels[i] == Label::Body).collect();
        let Some(&first_body) = body_rows.first() else {
            return Ok((labels.to_vec(), None));
        };
        let c = &self.columns;
        c.check(x, n)?;
        let start = title_rows.iter().copied().fold(first_body, usize::max);
        let related = |i: usize| positive(x.get(i, c.lex_exact_related_header));
        let pager = |i: usize| positive(x.get(i, c.lex_exact_pager));
        let header = (start + 1..n).find(|&i| {
            let core = self.line_core(folded[i].as_ref());
            pager(i)
                || (related(i) && core.chars().count() >= rules.section_header_min_chars)
                || (rules.comment_sections && self.is_comment_section(core))
        });
        let Some(header) = header else {
            return Ok((labels.to_vec(), None));
        };
        let kind = if related(header) {
            Label::Related
        } else if pager(header) {
            Label::Pager
        } else {
            Label::Comment
        };
        let mut out = labels.to_vec();
        out[header] = kind;
        for &i in body_rows.iter().filter(|&&i| i > header) {
            out[i] = if kind == Label::Pager {
                best_furniture(probs.row(i))
            } else {
                kind
            };
        }
        Ok((out, Some(header)))
    }

    /// One reading's labels from its features and beliefs: `decode._label`
    /// after the beliefs. `template` holds each line's site-template share.
    #[allow(clippy::too_many_arguments)]
    pub fn label<S: AsRef<str>>(
        &self,
        folded: &[S],
        x1: &Matrix,
        mut probs: Matrix,
        threshold: f64,
        template: Option<&[f64]>,
        ranker: Option<&Ranker>,
        rules: &Rules,
    ) -> Result<Labelled, DecodeError> {
        let n = folded.len();
        check_probs(&probs, n)?;
        if x1.rows() != n {
            return Err(DecodeError::Shape(format!(
                "features of {} rows for {n} lines",
                x1.rows()
            )));
        }
        if let Some(shares) = template {
            check_lines(n, shares.len())?;
            apply_template(&mut probs, shares, rules);
        }
        let ruled_out = if rules.never_headline {
            self.never_headline(x1, folded)?
        } else {
            vec![false; n]
        };
        let (mut labels, title_rows) =
            labels_from_probs(&probs, threshold, Some(&ruled_out), ranker, folded, rules)?;
        for (label, s) in labels.iter_mut().zip(folded) {
            let s = s.as_ref();
            // A line with no text (empty, or icon glyphs) is never body: nothing
            // to keep; nor is a script or style element a scraper left as text.
            let text = if rules.no_text {
                has_text(s)
            } else {
                !s.is_empty()
            };
            if *label == Label::Body && (!text || (rules.code_element && self.is_code_element(s))) {
                *label = Label::Other;
            }
        }
        if rules.name_furniture {
            labels = self.name_furniture(&labels, x1, folded, rules)?;
        }
        if rules.title_echoes {
            labels = drop_title_echoes(&labels, &probs, &title_rows, folded, threshold)?;
        }
        let mut header = None;
        if rules.close_sections {
            (labels, header) =
                self.close_sections(&labels, x1, &probs, &title_rows, folded, rules)?;
        }
        Ok(Labelled {
            labels,
            probs,
            title_rows,
            header,
        })
    }

    /// Label a page's lines, then make its body stable (`decode.decide`).
    ///
    /// Blank lines are set aside and labelled `other`. The body, read alone as
    /// a page (`reader`), must read as body throughout: lines it would drop
    /// are dropped, until the body is stable; a body still shrinking after
    /// `rules.refine_rounds` re-readings keeps its first reading.
    #[allow(clippy::too_many_arguments)]
    pub fn decide<R: Reader, S: AsRef<str>>(
        &self,
        folded: &[S],
        threshold: f64,
        template: Option<&[f64]>,
        reader: &R,
        ranker: Option<&Ranker>,
        rules: &Rules,
    ) -> Result<Decision, R::Error> {
        if let Some(shares) = template {
            check_lines(folded.len(), shares.len())?;
        }
        let rows: Vec<usize> = (0..folded.len())
            .filter(|&i| !folded[i].as_ref().is_empty())
            .collect();
        let page = self.decide_rows(folded, &rows, threshold, template, reader, ranker, rules)?;
        if rows.len() == folded.len() {
            return Ok(page);
        }
        Ok(page.spread(&rows, folded.len()))
    }

    /// `decide` on the page made of lines `page_rows` alone.
    #[allow(clippy::too_many_arguments)]
    fn decide_rows<R: Reader, S: AsRef<str>>(
        &self,
        folded: &[S],
        page_rows: &[usize],
        threshold: f64,
        template: Option<&[f64]>,
        reader: &R,
        ranker: Option<&Ranker>,
        rules: &Rules,
    ) -> Result<Decision, R::Error> {
        let lines: Vec<&str> = page_rows.iter().map(|&i| folded[i].as_ref()).collect();
        let shares: Option<Vec<f64>> = template.map(|t| page_rows.iter().map(|&i| t[i]).collect());
        let first = reader.read(page_rows)?;
        let Labelled {
            mut labels,
            probs,
            title_rows,
            header,
        } = self.label(
            &lines,
            &first.x1,
            first.probs,
            threshold,
            shares.as_deref(),
            ranker,
            rules,
        )?;
        let mut given_up: Vec<usize> = Vec::new();
        let mut settled = false;
        for _ in 0..rules.refine_rounds {
            let rows: Vec<usize> = (0..labels.len())
                .filter(|&j| labels[j] == Label::Body)
                .collect();
            if rows.is_empty() || rows.len() == labels.len() {
                settled = true;
                break;
            }
            let sub_lines: Vec<&str> = rows.iter().map(|&j| lines[j]).collect();
            let sub_shares: Option<Vec<f64>> = shares
                .as_ref()
                .map(|t| rows.iter().map(|&j| t[j]).collect());
            let wanted: Vec<usize> = rows.iter().map(|&j| page_rows[j]).collect();
            let reading = reader.read(&wanted)?;
            let again = self.label(
                &sub_lines,
                &reading.x1,
                reading.probs,
                threshold,
                sub_shares.as_deref(),
                ranker,
                rules,
            )?;
            // A line the re-reading took as the title but believes to be body
            // is kept: read alone the body has no headline, and the title goes
            // to such a line only while some other line is dropped.
            let dropped: Vec<usize> = rows
                .iter()
                .zip(&again.labels)
                .enumerate()
                .filter(|&(k, (_, &lab))| {
                    lab != Label::Body
                        && !(lab == Label::Title && again.probs.get(k, BODY) >= threshold)
                })
                .map(|(_, (&j, _))| j)
                .collect();
            if dropped.is_empty() {
                settled = true;
                break;
            }
            for &j in &dropped {
                labels[j] = best_furniture(probs.row(j));
            }
            given_up.extend(dropped);
        }
        if !settled {
            // Still shrinking after every re-reading allowed: the body is peeled
            // a few lines a round and never settles (an encyclopedia entry whose
            // inline links split every sentence into fragments; read alone, each
            // round's edge fragments look like a list). The first reading stands:
            // it is the page read whole, and giving up every round's lines lost
            // the article, all of it (1,200 body lines on one dev page in CV).
            for &j in &given_up {
                labels[j] = Label::Body;
            }
            given_up.clear();
        }
        given_up.sort_unstable();
        Ok(Decision {
            labels,
            body_belief: probs.column(BODY),
            title_rows,
            features: first.x1,
            dropped: given_up,
            section_header: header,
        })
    }
}

fn check_lines(n: usize, other: usize) -> Result<(), DecodeError> {
    if n != other {
        return Err(DecodeError::Shape(format!(
            "{other} values for a page of {n} lines"
        )));
    }
    Ok(())
}

fn check_probs(probs: &Matrix, n: usize) -> Result<(), DecodeError> {
    if probs.rows() != n || probs.cols() != N_CLASSES {
        return Err(DecodeError::Shape(format!(
            "beliefs of {} × {} for {n} lines of {N_CLASSES} classes",
            probs.rows(),
            probs.cols()
        )));
    }
    Ok(())
}

/// A line's likeliest label other than body and title (`decode._best_furniture`).
pub fn best_furniture(p: &[f64]) -> Label {
    let mut rest = p.to_vec();
    rest[BODY] = -1.0;
    rest[TITLE] = -1.0;
    argmax(&rest)
        .and_then(Label::from_index)
        .unwrap_or(Label::Other)
}

/// Beliefs after the site-template evidence (`decode.apply_template`), in place.
///
/// For a line on a share `s` > `template_min_share` of its site's other pages,
/// the odds of body are multiplied by `(1 - s) / s`; the belief taken from
/// body goes to the line's other classes in their proportions.
pub fn apply_template(probs: &mut Matrix, shares: &[f64], rules: &Rules) {
    for (i, &share) in shares.iter().enumerate().take(probs.rows()) {
        // np.clip keeps a NaN share, and NaN is no hit.
        if share.is_nan() {
            continue;
        }
        let s = share.max(0.0).min(rules.template_max_share);
        let hit = s > rules.template_min_share;
        if !hit {
            continue;
        }
        let row = probs.row_mut(i);
        let p = row[BODY];
        let odds = p / (1.0 - p).max(1e-12) * (1.0 - s) / s;
        let new = odds / (1.0 + odds);
        let rest = 1.0 - p;
        let scale = if rest > 1e-12 {
            (1.0 - new) / rest.max(1e-12)
        } else {
            0.0
        };
        for v in row.iter_mut() {
            *v *= scale;
        }
        row[BODY] = new;
    }
}

/// Each line's title belief, -1 on the lines `ruled_out` (`decode.title_belief`).
pub fn title_belief(probs: &Matrix, ruled_out: Option<&[bool]>) -> Vec<f64> {
    (0..probs.rows())
        .map(|i| {
            if ruled_out.is_some_and(|r| r.get(i).copied().unwrap_or(false)) {
                -1.0
            } else {
                probs.get(i, TITLE)
            }
        })
        .collect()
}

/// Class beliefs to one label a line, with at most one title (`decode.labels_from_probs`).
///
/// A line is body when its body belief reaches `threshold` (or, when no line
/// does but the best reaches `fallback_min_prob`, `fallback_relative` of the
/// best); the title is the most title-like line not `ruled_out`, or the
/// ranker's choice among the most title-like lines; any other line is its
/// likeliest non-body, non-title class.
pub fn labels_from_probs<S: AsRef<str>>(
    probs: &Matrix,
    threshold: f64,
    ruled_out: Option<&[bool]>,
    ranker: Option<&Ranker>,
    folded: &[S],
    rules: &Rules,
) -> Result<(Vec<Label>, Vec<usize>), DecodeError> {
    let n = probs.rows();
    if n == 0 {
        return Ok((Vec::new(), Vec::new()));
    }
    check_probs(probs, n)?;
    if let Some(r) = ruled_out {
        check_lines(n, r.len())?;
    }
    if ranker.is_some() {
        check_lines(n, folded.len())?;
    }
    let body = probs.column(BODY);
    // numpy's max: NaN if any is NaN (and then no fallback).
    let top = body
        .iter()
        .copied()
        .try_fold(f64::NEG_INFINITY, |m, v| (!v.is_nan()).then(|| m.max(v)))
        .unwrap_or(f64::NAN);
    let mut threshold = threshold;
    if top < threshold && top >= rules.fallback_min_prob {
        // No line is sure enough, yet some look like body: a page whose article
        // is unlike the training pages. Keep its most body-like lines rather
        // than nothing.
        threshold = top * rules.fallback_relative;
    }
    let mut labels: Vec<Label> = (0..n)
        .map(|i| {
            if body[i] >= threshold {
                Label::Body
            } else {
                best_furniture(probs.row(i))
            }
        })
        .collect();
    let mut title_rows = Vec::new();
    // A page that is all body (a clean text, or a body read alone) has no
    // headline to find; otherwise the most title-like line is the title, even
    // where its body belief is higher: a short headline right above the text
    // looks like a subheading line by line, and the title class knows better.
    if labels.iter().any(|&l| l != Label::Body) {
        let belief = title_belief(probs, ruled_out);
        if let Some(mut best) = argmax(&belief) {
            if belief[best] >= rules.title_min_prob {
                if let Some(ranker) = ranker {
                    let body_rows: Vec<bool> = labels.iter().map(|&l| l == Label::Body).collect();
                    let meta = probs.column(META);
                    best = ranker
                        .choose(&belief, &meta, &body_rows, folded, rules.ranker_wording)
                        .unwrap_or(best);
                }
                title_rows.push(best);
                labels[best] = Label::Title;
            }
        }
    }
    Ok((labels, title_rows))
}

/// Body lines that repeat the title line exactly take their likeliest
/// furniture label, unless the beliefs take the title for body too
/// (`decode.drop_title_echoes`).
pub fn drop_title_echoes<S: AsRef<str>>(
    labels: &[Label],
    probs: &Matrix,
    title_rows: &[usize],
    folded: &[S],
    threshold: f64,
) -> Result<Vec<Label>, DecodeError> {
    check_lines(labels.len(), folded.len())?;
    check_probs(probs, labels.len())?;
    let Some(&t) = title_rows.first() else {
        return Ok(labels.to_vec());
    };
    if t >= labels.len() {
        return Err(DecodeError::Shape(format!(
            "title row {t} of a page of {} lines",
            labels.len()
        )));
    }
    if probs.get(t, BODY) >= threshold {
        return Ok(labels.to_vec());
    }
    let title = folded[t].as_ref();
    Ok(labels
        .iter()
        .enumerate()
        .map(|(i, &lab)| {
            if lab == Label::Body && folded[i].as_ref() == title {
                best_furniture(probs.row(i))
            } else {
                lab
            }
        })
        .collect())
}

// --- Python strings ---------------------------------------------------------

/// Where a lone surrogate (U+D800..U+DFFF, which Python strings may hold and
/// Rust strings may not) is kept while in Rust: an unassigned block of plane
/// 14 that no rule treats specially (not space, digit, Han, private use, nor
/// in any lexicon), one code point per surrogate so that equal lines stay equal.
const SURROGATE_BASE: u32 = 0xE1000;

/// A Python `str` as a Rust string, lone surrogates kept (see `SURROGATE_BASE`).
pub fn py_text(obj: &Bound<'_, PyAny>) -> PyResult<String> {
    let s = obj.cast::<PyString>()?;
    if let Ok(text) = s.to_str() {
        return Ok(text.to_owned());
    }
    let bytes = s.call_method1("encode", ("utf-8", "surrogatepass"))?;
    let bytes = bytes.cast::<PyBytes>()?;
    Ok(from_surrogatepass(bytes.as_bytes()))
}

/// Decodes UTF-8 in which surrogates are encoded as other code points are
/// (Python's `surrogatepass`), mapping each surrogate to `SURROGATE_BASE + k`.
fn from_surrogatepass(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        let (len, init) = match b {
            0x00..=0x7f => (1, u32::from(b)),
            0xc0..=0xdf => (2, u32::from(b & 0x1f)),
            0xe0..=0xef => (3, u32::from(b & 0x0f)),
            _ => (4, u32::from(b & 0x07)),
        };
        let mut cp = init;
        for k in 1..len {
            cp = (cp << 6) | u32::from(bytes.get(i + k).copied().unwrap_or(0x80) & 0x3f);
        }
        i += len;
        let c = match cp {
            0xd800..=0xdfff => char::from_u32(SURROGATE_BASE + (cp - 0xd800)),
            _ => char::from_u32(cp),
        };
        out.push(c.unwrap_or('\u{fffd}'));
    }
    out
}

/// A Rust string back to Python, with its kept surrogates restored.
pub fn to_py_text<'py>(py: Python<'py>, text: &str) -> PyResult<Bound<'py, PyAny>> {
    let kept = |c: char| (SURROGATE_BASE..SURROGATE_BASE + 0x800).contains(&u32::from(c));
    if !text.chars().any(kept) {
        return Ok(PyString::new(py, text).into_any());
    }
    let mut bytes = Vec::with_capacity(text.len());
    for c in text.chars() {
        let cp = u32::from(c);
        if kept(c) {
            let s = 0xd800 + (cp - SURROGATE_BASE);
            bytes.extend([
                0xe0 | (s >> 12) as u8,
                0x80 | ((s >> 6) & 0x3f) as u8,
                0x80 | (s & 0x3f) as u8,
            ]);
        } else {
            bytes.extend(c.encode_utf8(&mut [0u8; 4]).as_bytes());
        }
    }
    PyBytes::new(py, &bytes).call_method1("decode", ("utf-8", "surrogatepass"))
}

/// A sequence of Python `str` as Rust strings.
pub fn py_lines(obj: &Bound<'_, PyAny>) -> PyResult<Vec<String>> {
    obj.try_iter()?.map(|item| py_text(&item?)).collect()
}

fn labels_in(values: Vec<u8>) -> PyResult<Vec<Label>> {
    values
        .into_iter()
        .map(|v| {
            Label::from_index(usize::from(v))
                .ok_or_else(|| PyValueError::new_err(format!("no class {v}")))
        })
        .collect()
}

fn labels_out(labels: &[Label]) -> Vec<u8> {
    labels.iter().map(|&l| l as u8).collect()
}

fn shares_in(template: Option<&[u8]>, n: usize) -> PyResult<Option<Vec<f64>>> {
    template
        .map(|b| Matrix::from_ne_bytes(b, n, 1).map(|m| m.data))
        .transpose()
        .map_err(PyErr::from)
}

/// A reader calling back into Python: `read(rows) -> (x1 bytes, columns, probs bytes)`.
struct PyReader {
    read: Py<PyAny>,
}

impl Reader for PyReader {
    type Error = PyErr;

    fn read(&self, rows: &[usize]) -> PyResult<Reading> {
        Python::attach(|py| {
            let out = self.read.call1(py, (rows.to_vec(),))?;
            let (x1, cols, probs): (Bound<'_, PyBytes>, usize, Bound<'_, PyBytes>) =
                out.extract(py)?;
            Ok(Reading {
                x1: Matrix::from_ne_bytes(x1.as_bytes(), rows.len(), cols)?,
                probs: Matrix::from_ne_bytes(probs.as_bytes(), rows.len(), N_CLASSES)?,
            })
        })
    }
}

/// `decide`'s result for Python: labels, body beliefs (bytes), title rows,
/// dropped rows, section header. (The features are the caller's: its reader
/// computed them.)
type PyDecision<'py> = (
    Vec<u8>,
    Bound<'py, PyByteArray>,
    Vec<usize>,
    Vec<usize>,
    Option<usize>,
);

#[pymethods]
impl Decoder {
    #[new]
    #[pyo3(signature = (
        *, names, lexicon_columns, edge_chars, comment_section, comment_words, comment_forms,
        when_alone, code_element, subtitle_dashes, breadcrumb
    ))]
    #[allow(clippy::too_many_arguments)]
    fn py_new(
        names: Vec<String>,
        lexicon_columns: Vec<String>,
        edge_chars: String,
        comment_section: Vec<String>,
        comment_words: Vec<String>,
        comment_forms: String,
        when_alone: String,
        code_element: String,
        subtitle_dashes: String,
        breadcrumb: String,
    ) -> PyResult<Self> {
        Ok(Self::new(DecoderConfig {
            names,
            lexicon_columns,
            edge_chars,
            comment_section,
            comment_words,
            comment_forms,
            when_alone,
            code_element,
            subtitle_dashes,
            breadcrumb,
        })?)
    }

    /// One reading's labels (class indices), title rows and section header,
    /// from features `x1` (bytes, `cols` columns) and beliefs `probs` (bytes).
    #[pyo3(name = "label", signature = (folded, x1, cols, probs, threshold, template=None, ranker=None, rules=None))]
    #[allow(clippy::too_many_arguments)]
    fn py_label(
        &self,
        py: Python<'_>,
        folded: &Bound<'_, PyAny>,
        x1: &[u8],
        cols: usize,
        probs: &[u8],
        threshold: f64,
        template: Option<&[u8]>,
        ranker: Option<Bound<'_, Ranker>>,
        rules: Option<Bound<'_, Rules>>,
    ) -> PyResult<(Vec<u8>, Vec<usize>, Option<usize>)> {
        let folded = py_lines(folded)?;
        let n = folded.len();
        let shares = shares_in(template, n)?;
        let ranker = ranker.as_ref().map(|r| r.get());
        let rules = rules.map_or_else(Rules::default, |r| *r.get());
        let out = py.detach(|| -> Result<Labelled, DecodeError> {
            let x1 = Matrix::from_ne_bytes(x1, n, cols)?;
            let probs = Matrix::from_ne_bytes(probs, n, N_CLASSES)?;
            self.label(
                &folded,
                &x1,
                probs,
                threshold,
                shares.as_deref(),
                ranker,
                &rules,
            )
        })?;
        Ok((labels_out(&out.labels), out.title_rows, out.header))
    }

    /// The decision for a page (`decode.decide`), reading sub-pages through
    /// `reader(rows) -> (x1 bytes, columns, probs bytes)`.
    #[pyo3(name = "decide", signature = (folded, threshold, reader, template=None, ranker=None, rules=None))]
    #[allow(clippy::too_many_arguments)]
    fn py_decide<'py>(
        &self,
        py: Python<'py>,
        folded: &Bound<'py, PyAny>,
        threshold: f64,
        reader: Py<PyAny>,
        template: Option<&[u8]>,
        ranker: Option<Bound<'py, Ranker>>,
        rules: Option<Bound<'py, Rules>>,
    ) -> PyResult<PyDecision<'py>> {
        let folded = py_lines(folded)?;
        let shares = shares_in(template, folded.len())?;
        let ranker = ranker.as_ref().map(|r| r.get());
        let rules = rules.map_or_else(Rules::default, |r| *r.get());
        let reader = PyReader { read: reader };
        let page = py.detach(|| {
            self.decide(
                &folded,
                threshold,
                shares.as_deref(),
                &reader,
                ranker,
                &rules,
            )
        })?;
        let body: Vec<u8> = page
            .body_belief
            .iter()
            .flat_map(|v| v.to_ne_bytes())
            .collect();
        Ok((
            labels_out(&page.labels),
            PyByteArray::new(py, &body),
            page.title_rows,
            page.dropped,
            page.section_header,
        ))
    }

    /// `decode.never_headline` on features `x` (bytes, `cols` columns).
    #[pyo3(name = "never_headline")]
    fn py_never_headline(
        &self,
        folded: &Bound<'_, PyAny>,
        x: &[u8],
        cols: usize,
    ) -> PyResult<Vec<bool>> {
        let folded = py_lines(folded)?;
        let x = Matrix::from_ne_bytes(x, folded.len(), cols)?;
        Ok(self.never_headline(&x, &folded)?)
    }

    /// `decode.name_furniture` on labels (class indices) and features `x`.
    #[pyo3(name = "name_furniture", signature = (labels, x, cols, folded, rules=None))]
    fn py_name_furniture(
        &self,
        labels: Vec<u8>,
        x: &[u8],
        cols: usize,
        folded: &Bound<'_, PyAny>,
        rules: Option<Bound<'_, Rules>>,
    ) -> PyResult<Vec<u8>> {
        let labels = labels_in(labels)?;
        let folded = py_lines(folded)?;
        let x = Matrix::from_ne_bytes(x, labels.len(), cols)?;
        let rules = rules.map_or_else(Rules::default, |r| *r.get());
        Ok(labels_out(
            &self.name_furniture(&labels, &x, &folded, &rules)?,
        ))
    }

    /// `decode.close_sections`: the labels (class indices) and the header's row.
    #[pyo3(name = "close_sections", signature = (labels, x, cols, probs, title_rows, folded, rules=None))]
    #[allow(clippy::too_many_arguments)]
    fn py_close_sections(
        &self,
        labels: Vec<u8>,
        x: &[u8],
        cols: usize,
        probs: &[u8],
        title_rows: Vec<usize>,
        folded: &Bound<'_, PyAny>,
        rules: Option<Bound<'_, Rules>>,
    ) -> PyResult<(Vec<u8>, Option<usize>)> {
        let labels = labels_in(labels)?;
        let folded = py_lines(folded)?;
        let n = labels.len();
        let x = Matrix::from_ne_bytes(x, n, cols)?;
        let probs = Matrix::from_ne_bytes(probs, n, N_CLASSES)?;
        let rules = rules.map_or_else(Rules::default, |r| *r.get());
        let (out, header) =
            self.close_sections(&labels, &x, &probs, &title_rows, &folded, &rules)?;
        Ok((labels_out(&out), header))
    }

    /// `lexicon.is_comment_section` on a line's core.
    #[pyo3(name = "is_comment_section")]
    fn py_is_comment_section(&self, core: &Bound<'_, PyAny>) -> PyResult<bool> {
        Ok(self.is_comment_section(&py_text(core)?))
    }

    /// `features.line_core`.
    #[pyo3(name = "line_core")]
    fn py_line_core<'py>(
        &self,
        py: Python<'py>,
        folded: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let text = py_text(folded)?;
        to_py_text(py, self.line_core(&text))
    }

    /// `decode.is_code_element`.
    #[pyo3(name = "is_code_element")]
    fn py_is_code_element(&self, folded: &Bound<'_, PyAny>) -> PyResult<bool> {
        Ok(self.is_code_element(&py_text(folded)?))
    }
}

/// `decode.labels_from_probs` on beliefs `probs` (bytes): labels (class indices) and title rows.
#[pyfunction]
#[pyo3(name = "labels_from_probs", signature = (probs, rows, threshold, ruled_out=None, ranker=None, folded=None, rules=None))]
#[allow(clippy::too_many_arguments)]
fn py_labels_from_probs(
    probs: &[u8],
    rows: usize,
    threshold: f64,
    ruled_out: Option<Vec<bool>>,
    ranker: Option<Bound<'_, Ranker>>,
    folded: Option<&Bound<'_, PyAny>>,
    rules: Option<Bound<'_, Rules>>,
) -> PyResult<(Vec<u8>, Vec<usize>)> {
    let probs = Matrix::from_ne_bytes(probs, rows, N_CLASSES)?;
    let folded = folded.map(py_lines).transpose()?.unwrap_or_default();
    let rules = rules.map_or_else(Rules::default, |r| *r.get());
    let ranker = ranker.as_ref().map(|r| r.get());
    let (labels, titles) = labels_from_probs(
        &probs,
        threshold,
        ruled_out.as_deref(),
        ranker,
        &folded,
        &rules,
    )?;
    Ok((labels_out(&labels), titles))
}

/// `decode.title_belief` on beliefs `probs` (bytes).
#[pyfunction]
#[pyo3(name = "title_belief", signature = (probs, rows, ruled_out=None))]
fn py_title_belief(probs: &[u8], rows: usize, ruled_out: Option<Vec<bool>>) -> PyResult<Vec<f64>> {
    let probs = Matrix::from_ne_bytes(probs, rows, N_CLASSES)?;
    if let Some(r) = &ruled_out {
        check_lines(rows, r.len())?;
    }
    Ok(title_belief(&probs, ruled_out.as_deref()))
}

/// `decode.drop_title_echoes` on labels (class indices) and beliefs `probs` (bytes).
#[pyfunction]
#[pyo3(name = "drop_title_echoes")]
fn py_drop_title_echoes(
    labels: Vec<u8>,
    probs: &[u8],
    title_rows: Vec<usize>,
    folded: &Bound<'_, PyAny>,
    threshold: f64,
) -> PyResult<Vec<u8>> {
    let labels = labels_in(labels)?;
    let folded = py_lines(folded)?;
    let probs = Matrix::from_ne_bytes(probs, labels.len(), N_CLASSES)?;
    Ok(labels_out(&drop_title_echoes(
        &labels,
        &probs,
        &title_rows,
        &folded,
        threshold,
    )?))
}

/// `decode.apply_template` on beliefs `probs` (bytes) and shares (bytes): the new beliefs.
#[pyfunction]
#[pyo3(name = "apply_template", signature = (probs, rows, shares, rules=None))]
fn py_apply_template<'py>(
    py: Python<'py>,
    probs: &[u8],
    rows: usize,
    shares: &[u8],
    rules: Option<Bound<'py, Rules>>,
) -> PyResult<Bound<'py, PyByteArray>> {
    let mut probs = Matrix::from_ne_bytes(probs, rows, N_CLASSES)?;
    let shares = Matrix::from_ne_bytes(shares, rows, 1)?;
    let rules = rules.map_or_else(Rules::default, |r| *r.get());
    apply_template(&mut probs, &shares.data, &rules);
    Ok(PyByteArray::new(py, &probs.to_ne_bytes()))
}

/// `decode._best_furniture` on one line's beliefs: a class index.
#[pyfunction]
#[pyo3(name = "best_furniture")]
fn py_best_furniture(p: Vec<f64>) -> PyResult<u8> {
    if p.len() != N_CLASSES {
        return Err(PyValueError::new_err(format!(
            "{} beliefs for {N_CLASSES} classes",
            p.len()
        )));
    }
    Ok(best_furniture(&p) as u8)
}

/// Adds the submodule `zhengwen._core.decode`.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let sub = PyModule::new(m.py(), "decode")?;
    sub.add("RULE_NAMES", RULE_NAMES.to_vec())?;
    sub.add_class::<Rules>()?;
    sub.add_class::<Decoder>()?;
    sub.add_function(wrap_pyfunction!(py_labels_from_probs, &sub)?)?;
    sub.add_function(wrap_pyfunction!(py_title_belief, &sub)?)?;
    sub.add_function(wrap_pyfunction!(py_drop_title_echoes, &sub)?)?;
    sub.add_function(wrap_pyfunction!(py_apply_template, &sub)?)?;
    sub.add_function(wrap_pyfunction!(py_best_furniture, &sub)?)?;
    m.add_submodule(&sub)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;
    use std::collections::VecDeque;

    use super::*;
    use Label::*;

    const NAMES: [&str; 13] = [
        "chars",
        "date_cover",
        "has_time",
        "meta_key",
        "lex_start_pager",
        "lex_start_footer",
        "lex_exact_related_header",
        "lex_exact_comment_header",
        "lex_exact_pager",
        "lex_exact_share",
        "lex_exact_nav",
        "lex_exact_footer",
        "lex_exact_meta_prefix",
    ];

    /// A decoder with the patterns and words decode.py gives it (a few of the words).
    fn decoder() -> Decoder {
        let counted = r"\d{1,7}(?:条|條|件|则|則|篇|个|個)(?:评论|評論|留言)";
        Decoder::new(DecoderConfig {
            names: NAMES.iter().map(|s| s.to_string()).collect(),
            lexicon_columns: NAMES[6..].iter().map(|s| s.to_string()).collect(),
            edge_chars: "\"#'()*+,-/0123456789:;<=>[\\]_|~·»【】《》「」（），：；".to_string(),
            comment_section: vec!["网友评论".to_string(), "發表評論".to_string()],
            comment_words: vec!["评论".into(), "評論".into(), "留言".into()],
            comment_forms: format!(
                r"(?:请|請)?先?(?:登录|登入)(?:并|后)?(?:发表|参与)?(?:评论|評論|留言)|(?:共|全部|查看全部)?{counted}|.{{1,60}}?(?:已有|共有){counted}"
            ),
            when_alone: r"(?:(?:19|20)\d\d\s*(?:年\s*[01]?\d\s*月|[-/.]\s*[01]?\d)|\d+\s*(?:秒|分钟|天|月|年)前|刚刚|昨天|前天)\s*(?:[(（]\d+[)）])?".to_string(),
            code_element: "(?i)</?(?:no)?script|</?style|</?iframe".to_string(),
            subtitle_dashes: "—―─－-–".to_string(),
            breadcrumb: "»›＞>".to_string(),
        })
        .expect("the test decoder")
    }

    /// Beliefs from per-line (label, belief) pairs; the rest goes to `other`.
    fn beliefs(rows: &[&[(Label, f64)]]) -> Matrix {
        let mut data = Vec::new();
        for row in rows {
            let mut p = [0.0; N_CLASSES];
            for &(label, v) in row.iter() {
                p[label as usize] = v;
            }
            p[Other as usize] += 1.0 - p.iter().sum::<f64>();
            data.extend(p);
        }
        Matrix::new(data, rows.len(), N_CLASSES).expect("beliefs")
    }

    /// Features of `n` lines, all 0 but the named ones: (line, name, value).
    fn features(n: usize, set: &[(usize, &str, f64)]) -> Matrix {
        let mut x = Matrix::zeros(n, NAMES.len());
        for &(i, name, v) in set {
            let j = NAMES.iter().position(|&c| c == name).expect("a name");
            x.row_mut(i)[j] = v;
        }
        x
    }

    fn rules() -> Rules {
        Rules::default()
    }

    #[test]
    fn threshold_and_a_single_title() {
        let probs = beliefs(&[
            &[(Nav, 0.9)],
            &[(Title, 0.7), (Body, 0.2)],
            &[(Body, 0.9)],
            &[(Body, 0.4), (Related, 0.5)],
            &[(Title, 0.3), (Body, 0.6)],
        ]);
        let (labels, titles) =
            labels_from_probs::<&str>(&probs, 0.5, None, None, &[], &rules()).unwrap();
        assert_eq!(titles, vec![1]);
        assert_eq!(labels, vec![Nav, Title, Body, Related, Body]);
        // A line ruled out is never the title; the next most title-like line is.
        let ruled = [false, true, false, false, false];
        let (labels, titles) =
            labels_from_probs::<&str>(&probs, 0.5, Some(&ruled), None, &[], &rules()).unwrap();
        assert_eq!(titles, vec![4]);
        assert_eq!(labels[1], Other);
    }

    #[test]
    fn no_line_sure_enough_keeps_the_most_body_like() {
        let probs = beliefs(&[&[(Body, 0.3)], &[(Body, 0.4)], &[(Nav, 0.9)]]);
        let (labels, _) =
            labels_from_probs::<&str>(&probs, 0.5, None, None, &[], &rules()).unwrap();
        // Within 0.7 of the best (0.4): 0.28, so both lines are body.
        assert_eq!(&labels[..2], &[Body, Body]);
        assert_eq!(labels[2], Nav);
        // Below the fallback's floor, or with the fallback switched off: no body.
        let faint = beliefs(&[&[(Body, 0.1)], &[(Nav, 0.9)]]);
        let (labels, _) =
            labels_from_probs::<&str>(&faint, 0.5, None, None, &[], &rules()).unwrap();
        assert!(!labels.contains(&Body));
        let off = Rules {
            fallback_min_prob: 2.0,
            ..rules()
        };
        let (labels, _) = labels_from_probs::<&str>(&probs, 0.5, None, None, &[], &off).unwrap();
        assert!(!labels.contains(&Body));
    }

    #[test]
    fn an_all_body_page_has_no_title() {
        let probs = beliefs(&[&[(Body, 0.9), (Title, 0.1)], &[(Body, 0.8)]]);
        let (labels, titles) =
            labels_from_probs::<&str>(&probs, 0.5, None, None, &[], &rules()).unwrap();
        assert_eq!(labels, vec![Body, Body]);
        assert!(titles.is_empty());
    }

    #[test]
    fn an_empty_page() {
        let d = decoder();
        let empty = Matrix::zeros(0, N_CLASSES);
        let (labels, titles) =
            labels_from_probs::<&str>(&empty, 0.5, None, None, &[], &rules()).unwrap();
        assert!(labels.is_empty() && titles.is_empty());
        let x = Matrix::zeros(0, 0); // no lines: no columns needed
        let out = d
            .label::<&str>(&[], &x, empty, 0.5, Some(&[]), None, &rules())
            .unwrap();
        assert!(out.labels.is_empty() && out.header.is_none());
        let reader = Script::new(vec![]);
        let page = d
            .decide::<_, &str>(&[], 0.5, None, &reader, None, &rules())
            .unwrap();
        assert!(page.labels.is_empty() && page.dropped.is_empty());
        // A page of blank lines: read as a page of no lines, every line other.
        let reader = Script::new(vec![]);
        let page = d
            .decide(&["", ""], 0.5, None, &reader, None, &rules())
            .unwrap();
        assert_eq!(page.labels, vec![Other, Other]);
        assert_eq!(page.features, Matrix::zeros(2, NAMES.len()));
        assert_eq!(reader.asked.borrow().as_slice(), &[Vec::<usize>::new()]);
    }

    /// A reader that replays scripted beliefs, one a reading, with no features set.
    struct Script {
        readings: RefCell<VecDeque<Matrix>>,
        asked: RefCell<Vec<Vec<usize>>>,
    }

    impl Script {
        fn new(readings: Vec<Matrix>) -> Self {
            Self {
                readings: RefCell::new(readings.into()),
                asked: RefCell::new(Vec::new()),
            }
        }
    }

    impl Reader for Script {
        type Error = DecodeError;

        fn read(&self, rows: &[usize]) -> Result<Reading, DecodeError> {
            self.asked.borrow_mut().push(rows.to_vec());
            let probs = self
                .readings
                .borrow_mut()
                .pop_front()
                .unwrap_or_else(|| Matrix::zeros(0, N_CLASSES));
            Ok(Reading {
                x1: features(rows.len(), &[]),
                probs,
            })
        }
    }

    #[test]
    fn body_that_does_not_hold_alone_is_dropped() {
        let d = decoder();
        let folded = [
            "菜单",
            "",
            "第一段正文，很长。",
            "侧栏的一段话",
            "第二段正文，很长。",
        ];
        let reader = Script::new(vec![
            beliefs(&[
                &[(Nav, 0.9)],
                &[(Body, 0.9)],
                &[(Body, 0.6)],
                &[(Body, 0.9)],
            ]),
            beliefs(&[&[(Body, 0.9)], &[(Related, 0.8)], &[(Body, 0.9)]]),
            beliefs(&[&[(Body, 0.9)], &[(Body, 0.9)]]),
        ]);
        let page = d
            .decide(&folded, 0.5, None, &reader, None, &rules())
            .unwrap();
        // The dropped line takes its likeliest furniture from the first reading.
        assert_eq!(page.labels, vec![Nav, Other, Body, Other, Body]);
        assert_eq!(page.dropped, vec![3]);
        // The blank line is set aside: rows are the page's own.
        let asked = reader.asked.borrow();
        assert_eq!(
            asked.as_slice(),
            &[vec![0, 2, 3, 4], vec![2, 3, 4], vec![2, 4]]
        );
        assert_eq!(page.body_belief[1], 0.0);
    }

    #[test]
    fn body_still_shrinking_keeps_its_first_reading() {
        let d = decoder();
        let folded = [
            "菜单",
            "蔡健雅（",
            "TanyaChua",
            "），1975年出生于新加坡。",
            "华语流行乐女歌手、",
        ];
        let reader = Script::new(vec![
            beliefs(&[
                &[(Nav, 0.9)],
                &[(Body, 0.8)],
                &[(Body, 0.8)],
                &[(Body, 0.8)],
                &[(Body, 0.8)],
            ]),
            beliefs(&[
                &[(Body, 0.8)],
                &[(Body, 0.8)],
                &[(Body, 0.8)],
                &[(Nav, 0.7)],
            ]),
            beliefs(&[&[(Body, 0.8)], &[(Body, 0.8)], &[(Nav, 0.7)]]),
        ]);
        let two = Rules {
            refine_rounds: 2,
            ..rules()
        };
        let page = d.decide(&folded, 0.5, None, &reader, None, &two).unwrap();
        assert_eq!(page.labels, vec![Nav, Body, Body, Body, Body]);
        assert!(page.dropped.is_empty());
        // No re-reading at all: the first reading stands.
        let reader = Script::new(vec![beliefs(&[
            &[(Nav, 0.9)],
            &[(Body, 0.8)],
            &[(Body, 0.8)],
            &[(Body, 0.8)],
            &[(Body, 0.8)],
        ])]);
        let none = Rules {
            refine_rounds: 0,
            ..rules()
        };
        let page = d.decide(&folded, 0.5, None, &reader, None, &none).unwrap();
        assert_eq!(page.labels[1..], [Body, Body, Body, Body]);
        assert_eq!(reader.asked.borrow().len(), 1);
    }

    #[test]
    fn a_reader_of_the_wrong_shape_is_an_error() {
        let d = decoder();
        let reader = Script::new(vec![beliefs(&[&[(Body, 0.9)]])]);
        let got = d.decide(&["一", "二"], 0.5, None, &reader, None, &rules());
        assert!(matches!(got, Err(DecodeError::Shape(_))));
        let x = features(2, &[]);
        let got = d.label(
            &["一", "二"],
            &x,
            beliefs(&[&[(Body, 0.9)]]),
            0.5,
            None,
            None,
            &rules(),
        );
        assert!(got.is_err());
        let narrow = Matrix::zeros(2, 3);
        let probs = beliefs(&[&[(Nav, 0.9)], &[(Nav, 0.9)]]);
        assert!(d.never_headline(&narrow, &["一", "二"]).is_err());
        assert!(d
            .label(&["一", "二"], &narrow, probs, 0.5, None, None, &rules())
            .is_err());
    }

    #[test]
    fn related_header_below_the_article_closes_it() {
        let d = decoder();
        let folded = [
            "某地举行活动",
            "第一段正文，内容很长。",
            "相关阅读",
            "另一篇文章的摘要。",
            "2022-11-14",
            "又一篇。",
        ];
        let x = features(6, &[(2, "lex_exact_related_header", 1.0)]);
        let nav: &[(Label, f64)] = &[(Nav, 0.9)];
        let probs = beliefs(&[nav; 6]);
        let labels = [Title, Body, Nav, Body, Meta, Body];
        let (out, header) = d
            .close_sections(&labels, &x, &probs, &[0], &folded, &rules())
            .unwrap();
        assert_eq!(header, Some(2));
        assert_eq!(out, vec![Title, Body, Related, Related, Meta, Related]);
        // Above the title it closes nothing.
        let (out, header) = d
            .close_sections(&labels, &x, &probs, &[3], &folded, &rules())
            .unwrap();
        assert_eq!((out.as_slice(), header), (&labels[..], None));
    }

    #[test]
    fn pager_and_comment_headers_close_the_article() {
        let d = decoder();
        let folded = ["第一段正文，内容很长。", "上一篇", "另一篇文章的摘要。"];
        let x = features(3, &[(1, "lex_exact_pager", 1.0)]);
        let probs = beliefs(&[
            &[(Body, 0.9)],
            &[(Pager, 0.9)],
            &[(Body, 0.6), (Comment, 0.3)],
        ]);
        let (out, header) = d
            .close_sections(&[Body, Pager, Body], &x, &probs, &[], &folded, &rules())
            .unwrap();
        assert_eq!((out, header), (vec![Body, Pager, Comment], Some(1)));
        for line in [
            "【网友评论】",
            "查看全部13条评论",
            "登录并评论",
            "《标题》已有1件评论",
        ] {
            let folded = ["第一段正文，内容很长。", line, "读者的看法。"];
            let x = features(3, &[]);
            let labels = [Body, Nav, Body];
            let (out, header) = d
                .close_sections(&labels, &x, &probs, &[], &folded, &rules())
                .unwrap();
            assert_eq!(
                (out, header),
                (vec![Body, Comment, Comment], Some(1)),
                "{line}"
            );
            // Switched off, comment headers close nothing.
            let off = Rules {
                comment_sections: false,
                ..rules()
            };
            let (_, header) = d
                .close_sections(&labels, &x, &probs, &[], &folded, &off)
                .unwrap();
            assert_eq!(header, None);
        }
        // A count inside a sentence, or of replies, is no comment section.
        for line in ["他说3条评论不够", "13条回复"] {
            assert!(!d.is_comment_section(d.line_core(line)), "{line}");
        }
    }

    #[test]
    fn forms_never_the_headline() {
        let d = decoder();
        let cases = [
            ("为现代化建设凝聚强大智慧和力量", false),
            ("湖人98:95险胜勇士", false),
            ("——热烈祝贺会议开幕", true),
            ("2005年11月(15)", true),
            ("2019-05", true),
            ("\u{1c}3天前\u{3000}", true), // Python's strip() takes these off
            ("刚刚", true),
            ("10年前的今天", false),
            ("多维博客»播客热潮", true),
        ];
        let folded: Vec<&str> = cases.iter().map(|c| c.0).collect();
        let x = features(folded.len(), &[]);
        let got = d.never_headline(&x, &folded).unwrap();
        for ((line, want), got) in cases.iter().zip(got) {
            assert_eq!(got, *want, "{line}");
        }
        // Lines the features name: a lexicon word, a date line, a meta key.
        let x = features(
            4,
            &[
                (0, "lex_exact_nav", 1.0),
                (1, "date_cover", 0.6),
                (2, "date_cover", 0.2),
                (2, "has_time", 1.0),
                (3, "meta_key", 1.0),
            ],
        );
        assert_eq!(d.never_headline(&x, &["甲"; 4]).unwrap(), vec![true; 4]);
    }

    #[test]
    fn pager_key_and_its_link_title() {
        let d = decoder();
        let folded = [
            "上一篇：",
            "某某新闻标题在这里",
            "为你推荐",
            "上一篇我们讲到了这个问题。",
        ];
        let x = features(
            4,
            &[
                (0, "lex_start_pager", 1.0),
                (0, "chars", 4.0),
                (2, "lex_exact_related_header", 1.0),
                (3, "lex_start_pager", 1.0),
                (3, "chars", 13.0),
            ],
        );
        let out = d
            .name_furniture(&[Share, Related, Nav, Body], &x, &folded, &rules())
            .unwrap();
        assert_eq!(out, vec![Pager, Pager, Related, Body]);
    }

    #[test]
    fn title_echoes_and_code_lines() {
        let d = decoder();
        let folded = [
            "社会资本与再就业",
            "社会资本与再就业",
            "正文，很长。",
            "<SCRIPT src=x>",
            "\u{e5e5}",
        ];
        let probs = beliefs(&[
            &[(Title, 0.9)],
            &[(Body, 0.8), (Nav, 0.15)],
            &[(Body, 0.9)],
            &[(Body, 0.9)],
            &[(Body, 0.9)],
        ]);
        let x = features(5, &[]);
        let out = d
            .label(&folded, &x, probs, 0.5, None, None, &rules())
            .unwrap();
        assert_eq!(out.labels, vec![Title, Nav, Body, Other, Other]);
        assert_eq!(out.title_rows, vec![0]);
    }

    #[test]
    fn template_evidence_moves_belief_from_body() {
        let mut probs = beliefs(&[
            &[(Body, 0.9), (Nav, 0.05)],
            &[(Body, 0.9)],
            &[(Body, 0.9)],
            &[(Body, 0.9)],
        ]);
        apply_template(&mut probs, &[0.9, 0.5, 1.0, f64::NAN], &rules());
        assert!((probs.get(0, BODY) - 0.5).abs() < 1e-12); // odds 9 × 1/9
        assert!((probs.get(0, Nav as usize) - 0.25).abs() < 1e-12);
        assert_eq!(probs.get(1, BODY), 0.9); // half the pages: no evidence
        assert!(probs.get(2, BODY) > 0.0 && probs.get(2, BODY) < 0.1);
        assert_eq!(probs.get(3, BODY), 0.9);
        for i in 0..4 {
            assert!((probs.row(i).iter().sum::<f64>() - 1.0).abs() < 1e-12);
        }
    }

    #[test]
    fn surrogates_are_kept_apart() {
        let bytes = "a\u{4e00}"
            .bytes()
            .chain([0xed, 0xa0, 0x80, 0xed, 0xbf, 0xbf]);
        let text = from_surrogatepass(&bytes.collect::<Vec<u8>>());
        let got: Vec<u32> = text.chars().map(u32::from).collect();
        assert_eq!(
            got,
            vec![0x61, 0x4e00, SURROGATE_BASE, SURROGATE_BASE + 0x7ff]
        );
        assert!(has_text(&text));
        assert_eq!(from_surrogatepass(&[0xf0]).chars().count(), 1); // cut short: no panic
    }

    #[test]
    fn has_text_and_code_elements() {
        let d = decoder();
        assert!(!has_text("") && !has_text("\u{e5e5}\u{f0000}") && has_text("\u{e5e5}a"));
        assert!(d.is_code_element("<SCRIPT LANGUAGE=x>") && d.is_code_element("</Style"));
        assert!(!d.is_code_element("x<script>"));
    }
}
