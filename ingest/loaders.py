"""Load one source file into a `LoadedDocument`: structural text segments plus any tables.

`load` picks a reader by file suffix. Every reader keeps the provenance that answers cite (PDF page,
heading, spreadsheet rows and sheet), and every failure becomes a domain error with a Swedish
message that names the file, says what is wrong and what to do about it.

Example:
    >>> doc = load(Path("underlag/plan.pdf"))          # doctest: +SKIP
    >>> doc.segments[0].page, doc.segments[0].section  # doctest: +SKIP
    (1, '1. Inledning')
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import logging
import math
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import docx
import openpyxl
from docx.table import Table as WordTable
from openpyxl.utils import get_column_letter
from pypdf import PdfReader
from pypdf.errors import DependencyError

from assistant.errors import EmptyDocument, KompetensError, UnreadableDocument, UnsupportedFormat
from assistant.records import LoadedDocument, Segment, Table

SUPPORTED_SUFFIXES: frozenset[str] = frozenset({".pdf", ".docx", ".md", ".markdown", ".txt", ".csv", ".xlsx"})

# The settings variable behind `max_bytes` (see assistant/config.py: IngestSettings.max_file_mb).
MAX_FILE_ENV = "KOMPETENS_INGEST_MAX_FILE_MB"

_SUPPORTED_NAMES = "PDF, DOCX, Markdown, TXT, CSV, XLSX"
_TEXT_PART_CHARS = 1500  # text blocks are cut at blank lines into parts of about this size
_DOCX_ROWS_PER_SEGMENT = 8
_SHEET_ROWS_PER_SEGMENT = 10
_HEADER_SEARCH_ROWS = 5  # a sheet's header may sit under a few caption rows
_REPEATED_LINE_SHARE = 0.6  # a page-edge line on this share of pages is a running header/footer
_EDGE_LINES = 3  # headers/footers are looked for among the first and last lines of a page

Row = tuple[Any, ...]
NumberedRow = tuple[int, Row]
Tagged = tuple[str, str | None]  # a line and the heading it opens (None for body text)


def load(path: Path, max_bytes: int = 50 * 1024 * 1024) -> LoadedDocument:
    """Read `path` into segments and tables, or raise a domain error with a Swedish message.

    Raises UnsupportedFormat for unknown suffixes, EmptyDocument when there is no text (including
    scanned PDFs without a text layer) and UnreadableDocument for missing, too large, corrupt or
    encrypted files. Library exceptions never escape; they are kept as `__cause__`.
    """
    path = Path(path)
    fmt = _format_of(path)
    data = _read_bytes(path, max_bytes)
    if not data.strip():
        raise EmptyDocument(_empty_message(path))
    try:
        document = fmt.read(path, data)
    except KompetensError:
        raise
    except Exception as exc:  # any library failure means the file cannot be read as this format
        raise UnreadableDocument(_corrupt_message(path, fmt)) from exc
    return _require_content(document)


# ---------------------------------------------------------------------------------------------
# Dispatch, size and emptiness checks
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Format:
    """How one file format is read and how its failures are explained to the user."""

    read: Callable[[Path, bytes], LoadedDocument]
    noun: str  # the file as a Swedish noun phrase, e.g. "PDF-filen"
    fix: str  # what the user can do when the file is corrupt


def _format_of(path: Path) -> _Format:
    """The reader for `path`'s suffix (case-insensitive), or UnsupportedFormat."""
    suffix = path.suffix.lower()
    fmt = _FORMATS.get(suffix)
    if fmt is None:
        shown = f"'{suffix}'" if suffix else "utan filändelse"
        raise UnsupportedFormat(
            f"Filformatet {shown} stöds inte (fil '{path.name}'). Stödda format: {_SUPPORTED_NAMES}. "
            "Spara filen i något av dessa format och försök igen."
        )
    return fmt


