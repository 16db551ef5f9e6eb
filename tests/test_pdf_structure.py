"""PDF structure: ruled tables read as rows with their header, form labels kept with their values,
and scanned pages read with Swedish OCR (marked as such).

All PDFs are generated in `tmp_path` with fpdf2 and the DejaVu font the corpus ships.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from assistant.errors import EmptyDocument
from assistant.records import DocumentMeta, LoadedDocument, Segment
from ingest.chunking import chunk
from ingest.loaders import load
from ingest.loaders import pdf as pdf_loader
from ingest.loaders.pdf_ocr import OCR_MARK, ocr_available

FONT_DIR = Path(__file__).resolve().parents[1] / "corpus" / "sources" / "fonts"
FONT = FONT_DIR / "DejaVuSans.ttf"
FONT_BOLD = FONT_DIR / "DejaVuSans-Bold.ttf"

pytestmark = pytest.mark.skipif(not FONT.exists(), reason=f"Typsnittet saknas: {FONT}")

INSATSER = [
    ("Insats", "Ansvarig", "Tidplan"),
    ("Validering av vårdbiträden mot undersköterskekompetens i Åsele och Dorotea",
     "Åsele kommun, vård och omsorg, tillsammans med Vård- och omsorgscollege", "2025-09-01–2026-06-30"),
    ("Vikariepool för äldreomsorgen i inlandet", "Dorotea kommun, socialtjänsten", "Start 2025-11"),
    ("Yrkesvux med inriktning lastbilsförare", "Vuxenutbildningen i Vilhelmina", "2026-01-12–2026-06-05"),
]


def _new_pdf():  # type: ignore[no-untyped-def]
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.add_font("DejaVu", "", str(FONT))
    pdf.add_font("DejaVu", "B", str(FONT_BOLD))
    pdf.set_font("DejaVu", size=10)
    return pdf


def _table(pdf, rows: list[tuple[str, ...]], widths: tuple[float, ...] | None = None) -> None:  # type: ignore[no-untyped-def]
    """A ruled table (fpdf2's default: every cell bordered), header in bold and repeated on new pages."""
    with pdf.table(col_widths=widths, line_height=5, text_align="LEFT") as table:
        for values in rows:
            row = table.row()
            for value in values:
                row.cell(value)


def segments_with(doc: LoadedDocument, needle: str) -> list[Segment]:
    return [s for s in doc.segments if needle in s.text]


# ----------------------------------------------------------------------------------------------
# tables
# ----------------------------------------------------------------------------------------------


@pytest.fixture
def plan_pdf(tmp_path: Path) -> Path:
    pdf = _new_pdf()
    pdf.add_page()
    pdf.multi_cell(0, 6, "Handlingsplan för Åsele 2025", new_x="LMARGIN", new_y="NEXT")
    pdf.multi_cell(0, 6, "3. Prioriterade insatser", new_x="LMARGIN", new_y="NEXT")
    pdf.multi_cell(0, 6, "Insatserna nedan genomförs under planperioden.", new_x="LMARGIN", new_y="NEXT")
    _table(pdf, INSATSER, widths=(40, 35, 25))  # narrow columns: every long cell wraps onto 2-4 lines
    pdf.ln(4)
    pdf.multi_cell(0, 6, "Insatserna följs upp varje kvartal.", new_x="LMARGIN", new_y="NEXT")
    path = tmp_path / "plan.pdf"
    pdf.output(str(path))
    return path


def test_ruled_table_rows_are_read_as_header_value_lines(plan_pdf: Path) -> None:
    doc = load(plan_pdf)
    [rows] = [s for s in doc.segments if s.rows]
    assert rows.text.splitlines() == [
        ("Insats: Validering av vårdbiträden mot undersköterskekompetens i Åsele och Dorotea | "
         "Ansvarig: Åsele kommun, vård och omsorg, tillsammans med Vård- och omsorgscollege | "
         "Tidplan: 2025-09-01–2026-06-30"),
        ("Insats: Vikariepool för äldreomsorgen i inlandet | Ansvarig: Dorotea kommun, socialtjänsten | "
         "Tidplan: Start 2025-11"),
        ("Insats: Yrkesvux med inriktning lastbilsförare | Ansvarig: Vuxenutbildningen i Vilhelmina | "
         "Tidplan: 2026-01-12–2026-06-05"),
    ]
    assert rows.rows == (2, 4) and rows.sheet is None
    assert rows.page == 1 and rows.section == "3. Prioriterade insatser"


def test_no_cell_of_one_row_is_read_with_another_row(plan_pdf: Path) -> None:
    lines = [line for s in load(plan_pdf).segments if s.rows for line in s.text.splitlines()]
    for line, (insats, ansvarig, tidplan) in zip(lines, INSATSER[1:], strict=True):
        assert insats in line and ansvarig in line and tidplan in line
        for other in INSATSER[1:]:
            if other[0] != insats:
                assert not any(cell in line for cell in other), f"{other} i {line!r}"


def test_table_text_is_not_repeated_as_running_text(plan_pdf: Path) -> None:
    doc = load(plan_pdf)
    prose = "\n".join(s.text for s in doc.segments if not s.rows)
    assert "Vikariepool" not in prose and "Ansvarig" not in prose and "socialtjänsten" not in prose
    assert [s.text for s in doc.segments if not s.rows][-1] == "Insatserna följs upp varje kvartal."
    assert segments_with(doc, "följs upp")[0].section == "3. Prioriterade insatser"


def test_table_rows_stay_one_chunk_with_their_row_range(plan_pdf: Path) -> None:
    doc = load(plan_pdf)
    meta = DocumentMeta(title="Handlingsplan", type="handlingsplan", scope="publik")
    chunks = chunk(doc.segments, meta, doc_id="d", path="plan.pdf", content_hash="h", fingerprint="f" * 10,
                   max_chars=200)
    [rows] = [c for c in chunks if c.rows]
    assert rows.rows == (2, 4) and rows.page == 1 and rows.text.count("\n") == 2


def test_table_over_a_page_break_keeps_header_and_counts_rows_on(tmp_path: Path) -> None:
    pdf = _new_pdf()
    pdf.add_page()
    pdf.multi_cell(0, 6, "4. Kommunernas behov", new_x="LMARGIN", new_y="NEXT")
    rows = [("Kommun", "Yrke", "Behov 3 år")] + [(f"Kommun {n}", f"Yrke {n}", str(n * 10)) for n in range(1, 61)]
    _table(pdf, rows)  # 60 rows do not fit one page: fpdf2 repeats the header on the next
    path = tmp_path / "lang.pdf"
    pdf.output(str(path))
    doc = load(path)
    table = [s for s in doc.segments if s.rows]
    lines = [line for s in table for line in s.text.splitlines()]
    assert len(lines) == 60 and not any(line.startswith("Kommun: Kommun |") for line in lines)
    assert lines[-1] == "Kommun: Kommun 60 | Yrke: Yrke 60 | Behov 3 år: 600"
    assert {s.page for s in table} == {1, 2}
    assert table[-1].rows == (table[-1].rows[0], 61)
    assert all(s.section == "4. Kommunernas behov" for s in table)


# ----------------------------------------------------------------------------------------------
# forms and decisions
# ----------------------------------------------------------------------------------------------


def test_form_labels_keep_their_values_on_one_line(tmp_path: Path) -> None:
    pdf = _new_pdf()
    pdf.add_page()
    pdf.multi_cell(0, 6, "Beslut om projektstöd", new_x="LMARGIN", new_y="NEXT")
    for label, value in [("Diarienummer", "RUN 2025/123"), ("Projektperiod", "2025-01-01 – 2027-12-31")]:
        pdf.cell(50, 6, label)  # two columns: label left, value in a column of its own
        pdf.cell(0, 6, value, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    for line in ["Beviljat belopp", "3 450 000 kronor", "", "Beslut expedieras till",
                 "Region Västerbotten, Åsele kommun", "", "Beslutet omfattar:",
                 "• personalkostnader", "• externa tjänster", "",
                 "Handläggare:", "Anna Lindström, 090-785 00 00"]:
        pdf.multi_cell(0, 6, line or " ", new_x="LMARGIN", new_y="NEXT")  # label above, value below
    _table(pdf, [("Sökande", "Åsele kommun"), ("Organisationsnummer", "212000-2486")], widths=(50, 100))
    path = tmp_path / "beslut.pdf"
    pdf.output(str(path))
    lines = "\n".join(s.text for s in load(path).segments).splitlines()
    for expected in ["Diarienummer: RUN 2025/123", "Projektperiod: 2025-01-01 – 2027-12-31",
                     "Beviljat belopp: 3 450 000 kronor", "Beslut expedieras till: Region Västerbotten, Åsele kommun",
                     "Handläggare: Anna Lindström, 090-785 00 00", "Sökande: Åsele kommun",
                     "Organisationsnummer: 212000-2486"]:
        assert expected in lines, f"{expected!r} saknas i {lines}"
    # a lead-in before a list is not a label: the list items stay items
    assert "Beslutet omfattar:" in lines and "• personalkostnader" in lines


def test_text_set_in_two_columns_is_read_column_by_column(tmp_path: Path) -> None:
    """The label rule must not glue the lines of two text columns together."""
    pdf = _new_pdf()
    pdf.add_page()
    left = " ".join(f"Mening {n} i vänstra spalten handlar om yrkesvux i Åsele." for n in range(1, 9))
    right = " ".join(f"Mening {n} i högra spalten handlar om validering i Dorotea." for n in range(1, 9))
    columns = pdf.text_columns(ncols=2, gutter=10)
    with columns:
        columns.write(left)
        columns.new_column()
        columns.write(right)
    path = tmp_path / "spalter.pdf"
    pdf.output(str(path))
    text = " ".join(" ".join(s.text for s in load(path).segments).split())
    assert left in text and right in text


# ----------------------------------------------------------------------------------------------
# scanned pages
# ----------------------------------------------------------------------------------------------

SCANNED_TEXT = (
    "Kompetensförsörjning i Åsele\n"
    "Kommunen erbjuder yrkesutbildning inom vård och omsorg.\n"
    "Ansökan görs till vuxenutbildningen före den 15 maj."
)


def _scanned_page_png() -> bytes:
    """A page of Swedish text rendered by fpdf2 and rasterised by pypdfium2: what a scanner delivers."""
    import pypdfium2 as pdfium

    pdf = _new_pdf()
    pdf.add_page()
    pdf.set_font("DejaVu", size=14)
    pdf.multi_cell(0, 9, SCANNED_TEXT, new_x="LMARGIN", new_y="NEXT")
    document = pdfium.PdfDocument(bytes(pdf.output()))
    image = document[0].render(scale=200 / 72, grayscale=True).to_pil()
    out = io.BytesIO()
    image.save(out, format="PNG")
    document.close()
    return out.getvalue()


def _image_pdf(path: Path, text_first: bool) -> Path:
    """A PDF whose scanned page is only an image; optionally after a page with a real text layer."""
    pdf = _new_pdf()
    if text_first:
        pdf.add_page()
        pdf.multi_cell(0, 6, "2. Utbildning i inlandet\nDen första sidan har ett textlager.")
    pdf.add_page()
    pdf.image(io.BytesIO(_scanned_page_png()), x=0, y=0, w=pdf.w, h=pdf.h)
    pdf.output(str(path))
    return path


@pytest.mark.skipif(not ocr_available(), reason="Tesseract med svenska (tesseract-ocr, tesseract-ocr-swe) saknas")
def test_scanned_page_is_read_in_swedish_and_marked(tmp_path: Path) -> None:
    doc = load(_image_pdf(tmp_path / "inskannad.pdf", text_first=True))
    first = [s for s in doc.segments if s.page == 1]
    scanned = [s for s in doc.segments if s.page == 2]
    assert first and all(OCR_MARK not in (s.section or "") for s in first)
    text = "\n".join(s.text for s in scanned)
    for word in ("Kompetensförsörjning", "Åsele", "yrkesutbildning", "omsorg", "vuxenutbildningen", "görs"):
        assert word in text, f"{word!r} saknas i OCR-texten: {text!r}"
    assert scanned and all(s.section == f"2. Utbildning i inlandet {OCR_MARK}" for s in scanned)


@pytest.mark.skipif(not ocr_available(), reason="Tesseract med svenska (tesseract-ocr, tesseract-ocr-swe) saknas")
def test_scanned_page_without_section_is_marked_with_its_page(tmp_path: Path) -> None:
    doc = load(_image_pdf(tmp_path / "skanning.pdf", text_first=False))
    assert doc.segments and all(s.section == f"Sida 1 {OCR_MARK}" for s in doc.segments)
    assert doc.title is not None and "Åsele" in doc.title


def test_scanned_pdf_without_tesseract_says_which_packages_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(pdf_loader, "ocr_available", lambda: False)
    path = _image_pdf(tmp_path / "inskannad.pdf", text_first=False)
    with pytest.raises(EmptyDocument) as info:
        load(path)
    message = str(info.value)
    assert "inskannad.pdf" in message and "inskannad" in message.replace("inskannad.pdf", "")
    assert "tesseract-ocr" in message and "tesseract-ocr-swe" in message and "OCR" in message
