//! Per-line features, computed for the whole page at once: one row of `f64`
//! a line, base features (counts, patterns, lexicon hits), then the same
//! evidence summed over windows of lines (context), then, for pages read from
//! HTML, what the markup knows.
//!
//! The single implementation of `zhengwen.features`; the lexicons stay Python
//! data files, handed over once when a [`Featurizer`] is made.

mod base;
mod classes;
mod context;
pub mod html;
pub mod page;
mod patterns;

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyByteArray, PyBytes, PyDict, PyString};

pub use base::Lexicon;
pub use classes::ClassTable;
pub use html::Markup;
pub use page::Page;
pub use patterns::Patterns;

/// Columns of the base features before the lexicon's.
pub mod col {
    pub const CHARS: usize = 0;
    pub const LOG_CHARS: usize = 1;
    pub const HAN: usize = 2;
    pub const HAN_RATIO: usize = 3;
    pub const FUNC_RATIO: usize = 4;
    pub const SENT_END: usize = 5;
    pub const CLAUSE: usize = 6;
    pub const PUNCT_RATIO: usize = 7;
    pub const QUOTE: usize = 8;
    pub const DIGIT_RATIO: usize = 9;
    pub const LATIN_RATIO: usize = 10;
    pub const SEP_RATIO: usize = 11;
    pub const PERIOD: usize = 12;
    pub const ENDS_SENTENCE: usize = 13;
    pub const ENDS_CLOSER: usize = 14;
    pub const ENDS_OPEN: usize = 15;
    pub const FIRST_IS_DIGIT: usize = 16;
    pub const FIRST_IS_SEP: usize = 17;
    pub const STARTS_PUNCT: usize = 18;
    pub const DATE_COVER: usize = 19;
    pub const HAS_TIME: usize = 20;
    pub const AGO: usize = 21;
    pub const LIST_START: usize = 22;
    pub const CONTACT: usize = 23;
    pub const LEGAL: usize = 24;
    pub const META_KEY: usize = 25;
    pub const BYLINE: usize = 26;
    pub const COUNT_WORD: usize = 27;
    pub const MARKDOWN: usize = 28;
    pub const BRACKETED: usize = 29;
    /// The first lexicon column.
    pub const LEX: usize = 30;
}

const FIXED_NAMES: [&str; col::LEX] = [
    "chars",
    "log_chars",
    "han",
    "han_ratio",
    "func_ratio",
    "sent_end",
    "clause",
    "punct_ratio",
    "quote",
    "digit_ratio",
    "latin_ratio",
    "sep_ratio",
    "period",
    "ends_sentence",
    "ends_closer",
    "ends_open",
    "first_is_digit",
    "first_is_sep",
    "starts_punct",
    "date_cover",
    "has_time",
    "ago",
    "list_start",
    "contact",
    "legal",
    "meta_key",
    "byline",
    "count_word",
    "markdown",
    "bracketed",
];

const TAIL_NAMES: [&str; 8] = [
    "dup_count",
    "position",
    "han_before",
    "n_lines",
    "page_han",
    "han_rank",
    "head_echo",
    "prose_overlap",
];

/// Where each column is, given the lexicon's kinds (their names and order
/// come from `zhengwen.lexicon.Kind`).
pub struct Layout {
    kinds: usize,
    /// The kind whose words prefix metadata (not furniture).
    meta_kind: usize,
    /// The kind of "related articles" headers.
    related_kind: usize,
}

impl Layout {
    /// The layout for `kinds`, which must name "meta_prefix" and "related_header".
    pub fn new(kinds: &[String]) -> Result<Self, String> {
        let find = |name: &str| {
            kinds
                .iter()
                .position(|k| k == name)
                .ok_or_else(|| format!("no lexicon kind {name:?} among {kinds:?}"))
        };
        if kinds.len() > 64 {
            return Err(format!("{} lexicon kinds; at most 64", kinds.len()));
        }
        Ok(Self {
            kinds: kinds.len(),
            meta_kind: find("meta_prefix")?,
            related_kind: find("related_header")?,
        })
    }

