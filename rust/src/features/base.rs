//! The base features: one row of counts, flags and lexicon hits per line.

use std::collections::HashMap;

/// foldhash's seeded hasher: the per-line look-ups (a line's prefixes in the
/// lexicon, its repeats) hash short keys, where SipHash costs more than the
/// look-up; seeded, so no page can pick keys that collide.
type Map<K, V> = HashMap<K, V, foldhash::fast::RandomState>;

use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};

use super::classes::{
    code_points, count_code_points, cp_in, is_edge, is_han, strip, Class, ClassTable, CLAUSE,
    CLOSERS, DIGIT, HAN, HAN_FUNC, LATIN, NEWLINE, N_CLASSES, OPENERS, OTHER, PERIOD, QUOTE,
    SENT_END, SEP,
};
use super::page::Page;
use super::patterns::Patterns;
use super::{col, Layout, Matrix};

/// A line-start look-up tries prefixes up to this many characters.
const PREFIX_MAX_CHARS: usize = 8;
/// Characters a lexicon word needs to count when found mid-line: one-character
/// words (大, 中, 图) are too common inside a line to mean anything.
const MIN_INLINE_WORD: usize = 2;
/// The first lines of a page, where scrapers put the <title> text.
const HEAD_LINES: usize = 3;
/// Characters a line needs before its echo at the head counts.
const MIN_ECHO_CHARS: usize = 5;
/// A longer page gives its size inputs (`n_lines`, `page_han`, `dup_count`)
/// as a page of this many lines with the same mix would: the labelled pages
/// have at most 1,745 lines, and networks extrapolate from inputs 100 times
/// beyond that as they please (one-character pages of 25,600 and 256,000
/// lines were read differently; docs/reliability.md). No labelled page is
/// this long, so no fitted or measured figure depends on it.
pub const SIZE_LINES: usize = 2048;
/// Han characters that, with [`PROSE_PUNCT`], make a line prose.
pub const PROSE_HAN: f64 = 15.0;
/// Share of sentence and clause marks among a prose line's characters.
pub const PROSE_PUNCT: f64 = 0.02;

/// Lines of running text: enough Han characters, and punctuation among them.
pub fn is_prose(han: f64, punct_ratio: f64) -> bool {
    han >= PROSE_HAN && punct_ratio >= PROSE_PUNCT
}

/// The furniture lexicons: each phrase with the bitmask of its kinds.
pub struct Lexicon {
    index: Map<Vec<u8>, u64>,
    /// The longest phrase, in characters.
    longest: usize,
    /// All phrases of [`MIN_INLINE_WORD`] characters or more, found leftmost
    /// first, the longest at a position, without overlaps: what the reference's
    /// factored alternation (greedy at each trie node) finds.
    inline: Option<AhoCorasick>,
    /// Per inline phrase: its kinds, and its length in characters.
    inline_words: Vec<(u64, f64)>,
}

impl Lexicon {
    /// The lexicon of `words` (generalised UTF-8) and their kinds' bitmasks.
    pub fn new(words: Vec<(Vec<u8>, u64)>) -> Result<Self, String> {
        let mut index = Map::with_capacity_and_hasher(words.len(), Default::default());
        let mut longest = 0;
        let mut inline = Vec::new();
        let mut inline_words = Vec::new();
        for (word, mask) in words {
            let chars = count_code_points(&word);
            longest = longest.max(chars);
            // A word across a line break could match only across lines of a
            // page; none does, and so a block of lines scans on its own.
            if chars >= MIN_INLINE_WORD && !word.contains(&b'\n') {
                inline.push(word.clone());
                inline_words.push((mask, chars as f64));
            }
            index.insert(word, mask);
        }
        let inline = if inline.is_empty() {
            None
        } else {
            // The contiguous NFA, not a DFA: the DFA took about 2.4 ms more to
            // build, a share of every command's start, and scanned 40 dev pages
            // no faster (issue 23). The kind changes no match.
            let ac = AhoCorasick::builder()
                .match_kind(MatchKind::LeftmostLongest)
                .kind(Some(AhoCorasickKind::ContiguousNFA))
                .build(&inline)
                .map_err(|e| format!("lexicon automaton: {e}"))?;
            Some(ac)
        };
        Ok(Self {
            index,
            longest,
            inline,
            inline_words,
        })
    }

