//! Context: the base evidence summed over windows of lines around each line.
//!
//! Sums are differences of running sums, accumulated line after line, as the
//! reference's `cumsum` does, so that every value is the same to the bit.

use super::base::is_prose;
use super::{col, Layout, Matrix};

/// Series summed over windows, in column order.
const WINDOWED: [&str; 7] = [
    "han",
    "ends_sentence",
    "prose",
    "furniture",
    "related_hit",
    "meta_hit",
    "date_cover",
];
/// Window half-widths, in lines.
const WIDTHS: [usize; 4] = [1, 2, 5, 10];
/// Series also summed over the lines before / after only (indices into WINDOWED).
const DIRECTIONAL: [usize; 3] = [2, 0, 5];
const DIR_WIDTHS: [usize; 2] = [3, 10];
/// Character-weighted windows: fragments of one sentence read as one.
const CW_WIDTHS: [usize; 3] = [1, 2, 5];
const CW_RATIOS: [&str; 4] = ["punct", "sent_per_han", "han_ratio", "log_chars"];
const TAIL: [&str; 13] = [
    "prev_ends_sentence",
    "next_starts_punct",
    "frag_lines",
    "frag_log_han",
    "frag_punct",
    "frag_sent_per_han",
    "frag_position",
    "dist_prev_prose",
    "dist_next_prose",
    "dist_prev_related",
    "dist_next_related",
    "prose_before_frac",
    "prose_after_frac",
];
/// Distances in lines are capped here.
const CAP: usize = 50;
/// Han characters below which a lexicon hit marks furniture.
const FURNITURE_HAN: f64 = 15.0;

pub const N_CONTEXT: usize = WINDOWED.len() * WIDTHS.len()
    + DIRECTIONAL.len() * DIR_WIDTHS.len() * 2
    + CW_WIDTHS.len() * CW_RATIOS.len()
    + TAIL.len();

/// The context columns' names, in order.
pub fn names() -> Vec<String> {
    let mut out = Vec::with_capacity(N_CONTEXT);
    for s in WINDOWED {
        out.extend(WIDTHS.iter().map(|w| format!("win{w}_{s}")));
    }
    for s in DIRECTIONAL {
        for w in DIR_WIDTHS {
            for d in ["before", "after"] {
                out.push(format!("{d}{w}_{}", WINDOWED[s]));
            }
        }
    }
    for w in CW_WIDTHS {
        out.extend(CW_RATIOS.iter().map(|r| format!("cw{w}_{r}")));
    }
    out.extend(TAIL.iter().map(|s| s.to_string()));
    out
}

/// Row `i`'s windowed series.
fn series(layout: &Layout, row: &[f64]) -> [f64; 7] {
    let han = row[col::HAN];
    let prose = f64::from(u8::from(is_prose(han, row[col::PUNCT_RATIO])));
    let mut lex_any = 0.0;
    for kind in (0..layout.kinds).filter(|&k| k != layout.meta_kind) {
        lex_any += row[layout.lex_exact(kind)] + row[layout.lex_start(kind)];
    }
    let furniture = lex_any.min(1.0) * f64::from(u8::from(han < FURNITURE_HAN));
    let related =
        row[layout.lex_exact(layout.related_kind)].max(row[layout.lex_start(layout.related_kind)]);
    let meta = row[col::META_KEY].max(f64::from(u8::from(row[col::DATE_COVER] > 0.5)));
    [
        han.ln_1p(),
        row[col::ENDS_SENTENCE],
        prose,
        furniture,
        related,
        meta,
        row[col::DATE_COVER],
    ]
}

/// A row's characters, Han, punctuation marks and sentence ends.
fn weighted(r: &[f64]) -> [f64; 4] {
    [
        r[col::CHARS],
        r[col::HAN],
        r[col::PUNCT_RATIO] * r[col::CHARS],
        r[col::SENT_END],
    ]
}

/// Lines from each line to the nearest flagged line before it (or after it,
/// `forward`), capped at [`CAP`].
fn distances(flags: &[bool], forward: bool) -> Vec<f64> {
    let n = flags.len();
    let mut out = vec![CAP as f64; n];
    let mut last: Option<usize> = None;
    let order: Box<dyn Iterator<Item = usize>> = if forward {
        Box::new((0..n).rev())
    } else {
        Box::new(0..n)
    };
    for i in order {
        if let Some(j) = last {
            out[i] = i.abs_diff(j).min(CAP) as f64;
        }
        if flags[i] {
            last = Some(i);
        }
    }
    out
}

