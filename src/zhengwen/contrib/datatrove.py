"""zhengwen as datatrove pipeline steps (``pip install 'zhengwen[datatrove]'``).

Three steps, meant to run in this order:

* :class:`ZhengwenWarcReader` reads WARC/WET files with fastwarc
  (:mod:`zhengwen.warc`): one document per page, its text the page text
  (one text node per line), with an optional language filter. It needs
  neither warcio nor the rest of ``datatrove[io]``. datatrove's own
  ``WarcReader`` (raw HTML as text) works with the extractor too.
* :class:`ZhengwenExtractor` replaces each document's text with the article
  body and puts the title, date, source, authors and editors (and, on
  request, every line with its label) into ``doc.metadata``. It reads
  ``doc.text`` as HTML or as page text (``input_format``). It never drops a
  document: one that fails keeps an empty text and an ``error`` entry.
* :class:`ZhengwenBodyFilter` drops documents whose body is empty, shorter
  than a minimum, or whose extraction failed, counting each reason in
  datatrove's stats (``dropped_empty_body``, ``dropped_short_body``,
  ``dropped_extract_timeout``...).

Metadata keys carry a prefix (``zhengwen_`` unless ``metadata_prefix`` says
otherwise) so that they never overwrite a reader's ``url`` or ``date``.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from datatrove.data import Document as DatatroveDocument
from datatrove.data import DocumentsPipeline
from datatrove.pipeline.extractors.base import BaseExtractor, ExtractorSandbox
from datatrove.pipeline.filters.base_filter import BaseFilter
from datatrove.pipeline.readers.base import BaseDiskReader
from datatrove.utils.typeshelper import StatHints

from zhengwen.options import DEFAULT, Options

InputFormat = Literal["auto", "html", "text"]
_INPUT_FORMATS = ("auto", "html", "text")

# Prefix of every metadata key these steps write.
METADATA_PREFIX = "zhengwen_"

# Seconds one document may take before the extractor gives up on it (the
# extraction runs in datatrove's sandbox process, which is then restarted).
# Generous: far above what a 1 MiB page (Common Crawl's truncation size) takes.
EXTRACT_TIMEOUT_SECONDS = 10.0

# Documents whose body has fewer non-whitespace characters than this are
# dropped by the filter as ``short_body``; the default drops empty bodies only.
MIN_BODY_CHARS = 1


class ZhengwenWarcReader(BaseDiskReader):  # type: ignore[misc]
    """Pages of WARC/WET files as documents, read by :class:`zhengwen.warc.ArchiveReader`.

    Takes a folder (any datatrove ``DataFolderLike``), an optional language
    code for :mod:`zhengwen.warc`'s filter, and ``BaseDiskReader``'s keyword
    arguments (``paths_file``, ``glob_pattern``, ``limit``...). Gives one
    document per page record: ``text`` is the page text, ``id`` the
    WARC-Record-ID; metadata has ``url``, ``date`` (the WARC-Date),
    ``content_type``, ``language`` (the record's identified languages) and,
    for HTML records, ``<prefix>html_title`` and ``<prefix>h1``, which
    :class:`ZhengwenExtractor` falls back on for the title. Records that
    were skipped or unreadable are counted in the stats (``skipped_<reason>``,
    ``record_error``, ``empty_page``).
    """

    name = "🀄 zhengwen WARC"
    _requires_dependencies: ClassVar[list[str]] = ["fastwarc"]

    def __init__(
        self,
        data_folder: Any,
        lang: str | None = None,
        metadata_prefix: str = METADATA_PREFIX,
        **reader_options: Any,
    ) -> None:
        super().__init__(data_folder, **reader_options)
        self.lang = lang
        self.metadata_prefix = metadata_prefix

    def read_file(self, filepath: str) -> DocumentsPipeline:
        from zhengwen.warc import ArchiveReader

        # fastwarc finds the compression from the stream's magic bytes.
        with self.data_folder.open(filepath, "rb", compression=None) as stream:
            reader = ArchiveReader(stream, self.lang)
            for index, record in enumerate(reader):
                with self.track_time():
                    if record.error is not None:
                        self.stat_update("record_error")
                        continue
                    data: dict[str, object] = {
                        "text": record.text,
                        "id": record.record_id or f"{filepath}/{index}",
                        "url": record.url,
                        "date": record.date,
                        "content_type": record.content_type,
                        "language": record.language,
                    }
                    if record.page is not None:
                        data[f"{self.metadata_prefix}html_title"] = record.page.title
                        data[f"{self.metadata_prefix}h1"] = record.page.h1
                    document = self.get_document_from_dict(data, filepath, index)
                if document is None:
                    self.stat_update("empty_page")
                    continue
                yield document
            for reason, count in sorted(reader.skipped.items()):
                self.stat_update(f"skipped_{reason}", value=count)


class ZhengwenExtractor(BaseExtractor):  # type: ignore[misc]
    """The article body as the document's text; title and metadata into ``doc.metadata``.

    Takes ``input_format``: ``"html"`` (``doc.text`` is a page's HTML, read
    by :func:`zhengwen.html.html_to_page`), ``"text"`` (it is already page
    text, one text node per line) or ``"auto"`` (HTML when
    :func:`zhengwen.html.looks_like_html` says so). ``store_lines`` also
    stores the page's lines and their labels (``<prefix>lines``,
    ``<prefix>labels``, lists of equal length). ``options`` and keyword
    overrides go to :func:`zhengwen.extract` (checked here, before any
    document is read).

    Gives every document on, its text replaced by the body (``""`` when
    there is none; ``empty_body`` in the stats counts bodies without a
    non-whitespace character) and ``<prefix>title``, ``date``, ``source``, ``authors``,
    ``editors`` in its metadata. When extraction fails or times out, the
    text is ``""`` and ``<prefix>error`` says why (``timeout``,
    ``broken_process`` or ``error: <message>``). Stats count ``extracted``,
    ``timeout``, ``broken_process``, ``clean_error`` and ``empty_body``.
    """

    name = "🀄 zhengwen"

    def __init__(
        self,
        input_format: InputFormat = "auto",
        store_lines: bool = False,
        timeout: float = EXTRACT_TIMEOUT_SECONDS,
        metadata_prefix: str = METADATA_PREFIX,
        options: Options | None = None,
        **overrides: Any,
    ) -> None:
        super().__init__(timeout)
        if input_format not in _INPUT_FORMATS:
            raise ValueError(f"input_format must be one of {_INPUT_FORMATS}, got {input_format!r}")
        self.input_format: InputFormat = input_format
        self.store_lines = store_lines
        self.metadata_prefix = metadata_prefix
        self.options = (options or DEFAULT).override(**overrides)

    def extract(self, text: str) -> str:
        """The article body of one document's text (datatrove's extractor interface)."""
        return str(self.fields(text)["body"])

    def fields(self, text: str, fallback_title: str | None = None) -> dict[str, object]:
        """What the extractor stores for one document: ``body``, ``title``... (JSON-ready).

        ``fallback_title`` is the title when neither the text nor its HTML gives one.
        """
        from zhengwen.core import extract
        from zhengwen.html import document_from_page, html_to_page, looks_like_html

        as_html = self.input_format == "html" or (
            self.input_format == "auto" and looks_like_html(text)
        )
        if as_html:
            doc = document_from_page(html_to_page(text), self.options)
        else:
            doc = extract(text, self.options, html=False)
        out = doc.to_dict(with_lines=False)
        if out["title"] is None:
            out["title"] = fallback_title
        if self.store_lines:
            out["lines"] = [line.text for line in doc.lines]
            out["labels"] = [line.label.value for line in doc.lines]
        return out

    def _fields_or_error(self, text: str, fallback_title: str | None = None) -> object:
        # Runs in the sandbox process: an exception raised there would kill it,
        # one returned is raised again in this process by the sandbox.
        try:
            return self.fields(text, fallback_title)
        except Exception as exc:
            return exc

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        """Extract every document of ``data`` in datatrove's sandbox process, with the timeout."""
        prefix = self.metadata_prefix
        with ExtractorSandbox(timeout=self.timeout, warmup_text="") as sandbox:
            for doc in data:
                self.stat_update(StatHints.total)
                fallback = doc.metadata.get(f"{prefix}h1") or doc.metadata.get(
                    f"{prefix}html_title"
                )
                with self.track_time():
                    try:
                        fields = sandbox.process_document(
                            (doc.text, fallback), self._fields_or_error
                        )
                    except TimeoutError:
                        self._failed(doc, "timeout", "timeout")
                    except EOFError:
                        self._failed(doc, "broken_process", "broken_process")
                    except Exception as exc:
                        self._failed(doc, "clean_error", f"error: {type(exc).__name__}: {exc}")
                    else:
                        self.stat_update("extracted")
                        doc.text = str(fields.pop("body"))
                        for key, value in fields.items():
                            doc.metadata[f"{prefix}{key}"] = value
                if doc.text.isspace() or not doc.text:
                    self.stat_update("empty_body")
                self.stat_update(StatHints.forwarded)
                self.update_doc_stats(doc)
                yield doc

    def _failed(self, doc: DatatroveDocument, stat: str, reason: str) -> None:
        self.stat_update(stat)
        doc.text = ""
        doc.metadata[f"{self.metadata_prefix}error"] = reason


