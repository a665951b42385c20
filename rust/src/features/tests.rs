//! Unit tests of the pure-Rust parts (no Python needed).

use super::classes::*;
use super::*;

fn kinds() -> Vec<String> {
    [
        "related_header",
        "comment_header",
        "pager",
        "share",
        "nav",
        "footer",
        "meta_prefix",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

fn featurizer() -> Featurizer {
    let words = vec![
        ("相关新闻".as_bytes().to_vec(), 1),
        ("上一篇".as_bytes().to_vec(), 4),
        ("新闻".as_bytes().to_vec(), 16),
        ("来源".as_bytes().to_vec(), 64),
    ];
    Featurizer::build(words, "的了是", &kinds()).unwrap()
}

fn features(f: &Featurizer, lines: &[&[u8]]) -> (Vec<f64>, usize) {
    let page = Page::new(lines.iter().copied());
    let cols = f.columns(false);
    let mut out = vec![0.0; page.len() * cols];
    f.fill(&page, None, &mut out, cols);
    (out, cols)
}

#[test]
fn character_classes() {
    let t = ClassTable::new("的了").unwrap();
    assert_eq!(t.class(u32::from('中')), HAN);
    assert_eq!(t.class(u32::from('的')), HAN_FUNC);
    assert_eq!(t.class(0x20000), HAN); // extension B
    assert_eq!(t.class(0x32000), OTHER);
    assert_eq!(t.class(u32::from('。')), SENT_END);
    assert_eq!(t.class(u32::from('，')), CLAUSE);
    assert_eq!(t.class(u32::from('（')), QUOTE);
    assert_eq!(t.class(u32::from('/')), SEP);
    assert_eq!(t.class(u32::from('7')), DIGIT);
    assert_eq!(t.class(u32::from('７')), DIGIT);
    assert_eq!(t.class(u32::from('ｚ')), LATIN);
    assert_eq!(t.class(u32::from('.')), PERIOD);
    assert_eq!(t.class(u32::from('\n')), NEWLINE);
    assert_eq!(t.class(0xD800), OTHER); // a lone surrogate
                                        // A grammar character beyond the BMP cannot be in the table.
    assert!(ClassTable::new("𠀀").is_err());
}

#[test]
fn edge_characters_strip_like_python() {
    let edge = edge_chars();
    assert!(edge.contains('【') && edge.contains('7') && !edge.contains('新'));
    let line = "·【相关新闻】1".as_bytes();
    assert_eq!(strip(line, true, true, is_edge), "相关新闻".as_bytes());
    assert_eq!(strip(line, true, false, is_edge), "相关新闻】1".as_bytes());
    assert_eq!(strip("【】".as_bytes(), true, true, is_edge), b"");
}

#[test]
fn generalised_utf8_decodes_lone_surrogates() {
    // "a\ud800b" as Python's surrogatepass writes it.
    let bytes = b"a\xed\xa0\x80b";
    let cps: Vec<u32> = code_points(bytes).map(|(_, cp)| cp).collect();
    assert_eq!(cps, vec![0x61, 0xD800, 0x62]);
    let back: Vec<u32> = code_points(bytes).rev().map(|(_, cp)| cp).collect();
    assert_eq!(back, vec![0x62, 0xD800, 0x61]);
    // Malformed bytes read as U+FFFD, one each, and never panic.
    assert_eq!(count_code_points(b"\xff\xe4\xb8"), 3);
    assert_eq!(decode(b""), (0xFFFD, 1));
}

#[test]
fn empty_page_and_empty_line() {
    let f = featurizer();
    let (out, _) = features(&f, &[]);
    assert!(out.is_empty());
    let (out, cols) = features(&f, &[b""]);
    assert_eq!(out.len(), cols);
    assert_eq!(out[col::CHARS], 0.0);
    // Python's `"" in CLOSERS`: an empty line ends with a closer and an opener.
    assert_eq!(out[col::ENDS_CLOSER], 1.0);
    assert_eq!(out[col::ENDS_OPEN], 1.0);
    assert!(out.iter().all(|v| v.is_finite()));
}

#[test]
fn lone_surrogates_count_as_one_character_of_no_class() {
    let f = featurizer();
    let (out, cols) = features(&f, &[b"a\xed\xa0\x80b", b"\xed\xa0\x80", "𠀀𠀁".as_bytes()]);
    assert_eq!(out[col::CHARS], 3.0);
    assert_eq!(out[col::LATIN_RATIO], 2.0 / 3.0);
    assert_eq!(out[cols + col::CHARS], 1.0);
    assert_eq!(out[2 * cols + col::HAN], 2.0);
}

#[test]
fn lexicon_hits_exact_start_and_cover() {
    let f = featurizer();
    let l = &f.layout;
    let (out, cols) = features(
        &f,
        &[
            "【相关新闻】".as_bytes(),
            "上一篇：标题".as_bytes(),
            "看新闻啊".as_bytes(),
        ],
    );
    // Exact after the edge brackets; the inline scan takes the longest word.
    assert_eq!(out[l.lex_exact(0)], 1.0);
    assert_eq!(out[l.lex_cover(0)], 4.0 / 6.0);
    assert_eq!(out[l.lex_cover(4)], 0.0);
    assert_eq!(out[col::BRACKETED], 1.0);
    assert_eq!(out[cols + l.lex_start(2)], 1.0);
    assert_eq!(out[cols + l.lex_exact(2)], 0.0);
    assert_eq!(out[2 * cols + l.lex_cover(4)], 0.5);
}

#[test]
fn patterns_flag_the_line_a_match_starts_in() {
    let f = featurizer();
    let (out, cols) = features(&f, &[b"2022", "年5月3日".as_bytes(), b"16:28"]);
    // The date runs across the break ("\n" is whitespace): 2022\n年5月3日 is
    // nine characters, counted for the first line and capped at its length.
    assert_eq!(out[col::DATE_COVER], 1.0);
    assert_eq!(out[cols + col::DATE_COVER], 0.0);
    assert_eq!(out[2 * cols + col::HAS_TIME], 1.0);
}

#[test]
fn one_char_lines_and_repeats() {
    let f = featurizer();
    let line = "全区上下深入学习贯彻党的二十大精神，区党工委迅速行动。".as_bytes();
    let lines: Vec<&[u8]> = vec![line; 1000];
    let (out, cols) = features(&f, &lines);
    let l = &f.layout;
    assert_eq!(out[l.dup_count()], 1000.0);
    // Every pair recurs in another prose line.
    assert_eq!(out[999 * cols + l.prose_overlap()], 1.0);
    let chars: Vec<&[u8]> = (0..10_000).map(|i| &b"a1.,"[i % 4..i % 4 + 1]).collect();
    let (out, cols) = features(&f, &chars);
    assert_eq!(out.len(), 10_000 * cols);
    assert!(out.iter().all(|v| v.is_finite()));
}

#[test]
fn a_page_beyond_size_lines_gives_the_size_inputs_of_one_that_long() {
    let f = featurizer();
    let l = &f.layout;
    // Eight distinct lines of two Han characters, cycled: the same mix at any length.
    let cycle: Vec<Vec<u8>> = (0..8u32)
        .map(|k| format!("{}字", char::from_u32(0x4E00 + k).unwrap()).into_bytes())
        .collect();
    let size = |n: usize| {
        let lines: Vec<&[u8]> = (0..n).map(|i| cycle[i % 8].as_slice()).collect();
        let (out, _) = features(&f, &lines);
        (out[l.n_lines()], out[l.page_han()], out[l.dup_count()])
    };
    let most = base::SIZE_LINES as f64;
    // Up to SIZE_LINES lines, the counts themselves.
    assert_eq!(size(base::SIZE_LINES), (most, 2.0 * most, most / 8.0));
    // Beyond, a page of SIZE_LINES lines with the same mix: a repeat shrinks,
    // a line met once stays at 1.
    for n in [2 * base::SIZE_LINES, 16 * base::SIZE_LINES] {
        let (lines, han, dup) = size(n);
        assert_eq!((lines, han), (most, 2.0 * most), "{n} lines");
        let shrink = base::SIZE_LINES as f64 / n as f64;
        assert_eq!(dup, 1.0 + (n / 8 - 1) as f64 * shrink, "{n} lines");
        assert!((dup - most / 8.0).abs() < 1.0, "{n} lines: {dup}");
    }
    let mut once: Vec<&[u8]> = (0..3 * base::SIZE_LINES)
        .map(|i| cycle[i % 8].as_slice())
        .collect();
    once.push("独一无二".as_bytes());
    let (out, cols) = features(&f, &once);
    assert_eq!(out[3 * base::SIZE_LINES * cols + l.dup_count()], 1.0);
}

#[test]
fn html_columns_and_spaces_python_splits_on() {
    let f = featurizer();
    let page = Page::new(["首页".as_bytes(), "正文标题".as_bytes()]);
    let markup = Markup {
        linked: vec![true, false],
        groups: vec![html::group_of("li"), html::group_of("h1")],
        title: html::without_spaces("正文\u{1c}标题 _网站".as_bytes()),
        h1: html::without_spaces(" 正文标题\u{3000}".as_bytes()),
    };
    let cols = f.columns(true);
    let mut out = vec![0.0; 2 * cols];
    f.fill(&page, Some(&markup), &mut out, cols);
    let names = names(&kinds()).2;
    let at = |row: usize, name: &str| {
        out[row * cols + f.layout.n_all() + names.iter().position(|n| n == name).unwrap()]
    };
    assert_eq!(at(0, "link_w0"), 1.0);
    assert_eq!(at(1, "link_w1"), 2.0 / 6.0);
    assert_eq!(at(0, "block_list"), 1.0);
    assert_eq!(at(1, "block_heading"), 1.0);
    assert_eq!(at(1, "is_h1"), 1.0);
    assert_eq!(at(1, "in_html_title"), 1.0);
    assert_eq!(at(0, "in_html_title"), 0.0); // under four characters
}

#[test]
fn names_match_the_columns() {
    let (base, context, html) = names(&kinds());
    let l = Layout::new(&kinds()).unwrap();
    assert_eq!(base.len(), l.n_base());
    assert_eq!(context.len(), context::N_CONTEXT);
    assert_eq!(html.len(), html::N_HTML);
    assert_eq!(base[l.prose_overlap()], "prose_overlap");
    assert_eq!(base[l.lex_cover(6)], "lex_cover_meta_prefix");
    assert!(Layout::new(&["nav".to_string()]).is_err());
}

#[test]
fn edge_bitset_is_the_edge_sets() {
    use super::classes::{cp_in, is_edge, CLAUSE_CHARS, QUOTE_CHARS, SEP_CHARS};
    for cp in 0..0x11_0000u32 {
        let sets = cp_in(cp, SEP_CHARS)
            || cp_in(cp, QUOTE_CHARS)
            || cp_in(cp, CLAUSE_CHARS)
            || (u32::from(b'0')..=u32::from(b'9')).contains(&cp);
        assert_eq!(is_edge(cp), sets, "U+{cp:04X}");
    }
}

/// A page of `n` lines drawn from pieces that set every kind of column:
/// prose, fragments glued by punctuation, lexicon words, dates, repeats,
/// blank and one-character lines, Latin, a lone surrogate.
fn mixed_page(n: usize, seed: u64) -> Vec<Vec<u8>> {
    const PIECES: [&str; 16] = [
        "全区上下深入学习贯彻党的二十大精神，区党工委、管委会迅速行动，部署推进相关工作。",
        "相关新闻",
        "上一篇：新闻标题在这里",
        "来源：新华社 2024年3月5日 10:30",
        "蔡健雅（",
        "Tanya Chua",
        "），1975年出生于新加坡，是一位歌手。",
        "",
        "字",
        "新闻",
        "1. 列表的第一项",
        "Copyright © 2024 All rights reserved",
        "【图集】",
        "他说：“",
        "这是一个很长的句子，但是没有结束",
        "3小时前",
    ];
    let mut state = seed;
    (0..n)
        .map(|_| {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            let pick = (state >> 33) as usize;
            let mut line = PIECES[pick % PIECES.len()].as_bytes().to_vec();
            if pick.is_multiple_of(97) {
                line.extend_from_slice(&[0xED, 0xA0, 0x80]); // a lone surrogate
            }
            line
        })
        .collect()
}

#[test]
fn rows_filled_a_block_at_a_time_equal_the_whole_page() {
    let f = featurizer();
    for (n, seed) in [(1, 1), (2, 2), (7, 3), (64, 4), (300, 5), (1000, 6)] {
        let lines = mixed_page(n, seed);
        let page = Page::new(lines.iter().map(Vec::as_slice));
        let markup = Markup {
            linked: (0..n).map(|i| i % 3 == 0).collect(),
            groups: (0..n).map(|i| (i % 12) as u8).collect(),
            title: "新闻标题在这里".as_bytes().to_vec(),
            h1: "相关新闻".as_bytes().to_vec(),
        };
        for markup in [None, Some(&markup)] {
            for cols in [f.layout.n_base(), f.columns(markup.is_some())] {
                if markup.is_some() && cols == f.layout.n_base() {
                    continue;
                }
                let mut whole = vec![0.0; n * cols];
                f.fill(&page, markup, &mut whole, cols);
                let prepared = f.prepare(&page, markup, cols);
                for block in [1, 3, 50, 256, n] {
                    for a in (0..n).step_by(block) {
                        let b = (a + block).min(n);
                        let mut rows = vec![0.0; (b - a) * cols];
                        f.fill_rows(&prepared, &page, markup, a..b, &mut rows);
                        let want = &whole[a * cols..b * cols];
                        let same = rows
                            .iter()
                            .zip(want)
                            .all(|(x, y)| x.to_bits() == y.to_bits());
                        assert!(
                            same,
                            "{n} lines, block {block}, rows {a}..{b}, {cols} columns"
                        );
                    }
                }
            }
        }
    }
}
