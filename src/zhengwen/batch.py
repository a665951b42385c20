"""Many pages at once: JSON Lines records and page files, in order, on all cores.

The command line calls three drivers:

* :func:`run_jsonl` reads JSON Lines (files or stdin, gzip/zstd undone),
  extracts each record's text (or HTML) and writes one output line per input line.
* :func:`run_pages` reads page files (page text or HTML), decodes and
  extracts each, and renders it in the chosen format.
* :func:`run_archives` reads WARC/WET files with :class:`zhengwen.warc.ArchiveReader`
  in this process and extracts their page records in the workers, one output
  line per page record.

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
..."``) and ``line`` (and ``file`` when several inputs were given). That holds
when a worker hangs or dies on a record, too: the record gets an error
(``"line 17: timed out after 60 s"``), the worker is replaced and the run
goes on.

A JSONL run writing ``-o FILE`` keeps a :class:`Journal`: the lines go to
``FILE.partial``, and ``FILE.progress.json`` records how many are complete and
a digest of the input lines they came from. An interrupted run leaves both;
``--resume`` checks them against the input and goes on after the last
complete record. Only a finished run produces ``FILE``.

With ``--site-template`` every driver makes two passes over its inputs: the
first (``learn_records``, ``learn_archives``, ``learn_pages``, in this
process) adds each page, as the lines the extractor will read, to a
:class:`zhengwen.site.SiteTemplates`; the second extracts as usual, and each
worker gets that table (fixed by then) in its config and looks up the shares
of its pages' lines. The table is a bottom-k sample per site, so the output
is the same for any input order and any number of workers.
"""

from __future__ import annotations

import dataclasses
import json
import os
import sys
import time
from collections import Counter, deque
from collections.abc import Callable, Generator, Iterable, Iterator
from dataclasses import dataclass, field

from zhengwen import extract
from zhengwen.html import decode_page, document_from_page, html_to_page
from zhengwen.io import (
    COMPRESSION_MAGIC,
    EXTENSIONS,
    MAX_RECORD_BYTES,
    STDIN,
    AtomicWriter,
    Decoded,
    TooLong,
    binary_problem,
    document_fields,
    dump_json_line,
    format_explain,
    format_json,
    format_markdown,
    format_text,
    format_tsv,
    iter_lines,
    load_json,
    open_input,
    open_new,
    output_stem,
    read_bytes,
)

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (6 ms of start-up)
if TYPE_CHECKING:
    from multiprocessing.connection import Connection
    from pathlib import Path
    from typing import Any, BinaryIO, TypeVar

    from zhengwen.model import Document
    from zhengwen.options import Options
    from zhengwen.site import SiteTemplates
    from zhengwen.warc import PageRecord

    T = TypeVar("T")
    C = TypeVar("C")
    R = TypeVar("R")

MAX_RECORD_LINES = 250_000
"""Most lines a page (a JSONL or WARC record, a page file) may have; one with
more gets an error instead of an extraction. Guards memory, which grows with
lines, not bytes: ``extract`` peaks at about 2.2 KB a line for one-character
lines and 3.3 KB for 40-character prose lines (docs/reliability.md), so this
keeps a worker under about 1 GB whatever the record's size in bytes."""


def too_many_lines(text: str, limit: int) -> str | None:
    """The error for a page of more than ``limit`` lines, or ``None``."""
    from zhengwen.normalize import count_lines

    n = count_lines(text)
    if n <= limit:
        return None
    return f"page too long ({n} lines > {limit}; see --max-record-lines)"


TEXT_FIELD = "text"
"""The JSONL field that holds a page's text unless ``--text-field`` says otherwise."""

