"""Tests for ingest.loaders: every format's segments and provenance, and every bad input's message.

All fixtures are generated in `tmp_path`; no binary files are committed.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import docx
import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pypdf import PdfWriter

from assistant.errors import EmptyDocument, KompetensError, UnreadableDocument, UnsupportedFormat
from assistant.records import LoadedDocument, Segment
from ingest.loaders import MAX_FILE_ENV, SUPPORTED_SUFFIXES, load

UNIQUE_SENTENCE = "Särskilda insatser för äldreomsorgen i Åsele och Vännäs prioriteras år 2026."


# ----------------------------------------------------------------------------------------------
# helpers
# ----------------------------------------------------------------------------------------------


def _find_ttf() -> Path | None:
    """A Unicode TrueType font on this machine (DejaVu preferred), or None."""
    shipped = Path(__file__).resolve().parents[1] / "corpus" / "sources" / "fonts" / "DejaVuSans.ttf"
    if shipped.exists():  # the corpus ships its font, so a fresh CI machine needs no system fonts
        return shipped
    preferred = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
    if preferred.exists():
        return preferred
    if shutil.which("fc-list"):
        out = subprocess.run(["fc-list", "--format", "%{file}\n"], capture_output=True, text=True).stdout
        fonts = [Path(line) for line in out.splitlines() if line.lower().endswith(".ttf")]
        if fonts:
            return fonts[0]
    return next(iter(sorted(Path("/usr/share/fonts").rglob("*.ttf"))), None) if Path("/usr/share/fonts").exists() else None


FONT = _find_ttf()
needs_font = pytest.mark.skipif(
    FONT is None, reason="Ingen TTF-typsnittsfil hittades (installera fonts-dejavu-core) – PDF-testerna kräver ett Unicode-typsnitt."
)


def make_pdf(
    path: Path, pages: list[str], *, title: str | None = None, running: bool = True, footer: str = "Sida {n} av {total}"
) -> Path:
    """Write a PDF with one text block per page, a running header and a page-number footer."""
    from fpdf import FPDF

    total = len(pages)

    class _Pdf(FPDF):
        def header(self) -> None:
            if running:
                self.set_font("Body", size=9)
                self.cell(0, 8, "Västerbottens kompetensplattform", new_x="LMARGIN", new_y="NEXT")

        def footer(self) -> None:
            if running:
                self.set_y(-15)
                self.set_font("Body", size=9)
                self.cell(0, 10, footer.format(n=self.page_no(), total=total))

    pdf = _Pdf()
    pdf.add_font("Body", "", str(FONT))
    if title:
        pdf.set_title(title)
    for text in pages:
        pdf.add_page()
        pdf.set_font("Body", size=11)
        pdf.multi_cell(0, 6, text)
    pdf.output(str(path))
    return path


def make_image_only_pdf(path: Path) -> Path:
    """A one-page PDF with only a drawn rectangle: what a scan without OCR looks like to a reader."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.rect(20, 20, 100, 60, style="F")
    pdf.output(str(path))
    return path


def assert_user_message(exc: KompetensError, name: str) -> None:
    """The message names the file, is Swedish, and is not a traceback or a bare library message."""
    message = str(exc)
    assert name in message
    assert "Traceback" not in message and 'File "' not in message
    assert re.search("[åäöÅÄÖ]", message), f"inte svenska: {message!r}"
    if exc.__cause__ is not None:
        assert message != str(exc.__cause__)


def texts(doc: LoadedDocument) -> str:
    """All segment texts joined, for containment checks."""
    return "\n".join(s.text for s in doc.segments)


def segment_with(doc: LoadedDocument, needle: str) -> Segment:
    """The single segment whose text contains `needle`."""
    found = [s for s in doc.segments if needle in s.text]
    assert len(found) == 1, f"{needle!r} i {len(found)} segment"
    return found[0]


# ----------------------------------------------------------------------------------------------
# dispatch
# ----------------------------------------------------------------------------------------------


def test_supported_suffixes_are_the_documented_set() -> None:
    assert SUPPORTED_SUFFIXES == {".pdf", ".docx", ".md", ".markdown", ".txt", ".csv", ".xlsx"}


def test_suffix_is_case_insensitive(tmp_path: Path) -> None:
    path = tmp_path / "ANTECKNINGAR.TXT"
    path.write_text("Mötet om kompetensförsörjning hölls i Lycksele.", encoding="utf-8")
    doc = load(path)
    assert doc.format == "txt"
    assert doc.segments[0].text == "Mötet om kompetensförsörjning hölls i Lycksele."


