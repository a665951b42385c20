"""Snapshot what the pipeline gives on every eval page, to prove a change leaves it identical.

For each page of ``shared/eval/{dev,train}/text`` the SHA-256 of its
``zhengwen.features.line_features`` matrix and ``extract``'s labels,
reasons, scores and title; for each page of ``shared/eval/*/html`` the codec
``decode_html_counted`` picks and ``extract_html``'s labels, reasons, scores
and title; and the same for one page of every dev page's text joined (over
the networks' row block). Write a snapshot before a change and compare after:

    python tools/results_snapshot.py write /tmp/before.json
    # ... the change ...
    python tools/results_snapshot.py compare /tmp/before.json

``compare`` prints how many entries are identical and names the others;
exit status 1 if any differs. The eval data is read where it lies (never
copied): ``../shared`` beside the checkout, or ``--shared``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]


def _doc_summary(doc: object) -> list[object]:
    lines = doc.lines  # type: ignore[attr-defined]
    return [[ln.label.value, ln.reason, ln.score] for ln in lines] + [doc.title]  # type: ignore[attr-defined]


def snapshot(shared: Path) -> dict[str, object]:
    """Every eval page's features digest and results, keyed by its path under ``shared``."""
    from zhengwen import extract
    from zhengwen.features import line_features
    from zhengwen.html import decode_html_counted, extract_html
    from zhengwen.normalize import feature_text, split_lines
    from zhengwen.options import Options

    opts = Options()
    out: dict[str, object] = {}
    texts = [p for part in ("dev", "train") for p in sorted(shared.glob(f"eval/{part}/text/*.txt"))]
    for path in texts:
        text = path.read_text(encoding="utf-8")
        folded = [feature_text(line, opts.max_line_chars) for line in split_lines(text)]
        x = np.ascontiguousarray(line_features(folded))
        digest = hashlib.sha256(x.tobytes()).hexdigest()
        out[str(path.relative_to(shared))] = [digest, list(x.shape), _doc_summary(extract(text))]
    for path in sorted(shared.glob("eval/*/html/*.html")):
        data = path.read_bytes()
        decoded = decode_html_counted(data)
        out[str(path.relative_to(shared))] = [
            decoded.encoding,
            decoded.replaced,
            _doc_summary(extract_html(data)),
        ]
    joined = "\n".join(p.read_text(encoding="utf-8") for p in texts if "/dev/" in str(p))
    out["dev-text-joined"] = _doc_summary(extract(joined))
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("mode", choices=("write", "compare"))
    parser.add_argument("snapshot", type=Path)
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    args = parser.parse_args()
    if not (args.shared / "eval").is_dir():
        print(f"no eval data under {args.shared}", file=sys.stderr)
        return 2
    now = snapshot(args.shared)
    if args.mode == "write":
        args.snapshot.write_text(json.dumps(now), encoding="utf-8")
        print(f"{len(now)} entries written to {args.snapshot}")
        return 0
    before = json.loads(args.snapshot.read_text(encoding="utf-8"))
    now = json.loads(json.dumps(now))  # the same float spelling as the file
    differ = sorted(k for k in {*before, *now} if before.get(k) != now.get(k))
    print(f"{len(before) - len(differ)} of {len(before)} entries identical")
    for key in differ:
        print(f"  differs: {key}")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