URL_FIELD = "url"
"""The JSONL field whose URL's host is a record's site for ``--site-template``,
unless ``--url-field`` or ``--site-key`` says otherwise."""

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
    ``resumed`` and ``resumed_errors`` count the records (and error records)
    an interrupted earlier run had written, which this run kept. ``skipped``
    counts, by reason, the archive records that are no page (or not in the
    language asked for); they give no output. ``sites`` is what the first pass
    of a ``--site-template`` run learned. ``not_json`` counts, of the first
    ``probed`` (at most :data:`JSONL_PROBE`) records of a JSONL run, those
    that are no JSON object: all of them, and the input is no JSON Lines.
    """

    noun: str = "record"
    items: int = 0
    errors: int = 0
    problems: list[str] = field(default_factory=list)
    started: float = field(default_factory=time.monotonic)
    resumed: int = 0
    resumed_errors: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    sites: SiteSummary | None = None
    probed: int = 0
    not_json: int = 0

    def summary(self) -> str:
        """One line for stderr: counts, time and rate."""
        seconds = time.monotonic() - self.started
        rate = self.items / seconds if seconds > 0 else 0.0
        plural = "" if self.items == 1 else "s"
        line = (
            f"{self.items} {self.noun}{plural}, {self.errors} error"
            f"{'' if self.errors == 1 else 's'}, {seconds:.1f} s ({rate:.0f} {self.noun}s/s)"
        )
        if self.resumed:
            line += f", after {self.resumed} kept from the interrupted run"
        if self.skipped:
            total = sum(self.skipped.values())
            reasons = ", ".join(f"{reason} {n}" for reason, n in sorted(self.skipped.items()))
            line += f"; {total} archive record{'' if total == 1 else 's'} skipped ({reasons})"
        if self.sites is not None:
            line += f"; {self.sites}"
        return line


class _Progress:
    """A tqdm bar on stderr, or nothing when ``enabled`` is false.

    It counts items (``noun``s), or bytes with ``in_bytes``; with a
    ``total`` it shows the share done and the time left.
    """

    def __init__(
        self,
        enabled: bool,
        noun: str,
        desc: str | None = None,
        total: int | None = None,
        in_bytes: bool = False,
    ) -> None:
        self._bar: Any = None
        if enabled:
            from tqdm import tqdm  # type: ignore[import-untyped,unused-ignore]

            unit: dict[str, Any] = {"unit": f" {noun}s"}
            if in_bytes:
                unit = {"unit": "B", "unit_scale": True, "unit_divisor": 1024}
            # No monitor thread: worker processes are forked after the bar starts.
            tqdm.monitor_interval = 0
            self._bar = tqdm(total=total, desc=desc, file=sys.stderr, dynamic_ncols=True, **unit)

    def update(self, n: int) -> None:
        if self._bar is not None:
            self._bar.update(n)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()


# --------------------------------------------------------------------------- parallel map

RECORD_TIMEOUT = 60.0
"""Seconds one record (or page) may spend in a worker before it is given up:
the worker is killed, the item becomes an error result and the rest of its
chunk goes on in a fresh worker. Generous on purpose: a typical page takes
under 0.1 s; the budget is there for pathological input, not to trim slow
pages (see benchmarks/linearity.py for what large records cost)."""

MAX_WAIT = 86_400.0
"""Longest single wait (seconds) for the workers: the operating system's wait
takes no more than about 292 years, and a longer time limit just waits again."""

WORKER_START_FAILURES = 3
"""Worker processes in a row that may die before they are ready (while
loading the models) before the run stops: past this, the machine or the
installation is broken, and restarting would loop forever."""

_READY = "ready"


@dataclass(eq=False)
class _Worker:
    """One worker process, its end of the pipe, and the chunk it is on.

    ``done`` counts the results of ``job`` received so far, so the item it is
    working on is ``job[done]``; ``since`` is when that item started.
    """

    process: Any
    conn: Connection
    ready: bool = False
    first: int = 0
    job: list[Any] | None = None
    done: int = 0
    since: float = 0.0

    def deadline(self, timeout: float | None) -> float | None:
        """When the current item runs out of time (``None``: idle, starting, or no limit)."""
        if timeout is None or self.job is None:
            return None
        return self.since + timeout


def _worker_main(
    conn: Connection,
    func: Callable[[Any, Any], Any],
    config: Any,
    prepare: Callable[[Any], None] | None,
) -> None:
    """A worker process: ``prepare``, say ready, then run each chunk sent, item by item.

    Ctrl-C reaches the whole process group; the parent alone decides what to
    do (stop the workers, keep the partial output), so workers ignore SIGINT.
    SIGTERM gets its default action back in case the parent's handler was
    inherited through fork: the parent stops workers with it. Every item's
    result is sent as soon as it is ready, which is how the parent knows
    which item a hang or a crash belongs to. A worker ends as soon as its
    parent does, however the parent ended (see :func:`_exit_with_parent`).
    """
    import signal

    _exit_with_parent()
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if prepare is not None:
        prepare(config)
    conn.send(_READY)
    while True:
        try:
            job = conn.recv()
        except EOFError:  # the parent went away
            return
        if job is None:
            return
        for item in job:
            try:
                message: tuple[bool, Any] = (True, func(config, item))
            except Exception as exc:  # ``func`` should not raise; if it does, say so and go on
                message = (False, f"{type(exc).__name__}: {exc}")
            conn.send(message)


def _exit_with_parent() -> None:
    """End this worker process the moment its parent process ends.

    The parent stops its workers when it can, but it cannot when it is
    killed (SIGKILL, the OOM killer), nor when a signal lands while a worker
    is being started and the worker is not yet in its books. A forked worker
    also holds copies of its pipe's parent end (its own and, through later
    forks, its elder siblings'), so the parent's death does not close the pipe
    and ``recv`` would wait forever, keeping the run's stdout and stderr open.
    A daemon thread therefore waits on the parent's sentinel, which every
    start method provides, and exits the process when it fires.
    """
    import multiprocessing
    import threading

    parent = multiprocessing.parent_process()
    if parent is None:  # not started by multiprocessing
        return

    def watch() -> None:
        parent.join()
        os._exit(0)

    threading.Thread(target=watch, name="zhengwen-parent-watch", daemon=True).start()


def _death(exitcode: int | None) -> str:
    """What became of a worker process, for an error message."""
    if exitcode is not None and exitcode < 0:
        import signal

        try:
            name = signal.Signals(-exitcode).name
        except ValueError:
            name = f"signal {-exitcode}"
        return f"worker process died (killed by {name})"
    return f"worker process died (exit code {exitcode})"


def parallel_map(
    func: Callable[[C, T], R],
    config: C,
    chunks: Iterable[list[T]],
    workers: int,
    on_failure: Callable[[C, T, str], R],
    *,
    prepare: Callable[[C], None] | None = None,
    timeout: float | None = None,
    in_flight: int | None = None,
) -> Generator[tuple[T, R], None, None]:
    """Each item of ``chunks`` with ``func(config, item)``, in order, over ``workers`` processes.

    A chunk is the unit sent to a worker; results come back item by item.
    ``func`` and ``on_failure`` must be module-level functions (workers may get
    them by name). ``config`` goes to each worker once, and each worker runs
    ``prepare(config)`` before it takes work (to load models outside the
    time limit). An item that runs past ``timeout`` seconds, or whose worker
    dies (a crash, ``os._exit``, the OOM killer) or raises, gets
    ``on_failure(config, item, problem)`` as its result; that worker is
    replaced, and the rest of its chunk goes first to the next free worker,
    so nothing is lost and the order holds.

    At most ``in_flight`` chunks (default ``workers * IN_FLIGHT_PER_WORKER``)
    are read and not yet yielded whole, which bounds memory. ``workers <= 0``
    runs in this process: no pool, no time limit, no crash isolation. Closing
    the iterator early (or an exception, KeyboardInterrupt included) stops
    the workers at once.
    """
    if workers <= 0:
        for chunk in chunks:
            for item in chunk:
                yield item, func(config, item)
        return

    import multiprocessing
    from multiprocessing.connection import wait

    context = multiprocessing.get_context()
    limit = max(1, in_flight or workers * IN_FLIGHT_PER_WORKER)

    def hire() -> _Worker:
        ours, theirs = context.Pipe()
        process = context.Process(
            target=_worker_main, args=(theirs, func, config, prepare), daemon=True
        )
        process.start()
        theirs.close()
        return _Worker(process, ours)

    source = iter(chunks)
    exhausted = False
    waiting: deque[tuple[int, list[T]]] = deque()  # (index of its first item, items) to send
    ends: deque[int] = deque()  # end index of every chunk read and not yet yielded whole
    items: dict[int, T] = {}  # read, not yet yielded
    results: dict[int, R] = {}
    read = emitted = 0
    start_failures = 0
    crew: list[_Worker] = []
    finished = False

    def give_up(worker: _Worker, problem: str) -> None:
        """Fail the item ``worker`` is on and put the rest of its chunk first in line."""
        assert worker.job is not None
        index = worker.first + worker.done
        results[index] = on_failure(config, items[index], problem)
        rest = worker.job[worker.done + 1 :]
        if rest:
            waiting.appendleft((index + 1, rest))
        worker.job = None

    def replace(worker: _Worker, problem: str | None = None) -> None:
        """Worker ``worker`` is gone (or must go): settle its work and hire another.

        ``problem`` says why; by default, how the process ended.
        """
        nonlocal start_failures
        if worker.process.is_alive():
            worker.process.kill()
        worker.process.join()
        worker.conn.close()
        if problem is None:
            problem = _death(worker.process.exitcode)
        if worker.job is not None:
            give_up(worker, problem)
        elif not worker.ready:
            start_failures += 1
            if start_failures >= WORKER_START_FAILURES:
                raise RuntimeError(f"worker processes fail as they start: {problem}")
        crew[crew.index(worker)] = hire()

    try:
        crew.extend(hire() for _ in range(workers))
        while True:
            while not exhausted and len(ends) < limit:  # read ahead, within the bound
                got = next(source, None)
                if got is None:
                    exhausted = True
                elif got:
                    items.update(enumerate(got, read))
                    waiting.append((read, list(got)))
                    read += len(got)
                    ends.append(read)

            for worker in crew:  # hand out work
                if worker.ready and worker.job is None and waiting:
                    worker.first, worker.job = waiting.popleft()
                    worker.done, worker.since = 0, time.monotonic()
                    try:
                        worker.conn.send(worker.job)
                    except OSError:  # it died while idle: the chunk never started
                        waiting.appendleft((worker.first, worker.job))
                        worker.job = None
                        replace(worker)

            if emitted in results:  # yield what is ready, in order
                while emitted in results:
                    item, result = items.pop(emitted), results.pop(emitted)
                    emitted += 1
                    while ends and ends[0] <= emitted:
                        ends.popleft()
                    yield item, result
                continue
            if exhausted and emitted == read:
                finished = True
                return

            deadlines = [d for w in crew if (d := w.deadline(timeout)) is not None]
            pause = max(0.0, min(deadlines) - time.monotonic()) if deadlines else None
            if pause is not None:
                # A wait of more than MAX_WAIT raises OverflowError (--record-timeout
                # 1e300 is a valid number of seconds); the loop comes back to wait again.
                pause = min(pause, MAX_WAIT)
            watched = [w.conn for w in crew] + [w.process.sentinel for w in crew]
            signalled = set(wait(watched, pause))
            for worker in list(crew):
                gone = worker.process.sentinel in signalled
                try:
                    while worker.conn in signalled and worker.conn.poll():
                        message = worker.conn.recv()
                        worker.since = time.monotonic()
                        if message == _READY:
                            worker.ready, start_failures = True, 0
                            continue
                        assert worker.job is not None, "a result from an idle worker"
                        ok, value = message
                        index = worker.first + worker.done
                        results[index] = (
                            value if ok else on_failure(config, items[index], f"failed: {value}")
                        )
                        worker.done += 1
                        if worker.done == len(worker.job):
                            worker.job = None
                except (EOFError, OSError):  # the pipe broke: it died mid-message
                    gone = True
                if gone:
                    replace(worker)
            now = time.monotonic()
            for worker in list(crew):
                deadline = worker.deadline(timeout)
                if deadline is not None and now >= deadline:
                    replace(worker, f"timed out after {timeout:g} s")
    finally:
        for worker in crew:
            if finished:
                try:
                    worker.conn.send(None)
                except OSError:
                    pass
            else:
                worker.process.terminate()
        for worker in crew:
            worker.process.join(timeout=5 if finished else 1)
            if worker.process.is_alive():
                worker.process.kill()
                worker.process.join()
            worker.conn.close()


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

    ``text_field`` names the field holding the page text; ``html_field``,
    when set, names a field holding the page's raw HTML instead, read by
    :func:`zhengwen.html.html_to_page` (the text field is then not used);
    ``keep_labels`` adds every line's label, score and reason (``lines``);
    ``source_names`` adds ``file`` to error records (set when there are
    several inputs). ``templates``, when set, holds the site templates
    learned in a first pass (``--site-template``): a record's site is the
    host of its ``url_field`` or, with ``site_field``, that field verbatim
    (see :func:`record_site`). A page of more than ``max_record_lines`` lines
    is an error record (:data:`MAX_RECORD_LINES`).
    """

    options: Options
    text_field: str = TEXT_FIELD
    keep_labels: bool = False
    max_record_bytes: int = MAX_RECORD_BYTES
    source_names: bool = False
    html_field: str | None = None
    max_record_lines: int = MAX_RECORD_LINES
    templates: SiteTemplates | None = None
    url_field: str = URL_FIELD
    site_field: str | None = None


