//! A page decided in the core from end to end: features, both passes of the
//! classifiers and the decode, with no call back into Python.
//!
//! `decode::Decoder::decide` reads every (sub-)page it needs through a
//! [`Reader`]; here that reader is the core's own featurizer and models, so a
//! page's whole decision runs with the GIL released. (Python's
//! `decode.decide` keeps a reader that calls back into Python for models that
//! are not the package's: the training tools' LightGBM boosters.)

use pyo3::prelude::*;
use pyo3::types::{PyAny, PyByteArray};

use pyo3::exceptions::PyValueError;

use crate::decode::{
    py_lines, Decision, DecodeError, Decoder, Matrix, Reader, Reading, Rules, N_CLASSES,
};
use crate::features::{read_markup_args, read_page, Featurizer, Markup, MarkupArgs, Page};
use crate::headline::Ranker;
use crate::nets::{to_bytearray, Classifier, Precision, PyModel};
use crate::reasons::{reasons_to_py, Decided, Reasons};
use crate::stack::{beliefs, BaseColumns};

/// Reads lines of one page with the core's features and models.
struct CoreReader<'a> {
    featurizer: &'a Featurizer,
    page: &'a Page,
    markup: Option<&'a Markup>,
    first: &'a Classifier,
    second: &'a Classifier,
    at: BaseColumns,
    cols: usize,
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
        let n = rows.len();
        let cells = n
            .checked_mul(self.cols)
            .ok_or_else(|| DecodeError::Shape("page too large for one matrix".into()))?;
        let mut x = vec![0.0; cells];
        self.featurizer.fill(page, markup, &mut x, self.cols);
        let probs = beliefs(
            &x,
            n,
            self.cols,
            self.first,
            self.second,
            self.at,
            Precision::DEFAULT,
        )
        .map_err(|e| DecodeError::Config(e.0))?;
        Ok(Reading {
            x1: Matrix::new(x, n, self.cols)?,
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

/// The arguments both entry points take, as Python hands them over.
struct PageArgs<'py> {
    featurizer: Bound<'py, Featurizer>,
    first: Bound<'py, PyModel>,
    second: Bound<'py, PyModel>,
    decoder: Bound<'py, Decoder>,
    threshold: f64,
    at: (usize, usize, usize),
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
    let featurizer = args.featurizer.get();
    let reader = CoreReader {
        featurizer,
        page: &page,
        markup: markup.as_ref(),
        first: &args.first.get().inner,
        second: &args.second.get().inner,
        at: BaseColumns {
            han: args.at.0,
            latin_ratio: args.at.1,
            chars: args.at.2,
        },
        cols: featurizer.columns(markup.is_some()),
    };
    let decoder = args.decoder.get();
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

/// `decode.decide` for the package's own models, in the core from end to end.
///
/// `at` holds the feature columns of han, latin_ratio and chars (the
/// stacking reads them); `decoder` must be built with the names of the
/// featurizer's columns (with the HTML ones when `markup` is given).
#[pyfunction]
#[pyo3(signature = (
    featurizer, first, second, decoder, folded, threshold, at,
    template=None, markup=None, ranker=None, rules=None
))]
#[allow(clippy::too_many_arguments)]
fn decide_page<'py>(
    py: Python<'py>,
    featurizer: Bound<'py, Featurizer>,
    first: Bound<'py, PyModel>,
    second: Bound<'py, PyModel>,
    decoder: Bound<'py, Decoder>,
    folded: &Bound<'py, PyAny>,
    threshold: f64,
    at: (usize, usize, usize),
    template: Option<Vec<f64>>,
    markup: Option<MarkupArgs<'py>>,
    ranker: Option<Bound<'py, Ranker>>,
    rules: Option<Bound<'py, Rules>>,
) -> PyResult<PagePy<'py>> {
    let args = PageArgs {
        featurizer,
        first,
        second,
        decoder,
        threshold,
        at,
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
    featurizer, first, second, decoder, reasons, folded, threshold, at,
    template=None, markup=None, ranker=None, rules=None
))]
#[allow(clippy::too_many_arguments)]
fn extract_page<'py>(
    py: Python<'py>,
    featurizer: Bound<'py, Featurizer>,
    first: Bound<'py, PyModel>,
    second: Bound<'py, PyModel>,
    decoder: Bound<'py, Decoder>,
    reasons: Bound<'py, Reasons>,
    folded: &Bound<'py, PyAny>,
    threshold: f64,
    at: (usize, usize, usize),
    template: Option<Vec<f64>>,
    markup: Option<MarkupArgs<'py>>,
    ranker: Option<Bound<'py, Ranker>>,
    rules: Option<Bound<'py, Rules>>,
) -> PyResult<ExtractedPy<'py>> {
    let args = PageArgs {
        featurizer,
        first,
        second,
        decoder,
        threshold,
        at,
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

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(decide_page, m)?)?;
    m.add_function(wrap_pyfunction!(extract_page, m)?)?;
    Ok(())
}