    fn get(&self, word: &[u8]) -> u64 {
        self.index.get(word).copied().unwrap_or(0)
    }
}

/// What the per-line pass keeps of a line beyond its row.
#[derive(Clone, Copy, Default)]
struct Ends {
    first: Class,
    last: Class,
    before_last: Class,
    first_cp: u32,
    last_cp: u32,
}

/// Han pairs as sortable keys: (pair, line) packed in 64 bits while the line
/// count allows it (each code point of a Han pair is below 2^18, so a pair
/// takes 36 bits, and the lines below 2^28 the other 28), in 128 beyond.
enum PairKeys {
    Small(Vec<u64>),
    Large(Vec<u128>),
}

const SMALL_LINE_BITS: u32 = 28;

impl PairKeys {
    fn new(n: usize, large: bool) -> Self {
        if large || n >= 1 << SMALL_LINE_BITS {
            Self::Large(Vec::new())
        } else {
            Self::Small(Vec::new())
        }
    }

    #[inline]
    fn push(&mut self, a: u32, b: u32, line: usize) {
        let pair = u64::from(a) << 18 | u64::from(b);
        match self {
            Self::Small(keys) => keys.push(pair << SMALL_LINE_BITS | line as u64),
            Self::Large(keys) => keys.push(u128::from(pair) << 64 | line as u128),
        }
    }

    fn is_empty(&self) -> bool {
        match self {
            Self::Small(keys) => keys.is_empty(),
            Self::Large(keys) => keys.is_empty(),
        }
    }
}

/// Per line, the share of its distinct pairs of adjacent Han characters found
/// in the page's other prose lines: a headline's words recur in its article,
/// a link's seldom do. Grouped by sorting (pair, line) keys: no hashing, whose
/// cost could grow faster than the page.
fn prose_overlap(keys: PairKeys, prose: &[bool]) -> Vec<f64> {
    let n = prose.len();
    let mut out = vec![0.0; n];
    if keys.is_empty() {
        return out;
    }
    let mut found = vec![0u32; n];
    let mut total = vec![0u32; n];
    let mut tally = |pairs: &mut dyn Iterator<Item = (u64, usize)>| {
        let mut group: Vec<usize> = Vec::new();
        let mut current = None;
        let mut flush = |group: &mut Vec<usize>| {
            let in_prose = group.iter().filter(|&&l| prose[l]).count();
            for &line in group.iter() {
                // Found elsewhere: in a prose line other than this one.
                if in_prose > usize::from(prose[line]) {
                    found[line] += 1;
                }
                total[line] += 1;
            }
            group.clear();
        };
        for (pair, line) in pairs {
            if current != Some(pair) {
                flush(&mut group);
                current = Some(pair);
            }
            group.push(line);
        }
        flush(&mut group);
    };
    match keys {
        PairKeys::Small(mut keys) => {
            keys.sort_unstable();
            keys.dedup();
            let mask = (1u64 << SMALL_LINE_BITS) - 1;
            tally(
                &mut keys
                    .iter()
                    .map(|&k| (k >> SMALL_LINE_BITS, (k & mask) as usize)),
            );
        }
        PairKeys::Large(mut keys) => {
            keys.sort_unstable();
            keys.dedup();
            tally(&mut keys.iter().map(|&k| ((k >> 64) as u64, k as u64 as usize)));
        }
    }
    for ((o, &f), &t) in out.iter_mut().zip(&found).zip(&total) {
        if t > 0 {
            *o = f64::from(f) / f64::from(t);
        }
    }
    out
}

/// The pattern columns set to 1 where a match starts, in bit order of [`BaseFacts::flags`].
const FLAG_COLUMNS: [usize; 9] = [
    col::HAS_TIME,
    col::AGO,
    col::LIST_START,
    col::CONTACT,
    col::LEGAL,
    col::META_KEY,
    col::BYLINE,
    col::COUNT_WORD,
    col::MARKDOWN,
];

