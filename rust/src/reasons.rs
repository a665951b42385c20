//! Name the evidence behind each line's label: a short reason code a line
//! (`zhengwen.reasons.explain`, whose single implementation this is).
//!
//! The label comes from the models and the decode; the reason names the
//! strongest piece of evidence that agrees with it, so `--explain` and the
//! `reasons` counter say *why* in terms a person can check
//! (`section_header:为你推荐`, `icp_pattern`, `sentence_prose`). When no single
//! rule stands out the code is `model:<label>`. Computing it here lets a page
//! come back from the core with its reasons, not its whole feature matrix.

use std::collections::{HashMap, HashSet};

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyAny;
use regex::Regex;

use crate::decode::{has_text, py_lines, py_text, to_py_text, Decoder, Label, Matrix};
use crate::features;
use crate::stack::CLASSES;

/// Han characters from which a punctuated body line reads as prose.
pub const PROSE_HAN: f64 = 15.0;

/// The lexicon kind that names each furniture label, by the kind's name.
const KIND_OF: [(Label, &str); 7] = [
    (Label::Related, "related_header"),
    (Label::Comment, "comment_header"),
    (Label::Pager, "pager"),
    (Label::Share, "share"),
    (Label::Nav, "nav"),
    (Label::Footer, "footer"),
    (Label::Meta, "meta_prefix"),
];

/// The feature columns the reasons read (base features: the same index in
/// every matrix a page is read into, with or without the HTML columns).
#[derive(Debug)]
struct Columns {
    han: usize,
    punct_ratio: usize,
    legal: usize,
    date_cover: usize,
    lex_exact: Vec<usize>,
    lex_start: Vec<usize>,
    /// All of these: what a feature matrix must hold.
    all: Vec<usize>,
}

/// The reason-giver: the lexicons' words (in file order: the first found is
/// named), the surnames, and where its features are.
#[pyclass(frozen, module = "zhengwen._core")]
#[derive(Debug)]
pub struct Reasons {
    kinds: Vec<String>,
    words: Vec<Vec<String>>,
    /// Kind index of each label (`Label as usize`), for the lexicon-named ones.
    kind_of: [Option<usize>; CLASSES.len()],
    related: usize,
    pager: usize,
    comment: usize,
    surnames: HashSet<String>,
    han_name: Regex,
    columns: Columns,
}

/// A page's decision as the reasons read it.
pub struct Decided<'a> {
    pub labels: &'a [Label],
    /// The page's features read whole (zeros on blank lines).
    pub features: &'a Matrix,
    pub title_rows: &'a [usize],
    pub dropped: &'a [usize],
    pub section_header: Option<usize>,
}

impl Reasons {
    /// From the lexicon kinds (in `lexicon.Kind` order), each kind's words in
    /// file order, and the surnames.
    pub fn new(
        kinds: Vec<String>,
        words: Vec<Vec<String>>,
        surnames: Vec<String>,
    ) -> Result<Self, String> {
        if kinds.len() != words.len() {
            return Err(format!("{} kinds, {} word lists", kinds.len(), words.len()));
        }
        let kind = |name: &str| {
            kinds
                .iter()
                .position(|k| k == name)
                .ok_or_else(|| format!("no lexicon kind {name:?}"))
        };
        let mut kind_of = [None; CLASSES.len()];
        for (label, name) in KIND_OF {
            kind_of[label as usize] = Some(kind(name)?);
        }
        let (names, _, _) = features::names(&kinds);
        let col = |name: &str| {
            names
                .iter()
                .position(|n| n == name)
                .ok_or_else(|| format!("no feature named {name:?}"))
        };
        let lex = |what: &str| {
            kinds
                .iter()
                .map(|k| col(&format!("lex_{what}_{k}")))
                .collect::<Result<Vec<_>, _>>()
        };
        let mut columns = Columns {
            han: col("han")?,
            punct_ratio: col("punct_ratio")?,
            legal: col("legal")?,
            date_cover: col("date_cover")?,
            lex_exact: lex("exact")?,
            lex_start: lex("start")?,
            all: Vec::new(),
        };
        columns.all = [
            columns.han,
            columns.punct_ratio,
            columns.legal,
            columns.date_cover,
        ]
        .into_iter()
        .chain(columns.lex_exact.iter().copied())
        .chain(columns.lex_start.iter().copied())
        .collect();
        Ok(Self {
            related: kind("related_header")?,
            pager: kind("pager")?,
            comment: kind("comment_header")?,
            kinds,
            words,
            kind_of,
            surnames: surnames.into_iter().collect(),
            han_name: Regex::new(r"\A\p{Han}{2,4}\z").map_err(|e| e.to_string())?,
            columns,
        })
    }

