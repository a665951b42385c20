"""Write issue 25's line-shaped attacks as seeds for the decode, extract and JSONL targets.

The HTML, charset and WARC targets write their own seeds (``--write-seeds``);
these three take plain bytes (``fuzz_decode.py``, ``fuzz_extract.py``) or a
JSONL file behind the bytes ``fuzz_jsonl.py``'s data provider consumes, so the
seeds are made here:

* repeated prose lines, alternating blank and text lines, one-character lines
  (the shapes that were superlinear: ``np.unique`` in the Han-pair overlap,
  the refine loop's re-readings);
* meta lines whose dates and times are written in digits of several scripts,
  one of them newer than Python's Unicode (Kawi: ``int`` cannot read it, and
  ``extract`` raised on it until metadata read dates with ``re``);
* ``NaN``, ``Infinity`` and ``-Infinity`` in JSONL records (Python's ``json``
  reads them; the output must never carry them).

Sizes are a few KB (libFuzzer mutates up to the largest seed); the linearity
benchmark and ``tests/test_hostile.py`` take them to full size.

    python fuzz/make_seeds.py  # writes into fuzz/seeds/{decode,extract,jsonl}
"""

from __future__ import annotations

import json
from pathlib import Path

SEEDS = Path(__file__).resolve().parent / "seeds"

PROSE = "新征程是充满光荣和梦想的远征，我们要坚持以人民为中心的发展思想。"
SHAPES = {
    "repeated-lines": (PROSE + "\n") * 60,
    "alternating-blank": (PROSE + "\n\n") * 60,
    "one-char-lines": "字\n" * 1_500,
    "meta-line-digits": "关于加强城市管理工作的通知\n"
    + "发布时间：2022-\U00011f51-01 10:00 来源：新华网\n"  # Kawi 1 (Unicode 15)
    + "日期：٢٠٢٢年١١月١٤日 ١٦:٢٨ 作者：张三\n"  # Arabic-Indic
    + "时间：２０２２－１１－１４　１６：２８ 编辑：李四\n"  # full width
    + (PROSE + "\n") * 8,
}
NAN_RECORDS = (
    '{"id": 1, "text": NaN}\n'
    '{"id": 2, "text": "正文", "score": Infinity}\n'
    '{"id": 3, "text": "正文", "score": -Infinity}\n'
    '{"id": 4, "text": "正文", "meta": {"x": [1, NaN]}}\n'
    + json.dumps({"id": 5, "text": PROSE}, ensure_ascii=False)
    + "\n"
)

# fuzz_jsonl.py reads its mode (0: raw JSONL) and cap from the end of the input
# and its keep-labels flag from the front: this frame gives mode 0, a cap of
# 3,841 bytes and the payload whole (checked by ``_jsonl_frame``).
_JSONL_HEAD, _JSONL_TAIL = b"\x00", b"\x00\x0f\x00"


def _jsonl_frame(payload: bytes) -> bytes:
    import atheris

    data = _JSONL_HEAD + payload + _JSONL_TAIL
    fdp = atheris.FuzzedDataProvider(data)
    mode = fdp.ConsumeIntInRange(0, 2)
    fdp.ConsumeIntInRange(1, 4096), fdp.ConsumeBool()  # the cap, the keep-labels flag
    assert mode == 0 and fdp.ConsumeBytes(len(data)) == payload, "fuzz_jsonl.py's framing changed"
    return data


def main() -> None:
    # Records under the frame's cap (3,841 bytes), so that they are extracted.
    records = {
        name: json.dumps({"id": 0, "text": text[: len(text) * 2 // 5]}, ensure_ascii=False) + "\n"
        for name, text in SHAPES.items()
    }
    assert all(len(r.encode()) < 3_841 for r in records.values())
    for name, text in {**SHAPES, "nan-infinity.jsonl": NAN_RECORDS}.items():
        (SEEDS / "decode" / name).write_bytes(text.encode())
    for name, text in SHAPES.items():
        (SEEDS / "extract" / f"{name}.txt").write_bytes(text.encode())
    for name, text in {**records, "nan-infinity": NAN_RECORDS}.items():
        jsonl_name = name if name.endswith(".jsonl") else f"{name}.jsonl"
        (SEEDS / "jsonl" / jsonl_name).write_bytes(_jsonl_frame(text.encode()))


if __name__ == "__main__":
    main()