@dataclass(frozen=True, slots=True)
class RecordTask:
    """One input line: where it came from and its bytes (or its size if too long)."""

    source: str
    line: int
    raw: bytes | TooLong


def _task_size(task: RecordTask) -> int:
    return len(task.raw) if isinstance(task.raw, bytes) else 0


def _record_bytes(task: RecordTask) -> int:
    """The input bytes of a record's line, its newline included (for the progress bar)."""
    return (len(task.raw) if isinstance(task.raw, bytes) else task.raw.size) + 1


def input_bytes(inputs: list[str]) -> int | None:
    """The bytes there are to read in ``inputs``, when known: all regular, uncompressed files.

    ``None`` for stdin, a pipe or a compressed file (whose size says little
    of what it holds).
    """
    total = 0
    for path in inputs:
        if path == STDIN or not os.path.isfile(path):
            return None
        try:
            with open(path, "rb") as f:
                if f.read(4).startswith(COMPRESSION_MAGIC):
                    return None
            total += os.path.getsize(path)
        except OSError:
            return None
    return total


def process_record(config: RecordConfig, task: RecordTask) -> tuple[bytes, bool]:
    """One JSONL input line in, its output line out, and whether it succeeded.

    The page is the text field, or with ``html_field`` the HTML in that
    field. A success is the input object with the extracted fields
    (``title``, ``date``, ``source``, ``authors``, ``editors``, ``body``;
    ``lines`` with ``keep_labels``, each line with its site-template share
    ``template`` when the record's site has a template) added, overwriting
    input fields of the same names. A failure has ``error`` and ``line``,
    plus the input's fields when the line was a JSON object. Never raises for
    any input.
    """
    raw = task.raw
    if isinstance(raw, TooLong):
        return _failure(
            config, task, f"record too large ({raw.size} bytes > {config.max_record_bytes})"
        )
    if not raw.strip():
        return _failure(config, task, "blank line")
    try:
        record = load_json(raw)
    except UnicodeDecodeError as exc:
        return _failure(config, task, f"invalid UTF-8: {exc.reason} at byte {exc.start}")
    except json.JSONDecodeError as exc:
        return _failure(config, task, f"invalid JSON: {exc.msg} at column {exc.colno}")
    except (ValueError, RecursionError) as exc:  # e.g. nesting deeper than the stack
        return _failure(config, task, f"invalid JSON: {type(exc).__name__}: {exc}")
    if not isinstance(record, dict):
        return _failure(config, task, f"not a JSON object (got {type(record).__name__})")
    name = config.html_field if config.html_field is not None else config.text_field
    if name not in record:
        return _failure(config, task, f"no field {name!r}", record)
    text = record[name]
    if not isinstance(text, str):
        kind = "null" if text is None else type(text).__name__
        problem = f"field {name!r} is not a string (got {kind})"
        return _failure(config, task, problem, record)
    binary = binary_problem(text)
    if binary is not None:
        return _failure(config, task, f"field {name!r} holds {binary}", record)
    try:
        if config.html_field is not None:
            page = html_to_page(text)
            if problem := too_many_lines(page.text, config.max_record_lines):
                return _failure(config, task, problem, record)
            shares = _record_shares(config, record, page.text)
            doc = document_from_page(page, config.options, template=shares)
        else:
            if problem := too_many_lines(text, config.max_record_lines):
                return _failure(config, task, problem, record)
            shares = _record_shares(config, record, text)
            doc = extract(text, config.options, html=False, template=shares)
    except Exception as exc:  # a bug on one page must not stop a million-page run
        return _failure(config, task, f"extraction failed: {type(exc).__name__}: {exc}", record)
    record.update(document_fields(doc, config.keep_labels, shares))
    return dump_json_line(record), True


