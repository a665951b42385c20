//! The ten line patterns, with the look-arounds of their Python form emulated.
//!
//! The reference runs each pattern with Python's `regex` (a backtracking
//! engine) over the joined page, match after non-overlapping match. The
//! `regex` crate has no look-around, so each pattern is split into its
//! top-level alternatives, in order; a look-behind or look-ahead becomes a
//! check of the character before the match or after it. At each position the
//! first alternative (in the pattern's order) that matches wins, as a
//! backtracking engine tries them. Where an alternative has a look-ahead its
//! preferred match failing the check means that no shorter match at that
//! start passes it either (shown per pattern below), so rejecting the start is
//! what backtracking does.

use regex::Regex;

/// What an alternative checks beyond its regex.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Ahead {
    /// Nothing.
    Any,
    /// `(?!\d)`: the next character is no digit.
    NotDigit,
    /// `(?!#)`: the next character is no "#".
    NotHash,
    /// `(?=.{0,N}\p{Han})`: a Han character within the next N + 1
    /// characters, before the line ends.
    HanWithin(usize),
}

struct Alt {
    re: Regex,
    /// `(?<!\d)` before the alternative: the previous character is no digit.
    not_after_digit: bool,
    ahead: Ahead,
}

/// A pattern: alternatives in the order a backtracking engine tries them.
pub struct Pattern {
    alts: Vec<Alt>,
}

// `\d` as Python's `regex` module reads it: its Unicode tables (17) add the
// Tolong Siki digits (U+11DE0..U+11DE9) to those of the `regex` crate (16).
const D: &str = r"[\d\x{11DE0}-\x{11DE9}]";

fn alt(pattern: &str, not_after_digit: bool, ahead: Ahead) -> Result<Alt, regex::Error> {
    let re = Regex::new(&pattern.replace(r"\d", D))?;
    Ok(Alt {
        re,
        not_after_digit,
        ahead,
    })
}

/// Whether `c` is a decimal digit as Python's `regex` reads `\d`.
pub fn is_digit(c: char) -> bool {
    // A `char` has a fixed set of digits: a small table beats a regex call.
    if c.is_ascii() {
        return c.is_ascii_digit();
    }
    digit_re().is_match(c.encode_utf8(&mut [0; 4]))
}

fn digit_re() -> &'static Regex {
    static RE: std::sync::OnceLock<Regex> = std::sync::OnceLock::new();
    RE.get_or_init(|| Regex::new(&format!(r"\A{D}\z")).expect("a fixed pattern"))
}

/// Whether `c` is in the script Han as Python's `regex` reads `\p{Han}`
/// (Unicode 17: the `regex` crate's tables, 16, and the ideographs added since).
pub fn is_han_script(c: char) -> bool {
    static RE: std::sync::OnceLock<Regex> = std::sync::OnceLock::new();
    let re = RE.get_or_init(|| {
        Regex::new(
            r"\A[\p{Han}\x{16FF2}-\x{16FF6}\x{2B73A}-\x{2B73F}\x{2B81E}\x{2CEA2}-\x{2CEAD}\x{323B0}-\x{33479}]\z",
        )
        .expect("a fixed pattern")
    });
    re.is_match(c.encode_utf8(&mut [0; 4]))
}

impl Pattern {
    fn new(alts: Vec<Alt>) -> Self {
        Self { alts }
    }