def _read_bytes(path: Path, max_bytes: int) -> bytes:
    """The file's bytes, refusing missing, unreadable and oversized files."""
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise UnreadableDocument(_too_large_message(path, size, max_bytes))
        return path.read_bytes()
    except FileNotFoundError as exc:
        raise UnreadableDocument(f"Filen '{path.name}' finns inte. Kontrollera sökvägen.") from exc
    except IsADirectoryError as exc:
        raise UnreadableDocument(f"'{path.name}' är en mapp, inte en fil. Ange en fil.") from exc
    except OSError as exc:
        raise UnreadableDocument(
            f"Filen '{path.name}' kan inte öppnas. Kontrollera att den finns och att du har läsbehörighet."
        ) from exc


def _too_large_message(path: Path, size: int, max_bytes: int) -> str:
    """Swedish message for a file over the size limit."""
    return (
        f"Filen '{path.name}' är för stor ({_megabytes(size)} MB; gränsen är {_megabytes(max_bytes)} MB). "
        f"Dela upp filen eller höj gränsen med {MAX_FILE_ENV}."
    )


def _megabytes(size: int) -> str:
    """A byte count as megabytes with a Swedish decimal comma: 52428800 → '50', 1536 → '0,0015'."""
    mb = size / (1024 * 1024)
    text = f"{mb:.1f}" if mb >= 0.1 else f"{mb:.2g}"
    return text.removesuffix(".0").replace(".", ",")


def _corrupt_message(path: Path, fmt: _Format) -> str:
    """Swedish message for a file the format's library could not read."""
    return f"{fmt.noun} '{path.name}' är skadad eller ofullständig och kan inte läsas. {fmt.fix}"


def _empty_message(path: Path) -> str:
    """Swedish message for a file without any text."""
    return (
        f"Filen '{path.name}' är tom eller innehåller bara blanksteg. "
        "Lägg till innehåll i filen eller ta bort den ur källmappen."
    )


def _require_content(document: LoadedDocument) -> LoadedDocument:
    """`document` unchanged, or EmptyDocument when it holds no text and no tables."""
    if not any(s.text.strip() for s in document.segments) and not document.tables:
        raise EmptyDocument(_empty_message(document.path))
    return document


# ---------------------------------------------------------------------------------------------
# Text helpers shared by PDF, DOCX, Markdown and TXT
# ---------------------------------------------------------------------------------------------

_NUMBERED_HEADING = re.compile(r"^\d{1,2}(\.\d{1,2})*\.?\s+[A-ZÅÄÖ]")
_DOT_LEADER = re.compile(r"(\.{3,}|…)\s*\d*$")  # table-of-contents lines, not headings
_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200b\u202f]+")
_MANY_BLANK_LINES = re.compile(r"\n\s*\n\s*\n+")


def _numbered_heading(line: str) -> str | None:
    """`line` when it looks like a numbered heading ("2.1 Vård och omsorg"), else None."""
    line = line.strip()
    if len(line) >= 90 or line.endswith(".") or _DOT_LEADER.search(line):
        return None
    return line if _NUMBERED_HEADING.match(line) else None


def _collapse_spaces(text: str) -> str:
    """Runs of spaces, tabs and non-breaking spaces become one space."""
    return _SPACES.sub(" ", text)


def _tidy(text: str) -> str:
    """Strip a block and keep at most one blank line between paragraphs."""
    return _MANY_BLANK_LINES.sub("\n\n", text).strip()


def _section_blocks(tagged: Iterable[Tagged], section: str | None) -> tuple[list[tuple[str | None, str]], str | None]:
    """Group body lines into (section, text) blocks, starting a block at every heading line.

    Heading lines themselves go into `section`, not into the text. Returns the blocks and the
    section still open at the end, so that a page's last heading carries over to the next page.
    """
    blocks: list[tuple[str | None, str]] = []
    body: list[str] = []
    for line, heading in tagged:
        if heading is None:
            body.append(line)
            continue
        _flush_block(blocks, section, body)
        body, section = [], heading
    _flush_block(blocks, section, body)
    return blocks, section


