"""Read a Word (.docx) file: paragraph blocks under headings and Word tables, in document order."""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import docx
from docx.table import Table as WordTable

from assistant.records import LoadedDocument, Segment, Table
from ingest.loaders._common import Row, body_block, clean_title, collapse_spaces, text_segments
from ingest.loaders.tables import build_grid, filled_rows, row_segments

_DOCX_ROWS_PER_SEGMENT = 8
_HEADING_STYLES = ("heading", "rubrik", "title")
_TITLE_STYLES = {"title", "rubrik", "heading 1", "rubrik 1"}


def read_docx(path: Path, data: bytes) -> LoadedDocument:
    """Paragraph blocks under headings and Word tables, in document order (no page numbers)."""
    document = docx.Document(io.BytesIO(data))
    walk = _DocxWalk()
    for item in document.iter_inner_content():
        if isinstance(item, WordTable):
            walk.add_table(item)
        else:
            text = collapse_spaces(item.text).strip()
            walk.add_paragraph(f"- {text}" if text and _is_list_item(item) else text, _style_name(item))
    walk.flush()
    title = clean_title(document.core_properties.title) or walk.title
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
        numbered = filled_rows(_docx_rows(table))
        if not numbered:
            return
        grid = build_grid(numbered)
        self.tables.append(grid.table(f"Tabell {len(self.tables) + 1}"))
        self.segments += row_segments(grid, _DOCX_ROWS_PER_SEGMENT, section=self.section, sheet=None)

    def flush(self) -> None:
        """Turn the collected body paragraphs into segments under the current section."""
        self.segments += text_segments(body_block(self.section, self.body))
        self.body = []


def _style_name(paragraph: Any) -> str:
    """The paragraph's style name in lower case ("" when the style cannot be resolved)."""
    try:
        return str(paragraph.style.name or "").lower()
    except (AttributeError, KeyError):
        return ""


def _is_list_item(paragraph: Any) -> bool:
    """A bulleted or numbered paragraph: kept as a "- " line so a list stays one list downstream."""
    style = _style_name(paragraph)
    if style.startswith(_HEADING_STYLES):
        return False
    if style.startswith(("list", "liststycke", "punktlista", "numrerad lista")):
        return True
    ppr = paragraph._p.pPr
    return ppr is not None and ppr.numPr is not None


def _docx_rows(table: WordTable) -> Iterator[Row]:
    """Cell texts per row; a horizontally merged cell's text appears once, later spans are ""."""
    for row in table.rows:
        cells = list(row.cells)
        yield tuple(
            "" if i and cell._tc is cells[i - 1]._tc else collapse_spaces(cell.text.replace("\n", " ")).strip()
            for i, cell in enumerate(cells)
        )