JSONL_PROBE = 100
"""Lines at the start of a JSONL run that are checked for being JSON at all
(:attr:`Stats.not_json`): a run none of whose first lines is a JSON object
was most likely given page files, and is told so."""


def _record_shares(config: RecordConfig, record: dict[str, Any], text: str) -> list[float] | None:
    """The site-template shares of ``text``'s lines, or ``None`` (no template)."""
    if config.templates is None:
        return None
    site = record_site(record, config.url_field, config.site_field)
    return config.templates.shares(site, text)


def _failure(
    config: RecordConfig, task: RecordTask, problem: str, record: dict[str, Any] | None = None
) -> tuple[bytes, bool]:
    """The error line for ``task``: ``record``'s fields, ``error``, ``line`` (and ``file``)."""
    out: dict[str, object] = dict(record) if record is not None else {}
    out["error"] = f"line {task.line}: {problem}"
    out["line"] = task.line
    if config.source_names:
        out["file"] = task.source
    return dump_json_line(out), False


def record_failure(config: RecordConfig, task: RecordTask, problem: str) -> tuple[bytes, bool]:
    """The error line for a record whose worker timed out or died on it.

    Keeps the input's fields when the line is a JSON object, as
    :func:`process_record` does for the failures it finds itself.
    """
    record = None
    if isinstance(task.raw, bytes):
        try:
            parsed = load_json(task.raw)
        except (ValueError, RecursionError):
            parsed = None
        record = parsed if isinstance(parsed, dict) else None
    return _failure(config, task, problem, record)


def warm_up(config: RecordConfig | PageConfig | ArchiveConfig) -> None:
    """Load the models in a fresh worker, before the time limit starts counting."""
    extract("预热\n", config.options)


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
    timeout: float | None = RECORD_TIMEOUT,
    journal: Journal | None = None,
) -> None:
    """Extract every record of ``inputs`` and write the output lines to ``out``.

    ``jobs`` worker processes do the work (``0``: this process, with no time
    limit or crash isolation); a record that takes longer than ``timeout``
    seconds, or kills its worker, becomes an error record. ``stats`` is
    updated as lines are written, so after an interruption it tells how far
    the run got. With a ``journal``, ``out`` is its partial file: the records
    it already holds are skipped (after checking that they came from these
    inputs, :class:`ResumeError` if not), and every line written is noted in it.
    """
    tasks: Iterator[RecordTask] = read_records(inputs, config.max_record_bytes, stats.problems)
    if journal is not None:
        tasks = journal.skip(tasks)
        stats.resumed, stats.resumed_errors = journal.kept.records, journal.kept.errors
    results = parallel_map(
        process_record,
        config,
        chunked(tasks, _task_size),
        jobs,
        record_failure,
        prepare=warm_up,
        timeout=timeout,
    )

    def note(task: RecordTask, line: bytes, ok: bool) -> None:
        if stats.probed < JSONL_PROBE:
            stats.probed += 1
            # An error line that starts with ``error`` kept no input fields: no JSON object.
            stats.not_json += not ok and line.startswith(b'{"error": ')
        if journal is not None:
            journal.note(task, len(line), ok)

    # A resumed run skips records the bar would never see: it counts records then.
    total = input_bytes(inputs) if journal is None or not journal.kept.records else None
    write_lines(results, out, stats, progress, note, total, _record_bytes)


def write_lines(
    results: Generator[tuple[T, tuple[bytes, bool]], None, None],
    out: BinaryIO,
    stats: Stats,
    progress: bool,
    note: Callable[[T, bytes, bool], None] | None = None,
    total_bytes: int | None = None,
    size: Callable[[T], int] | None = None,
) -> None:
    """Write each output line of ``results`` (task, (line, ok)) to ``out``, in order.

    ``stats`` counts them as they are written; ``note(task, line, ok)`` hears
    of each once written. ``results`` is closed however this ends. With
    ``total_bytes`` (the input's size) and ``size`` (the input bytes of a
    task), the progress bar counts bytes against the total, so it shows the
    time left.
    """
    in_bytes = total_bytes is not None and size is not None
    bar = _Progress(progress, "page", total=total_bytes if in_bytes else None, in_bytes=in_bytes)
    try:
        for task, (line, ok) in results:
            out.write(line)
            if note is not None:
                note(task, line, ok)
            stats.items += 1
            stats.errors += not ok
            bar.update(size(task) if in_bytes and size is not None else 1)
    finally:
        results.close()
        bar.close()


# --------------------------------------------------------------------------- resumable output

PARTIAL_SUFFIX = ".partial"
"""Added to ``-o FILE`` for the file the lines go to until the run is complete."""

PROGRESS_SUFFIX = ".progress.json"
"""Added to ``-o FILE`` for the small JSON file that says how far the partial file is good."""

CHECKPOINT_SECONDS = 5.0
"""How often (seconds) a running journal syncs its partial file and rewrites
its progress file: what a kill -9 or a power cut can cost at most."""

_PROGRESS_FORMAT = "zhengwen-progress/1"


class ResumeError(Exception):
    """The side files of an interrupted run do not fit the run asked for."""


# hashlib.sha256().hexdigest(), written out: hashlib is imported when a journal
# is opened, not by every command (it costs 3 ms of a command's start).
EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


@dataclass(frozen=True, slots=True)
class Mark:
    """How much of a partial output file is complete and from which input.

    ``records`` lines in the first ``size`` bytes, ``errors`` of them error
    records; ``digest`` is the SHA-256 over the input lines they belong to
    (see :func:`_feed`).
    """

    records: int = 0
    size: int = 0
    errors: int = 0
    digest: str = EMPTY_SHA256


