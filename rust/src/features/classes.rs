//! Character classes, and the code points of a line in generalised UTF-8.
//!
//! Python strings may hold lone surrogates (U+D800..U+DFFF, from a codec's
//! `surrogateescape`); they reach the core encoded with `surrogatepass`, three
//! bytes each, in what is otherwise UTF-8. Every count here is per code point,
//! as Python counts a `str`.

/// A class id. `HAN_FUNC` are Han characters that are grammar words on their
/// own (的 了 是 …): prose is dense in them, menus and titles are not.
pub type Class = u8;
pub const OTHER: Class = 0;
pub const HAN: Class = 1;
pub const HAN_FUNC: Class = 2;
pub const SENT_END: Class = 3;
pub const CLAUSE: Class = 4;
pub const QUOTE: Class = 5;
pub const DIGIT: Class = 6;
pub const LATIN: Class = 7;
pub const SEP: Class = 8;
pub const PERIOD: Class = 9;
pub const NEWLINE: Class = 10;
pub const N_CLASSES: usize = 11;

pub const SENT_END_CHARS: &str = "。！？!?…";
pub const CLAUSE_CHARS: &str = "，,、；;：:﹐﹑﹔﹕";
pub const QUOTE_CHARS: &str = "“”‘’「」『』《》〈〉（）()【】[]\"'〔〕";
pub const SEP_CHARS: &str = "|｜>＞›»·•/\\-—–_~*#=+<＜‹«→←↑↓▪■□◆◇●○★☆►▶◀◁▷¦┊│丨/";
pub const CLOSERS: &str = "”’」』）)】]\"'";
pub const OPENERS: &str = "“‘「『（(【[《〈";

/// The characters stripped from a line's ends before a whole-line lexicon
/// look-up (so that 【相关新闻】 and ·上一篇： match): separators, quotes,
/// clause marks and ASCII digits, sorted, each once.
pub fn edge_chars() -> String {
    let mut chars: Vec<char> = SEP_CHARS
        .chars()
        .chain(QUOTE_CHARS.chars())
        .chain(CLAUSE_CHARS.chars())
        .chain('0'..='9')
        .collect();
    chars.sort_unstable();
    chars.dedup();
    chars.into_iter().collect()
}

/// Whether `cp` is one of [`edge_chars`]: a bit per BMP code point (all of
/// them are in it), built once; scanning the sets' strings per character
/// cost more than the rest of the line-start look-up.
pub fn is_edge(cp: u32) -> bool {
    static BITS: std::sync::OnceLock<Vec<u64>> = std::sync::OnceLock::new();
    let bits = BITS.get_or_init(|| {
        let mut bits = vec![0u64; 0x10000 / 64];
        for c in edge_chars().chars() {
            let cp = u32::from(c) as usize;
            if let Some(word) = bits.get_mut(cp / 64) {
                *word |= 1 << (cp % 64);
            }
        }
        bits
    });
    bits.get(cp as usize / 64)
        .is_some_and(|word| word >> (cp % 64) & 1 == 1)
}

/// Whether code point `cp` is one of the characters of `set`.
pub fn cp_in(cp: u32, set: &str) -> bool {
    set.chars().any(|c| u32::from(c) == cp)
}

/// The class of every code point: a table for the Basic Multilingual Plane
/// (the function characters vary with the lexicon), and Han beyond it.
pub struct ClassTable {
    bmp: Vec<Class>,
}

impl ClassTable {
    /// The table, with `function_chars` as `HAN_FUNC`. Later assignments win,
    /// in the order of the reference implementation (punctuation over Han,
    /// digits, letters, "." and "\n" over everything).
    pub fn new(function_chars: &str) -> Result<Self, String> {
        let mut bmp = vec![OTHER; 0x10000];
        let mut fill = |lo: u32, hi: u32, class: Class| {
            for cp in lo..hi {
                bmp[cp as usize] = class;
            }
        };
        fill(0x4E00, 0xA000, HAN); // CJK unified ideographs
        fill(0x3400, 0x4DC0, HAN); // extension A
        fill(0xF900, 0xFB00, HAN); // compatibility ideographs
        let mut set = |chars: &str, class: Class| -> Result<(), String> {
            for c in chars.chars() {
                let cp = u32::from(c);
                if cp >= 0x10000 {
                    return Err(format!("character class table: {c:?} is beyond the BMP"));
                }
                bmp[cp as usize] = class;
            }
            Ok(())
        };
        set(function_chars, HAN_FUNC)?;
        set(SENT_END_CHARS, SENT_END)?;
        set(CLAUSE_CHARS, CLAUSE)?;
        set(QUOTE_CHARS, QUOTE)?;
        set(SEP_CHARS, SEP)?;
        let mut fill = |lo: u32, hi: u32, class: Class| {
            for cp in lo..hi {
                bmp[cp as usize] = class;
            }
        };
        fill(0x30, 0x3A, DIGIT);
        fill(0xFF10, 0xFF1A, DIGIT);
        fill(0x61, 0x7B, LATIN);
        fill(0x41, 0x5B, LATIN);
        fill(0xFF21, 0xFF3B, LATIN);
        fill(0xFF41, 0xFF5B, LATIN);
        fill(0x2E, 0x2F, PERIOD);
        fill(0x0A, 0x0B, NEWLINE);
        Ok(Self { bmp })
    }