const PROSE: u8 = 1;
const RELATED: u8 = 2;
const ENDS_SENTENCE: u8 = 4;
const STARTS_PUNCT: u8 = 8;

/// What the context columns need of the whole page, built from its base rows
/// in order ([`ContextFacts::push`]): running sums of the windowed series,
/// each line's flags, the fragments and where the prose is. With these, any
/// block of rows gets its context columns on its own ([`ContextFacts::rows`]),
/// exactly as the whole page would give them.
#[derive(Default)]
pub(crate) struct ContextFacts {
    /// Running sums of the windowed series: `n + 1` rows, the first zeros.
    cum: Vec<[f64; 7]>,
    /// Running sums of [`weighted`]: `n + 1` rows, the first zeros.
    wcum: Vec<[f64; 4]>,
    /// Per line: [`PROSE`], [`RELATED`], [`ENDS_SENTENCE`], [`STARTS_PUNCT`].
    bits: Vec<u8>,
    /// Fragments: lines an inline link split out of one sentence (蔡健雅（ /
    /// Tanya Chua / ），1975年…) are glued back where the break falls inside
    /// punctuation, and the glued sentence's evidence is shared by its
    /// lines. Each fragment's end, and its sums of [`weighted`] in line order
    /// (as `bincount` adds); it starts where the one before ends.
    frags: Vec<(usize, [f64; 4])>,
    /// Per line: Han characters of the prose lines before it.
    prose_before: Vec<f64>,
    prose_total: f64,
    /// The last line's ends_sentence and ends_open.
    last_ends: Option<(f64, f64)>,
}

impl ContextFacts {
    /// Facts for a page of about `n` lines, before any is pushed.
    pub(crate) fn with_capacity(n: usize) -> Self {
        let mut facts = Self {
            cum: Vec::with_capacity(n + 1),
            wcum: Vec::with_capacity(n + 1),
            bits: Vec::with_capacity(n),
            prose_before: Vec::with_capacity(n),
            ..Self::default()
        };
        facts.cum.push([0.0; 7]);
        facts.wcum.push([0.0; 4]);
        facts
    }

    /// Takes the next line's base row.
    pub(crate) fn push(&mut self, layout: &Layout, row: &[f64]) {
        let m = series(layout, row);
        let w = weighted(row);
        let mut acc = *self.cum.last().unwrap_or(&[0.0; 7]);
        for (a, v) in acc.iter_mut().zip(m) {
            *a += v;
        }
        self.cum.push(acc);
        let mut wacc = *self.wcum.last().unwrap_or(&[0.0; 4]);
        for (a, v) in wacc.iter_mut().zip(w) {
            *a += v;
        }
        self.wcum.push(wacc);
        let prose = m[2] > 0.0;
        let bit = |b: bool, v: u8| if b { v } else { 0 };
        self.bits.push(
            bit(prose, PROSE)
                | bit(m[4] > 0.0, RELATED)
                | bit(row[col::ENDS_SENTENCE] != 0.0, ENDS_SENTENCE)
                | bit(row[col::STARTS_PUNCT] != 0.0, STARTS_PUNCT),
        );
        let glued = self.last_ends.is_some_and(|(ends_sentence, ends_open)| {
            ends_sentence == 0.0 && (ends_open > 0.0 || row[col::STARTS_PUNCT] > 0.0)
        });
        let i = self.bits.len() - 1;
        if self.frags.is_empty() || !glued {
            self.frags.push((i, [0.0; 4]));
        }
        if let Some(last) = self.frags.last_mut() {
            last.0 = i + 1;
            for (a, v) in last.1.iter_mut().zip(w) {
                *a += v;
            }
        }
        self.last_ends = Some((row[col::ENDS_SENTENCE], row[col::ENDS_OPEN]));
        let prose_han = f64::from(u8::from(prose)) * row[col::HAN];
        self.prose_before.push(self.prose_total);
        self.prose_total += prose_han;
    }