def run_settings(inputs: list[str], config: RecordConfig) -> dict[str, object]:
    """What must not change between a run and its resumption: inputs, fields, options."""
    from dataclasses import asdict

    from zhengwen import __version__

    settings: dict[str, object] = {
        "version": __version__,
        "inputs": [p if p == STDIN else os.path.abspath(p) for p in inputs],
        "text_field": config.text_field,
        "html_field": config.html_field,
        "keep_labels": config.keep_labels,
        "max_record_bytes": config.max_record_bytes,
        "max_record_lines": config.max_record_lines,
        "source_names": config.source_names,
        "options": asdict(config.options),
    }
    if config.templates is not None:
        # The table itself is learned again from the inputs, the same each time.
        t = config.templates
        settings["site_template"] = {
            "url_field": config.url_field,
            "site_field": config.site_field,
            "sample": [t.max_pages, t.max_lines, t.min_pages],
        }
    return settings


class Journal:
    """The ``-o FILE`` of a JSON Lines run, kept resumable until it is complete.

    Lines go to ``FILE.partial``. ``FILE.progress.json`` holds a :class:`Mark`
    (how many records are complete, in how many bytes, and a digest of their
    input lines) and the run's settings; it is rewritten every
    ``CHECKPOINT_SECONDS`` and when the run is interrupted. :meth:`finish`
    turns the partial file into ``FILE`` (renamed, or compressed into it for
    ``.gz``/``.zst``) and removes both side files. :meth:`suspend` cuts the
    partial file back to its last complete record and saves the mark.

    Output line *k* belongs to input record *k*, so resuming is skipping the
    records the partial file holds: :meth:`skip` reads them again, checks
    that there are enough and that their digest matches, and lets the rest
    through.
    """

    def __init__(self, path: str, settings: dict[str, object]) -> None:
        from pathlib import Path  # not at import: only a JSONL run to a file keeps a journal

        self.path = Path(path)
        self.partial = Path(path + PARTIAL_SUFFIX)
        self.progress = Path(path + PROGRESS_SUFFIX)
        self.settings = settings
        import hashlib

        self.mark = Mark()
        self._hash = hashlib.sha256()
        self._stream: BinaryIO | None = None
        self._saved_at = time.monotonic()
        self.kept = Mark()  # what the partial file held when opened (for ``skip``)

    def exists(self) -> bool:
        """Whether an interrupted run left side files for this output."""
        # lexists: a dangling symlink counts, and is never written through (open_new).
        return os.path.lexists(self.partial) or os.path.lexists(self.progress)

    def saved(self) -> Mark:
        """The mark in the progress file; ``ResumeError`` if it is unreadable or for another run."""
        try:
            data = json.loads(self.progress.read_bytes())
            if data.get("format") != _PROGRESS_FORMAT:
                raise ValueError(f"not a {_PROGRESS_FORMAT} file")
            mark = Mark(
                int(data["records"]), int(data["bytes"]), int(data["errors"]), str(data["digest"])
            )
            settings = data["settings"]
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise ResumeError(f"cannot read {self.progress}: {exc}") from exc
        if settings != self.settings:
            changed = sorted(
                k for k in {*settings, *self.settings} if settings.get(k) != self.settings.get(k)
            )
            raise ResumeError(
                f"{self.partial} was made by a run with other settings "
                f"({', '.join(changed)}); resume with the same inputs and options"
            )
        return mark

    def open(self, resume: bool) -> BinaryIO:
        """The partial file to append lines to: empty, or checked and cut to the saved mark."""
        if resume and self.progress.exists():
            mark = self.saved()
            _check_partial(self.partial, mark)
            stream: BinaryIO = open_new(self.partial, resume=True)  # closed by finish or suspend
            stream.truncate(mark.size)
            stream.seek(mark.size)
            self.mark = self.kept = mark
        else:
            stream = open_new(self.partial)
        self._stream = stream
        self._save()
        return stream

    def skip(self, tasks: Iterator[RecordTask]) -> Iterator[RecordTask]:
        """``tasks`` without the records the partial file held when opened, checked against it."""
        kept = self.kept
        skipped = 0
        for task in tasks:
            if skipped < kept.records:
                _feed(self._hash, task)
                skipped += 1
                if skipped == kept.records and self._hash.hexdigest() != kept.digest:
                    raise ResumeError(
                        f"the first {kept.records} input records differ from those "
                        f"{self.partial} was made from: not the input of the interrupted run"
                    )
                continue
            yield task
        if skipped < kept.records:
            raise ResumeError(
                f"the input has {skipped} records, but {self.partial} already holds "
                f"{kept.records}: not the input of the interrupted run"
            )

    def note(self, task: RecordTask, size: int, ok: bool) -> None:
        """One more complete line of ``size`` bytes, for ``task``, is in the partial file."""
        _feed(self._hash, task)
        m = self.mark
        # One assignment, so that an interruption leaves the old mark or the new one.
        self.mark = Mark(m.records + 1, m.size + size, m.errors + (not ok), self._hash.hexdigest())
        if time.monotonic() - self._saved_at >= CHECKPOINT_SECONDS:
            self._save()

    def _save(self) -> None:
        """Sync the partial file, then record the mark (never ahead of the data)."""
        mark = self.mark
        assert self._stream is not None
        self._stream.flush()
        os.fsync(self._stream.fileno())
        body = {
            "format": _PROGRESS_FORMAT,
            "records": mark.records,
            "bytes": mark.size,
            "errors": mark.errors,
            "digest": mark.digest,
            "output": str(self.path),
            "settings": self.settings,
        }
        with AtomicWriter(self.progress) as f:
            f.write(json.dumps(body, ensure_ascii=False, indent=1).encode("utf-8") + b"\n")
        self._saved_at = time.monotonic()

    def suspend(self) -> Mark:
        """After an interruption: cut the partial file to the mark and save it; the mark.

        With no complete record there is nothing worth keeping, and both
        side files go.
        """
        mark = self.mark
        if self._stream is None:
            return mark
        stream, self._stream = self._stream, None
        try:
            stream.flush()
        except OSError:
            pass  # e.g. disk full: what did reach the file is cut back below
        stream.truncate(mark.size)
        if mark.records == 0:
            stream.close()
            self.discard()
            return mark
        self._stream = stream
        self._save()
        stream.close()
        self._stream = None
        return mark

    def finish(self) -> None:
        """The run is complete: ``FILE`` appears whole, and the side files go."""
        assert self._stream is not None
        stream, self._stream = self._stream, None
        stream.flush()
        stream.truncate(self.mark.size)  # nothing past the mark (it is the whole output)
        os.fsync(stream.fileno())
        stream.close()
        if self.path.suffix in (".gz", ".zst"):
            with AtomicWriter(self.path) as out, open(self.partial, "rb") as src:
                while piece := src.read(1 << 20):
                    out.write(piece)
        else:
            os.replace(self.partial, self.path)
        self.discard()

    def discard(self) -> None:
        """Remove the side files (those that exist)."""
        for side in (self.partial, self.progress):
            try:
                side.unlink()
            except FileNotFoundError:
                pass


