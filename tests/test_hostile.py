"""Issue 25, trust under hostile input: each attack the adversarial pass found, fed back.

Time bounds are never asserted on the clock: a quadratic scan is caught by
counting the characters it may reach at size s and 10·s.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from zhengwen import html as zh_html
from zhengwen.cli import main
from zhengwen.html import html_to_page
from zhengwen.io import check_encoding

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"

# --------------------------------------------------------------------------- 3: no exceptions


@pytest.mark.parametrize("label", ["undefined", "idna", "punycode"])
def test_unusable_meta_charset_is_ignored_not_raised(label: str) -> None:
    page = html_to_page(f"<meta charset={label}><p>正文</p>".encode())
    assert page.lines == ["正文"]
    assert page.encoding == "utf-8"


@pytest.mark.parametrize("label", ["undefined", "idna", "punycode", "base64"])
def test_unusable_codec_is_refused(label: str) -> None:
    with pytest.raises(LookupError):
        check_encoding(label)


def test_encoding_option_with_unusable_codec_is_a_usage_error(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--encoding", "idna", str(FIXTURES / "seed.txt")])
    assert exit_info.value.code == 2
    assert "idna" in capsys.readouterr().err


def test_flat_reader_reads_a_rejected_declaration_as_text() -> None:
    page = html_to_page("<div>" * 3000 + "<p>正文</p><![<![")
    assert page.parser == "flat"
    assert "正文" in page.lines
