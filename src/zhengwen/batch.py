"""Many pages at once: JSON Lines records and page files, in order, on all cores.

The command line calls two drivers:

* :func:`run_jsonl` reads JSON Lines (files or stdin, gzip/zstd undone),
  extracts each record's text and writes one output line per input line.
* :func:`run_pages` reads page files, decodes and extracts each, and renders
  it in the chosen format.

Both are a pipeline of small parts: a reader that turns inputs into tasks and
never raises (input problems are collected, not thrown, so the work already
done still reaches the output), :func:`chunked` to batch tasks, and
:func:`parallel_map`, an order-keeping map over worker processes with a
bounded number of chunks in flight, so memory stays flat however long the
input is. The per-item functions (:func:`process_record`,
:func:`process_page`) are pure: one task in, one result out, every failure
turned into an error result.

Nothing is lost: every JSONL input line, blank or broken, gives exactly one
output line, in order; failures carry ``error`` (``"line 17: invalid JSON:
..."``) and ``line`` (and ``file`` when several inputs were given).

Room for later steps: a per-record timeout fits in :func:`parallel_map`
(``AsyncResult.get(timeout)``; on expiry, error results for that chunk and a
fresh pool for the rest); ``--resume`` can skip ``Stats.records`` records,
since output line *k* always belongs to input record *k*.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, TypeVar

from zhengwen import extract
from zhengwen.io import (
    EXTENSIONS,
    STDIN,
    AtomicWriter,
    Decoded,
    TooLong,
    decode,
    dump_json_line,
    format_explain,
    format_json,
    format_markdown,
    format_text,
    format_tsv,
    iter_lines,
    open_input,
    output_stem,
    read_bytes,
)

if TYPE_CHECKING:
    from multiprocessing.pool import AsyncResult

    from zhengwen.model import Document
    from zhengwen.options import Options

MAX_RECORD_BYTES = 50_000_000
"""Largest JSONL input line (bytes, without its newline) that is parsed; a
longer one becomes an error record. Guards memory: one line is held whole."""

TEXT_FIELD = "text"
"""The JSONL field that holds a page's text unless ``--text-field`` says otherwise."""

CHUNK_RECORDS = 32
"""Records per unit of work sent to a worker: enough to make the cost of
pickling and a round trip small against extraction, few enough that the
pages/s figure and memory move smoothly."""

CHUNK_BYTES = 4 << 20
"""A chunk is closed early once its lines reach this many bytes, so a run of
huge records does not pile up in one chunk."""

IN_FLIGHT_PER_WORKER = 4
"""Chunks submitted but not yet written, per worker: keeps every worker busy
while an earlier, slower chunk holds up the in-order output, and caps memory."""

T = TypeVar("T")
C = TypeVar("C")
R = TypeVar("R")


