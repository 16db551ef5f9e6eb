"""Read CSV and XLSX into Tables and row segments; the grid and row rendering DOCX tables share."""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import openpyxl
from openpyxl.utils import get_column_letter

from assistant.errors import EmptyDocument, UnreadableDocument
from assistant.records import LoadedDocument, Segment, Table
from ingest.loaders._common import TEXT_PART_CHARS, NumberedRow, Row, clean_title, decode_text, empty_message

_SHEET_ROWS_PER_SEGMENT = 10
_HEADER_SEARCH_ROWS = 5  # a sheet's header may sit under a few caption rows
_DELIMITERS = ";,\t"


@dataclass(frozen=True)
class Grid:
    """A header row and data rows with the source row number of each data row."""

    columns: tuple[str, ...]
    rows: tuple[Row, ...]
    numbers: tuple[int, ...]
    header_row: int

    def table(self, name: str) -> Table:
        """The grid as a Table called `name`."""
        return Table(name=name, columns=self.columns, rows=self.rows, header_row=self.header_row)


def build_grid(numbered: Sequence[NumberedRow], name_column: Callable[[int], str] | None = None) -> Grid:
    """Header = first row; columns empty in header and data alike are dropped; rows padded with "".

    A column without a header is named by `name_column(index)`, by default "Kolumn 1", "Kolumn 2", ….
    """
    name_column = name_column or _numbered_column
    width = max(len(row) for _, row in numbered)
    padded = [(n, tuple(row) + ("",) * (width - len(row))) for n, row in numbered]
    used = [i for i in range(width) if any(_as_text(row[i]) for _, row in padded)]
    header_number, header = padded[0]
    columns = tuple(_as_text(header[i]) or name_column(i) for i in used)
    data = padded[1:]
    return Grid(
        columns=columns,
        rows=tuple(tuple(row[i] for i in used) for _, row in data),
        numbers=tuple(n for n, _ in data),
        header_row=header_number,
    )


def _numbered_column(index: int) -> str:
    """The name of a column without a header: "Kolumn 1" for index 0."""
    return f"Kolumn {index + 1}"


def filled_rows(rows: Iterable[Row]) -> list[NumberedRow]:
    """The rows holding any cell text, each with its 1-based row number."""
    return [(n, row) for n, row in enumerate(rows, start=1) if any(row)]


# Rows are grouped up to this many characters too: a group must fit the embedding model's window
# (multilingual-e5 reads 512 tokens), and wide survey rows with repeated headers are long.
ROW_SEGMENT_CHARS = 1200


def row_segments(
    grid: Grid, size: int, section: str | None, sheet: str | None, max_chars: int = ROW_SEGMENT_CHARS,
) -> list[Segment]:
    """Data rows as "Kolumn: värde | …" text, at most `size` rows and ~`max_chars` per Segment,
    with source row ranges (a single longer row is a Segment of its own)."""
    if not grid.rows:
        header = " | ".join(grid.columns)
        return [Segment(text=header, section=section, rows=(grid.header_row, grid.header_row), sheet=sheet)]
    segments: list[Segment] = []
    lines: list[str] = []
    numbers: list[int] = []
    for row, number in zip(grid.rows, grid.numbers, strict=True):
        line = _render_row(grid.columns, row)
        if lines and (len(lines) == size or sum(map(len, lines)) + len(lines) + len(line) > max_chars):
            segments.append(_row_segment(lines, numbers, section, sheet))
            lines, numbers = [], []
        lines.append(line)
        numbers.append(number)
    segments.append(_row_segment(lines, numbers, section, sheet))
    return segments


def _row_segment(lines: list[str], numbers: list[int], section: str | None, sheet: str | None) -> Segment:
    return Segment(text="\n".join(lines), section=section, rows=(numbers[0], numbers[-1]), sheet=sheet)


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


# CSV -----------------------------------------------------------------------------------------


def read_csv(path: Path, data: bytes) -> LoadedDocument:
    """One Table (name = file stem) and segments of up to 10 rows with spreadsheet row numbers."""
    text = decode_text(path, data)  # UTF-8 (BOM or not), else cp1252 as Swedish Excel writes it
    records = _parse_csv(path, text, _detect_delimiter(text))
    numbered = filled_rows(tuple(cell.strip() for cell in rec) for rec in records)
    if not numbered:
        raise EmptyDocument(empty_message(path))
    grid = build_grid(numbered)
    segments = row_segments(grid, _SHEET_ROWS_PER_SEGMENT, section=path.stem, sheet=None)
    return LoadedDocument(path=path, format="csv", segments=tuple(segments), tables=(grid.table(path.stem),))


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


# XLSX ----------------------------------------------------------------------------------------


def read_xlsx(path: Path, data: bytes) -> LoadedDocument:
    """Every sheet: header + data rows become a Table and row segments, free text becomes text."""
    workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    try:
        sheets = [_read_sheet(sheet) for sheet in workbook.worksheets]
        title = clean_title(workbook.properties.title)
    finally:
        workbook.close()
    segments = tuple(segment for sheet_segments, _ in sheets for segment in sheet_segments)
    tables = tuple(table for _, table in sheets if table is not None)
    return LoadedDocument(path=path, format="xlsx", segments=segments, tables=tables, title=title,
                          warnings=_formula_warnings(path, data))


def _formula_warnings(path: Path, data: bytes) -> tuple[str, ...]:
    """A Swedish warning when formula cells have no cached value (the file was never recalculated and
    saved in Excel): openpyxl can only read the cached values, so those cells are indexed as empty."""
    if not _has_formulas(data):
        return ()
    formulas = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    values = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    missing: dict[tuple[str, str], int] = {}
    try:
        for f_sheet, v_sheet in zip(formulas.worksheets, values.worksheets, strict=True):
            for f_row, v_row in zip(f_sheet.iter_rows(), v_sheet.iter_rows(values_only=True), strict=False):
                for cell, value in zip(f_row, v_row, strict=False):
                    if getattr(cell, "data_type", None) == "f" and value in (None, ""):
                        key = (f_sheet.title, get_column_letter(cell.column))
                        missing[key] = missing.get(key, 0) + 1
    finally:
        formulas.close()
        values.close()
    if not missing:
        return ()
    places = ", ".join(f"{sheet} kolumn {column} ({count} celler)" for (sheet, column), count in sorted(missing.items()))
    return (f"Varning: Excel-filen '{path.name}' har formler utan sparade värden ({places}); de cellerna "
            "indexerades som tomma. Öppna filen i Excel, låt den räkna om och spara den, och indexera igen.",)


def _has_formulas(data: bytes) -> bool:
    """True when some worksheet of the archive holds a formula element (<f>)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return any(b"<f>" in archive.read(name) or b"<f " in archive.read(name)
                       for name in archive.namelist() if name.startswith("xl/worksheets/") and name.endswith(".xml"))
    except (zipfile.BadZipFile, KeyError, OSError):
        return False


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
    grid = build_grid(numbered[header:], lambda index: f"Kolumn {get_column_letter(index + 1)}")
    caption = _sheet_text_segments(numbered[:header], sheet.title)
    rows = row_segments(grid, _SHEET_ROWS_PER_SEGMENT, section=sheet.title, sheet=sheet.title)
    return caption + rows, grid.table(sheet.title)


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
        if group and size + length > TEXT_PART_CHARS:
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
