"""What one core does: pages and MB extracted per CPU-hour, HTML or WARC/WET input.

Runs in one process (pin it to one core with ``taskset -c 0``) over either a
folder of ``*.html`` files (e.g. the dev pages) or WARC/WET files, and reports
CPU seconds spent reading (decoding + HTML parsing, or WARC reading) and
extracting (``zhengwen.extract``), pages per CPU-hour and input MB per
CPU-hour. The first page is extracted before timing starts (model loading).

    taskset -c 0 .venv/bin/python benchmarks/corpus_throughput.py ../shared/eval/dev/html
    taskset -c 0 .venv/bin/python benchmarks/corpus_throughput.py CC-MAIN-...warc.gz --lang zho
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from zhengwen.html import HtmlPage, document_from_page, html_to_page
from zhengwen.options import DEFAULT


def html_pages(folder: Path, limit: int | None) -> Iterator[tuple[int, float, HtmlPage | str]]:
    """(input bytes, CPU seconds to read, page or text) for each ``*.html`` file."""
    for count, path in enumerate(sorted(folder.glob("*.html"))):
        if limit is not None and count >= limit:
            return
        data = path.read_bytes()
        start = time.process_time()
        page = html_to_page(data)
        yield len(data), time.process_time() - start, page


def warc_pages(
    paths: list[Path], lang: str | None, limit: int | None
) -> Iterator[tuple[int, float, HtmlPage | str]]:
    """(payload bytes, CPU seconds to read, page or text) for each page record."""
    from zhengwen.warc import ArchiveReader

    count = 0
    for path in paths:
        records = iter(ArchiveReader(path, lang))
        while limit is None or count < limit:
            start = time.process_time()
            record = next(records, None)
            spent = time.process_time() - start
            if record is None:
                break
            if record.error is None:
                count += 1
                yield len(record.payload), spent, record.page or record.text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "inputs", nargs="+", type=Path, help="a folder of *.html, or WARC/WET files"
    )
    parser.add_argument("--lang", help="WARC/WET language filter, e.g. zho")
    parser.add_argument("--limit", type=int, help="stop after this many pages")
    args = parser.parse_args(argv)
    if len(args.inputs) == 1 and args.inputs[0].is_dir():
        pages = html_pages(args.inputs[0], args.limit)
    else:
        pages = warc_pages(args.inputs, args.lang, args.limit)

    from zhengwen.core import extract

    extract("预热\n模型", DEFAULT)  # load the models outside the timing
    n = size = 0
    read_cpu = extract_cpu = 0.0
    wall = time.perf_counter()
    for nbytes, spent, page in pages:
        start = time.process_time()
        if isinstance(page, str):
            extract(page, DEFAULT)
        else:
            document_from_page(page, DEFAULT)
        extract_cpu += time.process_time() - start
        read_cpu += spent
        n += 1
        size += nbytes
    wall = time.perf_counter() - wall
    if n == 0:
        print("no pages read", file=sys.stderr)
        return 1
    cpu = read_cpu + extract_cpu
    print(f"pages: {n}, input: {size / 1e6:.1f} MB, wall: {wall:.1f} s, CPU: {cpu:.1f} s")
    print(
        f"CPU per page: read {read_cpu / n * 1000:.1f} ms + extract {extract_cpu / n * 1000:.1f} ms"
    )
    print(f"one core: {n / cpu * 3600:,.0f} pages/hour, {size / 1e6 / cpu * 3600:,.0f} MB/hour")
    return 0


if __name__ == "__main__":
    sys.exit(main())
