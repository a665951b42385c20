//! HTML in, page lines out: the reading behind `zhengwen.html.html_to_page`.
//!
//! Every non-empty text node of the page's `<body>` becomes a line (stripped,
//! split at line breaks), with the block element around it and whether it sits
//! in a link; the `<title>` text and the first `<h1>`'s text come with them.
//! Scripts, styles, `<noscript>`, `<template>`, `<svg>`, comments and the
//! head give no lines.
//!
//! The models were trained on lxml's reading (libxml2 2.14), so this reading
//! reproduces it. libxml2 2.14 tokenizes as the HTML standard says (character
//! references, raw-text and script states, comments, bogus comments) and that
//! part is html5ever's tokenizer here. libxml2 does not build its tree as
//! the standard does, though (no foster parenting, no adoption agency, an
//! old table of start tags that close open elements, priorities for stray end
//! tags, `<x/>` closing any element); a browser's tree would move text
//! between blocks and links on the broken pages where they differ, so those
//! rules are libxml2's, reproduced here on a stack of open elements with
//! no tree. Unlike libxml2 this reading has no depth limit (libxml2 stops at
//! 2048 open elements): every step costs amortised constant time whatever
//! the depth, and nothing recurses.

use std::collections::HashMap;
use std::sync::OnceLock;

use html5ever::tendril::StrTendril;
use html5ever::tokenizer::states::RawKind;
use html5ever::tokenizer::{
    BufferQueue, TagKind, Token, TokenSink, TokenSinkResult, Tokenizer, TokenizerOpts,
};
use html5ever::LocalName;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyList, PyString};

/// The name of this reading, `HtmlPage.parser` in Python.
pub const PARSER: &str = "html5ever";

/// libxml2 keeps at most this many bytes of a tag name (`HTML_PARSER_BUFFER_SIZE`).
const MAX_NAME_BYTES: usize = 100;

/// Input is handed to the tokenizer in pieces of about this many bytes: a
/// tendril holds at most 4 GiB, and smaller pieces keep the copies small.
const FEED_BYTES: usize = 1 << 20;

// ------------------------------------------------------------------ element table

/// How libxml2 reads an element's content (its `dataMode`).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Mode {
    Normal,
    Rcdata,
    Rawtext,
    Script,
    Plaintext,
}

/// What the reading needs to know of a known element name.
#[derive(Clone, Copy, Debug)]
struct Def {
    name: &'static str,
    /// An empty element of libxml2's table: closed as soon as opened.
    empty: bool,
    mode: Mode,
    /// libxml2's end-tag priority class (see [`PRIORITIES`]).
    priority: u8,
    /// One of Python's `BLOCK_TAGS`: names the block its text sits in.
    block: bool,
    /// One of Python's `SKIPPED_TAGS`: its text is no page text.
    skipped: bool,
}

const fn def(name: &'static str) -> Def {
    Def {
        name,
        empty: false,
        mode: Mode::Normal,
        priority: 0,
        block: false,
        skipped: false,
    }
}
const fn empty(name: &'static str) -> Def {
    Def {
        empty: true,
        ..def(name)
    }
}
const fn block(name: &'static str) -> Def {
    Def {
        block: true,
        ..def(name)
    }
}
const fn raw(name: &'static str, mode: Mode) -> Def {
    Def { mode, ..def(name) }
}
const fn prio(d: Def, priority: u8) -> Def {
    Def { priority, ..d }
}
const fn skipped(d: Def) -> Def {
    Def { skipped: true, ..d }
}

/// libxml2's end-tag priorities, by class: a stray end tag closes only
/// elements of a priority no higher than its own (`htmlEndPriority`).
#[cfg(test)]
const PRIORITIES: [u16; 8] = [100, 150, 160, 170, 180, 190, 200, 220];
const PRIORITY_CLASSES: usize = 8;

/// Every element name the rules mention, sorted (binary search gives its id):
/// libxml2 2.14's element table (empty elements, raw-text modes), the names of
/// its start-tag auto-close table, and Python's block and skipped tags.
static DEFS: &[Def] = &[
    def("a"),
    def("abbr"),
    def("acronym"),
    block("address"),
    def("applet"),
    empty("area"),
    block("article"),
    block("aside"),
    def("b"),
    empty("base"),
    empty("basefont"),
    def("bdo"),
    def("big"),
    block("blockquote"),
    prio(block("body"), 6),
    empty("br"),
    def("button"),
    block("caption"),
    block("center"),
    def("cite"),
    def("code"),
    empty("col"),
    def("colgroup"),
    block("dd"),
    def("del"),
    block("details"),
    def("dfn"),
    block("dialog"),
    def("dir"),
    prio(block("div"), 1),
    block("dl"),
    block("dt"),
    def("em"),
    def("embed"),
    block("fieldset"),
    block("figcaption"),
    block("figure"),
    def("font"),
    block("footer"),
    block("form"),
    empty("frame"),
    def("frameset"),
    block("h1"),
    block("h2"),
    block("h3"),
    block("h4"),
    block("h5"),
    block("h6"),
    prio(def("head"), 6),
    block("header"),
    block("hgroup"),
    Def {
        empty: true,
        ..block("hr")
    },
    prio(def("html"), 7),
    def("i"),
    raw("iframe", Mode::Rawtext),
    empty("img"),
    empty("input"),
    def("ins"),
    empty("isindex"),
    def("kbd"),
    def("label"),
    block("legend"),
    block("li"),
    empty("link"),
    def("listing"),
    block("main"),
    def("map"),
    block("menu"),
    empty("meta"),
    block("nav"),
    raw("noembed", Mode::Rawtext),
    raw("noframes", Mode::Rawtext),
    skipped(def("noscript")),
    def("object"),
    block("ol"),
    def("optgroup"),
    def("option"),
    block("p"),
    empty("param"),
    raw("plaintext", Mode::Plaintext),
    block("pre"),
    def("q"),
    def("s"),
    def("samp"),
    skipped(raw("script", Mode::Script)),
    block("section"),
    def("select"),
    def("small"),
    def("span"),
    def("strike"),
    def("strong"),
    skipped(raw("style", Mode::Rawtext)),
    def("sub"),
    block("summary"),
    def("sup"),
    skipped(def("svg")),
    prio(block("table"), 5),
    prio(block("tbody"), 4),
    prio(block("td"), 2),
    skipped(def("template")),
    raw("textarea", Mode::Rcdata),
    prio(block("tfoot"), 4),
    prio(block("th"), 2),
    prio(block("thead"), 4),
    raw("title", Mode::Rcdata),
    prio(block("tr"), 3),
    def("tt"),
    def("u"),
    block("ul"),
    def("var"),
    raw("xmp", Mode::Rawtext),
];