/// A line's own columns as a few integers: its class counts, how it starts
/// and ends, and its whole-line and line-start lexicon kinds. A long page
/// keeps these from its one pass over the characters, so that each block
/// of its rows is written ([`LineMeasure::write`]) without reading the
/// line again.
#[derive(Clone, Copy)]
struct LineMeasure {
    /// Per class, its characters (the newline class kept at 0).
    counts: [u32; N_CLASSES],
    /// The [`END_BITS`] flags.
    ends: u8,
    /// Lexicon kinds of the whole line, and of its start.
    exact: u64,
    start: u64,
}

/// Bits of [`LineMeasure::ends`], each a 0/1 column.
const END_BITS: [usize; 7] = [
    col::ENDS_SENTENCE,
    col::ENDS_CLOSER,
    col::ENDS_OPEN,
    col::FIRST_IS_DIGIT,
    col::FIRST_IS_SEP,
    col::STARTS_PUNCT,
    col::BRACKETED,
];

impl LineMeasure {
    /// Reads `line`'s characters once; `pair(a, b)` gets each pair of
    /// adjacent Han characters. Also gives the line's code points.
    fn of(
        table: &ClassTable,
        lexicon: &Lexicon,
        line: &[u8],
        mut pair: impl FnMut(u32, u32),
    ) -> (Self, usize) {
        let mut counts = [0u32; N_CLASSES];
        let mut ends = Ends::default();
        let mut prev: Option<(u32, Class)> = None;
        let mut chars = 0usize;
        for (_, cp) in code_points(line) {
            let class = table.class(cp);
            if chars == 0 {
                ends.first = class;
                ends.first_cp = cp;
            }
            chars += 1;
            counts[usize::from(class)] += 1;
            if let Some((p, pc)) = prev {
                if is_han(pc) && is_han(class) {
                    pair(p, cp);
                }
                ends.before_last = pc;
            }
            ends.last = class;
            ends.last_cp = cp;
            prev = Some((cp, class));
        }
        counts[usize::from(NEWLINE)] = 0;
        let length: u64 = counts.iter().map(|&k| u64::from(k)).sum();
        let (first, last) = if length > 0 {
            (ends.first, ends.last)
        } else {
            (OTHER, OTHER)
        };
        // Python's `"" in CLOSERS` is true: an empty line ends with a closer
        // and an opener, as the reference has it.
        let closer = chars == 0 || cp_in(ends.last_cp, CLOSERS);
        let opener = chars == 0 || cp_in(ends.last_cp, OPENERS);
        let before_closer = if closer && length >= 2 {
            ends.before_last
        } else {
            OTHER
        };
        let flags = [
            last == SENT_END || last == PERIOD || before_closer == SENT_END,
            closer,
            opener || last == CLAUSE,
            first == DIGIT,
            first == SEP || first == QUOTE,
            first == CLAUSE
                || first == SENT_END
                || first == PERIOD
                || (first == QUOTE && cp_in(ends.first_cp, CLOSERS)),
            chars > 0 && cp_in(ends.first_cp, "【[") && cp_in(ends.last_cp, "】]"),
        ];
        let mut measure = Self {
            counts,
            ends: flags
                .iter()
                .enumerate()
                .fold(0, |bits, (j, &on)| bits | u8::from(on) << j),
            exact: 0,
            start: 0,
        };
        // Whole-line and line-start look-ups, past leading bullets and brackets.
        if chars > 0 {
            measure.exact = lexicon.get(strip(line, true, true, is_edge));
            let head = strip(line, true, false, is_edge);
            // Each prefix of `head` up to `most` characters, by its end.
            let most = lexicon.longest.min(PREFIX_MAX_CHARS);
            let ends = code_points(head)
                .map(|(at, _)| at)
                .skip(1)
                .chain(std::iter::once(head.len()));
            measure.start = ends
                .take(most)
                .fold(0, |mask, end| mask | lexicon.get(&head[..end]));
        }
        (measure, chars)
    }

