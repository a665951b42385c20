//! Folding a page's lines into the form the features read: what
//! `zhengwen.normalize.feature_text` does line by line in Python, done for a
//! whole page in one call.
//!
//! A folded line is the line cut to `max_chars` characters, its HTML
//! character references closed by `;` decoded as Python's `html.unescape`
//! decodes them (a reference to `&` itself stays), then without whitespace
//! (the `regex` module's `\s`) or invisible characters. Lines are read as
//! generalised UTF-8 (a lone surrogate as `surrogatepass` writes it), so
//! every Python `str` comes back as Python would fold it.

use html5ever::data::{C1_REPLACEMENTS, NAMED_ENTITIES};
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyInt, PyList, PyString};

/// Whether `c` is whitespace or invisible: `[\s\u200b-\u200f\u2028-\u202f
/// \u2060-\u2064\ufeff\u00ad]` of `normalize._INVISIBLE`, where `\s` is the
/// `regex` module's: Unicode White_Space, so not the C0 separators
/// U+001C–U+001F that `str.isspace` counts.
fn is_invisible(c: u32) -> bool {
    matches!(
        c,
        0x09..=0x0d
            | 0x20
            | 0x85
            | 0xa0
            | 0xad
            | 0x1680
            | 0x2000..=0x200f
            | 0x2028..=0x202f
            | 0x205f..=0x2064
            | 0x3000
            | 0xfeff
    )
}

/// The code point starting at `bytes[i]` and its length in bytes, read as
/// generalised UTF-8; a truncated sequence reads as what is there.
fn code_point(bytes: &[u8], i: usize) -> (u32, usize) {
    let lead = bytes[i];
    let (len, init) = match lead {
        0x00..=0x7f => return (u32::from(lead), 1),
        0xc0..=0xdf => (2, u32::from(lead & 0x1f)),
        0xe0..=0xef => (3, u32::from(lead & 0x0f)),
        _ => (4, u32::from(lead & 0x07)),
    };
    let end = (i + len).min(bytes.len());
    let cp = bytes[i + 1..end]
        .iter()
        .fold(init, |acc, b| (acc << 6) | u32::from(b & 0x3f));
    (cp, end - i)
}

/// Appends the code point `c` to `out` in UTF-8 (`c` is never a surrogate).
fn push_char(out: &mut Vec<u8>, c: u32) {
    let ch = char::from_u32(c).unwrap_or('\u{fffd}');
    let mut buf = [0u8; 4];
    out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
}

/// A named entity's characters, if `name` (without `&`) is one: the table
/// also holds every prefix of a name, as `(0, 0)`, which is no entity.
fn entity(name: &[u8]) -> Option<(u32, u32)> {
    let name = std::str::from_utf8(name).ok()?;
    NAMED_ENTITIES
        .get(name)
        .copied()
        .filter(|&(first, _)| first != 0)
}

/// What `html.unescape` gives for `&#NNN;` or `&#xHH;` with value `num`
/// (CPython's `_replace_charref`): 0 and the windows-1252 range 0x80–0x9F
/// are remapped, surrogates and values past U+10FFFF become U+FFFD, and the
/// `_invalid_codepoints` (controls, noncharacters) are dropped.
fn push_numeric(out: &mut Vec<u8>, num: u32) {
    match num {
        0 => push_char(out, 0xfffd),
        0x0d => out.push(b'\r'),
        0x80..=0x9f => {
            let c1 = C1_REPLACEMENTS
                .get((num - 0x80) as usize)
                .copied()
                .flatten();
            push_char(out, c1.map_or(num, u32::from));
        }
        0xd800..=0xdfff | 0x11_0000.. => push_char(out, 0xfffd),
        0x01..=0x08 | 0x0b | 0x0e..=0x1f | 0x7f | 0xfdd0..=0xfdef => {}
        _ if num & 0xfffe == 0xfffe => {}
        _ => push_char(out, num),
    }
}

/// The length of the run of bytes from `start` that satisfy `pred`, counting
/// at most `limit + 1` (enough to tell a run too long).
fn run(bytes: &[u8], start: usize, limit: usize, pred: impl Fn(u8) -> bool) -> usize {
    bytes
        .get(start..)
        .unwrap_or_default()
        .iter()
        .take(limit + 1)
        .take_while(|&&b| pred(b))
        .count()
}