/// libxml2 2.14's `htmlStartClose`: (open element, start tag) pairs where the
/// start tag closes the open element first, checked on the current element
/// only, again and again (`htmlAutoClose`).
#[rustfmt::skip]
static START_CLOSE: &[(&str, &str)] = &[
    ("a", "a"), ("a", "fieldset"), ("a", "table"), ("a", "td"), ("a", "th"),
    ("address", "dd"), ("address", "dl"), ("address", "dt"), ("address", "form"),
    ("address", "li"), ("address", "ul"),
    ("b", "center"), ("b", "p"), ("b", "td"), ("b", "th"),
    ("big", "p"),
    ("caption", "col"), ("caption", "colgroup"), ("caption", "tbody"), ("caption", "tfoot"),
    ("caption", "thead"), ("caption", "tr"),
    ("col", "col"), ("col", "colgroup"), ("col", "tbody"), ("col", "tfoot"), ("col", "thead"),
    ("col", "tr"),
    ("colgroup", "colgroup"), ("colgroup", "tbody"), ("colgroup", "tfoot"),
    ("colgroup", "thead"), ("colgroup", "tr"),
    ("dd", "dt"),
    ("dir", "dd"), ("dir", "dl"), ("dir", "dt"), ("dir", "form"), ("dir", "ul"),
    ("dl", "form"), ("dl", "li"),
    ("dt", "dd"), ("dt", "dl"),
    ("font", "center"), ("font", "td"), ("font", "th"),
    ("form", "form"),
    ("h1", "fieldset"), ("h1", "form"), ("h1", "li"), ("h1", "p"), ("h1", "table"),
    ("h2", "fieldset"), ("h2", "form"), ("h2", "li"), ("h2", "p"), ("h2", "table"),
    ("h3", "fieldset"), ("h3", "form"), ("h3", "li"), ("h3", "p"), ("h3", "table"),
    ("h4", "fieldset"), ("h4", "form"), ("h4", "li"), ("h4", "p"), ("h4", "table"),
    ("h5", "fieldset"), ("h5", "form"), ("h5", "li"), ("h5", "p"), ("h5", "table"),
    ("h6", "fieldset"), ("h6", "form"), ("h6", "li"), ("h6", "p"), ("h6", "table"),
    ("head", "a"), ("head", "abbr"), ("head", "acronym"), ("head", "address"), ("head", "b"),
    ("head", "bdo"), ("head", "big"), ("head", "blockquote"), ("head", "body"), ("head", "br"),
    ("head", "center"), ("head", "cite"), ("head", "code"), ("head", "dd"), ("head", "dfn"),
    ("head", "dir"), ("head", "div"), ("head", "dl"), ("head", "dt"), ("head", "em"),
    ("head", "fieldset"), ("head", "font"), ("head", "form"), ("head", "frameset"),
    ("head", "h1"), ("head", "h2"), ("head", "h3"), ("head", "h4"), ("head", "h5"),
    ("head", "h6"), ("head", "hr"), ("head", "i"), ("head", "iframe"), ("head", "img"),
    ("head", "kbd"), ("head", "li"), ("head", "listing"), ("head", "map"), ("head", "menu"),
    ("head", "ol"), ("head", "p"), ("head", "pre"), ("head", "q"), ("head", "s"),
    ("head", "samp"), ("head", "small"), ("head", "span"), ("head", "strike"),
    ("head", "strong"), ("head", "sub"), ("head", "sup"), ("head", "table"), ("head", "tt"),
    ("head", "u"), ("head", "ul"), ("head", "var"), ("head", "xmp"),
    ("hr", "form"),
    ("i", "center"), ("i", "p"), ("i", "td"), ("i", "th"),
    ("legend", "fieldset"),
    ("li", "li"),
    ("link", "body"), ("link", "frameset"),
    ("listing", "dd"), ("listing", "dl"), ("listing", "dt"), ("listing", "fieldset"),
    ("listing", "form"), ("listing", "li"), ("listing", "table"), ("listing", "ul"),
    ("menu", "dd"), ("menu", "dl"), ("menu", "dt"), ("menu", "form"), ("menu", "ul"),
    ("ol", "form"),
    ("option", "optgroup"), ("option", "option"),
    ("p", "address"), ("p", "blockquote"), ("p", "body"), ("p", "caption"), ("p", "center"),
    ("p", "col"), ("p", "colgroup"), ("p", "dd"), ("p", "dir"), ("p", "div"), ("p", "dl"),
    ("p", "dt"), ("p", "fieldset"), ("p", "form"), ("p", "frameset"), ("p", "h1"),
    ("p", "h2"), ("p", "h3"), ("p", "h4"), ("p", "h5"), ("p", "h6"), ("p", "head"),
    ("p", "hr"), ("p", "li"), ("p", "listing"), ("p", "menu"), ("p", "ol"), ("p", "p"),
    ("p", "pre"), ("p", "table"), ("p", "tbody"), ("p", "td"), ("p", "tfoot"), ("p", "th"),
    ("p", "title"), ("p", "tr"), ("p", "ul"), ("p", "xmp"),
    ("pre", "dd"), ("pre", "dl"), ("pre", "dt"), ("pre", "fieldset"), ("pre", "form"),
    ("pre", "li"), ("pre", "table"), ("pre", "ul"),
    ("s", "p"),
    ("script", "noscript"),
    ("small", "p"),
    ("span", "td"), ("span", "th"),
    ("strike", "p"),
    ("style", "body"), ("style", "frameset"),
    ("tbody", "tbody"), ("tbody", "tfoot"),
    ("td", "tbody"), ("td", "td"), ("td", "tfoot"), ("td", "th"), ("td", "tr"),
    ("tfoot", "tbody"),
    ("th", "tbody"), ("th", "td"), ("th", "tfoot"), ("th", "th"), ("th", "tr"),
    ("thead", "tbody"), ("thead", "tfoot"),
    ("title", "body"), ("title", "frameset"),
    ("tr", "tbody"), ("tr", "tfoot"), ("tr", "tr"),
    ("tt", "p"),
    ("u", "p"), ("u", "td"), ("u", "th"),
    ("ul", "address"), ("ul", "form"), ("ul", "menu"), ("ul", "pre"),
    ("xmp", "dd"), ("xmp", "dl"), ("xmp", "dt"), ("xmp", "fieldset"), ("xmp", "form"),
    ("xmp", "li"), ("xmp", "table"), ("xmp", "ul"),
];

/// An index into [`DEFS`].
type Id = u8;

fn id_of(name: &str) -> Option<Id> {
    DEFS.binary_search_by(|d| d.name.cmp(name))
        .ok()
        .and_then(|i| Id::try_from(i).ok())
}