    /// The line's own columns into `row` (zeros on entry): counts, ends,
    /// whole-line and line-start lexicon hits.
    fn write(&self, layout: &Layout, row: &mut [f64]) -> (f64, bool) {
        let c = |class: Class| f64::from(self.counts[usize::from(class)]);
        let length: f64 = self.counts.iter().map(|&k| f64::from(k)).sum();
        let safe = length.max(1.0);
        let han = c(HAN) + c(HAN_FUNC);
        row[col::CHARS] = length;
        row[col::LOG_CHARS] = length.ln_1p();
        row[col::HAN] = han;
        row[col::HAN_RATIO] = han / safe;
        row[col::FUNC_RATIO] = c(HAN_FUNC) / han.max(1.0);
        row[col::SENT_END] = c(SENT_END);
        row[col::CLAUSE] = c(CLAUSE);
        row[col::PUNCT_RATIO] = (c(SENT_END) + c(CLAUSE)) / safe;
        row[col::QUOTE] = c(QUOTE);
        row[col::DIGIT_RATIO] = c(DIGIT) / safe;
        row[col::LATIN_RATIO] = c(LATIN) / safe;
        row[col::SEP_RATIO] = c(SEP) / safe;
        row[col::PERIOD] = c(PERIOD);
        let flag = |b: bool| if b { 1.0 } else { 0.0 };
        for (j, &column) in END_BITS.iter().enumerate() {
            row[column] = flag(self.ends >> j & 1 == 1);
        }
        for kind in 0..layout.kinds {
            row[layout.lex_exact(kind)] = flag(self.exact >> kind & 1 == 1);
            row[layout.lex_start(kind)] = flag(self.start >> kind & 1 == 1);
        }
        (han, is_prose(han, row[col::PUNCT_RATIO]))
    }
}

/// What a page's base rows need of the whole page, a few values a line:
/// pattern matches (they may span lines), repeats, echoes of the head,
/// Han-pair overlap and where the page's Han characters are. With these,
/// any block of rows is filled on its own ([`BaseFacts::rows`]) exactly as
/// the whole page would fill it.
pub(crate) struct BaseFacts {
    /// Per line, bit `j`: a match of [`FLAG_COLUMNS`]`[j]`'s pattern starts in it.
    flags: Vec<u16>,
    /// Per line: characters of the date matches that start in it.
    date: Vec<f64>,
    /// Per line, its own columns as integers; empty when [`BaseFacts::new`]
    /// wrote every row in place.
    measures: Vec<LineMeasure>,
    /// Lexicon words anywhere in a line: (line, word) as one scan of the page finds them.
    inline: Vec<(usize, usize)>,
    dup: Vec<u32>,
    echo: Vec<u32>,
    overlap: Vec<f64>,
    /// Per line: Han characters of the lines before it.
    before: Vec<f64>,
    total_han: f64,
    max_han: f64,
}