    /// The first of a kind's words (file order) found in `text` (`reasons._lexicon_word`).
    fn lexicon_word(&self, text: &str, kind: usize) -> Option<&str> {
        self.words[kind]
            .iter()
            .find(|w| text.contains(w.as_str()))
            .map(String::as_str)
    }

    /// Whether a folded line is a Chinese personal name alone (`lexicon.is_bare_name`):
    /// a known surname and one or two Han characters, nothing else.
    pub fn is_bare_name(&self, folded: &str) -> bool {
        if !self.han_name.is_match(folded) {
            return false;
        }
        let n = folded.chars().count();
        [2, 1].into_iter().any(|k| {
            let cut = folded
                .char_indices()
                .nth(k)
                .map_or(folded.len(), |(i, _)| i);
            self.surnames.contains(&folded[..cut])
                && n.checked_sub(k).is_some_and(|rest| (1..=2).contains(&rest))
        })
    }

    /// The feature columns the reasons read.
    pub fn feature_columns(&self) -> &[usize] {
        &self.columns.all
    }

    /// One reason code per line, from the page's features and final labels.
    pub fn explain<S: AsRef<str>>(
        &self,
        decoder: &Decoder,
        folded: &[S],
        page: &Decided<'_>,
    ) -> Result<Vec<String>, String> {
        let x = page.features;
        let n = folded.len();
        let held = self.columns.all.iter().all(|&j| x.holds(j));
        if page.labels.len() != n || x.rows() != n || (n > 0 && !held) {
            return Err(format!(
                "{} labels and features of {} × {} for {n} lines; the reasons read columns {:?}",
                page.labels.len(),
                x.rows(),
                x.cols(),
                self.columns.all
            ));
        }
        let in_page = |i: usize| {
            if i < n {
                Ok(i)
            } else {
                Err(format!("row {i} of a page of {n} lines"))
            }
        };
        let c = &self.columns;
        let text = |i: usize| folded[i].as_ref();
        let dropped: HashSet<usize> = page.dropped.iter().copied().collect();
        let body_rows: Vec<usize> = (0..n).filter(|&i| page.labels[i] == Label::Body).collect();
        let first_body = body_rows.first().copied();
        let last_body = body_rows.last().copied();
        // The line that closed the article (decode's close_sections) and its header word.
        let below = match page.section_header {
            None => None,
            Some(row) => {
                let row = in_page(row)?;
                let word = [self.related, self.pager]
                    .into_iter()
                    .find(|&k| x.get(row, c.lex_exact[k]) != 0.0)
                    .and_then(|k| self.lexicon_word(text(row), k))
                    .unwrap_or_else(|| decoder.line_core(text(row)));
                Some((row, word))
            }
        };
        let title = match page.title_rows.first() {
            Some(&row) => Some(text(in_page(row)?)),
            None => None,
        };
        let mut out = Vec::with_capacity(n);
        for (i, &label) in page.labels.iter().enumerate() {
            let line = text(i);
            let at = |col: usize| x.get(i, col);
            let reason = if line.is_empty() {
                "blank".to_owned()
            } else if !has_text(line) {
                "no_text".to_owned()
            } else if label != Label::Body && decoder.is_code_element(line) {
                "code_element".to_owned()
            } else if dropped.contains(&i) {
                "not_body_when_read_alone".to_owned()
            } else if label == Label::Body {
                let inside =
                    matches!((first_body, last_body), (Some(a), Some(b)) if a < i && i < b);
                if at(c.han) >= PROSE_HAN && at(c.punct_ratio) > 0.0 {
                    "sentence_prose".to_owned()
                } else if inside {
                    "between_body_lines".to_owned()
                } else {
                    "model:body".to_owned()
                }
            } else if label == Label::Title {
                "headline".to_owned()
            } else if label == Label::Footer && at(c.legal) != 0.0 {
                "icp_pattern".to_owned()
            } else if label == Label::Meta && at(c.date_cover) > 0.5 {
                "date_line".to_owned()
            } else if label == Label::Meta && self.is_bare_name(line) {
                "byline".to_owned()
            } else {
                let name = CLASSES[label as usize];
                let word = self.kind_of[label as usize]
                    .filter(|&k| at(c.lex_exact[k]) != 0.0 || at(c.lex_start[k]) != 0.0)
                    .and_then(|k| self.lexicon_word(line, k).map(|w| (k, w)));
                if let Some((k, word)) = word {
                    let code = if k == self.related {
                        "section_header"
                    } else if k == self.comment {
                        "comment_header"
                    } else {
                        "lexicon"
                    };
                    format!("{code}:{word}")
                } else if title == Some(line) {
                    "title_echo".to_owned()
                } else if let Some((_, word)) = below.filter(|&(row, _)| i > row) {
                    format!("below_section_header:{word}")
                } else if matches!((first_body, last_body), (Some(a), Some(b)) if i < a || i > b) {
                    format!("outside_body:{name}")
                } else {
                    format!("model:{name}")
                }
            };
            out.push(reason);
        }
        debug_assert_eq!(self.kinds.len(), self.words.len());
        Ok(out)
    }
}