/// The ids the rules name, looked up once.
struct Ids {
    a: Id,
    body: Id,
    frame: Id,
    frameset: Id,
    h1: Id,
    head: Id,
    html: Id,
    noframes: Id,
    p: Id,
    svg: Id,
    title: Id,
    /// The start tags that imply a `<head>` at the top level (`htmlCheckImplied`).
    head_starters: [Id; 6],
    /// `START_CLOSE` as a bit matrix: bit `new` of row `open`.
    closes: Vec<u128>,
}

fn ids() -> &'static Ids {
    static IDS: OnceLock<Ids> = OnceLock::new();
    IDS.get_or_init(|| {
        // DEFS and START_CLOSE are constants checked by the unit tests: every
        // name is found and the table has at most 128 names.
        let id = |name: &str| id_of(name).unwrap_or(Id::MAX);
        let mut closes = vec![0u128; DEFS.len()];
        for (open, new) in START_CLOSE {
            let (open, new) = (id(open), id(new));
            if let Some(row) = closes.get_mut(usize::from(open)) {
                *row |= 1u128.checked_shl(u32::from(new)).unwrap_or(0);
            }
        }
        Ids {
            a: id("a"),
            body: id("body"),
            frame: id("frame"),
            frameset: id("frameset"),
            h1: id("h1"),
            head: id("head"),
            html: id("html"),
            noframes: id("noframes"),
            p: id("p"),
            svg: id("svg"),
            title: id("title"),
            head_starters: [
                id("script"),
                id("style"),
                id("meta"),
                id("link"),
                id("title"),
                id("base"),
            ],
            closes,
        }
    })
}

impl Ids {
    fn def(&self, id: Option<Id>) -> Option<&'static Def> {
        id.and_then(|i| DEFS.get(usize::from(i)))
    }

    /// Whether start tag `new` closes the open element `open` (`htmlCheckAutoClose`).
    fn closes(&self, open: Option<Id>, new: Option<Id>) -> bool {
        match (open, new) {
            (Some(open), Some(new)) => self
                .closes
                .get(usize::from(open))
                .is_some_and(|row| row.checked_shr(u32::from(new)).unwrap_or(0) & 1 == 1),
            _ => false,
        }
    }
}

// ------------------------------------------------------------------ text helpers

/// Python's `str.isspace`: Unicode White_Space and the four information
/// separators U+001C..U+001F (what `str.strip()` and `re`'s `\s` remove).
fn py_space(c: char) -> bool {
    c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c)
}

fn py_strip(text: &str) -> &str {
    text.trim_matches(py_space)
}

/// Python's `_folded`: whitespace runs become one space, ends stripped; `None` when empty.
fn folded(text: &str) -> Option<String> {
    let mut out = String::with_capacity(text.len());
    for word in text.split(py_space).filter(|w| !w.is_empty()) {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    (!out.is_empty()).then_some(out)
}

/// libxml2's `IS_WS_HTML`: the whitespace a text node in the head may start with.
fn html_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\x0c' | b'\r')
}

/// A tag name as libxml2 keeps it: its first characters that fit in 100 bytes
/// (a character that does not fit is left out, a later shorter one may fit).
fn libxml2_name(name: &LocalName) -> LocalName {
    if name.len() <= MAX_NAME_BYTES {
        return name.clone();
    }
    let mut kept = String::with_capacity(MAX_NAME_BYTES);
    for c in name.chars() {
        if kept.len() + c.len_utf8() <= MAX_NAME_BYTES {
            kept.push(c);
        }
    }
    LocalName::from(kept)
}

// ------------------------------------------------------------------ the <title> count

/// Python's `re.IGNORECASE` match of one pattern letter: ASCII case, plus the
/// four non-ASCII letters Python's `re` folds to ASCII (U+0130 and U+0131 to
/// `i`, U+017F to `s`, U+212A to `k`).
fn ci_letter(c: char, letter: u8) -> bool {
    if c.is_ascii() {
        return c.eq_ignore_ascii_case(&char::from(letter));
    }
    match letter {
        b'i' => c == '\u{130}' || c == '\u{131}',
        b's' => c == '\u{17f}',
        b'k' => c == '\u{212a}',
        _ => false,
    }
}

/// The characters of `text` from byte `at` match `word` (ASCII, lower case)
/// as Python's `re.IGNORECASE` would; gives the byte after the match.
fn match_ci(text: &str, at: usize, word: &[u8]) -> Option<usize> {
    let mut chars = text.get(at..)?.char_indices();
    for &letter in word {
        let (_, c) = chars.next()?;
        if !ci_letter(c, letter) {
            return None;
        }
    }
    Some(chars.next().map_or(text.len(), |(i, _)| at + i))
}

/// The character at byte `at`, if any.
fn char_at(text: &str, at: usize) -> Option<char> {
    text.get(at..)?.chars().next()
}

/// Python's `re` word character: `str.isalnum()` or `_` (Rust's alphanumeric
/// also counts the letter-like combining marks; no tag name ends in one).
fn word_char(c: char) -> bool {
    c == '_' || c.is_alphanumeric()
}

/// Where `<body[\s/>]` first matches (ignoring case), as Python's `_BODY_TAG`.
fn body_tag(text: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    memchr::memchr_iter(b'<', bytes).find(|&lt| {
        match_ci(text, lt + 1, b"body")
            .and_then(|end| char_at(text, end))
            .is_some_and(|c| py_space(c) || c == '/' || c == '>')
    })
}

/// The end of the first `</script\s*>` (ignoring case) at or after `from`.
fn script_end(head: &str, from: usize) -> Option<usize> {
    let bytes = head.as_bytes();
    memchr::memmem::find_iter(bytes.get(from..)?, b"</").find_map(|i| {
        let mut at = match_ci(head, from + i + 2, b"script")?;
        loop {
            match char_at(head, at)? {
                '>' => return Some(at + 1),
                c if py_space(c) => at += c.len_utf8(),
                _ => return None,
            }
        }
    })
}