    pub fn lex_exact(&self, kind: usize) -> usize {
        col::LEX + kind
    }
    pub fn lex_start(&self, kind: usize) -> usize {
        col::LEX + self.kinds + kind
    }
    pub fn lex_cover(&self, kind: usize) -> usize {
        col::LEX + 2 * self.kinds + kind
    }
    fn tail(&self) -> usize {
        col::LEX + 3 * self.kinds
    }
    pub fn dup_count(&self) -> usize {
        self.tail()
    }
    pub fn position(&self) -> usize {
        self.tail() + 1
    }
    pub fn han_before(&self) -> usize {
        self.tail() + 2
    }
    pub fn n_lines(&self) -> usize {
        self.tail() + 3
    }
    pub fn page_han(&self) -> usize {
        self.tail() + 4
    }
    pub fn han_rank(&self) -> usize {
        self.tail() + 5
    }
    pub fn head_echo(&self) -> usize {
        self.tail() + 6
    }
    pub fn prose_overlap(&self) -> usize {
        self.tail() + 7
    }
    /// The number of base columns.
    pub fn n_base(&self) -> usize {
        self.tail() + TAIL_NAMES.len()
    }
    /// Base and context columns.
    pub fn n_all(&self) -> usize {
        self.n_base() + context::N_CONTEXT
    }
}

/// The names of the base, context and HTML columns, for lexicon `kinds`.
pub fn names(kinds: &[String]) -> (Vec<String>, Vec<String>, Vec<String>) {
    let mut base: Vec<String> = FIXED_NAMES.iter().map(|s| s.to_string()).collect();
    for what in ["exact", "start", "cover"] {
        base.extend(kinds.iter().map(|k| format!("lex_{what}_{k}")));
    }
    base.extend(TAIL_NAMES.iter().map(|s| s.to_string()));
    (base, context::names(), html::names())
}

/// A row-major matrix over a caller's buffer.
pub struct Matrix<'a> {
    data: &'a mut [f64],
    cols: usize,
}

impl<'a> Matrix<'a> {
    /// `data` as rows of `cols` values (`data.len()` a multiple of `cols`).
    pub fn new(data: &'a mut [f64], cols: usize) -> Self {
        Self { data, cols }
    }

    #[inline]
    pub fn row(&self, i: usize) -> &[f64] {
        &self.data[i * self.cols..(i + 1) * self.cols]
    }

    #[inline]
    pub fn row_mut(&mut self, i: usize) -> &mut [f64] {
        &mut self.data[i * self.cols..(i + 1) * self.cols]
    }

    #[inline]
    pub fn at(&self, i: usize, c: usize) -> f64 {
        self.data[i * self.cols + c]
    }

    #[inline]
    pub fn at_mut(&mut self, i: usize, c: usize) -> &mut f64 {
        &mut self.data[i * self.cols + c]
    }
}

/// What computes a page's features: the character classes, the lexicon and
/// the patterns, built once.
#[pyclass(frozen, module = "zhengwen._core")]
pub struct Featurizer {
    table: ClassTable,
    lexicon: Lexicon,
    patterns: Patterns,
    layout: Layout,
}

impl Featurizer {
    /// A featurizer from the lexicon's phrases (generalised UTF-8) with their
    /// kinds' bitmasks, its grammar characters and the names of its kinds.
    pub fn build(
        words: Vec<(Vec<u8>, u64)>,
        function_chars: &str,
        kinds: &[String],
    ) -> Result<Self, String> {
        Ok(Self {
            table: ClassTable::new(function_chars)?,
            lexicon: Lexicon::new(words)?,
            patterns: Patterns::new().map_err(|e| e.to_string())?,
            layout: Layout::new(kinds)?,
        })
    }