def _flush_block(blocks: list[tuple[str | None, str]], section: str | None, body: list[str]) -> None:
    """Append the collected body lines as one block when they hold any text."""
    text = _tidy("\n".join(body))
    if text:
        blocks.append((section, text))


def _split_long(text: str, limit: int = _TEXT_PART_CHARS) -> list[str]:
    """Cut `text` at blank lines into parts of at most ~`limit` chars (one paragraph may be longer)."""
    if len(text) <= limit:
        return [text]
    parts: list[str] = []
    current = ""
    for paragraph in re.split(r"\n\s*\n", text):
        candidate = f"{current}\n\n{paragraph}" if current else paragraph
        if current and len(candidate) > limit:
            parts.append(current)
            candidate = paragraph
        current = candidate
    parts.append(current)
    return [p.strip() for p in parts if p.strip()]


def _text_segments(blocks: Iterable[tuple[str | None, str]], page: int | None = None) -> list[Segment]:
    """One Segment per block part, all parts of a block sharing its section."""
    return [
        Segment(text=part, page=page, section=section)
        for section, text in blocks
        for part in _split_long(text)
    ]


def _decode_text(path: Path, data: bytes) -> str:
    """Decode a text file: UTF-8 (BOM or not), UTF-16 with BOM, else cp1252; newlines become \\n."""
    if data.startswith(codecs.BOM_UTF8):
        text = data[len(codecs.BOM_UTF8):].decode("utf-8", errors="replace")
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        text = data.decode("utf-16")
    else:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            text = data.decode("cp1252", errors="replace")
    if "\x00" in text:
        raise UnreadableDocument(
            f"Filen '{path.name}' ser ut att vara en binärfil, inte text. "
            "Kontrollera att filen har rätt filändelse och spara den på nytt som text (UTF-8)."
        )
    return text.replace("\r\n", "\n").replace("\r", "\n")


# ---------------------------------------------------------------------------------------------
# PDF
# ---------------------------------------------------------------------------------------------

_HYPHEN_BREAK = re.compile(r"(\w)-\n(\w+)")
# "vård- och omsorgsförvaltningen": a hyphen before these words is a suspended compound, keep it.
_SUSPENDED_COMPOUND_WORDS = frozenset({"och", "eller", "samt", "som", "till", "respektive"})
_PAGE_NUMBER_LINES = (
    re.compile(r"^(sida|page)\s+\d+(\s*(av|of|/)\s*\d+)?$", re.IGNORECASE),
    re.compile(r"^\d+\s*\(\s*\d+\s*\)$"),  # "3 (7)"
    re.compile(r"^\d+\s*/\s*\d+$"),  # "3/7"
    re.compile(r"^[-–]\s*\d+\s*[-–]$"),  # "- 3 -"
)  # a bare "3" is only dropped by the repeated-line rule: alone it may be a table cell


def _read_pdf(path: Path, data: bytes) -> LoadedDocument:
    """One Segment per page (split further at numbered headings), with 1-based page numbers."""
    with _quiet_pypdf():
        reader = PdfReader(io.BytesIO(data))
        _unlock_pdf(path, reader)
        pages = [_pdf_lines(page.extract_text() or "") for page in reader.pages]
        meta_title = reader.metadata.title if reader.metadata else None
    if pages and not any(line for lines in pages for line in lines):
        raise EmptyDocument(
            f"PDF-filen '{path.name}' har {len(pages)} {'sida' if len(pages) == 1 else 'sidor'} men inget textlager; "
            "den verkar vara inskannad. "
            "Kör textigenkänning (OCR) på filen först, t.ex. med ocrmypdf, och lägg sedan in den igen."
        )
    pages = _drop_running_lines(pages)
    return LoadedDocument(
        path=path, format="pdf", segments=tuple(_pdf_segments(pages)),
        title=_pdf_title(meta_title, pages), pages=len(pages),
    )