/// How many `<title>` tags come before the page's first `<body` tag in the
/// source (all when there is none), comments and scripts left out: Python's
/// `_head_titles`, kept as it counts. A `<title>` element is page text only
/// when it comes after these: the page's own title, which libxml2 moves into
/// the body when stray text or an unknown tag precedes `<head>`, stays out,
/// while a document pasted into the body keeps its title.
///
/// One pass over the head: after an opening that never ends (`<!--` or
/// `<script` with no end) no later opening of that kind is searched for (none
/// could find an end); as in Python, such later openings then count as titles.
pub fn head_titles(text: &str) -> usize {
    let head = &text[..body_tag(text).unwrap_or(text.len())];
    let bytes = head.as_bytes();
    let (mut comments_end, mut scripts_end) = (true, true);
    let (mut count, mut pos) = (0, 0);
    while let Some(lt) = memchr::memchr(b'<', bytes.get(pos..).unwrap_or_default()) {
        let lt = pos + lt;
        pos = lt + 1;
        if bytes.get(lt + 1..lt + 4) == Some(b"!--") {
            pos = lt + 4;
            if !comments_end {
                count += 1;
            } else if let Some(end) = memchr::memmem::find(&bytes[pos..], b"-->") {
                pos += end + 3;
            } else {
                comments_end = false;
            }
        } else if let Some(end) = match_ci(head, lt + 1, b"script")
            .filter(|&end| !char_at(head, end).is_some_and(word_char))
        {
            pos = end;
            if !scripts_end {
                count += 1;
            } else if let Some(close) = script_end(head, pos) {
                pos = close;
            } else {
                scripts_end = false;
            }
        } else if let Some(end) = match_ci(head, lt + 1, b"title") {
            if let Some(c) = char_at(head, end).filter(|&c| py_space(c) || c == '/' || c == '>') {
                pos = end + c.len_utf8();
                count += 1;
            }
        }
    }
    count
}

// ------------------------------------------------------------------ the reading

/// One line of the page: its span in [`Reading::text`], its block and link context.
#[derive(Clone, Copy, Debug)]
struct Line {
    start: usize,
    end: usize,
    block: &'static str,
    in_link: bool,
}

/// What [`read_html`] gives.
#[derive(Debug, Default)]
pub struct Reading {
    /// The lines, one after another; [`Reading::lines`] cuts them out.
    text: String,
    spans: Vec<Line>,
    pub title: Option<String>,
    pub h1: Option<String>,
}

impl Reading {
    pub fn lines(&self) -> impl ExactSizeIterator<Item = &str> + '_ {
        self.spans.iter().map(|l| &self.text[l.start..l.end])
    }

    /// Characters of each line inside an `<a>`: all or none, a line is one text node.
    pub fn link_chars(&self) -> impl ExactSizeIterator<Item = usize> + '_ {
        self.spans.iter().map(|l| {
            if l.in_link {
                self.text[l.start..l.end].chars().count()
            } else {
                0
            }
        })
    }

    pub fn blocks(&self) -> impl ExactSizeIterator<Item = &'static str> + '_ {
        self.spans.iter().map(|l| l.block)
    }
}

// Flags of an open element: what to undo when it closes.
const F_BLOCK: u8 = 1;
const F_LINK: u8 = 2;
const F_SKIP: u8 = 4;
const F_SVG: u8 = 8;
const F_TITLE: u8 = 16;
const F_H1: u8 = 32;
const F_BODY: u8 = 64;

struct Open {
    name: LocalName,
    id: Option<Id>,
    flags: u8,
}

/// libxml2's tree construction on a stack of open elements, keeping only
/// what the lines need. The text of one node (what lxml gives as `.text` or
/// `.tail`) gathers in `pending` until an element opens or closes or a
/// comment comes, then becomes lines.
struct Builder {
    ids: &'static Ids,
    /// `<title>` elements up to this many (outside `<svg>`) are not page text.
    head_titles: usize,
    stack: Vec<Open>,
    /// Stack positions of the open elements, by known id and by other name.
    known_at: Vec<Vec<u32>>,
    other_at: HashMap<LocalName, Vec<u32>>,
    /// Stack positions of the open elements of each end-tag priority class.
    priority_at: [Vec<u32>; PRIORITY_CLASSES],
    /// Open block elements: stack position and name.
    blocks: Vec<(u32, &'static str)>,
    links: u32,
    skips: u32,
    svgs: u32,
    bodies: u32,
    heads: u32,
    /// libxml2's `ctxt->html`: 3 once a head opened, 10 once a body opened.
    insert_mode: u8,
    /// libxml2's `ctxt->depth`: misplaced `<html>`, `<head>`, `<body>` tags
    /// ignored, whose end tags are ignored in turn.
    ignored: u32,
    /// Root elements opened: lxml reads the first one only.
    roots: u32,
    titles: usize,
    /// The first `<body>` child of the root has opened (lxml's `root.find("body")`).
    body_found: bool,
    in_body: bool,
    h1_found: bool,
    title_text: Option<String>,
    h1_text: Option<String>,
    pending: String,
    /// Lines inside the body, and lines of the root outside the body and head
    /// (the page's lines when it has no body).
    reading: Reading,
    outside: Vec<Line>,
}

impl Builder {
    fn new(head_titles: usize) -> Self {
        Builder {
            ids: ids(),
            head_titles,
            stack: Vec::new(),
            known_at: vec![Vec::new(); DEFS.len()],
            other_at: HashMap::new(),
            priority_at: Default::default(),
            blocks: Vec::new(),
            links: 0,
            skips: 0,
            svgs: 0,
            bodies: 0,
            heads: 0,
            insert_mode: 0,
            ignored: 0,
            roots: 0,
            titles: 0,
            body_found: false,
            in_body: false,
            h1_found: false,
            title_text: None,
            h1_text: None,
            pending: String::new(),
            reading: Reading::default(),
            outside: Vec::new(),
        }
    }

    fn current_id(&self) -> Option<Option<Id>> {
        self.stack.last().map(|open| open.id)
    }

    fn positions(&mut self, name: &LocalName, id: Option<Id>) -> Option<&mut Vec<u32>> {
        match id {
            Some(id) => self.known_at.get_mut(usize::from(id)),
            None => Some(self.other_at.entry(name.clone()).or_default()),
        }
    }

    fn top_position(&self, name: &LocalName, id: Option<Id>) -> Option<usize> {
        let at = match id {
            Some(id) => self.known_at.get(usize::from(id)),
            None => self.other_at.get(name),
        };
        at.and_then(|at| at.last()).map(|&i| i as usize)
    }