impl BaseFacts {
    /// The facts of `page`. The per-line pass makes each line's own columns
    /// (its counts, ends and lexicon hits, its date cover and pattern flags)
    /// as [`BaseFacts::rows`] gives them, and hands the row to `each` (the
    /// context's running sums read only these; the page-wide columns are not
    /// yet known). With `rows` (the whole page, zeros) each row is made in
    /// place and kept, so that [`BaseFacts::rows`] need not make it again;
    /// without, each line's [`LineMeasure`] is kept (64 bytes), from which
    /// [`BaseFacts::rows`] writes the row without reading the line again.
    pub(crate) fn new(
        table: &ClassTable,
        lexicon: &Lexicon,
        patterns: &Patterns,
        layout: &Layout,
        page: &Page,
        mut rows: Option<&mut Matrix<'_>>,
        mut each: impl FnMut(&[f64]),
    ) -> Self {
        let n = page.len();
        // Patterns over the joined page; a match belongs to the line it starts in.
        let mut flags = vec![0u16; n];
        let mut date = vec![0.0; n];
        let text = page.text();
        patterns.date.for_each(&text, |s, e| {
            let width = text.get(s..e).map_or(0, |m| m.chars().count());
            date[page.line_of(s)] += width as f64;
        });
        let flagged = [
            &patterns.time,
            &patterns.ago,
            &patterns.list_start,
            &patterns.contact,
            &patterns.legal,
            &patterns.meta_key,
            &patterns.byline,
            &patterns.count_word,
            &patterns.markdown,
        ];
        for (bit, pattern) in flagged.into_iter().enumerate() {
            pattern.for_each(&text, |s, _| flags[page.line_of(s)] |= 1 << bit);
        }
        drop(text);

        let mut keys = PairKeys::new(n, false);
        let mut prose = Vec::with_capacity(n);
        let mut lengths = Vec::with_capacity(n);
        let mut before = Vec::with_capacity(n);
        // Without `rows`, each line's measure is kept for BaseFacts::rows.
        let mut measures = Vec::with_capacity(if rows.is_some() { 0 } else { n });
        let mut scratch = vec![0.0; layout.n_base()];
        // One pass over the characters: class counts, ends, Han pairs.
        let (mut total_han, mut max_han) = (0.0, f64::MIN);
        for (i, line) in page.lines().enumerate() {
            let row = match rows.as_deref_mut() {
                Some(x) => x.row_mut(i),
                None => {
                    scratch.fill(0.0);
                    &mut scratch[..]
                }
            };
            let (measure, chars) = LineMeasure::of(table, lexicon, line, |a, b| {
                keys.push(a, b, i);
            });
            let (han, is_prose) = measure.write(layout, row);
            own_columns(row, date[i], flags[i]);
            each(row);
            if rows.is_none() {
                measures.push(measure);
            }
            prose.push(is_prose);
            lengths.push(chars);
            before.push(total_han);
            total_han += han;
            max_han = max_han.max(han);
        }

        Self {
            flags,
            date,
            measures,
            inline: inline_hits(lexicon, page),
            dup: repeats(page),
            echo: head_echoes(page, &lengths),
            overlap: prose_overlap(keys, &prose),
            before,
            total_han,
            max_han,
        }
    }

    /// Fills the base columns of lines `range` into `x` (row 0 is line
    /// `range.start`), zeros on entry unless `line_pass_done`: the rows
    /// [`BaseFacts::new`] already wrote, own columns and all. Without
    /// `line_pass_done` the rows are written from the kept measures, which
    /// only facts made without `rows` have.
    pub(crate) fn rows(
        &self,
        lexicon: &Lexicon,
        layout: &Layout,
        page: &Page,
        range: std::ops::Range<usize>,
        x: &mut Matrix<'_>,
        line_pass_done: bool,
    ) {
        let (a, b) = (range.start, range.end);
        if a >= b {
            return;
        }
        if !line_pass_done {
            debug_assert_eq!(self.measures.len(), page.len(), "facts made with rows");
            for i in a..b {
                let row = x.row_mut(i - a);
                self.measures[i].write(layout, row);
                own_columns(row, self.date[i], self.flags[i]);
            }
        }
        // The lexicon words found in these lines, in the order the scan found them.
        let first = self.inline.partition_point(|&(line, _)| line < a);
        for &(line, word) in self.inline[first..]
            .iter()
            .take_while(|&&(line, _)| line < b)
        {
            let (mask, width) = lexicon.inline_words[word];
            let row = x.row_mut(line - a);
            for kind in 0..layout.kinds {
                if mask >> kind & 1 == 1 {
                    row[layout.lex_cover(kind)] += width;
                }
            }
        }
        let n = page.len();
        // Where the line sits on the page.
        let denominator = n.saturating_sub(1).max(1) as f64;
        // 1 up to SIZE_LINES lines: the values below are then the counts themselves.
        let shrink = (SIZE_LINES as f64 / n as f64).min(1.0);
        for i in a..b {
            let row = x.row_mut(i - a);
            let safe = row[col::CHARS].max(1.0);
            for kind in 0..layout.kinds {
                let c = layout.lex_cover(kind);
                row[c] = (row[c] / safe).min(1.0);
            }
            // A line met once stays at 1: only its repeats shrink.
            let dup = f64::from(self.dup[i]);
            row[layout.dup_count()] = 1.0 + (dup - 1.0) * shrink;
            row[layout.head_echo()] = f64::from(self.echo[i]);
            row[layout.prose_overlap()] = self.overlap[i];
            let han = row[col::HAN];
            row[layout.position()] = i as f64 / denominator;
            row[layout.han_before()] = self.before[i] / self.total_han.max(1.0);
            row[layout.n_lines()] = n.min(SIZE_LINES) as f64;
            row[layout.page_han()] = self.total_han * shrink;
            row[layout.han_rank()] = han / self.max_han.max(1.0);
        }
    }
}