    /// Calls `hit(start, end)` (byte offsets) for each match over `text`,
    /// leftmost first and non-overlapping, as Python's `finditer` gives them.
    pub fn for_each(&self, text: &str, mut hit: impl FnMut(usize, usize)) {
        // The next match of each alternative at or after `pos`, once found:
        // None, not searched yet; Some(None), no more.
        let mut next: Vec<Option<Option<(usize, usize)>>> = vec![None; self.alts.len()];
        let mut pos = 0;
        while pos <= text.len() {
            let mut best: Option<(usize, usize)> = None;
            for (alt, cached) in self.alts.iter().zip(next.iter_mut()) {
                let found = match *cached {
                    Some(Some((s, e))) if s >= pos => Some((s, e)),
                    Some(None) => None,
                    _ => {
                        let found = alt.find_at(text, pos);
                        *cached = Some(found);
                        found
                    }
                };
                // Strictly leftward only: at a tie the earlier alternative wins.
                if let Some((s, e)) = found {
                    if best.is_none_or(|(bs, _)| s < bs) {
                        best = Some((s, e));
                    }
                }
            }
            let Some((s, e)) = best else { break };
            hit(s, e);
            // No pattern here matches the empty string; were one to, step on.
            pos = if e > s {
                e
            } else {
                s + char_len(text, s).max(1)
            };
        }
    }
}

/// The length in bytes of the character at byte `at` of `text` (0 at the end).
fn char_len(text: &str, at: usize) -> usize {
    text.get(at..)
        .and_then(|rest| rest.chars().next())
        .map_or(0, char::len_utf8)
}

impl Alt {
    /// The first match at or after byte `from` that passes the checks.
    fn find_at(&self, text: &str, from: usize) -> Option<(usize, usize)> {
        let mut at = from;
        loop {
            let m = self.re.find_at(text, at)?;
            let (s, e) = (m.start(), m.end());
            let before = text.get(..s).and_then(|t| t.chars().next_back());
            if self.not_after_digit && before.is_some_and(is_digit) {
                // Every start before the next non-digit has a digit before it:
                // the next candidate follows that non-digit (one step over a
                // run of digits, not one search per digit).
                let rest = text.get(s..).unwrap_or_default();
                let (i, c) = rest.char_indices().find(|&(_, c)| !is_digit(c))?;
                at = s + i + c.len_utf8();
                continue;
            }
            let after = text.get(e..).unwrap_or_default();
            let next = after.chars().next();
            let pass = match self.ahead {
                Ahead::Any => true,
                Ahead::NotDigit => !next.is_some_and(is_digit),
                Ahead::NotHash => next != Some('#'),
                Ahead::HanWithin(n) => after
                    .chars()
                    .take(n + 1)
                    .take_while(|&c| c != '\n')
                    .any(is_han_script),
            };
            if pass {
                return Some((s, e));
            }
            // Nothing matches at `s`: the next candidate starts after it.
            at = s + char_len(text, s).max(1);
            if at > text.len() {
                return None;
            }
        }
    }
}

/// The ten patterns of the base features.
pub struct Patterns {
    pub date: Pattern,
    pub time: Pattern,
    pub ago: Pattern,
    pub list_start: Pattern,
    pub contact: Pattern,
    pub legal: Pattern,
    pub meta_key: Pattern,
    pub byline: Pattern,
    pub count_word: Pattern,
    pub markdown: Pattern,
}

/// AGO as Python's `regex` reads it; `zhengwen.decode` builds on it. The core
/// runs [`Patterns::ago`], its emulation.
pub const AGO_SOURCE: &str =
    r"(?<!\d)\d+\s*(?:秒|分钟|分鐘|小时|小時|天|周|週|个月|個月|月|年)前|刚刚|剛剛|昨天|前天";

