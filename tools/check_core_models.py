#!/usr/bin/env python3
"""Check the compiled core's classifiers against the numpy implementation they replace.

On every labelled page (``../shared/eval`` dev and train), computes the
package's beliefs (``decode.beliefs``: pass one, the stacking, pass two) with
the compiled core and with the numpy reference: ``classify.py`` and
``decode.py`` as they were at commit ``REFERENCE``, taken from git and
imported from a temporary folder. The text path's networks run on the text
features, the HTML path's tree ensembles on the HTML features.

Prints, per path, the largest difference of any probability and how many
lines would change label (the argmax class, and body at ``probs >= 0.5``),
for the core's default arithmetic and, for networks, in double precision;
and the largest difference of the stacked features (given the same pass-one
beliefs). Exits 1 if the default arithmetic changes any label.

``--time`` also times both implementations' beliefs per dev page, in this
process, in CPU time (set ``OPENBLAS_NUM_THREADS=1`` for numpy's one thread)::

    OPENBLAS_NUM_THREADS=1 python tools/check_core_models.py [--time]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from types import ModuleType

import numpy as np
import train
from module_at import module_at

from zhengwen import _core, classify, decode
from zhengwen.features import col

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = "8721101"  # the last commit with the numpy classifiers and stacking
BODY_AT = 0.5


def reference(tmp: Path, name: str) -> ModuleType:
    """``zhengwen/<name>.py`` as it was at REFERENCE, imported as ``reference_<name>``."""
    return module_at(REFERENCE, f"src/zhengwen/{name}.py", f"reference_{name}")


def changed(a: np.ndarray, b: np.ndarray) -> tuple[int, int]:
    """Lines whose argmax class differs, and lines on different sides of the body bar."""
    argmax = int((a.argmax(axis=1) != b.argmax(axis=1)).sum())
    body = int(((a[:, 0] >= BODY_AT) != (b[:, 0] >= BODY_AT)).sum())
    return argmax, body


def check_path(html: bool, ref_classify: ModuleType, ref_decode: ModuleType, timing: bool) -> bool:
    """Compare both implementations on one path's pages; whether no label changed."""
    train.HTML = html
    pages = [p for p in train.load_pages(train.SHARED) if p.folder in ("dev", "train")]
    suffix = "-html" if html else ""
    names = ("pass1" + suffix, "pass2" + suffix)
    ours = tuple(classify.load(n) for n in names)
    theirs = tuple(
        ref_classify.parse(
            json.loads((ROOT / "src" / "zhengwen" / "model" / f"{n}.json").read_text("utf-8"))
        )
        for n in names
    )
    kind = "networks" if isinstance(ours[0], classify.Network) else "tree ensembles"
    lines = sum(len(p.x1) for p in pages)
    print(f"== {'HTML' if html else 'text'} path ({kind}): {len(pages)} pages, {lines} lines ==")
    variants = [("default", None)] + ([("f64", "f64")] if kind == "networks" else [])
    folders = ("dev", "train")
    worst = {(v, f): [0.0, 0.0, 0, 0] for v, _ in variants for f in folders}
    stack_delta = 0.0
    at = (col("han"), col("latin_ratio"), col("chars"))
    for p in pages:
        x = np.ascontiguousarray(p.x1, dtype=np.float64)
        ref_p1 = theirs[0].predict(x)
        ref = ref_decode.beliefs(x, theirs)
        stack_delta = max(
            stack_delta,
            float(
                np.abs(decode.stack_features(x, ref_p1) - ref_decode.stack_features(x, ref_p1)).max(
                    initial=0.0
                )
            ),
        )
        for variant, precision in variants:
            p1 = ours[0].predict(x) if precision is None else ours[0].predict(x, precision)
            got = _default(ours, x, at, precision)
            w = worst[variant, p.folder]
            w[0] = max(w[0], float(np.abs(p1 - ref_p1).max(initial=0.0)))
            w[1] = max(w[1], float(np.abs(got - ref).max(initial=0.0)))
            a, b = changed(got, ref)
            w[2] += a
            w[3] += b
        if not np.array_equal(decode.beliefs(x, ours), _default(ours, x, at)):
            raise AssertionError(f"{p.name}: decode.beliefs is not the core's default path")
    print(f"  stacked features, max |Δ| (same pass-one beliefs): {stack_delta:.3g}")
    for (variant, folder), (d1, d2, a, b) in worst.items():
        print(
            f"  {variant:7s} {folder:5s}: pass one max |Δprob| {d1:.3g}; beliefs max |Δprob| "
            f"{d2:.3g}; changed labels: argmax {a}, body≥{BODY_AT} {b}"
        )
    if timing:
        dev = [np.ascontiguousarray(p.x1) for p in pages if p.folder == "dev"]
        for label, models, module in (("numpy", theirs, ref_decode), ("core", ours, decode)):
            module.beliefs(dev[0], models)  # warm
            best = float("inf")
            for _ in range(3):
                t0 = time.process_time()
                for x in dev:
                    module.beliefs(x, models)
                best = min(best, time.process_time() - t0)
            print(
                f"  beliefs, {label:5s}: {1e3 * best / len(dev):7.2f} ms of CPU a dev page "
                f"({len(dev)} pages, best of 3)"
            )
    return all(w[2] == 0 and w[3] == 0 for (v, _), w in worst.items() if v == "default")


def _default(
    models: tuple[classify.Classifier, ...], x: np.ndarray, at: tuple, precision: str | None = None
) -> np.ndarray:
    """The core's beliefs, in the networks' default arithmetic or in ``precision``."""
    out = _core.beliefs(x.tobytes(), *x.shape, models[0]._core, models[1]._core, *at, precision)
    return np.frombuffer(out, dtype=np.float64).reshape(len(x), len(models[1].classes))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--time", action="store_true", help="also time beliefs per dev page")
    ap.add_argument("--path", choices=("text", "html", "both"), default="both")
    args = ap.parse_args(argv)
    if not (train.SHARED / "dev" / "gold").is_dir():
        print(f"no labelled pages at {train.SHARED}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        ref_classify = reference(Path(tmp), "classify")
        ref_decode = reference(Path(tmp), "decode")
        ok = True
        for html in {"text": (False,), "html": (True,), "both": (False, True)}[args.path]:
            ok &= check_path(html, ref_classify, ref_decode, args.time)
    print("no label changed" if ok else "LABELS CHANGED", file=sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