def test_unknown_suffix_is_unsupported(tmp_path: Path) -> None:
    path = tmp_path / "x.pptx"
    path.write_bytes(b"PK\x03\x04 inte relevant")
    with pytest.raises(UnsupportedFormat) as info:
        load(path)
    assert str(info.value).startswith(
        "Filformatet '.pptx' stöds inte (fil 'x.pptx'). Stödda format: PDF, DOCX, Markdown, TXT, CSV, XLSX."
    )
    assert_user_message(info.value, "x.pptx")


def test_missing_file_is_unreadable(tmp_path: Path) -> None:
    with pytest.raises(UnreadableDocument) as info:
        load(tmp_path / "saknas.pdf")
    assert_user_message(info.value, "saknas.pdf")


def test_file_over_limit_is_refused_with_size_and_setting(tmp_path: Path) -> None:
    path = tmp_path / "stor.txt"
    path.write_text("Kompetens " * 300, encoding="utf-8")
    with pytest.raises(UnreadableDocument) as info:
        load(path, max_bytes=1024)
    message = str(info.value)
    assert_user_message(info.value, "stor.txt")
    assert "MB" in message and MAX_FILE_ENV in message and "för stor" in message


@pytest.mark.parametrize("suffix", sorted(SUPPORTED_SUFFIXES))
def test_empty_file_of_every_format_is_empty_document(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"tom{suffix}"
    path.write_bytes(b"")
    with pytest.raises(EmptyDocument) as info:
        load(path)
    assert_user_message(info.value, path.name)
    assert "tom" in str(info.value)


@pytest.mark.parametrize("name", ["blank.md", "blank.txt", "blank.csv"])
def test_whitespace_only_text_is_empty_document(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_bytes("\ufeff  \n\t\n   \r\n".encode())
    with pytest.raises(EmptyDocument) as info:
        load(path)
    assert_user_message(info.value, name)


def test_markdown_with_only_front_matter_is_empty(tmp_path: Path) -> None:
    path = tmp_path / "bara-metadata.md"
    path.write_text("---\ntitle: Plan\n---\n\n", encoding="utf-8")
    with pytest.raises(EmptyDocument):
        load(path)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(min_size=1, max_size=400), suffix=st.sampled_from(sorted(SUPPORTED_SUFFIXES)))
def test_random_bytes_never_leak_library_exceptions(tmp_path: Path, data: bytes, suffix: str) -> None:
    path = tmp_path / f"slump{suffix}"
    path.write_bytes(data)
    try:
        load(path)
    except KompetensError as exc:
        assert path.name in str(exc)


# ----------------------------------------------------------------------------------------------
# PDF
# ----------------------------------------------------------------------------------------------

PLAN_PAGES = [
    "Regional kompetensplan\n1. Inledning\nPlanen beskriver hur kompetens-\nförsörjning    organiseras i länet.\n"
    "2. Behov i länet\nVården saknar undersköterskor.",
    "Behovet är störst i inlandet och väntas öka fram till 2030.",
    f"3. Åtgärder\n{UNIQUE_SENTENCE}",
]


@needs_font
def test_pdf_unique_sentence_on_page_three_keeps_page_and_swedish_letters(tmp_path: Path) -> None:
    doc = load(make_pdf(tmp_path / "plan.pdf", PLAN_PAGES))
    segment = segment_with(doc, "Särskilda insatser")
    assert segment.page == 3
    assert segment.text == UNIQUE_SENTENCE
    assert segment.section == "3. Åtgärder"
    assert doc.pages == 3 and doc.format == "pdf"


@needs_font
def test_pdf_numbered_headings_become_sections_that_carry_across_pages(tmp_path: Path) -> None:
    doc = load(make_pdf(tmp_path / "plan.pdf", PLAN_PAGES))
    assert [(s.page, s.section) for s in doc.segments] == [
        (1, None), (1, "1. Inledning"), (1, "2. Behov i länet"), (2, "2. Behov i länet"), (3, "3. Åtgärder"),
    ]
    assert segment_with(doc, "inlandet").section == "2. Behov i länet"


@needs_font
def test_pdf_text_is_normalised(tmp_path: Path) -> None:
    doc = load(make_pdf(tmp_path / "plan.pdf", PLAN_PAGES))
    assert segment_with(doc, "Planen").text == "Planen beskriver hur kompetensförsörjning organiseras i länet."


@needs_font
@pytest.mark.parametrize("footer", ["Sida {n} av {total}", "{n} ({total})", "{n}", "Kompetensplan 2025 – sida {n}"])
def test_pdf_page_footers_and_running_headers_are_dropped(tmp_path: Path, footer: str) -> None:
    doc = load(make_pdf(tmp_path / "plan.pdf", PLAN_PAGES, footer=footer))
    assert [s.text for s in doc.segments][-1] == UNIQUE_SENTENCE
    assert "Sida" not in texts(doc) and "(3)" not in texts(doc) and "sida" not in texts(doc)
    assert "kompetensplattform" not in texts(doc)


@needs_font
def test_pdf_hyphenation_keeps_real_hyphens(tmp_path: Path) -> None:
    page = "Satsningar på IT-\nsupport och vård-\noch omsorgsutbildning i Västerbotten-\nNorrbotten."
    doc = load(make_pdf(tmp_path / "bindestreck.pdf", [page], running=False))
    assert doc.segments[0].text == (
        "Satsningar på IT-support och vård- och omsorgsutbildning i Västerbotten-\nNorrbotten."
    )


@needs_font
def test_pdf_title_from_metadata_else_first_line(tmp_path: Path) -> None:
    with_meta = load(make_pdf(tmp_path / "a.pdf", PLAN_PAGES, title="Kompetensplan Västerbotten 2025"))
    without = load(make_pdf(tmp_path / "b.pdf", PLAN_PAGES, running=False))
    assert with_meta.title == "Kompetensplan Västerbotten 2025"
    assert without.title == "Regional kompetensplan"


@needs_font
def test_pdf_single_page_keeps_lines_that_would_repeat(tmp_path: Path) -> None:
    doc = load(make_pdf(tmp_path / "kort.pdf", ["Protokoll från styrgruppen\nBeslut: planen antas."], running=False))
    assert doc.pages == 1
    assert doc.segments[0].text == "Protokoll från styrgruppen\nBeslut: planen antas."


def test_pdf_garbage_bytes_is_unreadable(tmp_path: Path) -> None:
    path = tmp_path / "trasig.pdf"
    path.write_bytes(b"detta ar ingen pdf \x00\x01\x02" * 50)
    with pytest.raises(UnreadableDocument) as info:
        load(path)
    assert_user_message(info.value, "trasig.pdf")
    assert "skadad" in str(info.value)
    assert info.value.__cause__ is not None


@needs_font
def test_pdf_truncated_is_unreadable(tmp_path: Path) -> None:
    whole = make_pdf(tmp_path / "hel.pdf", PLAN_PAGES).read_bytes()
    path = tmp_path / "avkortad.pdf"
    path.write_bytes(whole[: len(whole) // 2])
    with pytest.raises(UnreadableDocument) as info:
        load(path)
    assert_user_message(info.value, "avkortad.pdf")


@needs_font
def test_pdf_with_user_password_is_refused_as_password_protected(tmp_path: Path) -> None:
    writer = PdfWriter(clone_from=make_pdf(tmp_path / "hel.pdf", PLAN_PAGES))
    writer.encrypt("hemligt")  # RC4: pypdf handles it without the cryptography package
    path = tmp_path / "skyddad.pdf"
    writer.write(path)
    with pytest.raises(UnreadableDocument) as info:
        load(path)
    assert_user_message(info.value, "skyddad.pdf")
    assert "lösenordsskyddad" in str(info.value)


@needs_font
def test_pdf_encrypted_with_empty_user_password_is_read(tmp_path: Path) -> None:
    writer = PdfWriter(clone_from=make_pdf(tmp_path / "hel.pdf", PLAN_PAGES))
    writer.encrypt("", owner_password="agare")  # restrictions only: opens without a password
    path = tmp_path / "begransad.pdf"
    writer.write(path)
    assert segment_with(load(path), "Särskilda insatser").page == 3


def test_pdf_without_text_layer_says_scanned_and_ocr(tmp_path: Path) -> None:
    path = make_image_only_pdf(tmp_path / "inskannad.pdf")
    with pytest.raises(EmptyDocument) as info:
        load(path)
    assert_user_message(info.value, "inskannad.pdf")
    assert "inskannad" in str(info.value) and "OCR" in str(info.value)


# ----------------------------------------------------------------------------------------------
# DOCX
# ----------------------------------------------------------------------------------------------

ACTIONS = [
    ("Yrkesvux inom vård", "Vuxenutbildningen", "2025-09"),
    ("Validering av undersköterskor", "Region Västerbotten", "2025-10"),
    ("Språkstöd på arbetsplatsen", "Arbetsmarknadsenheten", "2025-11"),
    ("Handledarutbildning", "Vård och omsorg", "2025-12"),
    ("Traineeprogram", "HR-avdelningen", "2026-01"),
    ("Studiebesök i Norsjö", "Kompetensrådet", "2026-02"),
    ("Mentorskap för nyanställda", "Vård och omsorg", "2026-03"),
    ("Uppföljning av insatser", "Kompetensrådet", "2026-04"),
    ("Rekryteringsmässa i Skellefteå", "Arbetsförmedlingen", "2026-05"),
    ("Utvärdering", "Region Västerbotten", "2026-06"),
]


def make_docx(path: Path, *, core_title: str | None = None, merged_last_row: bool = False) -> Path:
    """A Word file: title, nested headings, paragraphs, and a 10-row action table under a heading."""
    document = docx.Document()
    if core_title:
        document.core_properties.title = core_title
    document.add_heading("Handlingsplan för kompetensförsörjning", 0)
    document.add_heading("1 Bakgrund", 1)
    document.add_paragraph("Länet behöver fler medarbetare inom vården.")
    document.add_paragraph("Pensionsavgångarna ökar till 2030.")
    document.add_paragraph("")
    document.add_heading("2 Insatser", 1)
    document.add_heading("2.1 Vård och omsorg", 2)
    document.add_paragraph("Insatserna nedan är beslutade av styrgruppen.")
    table = document.add_table(rows=1 + len(ACTIONS), cols=3)
    for j, name in enumerate(("Insats", "Ansvarig", "Tidplan")):
        table.cell(0, j).text = name
    for i, row in enumerate(ACTIONS, start=1):
        for j, value in enumerate(row):
            table.cell(i, j).text = value
    if merged_last_row:
        table.cell(len(ACTIONS), 1).merge(table.cell(len(ACTIONS), 2)).text = "Löpande"
    document.add_paragraph("Tidplanen stäms av varje kvartal.")
    document.save(str(path))
    return path


def test_docx_headings_become_sections_with_innermost_heading(tmp_path: Path) -> None:
    doc = load(make_docx(tmp_path / "plan.docx"))
    background = segment_with(doc, "Länet behöver")
    assert background.section == "1 Bakgrund"
    assert background.text == "Länet behöver fler medarbetare inom vården.\nPensionsavgångarna ökar till 2030."
    assert segment_with(doc, "beslutade av styrgruppen").section == "2.1 Vård och omsorg"
    assert all(s.page is None for s in doc.segments)


def test_docx_table_rows_repeat_header_in_groups_of_eight(tmp_path: Path) -> None:
    doc = load(make_docx(tmp_path / "plan.docx"))
    table_segments = [s for s in doc.segments if s.rows]
    assert [s.rows for s in table_segments] == [(2, 9), (10, 11)]
    assert all(s.section == "2.1 Vård och omsorg" for s in table_segments)
    first_line = table_segments[0].text.split("\n")[0]
    assert first_line == "Insats: Yrkesvux inom vård | Ansvarig: Vuxenutbildningen | Tidplan: 2025-09"
    assert len(table_segments[0].text.split("\n")) == 8


def test_docx_table_record_and_document_order(tmp_path: Path) -> None:
    doc = load(make_docx(tmp_path / "plan.docx"))
    (table,) = doc.tables
    assert table.name == "Tabell 1"
    assert table.columns == ("Insats", "Ansvarig", "Tidplan")
    assert table.rows == tuple(ACTIONS)
    order = [s.text.split("\n")[0][:20] for s in doc.segments]
    assert order.index("Insatserna nedan är ") < order.index("Insats: Yrkesvux ino") < order.index("Tidplanen stäms av v")
    assert segment_with(doc, "stäms av varje kvartal").section == "2.1 Vård och omsorg"


def test_docx_merged_cell_text_is_not_repeated_in_a_row(tmp_path: Path) -> None:
    doc = load(make_docx(tmp_path / "plan.docx", merged_last_row=True))
    last_line = segment_with(doc, "Insats: Utvärdering").text.split("\n")[-1]
    assert last_line == "Insats: Utvärdering | Ansvarig: Löpande"
    assert doc.tables[0].rows[-1] == ("Utvärdering", "Löpande", "")


def test_docx_title_from_core_properties_else_title_paragraph(tmp_path: Path) -> None:
    assert load(make_docx(tmp_path / "a.docx", core_title="Plan 2025")).title == "Plan 2025"
    assert load(make_docx(tmp_path / "b.docx")).title == "Handlingsplan för kompetensförsörjning"


@pytest.mark.parametrize("payload", [b"\x8b\x02garbage" * 40, b"PK\x03\x04" + b"\x00" * 64])
@pytest.mark.parametrize("suffix", [".docx", ".xlsx"])
def test_corrupt_office_files_are_unreadable(tmp_path: Path, payload: bytes, suffix: str) -> None:
    path = tmp_path / f"trasig{suffix}"
    path.write_bytes(payload)
    with pytest.raises(UnreadableDocument) as info:
        load(path)
    assert_user_message(info.value, path.name)
    assert "skadad" in str(info.value)


@pytest.mark.parametrize("suffix", [".docx", ".xlsx"])
def test_zip_that_is_not_an_office_file_is_unreadable(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"fel{suffix}"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("hej.txt", "inte ett dokument")
    with pytest.raises(UnreadableDocument) as info:
        load(path)
    assert_user_message(info.value, path.name)


# ----------------------------------------------------------------------------------------------
# Markdown and TXT
# ----------------------------------------------------------------------------------------------

MARKDOWN = """---
title: Lärdomar från projektet
year: 2024
---

Inledande text före första rubriken.

# Lärdomar

Projektet pågick i tre år.

## Samverkan

Samverkan med näringslivet fungerade väl.

### Inlandet

Avstånden i Sorsele och Storuman kräver distansutbildning.

```bash
# inte en rubrik
echo hej
```

## Finansiering ##

Medel från ESF.
"""


def test_markdown_sections_follow_nested_headings_and_skip_front_matter(tmp_path: Path) -> None:
    path = tmp_path / "lardomar.md"
    path.write_text(MARKDOWN, encoding="utf-8")
    doc = load(path)
    assert doc.format == "markdown" and doc.title == "Lärdomar"
    assert [s.section for s in doc.segments] == [None, "Lärdomar", "Samverkan", "Inlandet", "Finansiering"]
    assert "title:" not in texts(doc) and "year: 2024" not in texts(doc)
    assert segment_with(doc, "Sorsele").section == "Inlandet"
    assert "# inte en rubrik" in segment_with(doc, "Sorsele").text


def test_markdown_long_section_is_split_at_blank_lines(tmp_path: Path) -> None:
    paragraphs = [f"Stycke {i}: " + "kompetensförsörjning i Västerbotten " * 14 for i in range(8)]
    path = tmp_path / "lang.markdown"
    path.write_text("# Lång\n\n" + "\n\n".join(paragraphs), encoding="utf-8")
    doc = load(path)
    assert len(doc.segments) > 1
    assert all(s.section == "Lång" and len(s.text) <= 1500 for s in doc.segments)
    assert texts(doc).count("Stycke ") == 8


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252"])
def test_txt_encodings_and_numbered_headings(tmp_path: Path, encoding: str) -> None:
    path = tmp_path / "anteckningar.txt"
    path.write_bytes("Anteckningar\r\n\r\n1. Läget i Åsele\r\nSkolan behöver lärare.\r\n".encode(encoding))
    doc = load(path)
    assert [(s.section, s.text) for s in doc.segments] == [
        (None, "Anteckningar"), ("1. Läget i Åsele", "Skolan behöver lärare."),
    ]


def test_txt_binary_content_is_unreadable(tmp_path: Path) -> None:
    path = tmp_path / "bild.txt"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    with pytest.raises(UnreadableDocument) as info:
        load(path)
    assert_user_message(info.value, "bild.txt")


# ----------------------------------------------------------------------------------------------
# CSV
# ----------------------------------------------------------------------------------------------

CSV_HEADER = ["Kommun", "Yrke", "Antal", "Kommentar"]
CSV_ROWS = [
    ["Umeå", "Undersköterska", "12,5", "Stor brist; särskilt vid sjukhuset, natt"],
    ["Skellefteå", "Förskollärare", "8", ""],
    ["Lycksele", "Sjuksköterska", "3", "Rad ett\nrad två"],
] + [[f"Kommun {i}", "Lärare", str(i), "  mellanslag  "] for i in range(4, 13)]


def write_csv(path: Path, delimiter: str, encoding: str) -> Path:
    """Write the shared CSV rows with `delimiter`, quoting as Excel would, in `encoding`."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    writer.writerows([CSV_HEADER, *CSV_ROWS])
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252"])
@pytest.mark.parametrize("delimiter", [";", ",", "\t"])
def test_csv_encodings_and_delimiters(tmp_path: Path, encoding: str, delimiter: str) -> None:
    doc = load(write_csv(tmp_path / "bristyrken.csv", delimiter, encoding))
    (table,) = doc.tables
    assert table.name == "bristyrken" and table.header_row == 1
    assert table.columns == ("Kommun", "Yrke", "Antal", "Kommentar")
    assert table.rows[0] == ("Umeå", "Undersköterska", "12,5", "Stor brist; särskilt vid sjukhuset, natt")
    assert table.rows[1][3] == ""
    assert table.rows[2][3] == "Rad ett\nrad två"
    assert table.rows[3][3] == "mellanslag"
    assert len(table.rows) == len(CSV_ROWS)


def test_csv_segments_render_rows_with_header_and_spreadsheet_numbers(tmp_path: Path) -> None:
    doc = load(write_csv(tmp_path / "bristyrken.csv", ";", "utf-8"))
    assert [s.rows for s in doc.segments] == [(2, 11), (12, 13)]
    assert all(s.section == "bristyrken" and s.sheet is None for s in doc.segments)
    lines = doc.segments[0].text.split("\n")
    assert lines[0] == (
        "Kommun: Umeå | Yrke: Undersköterska | Antal: 12,5 | Kommentar: Stor brist; särskilt vid sjukhuset, natt"
    )
    assert lines[1] == "Kommun: Skellefteå | Yrke: Förskollärare | Antal: 8"


def test_csv_cp1252_bytes_decode_to_swedish_letters(tmp_path: Path) -> None:
    path = tmp_path / "ord.csv"
    path.write_bytes(b"Ord;Antal\r\n\xe5\xe4\xf6;3\r\n")
    doc = load(path)
    assert doc.tables[0].rows == (("åäö", "3"),)
    assert "åäö".encode("cp1252") == b"\xe5\xe4\xf6"


def test_csv_with_broken_quoting_is_unreadable(tmp_path: Path) -> None:
    path = tmp_path / "trasig.csv"
    path.write_text('Kommun;Kommentar\nUmeå;"ej avslutat citat\nLycksele;ok\n', encoding="utf-8")
    with pytest.raises(UnreadableDocument) as info:
        load(path)
    assert_user_message(info.value, "trasig.csv")


# ----------------------------------------------------------------------------------------------
# XLSX
# ----------------------------------------------------------------------------------------------


def make_xlsx(path: Path) -> Path:
    """A workbook with a data sheet (incl. a formula), an Info text sheet and a captioned table."""
    workbook = openpyxl.Workbook()
    data = workbook.active
    data.title = "Behov"
    data.append(["Kommun", "Yrke", "Antal", "Andel", "Datum", "Summa"])
    data.append(["Umeå", "Undersköterska", 12, 0.25, dt.datetime(2025, 9, 1), "=SUM(C2:C3)"])
    data.append([None, None, None, None, None, None])  # a fully empty row is skipped
    data.append(["Vännäs", "Lärare", 3, 1.5, dt.date(2025, 10, 15), None])
    info = workbook.create_sheet("Info")
    info.append(["Om underlaget"])
    info.append(["Siffrorna bygger på kommunernas egna bedömningar hösten 2025."])
    info.append(["Källa:", "Kompetensrådet"])
    caption = workbook.create_sheet("Prognos")
    caption.append(["Prognos över pensionsavgångar"])
    caption.append([])
    caption.append(["Kommun", 2025, 2030])
    caption.append(["Dorotea", 4, 9])
    workbook.save(path)
    return path


def test_xlsx_table_sheet_values_not_formulas(tmp_path: Path) -> None:
    doc = load(make_xlsx(tmp_path / "behov.xlsx"))
    behov = next(t for t in doc.tables if t.name == "Behov")
    assert behov.header_row == 1
    assert behov.columns == ("Kommun", "Yrke", "Antal", "Andel", "Datum", "Summa")
    # openpyxl writes formulas without cached values, so with data_only the formula cell reads as
    # empty (""); a file saved by Excel would carry the computed value instead. Never the formula.
    assert behov.rows == (
        ("Umeå", "Undersköterska", 12, 0.25, "2025-09-01", ""),
        ("Vännäs", "Lärare", 3, 1.5, "2025-10-15", ""),
    )
    assert isinstance(behov.rows[0][2], int) and isinstance(behov.rows[1][3], float)
    assert "=SUM" not in texts(doc)


def test_xlsx_table_segments_carry_sheet_and_excel_rows(tmp_path: Path) -> None:
    doc = load(make_xlsx(tmp_path / "behov.xlsx"))
    segment = segment_with(doc, "Undersköterska")
    assert (segment.sheet, segment.section, segment.rows) == ("Behov", "Behov", (2, 4))
    assert segment.text.split("\n")[0] == (
        "Kommun: Umeå | Yrke: Undersköterska | Antal: 12 | Andel: 0.25 | Datum: 2025-09-01"
    )


def test_xlsx_info_sheet_becomes_text_not_table(tmp_path: Path) -> None:
    doc = load(make_xlsx(tmp_path / "behov.xlsx"))
    assert "Info" not in {t.name for t in doc.tables}
    info = [s for s in doc.segments if s.sheet == "Info"]
    assert len(info) == 1 and info[0].section == "Info" and info[0].rows == (1, 3)
    assert info[0].text == (
        "Om underlaget\nSiffrorna bygger på kommunernas egna bedömningar hösten 2025.\nKälla: Kompetensrådet"
    )


def test_xlsx_header_under_a_caption_row(tmp_path: Path) -> None:
    doc = load(make_xlsx(tmp_path / "behov.xlsx"))
    prognos = next(t for t in doc.tables if t.name == "Prognos")
    assert (prognos.header_row, prognos.columns, prognos.rows) == (3, ("Kommun", "2025", "2030"), (("Dorotea", 4, 9),))
    sheet_segments = [(s.rows, s.text) for s in doc.segments if s.sheet == "Prognos"]
    assert sheet_segments == [((1, 1), "Prognos över pensionsavgångar"), ((4, 4), "Kommun: Dorotea | 2025: 4 | 2030: 9")]


def test_xlsx_empty_workbook_is_empty_document(tmp_path: Path) -> None:
    path = tmp_path / "tom-bok.xlsx"
    openpyxl.Workbook().save(path)
    with pytest.raises(EmptyDocument) as info:
        load(path)
    assert_user_message(info.value, "tom-bok.xlsx")


# ---- zip bombs (issue 13) -----------------------------------------------------------------------

def zip_bomb_docx(path: Path, unpacked_mb: int = 120) -> Path:
    """A DOCX whose document.xml unpacks to `unpacked_mb` MB of XML from a few hundred KB."""
    import zipfile

    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/'
                         'package/2006/content-types"/>')
        with archive.open("word/document.xml", "w", force_zip64=True) as member:
            member.write(b'<?xml version="1.0"?><w:document xmlns:w="http://schemas.openxmlformats.org/'
                         b'wordprocessingml/2006/main"><w:body>')
            block = b"<w:p><w:r><w:t>" + b"a" * 1000 + b"</w:t></w:r></w:p>"
            for _ in range(unpacked_mb * 1024 * 1024 // len(block)):
                member.write(block)
            member.write(b"</w:body></w:document>")
    return path


def test_a_zip_bomb_docx_is_refused_before_parsing_with_the_unpacked_limit(tmp_path: Path):
    import resource
    import time

    bomb = zip_bomb_docx(tmp_path / "bomb.docx")
    assert bomb.stat().st_size < 1024 * 1024
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    with pytest.raises(UnreadableDocument) as caught:
        load(bomb)
    seconds = time.perf_counter() - started
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    message = str(caught.value)
    assert "packas upp till 120 MB" in message and "zip-bomb" in message and "skadad" not in message
    assert seconds < 1 and grown_mb < 50
    with pytest.raises(UnreadableDocument, match="gränsen för uppackad storlek är 10 MB"):
        load(bomb, max_unpacked=10 * 1024 * 1024)