    /// The columns of a page's matrix: base and context, and HTML with markup.
    pub fn columns(&self, with_html: bool) -> usize {
        self.layout.n_all() + if with_html { html::N_HTML } else { 0 }
    }

    /// Fills `out` (zeros, `page.len()` rows of `cols` values) with the base
    /// features, and with the context ones when `cols` has room for them,
    /// and the HTML ones after them when `markup` is given.
    pub fn fill(&self, page: &Page, markup: Option<&Markup>, out: &mut [f64], cols: usize) {
        let n = page.len();
        let mut x = Matrix::new(out, cols);
        let mut context =
            (cols >= self.layout.n_all()).then(|| context::ContextFacts::with_capacity(n));
        let facts = base::BaseFacts::new(
            &self.table,
            &self.lexicon,
            &self.patterns,
            &self.layout,
            page,
            Some(&mut x),
            |row| {
                if let Some(c) = context.as_mut() {
                    c.push(&self.layout, row);
                }
            },
        );
        facts.rows(&self.lexicon, &self.layout, page, 0..n, &mut x, true);
        if let Some(context) = context {
            context.rows(&self.layout, 0..n, &mut x);
        }
        if let Some(markup) = markup {
            html::html_features(page, markup, &mut x, self.layout.n_all());
        }
    }

    /// What any block of `page`'s rows needs of the whole page, for
    /// [`Featurizer::fill_rows`]: about 150 bytes a line, where the whole
    /// matrix takes `cols` doubles. The page's characters are read here once:
    /// each line's own columns are kept as a few integers, and a block's rows
    /// are written from them when filled.
    pub fn prepare(&self, page: &Page, markup: Option<&Markup>, cols: usize) -> Prepared {
        let n = page.len();
        let with_context = cols >= self.layout.n_all();
        let mut context = with_context.then(|| context::ContextFacts::with_capacity(n));
        // The context's running sums take each row as the per-line pass makes it.
        let base = base::BaseFacts::new(
            &self.table,
            &self.lexicon,
            &self.patterns,
            &self.layout,
            page,
            None,
            |row| {
                if let Some(c) = context.as_mut() {
                    c.push(&self.layout, row);
                }
            },
        );
        let html = markup.map(|m| html::HtmlFacts::new(page, m));
        Prepared {
            base,
            context,
            html,
            cols,
        }
    }

    /// Fills `out` (zeros, `range.len()` rows of the prepared columns) with
    /// lines `range` of the page `prepared` was made from: the very values
    /// [`Featurizer::fill`] gives those rows.
    pub fn fill_rows(
        &self,
        prepared: &Prepared,
        page: &Page,
        markup: Option<&Markup>,
        range: std::ops::Range<usize>,
        out: &mut [f64],
    ) {
        let mut x = Matrix::new(out, prepared.cols);
        prepared.base.rows(
            &self.lexicon,
            &self.layout,
            page,
            range.clone(),
            &mut x,
            false,
        );
        if let Some(context) = &prepared.context {
            context.rows(&self.layout, range.clone(), &mut x);
        }
        if let (Some(facts), Some(markup)) = (&prepared.html, markup) {
            facts.rows(page, markup, range, &mut x, self.layout.n_all());
        }
    }

    /// The matrix as a Python `bytearray` of `f64` in native byte order
    /// (little-endian wherever this is built), computed without the GIL.
    fn matrix<'py>(
        &self,
        py: Python<'py>,
        page: &Page,
        markup: Option<&Markup>,
        cols: usize,
    ) -> PyResult<Bound<'py, PyByteArray>> {
        let cells = page
            .len()
            .checked_mul(cols)
            .filter(|c| c.checked_mul(8).is_some())
            .ok_or_else(|| PyValueError::new_err("page too large for one matrix"))?;
        fill_bytes(py, cells, |data| self.fill(page, markup, data, cols))
    }
}