@contextmanager
def _quiet_pypdf() -> Iterator[None]:
    """Silence pypdf's English warnings about repaired damage; failures reach the user as our message."""
    logger = logging.getLogger("pypdf")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


def _unlock_pdf(path: Path, reader: PdfReader) -> None:
    """Decrypt a PDF that opens with an empty password; refuse one that needs a real password."""
    if not reader.is_encrypted:
        return
    try:
        unlocked = bool(reader.decrypt(""))
    except DependencyError as exc:
        raise UnreadableDocument(
            f"PDF-filen '{path.name}' är krypterad med AES, som den här installationen inte kan läsa "
            "(Python-paketet 'cryptography' saknas). Installera det, eller spara en oskyddad kopia av filen."
        ) from exc
    if not unlocked:
        raise UnreadableDocument(
            f"PDF-filen '{path.name}' är lösenordsskyddad och kan inte läsas. "
            "Spara en kopia utan lösenordsskydd och lägg in den i stället."
        )


def _pdf_lines(text: str) -> list[str]:
    """A page's text as stripped lines: hyphenated line breaks joined, space runs collapsed."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u00ad\n", "").replace("\u00ad", "")
    text = _HYPHEN_BREAK.sub(_join_hyphenated, text)
    return [_collapse_spaces(line).strip() for line in text.split("\n")]


def _join_hyphenated(match: re.Match[str]) -> str:
    """Join "kompetens-\\nförsörjning"; keep "IT-support" and "vård- och" hyphens."""
    before, word = match.group(1), match.group(2)
    if word in _SUSPENDED_COMPOUND_WORDS:
        return f"{before}- {word}"
    if not word[0].islower():
        return match.group(0)
    return f"{before}{word}" if before.islower() else f"{before}-{word}"


def _drop_running_lines(pages: list[list[str]]) -> list[list[str]]:
    """Remove page numbers and headers/footers repeated near the page edge on ≥ 60 % of pages."""
    repeated = _repeated_edge_lines(pages)
    return [_without_running(lines, repeated) for lines in pages]


def _without_running(lines: list[str], repeated: set[str]) -> list[str]:
    """One page's lines minus the running lines found at its edges."""
    edges = _edge_indexes(lines)
    return [line for i, line in enumerate(lines) if not (i in edges and _is_running(line, repeated))]


def _repeated_edge_lines(pages: list[list[str]]) -> set[str]:
    """Digit-masked edge lines that recur on at least 60 % of pages (and on at least 2 pages)."""
    if len(pages) < 2:
        return set()
    counts = Counter(key for lines in pages for key in {_mask_digits(lines[i]) for i in _edge_indexes(lines)})
    needed = max(2, math.ceil(_REPEATED_LINE_SHARE * len(pages)))
    return {key for key, n in counts.items() if n >= needed}


def _edge_indexes(lines: list[str]) -> set[int]:
    """Indexes of the first and last few non-empty lines of a page, where headers and footers sit."""
    filled = [i for i, line in enumerate(lines) if line]
    return set(filled[:_EDGE_LINES] + filled[-_EDGE_LINES:])


def _is_running(line: str, repeated: set[str]) -> bool:
    """True for page-number lines and repeated headers/footers."""
    return any(p.match(line) for p in _PAGE_NUMBER_LINES) or _mask_digits(line) in repeated


def _mask_digits(line: str) -> str:
    """`line` with digit runs replaced, so "Rapport, sida 3" and "Rapport, sida 4" compare equal."""
    return re.sub(r"\d+", "#", line)


def _pdf_segments(pages: list[list[str]]) -> Iterator[Segment]:
    """Segments page by page; the open section carries across page breaks."""
    section: str | None = None
    for number, lines in enumerate(pages, start=1):
        blocks, section = _section_blocks(((line, _numbered_heading(line)) for line in lines), section)
        yield from _text_segments(blocks, page=number)


