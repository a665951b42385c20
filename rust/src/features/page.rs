//! A page's folded lines, joined as the reference implementation joined them.

use std::borrow::Cow;

/// The code point that stands in for a lone surrogate where the text must be
/// a Rust `str` (the pattern scans): three bytes long, as a surrogate is in
/// generalised UTF-8, so byte offsets stay the same. No pattern names it, and
/// it is neither a digit, a space nor Han, so it matches exactly where a
/// surrogate would (`.` and negated classes only).
const SURROGATE_STAND_IN: &str = "\u{FFFF}";

/// The lines of a page joined with "\n", in generalised UTF-8 (lone
/// surrogates as `surrogatepass` encodes them), with each line's place.
pub struct Page {
    raw: Vec<u8>,
    starts: Vec<usize>,
}

impl Page {
    /// A page of `lines`, each in generalised UTF-8.
    pub fn new<'a>(lines: impl IntoIterator<Item = &'a [u8]>) -> Self {
        let mut page = Self {
            raw: Vec::new(),
            starts: Vec::new(),
        };
        for line in lines {
            page.push(line);
        }
        page
    }

    /// Appends a line.
    pub fn push(&mut self, line: &[u8]) {
        if !self.starts.is_empty() {
            self.raw.push(b'\n');
        }
        self.starts.push(self.raw.len());
        self.raw.extend_from_slice(line);
    }

    /// The number of lines.
    pub fn len(&self) -> usize {
        self.starts.len()
    }

    /// Whether the page has no line.
    pub fn is_empty(&self) -> bool {
        self.starts.is_empty()
    }

    /// The joined text, in generalised UTF-8.
    pub fn raw(&self) -> &[u8] {
        &self.raw
    }

    /// Line `i`, without its "\n".
    pub fn line(&self, i: usize) -> &[u8] {
        &self.raw[self.starts[i]..self.end(i)]
    }

    /// Where line `i` starts in the joined text.
    pub fn start(&self, i: usize) -> usize {
        self.starts[i]
    }

    /// Where line `i` ends in the joined text (its "\n" excluded).
    pub fn end(&self, i: usize) -> usize {
        match self.starts.get(i + 1) {
            Some(&next) => next - 1,
            None => self.raw.len(),
        }
    }

    /// The lines in order.
    pub fn lines(&self) -> impl Iterator<Item = &[u8]> + '_ {
        (0..self.len()).map(|i| self.line(i))
    }

    /// The line that byte offset `at` of the joined text falls in (a line's
    /// "\n" belongs to it).
    pub fn line_of(&self, at: usize) -> usize {
        self.starts.partition_point(|&s| s <= at).saturating_sub(1)
    }

    /// The joined text as a `str`, lone surrogates replaced by a stand-in of
    /// the same byte length (see [`SURROGATE_STAND_IN`]).
    pub fn text(&self) -> Cow<'_, str> {
        match std::str::from_utf8(&self.raw) {
            Ok(text) => Cow::Borrowed(text),
            Err(_) => Cow::Owned(replace_surrogates(&self.raw)),
        }
    }
}

/// `bytes` (generalised UTF-8) with every surrogate replaced by
/// [`SURROGATE_STAND_IN`]; any other malformed byte by U+FFFD.
fn replace_surrogates(bytes: &[u8]) -> String {
    let mut out = Vec::with_capacity(bytes.len());
    let mut rest = bytes;
    while !rest.is_empty() {
        match std::str::from_utf8(rest) {
            Ok(valid) => {
                out.extend_from_slice(valid.as_bytes());
                break;
            }
            Err(e) => {
                let (valid, bad) = rest.split_at(e.valid_up_to());
                out.extend_from_slice(valid);
                let (cp, len) = super::classes::decode(bad);
                if (0xD800..0xE000).contains(&cp) && len == 3 {
                    out.extend_from_slice(SURROGATE_STAND_IN.as_bytes());
                } else {
                    out.extend_from_slice("\u{FFFD}".as_bytes());
                }
                rest = &bad[len.min(bad.len()).max(1)..];
            }
        }
    }
    String::from_utf8(out).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}