    fn open(&mut self, name: LocalName, id: Option<Id>) {
        self.flush();
        let ids = self.ids;
        let at = self.stack.len();
        let at32 = u32::try_from(at).unwrap_or(u32::MAX);
        if at == 0 {
            self.roots += 1;
        }
        let in_first_root = self.roots == 1;
        let def = ids.def(id);
        let mut flags = 0;
        if let Some(def) = def {
            if def.block {
                flags |= F_BLOCK;
                self.blocks.push((at32, def.name));
            }
            if def.priority > 0 {
                if let Some(at) = self.priority_at.get_mut(usize::from(def.priority)) {
                    at.push(at32);
                }
            }
            if def.skipped {
                flags |= F_SKIP;
            }
        }
        if id == Some(ids.a) {
            flags |= F_LINK;
            self.links += 1;
        } else if id == Some(ids.svg) {
            flags |= F_SVG;
        } else if id == Some(ids.head) {
            flags |= F_SKIP;
            self.heads += 1;
            self.insert_mode = self.insert_mode.max(3);
        } else if id == Some(ids.body) {
            self.bodies += 1;
            self.insert_mode = self.insert_mode.max(10);
            if at == 1 && in_first_root && !self.body_found {
                flags |= F_BODY;
                self.body_found = true;
                self.in_body = true;
            }
        } else if id == Some(ids.title) {
            let mut text_title = false;
            if in_first_root && self.svgs == 0 {
                if self.titles == 0 {
                    flags |= F_TITLE;
                    self.title_text = Some(String::new());
                }
                text_title = self.titles >= self.head_titles;
                self.titles += 1;
            }
            if !text_title {
                flags |= F_SKIP;
            }
        } else if id == Some(ids.h1) && in_first_root && !self.h1_found {
            flags |= F_H1;
            self.h1_found = true;
            self.h1_text = Some(String::new());
        }
        if flags & F_SVG != 0 {
            self.svgs += 1;
        }
        if flags & F_SKIP != 0 {
            self.skips += 1;
        }
        if let Some(at) = self.positions(&name, id) {
            at.push(at32);
        }
        self.stack.push(Open { name, id, flags });
    }

    fn close(&mut self) {
        self.flush();
        let Some(open) = self.stack.pop() else { return };
        if let Some(at) = self.positions(&open.name, open.id) {
            at.pop();
        }
        if open.id.is_none() && self.other_at.get(&open.name).is_some_and(Vec::is_empty) {
            self.other_at.remove(&open.name);
        }
        if let Some(def) = self.ids.def(open.id) {
            if def.priority > 0 {
                if let Some(at) = self.priority_at.get_mut(usize::from(def.priority)) {
                    at.pop();
                }
            }
        }
        if open.id == Some(self.ids.body) {
            self.bodies -= 1;
        } else if open.id == Some(self.ids.head) {
            self.heads -= 1;
        }
        let flags = open.flags;
        if flags & F_BLOCK != 0 {
            self.blocks.pop();
        }
        if flags & F_LINK != 0 {
            self.links -= 1;
        }
        if flags & F_SKIP != 0 {
            self.skips -= 1;
        }
        if flags & F_SVG != 0 {
            self.svgs -= 1;
        }
        if flags & F_BODY != 0 {
            self.in_body = false;
        }
        if flags & F_TITLE != 0 {
            // Kept in title_text; stop adding to it.
            self.reading.title = self.title_text.take();
        }
        if flags & F_H1 != 0 {
            self.reading.h1 = self.h1_text.take();
        }
    }

    /// Whether text here is page text: in the first root, outside skipped elements.
    fn reading_here(&self) -> bool {
        self.roots == 1 && !self.stack.is_empty() && self.skips == 0
    }

    fn append(&mut self, text: &str) {
        if let Some(title) = self.title_text.as_mut() {
            title.push_str(text);
        }
        if let Some(h1) = self.h1_text.as_mut() {
            h1.push_str(text);
        }
        if self.reading_here() && (self.in_body || !self.body_found) {
            self.pending.push_str(text);
        }
    }

    /// The text node gathered so far becomes lines (Python's `_split_node`).
    fn flush(&mut self) {
        if self.pending.is_empty() {
            return;
        }
        let stripped = py_strip(&self.pending);
        if !stripped.is_empty() {
            let block = self.blocks.last().map_or("body", |&(_, name)| name);
            let in_link = self.links > 0;
            let lines = if self.in_body {
                &mut self.reading.spans
            } else {
                &mut self.outside
            };
            let text = &mut self.reading.text;
            let mut add = |piece: &str| {
                let start = text.len();
                text.push_str(piece);
                lines.push(Line {
                    start,
                    end: text.len(),
                    block,
                    in_link,
                });
            };
            if stripped.contains(['\n', '\r']) {
                for piece in split_line_breaks(stripped) {
                    if !py_strip(piece).is_empty() {
                        add(piece);
                    }
                }
            } else {
                add(stripped);
            }
        }
        self.pending.clear();
    }

    /// libxml2's `htmlAutoClose`: close the current element while `new` closes it.
    fn auto_close(&mut self, new: Option<Id>) {
        while let Some(open) = self.current_id() {
            if !self.ids.closes(open, new) {
                break;
            }
            self.close();
        }
    }

    /// libxml2's `htmlCheckImplied`: the `<html>`, `<head>` or `<body>` a start tag implies.
    fn check_implied(&mut self, new: Option<Id>) {
        let ids = self.ids;
        if new == Some(ids.html) {
            return;
        }
        if self.stack.is_empty() {
            self.open(LocalName::from("html"), Some(ids.html));
        }
        if new == Some(ids.body) || new == Some(ids.head) {
            return;
        }
        let head_starter = new.is_some_and(|id| ids.head_starters.contains(&id));
        if self.stack.len() <= 1 && head_starter {
            if self.insert_mode < 3 {
                self.open(LocalName::from("head"), Some(ids.head));
            }
        } else if ![Some(ids.noframes), Some(ids.frame), Some(ids.frameset)].contains(&new)
            && self.insert_mode < 10
            && self.bodies == 0
            && self.heads == 0
        {
            self.open(LocalName::from("body"), Some(ids.body));
        }
    }

    /// libxml2's `htmlStartCharData`, before text that is not whitespace.
    fn start_char_data(&mut self) {
        if self.current_id() == Some(Some(self.ids.head)) {
            self.auto_close(Some(self.ids.p));
        }
        self.check_implied(Some(self.ids.p));
    }

    /// Text, as libxml2's `htmlCharDataSAXCallback` places it: in the html or
    /// head element (or none), leading whitespace stays there and the rest
    /// opens the body. `tag_open` is a `<` that starts no tag, which libxml2
    /// treats as text that always may open the body.
    fn characters(&mut self, text: &str, tag_open: bool) {
        let ids = self.ids;
        let current = self.current_id();
        let outer = match current {
            None => true,
            Some(id) => id == Some(ids.html) || id == Some(ids.head),
        };
        if tag_open {
            self.start_char_data();
            self.append(text);
        } else if outer {
            let spaces = text.bytes().take_while(|&b| html_space(b)).count();
            let (space, rest) = text.split_at(spaces);
            if !space.is_empty() {
                self.append(space);
            }
            if !rest.is_empty() {
                self.start_char_data();
                self.append(rest);
            }
        } else {
            self.append(text);
        }
    }