def _pdf_title(meta_title: object, pages: list[list[str]]) -> str | None:
    """The metadata title, else the first non-empty line of page 1."""
    if isinstance(meta_title, str) and meta_title.strip():
        return meta_title.strip()
    return next((line for line in pages[0] if line), None) if pages else None


# ---------------------------------------------------------------------------------------------
# DOCX
# ---------------------------------------------------------------------------------------------

_HEADING_STYLES = ("heading", "rubrik", "title")
_TITLE_STYLES = {"title", "rubrik", "heading 1", "rubrik 1"}


def _read_docx(path: Path, data: bytes) -> LoadedDocument:
    """Paragraph blocks under headings and Word tables, in document order (no page numbers)."""
    document = docx.Document(io.BytesIO(data))
    walk = _DocxWalk()
    for item in document.iter_inner_content():
        if isinstance(item, WordTable):
            walk.add_table(item)
        else:
            walk.add_paragraph(_collapse_spaces(item.text).strip(), _style_name(item))
    walk.flush()
    title = (document.core_properties.title or "").strip() or walk.title
    return LoadedDocument(
        path=path, format="docx", segments=tuple(walk.segments), tables=tuple(walk.tables), title=title
    )


@dataclass
class _DocxWalk:
    """Collects segments and tables while walking a Word body in document order."""

    segments: list[Segment] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    body: list[str] = field(default_factory=list)
    section: str | None = None
    title: str | None = None

    def add_paragraph(self, text: str, style: str) -> None:
        """A heading opens a new section (innermost heading wins); body text joins the open block."""
        if not text:
            return
        if not style.startswith(_HEADING_STYLES):
            self.body.append(text)
            return
        self.flush()
        self.section = text
        if self.title is None and style in _TITLE_STYLES:
            self.title = text

    def add_table(self, table: WordTable) -> None:
        """Close the open text block, then add the table as `Tabell N` and as row segments."""
        self.flush()
        numbered = [(i, row) for i, row in enumerate(_docx_rows(table), start=1) if any(row)]
        if not numbered:
            return
        grid = _grid(numbered, lambda index: f"Kolumn {index + 1}")
        name = f"Tabell {len(self.tables) + 1}"
        self.tables.append(Table(name=name, columns=grid.columns, rows=grid.rows, header_row=grid.header_row))
        self.segments += _row_segments(grid, _DOCX_ROWS_PER_SEGMENT, section=self.section, sheet=None)

    def flush(self) -> None:
        """Turn the collected body paragraphs into segments under the current section."""
        text = _tidy("\n".join(self.body))
        self.segments += _text_segments([(self.section, text)] if text else [])
        self.body = []


def _style_name(paragraph: Any) -> str:
    """The paragraph's style name in lower case ("" when the style cannot be resolved)."""
    try:
        return str(paragraph.style.name or "").lower()
    except (AttributeError, KeyError):
        return ""


def _docx_rows(table: WordTable) -> Iterator[Row]:
    """Cell texts per row; a horizontally merged cell's text appears once, later spans are ""."""
    for row in table.rows:
        cells = list(row.cells)
        yield tuple(
            "" if i and cell._tc is cells[i - 1]._tc else _collapse_spaces(cell.text.replace("\n", " ")).strip()
            for i, cell in enumerate(cells)
        )


# ---------------------------------------------------------------------------------------------
# Markdown and plain text
# ---------------------------------------------------------------------------------------------

_ATX_HEADING = re.compile(r"^ {0,3}(#{1,6})[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$")
_FENCE = re.compile(r"^ {0,3}(```|~~~)")


def _read_markdown(path: Path, data: bytes) -> LoadedDocument:
    """Text under each ATX heading as segments; front matter skipped; title = first `# ` heading."""
    lines = _skip_front_matter(_decode_text(path, data).split("\n"))
    tagged = list(_markdown_tagged(lines))
    blocks, _ = _section_blocks(tagged, None)
    title = next((h for line, h in tagged if h and line.lstrip().startswith("# ")), None)
    return LoadedDocument(path=path, format="markdown", segments=tuple(_text_segments(blocks)), title=title)


