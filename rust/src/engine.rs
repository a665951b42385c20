//! A page decided in the core from end to end: features, both passes of the
//! classifiers and the decode, with no call back into Python.
//!
//! `decode::Decoder::decide` reads every (sub-)page it needs through a
//! [`Reader`]; here that reader is the core's own featurizer and models, so a
//! page's whole decision runs with the GIL released. (Python's
//! `decode.decide` keeps a reader that calls back into Python for models that
//! are not the package's: the training tools' LightGBM boosters.)

use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{PyAny, PyByteArray, PyList, PyString, PyTuple, PyType};
use pyo3::{ffi, PyErr};

use pyo3::exceptions::PyValueError;

use std::sync::Arc;

use crate::decode::{
    py_lines, Decision, DecodeError, Decoder, Held, Matrix, Reader, Reading, Rules, N_CLASSES,
};
use crate::features::{read_markup_args, read_page, Featurizer, Markup, MarkupArgs, Page};
use crate::headline::Ranker;
use crate::nets::{to_bytearray, Classifier, Precision, PyModel};
use crate::reasons::{reasons_to_py, Decided, Reasons};
use crate::stack::{beliefs, beliefs_by_blocks, BaseColumns, SQUASH_PAGE_ROWS};

/// Pages up to this many lines are read whole; a longer one a block of
/// [`FEATURE_BLOCK`] lines at a time, so that its features never exist all
/// at once (docs/reliability.md gives the memory a line either way).
const WHOLE_PAGE_ROWS: usize = SQUASH_PAGE_ROWS;
const FEATURE_BLOCK: usize = 4096;

/// Reads lines of one page with the core's features and models.
struct CoreReader<'a> {
    featurizer: &'a Featurizer,
    page: &'a Page,
    markup: Option<&'a Markup>,
    first: &'a Classifier,
    second: &'a Classifier,
    at: BaseColumns,
    cols: usize,
    /// The feature columns a reading keeps (the rules' and the reasons'),
    /// or all of them.
    held: Option<Arc<Held>>,
}

impl CoreReader<'_> {
    /// Rows of all `cols` features, as the reading keeps them.
    fn keep(&self, rows: &[f64], into: &mut Vec<f64>) {
        match &self.held {
            None => into.extend_from_slice(rows),
            Some(h) => {
                for row in rows.chunks_exact(self.cols) {
                    into.extend(h.gather(row));
                }
            }
        }
    }
}

impl Reader for CoreReader<'_> {
    type Error = DecodeError;

    fn read(&self, rows: &[usize]) -> Result<Reading, DecodeError> {
        // `rows` are ascending indices into the page: all of them is the page itself.
        let whole = rows.len() == self.page.len();
        let sub_page;
        let page = if whole {
            self.page
        } else {
            sub_page = Page::new(rows.iter().map(|&i| self.page.line(i)));
            &sub_page
        };
        let sub_markup;
        let markup = match self.markup {
            Some(m) if !whole => {
                sub_markup = m.subset(rows);
                Some(&sub_markup)
            }
            other => other,
        };
        let (n, cols) = (rows.len(), self.cols);
        let mut kept = Vec::new();
        let mut reserve = |width: usize| {
            kept.try_reserve_exact(n.saturating_mul(width))
                .map_err(|_| DecodeError::Shape("page too large for its features".into()))
        };
        if let Some(h) = &self.held {
            reserve(h.len())?;
        }
        let probs = if n <= WHOLE_PAGE_ROWS {
            let mut x = vec![0.0; n * cols];
            self.featurizer.fill(page, markup, &mut x, cols);
            let probs = beliefs(
                &x,
                n,
                cols,
                self.first,
                self.second,
                self.at,
                Precision::DEFAULT,
            );
            match &self.held {
                None => kept = x,
                Some(_) => self.keep(&x, &mut kept),
            }
            probs
        } else {
            if self.held.is_none() {
                reserve(cols)?;
            }
            let prepared = self.featurizer.prepare(page, markup, cols);
            beliefs_by_blocks(
                n,
                cols,
                FEATURE_BLOCK,
                |range, out| {
                    self.featurizer
                        .fill_rows(&prepared, page, markup, range, out);
                },
                |_, x| self.keep(x, &mut kept),
                self.first,
                self.second,
                self.at,
                Precision::DEFAULT,
            )
        }
        .map_err(|e| DecodeError::Config(e.0))?;
        let x1 = match &self.held {
            None => Matrix::new(kept, n, cols)?,
            Some(h) => Matrix::holding(kept, n, cols, Arc::clone(h))?,
        };
        Ok(Reading {
            x1,
            probs: Matrix::new(probs, n, N_CLASSES)?,
        })
    }
}

