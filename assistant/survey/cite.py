"""The survey answer's one citation: the row passage holding the base's first row, quoting a filter cell."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from assistant.cite import table_citation
from assistant.records import Citation, DocumentInfo, Passage, Table
from assistant.survey.columns import SurveyComputation
from assistant.text.numbers import cell_text


def cite(comp: SurveyComputation, doc: DocumentInfo, table: Table, passages: Sequence[Passage],
         kommun: str | None) -> Citation | None:
    """Citation [1] of the first row passage holding a base row, quoting its filter segment.

    The section names the filter and, unless the base is suppressed, the span of spreadsheet rows
    (header_row + 1 + index) of the base; a suppressed base's span could reveal its size.
    """
    first = table.rows[comp.positions[0]]
    segments = [s for s in (_segment(table, first, c) for c in comp.quote_columns) if s]
    passage = _passage_with(passages, segments) if segments else None
    if passage is None:
        passage = _passage_at(passages, table.header_row + 1 + comp.positions[0])
    if passage is None:  # rows scoped per kommun (manifest row_scope): cite the table's header passage
        passage = _passage_at(passages, table.header_row)
    if passage is None:
        return None
    quote = segments[0] if segments and segments[0] in passage.text else _first_segment(passage.text)
    rows = [table.header_row + 1 + p for p in comp.positions]
    section = f"{table.name}, filter: {comp.filter_label}"
    if not comp.suppressed:
        section += f", rader {min(rows)}–{max(rows)}"
    return table_citation(passage, doc, quote, section, doc.kommun or kommun)


def _segment(table: Table, row: Sequence[Any], column: str) -> str | None:
    """'Kommun: Åsele' as the row passages render the cell."""
    index = table.columns.index(column) if column in table.columns else len(row)
    value = cell_text(row[index]) if index < len(row) else ""
    return f"{column}: {value}" if value else None


def _passage_with(passages: Sequence[Passage], segments: Sequence[str]) -> Passage | None:
    """The first passage with a row line holding every segment as a whole " | "-separated cell."""
    for passage in passages:
        for line in passage.text.splitlines():
            cells = line.split(" | ")
            if all(s in cells for s in segments):
                return passage
    return None


def _passage_at(passages: Sequence[Passage], row: int) -> Passage | None:
    for passage in passages:
        if passage.rows and passage.rows[0] <= row <= passage.rows[1]:
            return passage
    return None


def _first_segment(text: str) -> str:
    return text.splitlines()[0].split(" | ")[0] if text else text
