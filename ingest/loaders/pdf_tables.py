"""Ruled tables on a PDF page (found with pdfplumber), rendered as table rows like spreadsheet rows.

A table row becomes one line "Rubrik 1: cell | Rubrik 2: cell", the header repeated on every row, so
no cell is ever read next to another row's cells. A two-column table whose left column holds labels
("Diarienummer | RUN 2025/123") is a form, not a table: its rows become "Etikett: värde" lines.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from assistant.records import Segment
from ingest.loaders._common import collapse_spaces
from ingest.loaders.pdf_lines import FORM_LABELS, HYPHEN_BREAK, join_hyphenated
from ingest.loaders.tables import build_grid, row_segments

PDF_ROWS_PER_SEGMENT = 8  # as for Word tables
_TABLE_SETTINGS = {"vertical_strategy": "lines", "horizontal_strategy": "lines"}  # ruled tables only
_LABEL_MAX_CHARS = 40

Cells = tuple[str, ...]
BBox = tuple[float, float, float, float]


@dataclass(frozen=True)
class PdfTable:
    """A ruled table found on one page: its cell texts row by row (first row usually the header)."""

    rows: tuple[Cells, ...]
    bbox: BBox

    @property
    def top(self) -> float:
        return self.bbox[1]

    @property
    def width(self) -> int:
        return max(len(row) for row in self.rows)

    def pair_lines(self) -> list[str] | None:
        """"Etikett: värde" lines when the table is a two-column form, else None."""
        if self.width != 2 or not _is_form(self.rows):
            return None
        return [_pair_line(label, value) for label, value in self.rows if label or value]


def find_tables(page: Any) -> list[PdfTable]:
    """The page's ruled tables with at least two rows and two columns, top to bottom.

    A frame drawn around a paragraph (one cell) or a single ruled row is not a table; its text
    stays in the running text.
    """
    found = []
    for table in page.find_tables(_TABLE_SETTINGS):
        rows = _cell_texts(table)
        rows = [row for row in rows if any(row)]
        used = [j for j in range(max((len(r) for r in rows), default=0)) if any(j < len(r) and r[j] for r in rows)]
        if len(rows) < 2 or len(used) < 2:
            continue
        found.append(PdfTable(rows=tuple(tuple(r[j] if j < len(r) else "" for j in used) for r in rows),
                              bbox=tuple(table.bbox)))
    return sorted(found, key=lambda t: t.top)


def clean_cell(text: str | None) -> str:
    """A cell's text on one line: hyphenated breaks joined, other line breaks become spaces."""
    if not text:
        return ""
    text = text.replace("\u00ad\n", "").replace("\u00ad", "")
    text = HYPHEN_BREAK.sub(join_hyphenated, text).replace("-\n", "-")  # "Västerbotten-Norrbotten" too
    text = re.sub(r"([–/])\n(?=\d)", r"\1", text)  # "2025-08-18–\n2026-12-18" is one date range
    return collapse_spaces(text.replace("\n", " ")).strip()


def _cell_texts(table: Any) -> list[list[str]]:
    """Cell texts row by row; a cell merged over several rows gives its text to each of them."""
    texts = table.extract()
    owners: dict[int, tuple[float, str]] = {}  # column → (bottom of the spanning cell, its text)
    out = []
    for row, cells in zip(table.rows, texts, strict=False):
        line = []
        for j, (bbox, text) in enumerate(zip(row.cells, cells, strict=False)):
            if bbox is not None:
                value = clean_cell(text)
                owners[j] = (bbox[3], value)
            else:
                owner = owners.get(j)
                value = owner[1] if owner and owner[0] >= row.bbox[3] - 1 else ""
            line.append(value)
        out.append(line)
    return out


def _is_form(rows: Sequence[Cells]) -> bool:
    """True when the left column holds labels (ending in ':', or mostly known form fields), or the
    first row reads as data rather than as a header."""
    labels = [label for label, _ in rows if label]
    if labels and all(label.endswith(":") for label in labels):
        return True
    if sum(label.rstrip(":").strip().casefold() in FORM_LABELS for label in labels) * 2 >= len(labels):
        return True
    first_label, first_value = rows[0]
    header_like = (len(first_label) <= _LABEL_MAX_CHARS and not re.search(r"\d", first_value)
                   and not first_value.endswith("."))
    return not header_like


def _pair_line(label: str, value: str) -> str:
    if not value:
        return label
    if not label:
        return value
    return f"{label} {value}" if label.endswith(":") else f"{label}: {value}"


@dataclass
class TableRun:
    """A table as it runs over one or more pages: its header and the next row number to hand out."""

    header: Cells
    width: int
    next_row: int


def table_segments(
    table: PdfTable, page: int, section: str | None, previous: TableRun | None,
) -> tuple[list[Segment], TableRun]:
    """Row segments for a table; `previous` is the run it continues (from the page before) or None.

    Rows are counted as in a spreadsheet, header = row 1, across the pages a table runs over; a header
    repeated at the top of a new page is not counted again.
    """
    rows = list(table.rows)
    if previous is not None:
        header = previous.header
        if rows and _same_row(rows[0], header):
            rows = rows[1:]
        start = previous.next_row
    else:
        header, rows, start = rows[0], rows[1:], 2
    numbered = [(1, header)] + [(start + i, row) for i, row in enumerate(rows)]
    run = TableRun(header=header, width=table.width, next_row=start + len(rows))
    if not rows:
        return [], run
    grid = build_grid(numbered)
    segments = row_segments(grid, PDF_ROWS_PER_SEGMENT, section=section, sheet=None)
    return [Segment(text=s.text, page=page, section=s.section, rows=s.rows, sheet=None) for s in segments], run


def _same_row(a: Cells, b: Cells) -> bool:
    return [collapse_spaces(x).casefold() for x in a] == [collapse_spaces(x).casefold() for x in b]
