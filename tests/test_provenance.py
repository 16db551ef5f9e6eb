"""Provenance end to end with the real embedder: the answer on page 3 of a PDF is cited as page 3."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.service import Service
from tests.conftest import REPO, make_settings

FONT = REPO / "corpus" / "sources" / "fonts" / "DejaVuSans.ttf"

PAGES = [
    ("1 Inledning", "Den här rapporten beskriver arbetet med kompetensförsörjning i länet under året."),
    ("2 Bakgrund", "Arbetsmarknaden präglas av stora pensionsavgångar och en åldrande befolkning."),
    ("3 Resultat", "I Dorotea saknas framför allt renskötare och fordonsmekaniker enligt arbetsgivarna."),
]


def _pdf(path: Path) -> Path:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_font("DejaVu", "", str(FONT))
    pdf.set_font("DejaVu", size=12)
    pdf.set_auto_page_break(False)
    for number, (heading, text) in enumerate(PAGES, start=1):
        pdf.add_page()
        pdf.multi_cell(0, 8, heading, new_x="LMARGIN", new_y="NEXT")
        pdf.multi_cell(0, 8, text, new_x="LMARGIN", new_y="NEXT")
        pdf.set_y(-20)
        pdf.cell(0, 8, f"Sida {number} av {len(PAGES)}")
    pdf.output(str(path))
    return path


@pytest.mark.integration
@pytest.mark.skipif(not FONT.exists(), reason="corpus/sources/fonts/DejaVuSans.ttf saknas")
def test_page_three_answer_cites_page_three(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(tmp_path)
    pdf = _pdf(tmp_path / "rapport.pdf")
    service = Service(make_settings(tmp_path / "data", embed={"backend": "e5"}))
    report = service.ingest([pdf], scope="publik")
    assert report.count("ny") == 1
    hits = service.search("Vilka yrken saknas i Dorotea?", ["publik"], k=3)
    assert hits[0].page == 3 and hits[0].section == "3 Resultat"
    assert "renskötare" in hits[0].text and "Sida 3" not in hits[0].text