/// What `decide_page` gives Python: labels (class indices), body beliefs,
/// title rows, dropped rows, section header, and the page's features as read
/// whole (`rows × columns` doubles, zeros on blank lines).
type PagePy<'py> = (
    Vec<u8>,
    Bound<'py, PyByteArray>,
    Vec<usize>,
    Vec<usize>,
    Option<usize>,
    Bound<'py, PyByteArray>,
);

/// What `extract_page` gives Python: labels (class indices), body beliefs,
/// title rows and one reason code a line; plain lists, for a caller that
/// does not load numpy.
type ExtractedPy<'py> = (Vec<u8>, Vec<f64>, Vec<usize>, Vec<Bound<'py, PyAny>>);

/// What reads any page of one path, made once in Python (`engine.parts`):
/// the featurizer, both models, the decoder (built with the names of the
/// featurizer's columns, with the HTML ones for the HTML path's models) and
/// where the stacking finds han, latin_ratio and chars.
#[derive(FromPyObject)]
struct PageParts<'py>(
    Bound<'py, Featurizer>,
    Bound<'py, PyModel>,
    Bound<'py, PyModel>,
    Bound<'py, Decoder>,
    (usize, usize, usize),
);

/// The arguments both entry points take, as Python hands them over.
struct PageArgs<'py> {
    parts: PageParts<'py>,
    threshold: f64,
    template: Option<Vec<f64>>,
    markup: Option<MarkupArgs<'py>>,
    ranker: Option<Bound<'py, Ranker>>,
    rules: Option<Bound<'py, Rules>>,
}

/// Decides a page in the core (GIL released); with `reasons`, explains it too.
fn decide_in_core(
    py: Python<'_>,
    args: &PageArgs<'_>,
    folded: &Bound<'_, PyAny>,
    reasons: Option<&Reasons>,
) -> PyResult<(Decision, Vec<String>)> {
    let page = read_page(folded)?;
    let lines = py_lines(folded)?;
    let markup = read_markup_args(page.len(), args.markup.as_ref())?;
    let PageParts(featurizer, first, second, decoder, at) = &args.parts;
    let (featurizer, decoder) = (featurizer.get(), decoder.get());
    let cols = featurizer.columns(markup.is_some());
    // Explained pages keep the columns the rules and the reasons read; a
    // decision handed to Python keeps them all.
    let held = match reasons {
        None => None,
        Some(r) => {
            let wanted = [decoder.feature_columns(), r.feature_columns()].concat();
            Some(Arc::new(Held::new(cols, wanted)?))
        }
    };
    let reader = CoreReader {
        featurizer,
        page: &page,
        markup: markup.as_ref(),
        first: &first.get().inner,
        second: &second.get().inner,
        at: BaseColumns {
            han: at.0,
            latin_ratio: at.1,
            chars: at.2,
        },
        cols,
        held,
    };
    let ranker = args.ranker.as_ref().map(|r| r.get());
    let rules = args
        .rules
        .as_ref()
        .map_or_else(Rules::default, |r| *r.get());
    let (threshold, template) = (args.threshold, args.template.as_deref());
    py.detach(|| {
        let decision = decoder.decide(&lines, threshold, template, &reader, ranker, &rules)?;
        let why = match reasons {
            None => Vec::new(),
            Some(r) => {
                let page = Decided {
                    labels: &decision.labels,
                    features: &decision.features,
                    title_rows: &decision.title_rows,
                    dropped: &decision.dropped,
                    section_header: decision.section_header,
                };
                r.explain(decoder, &lines, &page)
                    .map_err(PyValueError::new_err)?
            }
        };
        Ok((decision, why))
    })
}