def _feed(digest: Any, task: RecordTask) -> None:
    """Add ``task``'s input line to a running SHA-256 over input lines (length-prefixed)."""
    if isinstance(task.raw, TooLong):
        digest.update(b"too long %d\n" % task.raw.size)
    else:
        digest.update(b"%d\n" % len(task.raw))
        digest.update(task.raw)


def _check_partial(partial: Path, mark: Mark) -> None:
    """``ResumeError`` unless ``partial`` holds ``mark.records`` whole lines in its first bytes."""
    try:
        size = partial.stat().st_size
    except OSError as exc:
        raise ResumeError(f"cannot read {partial}: {exc}") from exc
    if size < mark.size:
        raise ResumeError(
            f"{partial} has {size} bytes, fewer than the {mark.size} its progress file counts"
        )
    lines, left, last = 0, mark.size, b"\n"
    with open(partial, "rb") as f:
        while left:
            piece = f.read(min(left, 1 << 20))
            if not piece:
                break
            lines += piece.count(b"\n")
            left -= len(piece)
            last = piece[-1:]
    if lines != mark.records or last != b"\n":
        raise ResumeError(
            f"{partial} holds {lines} lines in its first {mark.size} bytes, "
            f"but its progress file counts {mark.records} records"
        )


# --------------------------------------------------------------------------- pages


@dataclass(frozen=True, slots=True)
class PageConfig:
    """How to read and render each page: ``format`` is one of ``io.FORMATS`` or ``explain``.

    ``encoding`` overrides detection; ``html`` says whether pages are HTML
    (``None``: each page by :func:`zhengwen.html.looks_like_html`);
    ``colour`` adds ANSI colours to ``explain``; ``headers`` puts
    ``==> name <==`` over each page (as ``head`` does) in ``text``,
    ``markdown`` and ``explain``. ``templates``, when set,
    holds the site templates learned in a first pass (``--site-template``;
    a page file's site is its folder, :func:`page_site`). A page of more
    than ``max_record_lines`` lines fails (:data:`MAX_RECORD_LINES`).
    """

    options: Options
    format: str = "text"
    encoding: str | None = None
    colour: bool = False
    headers: bool = False
    html: bool | None = None
    templates: SiteTemplates | None = None
    max_record_lines: int = MAX_RECORD_LINES


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


def render(
    doc: Document,
    config: PageConfig,
    decoded: Decoded,
    name: str,
    template: list[float] | None = None,
) -> str:
    """``doc`` in the format ``config`` asks for (JSON lines carry their ``template`` share)."""
    if config.format == "json":
        return format_json(doc, decoded, name, template)
    if config.format == "tsv":
        return format_tsv(doc)
    head = f"==> {name} <==\n" if config.headers else ""
    if config.format == "markdown":
        return head + format_markdown(doc)
    if config.format == "explain":
        return head + format_explain(doc, config.colour)
    return head + format_text(doc)


def process_page(config: PageConfig, item: tuple[str, bytes | None]) -> PageResult:
    """Read (unless the bytes are given), decode, extract and render one page.

    An HTML page (see ``PageConfig.html``) is decoded as HTML (byte-order
    mark, ``<meta>`` charset, detection; ``encoding`` overrides) and read
    into page text by :func:`zhengwen.html.html_to_page`; every format then
    shows the lines read from it. Never raises for bad input: unreadable
    files and failed extractions come back as a non-zero ``status`` with a
    message.
    """
    path, data = item
    name = "stdin" if path == STDIN else path
    if data is None:
        try:
            data = read_bytes(path)
        except Exception as exc:  # OSError, corrupt gzip/zstd, zstandard missing
            return PageResult(path, b"", 2, (f"{name}: cannot read: {exc}",))
    decoded, as_html = decode_page(data, config.html, config.encoding)
    # With --encoding the user has said what the bytes are; a wrong one is theirs to see.
    binary = binary_problem(decoded) if config.encoding is None else None
    if binary is not None:
        return PageResult(path, b"", 2, (f"{name}: {binary}",))
    messages: list[str] = []
    if decoded.replaced:
        messages.append(
            f"{name}: {decoded.replaced} undecodable byte sequence(s) replaced"
            f" (read as {decoded.encoding})"
        )
    shares = None
    try:
        page = html_to_page(decoded.text) if as_html else None
        text = decoded.text if page is None else page.text
        if problem := too_many_lines(text, config.max_record_lines):
            messages.append(f"{name}: {problem}")
            return PageResult(path, b"", 1, tuple(messages))
        if config.templates is not None:
            shares = config.templates.shares(page_site(path), text)
        if page is not None:
            doc = document_from_page(page, config.options, template=shares)
        else:
            doc = extract(text, config.options, html=False, template=shares)
    except Exception as exc:  # report and go on to the next page
        messages.append(f"{name}: extraction failed: {type(exc).__name__}: {exc}")
        return PageResult(path, b"", 1, tuple(messages))
    output = render(doc, config, decoded, path, shares).encode("utf-8")
    return PageResult(path, output, 0, tuple(messages))


def output_path(output_dir: str | os.PathLike[str], path: str, fmt: str) -> Path:
    """Where ``--output-dir`` puts the output for input ``path``."""
    from pathlib import Path  # not at import (8 ms of a command's start): only --output-dir

    return Path(output_dir) / f"{output_stem(path)}.{EXTENSIONS[fmt]}"


def page_failure(config: PageConfig, item: tuple[str, bytes | None], problem: str) -> PageResult:
    """The result for a page whose worker timed out or died on it."""
    path = item[0]
    name = "stdin" if path == STDIN else path
    return PageResult(path, b"", 1, (f"{name}: {problem}",))


def run_pages(
    paths: list[str],
    config: PageConfig,
    jobs: int,
    stats: Stats,
    out: BinaryIO | None = None,
    output_dir: str | None = None,
    progress: bool = False,
    warn: Callable[[str], None] | None = None,
    timeout: float | None = RECORD_TIMEOUT,
) -> int:
    """Process page files in order; write to ``out``, or one file each in ``output_dir``.

    With one job, one page, or a run that reads stdin (``-``), pages are
    processed in this process (a worker would cost more to start than the
    page: ``zhengwen page.txt`` is a command line tool's whole run); otherwise
    in up to ``jobs`` workers, where a page taking longer than ``timeout``
    seconds, or killing its worker, fails alone.
    Files in ``output_dir`` are written atomically; a page that fails gets no
    file. ``warn`` receives each message for stderr. Returns the worst page
    status (0, 1 or 2).
    """
    chunks: list[list[tuple[str, bytes | None]]] = [[(p, None)] for p in paths]
    # Stdin can only be read by this process, so a run that includes it stays here.
    workers = 0 if STDIN in paths or jobs <= 1 or len(chunks) <= 1 else min(jobs, len(chunks))
    status = 0
    bar = _Progress(progress, "page", total=len(paths))
    results = parallel_map(
        process_page,
        config,
        chunks,
        workers,
        page_failure,
        prepare=warm_up,
        timeout=timeout,
        in_flight=workers * 2,
    )
    try:
        for _, result in results:
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
        results.close()
        bar.close()
    return status