/// A page's facts for filling its rows a block at a time ([`Featurizer::prepare`]).
pub struct Prepared {
    base: base::BaseFacts,
    context: Option<context::ContextFacts>,
    html: Option<html::HtmlFacts>,
    cols: usize,
}

/// A zeroed `bytearray` of `cells` `f64`, filled by `fill` without the GIL.
fn fill_bytes<'py>(
    py: Python<'py>,
    cells: usize,
    fill: impl FnOnce(&mut [f64]) + Send,
) -> PyResult<Bound<'py, PyByteArray>> {
    PyByteArray::new_with(py, cells * 8, |bytes| {
        py.detach(|| match bytemuck::try_cast_slice_mut::<u8, f64>(bytes) {
            Ok(data) => fill(data),
            Err(_) => {
                // A buffer not aligned for f64 (no allocator Python uses
                // gives one): fill a copy.
                let mut data = vec![0.0f64; cells];
                fill(&mut data);
                bytes.copy_from_slice(bytemuck::cast_slice(&data));
            }
        });
        Ok(())
    })
}

/// The bytes of a Python `str` in generalised UTF-8: UTF-8, with a lone
/// surrogate as `surrogatepass` writes it (UTF-8 refuses it).
fn with_str_bytes<R>(s: &Bound<'_, PyString>, f: impl FnOnce(&[u8]) -> R) -> PyResult<R> {
    match s.encode_utf8() {
        Ok(b) => Ok(f(b.as_bytes())),
        Err(_) => {
            let b = s.call_method1("encode", ("utf-8", "surrogatepass"))?;
            Ok(f(b.cast::<PyBytes>()?.as_bytes()))
        }
    }
}

/// A page from a Python iterable of `str`.
pub(crate) fn read_page(folded: &Bound<'_, PyAny>) -> PyResult<Page> {
    let mut page = Page::new([]);
    for line in folded.try_iter()? {
        let line = line?;
        with_str_bytes(line.cast::<PyString>()?, |b| page.push(b))?;
    }
    Ok(page)
}

/// Optional `str` → its bytes with Python's whitespace (`str.split()`) removed.
fn folded_str(s: Option<&Bound<'_, PyString>>) -> PyResult<Vec<u8>> {
    match s {
        None => Ok(Vec::new()),
        Some(s) => with_str_bytes(s, html::without_spaces),
    }
}

/// The markup facts of an `n`-line page from Python's optional
/// `(link_chars, block, title, h1)`.
pub(crate) fn read_markup_args(
    n: usize,
    markup: Option<&MarkupArgs<'_>>,
) -> PyResult<Option<Markup>> {
    markup
        .map(|(links, block, title, h1)| read_markup(n, links, block, title.as_ref(), h1.as_ref()))
        .transpose()
}

/// The markup facts from `(link_chars, block, title, h1)`.
pub(crate) fn read_markup(
    n: usize,
    link_chars: &Bound<'_, PyAny>,
    block: &Bound<'_, PyAny>,
    title: Option<&Bound<'_, PyString>>,
    h1: Option<&Bound<'_, PyString>>,
) -> PyResult<Markup> {
    let mut linked = Vec::with_capacity(n);
    for v in link_chars.try_iter()? {
        linked.push(v?.extract::<f64>()? > 0.0);
    }
    let mut groups = Vec::with_capacity(n);
    for tag in block.try_iter()? {
        let tag = tag?;
        let group = match tag.cast::<PyString>() {
            Ok(s) => s.to_str().map_or(html::OTHER_GROUP, html::group_of),
            Err(_) => html::OTHER_GROUP,
        };
        groups.push(group);
    }
    if linked.len() != n || groups.len() != n {
        return Err(PyValueError::new_err(format!(
            "markup for {} and {} lines, the page has {n}",
            linked.len(),
            groups.len()
        )));
    }
    Ok(Markup {
        linked,
        groups,
        title: folded_str(title)?,
        h1: folded_str(h1)?,
    })
}