def available_cpus() -> int:
    """The CPUs this process may run on (its affinity set where the OS has one)."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)


# --------------------------------------------------------------------------- progress


@dataclass
class Stats:
    """Running counts of a run, readable after it stops, interrupted or not.

    ``items`` counts results written (records or pages), ``errors`` those that
    failed, ``problems`` input errors that ended an input file early.
    """

    noun: str = "record"
    items: int = 0
    errors: int = 0
    problems: list[str] = field(default_factory=list)
    started: float = field(default_factory=time.monotonic)

    def summary(self) -> str:
        """One line for stderr: counts, time and rate."""
        seconds = time.monotonic() - self.started
        rate = self.items / seconds if seconds > 0 else 0.0
        plural = "" if self.items == 1 else "s"
        return (
            f"{self.items} {self.noun}{plural}, {self.errors} error"
            f"{'' if self.errors == 1 else 's'}, {seconds:.1f} s ({rate:.0f} {self.noun}s/s)"
        )


class _Progress:
    """A tqdm bar on stderr counting items, or nothing when ``enabled`` is false."""

    def __init__(self, enabled: bool, noun: str) -> None:
        self._bar: Any = None
        if enabled:
            from tqdm import tqdm  # type: ignore[import-untyped,unused-ignore]

            # No monitor thread: worker processes are forked after the bar starts.
            tqdm.monitor_interval = 0
            self._bar = tqdm(unit=f" {noun}s", file=sys.stderr, dynamic_ncols=True)

    def update(self, n: int) -> None:
        if self._bar is not None:
            self._bar.update(n)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()


# --------------------------------------------------------------------------- parallel map

_worker_job: tuple[Callable[[Any, Any], Any], Any] | None = None


def _init_worker(func: Callable[[Any, Any], Any], config: Any) -> None:
    """Set up a worker process: remember the job, leave signals to the parent.

    Ctrl-C reaches the whole process group; the parent alone decides what to
    do (stop the pool, drop the partial output), so workers ignore SIGINT.
    SIGTERM gets its default action back in case the parent's handler was
    inherited through fork: the parent's ``pool.terminate()`` relies on it.
    """
    import signal

    global _worker_job
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    _worker_job = (func, config)


def _run_in_worker(item: Any) -> Any:
    assert _worker_job is not None, "worker not initialised"
    func, config = _worker_job
    return func(config, item)


def parallel_map(
    func: Callable[[C, T], R],
    config: C,
    items: Iterable[T],
    jobs: int,
    in_flight: int | None = None,
) -> Iterator[R]:
    """``func(config, item)`` for each item, in order, over ``jobs`` processes.

    ``func`` must be a module-level function (it is sent to the workers by
    name) and should not raise: an exception ends the map. ``config`` goes to
    each worker once. At most ``in_flight`` items (default ``jobs *
    IN_FLIGHT_PER_WORKER``) are submitted and not yet yielded, which bounds
    memory. ``jobs <= 1`` runs in this process with no pool at all. Closing
    the iterator early (or an exception, KeyboardInterrupt included) stops
    the workers at once.
    """
    if jobs <= 1:
        for item in items:
            yield func(config, item)
        return

    import multiprocessing

    limit = max(1, in_flight or jobs * IN_FLIGHT_PER_WORKER)
    pool = multiprocessing.get_context().Pool(
        jobs, initializer=_init_worker, initargs=(func, config)
    )
    pending: deque[AsyncResult[R]] = deque()
    finished = False
    try:
        for item in items:
            pending.append(pool.apply_async(_run_in_worker, (item,)))
            while len(pending) >= limit:
                yield pending.popleft().get()
        while pending:
            yield pending.popleft().get()
        finished = True
    finally:
        if finished:
            pool.close()
        else:
            pool.terminate()
        pool.join()


def chunked(items: Iterable[T], size: Callable[[T], int]) -> Iterator[list[T]]:
    """``items`` in lists of at most ``CHUNK_RECORDS``, closed early at ``CHUNK_BYTES``."""
    chunk: list[T] = []
    total = 0
    for item in items:
        chunk.append(item)
        total += size(item)
        if len(chunk) >= CHUNK_RECORDS or total >= CHUNK_BYTES:
            yield chunk
            chunk, total = [], 0
    if chunk:
        yield chunk


# --------------------------------------------------------------------------- JSON Lines


@dataclass(frozen=True, slots=True)
class RecordConfig:
    """How to turn one JSONL record into its output line.

    ``text_field`` names the field holding the page text; ``keep_labels``
    adds every line's label, score and reason (``lines``); ``source_names``
    adds ``file`` to error records (set when there are several inputs).
    """

    options: Options
    text_field: str = TEXT_FIELD
    keep_labels: bool = False
    max_record_bytes: int = MAX_RECORD_BYTES
    source_names: bool = False


@dataclass(frozen=True, slots=True)
class RecordTask:
    """One input line: where it came from and its bytes (or its size if too long)."""

    source: str
    line: int
    raw: bytes | TooLong


def _task_size(task: RecordTask) -> int:
    return len(task.raw) if isinstance(task.raw, bytes) else 0


def process_record(config: RecordConfig, task: RecordTask) -> tuple[bytes, bool]:
    """One JSONL input line in, its output line out, and whether it succeeded.

    A success is the input object with the extracted fields (``title``,
    ``date``, ``source``, ``authors``, ``editors``, ``body``; ``lines`` with
    ``keep_labels``) added, overwriting input fields of the same names. A
    failure has ``error`` and ``line``, plus the input's fields when the line
    was a JSON object. Never raises for any input.
    """

    def failure(problem: str, record: dict[str, Any] | None = None) -> tuple[bytes, bool]:
        out: dict[str, object] = dict(record) if record is not None else {}
        out["error"] = f"line {task.line}: {problem}"
        out["line"] = task.line
        if config.source_names:
            out["file"] = task.source
        return dump_json_line(out), False

    raw = task.raw
    if isinstance(raw, TooLong):
        return failure(f"record too large ({raw.size} bytes > {config.max_record_bytes})")
    if not raw.strip():
        return failure("blank line")
    try:
        record = json.loads(raw)
    except UnicodeDecodeError as exc:
        return failure(f"invalid UTF-8: {exc.reason} at byte {exc.start}")
    except json.JSONDecodeError as exc:
        return failure(f"invalid JSON: {exc.msg} at column {exc.colno}")
    except (ValueError, RecursionError) as exc:  # e.g. nesting deeper than the stack
        return failure(f"invalid JSON: {type(exc).__name__}: {exc}")
    if not isinstance(record, dict):
        return failure(f"not a JSON object (got {type(record).__name__})")
    if config.text_field not in record:
        return failure(f"no field {config.text_field!r}", record)
    text = record[config.text_field]
    if not isinstance(text, str):
        kind = "null" if text is None else type(text).__name__
        return failure(f"field {config.text_field!r} is not a string (got {kind})", record)
    try:
        doc = extract(text, config.options)
    except Exception as exc:  # a bug on one page must not stop a million-page run
        return failure(f"extraction failed: {type(exc).__name__}: {exc}", record)
    record.update(doc.to_dict(with_lines=config.keep_labels))
    return dump_json_line(record), True


def _process_chunk(config: RecordConfig, chunk: list[RecordTask]) -> list[tuple[bytes, bool]]:
    return [process_record(config, task) for task in chunk]


def read_records(inputs: list[str], max_bytes: int, problems: list[str]) -> Iterator[RecordTask]:
    """Every line of every input, numbered from 1 in each, as tasks.

    Never raises for an unreadable or corrupt input: the problem is appended
    to ``problems`` and the next input is read, so that the records already
    read still get written.
    """
    for source in inputs:
        line = 0
        try:
            with open_input(source) as stream:
                for raw in iter_lines(stream, max_bytes):
                    line += 1
                    yield RecordTask(source, line, raw)
        except Exception as exc:  # OSError, EOFError, zlib/zstd errors: all end this input
            name = "stdin" if source == STDIN else source
            where = f" after line {line}" if line else ""
            problems.append(f"{name}: cannot read{where}: {exc}")


def run_jsonl(
    inputs: list[str],
    out: BinaryIO,
    config: RecordConfig,
    jobs: int,
    stats: Stats,
    progress: bool = False,
) -> None:
    """Extract every record of ``inputs`` and write the output lines to ``out``.

    ``stats`` is updated as lines are written, so after an interruption it
    tells how far the run got.
    """
    tasks = read_records(inputs, config.max_record_bytes, stats.problems)
    bar = _Progress(progress, "page")
    try:
        for results in parallel_map(_process_chunk, config, chunked(tasks, _task_size), jobs=jobs):
            for line, ok in results:
                out.write(line)
                stats.items += 1
                stats.errors += not ok
            bar.update(len(results))
    finally:
        bar.close()


# --------------------------------------------------------------------------- pages


@dataclass(frozen=True, slots=True)
class PageConfig:
    """How to render each page: ``format`` is one of ``io.FORMATS`` or ``explain``.

    ``encoding`` overrides detection; ``colour`` adds ANSI colours to
    ``explain``; ``headers`` puts ``==> name <==`` over each ``explain`` page.
    """

    options: Options
    format: str = "text"
    encoding: str | None = None
    colour: bool = False
    headers: bool = False


@dataclass(frozen=True, slots=True)
class PageResult:
    """What became of one page file.

    ``status`` is 0 (rendered), 1 (extraction failed) or 2 (unreadable);
    ``output`` is the rendered page (empty unless 0); ``messages`` are for
    stderr.
    """

    path: str
    output: bytes
    status: int
    messages: tuple[str, ...] = ()


def render(doc: Document, config: PageConfig, decoded: Decoded, name: str) -> str:
    """``doc`` in the format ``config`` asks for."""
    if config.format == "json":
        return format_json(doc, decoded, name)
    if config.format == "tsv":
        return format_tsv(doc)
    if config.format == "markdown":
        return format_markdown(doc)
    if config.format == "explain":
        head = f"==> {name} <==\n" if config.headers else ""
        return head + format_explain(doc, config.colour)
    return format_text(doc)


def process_page(config: PageConfig, item: tuple[str, bytes | None]) -> PageResult:
    """Read (unless the bytes are given), decode, extract and render one page.

    Never raises for bad input: unreadable files and failed extractions come
    back as a non-zero ``status`` with a message.
    """
    path, data = item
    name = "stdin" if path == STDIN else path
    if data is None:
        try:
            data = read_bytes(path)
        except Exception as exc:  # OSError, corrupt gzip/zstd, zstandard missing
            return PageResult(path, b"", 2, (f"{name}: cannot read: {exc}",))
    decoded = decode(data, config.encoding)
    messages: list[str] = []
    if decoded.replaced:
        messages.append(
            f"{name}: {decoded.replaced} undecodable byte sequence(s) replaced"
            f" (read as {decoded.encoding})"
        )
    try:
        doc = extract(decoded.text, config.options)
    except Exception as exc:  # report and go on to the next page
        messages.append(f"{name}: extraction failed: {type(exc).__name__}: {exc}")
        return PageResult(path, b"", 1, tuple(messages))
    output = render(doc, config, decoded, path).encode("utf-8")
    return PageResult(path, output, 0, tuple(messages))


def output_path(output_dir: str | os.PathLike[str], path: str, fmt: str) -> Path:
    """Where ``--output-dir`` puts the output for input ``path``."""
    return Path(output_dir) / f"{output_stem(path)}.{EXTENSIONS[fmt]}"


def run_pages(
    paths: list[str],
    config: PageConfig,
    jobs: int,
    stats: Stats,
    out: BinaryIO | None = None,
    output_dir: str | None = None,
    progress: bool = False,
    warn: Callable[[str], None] | None = None,
) -> int:
    """Process page files in order; write to ``out``, or one file each in ``output_dir``.

    A run that reads stdin (``-``) runs in this process. Files in ``output_dir`` are
    written atomically; a page that fails gets no file. ``warn`` receives
    each message for stderr. Returns the worst page status (0, 1 or 2).
    """
    items: list[tuple[str, bytes | None]] = [(p, None) for p in paths]
    # Stdin can only be read by this process, so a run that includes it stays here.
    jobs = 1 if STDIN in paths else min(jobs, len(items))
    status = 0
    bar = _Progress(progress, "page")
    try:
        for result in parallel_map(process_page, config, items, jobs=jobs, in_flight=jobs * 2):
            for message in result.messages:
                if warn is not None:
                    warn(message)
            status = max(status, result.status)
            stats.items += 1
            stats.errors += result.status != 0
            if result.status == 0:
                if output_dir is not None:
                    with AtomicWriter(output_path(output_dir, result.path, config.format)) as f:
                        f.write(result.output)
                elif out is not None:
                    out.write(result.output)
                    out.flush()
            bar.update(1)
    finally:
        bar.close()
    return status