    /// A start tag (libxml2's `htmlParseStartTag` and `htmlParseElementInternal`).
    fn start_tag(&mut self, name: &LocalName, self_closing: bool) -> TokenSinkResult<()> {
        let ids = self.ids;
        let name = libxml2_name(name);
        let id = id_of(&name);
        self.auto_close(id);
        self.check_implied(id);
        let misplaced = (id == Some(ids.html) && !self.stack.is_empty())
            || (id == Some(ids.head) && self.stack.len() != 1)
            || (id == Some(ids.body) && self.bodies > 0);
        if misplaced {
            self.ignored += 1;
        } else {
            self.open(name, id);
        }
        // From here libxml2 works on the current element, which is the
        // element just opened unless the tag was ignored.
        let Some(current) = self.stack.last() else {
            return TokenSinkResult::Continue;
        };
        let def = ids.def(current.id);
        if self_closing || def.is_some_and(|d| d.empty) {
            self.close();
            return TokenSinkResult::Continue;
        }
        match def.map_or(Mode::Normal, |d| d.mode) {
            Mode::Normal => TokenSinkResult::Continue,
            Mode::Rcdata => TokenSinkResult::RawData(RawKind::Rcdata),
            Mode::Rawtext => TokenSinkResult::RawData(RawKind::Rawtext),
            Mode::Script => TokenSinkResult::RawData(RawKind::ScriptData),
            Mode::Plaintext => TokenSinkResult::Plaintext,
        }
    }

    /// An end tag (libxml2's `htmlParseEndTag` and `htmlAutoCloseOnClose`):
    /// closes the nearest open element of its name and all opened after it,
    /// unless one of those has a higher end-tag priority than it.
    fn end_tag(&mut self, name: &LocalName) {
        let ids = self.ids;
        let name = libxml2_name(name);
        let id = id_of(&name);
        if self.ignored > 0 && [Some(ids.html), Some(ids.body), Some(ids.head)].contains(&id) {
            self.ignored -= 1;
            return;
        }
        let Some(at) = self.top_position(&name, id) else {
            return;
        };
        let priority = ids.def(id).map_or(0, |d| usize::from(d.priority));
        let blocked = self
            .priority_at
            .iter()
            .skip(priority + 1)
            .any(|higher| higher.last().is_some_and(|&i| i as usize > at));
        if blocked {
            return;
        }
        while self.stack.len() > at {
            self.close();
        }
    }

    fn comment(&mut self) {
        self.flush();
    }

    fn finish(mut self) -> Reading {
        self.flush();
        while !self.stack.is_empty() {
            self.close();
        }
        if !self.body_found {
            self.reading.spans = std::mem::take(&mut self.outside);
        }
        let mut reading = self.reading;
        reading.title = reading.title.as_deref().and_then(folded);
        reading.h1 = reading.h1.as_deref().and_then(folded);
        reading
    }
}

/// Python's `_LINE_BREAK.split`: pieces between `\r\n`, `\r` or `\n`.
fn split_line_breaks(text: &str) -> impl Iterator<Item = &str> {
    let mut rest = Some(text);
    std::iter::from_fn(move || {
        let current = rest?;
        match current.find(['\r', '\n']) {
            Some(i) => {
                let skip = if current[i..].starts_with("\r\n") {
                    2
                } else {
                    1
                };
                rest = Some(&current[i + skip..]);
                Some(&current[..i])
            }
            None => {
                rest = None;
                Some(current)
            }
        }
    })
}

/// html5ever's tokens into the builder. The tokenizer hands `&self`, so the
/// builder sits in a `RefCell` (borrowed once per token, never re-entered).
struct Sink {
    builder: std::cell::RefCell<Builder>,
    /// The last token was the parse error of a `<` that opens no tag.
    after_tag_open_error: std::cell::Cell<bool>,
}

/// Whether a parse error is html5ever's for a `<` (or `</`) that opens no tag,
/// which the tokenizer then gives as text: "Saw {char} in state TagOpen"
/// (with "Saw EOF"), or "Saw EOF in state EndTagOpen" for a `</` ending the
/// input (its messages when `exact_errors` is off; unit tests pin them).
fn tag_open_error(message: &str) -> bool {
    (message.starts_with("Saw ") && message.ends_with(" in state TagOpen"))
        || message == "Saw EOF in state EndTagOpen"
}

impl TokenSink for Sink {
    type Handle = ();

    fn process_token(&self, token: Token, _line: u64) -> TokenSinkResult<()> {
        let mut builder = self.builder.borrow_mut();
        let after_tag_open_error = self.after_tag_open_error.replace(false);
        match token {
            Token::TagToken(tag) => match tag.kind {
                TagKind::StartTag => return builder.start_tag(&tag.name, tag.self_closing),
                TagKind::EndTag => builder.end_tag(&tag.name),
            },
            // A `<` that opens no tag comes as a token of its own after its
            // parse error; `&lt;` gives the same token with no error.
            Token::CharacterTokens(text) => {
                builder.characters(&text, after_tag_open_error && &*text == "<")
            }
            Token::ParseError(message) => self.after_tag_open_error.set(tag_open_error(&message)),
            // libxml2 reads U+0000 as U+FFFD.
            Token::NullCharacterToken => builder.characters("\u{fffd}", false),
            Token::CommentToken(_) => builder.comment(),
            Token::DoctypeToken(_) | Token::EOFToken => {}
        }
        TokenSinkResult::Continue
    }
}

/// The page's lines with their block and link context, its title and first h1.
pub fn read_html(text: &str) -> Reading {
    let sink = Sink {
        builder: std::cell::RefCell::new(Builder::new(head_titles(text))),
        after_tag_open_error: std::cell::Cell::new(false),
    };
    let tokenizer = Tokenizer::new(sink, TokenizerOpts::default());
    let queue = BufferQueue::default();
    let mut rest = text;
    while !rest.is_empty() {
        let mut cut = rest.len().min(FEED_BYTES);
        while !rest.is_char_boundary(cut) {
            cut -= 1;
        }
        let (piece, after) = rest.split_at(cut);
        queue.push_back(StrTendril::from_slice(piece));
        let _ = tokenizer.feed(&queue);
        rest = after;
    }
    tokenizer.end();
    tokenizer.sink.builder.into_inner().finish()
}

// ------------------------------------------------------------------ Python

/// `(lines, link_chars, block, title, h1)` as Python gets them.
type PyReading<'py> = (
    Bound<'py, PyList>,
    Bound<'py, PyList>,
    Bound<'py, PyList>,
    Option<String>,
    Option<String>,
);

