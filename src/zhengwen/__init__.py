"""zhengwen (正文): the article body, title and metadata of a scraped Chinese web page.

>>> import zhengwen
>>> doc = zhengwen.extract(page)  # page text or HTML, str or bytes
>>> doc.title, doc.date, doc.body
"""

from __future__ import annotations

from zhengwen.core import clean, extract
from zhengwen.html import extract_html, html_to_page
from zhengwen.model import Decision, Document, Label, Line
from zhengwen.options import Options

__version__ = "0.1.0"

__all__ = [
    "Decision",
    "Document",
    "Label",
    "Line",
    "Options",
    "__version__",
    "clean",
    "extract",
    "extract_html",
    "html_to_page",
]