    /// Fills the context columns (after the base ones) of lines `range` in
    /// `x`, whose row 0 is line `range.start` and holds its base columns.
    /// Every line of the page has been pushed.
    pub(crate) fn rows(&self, layout: &Layout, range: std::ops::Range<usize>, x: &mut Matrix<'_>) {
        let n = self.bits.len();
        let (a, b) = (range.start, range.end.min(n));
        if a >= b {
            return;
        }
        let base = layout.n_base();
        let (cum, wcum) = (&self.cum, &self.wcum);
        // Window [i + lo, i + hi] clipped to the page, as indices into a running sum.
        let bounds = |i: usize, lo: isize, hi: isize| {
            let clip = |v: isize| v.clamp(0, n as isize) as usize;
            (clip(i as isize + lo), clip(i as isize + hi + 1))
        };
        // Distances over the block and CAP lines each side: the nearest
        // flagged line further away would be capped anyway.
        let (lo, hi) = (a.saturating_sub(CAP), (b + CAP).min(n));
        let flagged =
            |bit: u8| -> Vec<bool> { self.bits[lo..hi].iter().map(|&f| f & bit != 0).collect() };
        let (prose, related) = (flagged(PROSE), flagged(RELATED));
        let dist = [
            distances(&prose, false),
            distances(&prose, true),
            distances(&related, false),
            distances(&related, true),
        ];
        let total = self.prose_total.max(1.0);
        let mut frag_at = self.frags.partition_point(|&(end, _)| end <= a);

        let mut out = [0.0f64; N_CONTEXT];
        for i in a..b {
            let row = x.row(i - a);
            let m = series(layout, row);
            let mut k = 0;
            for (s, _) in WINDOWED.iter().enumerate() {
                for w in WIDTHS {
                    let (a, b) = bounds(i, -(w as isize), w as isize);
                    out[k] = (cum[b][s] - cum[a][s] - m[s]) / (2 * w) as f64;
                    k += 1;
                }
            }
            for s in DIRECTIONAL {
                for w in DIR_WIDTHS {
                    let (a, b) = bounds(i, -(w as isize), -1);
                    out[k] = (cum[b][s] - cum[a][s]) / w as f64;
                    let (a, b) = bounds(i, 1, w as isize);
                    out[k + 1] = (cum[b][s] - cum[a][s]) / w as f64;
                    k += 2;
                }
            }
            for w in CW_WIDTHS {
                let (a, b) = bounds(i, -(w as isize), w as isize);
                let win: [f64; 4] = std::array::from_fn(|j| wcum[b][j] - wcum[a][j]);
                let c = win[0].max(1.0);
                let h = win[1].max(1.0);
                out[k] = win[2] / c;
                out[k + 1] = win[3] / h;
                out[k + 2] = win[1] / c;
                out[k + 3] = c.ln_1p();
                k += 4;
            }
            let bit = |j: usize, b: u8| f64::from(u8::from(self.bits[j] & b != 0));
            out[k] = if i == 0 {
                1.0
            } else {
                bit(i - 1, ENDS_SENTENCE)
            };
            out[k + 1] = if i + 1 < n {
                bit(i + 1, STARTS_PUNCT)
            } else {
                0.0
            };
            k += 2;
            while self.frags[frag_at].0 <= i {
                frag_at += 1;
            }
            let start = if frag_at == 0 {
                0
            } else {
                self.frags[frag_at - 1].0
            };
            let (end, [f_chars, f_han, f_punct, f_sent]) = self.frags[frag_at];
            out[k] = (end - start) as f64;
            out[k + 1] = f64::ln_1p(f_han);
            out[k + 2] = f_punct / f_chars.max(1.0);
            out[k + 3] = f_sent / f64::max(f_han, 1.0);
            out[k + 4] = (i - start) as f64;
            k += 5;
            for d in &dist {
                out[k] = d[i - lo];
                k += 1;
            }
            let prose_han = f64::from(u8::from(prose[i - lo])) * row[col::HAN];
            let before = self.prose_before[i];
            out[k] = before / total;
            out[k + 1] = (total - before - prose_han) / total;
            debug_assert_eq!(k + 2, N_CONTEXT);
            x.row_mut(i - a)[base..base + N_CONTEXT].copy_from_slice(&out);
        }
    }
}