def _read_txt(path: Path, data: bytes) -> LoadedDocument:
    """Plain text split into sections at numbered heading lines ("3.2 Insatser")."""
    lines = [_collapse_spaces(line).rstrip() for line in _decode_text(path, data).split("\n")]
    blocks, _ = _section_blocks(((line, _numbered_heading(line)) for line in lines), None)
    return LoadedDocument(path=path, format="txt", segments=tuple(_text_segments(blocks)))


def _skip_front_matter(lines: list[str]) -> list[str]:
    """`lines` without a leading YAML front matter block (`---` … `---` or `...`)."""
    if not lines or lines[0].strip() != "---":
        return lines
    for index in range(1, len(lines)):
        if lines[index].strip() in ("---", "..."):
            return lines[index + 1:]
    return lines  # no closing fence: not front matter


def _markdown_tagged(lines: Iterable[str]) -> Iterator[Tagged]:
    """Each line with its heading text when it is an ATX heading outside a code fence."""
    in_fence = False
    for line in lines:
        if _FENCE.match(line):
            in_fence = not in_fence
        match = None if in_fence else _ATX_HEADING.match(line)
        yield line, (match.group(2).strip() or None) if match else None


# ---------------------------------------------------------------------------------------------
# Tables shared by DOCX, CSV and XLSX
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Grid:
    """A header row and data rows with the source row number of each data row."""

    columns: tuple[str, ...]
    rows: tuple[Row, ...]
    numbers: tuple[int, ...]
    header_row: int


def _grid(numbered: Sequence[NumberedRow], name_column: Callable[[int], str]) -> _Grid:
    """Header = first row; columns empty in header and data alike are dropped; rows padded with ""."""
    width = max(len(row) for _, row in numbered)
    padded = [(n, tuple(row) + ("",) * (width - len(row))) for n, row in numbered]
    used = [i for i in range(width) if any(_as_text(row[i]) for _, row in padded)]
    header_number, header = padded[0]
    columns = tuple(_as_text(header[i]) or name_column(i) for i in used)
    data = padded[1:]
    return _Grid(
        columns=columns,
        rows=tuple(tuple(row[i] for i in used) for _, row in data),
        numbers=tuple(n for n, _ in data),
        header_row=header_number,
    )


def _row_segments(grid: _Grid, size: int, section: str | None, sheet: str | None) -> list[Segment]:
    """Data rows as "Kolumn: värde | …" text, `size` rows per Segment, with source row ranges."""
    if not grid.rows:
        header = " | ".join(grid.columns)
        return [Segment(text=header, section=section, rows=(grid.header_row, grid.header_row), sheet=sheet)]
    segments = []
    for start in range(0, len(grid.rows), size):
        rows, numbers = grid.rows[start:start + size], grid.numbers[start:start + size]
        text = "\n".join(_render_row(grid.columns, row) for row in rows)
        segments.append(Segment(text=text, section=section, rows=(numbers[0], numbers[-1]), sheet=sheet))
    return segments


def _render_row(columns: Sequence[str], row: Row) -> str:
    """One row as "Insats: Yrkesvux | Ansvarig: Vuxenutbildningen", empty values left out."""
    return " | ".join(f"{name}: {_as_text(value)}" for name, value in zip(columns, row) if _as_text(value))