/// A line's date cover (characters of the date matches that start in it, a
/// share of its characters) and pattern flags, into its row after
/// [`LineMeasure::write`].
fn own_columns(row: &mut [f64], date: f64, flags: u16) {
    row[col::DATE_COVER] = (date / row[col::CHARS].max(1.0)).min(1.0);
    for (bit, &c) in FLAG_COLUMNS.iter().enumerate() {
        if flags >> bit & 1 == 1 {
            row[c] = 1.0;
        }
    }
}

/// Lexicon words of [`MIN_INLINE_WORD`] characters or more anywhere in a
/// line, as (line, index into `inline_words`): one scan for all kinds at
/// once. No word holds a newline, so the lines alone find what the page finds.
fn inline_hits(lexicon: &Lexicon, page: &Page) -> Vec<(usize, usize)> {
    let Some(ac) = &lexicon.inline else {
        return Vec::new();
    };
    ac.find_iter(page.raw())
        .map(|m| (page.line_of(m.start()), m.pattern().as_usize()))
        .filter(|&(_, word)| word < lexicon.inline_words.len())
        .collect()
}

/// Per line: how many lines of the page are the same line.
fn repeats(page: &Page) -> Vec<u32> {
    let mut dup: Map<&[u8], u32> = Map::with_capacity_and_hasher(page.len(), Default::default());
    for line in page.lines() {
        *dup.entry(line).or_default() += 1;
    }
    page.lines()
        .map(|line| dup.get(line).copied().unwrap_or(1))
        .collect()
}

/// Per line: how many of the page's first lines (the <title> text,
/// "headline_site name") it echoes or is echoed in. Substrings of
/// generalised UTF-8 bytes are substrings of characters.
fn head_echoes(page: &Page, lengths: &[usize]) -> Vec<u32> {
    let top: Vec<(usize, &[u8], memchr::memmem::Finder<'_>)> = page
        .lines()
        .take(HEAD_LINES)
        .enumerate()
        .filter(|(_, h)| !h.is_empty())
        .map(|(j, h)| (j, h, memchr::memmem::Finder::new(h)))
        .collect();
    page.lines()
        .enumerate()
        .map(|(i, line)| {
            // `line in h or h in line`: only the shorter can be in the longer, and
            // at equal lengths either test is equality.
            let echoes = |&(j, h, ref finder): &(usize, &[u8], memchr::memmem::Finder<'_>)| {
                j != i
                    && if line.len() >= h.len() {
                        finder.find(line).is_some()
                    } else {
                        memchr::memmem::find(h, line).is_some()
                    }
            };
            if lengths[i] >= MIN_ECHO_CHARS {
                top.iter().filter(|t| echoes(t)).count() as u32
            } else {
                0
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prose_overlap_is_the_same_with_either_key_width() {
        let mut small = PairKeys::new(4, false);
        let mut large = PairKeys::new(4, true);
        for keys in [&mut small, &mut large] {
            for (a, b, line) in [(1, 2, 0), (1, 2, 1), (2, 3, 1), (1, 2, 0), (5, 6, 3)] {
                keys.push(a, b, line);
            }
        }
        let prose = [false, true, false, true];
        let a = prose_overlap(small, &prose);
        assert_eq!(a, prose_overlap(large, &prose));
        // Line 0's one pair is in prose line 1; line 1's pairs in no other prose line.
        assert_eq!(a, vec![1.0, 0.0, 0.0, 0.0]);
    }
}