class ZhengwenBodyFilter(BaseFilter):  # type: ignore[misc]
    """Drops documents without a usable body, with the reason counted.

    Takes ``min_body_chars`` (non-whitespace characters of ``doc.text``) and
    datatrove's ``exclusion_writer``. A document is dropped as
    ``extract_<kind>`` when :class:`ZhengwenExtractor` recorded an error
    (``extract_timeout``, ``extract_error``...), as ``empty_body`` when its
    text is empty, as ``short_body`` when it is shorter than the minimum.
    """

    name = "🀄 zhengwen body"

    def __init__(
        self,
        min_body_chars: int = MIN_BODY_CHARS,
        metadata_prefix: str = METADATA_PREFIX,
        exclusion_writer: Any = None,
    ) -> None:
        super().__init__(exclusion_writer)
        if min_body_chars < 0:
            raise ValueError(f"min_body_chars must be >= 0, got {min_body_chars!r}")
        self.min_body_chars = min_body_chars
        self.metadata_prefix = metadata_prefix

    def filter(self, doc: DatatroveDocument) -> bool | tuple[bool, str]:
        error = doc.metadata.get(f"{self.metadata_prefix}error")
        if error:
            return False, f"extract_{str(error).split(':', 1)[0]}"
        chars = len("".join(doc.text.split()))
        if chars == 0:
            return False, "empty_body"
        if chars < self.min_body_chars:
            return False, "short_body"
        return True
