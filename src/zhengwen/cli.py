"""The ``zhengwen`` command: argparse → Options → extract → io, and nothing else.

Pages (files, folders or stdin; page text or HTML) are printed as body
text, JSON, TSV, Markdown or an ``--explain`` view; ``--jsonl`` runs a JSON
Lines batch on all cores, and ``--warc`` one over the pages of WARC/WET
files. ``--site-template`` makes any of them two passes: learn each site's
template, then extract with it. The work itself is in :mod:`zhengwen.batch`
and :mod:`zhengwen.io`.

Exit status:

* 0: every page or record succeeded.
* 1: some pages or records failed. For JSONL, their output lines carry
  ``error`` and ``line``; the messages are also on stderr. For WARC/WET,
  a page record that fails, or a file that breaks off, gives a line with
  ``error``.
* 2: usage or input error: a bad option, a missing or unreadable file, a
  file that is binary data (a NUL byte, or mostly undecodable), an unknown
  encoding, an output that cannot be written.
* 130 (SIGINT, Ctrl-C) or 143 (SIGTERM): interrupted. ``-o FILE`` is never
  left truncated: it appears only when a run is complete. A JSONL run keeps
  the records done so far in ``FILE.partial`` (with ``FILE.progress.json``)
  for ``--resume``; a page run writes nothing. ``--output-dir`` keeps the
  complete files written so far.
* 141: stdout was closed early (``zhengwen --jsonl big.jsonl | head``); the
  run stops quietly.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import fields

from zhengwen import __version__
from zhengwen.batch import (
    MAX_RECORD_BYTES,
    MAX_RECORD_LINES,
    PARTIAL_SUFFIX,
    PROGRESS_SUFFIX,
    RECORD_TIMEOUT,
    TEXT_FIELD,
    URL_FIELD,
    ArchiveConfig,
    Journal,
    PageConfig,
    RecordConfig,
    ResumeError,
    Stats,
    available_cpus,
    learn_archives,
    learn_pages,
    learn_records,
    output_path,
    run_archives,
    run_jsonl,
    run_pages,
    run_settings,
    site_summary,
)
from zhengwen.html import SNIFF_CHARS
from zhengwen.io import (
    FORMATS,
    STDIN,
    AtomicWriter,
    check_encoding,
    expand_inputs,
    input_at,
    input_identities,
)
from zhengwen.options import Options

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (6 ms of start-up)
if TYPE_CHECKING:
    from typing import Any, BinaryIO, NoReturn

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_SIGINT = 128 + signal.SIGINT
EXIT_SIGTERM = 128 + signal.SIGTERM
EXIT_SIGPIPE = 141  # 128 + SIGPIPE, what a shell reports for a killed writer

PROG = "zhengwen"

HEADED_FORMATS = ("text", "markdown", "explain")
"""Formats in which several pages in one output are told apart by a ``==> FILE <==`` line."""

EPILOG = """\
examples:
  zhengwen page.txt                       print the article body of one page
  cat page.txt | zhengwen                 the same, as a filter
  zhengwen page.html                      the same from the page's HTML (found by
                                          its tags; --html/--no-html decide)
  zhengwen a.txt b.txt                    several pages: each body under a
                                          "==> a.txt <==" header (as head does)
  zhengwen --format json page.txt         title, date, source, authors, body, labels
  zhengwen --explain page.txt             every line with its label and reason
  zhengwen --explain --color always page.txt | less -R
                                          the same in a pager, colours kept
  zhengwen --encoding big5 old-page.txt   skip detection
  zhengwen --format tsv --output-dir pred/ pages/
                                          one pred/<stem>.tsv per page, ready for
                                          shared/eval/score.py GOLD pred/
  zhengwen --jsonl crawl.jsonl.gz -o out.jsonl
                                          batch on all cores: each record gets
                                          title, date, source, authors, editors, body
  zcat crawl.jsonl.gz | zhengwen --jsonl --text-field content -j 8 > out.jsonl
  zhengwen --jsonl crawl.jsonl.gz -o out.jsonl --resume
                                          go on after an interrupted run (Ctrl-C,
                                          SIGTERM): the records already in
                                          out.jsonl.partial are kept
  zhengwen --jsonl --html-field html pages.jsonl > out.jsonl
                                          records carrying raw HTML
  zhengwen --warc CC-MAIN-...warc.gz --lang zho -o out.jsonl
                                          one JSON line per Chinese page record
                                          (url, warc_record_id, warc_date, body...)
  zhengwen --jsonl --site-template crawl.jsonl.gz -o out.jsonl
                                          learn each host's template (lines most
                                          of its pages share) first, then extract