# --------------------------------------------------------------------------- WARC / WET


@dataclass(frozen=True, slots=True)
class ArchiveConfig:
    """How to read WARC/WET files and turn each page record into its output line.

    ``lang`` (ISO 639-3, e.g. ``zho``) keeps only the pages in that language
    (see :mod:`zhengwen.warc`); ``keep_labels`` adds ``lines``;
    ``source_names`` adds ``file`` to error lines (set when there are
    several inputs). ``templates``, when set, holds the site templates
    learned in a first pass (``--site-template``; a record's site is the
    host of its ``WARC-Target-URI``). A page of more than
    ``max_record_lines`` lines is an error line (:data:`MAX_RECORD_LINES`), and
    so is a record whose payload is over ``max_record_bytes``, as stored or
    once decompressed (:data:`zhengwen.io.MAX_RECORD_BYTES`).
    """

    options: Options
    lang: str | None = None
    keep_labels: bool = False
    source_names: bool = False
    templates: SiteTemplates | None = None
    max_record_lines: int = MAX_RECORD_LINES
    max_record_bytes: int = MAX_RECORD_BYTES


@dataclass(frozen=True, slots=True)
class ArchiveTask:
    """One page record of ``source`` (its payload dropped), or where ``source`` broke off.

    Exactly one of ``record`` and ``broken`` is set; ``broken`` is the
    error line's fields (:func:`zhengwen.warc.broken_archive_row`).
    """

    source: str
    record: PageRecord | None
    broken: dict[str, object] | None = None
    read_to: int = 0  # bytes of ``source`` read once the record was (0 for stdin): the progress bar


def _archive_task_size(task: ArchiveTask) -> int:
    # About the pickled size: the HTML still to be read, or the text (CJK is 3
    # bytes a character in UTF-8, and a WET record's text is pickled once).
    return 0 if task.record is None else len(task.record.payload) + 3 * len(task.record.text)


SKIPPED_BY_SCRIPT = b""
"""A worker's output for a record that its language check drops (no line is written)."""


def read_archives(
    inputs: list[str],
    lang: str | None,
    skipped: Counter[str],
    problems: list[str],
    max_bytes: int = MAX_RECORD_BYTES,
) -> Iterator[ArchiveTask]:
    """The page records of every WARC/WET input (``-``: stdin), in order, as tasks.

    Records that are no page, or not in ``lang``, are counted in ``skipped``
    by reason. A file that cannot be opened is a problem (appended to
    ``problems``); a file that breaks off, or stops being WARC, gives a last
    task with ``broken`` after its readable records. A record whose payload is
    over ``max_bytes``, as stored or once decompressed, is a record with
    ``error``. Never raises for input.
    """
    from zhengwen.warc import ArchiveReader, broken_archive_row

    for source in inputs:
        name = "stdin" if source == STDIN else source
        try:
            stream: BinaryIO = sys.stdin.buffer if source == STDIN else open(source, "rb")
        except OSError as exc:
            problems.append(f"{name}: cannot read: {exc}")
            continue
        # HTML is read into lines in the workers (parse_deferred), where the
        # record timeout holds: a page that makes the parser slow costs its
        # record, not the run.
        reader = ArchiveReader(stream, lang, parse_html=False, max_bytes=max_bytes)
        seen = 0
        at = stream.tell if source != STDIN and stream.seekable() else lambda: 0
        try:
            for record in reader:
                seen += 1
                if record.page is not None or record.text or record.error is not None:
                    # The payload is not needed past reading: keep it out of the pickles.
                    record = dataclasses.replace(record, payload=b"")
                yield ArchiveTask(source, record, read_to=at())
        except Exception as exc:  # OSError for a broken file; anything else is reported too
            yield ArchiveTask(source, None, broken_archive_row(seen, exc), read_to=at())
        finally:
            skipped.update(reader.skipped)
            if source != STDIN:
                stream.close()


def process_archive_record(config: ArchiveConfig, task: ArchiveTask) -> tuple[bytes, bool]:
    """One page record in, its output line out (:func:`zhengwen.warc.record_row`), and success.

    Never raises; a record that cannot be read or extracted, and the break of
    a broken file, give a line with ``error``.
    """
    from zhengwen.warc import parse_deferred, record_row

    record = task.record
    if record is not None:
        record = parse_deferred(record, config.lang)
        if record is None:
            return SKIPPED_BY_SCRIPT, True
        if record.error is None and (
            problem := too_many_lines(record.text, config.max_record_lines)
        ):
            record = dataclasses.replace(record, page=None, text="", error=problem)
    if record is None:
        row = dict(task.broken or {})
    else:
        shares = None
        if config.templates is not None and record.error is None:
            from zhengwen.site import site_of

            shares = config.templates.shares(site_of(record.url), record.text)
        row = record_row(record, config.options, with_lines=config.keep_labels, template=shares)
    ok = "error" not in row
    if not ok and config.source_names:
        row["file"] = task.source
    return dump_json_line(row), ok


def archive_failure(config: ArchiveConfig, task: ArchiveTask, problem: str) -> tuple[bytes, bool]:
    """The error line for a page record whose worker timed out or died on it."""
    record = task.record
    row: dict[str, object] = {
        "url": record.url if record is not None else None,
        "warc_record_id": record.record_id if record is not None else None,
        "warc_date": record.date if record is not None else None,
        "error": problem,
    }
    if config.source_names:
        row["file"] = task.source
    return dump_json_line(row), False


def run_archives(
    inputs: list[str],
    out: BinaryIO,
    config: ArchiveConfig,
    jobs: int,
    stats: Stats,
    progress: bool = False,
    timeout: float | None = RECORD_TIMEOUT,
    warn: Callable[[str], None] | None = None,
) -> None:
    """Extract every page record of the WARC/WET ``inputs``; one JSON line each to ``out``.

    The archives are read in this process; reading each HTML record into
    lines (and the script check of ``lang`` that needs them) and extraction,
    the costly parts, run in ``jobs`` worker processes (``0``: here), with
    ``timeout`` per record as in :func:`run_jsonl`. ``stats`` counts the lines written and, in
    ``skipped``, the records passed over; ``warn`` hears of broken files.
    """
    tasks = read_archives(
        inputs, config.lang, stats.skipped, stats.problems, config.max_record_bytes
    )
    results = _without_skipped(
        stats,
        parallel_map(
            process_archive_record,
            config,
            chunked(tasks, _archive_task_size),
            jobs,
            archive_failure,
            prepare=warm_up,
            timeout=timeout,
        ),
    )

    def note(task: ArchiveTask, line: bytes, ok: bool) -> None:
        if task.broken is not None and warn is not None:
            name = "stdin" if task.source == STDIN else task.source
            warn(f"{name}: {task.broken['error']}")

    write_lines(results, out, stats, progress, note, file_bytes(inputs), _archive_read())