impl Patterns {
    /// The patterns, compiled (the reference's Python form in each comment).
    pub fn new() -> Result<Self, regex::Error> {
        use Ahead::{Any, HanWithin, NotDigit, NotHash};
        Ok(Self {
            // (?:19|20)\d\d\s*[-/.年]\s*[01]?\d\s*[-/.月]\s*[0-3]?\d\s*日?
            // |(?<!\d)[01]?\d\s*月\s*[0-3]?\d\s*日
            // |(?<!\d)[01]?\d-[0-3]\d(?!\d)
            // The last: [01]? taken puts "-" third, not taken second, where
            // the other path has a digit: one path at most reaches the check.
            date: Pattern::new(vec![
                alt(
                    r"(?:19|20)\d\d\s*[-/.年]\s*[01]?\d\s*[-/.月]\s*[0-3]?\d\s*日?",
                    false,
                    Any,
                )?,
                alt(r"[01]?\d\s*月\s*[0-3]?\d\s*日", true, Any)?,
                alt(r"[01]?\d-[0-3]\d", true, NotDigit)?,
            ]),
            // \d[:：][0-5]\d(?![\d]): one length.
            time: Pattern::new(vec![alt(r"\d[:：][0-5]\d", false, NotDigit)?]),
            ago: Pattern::new(vec![
                alt(
                    r"\d+\s*(?:秒|分钟|分鐘|小时|小時|天|周|週|个月|個月|月|年)前",
                    true,
                    Any,
                )?,
                alt(r"刚刚|剛剛|昨天|前天", false, Any)?,
            ]),
            list_start: Pattern::new(vec![alt(
                r"(?m)^(?:\d{1,3}[、.．)）]|[（(]\d{1,3}[）)]|[一二三四五六七八九十]{1,3}[、.．]|[·•▪●◆■○※★☆►▶-])",
                false,
                Any,
            )?]),
            // https?:|www\.|\.com|\.cn|\.net|@[A-Za-z0-9-]+\.|(?<!\d)\d{3,4}-\d{7,8}(?!\d)
            // |(?<!\d)1[3-9]\d{9}(?!\d)|[Qq][Qq][:：]?\d{5,}
            // \d{3,4}-: the "-" fixes the first count. \d{7,8}: if eight
            // digits are followed by a digit, so are seven.
            contact: Pattern::new(vec![
                alt(
                    r"https?:|www\.|\.com|\.cn|\.net|@[A-Za-z0-9-]+\.",
                    false,
                    Any,
                )?,
                alt(r"\d{3,4}-\d{7,8}", true, NotDigit)?,
                alt(r"1[3-9]\d{9}", true, NotDigit)?,
                alt(r"[Qq][Qq][:：]?\d{5,}", false, Any)?,
            ]),
            legal: Pattern::new(vec![alt(
                r"ICP|公网安备|公網安備|©|\(c\)|&copy|[Cc]opyright|COPYRIGHT|版权|版權|[Aa]ll\s*[Rr]ights|许可证|許可證|备案|備案",
                false,
                Any,
            )?]),
            meta_key: Pattern::new(vec![alt(
                r"(?:来源|來源|作者|记者|記者|编辑|編輯|责编|責編|通讯员|通訊員|发布时间|發佈時間|發布時間|发表时间|發表時間|时间|時間|日期|浏览|瀏覽|阅读|閱讀|点击|點擊|摄影|攝影|出处|出處|稿源)\s*[:：]",
                false,
                Any,
            )?]),
            byline: Pattern::new(vec![alt(
                r"[（(【\[]\s*(?:记者|記者|编辑|編輯|作者|通讯员|來源|来源|责任编辑|責任編輯)",
                false,
                Any,
            )?]),
            count_word: Pattern::new(vec![alt(
                r"\d+\s*(?:条|條|人|次|个|個|篇|楼|樓|赞|讚|评|評|回复|回覆|阅读|閱讀)",
                true,
                Any,
            )?]),
            // ^(?:#{1,6}(?!#)|>(?=.{0,200}\p{Han})|\*\*)|!\[[^\]\n]{0,200}\]\(
            // |\]\(https?://|\*\*[^*\n]{1,200}\*\*   (MULTILINE)
            // #{1,6}(?!#): if six "#" are followed by a "#", so are fewer.
            markdown: Pattern::new(vec![
                alt(r"(?m)^#{1,6}", false, NotHash)?,
                alt(r"(?m)^>", false, HanWithin(200))?,
                alt(
                    r"(?m)^\*\*|!\[[^\]\n]{0,200}\]\(|\]\(https?://|\*\*[^*\n]{1,200}\*\*",
                    false,
                    Any,
                )?,
            ]),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Each expected span is what Python's `regex` gives for the reference
    // pattern (byte offsets of its character offsets).
    fn spans(p: &Pattern, text: &str) -> Vec<(usize, usize)> {
        let mut out = Vec::new();
        p.for_each(text, |s, e| out.push((s, e)));
        out
    }

    #[test]
    fn look_behind_rejects_a_start_inside_a_run_of_digits() {
        let p = Patterns::new().unwrap();
        assert_eq!(spans(&p.ago, "3小时前"), vec![(0, 10)]);
        // (?<!\d) in the first alternative, none in the second.
        assert_eq!(spans(&p.ago, "x昨天"), vec![(1, 7)]);
        // 12-31 inside 312-31: no start passes the look-behind but the first,
        // and from it "-" comes too late.
        assert_eq!(spans(&p.date, "312-31"), vec![]);
        assert_eq!(spans(&p.date, "a12-31"), vec![(1, 6)]);
        assert_eq!(spans(&p.count_word, "12条"), vec![(0, 5)]);
    }

    #[test]
    fn look_behind_steps_over_a_run_of_digits_at_once() {
        let p = Patterns::new().unwrap();
        // The first alternative ends inside the run: each later start has a
        // digit before it, up to the "月".
        let text = format!("2022-1-12{}月1日", "3".repeat(100_000));
        assert_eq!(spans(&p.date, &text), vec![(0, 9)]);
        let text = format!("2022-1-12{}x1月1日", "3".repeat(10));
        assert_eq!(spans(&p.date, &text), vec![(0, 9), (20, 28)]);
    }

    #[test]
    fn look_ahead_rejects_a_match_followed_by_a_digit() {
        let p = Patterns::new().unwrap();
        assert_eq!(spans(&p.time, "16:28"), vec![(1, 5)]);
        assert_eq!(spans(&p.time, "16:281"), vec![]);
        assert_eq!(spans(&p.contact, "010-12345678"), vec![(0, 12)]);
        assert_eq!(spans(&p.contact, "010-123456789"), vec![]);
        assert_eq!(spans(&p.contact, "13912345678"), vec![(0, 11)]);
        assert_eq!(spans(&p.contact, "139123456789"), vec![]);
        // A full-width digit is a digit to Python's \d, and so is U+11DE0.
        assert_eq!(spans(&p.time, "1:00１"), vec![]);
        assert_eq!(spans(&p.time, "1:00\u{11DE0}"), vec![]);
    }

    #[test]
    fn markdown_heading_and_quote() {
        let p = Patterns::new().unwrap();
        assert_eq!(spans(&p.markdown, "## 标题"), vec![(0, 2)]);
        assert_eq!(spans(&p.markdown, "####### x"), vec![]);
        assert_eq!(spans(&p.markdown, "x\n> 引文"), vec![(2, 3)]);
        assert_eq!(spans(&p.markdown, "> abc\n引文"), vec![]);
        let far = format!(">{}中", "a".repeat(200));
        assert_eq!(spans(&p.markdown, &far), vec![(0, 1)]);
        let too_far = format!(">{}中", "a".repeat(201));
        assert_eq!(spans(&p.markdown, &too_far), vec![]);
    }

    #[test]
    fn earlier_alternative_wins_at_a_tie() {
        let p = Patterns::new().unwrap();
        // ^\*\* (two characters) before \*\*[^*\n]{1,200}\*\*.
        assert_eq!(spans(&p.markdown, "**粗体**"), vec![(0, 2)]);
        assert_eq!(spans(&p.markdown, "x**粗体**"), vec![(1, 11)]);
    }

    #[test]
    fn matches_may_span_lines_through_whitespace() {
        let p = Patterns::new().unwrap();
        assert_eq!(spans(&p.date, "2022\n年5月3日"), vec![(0, 16)]);
        assert_eq!(spans(&p.date, ""), vec![]);
    }
}