/// Reasons back to Python, kept surrogates restored (a header's core may hold one).
///
/// A page has a few distinct reasons: each is made once, and its lines share
/// the one `str` (a page of 64,000 lines made 64,000 strings of a dozen
/// kinds).
pub fn reasons_to_py<'py>(py: Python<'py>, reasons: &[String]) -> PyResult<Vec<Bound<'py, PyAny>>> {
    let mut made: HashMap<&str, Bound<'py, PyAny>> = HashMap::new();
    reasons
        .iter()
        .map(|r| match made.get(r.as_str()) {
            Some(text) => Ok(text.clone()),
            None => {
                let text = to_py_text(py, r)?;
                made.insert(r, text.clone());
                Ok(text)
            }
        })
        .collect()
}

#[pymethods]
impl Reasons {
    #[new]
    fn py_new(
        kinds: Vec<String>,
        words: Vec<Vec<String>>,
        surnames: Vec<String>,
    ) -> PyResult<Self> {
        Self::new(kinds, words, surnames).map_err(PyValueError::new_err)
    }

    /// `reasons.explain` for a decision given as Python has it: labels (class
    /// indices), the page's features (`rows × cols` native doubles), title
    /// rows, dropped rows and the section header.
    #[pyo3(name = "explain")]
    #[allow(clippy::too_many_arguments)]
    fn py_explain<'py>(
        &self,
        py: Python<'py>,
        decoder: Bound<'py, Decoder>,
        folded: &Bound<'py, PyAny>,
        labels: Vec<u8>,
        features: &[u8],
        cols: usize,
        title_rows: Vec<usize>,
        dropped: Vec<usize>,
        section_header: Option<usize>,
    ) -> PyResult<Vec<Bound<'py, PyAny>>> {
        let folded = py_lines(folded)?;
        let labels = labels
            .into_iter()
            .map(|v| {
                Label::from_index(usize::from(v))
                    .ok_or_else(|| PyValueError::new_err(format!("no class {v}")))
            })
            .collect::<PyResult<Vec<_>>>()?;
        let x = Matrix::from_ne_bytes(features, folded.len(), cols)?;
        let page = Decided {
            labels: &labels,
            features: &x,
            title_rows: &title_rows,
            dropped: &dropped,
            section_header,
        };
        let out = self
            .explain(decoder.get(), &folded, &page)
            .map_err(PyValueError::new_err)?;
        reasons_to_py(py, &out)
    }

    /// `lexicon.is_bare_name`: a surname and one or two Han characters alone.
    #[pyo3(name = "is_bare_name")]
    fn py_is_bare_name(&self, folded: &Bound<'_, PyAny>) -> PyResult<bool> {
        Ok(self.is_bare_name(&py_text(folded)?))
    }
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("REASONS_PROSE_HAN", PROSE_HAN)?;
    m.add_class::<Reasons>()?;
    Ok(())
}