def file_bytes(inputs: list[str]) -> int | None:
    """The bytes of ``inputs`` as stored (compressed or not), when all are regular files."""
    if any(path == STDIN or not os.path.isfile(path) for path in inputs):
        return None
    try:
        return sum(os.path.getsize(path) for path in inputs)
    except OSError:
        return None


def _archive_read() -> Callable[[ArchiveTask], int]:
    """The progress bar's step for each archive task written: the bytes of its file
    read since the last task of that file (records passed over count with the next)."""
    done: dict[str, int] = {}

    def step(task: ArchiveTask) -> int:
        before = done.get(task.source, 0)
        done[task.source] = max(before, task.read_to)
        return done[task.source] - before

    return step


def _without_skipped(
    stats: Stats, results: Generator[tuple[T, tuple[bytes, bool]], None, None]
) -> Generator[tuple[T, tuple[bytes, bool]], None, None]:
    """``results`` less the records the workers' language check dropped, counted in ``stats``."""
    try:
        for task, (line, ok) in results:
            if line == SKIPPED_BY_SCRIPT:
                stats.skipped["lang_cjk_check"] += 1
                continue
            yield task, (line, ok)
    finally:
        results.close()


# --------------------------------------------------------------------------- site templates


@dataclass(frozen=True, slots=True)
class SiteSummary:
    """What the first pass of a ``--site-template`` run learned, for the stderr summary.

    ``sites`` site keys were seen; ``templated`` of them have more than
    ``min_pages`` pages, so each of their pages has at least ``min_pages``
    others to be compared with (the rest get no template); ``unkeyed`` pages
    had no site key.
    """

    sites: int
    templated: int
    min_pages: int
    unkeyed: int

    def __str__(self) -> str:
        line = (
            f"site template for {self.templated} of {self.sites} site"
            f"{'' if self.sites == 1 else 's'} (those with more than {self.min_pages} pages)"
        )
        if self.unkeyed:
            line += f", {self.unkeyed} page{'' if self.unkeyed == 1 else 's'} without a site"
        return line


def site_summary(templates: SiteTemplates, unkeyed: int) -> SiteSummary:
    """The :class:`SiteSummary` of a learned table."""
    sites = list(templates.sites())
    templated = sum(templates.pages(site) > templates.min_pages for site in sites)
    return SiteSummary(len(sites), templated, templates.min_pages, unkeyed)


def record_site(
    record: dict[str, Any], url_field: str = URL_FIELD, site_field: str | None = None
) -> str | None:
    """A JSONL record's site key: ``site_field``'s value verbatim when given, else
    the host of the URL in ``url_field`` (:func:`zhengwen.site.site_of`);
    ``None`` when the field is missing, not a string, or empty."""
    if site_field is not None:
        value = record.get(site_field)
        return value if isinstance(value, str) and value else None
    from zhengwen.site import site_of

    url = record.get(url_field)
    return site_of(url) if isinstance(url, str) else None


def page_site(path: str) -> str:
    """A page file's site key: the absolute path of the folder it is in."""
    return os.path.dirname(os.path.abspath(path))


def learn_records(
    inputs: list[str], config: RecordConfig, templates: SiteTemplates, progress: bool = False
) -> int:
    """First pass of a JSONL run: add each record's page to ``templates`` under its site.

    The page is what :func:`process_record` extracts: the text field, or the
    lines :func:`zhengwen.html.html_to_page` reads from the HTML field. A
    record that the second pass will turn into an error record is passed
    over (the second pass reports it). Gives the number of pages with no
    site key.
    """
    unkeyed = 0
    name = config.html_field if config.html_field is not None else config.text_field
    bar = _Progress(progress, "record", "learning site templates")
    try:
        for task in read_records(inputs, config.max_record_bytes, []):
            bar.update(1)
            if isinstance(task.raw, TooLong):
                continue
            try:
                record = load_json(task.raw)
                if not isinstance(record, dict) or not isinstance(record.get(name), str):
                    continue
                site = record_site(record, config.url_field, config.site_field)
                if site is None:
                    unkeyed += 1
                    continue
                text = record[name]
                if config.html_field is not None:
                    text = html_to_page(text).text
                templates.add(site, text)
            except Exception:  # a broken record: the second pass gives its error record
                continue
    finally:
        bar.close()
    return unkeyed


def learn_archives(
    inputs: list[str],
    lang: str | None,
    templates: SiteTemplates,
    progress: bool = False,
    max_bytes: int = MAX_RECORD_BYTES,
) -> int:
    """First pass of a WARC/WET run: add each page record's text to ``templates``.

    The site is the host of the record's URL; the text is the lines the
    extractor reads (an HTML response's ``html_to_page`` lines, a WET
    record's text). Gives the number of pages with no site key.
    """
    from zhengwen.site import site_of
    from zhengwen.warc import parse_deferred

    unkeyed = 0
    bar = _Progress(progress, "page", "learning site templates")
    try:
        for task in read_archives(inputs, lang, Counter(), [], max_bytes):
            # HTML read here, in this process (no time limit in the learning pass).
            record = None if task.record is None else parse_deferred(task.record, lang)
            if record is None or record.error is not None:
                continue
            bar.update(1)
            site = site_of(record.url)
            if site is None:
                unkeyed += 1
                continue
            templates.add(site, record.text)
    finally:
        bar.close()
    return unkeyed


def learn_pages(
    paths: list[str], config: PageConfig, templates: SiteTemplates, progress: bool = False
) -> int:
    """First pass of a run over page files: add each page to ``templates`` under its folder.

    Pages are read and decoded as :func:`process_page` reads them (HTML
    into its ``html_to_page`` lines). An unreadable file is passed over (the
    second pass reports it). Gives 0: every page file has a site key.
    """
    bar = _Progress(progress, "page", "learning site templates")
    try:
        for path in paths:
            bar.update(1)
            try:
                decoded, as_html = decode_page(read_bytes(path), config.html, config.encoding)
                text = html_to_page(decoded.text).text if as_html else decoded.text
                templates.add(page_site(path), text)
            except Exception:  # unreadable: the second pass says so
                continue
    finally:
        bar.close()
    return 0
