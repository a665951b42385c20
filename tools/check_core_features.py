#!/usr/bin/env python3
"""Check that the compiled core's features equal the Python implementation they replaced.

The reference is ``src/zhengwen/features.py`` as it was at ``--rev`` (default
8721101, the commit before the port to ``rust/src/features/``), taken from git
and imported as a module of its own. Both compute ``page_features`` for:

* every dev and train page of ``../shared/eval`` on the text path, and again on
  the HTML path with its markup (``train.HTML = True``), and the seed page
  (``fixtures/seed.txt``);
* hostile pages: empty, one empty line, lone surrogates, 10,000 one-character
  lines, matches across line breaks, the Unicode 17 digits and ideographs;
* ``--random N`` pages of random lines over the characters the patterns and
  lexicons care about (default 300), with random markup.

Prints, per column that differs, the largest absolute difference and the
number of differing cells, then the totals. Exit status 1 if any cell differs
by more than 1e-9 (relative to the value, for values above 1)::

    python tools/check_core_features.py
    python tools/check_core_features.py --rev 8721101 --random 1000
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path
from types import ModuleType

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))

import train  # noqa: E402
from module_at import module_at  # noqa: E402

from zhengwen import features, lexicon  # noqa: E402
from zhengwen.features import Markup  # noqa: E402
from zhengwen.normalize import feature_text, split_lines  # noqa: E402
from zhengwen.options import DEFAULT  # noqa: E402

TOLERANCE = 1e-9


def reference_module(rev: str) -> ModuleType:
    """``src/zhengwen/features.py`` at ``rev``, imported as ``zhengwen_features_reference``."""
    return module_at(rev, "src/zhengwen/features.py", "zhengwen_features_reference")


def hostile_pages() -> list[tuple[str, list[str], Markup | None]]:
    """Pages that no scraper means to write."""
    words = [w for w in lexicon.exact_index() if len(w) >= 2][:50]
    pages: list[tuple[str, list[str]]] = [
        ("empty page", []),
        ("one empty line", [""]),
        ("lone surrogate", ["\ud800"]),
        ("surrogates", ["a\ud800b", "中\udfff文", "\udc80\udc80", "\ud83d\ude00", "的\ud800的"]),
        ("one-char lines", ["的a1，。中"[i % 6] for i in range(10_000)]),
        ("repeated lines", ["全区上下深入学习贯彻党的二十大精神，区党工委迅速行动。"] * 500),
        (
            "date across lines",
            ["2022", "年5月3日", "3", "月", "4日", "All", "Rights", "来源", "：x"],
        ),
        ("unicode 17", ["\U00011de0:00", "1:0\U00011de9", "> \U000323b0", "\U00016ff2\U00016ff2"]),
        ("digit runs", ["2022-1-12" + "3" * 20_000 + "月1日", "x" + "1" * 20_000 + "天前"]),
        ("digits", ["1" * 20_000, "12-31", "312-31", "010-12345678", "13912345678"]),
        ("markdown", ["#######", "###### x", "> " + "a" * 200 + "中", "> " + "a" * 201 + "中"]),
        ("lexicon", ["".join(words[i : i + 3]) for i in range(0, len(words), 3)]),
        (
            "echo",
            ["新闻标题_网站", "新闻标题", "标题_网站名称", "新闻标题_网站", "这是新闻标题的正文"],
        ),
        ("closers", ["", "他说：“好。”", "“", "）", "（记者 张三）", "【相关新闻】", "[1]"]),
    ]
    out: list[tuple[str, list[str], Markup | None]] = [(n, p, None) for n, p in pages]
    lines = ["首页", "新闻", "这是一篇文章的正文，写得很长。", "相关阅读", "\ud800标题"]
    out.append(
        (
            "markup",
            lines,
            Markup(
                [2, 0, 0, 4, 1], ["li", "li", "p", "nav", "h1"], " 正文 标题\x1c_网站", "\ud800标题"
            ),
        )
    )
    return out


def random_pages(count: int, seed: int = 25) -> list[tuple[str, list[str], Markup | None]]:
    """Random pages over the characters that classes, patterns and lexicons read."""
    rng = random.Random(seed)
    words = list(lexicon.exact_index())
    alphabet = list(
        "0123456789０１年月日时前天秒分:：-/.#>*[]()（）【】!！?？。，、；“”‘’「」《》@QqwcomICP©"
        "的了是在不有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发动"
        "来源作者记者编辑条人次篇楼赞回复阅读刚刚昨前http:www.cn\U00020000\ud800\U00011de0|·•"
    )
    out: list[tuple[str, list[str], Markup | None]] = []
    for k in range(count):
        lines = []
        for _ in range(rng.randint(0, 60)):
            parts = []
            for _ in range(rng.randint(0, 8)):
                if rng.random() < 0.3:
                    parts.append(rng.choice(words))
                else:
                    parts.append("".join(rng.choices(alphabet, k=rng.randint(1, 12))))
            lines.append("".join(parts))
        if lines and rng.random() < 0.3:
            lines += rng.sample(lines, min(len(lines), 5))  # repeats
        markup = None
        if rng.random() < 0.5:
            tags = ["p", "li", "div", "td", "h1", "nav", "span", "", "article", "form", "dd"]
            head = rng.choice(lines) if lines else None
            markup = Markup(
                [rng.choice([0, 0, 1, 5]) for _ in lines],
                [rng.choice(tags) for _ in lines],
                head,
                rng.choice(lines) if lines else None,
            )
        out.append((f"random {k}", lines, markup))
    return out


def eval_pages(shared: Path) -> list[tuple[str, list[str], Markup | None]]:
    """Every dev and train page, text path then HTML path, and the seed page."""
    out: list[tuple[str, list[str], Markup | None]] = []
    for html in (False, True):
        train.HTML = html
        for page in train.load_pages(shared):
            folded = [feature_text(s, DEFAULT.max_line_chars) for s in page.lines]
            out.append((f"{page.folder}/{page.name}{' html' if html else ''}", folded, page.markup))
    seed = (ROOT / "fixtures" / "seed.txt").read_text(encoding="utf-8")
    out.append(
        ("seed.txt", [feature_text(s, DEFAULT.max_line_chars) for s in split_lines(seed)], None)
    )
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rev", default="8721101", help="the commit of the reference")
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared" / "eval")
    parser.add_argument("--random", type=int, default=300, help="random pages (default 300)")
    args = parser.parse_args()
    reference = reference_module(args.rev)
    assert reference.ALL_NAMES == features.ALL_NAMES, "the column names differ"
    assert reference.HTML_NAMES == features.HTML_NAMES, "the HTML column names differ"
    names = features.ALL_NAMES + features.HTML_NAMES

    pages = hostile_pages() + random_pages(args.random)
    if (args.shared / "dev").is_dir():
        pages += eval_pages(args.shared)
    else:
        print(f"no eval pages under {args.shared}: hostile and random pages only")

    max_diff = np.zeros(len(names))
    differing = np.zeros(len(names), dtype=np.int64)
    bad_pages: list[str] = []
    cells = 0
    t_core = t_ref = 0.0
    for name, folded, markup in pages:
        t0 = time.perf_counter()
        got = features.page_features(folded, markup)
        t1 = time.perf_counter()
        want = reference.page_features(folded, markup)
        t2 = time.perf_counter()
        t_core += t1 - t0
        t_ref += t2 - t1
        if got.shape != want.shape:
            print(f"{name}: shape {got.shape}, reference {want.shape}")
            bad_pages.append(name)
            continue
        cells += got.size
        same = (got == want) | (np.isnan(got) & np.isnan(want))
        diff = np.where(same, 0.0, np.abs(got - want))
        width = got.shape[1]
        max_diff[:width] = np.maximum(max_diff[:width], diff.max(axis=0, initial=0.0))
        differing[:width] += (~same).sum(axis=0)
        if (diff > TOLERANCE * np.maximum(1.0, np.abs(want))).any():
            bad_pages.append(name)

    print(f"{len(pages)} pages, {cells} cells; core {t_core:.2f} s, reference {t_ref:.2f} s")
    for i, column in enumerate(names):
        if differing[i]:
            print(f"  {column:24} max |diff| {max_diff[i]:.3g}  cells {differing[i]}")
    print(f"differing cells: {int(differing.sum())}; largest difference {max_diff.max():.3g}")
    if bad_pages:
        print(f"{len(bad_pages)} pages beyond {TOLERANCE:g}: {', '.join(bad_pages[:10])}")
        return 1
    print("equal within tolerance")
    return 0


if __name__ == "__main__":
    sys.exit(main())
