//! What the HTML knows (`zhengwen.html`), for pages read from markup: link
//! density around each line, its block group, and whether it is the <h1> or
//! inside the <title>.

use super::classes::{code_points, count_code_points};
use super::page::Page;
use super::Matrix;

/// Block tags grouped by what they usually hold; a line's group is its
/// nearest block ancestor's (`zhengwen.html.HtmlPage.block`).
const BLOCK_GROUPS: [(&str, &[&str]); 10] = [
    ("p", &["p"]),
    ("list", &["li", "ul", "ol", "menu"]),
    (
        "table",
        &[
            "td", "th", "tr", "table", "tbody", "thead", "tfoot", "caption",
        ],
    ),
    ("heading", &["h1", "h2", "h3", "h4", "h5", "h6", "hgroup"]),
    ("div", &["div", "center", "body"]),
    ("definition", &["dd", "dt", "dl"]),
    ("quote", &["pre", "blockquote", "figcaption", "figure"]),
    ("landmark", &["nav", "header", "footer", "aside", "address"]),
    ("article", &["article", "main", "section"]),
    (
        "form",
        &["form", "fieldset", "legend", "details", "summary", "dialog"],
    ),
];
/// The group of a tag in none of [`BLOCK_GROUPS`].
pub const OTHER_GROUP: u8 = BLOCK_GROUPS.len() as u8;
/// Link density windows: ± this many lines (0, the line alone).
const LINK_WIDTHS: [usize; 4] = [0, 1, 3, 10];
/// Lines each side over which the share of <p> lines is taken.
const BLOCK_WIDTH: usize = 5;
/// Characters a line needs before "inside <title>" counts.
const HTML_TITLE_MIN_CHARS: usize = 4;

pub const N_HTML: usize = LINK_WIDTHS.len() + 2 + BLOCK_GROUPS.len() + 1 + 3;

/// The HTML columns' names, in order.
pub fn names() -> Vec<String> {
    let mut out: Vec<String> = LINK_WIDTHS.iter().map(|w| format!("link_w{w}")).collect();
    out.push("link_before10".into());
    out.push("link_after10".into());
    out.extend(BLOCK_GROUPS.iter().map(|(g, _)| format!("block_{g}")));
    out.push("block_other".into());
    out.push(format!("p_win{BLOCK_WIDTH}"));
    out.push("is_h1".into());
    out.push("in_html_title".into());
    out
}

/// The group of block tag `tag`.
pub fn group_of(tag: &str) -> u8 {
    BLOCK_GROUPS
        .iter()
        .position(|(_, tags)| tags.contains(&tag))
        .map_or(OTHER_GROUP, |g| g as u8)
}

/// A page's markup facts, line for line.
pub struct Markup {
    /// Whether the line has characters inside <a>.
    pub linked: Vec<bool>,
    /// The line's block group ([`group_of`]).
    pub groups: Vec<u8>,
    /// The <title> text without whitespace (generalised UTF-8).
    pub title: Vec<u8>,
    /// The <h1> text without whitespace.
    pub h1: Vec<u8>,
}

/// Whether Python's `str.split()` splits at `cp`: Unicode White_Space and
/// the information separators U+001C..U+001F.
fn is_py_space(cp: u32) -> bool {
    (0x1C..=0x1F).contains(&cp) || char::from_u32(cp).is_some_and(char::is_whitespace)
}

/// `"".join(s.split())` of generalised UTF-8 `s`.
pub fn without_spaces(s: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len());
    let mut cps = code_points(s).peekable();
    while let Some((at, cp)) = cps.next() {
        let end = cps.peek().map_or(s.len(), |&(e, _)| e);
        if !is_py_space(cp) {
            out.extend_from_slice(&s[at..end]);
        }
    }
    out
}

/// What the HTML columns need of the whole page: running sums of characters,
/// of linked characters and of <p> lines, `n + 1` each, the first zeros.
pub(crate) struct HtmlFacts {
    cum_c: Vec<f64>,
    cum_l: Vec<f64>,
    cum_p: Vec<f64>,
}