/// Decodes the reference at `bytes[i] == b'&'` into `out` if
/// `normalize._REFERENCE` matches there
/// (`&(?:[A-Za-z][A-Za-z0-9]{1,31}|#[0-9]{1,7}|#[xX][0-9A-Fa-f]{1,6});`),
/// giving the index past it; `None` when no reference starts there.
fn reference(bytes: &[u8], i: usize, out: &mut Vec<u8>) -> Option<usize> {
    let semicolon_at = |j: usize| bytes.get(j) == Some(&b';');
    match *bytes.get(i + 1)? {
        b'#' => {
            let hex = matches!(bytes.get(i + 2), Some(b'x' | b'X'));
            let (start, limit, radix) = if hex { (i + 3, 6, 16) } else { (i + 2, 7, 10) };
            let digits = run(bytes, start, limit, |b| {
                if hex {
                    b.is_ascii_hexdigit()
                } else {
                    b.is_ascii_digit()
                }
            });
            if digits == 0 || digits > limit || !semicolon_at(start + digits) {
                return None;
            }
            let text = std::str::from_utf8(&bytes[start..start + digits]).ok()?;
            let num = u32::from_str_radix(text, radix).ok()?;
            let end = start + digits + 1;
            if num == u32::from(b'&') {
                out.extend_from_slice(&bytes[i..end]);
            } else {
                push_numeric(out, num);
            }
            Some(end)
        }
        first if first.is_ascii_alphabetic() => {
            let len = run(bytes, i + 1, 32, |b| b.is_ascii_alphanumeric());
            if !(2..=32).contains(&len) || !semicolon_at(i + 1 + len) {
                return None;
            }
            let end = i + len + 2;
            // `s` of `_replace_charref`: the name with its semicolon.
            let s = &bytes[i + 1..end];
            match entity(s) {
                Some((38, 0)) => out.extend_from_slice(&bytes[i..end]),
                Some(chars) => push_entity(out, chars),
                None => {
                    // The longest prefix (of 2 characters or more) that names
                    // an entity, then the rest as written.
                    let prefix = (2..s.len()).rev().find_map(|x| Some((x, entity(&s[..x])?)));
                    match prefix {
                        Some((x, chars)) => {
                            push_entity(out, chars);
                            out.extend_from_slice(&s[x..]);
                        }
                        None => out.extend_from_slice(&bytes[i..end]),
                    }
                }
            }
            Some(end)
        }
        _ => None,
    }
}

/// Appends an entity's one or two characters.
fn push_entity(out: &mut Vec<u8>, (first, second): (u32, u32)) {
    push_char(out, first);
    if second != 0 {
        push_char(out, second);
    }
}

/// `normalize.decoded`: `line` with its character references decoded, into `out`.
fn decode_into(line: &[u8], out: &mut Vec<u8>) {
    let mut i = 0;
    let mut copied = 0;
    while let Some(at) = memchr::memchr(b'&', &line[i..]) {
        let amp = i + at;
        out.extend_from_slice(&line[copied..amp]);
        match reference(line, amp, out) {
            Some(end) => {
                i = end;
                copied = end;
            }
            None => {
                out.push(b'&');
                i = amp + 1;
                copied = i;
            }
        }
    }
    out.extend_from_slice(&line[copied..]);
}

/// The byte index where `line` is cut as Python's
/// `line[:max_chars] if len(line) > max_chars else line` cuts it.
fn cut(line: &[u8], max_chars: i64) -> usize {
    // Characters start at every byte that is not a continuation byte.
    let starts = || line.iter().enumerate().filter(|(_, &b)| b & 0xc0 != 0x80);
    let keep = if max_chars >= 0 {
        // A line of at most `max_chars` bytes has at most that many characters.
        if line.len() as u64 <= max_chars as u64 {
            return line.len();
        }
        max_chars as u64
    } else {
        let count = starts().count() as i64;
        count.saturating_add(max_chars).max(0) as u64
    };
    starts().nth(keep as usize).map_or(line.len(), |(at, _)| at)
}

/// The folded form of `line` (generalised UTF-8) appended to `out`:
/// `normalize.feature_text(line, max_chars)`.
pub fn fold_line(line: &[u8], max_chars: i64, out: &mut Vec<u8>, scratch: &mut Vec<u8>) {
    let line = &line[..cut(line, max_chars)];
    let decoded: &[u8] = if memchr::memchr(b'&', line).is_some() {
        scratch.clear();
        decode_into(line, scratch);
        scratch
    } else {
        line
    };
    let mut i = 0;
    while i < decoded.len() {
        let b = decoded[i];
        if b < 0x80 {
            if !is_invisible(u32::from(b)) {
                out.push(b);
            }
            i += 1;
            continue;
        }
        let (c, len) = code_point(decoded, i);
        if !is_invisible(c) {
            out.extend_from_slice(&decoded[i..i + len]);
        }
        i += len;
    }
}

