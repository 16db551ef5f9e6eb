"""Survey rows scoped per kommun: raw rows of a kommun's respondents only for that kommun's scope.

A manifest entry with `row_scope: Kommun` says the table's rows name their kommun in that column.
Each row chunk then gets the scope `kommun:<slug>` of its rows' kommun (row segments are first cut
wherever the kommun changes), so `/api/search` and answers never show a kommun's raw rows, with
employer names, to a caller without that kommun's scope. The document keeps its own scope: the
stored table, from which the survey stage computes its figures (with small-group suppression),
and one header chunk per table (which the survey answer can cite) stay readable at that scope.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from assistant import scopes
from assistant.errors import InvalidScope
from assistant.records import Chunk, LoadedDocument, Segment, Table

UNKNOWN_KOMMUN = "kommun:okand"  # a kommun value that is no valid scope name: nobody's rows


def regroup(loaded: LoadedDocument, column: str) -> tuple[Segment, ...]:
    """The document's segments with every table row segment cut where `column`'s value changes,
    plus a header segment per table that has the column (the part callers without row access see)."""
    out: list[Segment] = []
    headed: set[str] = set()
    for segment in loaded.segments:
        table = _table_of(segment, loaded.tables)
        if table is None or column not in table.columns or not _is_data(segment, table):
            out.append(segment)
            continue
        if table.name not in headed:
            headed.add(table.name)
            out.append(Segment(text=" | ".join(table.columns), section=segment.section,
                               rows=(table.header_row, table.header_row), sheet=segment.sheet))
        out.extend(_split(segment, column))
    return tuple(out)


def scope_rows(chunks: Sequence[Chunk], loaded: LoadedDocument, column: str) -> list[Chunk]:
    """Row chunks of a table with `column` get the scope (and kommun) of the kommun their rows name."""
    out = []
    for chunk in chunks:
        table = _table_of(chunk, loaded.tables)
        value = _value(chunk.text, column) if table is not None and column in table.columns else None
        if chunk.rows is None or table is None or not _is_data(chunk, table) or not value:
            out.append(chunk)
            continue
        out.append(dataclasses.replace(chunk, scope=kommun_scope(value), kommun=value))
    return out


def kommun_scope(value: str) -> str:
    """`kommun:<slug>` of a kommun name; UNKNOWN_KOMMUN when the value makes no valid scope."""
    try:
        return scopes.normalize(scopes.kommun_scope(value))
    except InvalidScope:
        return UNKNOWN_KOMMUN


def _table_of(item: Segment | Chunk, tables: Sequence[Table]) -> Table | None:
    """The table a row segment or chunk belongs to: its sheet's, or a CSV's only table."""
    if item.rows is None:
        return None
    if item.sheet is not None:
        return next((t for t in tables if t.name == item.sheet), None)
    return tables[0] if len(tables) == 1 else None


def _is_data(item: Segment | Chunk, table: Table) -> bool:
    return item.rows is not None and item.rows[0] > table.header_row


def _split(segment: Segment, column: str) -> list[Segment]:
    """`segment` cut into runs of lines with the same `column` value.

    Row numbers are exact when the segment's rows are consecutive (one line per row); otherwise
    each run keeps the segment's whole row range.
    """
    lines = segment.text.split("\n")
    assert segment.rows is not None
    first, last = segment.rows
    consecutive = last - first + 1 == len(lines)
    runs: list[tuple[int, int]] = []  # (start, end) line indexes
    for i, line in enumerate(lines):
        if runs and _value(line, column) == _value(lines[runs[-1][0]], column):
            runs[-1] = (runs[-1][0], i)
        else:
            runs.append((i, i))
    if len(runs) == 1:
        return [segment]
    return [dataclasses.replace(segment, text="\n".join(lines[a : b + 1]),
                                rows=(first + a, first + b) if consecutive else segment.rows)
            for a, b in runs]


def _value(text: str, column: str) -> str:
    """The `column` cell of a rendered row line ("Kommun: Åsele | …"); the first line's for a chunk."""
    prefix = f"{column}: "
    line = text.split("\n", 1)[0]
    return next((cell[len(prefix):].strip() for cell in line.split(" | ") if cell.startswith(prefix)), "")
