"""The Word export of a draft: read back with python-docx, and converted to PDF by LibreOffice."""

from __future__ import annotations

import io
import shutil
import subprocess
from pathlib import Path

import docx
import pytest
from docx.enum.text import WD_COLOR_INDEX
from pypdf import PdfReader

from assistant.draft.docx import column_widths, to_docx
from assistant.records import Citation, Draft, DraftSection
from tests.conftest import REPO

NULAGE = """### Arbetsgivarenkät 2025

I arbetsgivarenkäten svarade 29 arbetsgivare i Åsele (n = 29 svar) [1].

| Yrke (SSYK) | Svar (n) | Behov 3 år | Källa |
| --- | --- | --- | --- |
| Undersköterskor, hemtjänst (5321) | 7 | 54 | [1][2] |
| Kockar \\| kallskänkor (5120) | för få svar | för få svar | [1] |
| Totalt | 29 | 164 | [1] |

### Prioriterade bristyrken

Åsele kommun prioriterar följande bristyrken: [3]
- Undersköterskor (SSYK 5321) [3]
- Lastbilsförare (SSYK 8332) [3]

[Att komplettera: bristyrken inom skog och transport som har för få svar i enkäten.]"""

HALLBARHET = """### Jämställdhet

Deltagandet i alla insatser redovisas uppdelat på **kön** [3].

### Miljö och klimat

[Att komplettera: insatsernas påverkan på miljö och klimat i Åsele.]"""

CITATIONS = (
    Citation(1, "enkat:0001", "Arbetsgivarenkät 2025 – svar (fem kommuner)", "corpus/enkat/arbetsgivarenkat-2025.xlsx",
             "projekt", "Kommun: Åsele", None, "Svar, filter: Kommun = Åsele, rader 15–301", None),
    Citation(2, "brist:0003", "Yrkesbarometer för Västerbottens län", "corpus/bristlista/yrkesbarometer-lan24-2025.csv",
             "publik", "I Västerbottens län bedöms rekryteringssituationen för undersköterskor kännetecknas av brist.",
             None, "ssyk 5321", None),
    Citation(3, "plan:0009", "Handlingsplan för kompetensförsörjning 2025 – Åsele kommun",
             "corpus/handlingsplaner/handlingsplan-kompetensforsorjning-asele-2025.docx", "publik",
             "Åsele kommun prioriterar följande bristyrken", 4, "3.3 Prioriterade bristyrken", "Åsele"),
)


@pytest.fixture
def draft() -> Draft:
    sections = (DraftSection("nulage", "Nuläge: kompetensbehov och bristyrken", NULAGE, gaps=1),
                DraftSection("hallbarhet", "Hållbarhetsanalys", HALLBARHET, gaps=1))
    return Draft("Åsele", 2026, sections, CITATIONS, ("projekt", "publik"), "2026-11-23", draft_id="d1")


def read(data: bytes) -> docx.document.Document:
    return docx.Document(io.BytesIO(data))


def test_title_page_names_kommun_year_and_generation_date(draft: Draft):
    document = read(to_docx(draft))
    first = [p.text for p in document.paragraphs[:4]]
    assert first[0] == "Handlingsplan för kompetensförsörjning" and document.paragraphs[0].style.name == "Title"
    assert first[1] == "Åsele kommun – 2026"
    assert first[2] == "Utkast – genererat 2026-11-23"
    assert document.core_properties.title == "Handlingsplan för kompetensförsörjning 2026 – Åsele kommun (utkast)"
    assert "genererat 2026-11-23" in document.sections[0].footer.paragraphs[0].text
    title_page = "\n".join(p.text for p in document.paragraphs[:12])
    assert all(f"– {c.title}" in title_page for c in CITATIONS), "the sources' titles, not scope names"
    assert "Behörighet för underlaget" not in title_page and "projekt, publik" not in title_page


def test_sections_and_subheadings_are_word_headings(draft: Draft):
    document = read(to_docx(draft))
    headings = [(p.style.name, p.text) for p in document.paragraphs if p.style.name.startswith("Heading")]
    assert headings == [
        ("Heading 1", "1. Nuläge: kompetensbehov och bristyrken"), ("Heading 2", "Arbetsgivarenkät 2025"),
        ("Heading 2", "Prioriterade bristyrken"), ("Heading 1", "2. Hållbarhetsanalys"),
        ("Heading 2", "Jämställdhet"), ("Heading 2", "Miljö och klimat"), ("Heading 1", "Källor"),
    ]
    assert not any(p.text.startswith("#") or "|" in p.text for p in document.paragraphs)