exit status:
  0    every page or record succeeded
  1    some pages or records failed (JSONL: error records, each with
       "error" and "line"; N input lines always give N output lines; a record
       that times out or crashes its worker is an error record too; WARC/WET:
       a page record that fails, or a file that breaks off, gives a line
       with "error")
  2    usage or input error (bad option, missing or unreadable file, a file
       that is binary data, not a page, unknown encoding, an -o folder that
       does not exist, a --resume that does not match the interrupted run)
  130  interrupted by Ctrl-C, 143 by SIGTERM: an -o file is never left
       half-written (JSONL keeps FILE.partial for --resume)
  141  stdout closed early (e.g. piped into head)
"""


class _Terminated(BaseException):
    """SIGTERM, raised in the main thread so that cleanup runs as for Ctrl-C."""


@contextmanager
def _sigterm_raises() -> Iterator[None]:
    """While active, SIGTERM raises :class:`_Terminated` instead of killing at once.

    Only the main thread can set signal handlers; elsewhere (an embedding
    application's thread) the default is left alone.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: object) -> NoReturn:
        raise _Terminated

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@contextmanager
def _signals_ignored() -> Iterator[None]:
    """While active, SIGINT and SIGTERM are ignored: a second Ctrl-C must not
    cut short the saving of the work done (it takes a moment)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {sig: signal.signal(sig, signal.SIG_IGN) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _seconds(text: str) -> float:
    value = float(text)
    if not value >= 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a number of seconds >= 0, got {text}")
    return value


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


MAX_JOBS = 1024
"""The most worker processes ``-j`` takes. All of them start at once; each
holds the models (about 50 MB), and the work is CPU-bound, so more workers
than CPUs only cost memory. ``-j 10**23`` tried to start them all and hung."""


def _jobs(text: str) -> int:
    value = _positive_int(text)
    if value > MAX_JOBS:
        raise argparse.ArgumentTypeError(f"must be at most {MAX_JOBS}, got {value}")
    return value


def _option_flag(group: Any, field: str, *aliases: str, **kwargs: Any) -> None:
    """Add ``--field-name`` (and ``aliases``) for the Options field ``field``.

    Its dest is the field name and its default SUPPRESS: a flag not given
    leaves no attribute, so Options keeps its own default (never a copy here).
    """
    if field not in {f.name for f in fields(Options)}:
        raise ValueError(f"Options has no field {field!r}")
    flag = "--" + field.replace("_", "-")
    group.add_argument(flag, *aliases, dest=field, default=argparse.SUPPRESS, **kwargs)


class _Parser(argparse.ArgumentParser):
    """argparse's parser, with a pointer for trafilatura's ``--json``, which is not ours."""

    def error(self, message: str) -> NoReturn:
        if "unrecognized arguments" in message and "--json" in message.split():
            message += " (--format json writes JSON; --jsonl reads JSON Lines)"
        super().error(message)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser. Extraction flags have no defaults here: Options has them."""
    defaults = Options()
    parser = _Parser(
        prog=PROG,
        # Never a prefix for a flag: `--json` must not become --jsonl.
        allow_abbrev=False,
        description="Label every line of scraped Chinese web pages and print the article "
        "body (正文) and metadata.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "files",
        nargs="*",
        metavar="FILE",
        help="page files (one text node per line, or HTML), folders of them, or - for "
        "stdin (the default); gzip/zstd input is undone. With --jsonl: JSON Lines "
        "files; with --warc: WARC/WET files",
    )
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")

    out = parser.add_argument_group("output")
    out.add_argument(
        "-f",
        "--format",
        "--output-format",
        dest="format",
        choices=FORMATS,
        help="text: the body (default); json: one object per page with metadata, "
        "encoding and per-line labels; tsv: LABEL<TAB>TEXT per input line; "
        "markdown: title as '# ' heading over the body. With several page files, "
        "text and markdown put a '==> FILE <==' line over each page, as head does",
    )
    out.add_argument(
        "--explain",
        action="store_true",
        help="show every line with its label, score and reason, coloured by label on a "
        "terminal; through a pager, keep the colours with --color always "
        "(zhengwen --explain --color always page.txt | less -R)",
    )
    out.add_argument(
        "--color",
        choices=("auto", "always", "never"),
        default="auto",
        help="colour --explain output: auto (default) when stdout is a terminal "
        "and NO_COLOR is unset",
    )
    where = out.add_mutually_exclusive_group()
    where.add_argument(
        "-o",
        "--output",
        metavar="FILE",
        help="write to FILE (atomically: complete or absent; .gz/.zst compress) instead of "
        "stdout. Not trafilatura's -o (an output format there)",
    )
    where.add_argument(
        "--output-dir",
        metavar="DIR",
        help="write one DIR/<stem>.<txt|json|tsv|md> per input page",
    )

    inp = parser.add_argument_group("input")
    inp.add_argument(
        "--encoding",
        metavar="NAME",
        help="decode pages with this codec instead of detecting (e.g. gb18030, big5); "
        "HTML too, instead of its <meta> charset",
    )
    inp.add_argument(
        "--html",
        action=argparse.BooleanOptionalAction,
        help="read page files as HTML (--html) or as page text (--no-html); default: "
        f"HTML when a tag such as <html>, <body>, <div> or <p> is in the first {SNIFF_CHARS} "
        "characters. HTML is read into one line per text node (scripts, styles dropped). "
        "Not trafilatura's --html (HTML output there)",
    )

    batch = parser.add_argument_group("batch (JSON Lines)")
    batch.add_argument(
        "--jsonl",
        action="store_true",
        help="inputs are JSON Lines; write one JSON line per input line, "
        "input fields kept and extracted fields added",
    )
    batch.add_argument(
        "--text-field",
        default=TEXT_FIELD,
        metavar="NAME",
        help=f"field holding the page text (default: {TEXT_FIELD})",
    )
    batch.add_argument(
        "--html-field",
        metavar="NAME",
        help="read each record's page from this field as raw HTML (e.g. html) instead of "
        "the text field; a record without it is an error record",
    )
    batch.add_argument(
        "--keep-labels",
        action="store_true",
        help="add every line's label, score and reason (field 'lines'; --jsonl, --warc)",
    )
    batch.add_argument(
        "--max-record-bytes",
        type=_positive_int,
        default=MAX_RECORD_BYTES,
        metavar="N",
        help="JSONL lines, and WARC payloads as stored or decompressed, over N bytes become "
        f"error records (default: {MAX_RECORD_BYTES})",
    )
    batch.add_argument(
        "--max-record-lines",
        type=_positive_int,
        default=MAX_RECORD_LINES,
        metavar="N",
        help="a page (record or file) of more lines is an error, not extracted: memory grows "
        f"with lines, 2 to 3.5 KB each (default: {MAX_RECORD_LINES}, under 1 GB a worker)",
    )
    batch.add_argument(
        "--record-timeout",
        type=_seconds,
        default=RECORD_TIMEOUT,
        metavar="SECONDS",
        help="a record (or page, in a run with workers) taking longer becomes an error "
        f"and its worker is replaced; 0 = no limit (default: {RECORD_TIMEOUT:g})",
    )
    batch.add_argument(
        "--resume",
        action="store_true",
        help="with --jsonl -o FILE: go on after an interrupted run, keeping the records "
        "in FILE.partial (checked against the input)",
    )
    batch.add_argument(
        "-j",
        "--jobs",
        type=_jobs,
        metavar="N",
        help=f"worker processes (default: all {available_cpus()} usable CPUs); "
        "page files with -j 1 are processed in this process",
    )
    batch.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        help="progress bar on stderr (default: for --jsonl, --warc and --output-dir runs "
        "when stderr is a terminal)",
    )
    batch.add_argument("-q", "--quiet", action="store_true", help="no summary line on stderr")

    site = parser.add_argument_group("site templates")
    site.add_argument(
        "--site-template",
        action="store_true",
        help="read the inputs twice: first learn each site's template (how many of its "
        "pages share each line; a bounded sample of pages per site), then extract, a line "
        "on most of its site's other pages counting as evidence against body. The site is "
        "the host of a --jsonl record's URL field or of a --warc record's URL, and a page "
        "file's folder. Not for stdin",
    )
    site.add_argument(
        "--url-field",
        metavar="NAME",
        help=f"with --jsonl --site-template: the field holding each record's URL, whose "
        f"host is its site (default: {URL_FIELD})",
    )
    site.add_argument(
        "--site-key",
        metavar="NAME",
        help="with --jsonl --site-template: the field whose value (a string) is each "
        "record's site, as it is, instead of the URL's host",
    )

    arc = parser.add_argument_group("archives (WARC/WET)")
    arc.add_argument(
        "--warc",
        action="store_true",
        help="inputs are WARC or WET files (plain or gzip; pip install 'zhengwen[warc]'): "
        "HTML responses and WET conversion records are pages; write one JSON line per "
        "page, with url, warc_record_id, warc_date and the extracted fields (or error). "
        "Files are read in this process, pages extracted in -j workers",
    )
    arc.add_argument(
        "--lang",
        metavar="CODE",
        help="with --warc: keep only pages in this language (ISO 639-3, e.g. zho): by "
        "the record's WARC-Identified-Content-Language, else, for Chinese, by its script",
    )

    ext = parser.add_argument_group("extraction (fields of zhengwen.Options)")
    favor = ext.add_mutually_exclusive_group()
    shift = defaults.precision_shift
    _option_flag(
        favor,
        "favor_precision",
        "--precision",
        action="store_true",
        help=f"keep less boilerplate, lose some body (threshold +{shift})",
    )
    _option_flag(
        favor,
        "favor_recall",
        "--recall",
        action="store_true",
        help=f"keep more body, let some boilerplate in (threshold -{shift})",
    )
    _option_flag(
        ext,
        "body_threshold",
        type=float,
        metavar="P",
        help=f"body probability (0..1) a line needs (default: {defaults.body_threshold})",
    )
    _option_flag(
        ext,
        "max_line_chars",
        type=int,
        metavar="N",
        help=f"characters of a line looked at for features (default: {defaults.max_line_chars})",
    )
    return parser


