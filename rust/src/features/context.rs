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

/// Running sums of `n` rows of `K` values: `n + 1` rows, the first zeros.
fn running<const K: usize>(n: usize, value: impl Fn(usize) -> [f64; K]) -> Vec<[f64; K]> {
    let mut cum = Vec::with_capacity(n + 1);
    let mut acc = [0.0; K];
    cum.push(acc);
    for i in 0..n {
        for (a, v) in acc.iter_mut().zip(value(i)) {
            *a += v;
        }
        cum.push(acc);
    }
    cum
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

/// Fills the context columns (after the base ones) of the first `n` rows of `x`.
pub fn context_features(layout: &Layout, n: usize, x: &mut Matrix<'_>) {
    if n == 0 {
        return;
    }
    let base = layout.n_base();
    let m: Vec<[f64; 7]> = (0..n).map(|i| series(layout, x.row(i))).collect();
    let cum = running(n, |i| m[i]);
    // Characters, Han, punctuation marks and sentence ends, per line.
    let weighted = |i: usize| {
        let r = x.row(i);
        [
            r[col::CHARS],
            r[col::HAN],
            r[col::PUNCT_RATIO] * r[col::CHARS],
            r[col::SENT_END],
        ]
    };
    let wcum = running(n, weighted);
    // Window [i + lo, i + hi] clipped to the page, as indices into a running sum.
    let bounds = |i: usize, lo: isize, hi: isize| {
        let clip = |v: isize| v.clamp(0, n as isize) as usize;
        (clip(i as isize + lo), clip(i as isize + hi + 1))
    };

    let prose: Vec<bool> = m.iter().map(|s| s[2] > 0.0).collect();
    let related: Vec<bool> = m.iter().map(|s| s[4] > 0.0).collect();
    let dist = [
        distances(&prose, false),
        distances(&prose, true),
        distances(&related, false),
        distances(&related, true),
    ];
    // Fragments: lines an inline link split out of one sentence (蔡健雅（ /
    // Tanya Chua / ），1975年…) are glued back where the break falls inside
    // punctuation, and the glued sentence's evidence is shared by its lines.
    let glued = |i: usize| {
        i > 0 && {
            let (p, r) = (x.row(i - 1), x.row(i));
            p[col::ENDS_SENTENCE] == 0.0 && (p[col::ENDS_OPEN] > 0.0 || r[col::STARTS_PUNCT] > 0.0)
        }
    };
    // Each fragment's lines, and its sums in line order, as `bincount` adds.
    let mut frags: Vec<(usize, usize, [f64; 4])> = Vec::new();
    for i in 0..n {
        if frags.is_empty() || !glued(i) {
            frags.push((i, i, [0.0; 4]));
        }
        if let Some(last) = frags.last_mut() {
            last.1 = i + 1;
            for (a, v) in last.2.iter_mut().zip(weighted(i)) {
                *a += v;
            }
        }
    }
    let prose_han: Vec<f64> = (0..n)
        .map(|i| f64::from(u8::from(prose[i])) * x.at(i, col::HAN))
        .collect();
    let total = prose_han.iter().sum::<f64>().max(1.0);

    let mut out = [0.0f64; N_CONTEXT];
    let mut frag_at = 0;
    let mut prose_before = 0.0;
    for i in 0..n {
        let mut k = 0;
        for (s, _) in WINDOWED.iter().enumerate() {
            for w in WIDTHS {
                let (a, b) = bounds(i, -(w as isize), w as isize);
                out[k] = (cum[b][s] - cum[a][s] - m[i][s]) / (2 * w) as f64;
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
        out[k] = if i == 0 {
            1.0
        } else {
            x.at(i - 1, col::ENDS_SENTENCE)
        };
        out[k + 1] = if i + 1 < n {
            x.at(i + 1, col::STARTS_PUNCT)
        } else {
            0.0
        };
        k += 2;
        while frags[frag_at].1 <= i {
            frag_at += 1;
        }
        let (start, end, [f_chars, f_han, f_punct, f_sent]) = frags[frag_at];
        out[k] = (end - start) as f64;
        out[k + 1] = f64::ln_1p(f_han);
        out[k + 2] = f_punct / f_chars.max(1.0);
        out[k + 3] = f_sent / f64::max(f_han, 1.0);
        out[k + 4] = (i - start) as f64;
        k += 5;
        for d in &dist {
            out[k] = d[i];
            k += 1;
        }
        out[k] = prose_before / total;
        out[k + 1] = (total - prose_before - prose_han[i]) / total;
        prose_before += prose_han[i];
        debug_assert_eq!(k + 2, N_CONTEXT);
        x.row_mut(i)[base..base + N_CONTEXT].copy_from_slice(&out);
    }
}
