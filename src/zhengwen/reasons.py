"""Name the evidence behind each line's label: a short reason code a line.

The label comes from the tree ensembles; the reason names the strongest piece
of evidence that agrees with it, so ``--explain`` and the ``reasons`` counter
say *why* in terms a person can check (``section_header:为你推荐``,
``icp_pattern``, ``sentence_prose``). When no single rule stands out the code
is ``model:<label>``.
"""

from __future__ import annotations

from zhengwen import lexicon
from zhengwen.decode import PageDecision, is_code_element
from zhengwen.features import FloatArray, col, line_core
from zhengwen.lexicon import Kind
from zhengwen.model import Label
from zhengwen.normalize import has_text

_KIND_OF = {
    Label.RELATED: Kind.RELATED,
    Label.COMMENT: Kind.COMMENT,
    Label.PAGER: Kind.PAGER,
    Label.SHARE: Kind.SHARE,
    Label.NAV: Kind.NAV,
    Label.FOOTER: Kind.FOOTER,
    Label.META: Kind.META,
}
_HEADER_CODE = {Kind.RELATED: "section_header", Kind.COMMENT: "comment_header"}
PROSE_HAN = 15  # Han characters from which a punctuated line reads as prose


def _lexicon_word(text: str, kind: Kind) -> str | None:
    for word in lexicon.words(kind):
        if word in text:
            return word
    return None


def _section_word(folded: list[str], x: FloatArray, row: int | None) -> tuple[int, str] | None:
    """The line that closed the article (``decode.close_sections``) and its header word."""
    if row is None:
        return None
    for kind in (Kind.RELATED, Kind.PAGER):
        if x[row, col(f"lex_exact_{kind.value}")]:
            return row, _lexicon_word(folded[row], kind) or line_core(folded[row])
    return row, line_core(folded[row])  # a comment section header (lexicon.comment_section)


def explain(folded: list[str], page: PageDecision) -> list[str]:
    """One reason code per line, from the page's features and final labels."""
    x, labels = page.features, page.labels
    dropped = set(page.dropped)
    out: list[str] = []
    body_rows = [i for i, lab in enumerate(labels) if lab is Label.BODY]
    below = _section_word(folded, x, page.section_header)
    title = folded[page.title_rows[0]] if page.title_rows else None
    first_body = body_rows[0] if body_rows else -1
    last_body = body_rows[-1] if body_rows else -1
    for i, label in enumerate(labels):
        row = x[i]
        if not folded[i]:
            out.append("blank")
        elif not has_text(folded[i]):
            out.append("no_text")
        elif label is not Label.BODY and is_code_element(folded[i]):
            out.append("code_element")
        elif i in dropped:
            out.append("not_body_when_read_alone")
        elif label is Label.BODY:
            if row[col("han")] >= PROSE_HAN and row[col("punct_ratio")] > 0:
                out.append("sentence_prose")
            elif first_body < i < last_body:
                out.append("between_body_lines")
            else:
                out.append("model:body")
        elif label is Label.TITLE:
            out.append("headline")
        elif label is Label.FOOTER and row[col("legal")]:
            out.append("icp_pattern")
        elif label is Label.META and row[col("date_cover")] > 0.5:
            out.append("date_line")
        elif label is Label.META and lexicon.is_bare_name(folded[i]):
            out.append("byline")
        else:
            kind = _KIND_OF.get(label)
            word = None
            if kind is not None and (
                row[col(f"lex_exact_{kind.value}")] or row[col(f"lex_start_{kind.value}")]
            ):
                word = _lexicon_word(folded[i], kind)
            if kind is not None and word is not None:
                out.append(f"{_HEADER_CODE.get(kind, 'lexicon')}:{word}")
            elif title is not None and folded[i] == title:
                out.append("title_echo")
            elif below is not None and i > below[0]:
                out.append(f"below_section_header:{below[1]}")
            elif body_rows and (i < first_body or i > last_body):
                out.append(f"outside_body:{label.value}")
            else:
                out.append(f"model:{label.value}")
    return out