def _as_text(value: Any) -> str:
    """A cell value as display text: floats without noise, booleans as Ja/Nej, None as ""."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "Ja" if value else "Nej"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else f"{value:.6f}".rstrip("0").rstrip(".")
    return str(value).strip()


# ---------------------------------------------------------------------------------------------
# CSV
# ---------------------------------------------------------------------------------------------

_DELIMITERS = ";,\t"


def _read_csv(path: Path, data: bytes) -> LoadedDocument:
    """One Table (name = file stem) and segments of up to 10 rows with spreadsheet row numbers."""
    text = _decode_text(path, data)  # UTF-8 (BOM or not), else cp1252 as Swedish Excel writes it
    records = _parse_csv(path, text, _detect_delimiter(text))
    numbered = [(n, tuple(cell.strip() for cell in rec)) for n, rec in enumerate(records, start=1)]
    numbered = [(n, row) for n, row in numbered if any(row)]
    if not numbered:
        raise EmptyDocument(_empty_message(path))
    grid = _grid(numbered, lambda index: f"Kolumn {index + 1}")
    table = Table(name=path.stem, columns=grid.columns, rows=grid.rows, header_row=grid.header_row)
    segments = _row_segments(grid, _SHEET_ROWS_PER_SEGMENT, section=path.stem, sheet=None)
    return LoadedDocument(path=path, format="csv", segments=tuple(segments), tables=(table,))


def _detect_delimiter(text: str) -> str:
    """`;`, `,` or tab: csv.Sniffer on a sample, checked against the header line's counts."""
    header = next((line for line in text.split("\n") if line.strip()), "")
    counts = {d: header.count(d) for d in _DELIMITERS}
    try:
        sniffed = csv.Sniffer().sniff(text[:8192], delimiters=_DELIMITERS).delimiter
    except csv.Error:
        sniffed = ""
    if sniffed in counts and counts[sniffed] > 0:
        return sniffed
    best = max(_DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] > 0 else ","


def _parse_csv(path: Path, text: str, delimiter: str) -> list[list[str]]:
    """All records; quoted fields may hold delimiters and newlines. Broken quoting is refused."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, quotechar='"', strict=True)
    try:
        return list(reader)
    except csv.Error as exc:
        raise UnreadableDocument(
            f"CSV-filen '{path.name}' kan inte tolkas vid rad {reader.line_num} (troligen ett citattecken som "
            "inte avslutas eller står fel). Öppna filen i ett kalkylprogram och spara den på nytt som CSV."
        ) from exc


# ---------------------------------------------------------------------------------------------
# XLSX
# ---------------------------------------------------------------------------------------------


def _read_xlsx(path: Path, data: bytes) -> LoadedDocument:
    """Every sheet: header + data rows become a Table and row segments, free text becomes text."""
    workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    try:
        sheets = [_read_sheet(sheet) for sheet in workbook.worksheets]
        title = (workbook.properties.title or "").strip() or None
    finally:
        workbook.close()
    segments = tuple(segment for sheet_segments, _ in sheets for segment in sheet_segments)
    tables = tuple(table for _, table in sheets if table is not None)
    return LoadedDocument(path=path, format="xlsx", segments=segments, tables=tables, title=title)


def _read_sheet(sheet: Any) -> tuple[list[Segment], Table | None]:
    """One sheet's segments, and its Table when the sheet holds a header over data rows.

    Rows above the header (a caption such as "Kompetensbehov 2025") become a text segment.
    """
    sheet.reset_dimensions()  # stored dimensions are often wrong in files from other tools
    numbered = [
        (n, _trim_row(tuple(_cell_value(v) for v in row)))
        for n, row in enumerate(sheet.iter_rows(values_only=True), start=1)
    ]
    numbered = [(n, row) for n, row in numbered if row]
    header = _header_index(numbered)
    if header is None:
        return _sheet_text_segments(numbered, sheet.title), None
    grid = _grid(numbered[header:], lambda index: f"Kolumn {get_column_letter(index + 1)}")
    table = Table(name=sheet.title, columns=grid.columns, rows=grid.rows, header_row=grid.header_row)
    caption = _sheet_text_segments(numbered[:header], sheet.title)
    return caption + _row_segments(grid, _SHEET_ROWS_PER_SEGMENT, section=sheet.title, sheet=sheet.title), table


def _cell_value(value: Any) -> Any:
    """A cell value for a Table: None → "", dates → ISO strings, text stripped, numbers unchanged."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return str(value)
    return value.strip() if isinstance(value, str) else value