/// `decode.decide` for the package's own models, in the core from end to end;
/// `parts` as [`PageParts`] has them.
#[pyfunction]
#[pyo3(signature = (parts, folded, threshold, template=None, markup=None, ranker=None, rules=None))]
#[allow(clippy::too_many_arguments)]
fn decide_page<'py>(
    py: Python<'py>,
    parts: PageParts<'py>,
    folded: &Bound<'py, PyAny>,
    threshold: f64,
    template: Option<Vec<f64>>,
    markup: Option<MarkupArgs<'py>>,
    ranker: Option<Bound<'py, Ranker>>,
    rules: Option<Bound<'py, Rules>>,
) -> PyResult<PagePy<'py>> {
    let args = PageArgs {
        parts,
        threshold,
        template,
        markup,
        ranker,
        rules,
    };
    let (decision, _) = decide_in_core(py, &args, folded, None)?;
    let labels = decision.labels.iter().map(|&l| l as u8).collect();
    let body = to_bytearray(py, &decision.body_belief);
    let features = to_bytearray(py, &decision.features.into_data());
    Ok((
        labels,
        body,
        decision.title_rows,
        decision.dropped,
        decision.section_header,
        features,
    ))
}

/// `decide_page` and `reasons.explain` in one call: what `zhengwen.extract`
/// needs of a page (labels, body beliefs, title rows, reasons), as lists.
#[pyfunction]
#[pyo3(signature = (
    parts, reasons, folded, threshold, template=None, markup=None, ranker=None, rules=None
))]
#[allow(clippy::too_many_arguments)]
fn extract_page<'py>(
    py: Python<'py>,
    parts: PageParts<'py>,
    reasons: Bound<'py, Reasons>,
    folded: &Bound<'py, PyAny>,
    threshold: f64,
    template: Option<Vec<f64>>,
    markup: Option<MarkupArgs<'py>>,
    ranker: Option<Bound<'py, Ranker>>,
    rules: Option<Bound<'py, Rules>>,
) -> PyResult<ExtractedPy<'py>> {
    let args = PageArgs {
        parts,
        threshold,
        template,
        markup,
        ranker,
        rules,
    };
    let (decision, why) = decide_in_core(py, &args, folded, Some(reasons.get()))?;
    let labels = decision.labels.iter().map(|&l| l as u8).collect();
    Ok((
        labels,
        decision.body_belief,
        decision.title_rows,
        reasons_to_py(py, &why)?,
    ))
}

/// `[cls(i, texts[i], labels[codes[i]], scores[i], reasons[i]) for i in …]`
/// for `cls`, a frozen dataclass of the five `fields`, made as its
/// `__init__` makes an instance (`object.__new__`, then `object.__setattr__`
/// of each field in order) but without a Python call a field: a page's
/// `Line` objects, built at a seventh of the cost.
#[pyfunction]
#[allow(clippy::too_many_arguments)]
fn new_lines<'py>(
    py: Python<'py>,
    cls: &Bound<'py, PyType>,
    fields: [Bound<'py, PyString>; 5],
    texts: &Bound<'py, PyList>,
    labels: &Bound<'py, PyTuple>,
    codes: Vec<u8>,
    scores: &Bound<'py, PyList>,
    reasons: &Bound<'py, PyList>,
) -> PyResult<Bound<'py, PyList>> {
    let n = texts.len();
    if codes.len() != n || scores.len() != n || reasons.len() != n {
        return Err(PyValueError::new_err(format!(
            "{n} texts, {} labels, {} scores and {} reasons",
            codes.len(),
            scores.len(),
            reasons.len()
        )));
    }
    let new = cls.getattr(intern!(py, "__new__"))?;
    let out = PyList::empty(py);
    for (i, &code) in codes.iter().enumerate() {
        let line = new.call1((cls,))?;
        let values = [
            i.into_pyobject(py)?.into_any(),
            texts.get_item(i)?,
            labels.get_item(usize::from(code))?,
            scores.get_item(i)?,
            reasons.get_item(i)?,
        ];
        for (field, value) in fields.iter().zip(&values) {
            // SAFETY: three valid object pointers, borrowed for the call;
            // `object.__setattr__` is this function.
            let status = unsafe {
                ffi::PyObject_GenericSetAttr(line.as_ptr(), field.as_ptr(), value.as_ptr())
            };
            if status != 0 {
                return Err(PyErr::fetch(py));
            }
        }
        out.append(line)?;
    }
    Ok(out)
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(new_lines, m)?)?;
    m.add_function(wrap_pyfunction!(decide_page, m)?)?;
    m.add_function(wrap_pyfunction!(extract_page, m)?)?;
    Ok(())
}