def test_markdown_table_becomes_a_word_table(draft: Draft):
    document = read(to_docx(draft))
    assert len(document.tables) == 1
    table = document.tables[0]
    rows = [[c.text for c in row.cells] for row in table.rows]
    assert rows == [["Yrke (SSYK)", "Svar (n)", "Behov 3 år", "Källa"],
                    ["Undersköterskor, hemtjänst (5321)", "7", "54", "[1][2]"],
                    ["Kockar | kallskänkor (5120)", "för få svar", "för få svar", "[1]"],
                    ["Totalt", "29", "164", "[1]"]]
    assert all(run.bold for run in table.rows[0].cells[0].paragraphs[0].runs)
    assert table.style.name == "Table Grid"


def test_lists_markers_and_highlighted_gaps(draft: Draft):
    document = read(to_docx(draft))
    items = [p.text for p in document.paragraphs if p.style.name == "List Bullet"]
    assert items == ["Undersköterskor (SSYK 5321) [3]", "Lastbilsförare (SSYK 8332) [3]"]
    text = "\n".join(p.text for p in document.paragraphs)
    assert "(n = 29 svar) [1]." in text and "uppdelat på kön [3]." in text
    gaps = [r for p in document.paragraphs for r in p.runs if r.text.startswith("[Att komplettera:")]
    assert len(gaps) == 3  # the title page's explanation and the two in the sections
    assert all(r.font.highlight_color == WD_COLOR_INDEX.YELLOW for r in gaps)
    bold = [r.text for p in document.paragraphs for r in p.runs if r.bold]
    assert "kön" in bold


def test_numbered_source_list_with_title_page_section_path_and_quote(draft: Draft):
    document = read(to_docx(draft))
    paragraphs = [p.text for p in document.paragraphs]
    sources = paragraphs[paragraphs.index("Källor") + 1:]
    assert len(sources) == 3
    assert sources[2].startswith("3. Handlingsplan för kompetensförsörjning 2025 – Åsele kommun "
                                 "(s. 4, 3.3 Prioriterade bristyrken)")
    assert "corpus/handlingsplaner/handlingsplan-kompetensforsorjning-asele-2025.docx" in sources[2]
    assert "”Åsele kommun prioriterar följande bristyrken”" in sources[2]
    assert sources[0].startswith("1. Arbetsgivarenkät 2025 – svar (fem kommuner) (Svar, filter: Kommun = Åsele")


def test_columns_fit_their_longest_word_and_the_page():
    rows = [["Yrke (SSYK)", "Svar (n)", "Källa"], ["Undersköterskor, hemtjänst, hemsjukvård, äldreboende", "7", "[1][2]"]]
    widths = column_widths(rows, 3)
    assert abs(sum(widths) - 16.6) < 0.01
    assert widths[0] > 2 * widths[1] and all(w >= 0.22 * len("Undersköterskor,") for w in widths[:1])


def test_libreoffice_renders_the_draft_as_pdf(draft: Draft, tmp_path: Path):
    office = shutil.which("libreoffice") or shutil.which("soffice")
    if office is None:
        pytest.skip("LibreOffice finns inte på PATH (installera libreoffice-writer-nogui för PDF-kontrollen)")
    source = tmp_path / "utkast.docx"
    source.write_bytes(to_docx(draft))
    profile = (tmp_path / "lo-profil").as_uri()
    done = subprocess.run([office, f"-env:UserInstallation={profile}", "--headless", "--convert-to", "pdf",
                           "--outdir", str(tmp_path), str(source)], capture_output=True, text=True, timeout=180)
    pdf = tmp_path / "utkast.pdf"
    assert pdf.exists(), done.stderr
    text = " ".join("\n".join(page.extract_text() for page in PdfReader(str(pdf)).pages).split())
    for expected in ("Handlingsplan för kompetensförsörjning", "Utkast – genererat 2026-11-23",
                     "1. Nuläge: kompetensbehov och bristyrken", "2. Hållbarhetsanalys", "Källor",
                     "164", "Yrkesbarometer för Västerbottens län", "[Att komplettera:"):
        assert expected in text, expected


def test_committed_sample_has_every_section_and_sources():
    markdown = (REPO / "docs" / "exempel-utkast-asele.md").read_text(encoding="utf-8")
    for number, heading in enumerate(("Bakgrund och mål", "Nuläge: kompetensbehov och bristyrken",
                                      "Prioriterade insatser", "Ansvar och samverkan", "Tidplan",
                                      "Uppföljning och indikatorer", "Hållbarhetsanalys"), start=1):
        assert f"## {number}. {heading}" in markdown
    assert "## Källor" in markdown
    document = read((REPO / "docs" / "exempel-utkast-asele.docx").read_bytes())
    assert document.tables and any(p.style.name == "Heading 1" for p in document.paragraphs)