def _trim_row(row: Row) -> Row:
    """`row` without trailing empty cells; () when it is entirely empty."""
    end = len(row)
    while end and _as_text(row[end - 1]) == "":
        end -= 1
    return row[:end]


def _header_index(numbered: Sequence[NumberedRow]) -> int | None:
    """Index of the header row among the first few rows, or None for a free-text sheet."""
    for index, (_, row) in enumerate(numbered[:_HEADER_SEARCH_ROWS]):
        if _is_header(row) and _has_table_body(numbered[index + 1:]):
            return index
    return None


def _is_header(row: Row) -> bool:
    """≥ 2 short labels (text, or years such as 2024) with no key-like "Källa:" or sentence cells."""
    cells = [v for v in row if _as_text(v)]
    labels = [v for v in cells if isinstance(v, str)]
    if len(labels) < 2 and not (labels and len(cells) >= 2):
        return False
    if not all(isinstance(v, str) or _is_year(v) for v in cells):
        return False
    return not any(len(v) > 60 or v.endswith((":", ".")) for v in labels)


def _is_year(value: Any) -> bool:
    """True for an int that reads as a year, a common column header in statistics sheets."""
    return isinstance(value, int) and not isinstance(value, bool) and 1900 <= value <= 2100


def _has_table_body(rows: Sequence[NumberedRow]) -> bool:
    """True when there is data and at most half of the rows hold a single cell (text does)."""
    single = sum(1 for _, row in rows if sum(1 for v in row if _as_text(v)) == 1)
    return bool(rows) and single <= len(rows) / 2


def _sheet_text_segments(numbered: Sequence[NumberedRow], name: str) -> list[Segment]:
    """Free-text rows as segments of ~1500 chars, each with its Excel row range."""
    segments: list[Segment] = []
    group: list[NumberedRow] = []
    size = 0
    for item in numbered:
        length = len(_text_row(item[1])) + 1
        if group and size + length > _TEXT_PART_CHARS:
            segments.append(_sheet_text_segment(group, name))
            group, size = [], 0
        group.append(item)
        size += length
    return segments + ([_sheet_text_segment(group, name)] if group else [])


def _sheet_text_segment(group: Sequence[NumberedRow], name: str) -> Segment:
    """One text segment for consecutive free-text rows."""
    text = "\n".join(_text_row(row) for _, row in group)
    return Segment(text=text, section=name, rows=(group[0][0], group[-1][0]), sheet=name)


def _text_row(row: Row) -> str:
    """A free-text row: "Nyckel: värde" for key/value pairs, cells joined with " | " otherwise."""
    cells = [_as_text(v) for v in row if _as_text(v)]
    if len(cells) == 2 and isinstance(row[0], str) and row[0]:
        separator = " " if cells[0].endswith(":") else ": "
        return f"{cells[0]}{separator}{cells[1]}"
    return " | ".join(cells)


_FORMATS: dict[str, _Format] = {
    ".pdf": _Format(_read_pdf, "PDF-filen", "Öppna den i en PDF-läsare och spara eller exportera den på nytt som PDF."),
    ".docx": _Format(
        _read_docx, "Word-filen", "Kontrollera att det är en riktig .docx-fil (inte .doc) och spara den på nytt i Word."
    ),
    ".xlsx": _Format(
        _read_xlsx, "Excel-filen", "Kontrollera att det är en riktig .xlsx-fil (inte .xls) och spara den på nytt i Excel."
    ),
    ".csv": _Format(_read_csv, "CSV-filen", "Öppna den i ett kalkylprogram och spara den på nytt som CSV (UTF-8)."),
    ".md": _Format(_read_markdown, "Markdown-filen", "Spara den på nytt som vanlig text i UTF-8."),
    ".markdown": _Format(_read_markdown, "Markdown-filen", "Spara den på nytt som vanlig text i UTF-8."),
    ".txt": _Format(_read_txt, "Textfilen", "Spara den på nytt som vanlig text i UTF-8."),
}