/// Folds every line of a page: the bytes of all folded lines, and where each ends.
pub fn fold_all(lines: &[u8], ends: &[usize], max_chars: i64) -> (Vec<u8>, Vec<usize>) {
    let mut out = Vec::with_capacity(lines.len());
    let mut out_ends = Vec::with_capacity(ends.len());
    let mut scratch = Vec::new();
    let mut start = 0;
    for &end in ends {
        fold_line(&lines[start..end], max_chars, &mut out, &mut scratch);
        out_ends.push(out.len());
        start = end;
    }
    (out, out_ends)
}

/// `max_chars` as `i64`; a Python int past its range is clamped, which cuts alike.
fn max_chars_of(value: &Bound<'_, PyAny>) -> PyResult<i64> {
    let int = value
        .cast::<PyInt>()
        .map_err(|_| PyTypeError::new_err("max_chars must be an int"))?;
    match int.extract::<i64>() {
        Ok(v) => Ok(v),
        Err(_) => Ok(if int.lt(0)? { i64::MIN } else { i64::MAX }),
    }
}

/// `[normalize.feature_text(line, max_chars) for line in lines]` in one call.
///
/// A line that folds to itself comes back as the same `str` object.
#[pyfunction]
fn fold_lines<'py>(
    py: Python<'py>,
    lines: &Bound<'py, PyAny>,
    max_chars: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyList>> {
    let max_chars = max_chars_of(max_chars)?;
    let mut strs: Vec<Bound<'py, PyString>> = Vec::new();
    let mut bytes: Vec<u8> = Vec::new();
    let mut ends: Vec<usize> = Vec::new();
    // Lines holding a lone surrogate: their folded bytes are not UTF-8.
    let mut surrogates: Vec<bool> = Vec::new();
    for line in lines.try_iter()? {
        let line = line?.cast_into::<PyString>()?;
        match line.encode_utf8() {
            Ok(b) => {
                bytes.extend_from_slice(b.as_bytes());
                surrogates.push(false);
            }
            Err(_) => {
                let b = line.call_method1("encode", ("utf-8", "surrogatepass"))?;
                bytes.extend_from_slice(b.cast::<PyBytes>()?.as_bytes());
                surrogates.push(true);
            }
        }
        ends.push(bytes.len());
        strs.push(line);
    }
    let (out, out_ends) = py.detach(|| fold_all(&bytes, &ends, max_chars));
    let folded = PyList::empty(py);
    let (mut start, mut out_start) = (0, 0);
    for (i, line) in strs.iter().enumerate() {
        let (end, out_end) = (ends[i], out_ends[i]);
        let piece = &out[out_start..out_end];
        if piece == &bytes[start..end] {
            folded.append(line)?;
        } else if surrogates[i] {
            let decoded =
                PyBytes::new(py, piece).call_method1("decode", ("utf-8", "surrogatepass"))?;
            folded.append(decoded)?;
        } else {
            let text =
                std::str::from_utf8(piece).map_err(|e| PyTypeError::new_err(e.to_string()))?;
            folded.append(PyString::new(py, text))?;
        }
        start = end;
        out_start = out_end;
    }
    Ok(folded)
}

/// Registers `fold_lines`.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(fold_lines, m)?)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fold(line: &str, max_chars: i64) -> String {
        let (mut out, mut scratch) = (Vec::new(), Vec::new());
        fold_line(line.as_bytes(), max_chars, &mut out, &mut scratch);
        String::from_utf8(out).unwrap_or_default()
    }

    #[test]
    fn folds_like_feature_text() {
        assert_eq!(fold("  a b\u{3000}c\u{200b} ", 100), "abc");
        assert_eq!(fold("x&nbsp;y&ldquo;z&#12290;", 100), "xy\u{201c}z\u{3002}");
        assert_eq!(fold("&amp;lt; &#38; &#x26;", 100), "&amp;lt;&#38;&#x26;");
        assert_eq!(
            fold("&ampx; &ltfoo; &zzz; ?a=1&copy=2", 100),
            "&x;<foo;&zzz;?a=1&copy=2"
        );
        assert_eq!(
            fold("&#0;&#128;&#129;&#1;&#xD800;&#x110000;&#13;", 100),
            "\u{fffd}\u{20ac}\u{81}\u{fffd}\u{fffd}"
        );
        assert_eq!(fold("一二三四", 2), "一二");
        assert_eq!(fold("一二三四", -1), "一二三");
        assert_eq!(fold("一二三四", -9), "");
    }
}