/// `read_html(text) -> (lines, link_chars, block, title, h1)`: see the module doc.
///
/// A `str` with lone surrogates is read as lxml read it, after
/// `encode("utf-8", "replace")` (each becomes `?`). The GIL is released while
/// reading.
#[pyfunction(name = "read_html")]
fn py_read_html<'py>(py: Python<'py>, text: &Bound<'py, PyString>) -> PyResult<PyReading<'py>> {
    let replaced;
    let source: &str = match text.to_str() {
        Ok(source) => source,
        Err(_) => {
            let bytes = text.call_method1("encode", ("utf-8", "replace"))?;
            replaced = String::from_utf8_lossy(bytes.cast::<PyBytes>()?.as_bytes()).into_owned();
            &replaced
        }
    };
    let reading = py.detach(|| read_html(source));
    let lines = PyList::new(py, reading.lines())?;
    let links = PyList::new(py, reading.link_chars())?;
    let mut names: HashMap<&'static str, Bound<'py, PyString>> = HashMap::new();
    let blocks = PyList::new(
        py,
        reading.blocks().map(|b| {
            names
                .entry(b)
                .or_insert_with(|| PyString::intern(py, b))
                .clone()
        }),
    )?;
    Ok((lines, links, blocks, reading.title, reading.h1))
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(py_read_html, m)?)?;
    m.add("HTML_PARSER", PARSER)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(html: &str) -> Vec<String> {
        read_html(html).lines().map(str::to_owned).collect()
    }

    #[test]
    fn tables_are_sorted_and_complete() {
        assert!(DEFS.windows(2).all(|w| w[0].name < w[1].name));
        assert!(DEFS.len() <= 128);
        for (open, new) in START_CLOSE {
            assert!(
                id_of(open).is_some() && id_of(new).is_some(),
                "{open} {new}"
            );
        }
        let priorities: Vec<u16> = ["div", "td", "tr", "tbody", "table", "body", "html", "p"]
            .iter()
            .map(|n| PRIORITIES[usize::from(DEFS[usize::from(id_of(n).unwrap())].priority)])
            .collect();
        assert_eq!(priorities, [150, 160, 170, 180, 190, 200, 220, 100]);
    }

    #[test]
    fn text_nodes_with_block_and_link() {
        let r = read_html(
            "<html><head><title> 标题  一 </title></head><body>\
             <div>导航<a href='/x'>首页<b>新闻</b></a>正文前</div>\
             <p>第一段<br>第二行</p><ul><li><a href='/y'>相关阅读</a></li></ul>\
             <h1>大 <i>标题</i></h1><span>无块</span></body></html>",
        );
        let got: Vec<_> = r.lines().collect();
        assert_eq!(
            got,
            [
                "导航",
                "首页",
                "新闻",
                "正文前",
                "第一段",
                "第二行",
                "相关阅读",
                "大",
                "标题",
                "无块"
            ]
        );
        assert_eq!(
            r.link_chars().collect::<Vec<_>>(),
            [0, 2, 2, 0, 0, 0, 4, 0, 0, 0]
        );
        assert_eq!(
            r.blocks().collect::<Vec<_>>(),
            ["div", "div", "div", "div", "p", "p", "li", "h1", "h1", "body"]
        );
        assert_eq!(r.title.as_deref(), Some("标题 一"));
        assert_eq!(r.h1.as_deref(), Some("大 标题"));
    }

    #[test]
    fn deep_nesting_is_read_whole_without_recursion() {
        let depth = 100_000;
        let html = format!(
            "<body><p>前</p>{}底{}<p>后</p>",
            "<div>层".repeat(depth),
            "</div>".repeat(depth)
        );
        let r = read_html(&html);
        assert_eq!(r.spans.len(), depth + 2);
        let got: Vec<_> = r.lines().collect();
        assert_eq!(got[..2], ["前", "层"]);
        assert_eq!(got[depth..], ["层底", "后"]);
        assert_eq!(r.blocks().nth(1), Some("div"));
        // Unclosed, and never closed: the end of input closes them all.
        let unclosed = "<font><a href=x>链".repeat(100_000) + "<p>段</p>";
        let r = read_html(&unclosed);
        assert_eq!(r.lines().last(), Some("段"));
        assert_eq!(r.link_chars().next(), Some(1));
        assert_eq!(r.blocks().last(), Some("p"));
    }

    #[test]
    fn unclosed_tags_close_as_libxml2_closes_them() {
        // <p> closes an open <p> only when it is the current element.
        let r = read_html("<p>a<span>b<p>c</span>d");
        assert_eq!(r.lines().collect::<Vec<_>>(), ["a", "b", "c", "d"]);
        assert_eq!(r.blocks().collect::<Vec<_>>(), ["p", "p", "p", "p"]);
        // A stray end tag cannot close past an element of higher priority.
        // </div> closes the <b> inside it; then </b> closes nothing, so "y" and
        // "z" are one text node.
        let r = read_html("<div><b>x</div>y</b>z");
        assert_eq!(r.lines().collect::<Vec<_>>(), ["x", "yz"]);
        assert_eq!(r.blocks().collect::<Vec<_>>(), ["div", "body"]);
        let r = read_html("<div><td>x</div>y</td>z");
        assert_eq!(r.lines().collect::<Vec<_>>(), ["xy", "z"]);
        assert_eq!(r.blocks().collect::<Vec<_>>(), ["td", "div"]);
        // An end tag of no open element is ignored: the text node goes on.
        assert_eq!(lines("<p>a</i>b</p>"), ["ab"]);
        // <x/> closes any element; <script/> starts no script.
        assert_eq!(
            lines("<div>a<div/>b<script src=x />c</div>"),
            ["a", "b", "c"]
        );
        // Unknown empty-looking elements stay open as in libxml2.
        let r = read_html("<a href=x>p<wbr>q</a>r");
        assert_eq!(r.link_chars().collect::<Vec<_>>(), [1, 1, 0]);
        // Everything after the root's end is outside the page lxml reads.
        assert_eq!(lines("<html><body><p>a</p></body></html><p>b</p>"), ["a"]);
        assert_eq!(lines("<body>a</body><body>b</body>"), ["a"]);
        assert_eq!(lines("<body>a</body>tail"), ["a"]);
        // Misplaced <html>/<body> tags are ignored (the text node goes on), and
        // so are as many of their end tags.
        assert_eq!(lines("<body>a<body>b</body>c</body>d"), ["abc"]);
        // Input cut inside a construct.
        assert_eq!(lines("<p>a<!-- never closed"), ["a"]);
        assert_eq!(lines("<p>a<b x='never"), ["a"]);
        assert_eq!(lines("<p>a</"), ["a</"]);
        assert_eq!(lines("<p>a <3 b"), ["a <3 b"]);
        // A `<` that opens no tag may open the body, as libxml2 has it; `&lt;` may not.
        assert_eq!(lines("<html><frameset>x < y"), ["x", "< y"]);
        assert_eq!(lines("<html><frameset>x &lt; y"), ["x < y"]);
        assert_eq!(lines("<html><frameset>x</"), ["x", "</"]);
        assert_eq!(lines("<html><frameset>x</>&lt;"), ["x<"]);
    }

    #[test]
    fn title_rules() {
        // The head's title is no line; one after the <body> tag is.
        let r = read_html(
            "<html><head><title>外层</title></head><body><p>甲</p>\
             <html><head><title>嵌入页</title></head></html><p>乙</p></body></html>",
        );
        assert_eq!(r.lines().collect::<Vec<_>>(), ["甲", "嵌入页", "乙"]);
        assert_eq!(r.title.as_deref(), Some("外层"));
        // libxml2 moves the title into the body after an unknown tag; still no line.
        let r = read_html("<wrapper><html><head><title>页面标题</title></head><body><p>正文</p></body></html></wrapper>");
        assert_eq!(r.lines().collect::<Vec<_>>(), ["正文"]);
        assert_eq!(r.title.as_deref(), Some("页面标题"));
        // A title in an <svg> is neither the title nor a line.
        let r = read_html("<body><svg><title>图标</title></svg><p>正文</p><title>后</title>");
        assert_eq!(r.title.as_deref(), Some("后"));
        assert_eq!(r.lines().collect::<Vec<_>>(), ["正文", "后"]);
        // No title, empty title.
        assert_eq!(read_html("<body><p>x</p>").title, None);
        assert_eq!(read_html("<title> </title><body><p>x</p>").title, None);
        assert_eq!(read_html("<title>a</title>").title.as_deref(), Some("a"));
    }

    #[test]
    fn head_title_count_skips_closed_comments_and_scripts_only() {
        let head = "<title>a</title><!-- <title> --><script><title></script><title><!--<title>";
        assert_eq!(head_titles(head), 3);
        assert_eq!(head_titles("<script><title><body><title>"), 1);
        assert_eq!(head_titles("<TITLE>x<tıtle>y<body>"), 2);
        assert_eq!(head_titles("<scriptx><title><body>"), 1);
        assert_eq!(head_titles("<script ></SCRIPT\n>><title/><body/>"), 1);
    }

    #[test]
    fn head_title_count_is_linear_in_unclosed_openings() {
        // Each opening without an end is searched to the end once, not once per opening.
        for unit in ["<!--", "<script>", "<SCRIPT x>", "<title><!--"] {
            let big = format!("<p>x</p>{}", unit.repeat(200_000));
            let start = std::time::Instant::now();
            head_titles(&big);
            assert!(start.elapsed().as_secs_f64() < 1.0, "{unit}");
        }
    }

    /// Issue 25's attacks and the stack's own: each at a size where a
    /// quadratic step would take minutes takes well under a second when linear.
    #[test]
    fn attacks_take_linear_time() {
        let n = 100_000;
        let deep = "<div>".repeat(3_000) + "<p>正文</p>";
        let attacks = [
            deep.clone() + &"<a b='".repeat(n),
            deep.clone() + &"<!--".repeat(n),
            deep.clone() + &"<![<![".repeat(n),
            deep.clone() + &"</a b='".repeat(n),
            "<p>x</p>".to_owned() + &"<script>".repeat(n),
            "<div>".repeat(2_000)
                + "<svg><title>icon</title></svg>"
                + &"<title>t</title>".repeat(n),
            // Stray end tags each blocked by an element of higher priority deep down.
            "<b><div>".to_owned() + &"<span>".repeat(n) + &"</b>".repeat(n),
            // End tags of names open nowhere, misplaced <body> tags, deep stack.
            "<i>".repeat(n) + &"</x>".repeat(n) + &"<body>".repeat(n),
            "<frameset>".repeat(n) + "<title>x",
        ];
        for (i, html) in attacks.iter().enumerate() {
            let start = std::time::Instant::now();
            let reading = read_html(html);
            let seconds = start.elapsed().as_secs_f64();
            assert!(seconds < 5.0, "attack {i} took {seconds:.1} s");
            if i < 4 {
                assert!(reading.lines().any(|l| l == "正文"), "attack {i}");
            }
        }
    }

    #[test]
    fn text_is_stripped_and_split_as_python_does() {
        assert_eq!(
            lines("<body><pre>\n  第一行\n\n    第二行  \n</pre></body>"),
            ["第一行", "    第二行"]
        );
        assert_eq!(
            lines("<p>A&amp;B&nbsp;&#20013;</p><p>&nbsp;</p><p> \u{3000}\u{1c} </p>"),
            ["A&B\u{a0}中"]
        );
        assert_eq!(lines("<p>a&#13;b\r\nc</p>"), ["a", "b", "c"]);
        assert_eq!(lines("<p>x\0y</p>"), ["x\u{fffd}y"]);
        assert_eq!(
            lines("<body><iframe><p>备用</p></iframe></body>"),
            ["<p>备用</p>"]
        );
        assert_eq!(lines("<p>前<!-- 注释 -->后</p>"), ["前", "后"]);
    }

    #[test]
    fn no_input_panics() {
        for html in [
            "",
            "<",
            "</",
            "<!",
            "<!-",
            "<!--",
            "<?",
            "&",
            "&#",
            "&#x",
            "&#99999999999;",
            "<a",
            "<a b",
            "<a b=",
            "<a b='",
            "</a b='",
            "<![<![",
            "<![CDATA[",
            "<plaintext><p>",
            "<script><!--<script></script>",
            "<title>",
            "<body/>",
            "<html/>x",
            "<head/>",
            "\u{feff}<p>x",
            "<p>\u{d7ff}\u{e000}\u{10ffff}",
        ] {
            let _ = read_html(html);
            let _ = head_titles(html);
        }
        // libxml2 keeps 100 bytes of a name: "a" and 49 "é", then only a
        // character of one byte fits; these two names end up different.
        let long_names = format!("<a{0}>x</a{0}zzz>y", "é".repeat(80));
        assert_eq!(lines(&long_names), ["xy"]);
        let long_names = format!("<a{0}>x</a{0}éé>y", "é".repeat(80));
        assert_eq!(lines(&long_names), ["x", "y"]);
    }
}

#[cfg(test)]
mod timing {
    /// Reading speed on decoded pages `$HTML_TEXTS/000.html`, `001.html`...:
    /// `cargo test --release timing -- --ignored --nocapture`.
    #[test]
    #[ignore]
    fn read_speed() {
        let dir = std::env::var("HTML_TEXTS").unwrap_or_default();
        let texts: Vec<String> = (0..)
            .map_while(|i| std::fs::read_to_string(format!("{dir}/{i:03}.html")).ok())
            .collect();
        for _ in 0..3 {
            let start = std::time::Instant::now();
            for t in &texts {
                std::hint::black_box(super::read_html(t));
            }
            let ms = start.elapsed().as_secs_f64() * 1000.0 / texts.len().max(1) as f64;
            eprintln!("read_html: {ms:.3} ms/page over {} pages", texts.len());
        }
    }
}