    /// The class of code point `cp` (a lone surrogate is `OTHER`).
    #[inline]
    pub fn class(&self, cp: u32) -> Class {
        match self.bmp.get(cp as usize) {
            Some(&class) => class,
            // Han beyond the BMP (extensions B and later) are Han too.
            None if (0x20000..0x32000).contains(&cp) => HAN,
            None => OTHER,
        }
    }
}

/// Whether a class is Han (grammar character or not).
#[inline]
pub fn is_han(class: Class) -> bool {
    class == HAN || class == HAN_FUNC
}

/// The code point at the start of `bytes` and its length in bytes, read as
/// generalised UTF-8 (surrogates allowed). A malformed byte reads as U+FFFD,
/// one byte long: input from Python's encoder is never malformed, and no
/// input may panic.
#[inline]
pub fn decode(bytes: &[u8]) -> (u32, usize) {
    let Some(&b0) = bytes.first() else {
        return (0xFFFD, 1);
    };
    if b0 < 0x80 {
        return (u32::from(b0), 1);
    }
    let (len, init) = match b0 {
        0xC2..=0xDF => (2, u32::from(b0 & 0x1F)),
        0xE0..=0xEF => (3, u32::from(b0 & 0x0F)),
        0xF0..=0xF4 => (4, u32::from(b0 & 0x07)),
        _ => return (0xFFFD, 1),
    };
    let Some(tail) = bytes.get(1..len) else {
        return (0xFFFD, 1);
    };
    let mut cp = init;
    for &b in tail {
        if b & 0xC0 != 0x80 {
            return (0xFFFD, 1);
        }
        cp = cp << 6 | u32::from(b & 0x3F);
    }
    (cp, len)
}

/// The code points of `bytes` (generalised UTF-8), each with its byte offset.
pub fn code_points(bytes: &[u8]) -> CodePoints<'_> {
    CodePoints { bytes, at: 0 }
}

/// Iterator of [`code_points`].
pub struct CodePoints<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Iterator for CodePoints<'_> {
    type Item = (usize, u32);

    #[inline]
    fn next(&mut self) -> Option<(usize, u32)> {
        let rest = self.bytes.get(self.at..).filter(|r| !r.is_empty())?;
        let (cp, len) = decode(rest);
        let at = self.at;
        self.at += len;
        Some((at, cp))
    }
}

impl DoubleEndedIterator for CodePoints<'_> {
    fn next_back(&mut self) -> Option<(usize, u32)> {
        // Step back over continuation bytes (at most three) to a lead byte.
        let end = self.bytes.len();
        if end <= self.at {
            return None;
        }
        let mut start = end - 1;
        while start > self.at && end - start < 4 && self.bytes[start] & 0xC0 == 0x80 {
            start -= 1;
        }
        let (cp, len) = decode(&self.bytes[start..end]);
        if start + len != end {
            // Malformed: the last byte alone.
            self.bytes = &self.bytes[..end - 1];
            return Some((end - 1, 0xFFFD));
        }
        self.bytes = &self.bytes[..start];
        Some((start, cp))
    }
}

/// The number of code points in `bytes` (generalised UTF-8).
pub fn count_code_points(bytes: &[u8]) -> usize {
    code_points(bytes).count()
}

/// `bytes` without the code points that `strip` selects, at the start
/// (`left`) and at the end (`right`): Python's `str.lstrip`/`rstrip`/`strip`.
pub fn strip(bytes: &[u8], left: bool, right: bool, strip: impl Fn(u32) -> bool) -> &[u8] {
    let mut start = 0;
    if left {
        start = code_points(bytes)
            .find(|&(_, cp)| !strip(cp))
            .map_or(bytes.len(), |(at, _)| at);
    }
    let rest = &bytes[start..];
    if !right {
        return rest;
    }
    let end = code_points(rest)
        .rev()
        .find(|&(_, cp)| !strip(cp))
        .map_or(0, |(at, _)| at + decode(&rest[at..]).1);
    &rest[..end]
}