def options_from(args: argparse.Namespace) -> Options:
    """Options with exactly the extraction flags that were given applied.

    Raises ``ValueError``/``TypeError`` (from Options) for invalid values.
    """
    given = {f.name: getattr(args, f.name) for f in fields(Options) if hasattr(args, f.name)}
    return Options().override(**given)


def _warn(message: str) -> None:
    print(f"{PROG}: {message}", file=sys.stderr, flush=True)


def _check_args(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """Reject combinations that make no sense (argparse's exit 2)."""
    if args.explain and args.format is not None:
        parser.error("--explain and --format exclude each other")
    if args.html_field is not None and not args.jsonl:
        parser.error("--html-field is for --jsonl runs")
    if args.lang is not None and not args.warc:
        parser.error("--lang is for --warc runs")
    _check_site_args(parser, args)
    if args.warc:
        _check_warc_args(parser, args)
    elif args.jsonl:
        if args.format not in (None, "json") or args.explain:
            parser.error("--jsonl always writes JSON Lines; drop --format/--explain")
        if args.output_dir is not None:
            parser.error("--output-dir is for page files; with --jsonl use -o FILE")
        if args.encoding is not None:
            parser.error("JSON Lines input is UTF-8; --encoding is for page files")
        if args.resume and args.output in (None, STDIN):
            parser.error("--resume needs -o FILE (the output of the interrupted run)")
        if args.html is not None:
            parser.error("--html/--no-html are for page files; with --jsonl use --html-field")
    if args.resume and not args.jsonl:
        parser.error("--resume is for --jsonl runs")
    if args.encoding is not None:
        try:
            check_encoding(args.encoding)
        except LookupError:
            parser.error(f"unknown encoding: {args.encoding}")


def _check_site_args(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """Reject what --site-template cannot do (argparse's exit 2)."""
    for flag, value in (("--url-field", args.url_field), ("--site-key", args.site_key)):
        if value is not None and not (args.jsonl and args.site_template):
            parser.error(f"{flag} is for --jsonl --site-template runs")
    if args.url_field is not None and args.site_key is not None:
        parser.error("--url-field and --site-key exclude each other")
    if args.site_template and (not args.files or STDIN in args.files):
        parser.error(
            "--site-template reads its inputs twice (learn the templates, then extract), "
            "and stdin cannot be read again: give the input as files"
        )


def _check_warc_args(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """Reject what a --warc run cannot do (argparse's exit 2)."""
    import importlib.util

    from zhengwen.warc import check_lang

    if args.jsonl:
        parser.error("--warc and --jsonl exclude each other")
    if args.format not in (None, "json") or args.explain:
        parser.error("--warc always writes JSON Lines; drop --format/--explain")
    if args.output_dir is not None:
        parser.error("--output-dir is for page files; with --warc use -o FILE")
    if args.encoding is not None:
        parser.error("--warc reads each record's charset from its headers; drop --encoding")
    if args.html is not None:
        parser.error("--warc finds HTML by the records' content type; drop --html/--no-html")
    try:
        check_lang(args.lang)
    except ValueError as exc:
        parser.error(str(exc))
    if importlib.util.find_spec("fastwarc") is None:
        parser.error("--warc needs fastwarc: pip install 'zhengwen[warc]'")


def _output(path: str | None) -> AtomicWriter | nullcontext[BinaryIO]:
    """Where the single output stream goes: an atomic file, or stdout."""
    if path is None or path == STDIN:
        return nullcontext(sys.stdout.buffer)
    return AtomicWriter(path)


def main(argv: list[str] | None = None) -> int:
    """Run the command line with ``argv`` (default ``sys.argv[1:]``); the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    _check_args(parser, args)
    try:
        options = options_from(args)
    except (ValueError, TypeError) as exc:
        parser.error(str(exc))

    if not args.files and sys.stdin is not None and sys.stdin.isatty():
        parser.error("no input: give FILE arguments or pipe a page into stdin")
    if args.output not in (None, STDIN):
        folder = os.path.dirname(args.output) or os.curdir
        if not os.path.isdir(folder):
            _warn(f"cannot write {args.output}: no folder {folder}")
            return EXIT_USAGE
    inputs = expand_inputs(args.files)
    for path in inputs:
        if path != STDIN and not os.path.isfile(path):
            reason = "no such file" if not os.path.exists(path) else "not a file"
            _warn(f"cannot read {path}: {reason}")
            return EXIT_USAGE
    if not inputs:
        _warn("no input files found in " + ", ".join(args.files))
        return EXIT_USAGE
    clash = _output_over_input(args, inputs)
    if clash is not None:
        _warn(clash)
        return EXIT_USAGE

    # By default a bar only for batch runs: over a page printed to the terminal it is noise.
    batch_run = args.jsonl or args.warc or args.output_dir is not None
    progress = (batch_run and sys.stderr.isatty()) if args.progress is None else args.progress
    jobs = args.jobs or available_cpus()
    stats = Stats(noun="record" if args.jsonl else "page")
    try:
        with _sigterm_raises():
            if args.jsonl:
                return _main_jsonl(args, options, inputs, jobs, progress, stats)
            if args.warc:
                return _main_warc(args, options, inputs, jobs, progress, stats)
            return _main_pages(args, options, inputs, jobs, progress, stats)
    except (KeyboardInterrupt, _Terminated) as exc:
        kept = f"{args.output} not written" if args.output not in (None, STDIN) else ""
        return _interrupted(exc, stats, kept)
    except BrokenPipeError:
        # The reader went away (`zhengwen --jsonl big | head`): stop quietly, and
        # point stdout at /dev/null so that the interpreter's final flush does not
        # raise again.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_SIGPIPE
    except OSError as exc:
        _warn(f"cannot write output: {exc}")
        return EXIT_USAGE


def _output_over_input(args: argparse.Namespace, inputs: list[str]) -> str | None:
    """Why the run would write over one of its inputs (compared by inode), or ``None``."""
    identities = input_identities(inputs)
    targets: list[str] = []
    if args.output not in (None, STDIN):
        targets.append(args.output)
        if args.jsonl:
            targets += [args.output + PARTIAL_SUFFIX, args.output + PROGRESS_SUFFIX]
    if args.output_dir is not None:
        fmt = "explain" if args.explain else (args.format or "text")
        targets += [str(output_path(args.output_dir, path, fmt)) for path in inputs]
    for target in targets:
        source = input_at(target, identities)
        if source is not None:
            return f"refusing to write {target}: it is the input {source}"
    return None


def _main_jsonl(
    args: argparse.Namespace,
    options: Options,
    inputs: list[str],
    jobs: int,
    progress: bool,
    stats: Stats,
) -> int:
    config = RecordConfig(
        options=options,
        text_field=args.text_field,
        keep_labels=args.keep_labels,
        max_record_bytes=args.max_record_bytes,
        source_names=len(inputs) > 1,
        html_field=args.html_field,
        max_record_lines=args.max_record_lines,
    )
    if args.site_template:
        from zhengwen.site import SiteTemplates  # numpy: only with --site-template

        config = dataclasses.replace(
            config,
            templates=SiteTemplates(),
            url_field=args.url_field or URL_FIELD,
            site_field=args.site_key,
        )
    timeout = args.record_timeout or None
    if args.output in (None, STDIN):
        _learn_records(inputs, config, progress, stats)
        run_jsonl(inputs, sys.stdout.buffer, config, jobs, stats, progress, timeout)
        sys.stdout.buffer.flush()
    else:
        journal = Journal(args.output, run_settings(inputs, config))
        if journal.exists() and not args.resume:
            _warn(
                f"{journal.partial} is left from an interrupted run: add --resume to go on "
                f"from it, or delete {journal.partial} and {journal.progress} to start over"
            )
            return EXIT_USAGE
        _learn_records(inputs, config, progress, stats)
        try:
            out = journal.open(resume=args.resume)
            run_jsonl(inputs, out, config, jobs, stats, progress, timeout, journal=journal)
        except ResumeError as exc:
            with _signals_ignored():
                journal.suspend()
            _warn(f"cannot resume: {exc}")
            return EXIT_USAGE
        except BaseException as exc:
            with _signals_ignored():
                mark = journal.suspend()
            if mark.records:
                kept = f"{mark.records} records kept in {journal.partial} (--resume goes on)"
            else:
                kept = "nothing kept"
            if isinstance(exc, (KeyboardInterrupt, _Terminated)):
                return _interrupted(exc, stats, f"{args.output} not written; {kept}")
            if mark.records:
                _warn(kept)
            raise
        with _signals_ignored():  # a rename, or a copy for .gz/.zst: let it finish
            journal.finish()
    return _batch_status(args, stats)


def _learn_records(inputs: list[str], config: RecordConfig, progress: bool, stats: Stats) -> None:
    """The first pass of a --site-template JSONL run (nothing without one)."""
    if config.templates is not None:
        unkeyed = learn_records(inputs, config, config.templates, progress)
        stats.sites = site_summary(config.templates, unkeyed)


def _main_warc(
    args: argparse.Namespace,
    options: Options,
    inputs: list[str],
    jobs: int,
    progress: bool,
    stats: Stats,
) -> int:
    config = ArchiveConfig(
        options=options,
        lang=args.lang,
        keep_labels=args.keep_labels,
        source_names=len(inputs) > 1,
        max_record_lines=args.max_record_lines,
        max_record_bytes=args.max_record_bytes,
    )
    if args.site_template:
        from zhengwen.site import SiteTemplates  # numpy: only with --site-template

        templates = SiteTemplates()
        unkeyed = learn_archives(inputs, args.lang, templates, progress, args.max_record_bytes)
        stats.sites = site_summary(templates, unkeyed)
        config = dataclasses.replace(config, templates=templates)
    timeout = args.record_timeout or None
    with _output(args.output) as out:
        run_archives(inputs, out, config, jobs, stats, progress, timeout, warn=_warn)
        out.flush()
    return _batch_status(args, stats)


def _batch_status(args: argparse.Namespace, stats: Stats) -> int:
    """Report a finished JSONL or WARC run on stderr; its exit status."""
    for problem in stats.problems:
        _warn(problem)
    if stats.probed and stats.not_json == stats.probed:
        _warn(
            f"none of the first {stats.probed} lines is a JSON object: is this a JSON Lines "
            "file? "
            "(page files need no --jsonl)"
        )
    if not args.quiet:
        _warn(stats.summary())
    if stats.problems:
        return EXIT_USAGE
    return EXIT_FAILED if stats.errors or stats.resumed_errors else EXIT_OK


def _interrupted(exc: BaseException, stats: Stats, kept: str) -> int:
    """Say how far an interrupted run got; its exit status."""
    what = "interrupted" if isinstance(exc, KeyboardInterrupt) else "terminated"
    _warn(f"{what} after {stats.summary()}{'; ' + kept if kept else ''}")
    return EXIT_SIGINT if isinstance(exc, KeyboardInterrupt) else EXIT_SIGTERM


def _main_pages(
    args: argparse.Namespace,
    options: Options,
    inputs: list[str],
    jobs: int,
    progress: bool,
    stats: Stats,
) -> int:
    fmt = "explain" if args.explain else (args.format or "text")
    to_terminal = args.output in (None, STDIN) and args.output_dir is None
    colour = args.color == "always" or (
        args.color == "auto"
        and to_terminal
        and sys.stdout.isatty()
        and not os.environ.get("NO_COLOR")
    )
    config = PageConfig(
        options=options,
        format=fmt,
        encoding=args.encoding,
        colour=colour,
        headers=fmt in HEADED_FORMATS and len(inputs) > 1 and args.output_dir is None,
        html=args.html,
        max_record_lines=args.max_record_lines,
    )
    if args.output_dir is not None:
        seen: dict[str, str] = {}
        for path in inputs:
            target = str(output_path(args.output_dir, path, fmt))
            if target in seen:
                _warn(f"{seen[target]} and {path} would both write {target}")
                return EXIT_USAGE
            seen[target] = path
        config = _learn_pages(args, inputs, config, progress, stats)
        os.makedirs(args.output_dir, exist_ok=True)
        status = run_pages(
            inputs,
            config,
            jobs,
            stats,
            output_dir=args.output_dir,
            progress=progress,
            warn=_warn,
            timeout=args.record_timeout or None,
        )
        if not args.quiet:
            _warn(stats.summary())
        return status
    config = _learn_pages(args, inputs, config, progress, stats)
    if stats.sites is not None and not args.quiet:
        _warn(str(stats.sites))  # a run to stdout prints no summary line to hold it
    with _output(args.output) as out:
        status = run_pages(
            inputs,
            config,
            jobs,
            stats,
            out=out,
            progress=progress,
            warn=_warn,
            timeout=args.record_timeout or None,
        )
    return status


def _learn_pages(
    args: argparse.Namespace, inputs: list[str], config: PageConfig, progress: bool, stats: Stats
) -> PageConfig:
    """``config`` with the site templates of the page files when asked (--site-template)."""
    if not args.site_template:
        return config
    from zhengwen.site import SiteTemplates  # numpy: only with --site-template

    templates = SiteTemplates()
    stats.sites = site_summary(templates, learn_pages(inputs, config, templates, progress))
    return dataclasses.replace(config, templates=templates)