pub(crate) type MarkupArgs<'py> = (
    Bound<'py, PyAny>,
    Bound<'py, PyAny>,
    Option<Bound<'py, PyString>>,
    Option<Bound<'py, PyString>>,
);

#[pymethods]
impl Featurizer {
    /// From `lexicon.exact_index()` (phrase → bitmask of kinds),
    /// `lexicon.function_chars()` and the kinds' names in bit order.
    #[new]
    fn py_new(
        exact_index: &Bound<'_, PyDict>,
        function_chars: &str,
        kinds: Vec<String>,
    ) -> PyResult<Self> {
        let mut words = Vec::with_capacity(exact_index.len());
        for (word, mask) in exact_index.iter() {
            let bytes = with_str_bytes(word.cast::<PyString>()?, <[u8]>::to_vec)?;
            words.push((bytes, mask.extract::<u64>()?));
        }
        Self::build(words, function_chars, &kinds).map_err(PyValueError::new_err)
    }

    /// The number of base columns.
    #[getter]
    fn n_base(&self) -> usize {
        self.layout.n_base()
    }

    /// The base features of the lines `folded`: `len(folded)` rows of
    /// `n_base` `f64`, row-major, as a `bytearray`.
    fn line_features<'py>(
        &self,
        py: Python<'py>,
        folded: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyByteArray>> {
        let page = read_page(folded)?;
        self.matrix(py, &page, None, self.layout.n_base())
    }

    /// Base and context features of `folded` (and, with `markup` =
    /// `(link_chars, block, title, h1)`, the HTML ones): `len(folded)` rows,
    /// row-major `f64`, as a `bytearray`.
    #[pyo3(signature = (folded, markup=None))]
    fn page_features<'py>(
        &self,
        py: Python<'py>,
        folded: &Bound<'py, PyAny>,
        markup: Option<MarkupArgs<'py>>,
    ) -> PyResult<Bound<'py, PyByteArray>> {
        let page = read_page(folded)?;
        let markup = read_markup_args(page.len(), markup.as_ref())?;
        self.matrix(py, &page, markup.as_ref(), self.columns(markup.is_some()))
    }
}

/// The HTML features alone: `len(folded)` rows of `len(HTML_NAMES)` `f64`.
#[pyfunction]
#[pyo3(signature = (folded, link_chars, block, title, h1))]
fn html_features<'py>(
    py: Python<'py>,
    folded: &Bound<'py, PyAny>,
    link_chars: &Bound<'py, PyAny>,
    block: &Bound<'py, PyAny>,
    title: Option<Bound<'py, PyString>>,
    h1: Option<Bound<'py, PyString>>,
) -> PyResult<Bound<'py, PyByteArray>> {
    let page = read_page(folded)?;
    let markup = read_markup(page.len(), link_chars, block, title.as_ref(), h1.as_ref())?;
    let cells = page
        .len()
        .checked_mul(html::N_HTML)
        .ok_or_else(|| PyValueError::new_err("page too large for one matrix"))?;
    fill_bytes(py, cells, |data| {
        html::html_features(&page, &markup, &mut Matrix::new(data, html::N_HTML), 0)
    })
}

/// `(NAMES, CONTEXT_NAMES, HTML_NAMES)` for lexicon `kinds` (in bit order).
#[pyfunction]
fn feature_names(kinds: Vec<String>) -> (Vec<String>, Vec<String>, Vec<String>) {
    names(&kinds)
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Featurizer>()?;
    m.add_function(wrap_pyfunction!(html_features, m)?)?;
    m.add_function(wrap_pyfunction!(feature_names, m)?)?;
    m.add("EDGE_CHARS", classes::edge_chars())?;
    m.add("AGO_SOURCE", patterns::AGO_SOURCE)?;
    m.add("PROSE_HAN", base::PROSE_HAN)?;
    m.add("PROSE_PUNCT", base::PROSE_PUNCT)?;
    Ok(())
}

#[cfg(test)]
mod tests;
