"""A site's template, learned from many of its pages.

Menus, footers and sidebars repeat on every page of a site. One page alone
cannot always tell a short menu line from a subheading; a hundred pages of
the same host can. :class:`SiteTemplates` counts, per site, on how many
pages each line occurs, and :meth:`SiteTemplates.shares` gives every line of
a page the share of the site's *other* pages that contain it. ``extract``
takes these shares as evidence (``template=``): a line seen on most of a
site's pages becomes less likely to be body, in proportion to how common it
is (see :func:`zhengwen.decode.apply_template`), never deleted blindly, so a
subheading two articles share survives.

Guarantees, for use on a corpus:

* Deterministic whatever the order of the pages or the number of workers:
  each site keeps the ``max_pages`` pages with the smallest content hashes (a
  bottom-k sample, the same for any order), and tables built by separate
  workers merge (:meth:`SiteTemplates.merge`) into the table one process
  would have built.
* Bounded memory: at most ``max_pages`` pages a site, each as at most
  ``max_lines`` 8-byte line hashes (about 1 MB a site with the defaults).
* The same page added twice counts once (pages are keyed by their content).

Use it in two passes (add every page, then extract with its shares), as the
CLI's ``--site-template`` does.
"""

from __future__ import annotations

import hashlib
import heapq
from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import numpy as np
import numpy.typing as npt

from zhengwen import _core
from zhengwen.normalize import feature_text, split_lines
from zhengwen.options import DEFAULT

MAX_PAGES = 256  # pages sampled per site (bottom-k by content hash)
MAX_LINES = 4096  # distinct lines kept per sampled page, in page order
MIN_PAGES = 5  # other pages of the site needed before shares are given

KeyArray = npt.NDArray[np.uint64]


def line_key(folded: str) -> int:
    """A stable 64-bit hash of a folded line (the same in every process and run)."""
    digest = hashlib.blake2b(folded.encode("utf-8", "surrogatepass"), digest_size=8).digest()
    return int.from_bytes(digest, "little")


def page_keys(text: str, max_lines: int = MAX_LINES) -> KeyArray:
    """The sorted distinct hashes of a page's non-empty folded lines (first ``max_lines``)."""
    keys: dict[int, None] = {}
    for line in split_lines(text):
        folded = feature_text(line, DEFAULT.max_line_chars)
        if folded:
            keys.setdefault(line_key(folded))
            if len(keys) >= max_lines:
                break
    return np.sort(np.fromiter(keys, dtype=np.uint64, count=len(keys)))


def site_of(url: str | None) -> str | None:
    """The site key of a URL: its host name, lower-cased, without a leading ``www.``."""
    if not url:
        return None
    try:
        host = urlsplit(url.strip()).hostname
    except ValueError:
        return None
    if not host:
        return None
    return host[4:] if host.startswith("www.") else host


@dataclass
class _Site:
    heap: list[tuple[int, int]] = field(default_factory=list)  # (-page hash, page hash)
    pages: dict[int, KeyArray] = field(default_factory=dict)
    counts: tuple[KeyArray, npt.NDArray[np.int64]] | None = None  # cached, reset on change


class SiteTemplates:
    """Per-site line counts over a bounded, order-independent sample of pages."""

    def __init__(
        self, max_pages: int = MAX_PAGES, max_lines: int = MAX_LINES, min_pages: int = MIN_PAGES
    ) -> None:
        if max_pages < 1 or max_lines < 1 or min_pages < 1:
            raise ValueError("max_pages, max_lines and min_pages must be positive")
        self.max_pages = max_pages
        self.max_lines = max_lines
        self.min_pages = min_pages
        self._sites: dict[str, _Site] = {}

    def add(self, site: str, text: str) -> None:
        """Count one page of ``site``."""
        keys = page_keys(text, self.max_lines)
        self._add_keys(site, _page_hash(keys), keys)

    def _add_keys(self, site: str, page: int, keys: KeyArray) -> None:
        entry = self._sites.setdefault(site, _Site())
        if page in entry.pages:
            return
        if len(entry.pages) >= self.max_pages:
            largest = entry.heap[0][1]
            if page >= largest:
                return
            heapq.heappop(entry.heap)
            del entry.pages[largest]
        heapq.heappush(entry.heap, (-page, page))
        entry.pages[page] = keys
        entry.counts = None

    def merge(self, other: SiteTemplates) -> None:
        """Add every page another table sampled (from another worker or shard)."""
        for site, entry in other._sites.items():
            for page, keys in entry.pages.items():
                self._add_keys(site, page, keys[: self.max_lines])

    def pages(self, site: str) -> int:
        """How many pages of ``site`` the sample holds."""
        entry = self._sites.get(site)
        return len(entry.pages) if entry else 0

    def sites(self) -> Iterable[str]:
        return self._sites.keys()

    def shares(self, site: str | None, text: str) -> list[float] | None:
        """Per line of ``text``: the share (0..1) of the site's other pages that contain it.

        ``None`` when the site has fewer than ``min_pages`` other pages in the
        sample (then there is no template to speak of). Empty lines get 0.
        """
        entry = self._sites.get(site) if site is not None else None
        if entry is None:
            return None
        own = page_keys(text, self.max_lines)
        self_in = _page_hash(own) in entry.pages
        others = len(entry.pages) - int(self_in)
        if others < self.min_pages:
            return None
        if entry.counts is None:
            entry.counts = np.unique(np.concatenate(list(entry.pages.values())), return_counts=True)
        uniq, counts = entry.counts
        out = []
        for folded in _core.fold_lines(split_lines(text), DEFAULT.max_line_chars):
            if not folded:
                out.append(0.0)
                continue
            key = np.uint64(line_key(folded))
            at = int(np.searchsorted(uniq, key))
            n = int(counts[at]) if at < len(uniq) and uniq[at] == key else 0
            if self_in and n and _contains(own, key):
                n -= 1
            out.append(min(1.0, n / others))
        return out


def _contains(keys: KeyArray, key: np.uint64) -> bool:
    at = int(np.searchsorted(keys, key))
    return at < len(keys) and bool(keys[at] == key)


def _page_hash(keys: KeyArray) -> int:
    """A page's identity: the hash of its sorted line hashes."""
    return int.from_bytes(hashlib.blake2b(keys.tobytes(), digest_size=8).digest(), "little")