impl HtmlFacts {
    pub(crate) fn new(page: &Page, markup: &Markup) -> Self {
        let n = page.len();
        let mut cum_c = Vec::with_capacity(n + 1);
        let mut cum_l = Vec::with_capacity(n + 1);
        let mut cum_p = Vec::with_capacity(n + 1);
        let (mut c, mut l, mut p) = (0.0, 0.0, 0.0);
        cum_c.push(c);
        cum_l.push(l);
        cum_p.push(p);
        for (i, line) in page.lines().enumerate() {
            let chars = count_code_points(line) as f64;
            c += chars;
            l += if markup.linked_at(i) { chars } else { 0.0 };
            p += f64::from(u8::from(markup.group_at(i) == 0));
            cum_c.push(c);
            cum_l.push(l);
            cum_p.push(p);
        }
        Self {
            cum_c,
            cum_l,
            cum_p,
        }
    }

    /// Fills `N_HTML` columns of `x` from column `offset` on, for lines
    /// `range` (row 0 is line `range.start`). The link share is
    /// character-weighted (characters of linked lines / characters) over ±w lines.
    pub(crate) fn rows(
        &self,
        page: &Page,
        markup: &Markup,
        range: std::ops::Range<usize>,
        x: &mut Matrix<'_>,
        offset: usize,
    ) {
        let n = page.len();
        let (cum_c, cum_l, cum_p) = (&self.cum_c, &self.cum_l, &self.cum_p);
        let bounds = |i: usize, lo: isize, hi: isize| {
            let clip = |v: isize| v.clamp(0, n as isize) as usize;
            (clip(i as isize + lo), clip(i as isize + hi + 1))
        };
        let share = |i: usize, lo: isize, hi: isize| {
            let (a, b) = bounds(i, lo, hi);
            let c = cum_c[b] - cum_c[a];
            if c > 0.0 {
                (cum_l[b] - cum_l[a]) / c.max(1.0)
            } else {
                0.0
            }
        };
        for i in range.start..range.end.min(n) {
            let line = page.line(i);
            let row = &mut x.row_mut(i - range.start)[offset..offset + N_HTML];
            let mut k = 0;
            for w in LINK_WIDTHS {
                row[k] = share(i, -(w as isize), w as isize);
                k += 1;
            }
            row[k] = share(i, -10, -1);
            row[k + 1] = share(i, 1, 10);
            k += 2;
            row[k + usize::from(markup.group_at(i).min(OTHER_GROUP))] = 1.0;
            k += BLOCK_GROUPS.len() + 1;
            let (a, b) = bounds(i, -(BLOCK_WIDTH as isize), BLOCK_WIDTH as isize);
            row[k] = (cum_p[b] - cum_p[a]) / (b - a) as f64;
            if !line.is_empty() && line == markup.h1.as_slice() {
                row[k + 1] = 1.0;
            }
            if count_code_points(line) >= HTML_TITLE_MIN_CHARS
                && memchr::memmem::find(&markup.title, line).is_some()
            {
                row[k + 2] = 1.0;
            }
        }
    }
}

/// Fills `N_HTML` columns of `x` from column `offset` on, for the whole page.
pub fn html_features(page: &Page, markup: &Markup, x: &mut Matrix<'_>, offset: usize) {
    HtmlFacts::new(page, markup).rows(page, markup, 0..page.len(), x, offset);
}

impl Markup {
    /// Whether line `i` has linked characters. Markup shorter than the page
    /// (not from Python, which checks) reads as lines without links in no
    /// known block.
    fn linked_at(&self, i: usize) -> bool {
        self.linked.get(i).copied().unwrap_or(false)
    }

    /// Line `i`'s block group.
    fn group_at(&self, i: usize) -> u8 {
        self.groups.get(i).copied().unwrap_or(OTHER_GROUP)
    }

    /// The facts of lines `rows` alone, in their order (a page's body read alone).
    pub fn subset(&self, rows: &[usize]) -> Markup {
        Markup {
            linked: rows.iter().map(|&i| self.linked[i]).collect(),
            groups: rows.iter().map(|&i| self.groups[i]).collect(),
            title: self.title.clone(),
            h1: self.h1.clone(),
        }
    }
}
