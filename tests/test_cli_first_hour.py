"""What a new user types first: the command line's answers to it, through main(argv)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import zhengwen
from zhengwen.cli import build_parser, main

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
SEED_PATH = FIXTURES / "seed.txt"
SEED = SEED_PATH.read_text(encoding="utf-8")
ELF = b"\x7fELF\x02\x01\x01\x00" + bytes(range(256)) * 8
# No NUL byte, but hardly a character of text in any codec.
NOISE = bytes(b for b in range(0x80, 0x100) for _ in range(3))[::-1] * 4


def test_json_is_not_taken_for_jsonl(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["--json", str(SEED_PATH)])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert "unrecognized arguments: --json" in err and "--format json" in err


@pytest.mark.parametrize("prefix", ["--out", "--enc", "--expl", "--favor-p", "--form"])
def test_no_long_option_is_abbreviated(prefix: str) -> None:
    with pytest.raises(SystemExit):
        build_parser().parse_args([prefix, "x", "page.txt"])


def test_trafilatura_spellings(capsys: pytest.CaptureFixture[str]) -> None:
    parser = build_parser()
    assert parser.parse_args(["--precision"]).favor_precision is True
    assert parser.parse_args(["--recall"]).favor_recall is True
    assert parser.parse_args(["--output-format", "json"]).format == "json"
    assert main(["--output-format", "tsv", str(SEED_PATH)]) == 0
    assert len(capsys.readouterr().out.splitlines()) == len(SEED.rstrip("\n").split("\n"))


@pytest.mark.parametrize("data", [ELF, NOISE], ids=["nul", "undecodable"])
def test_binary_file_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], data: bytes
) -> None:
    binary = tmp_path / "ls"
    binary.write_bytes(data)
    assert main([str(binary)]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert f"{binary}: binary data" in err


def test_binary_file_fails_alone(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    binary = tmp_path / "ls"
    binary.write_bytes(ELF)
    assert main(["-f", "json", str(binary), str(SEED_PATH)]) == 2
    out = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [row["file"] for row in out] == [str(SEED_PATH)]


def test_binary_record_is_an_error_record(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "in.jsonl"
    rows = [{"id": 0, "text": SEED}, {"id": 1, "text": "\x00\x01ELF\x00"}, {"id": 2, "text": SEED}]
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    assert main(["--jsonl", "-q", "-j", "1", str(path)]) == 1
    out = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [row["id"] for row in out] == [0, 1, 2]  # N in, N out
    assert "binary data" in out[1]["error"] and "error" not in out[0]


@pytest.mark.parametrize("fmt", ["text", "markdown"])
def test_several_pages_are_told_apart(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], fmt: str
) -> None:
    other = tmp_path / "b.txt"
    other.write_text("\n".join(SEED.split("\n")[10:60]), encoding="utf-8")
    assert main(["-f", fmt, str(SEED_PATH), str(other)]) == 0
    out = capsys.readouterr().out
    first, _, second = out.partition(f"==> {other} <==\n")
    assert first.startswith(f"==> {SEED_PATH} <==\n") and second
    assert main(["-f", fmt, str(SEED_PATH)]) == 0  # one page: no header
    assert "==>" not in capsys.readouterr().out


def test_one_page_per_file_in_output_dir_has_no_header(tmp_path: Path) -> None:
    other = tmp_path / "b.txt"
    other.write_text(SEED, encoding="utf-8")
    assert main(["-q", "--output-dir", str(tmp_path / "out"), str(SEED_PATH), str(other)]) == 0
    assert (tmp_path / "out" / "b.txt").read_text(encoding="utf-8") == zhengwen.clean(SEED) + "\n"


def test_help_says_how_to_keep_colour_in_a_pager(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "--explain --color always page.txt | less -R" in text
    assert "==> FILE <==" in text


@pytest.mark.parametrize("mode", [[], ["--jsonl"]])
def test_output_into_a_missing_folder_names_the_users_path(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], mode: list[str]
) -> None:
    target = tmp_path / "missing" / "out.txt"
    source = tmp_path / "in.jsonl"
    source.write_text(json.dumps({"text": SEED}) + "\n")
    assert main([*mode, "-o", str(target), str(source if mode else SEED_PATH)]) == 2
    err = capsys.readouterr().err
    assert f"cannot write {target}: no folder {target.parent}" in err
    assert ".tmp" not in err and ".partial" not in err


def test_jsonl_on_page_text_hints_at_the_mistake(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--jsonl", "-j", "1", str(SEED_PATH)]) == 1
    out, err = capsys.readouterr()
    assert len(out.splitlines()) == len(SEED.rstrip("\n").split("\n"))  # still N error records
    assert "none of the first 100 lines is a JSON object: is this a JSON Lines file?" in err


def test_jsonl_with_some_bad_lines_gives_no_hint(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "in.jsonl"
    path.write_text("not json\n" + json.dumps({"text": SEED}) + "\n")
    assert main(["--jsonl", "-j", "1", str(path)]) == 1
    assert "JSON Lines file?" not in capsys.readouterr().err


def test_progress_bar_has_a_total_for_a_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "in.jsonl"
    path.write_text("".join(json.dumps({"text": SEED}) + "\n" for _ in range(3)))
    size = path.stat().st_size
    assert (
        main(["--jsonl", "-j", "1", "--progress", "-o", str(tmp_path / "o.jsonl"), str(path)]) == 0
    )
    err = capsys.readouterr().err
    assert "100%" in err  # a share done needs a total: the file's bytes
    assert f"/{size / 1024:.1f}k [" in err


def test_progress_bar_counts_pages_of_a_page_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--progress", "-o", str(tmp_path / "o.txt"), str(SEED_PATH), str(SEED_PATH)]) == 0
    assert "| 2/2 [" in capsys.readouterr().err


def test_first_commands_as_a_real_subprocess(tmp_path: Path) -> None:
    import subprocess
    import sys

    from conftest import run_quietly

    binary = tmp_path / "ls"
    binary.write_bytes(ELF)

    def run(*args: str) -> subprocess.CompletedProcess[bytes]:
        return run_quietly([sys.executable, "-m", "zhengwen", *args])

    refused = run(str(binary), str(SEED_PATH))
    assert refused.returncode == 2 and b"binary data" in refused.stderr
    assert refused.stdout.decode("utf-8") == f"==> {SEED_PATH} <==\n" + zhengwen.clean(SEED) + "\n"
    assert run("--json", str(SEED_PATH)).returncode == 2
