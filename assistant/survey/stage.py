"""The survey stage: count, rank and compare answers in survey tables with pandas, with cited figures.

A question such as "Vilka yrken har störst rekryteringsbehov inom tre år i Vilhelmina?" is parsed
into a `SurveyQuery`, computed over the best matching survey table (any table whose headers can be
matched to kommun, yrke/SSYK and rekryteringsbehov) and answered with the figure, its base (n), the
filter used and one citation of the table's row passages.

Small groups: a group (a kommun base, a kommun in a comparison, a yrke in a ranking) with fewer
than `MIN_RESPONDENTS` respondents is shown as "för få svar" unless the caller may see the raw rows
of every kommun in the group (scope `kommun:<slug>`). Respondents are distinct employers when the
table has an employer column, else distinct response ids, else rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import cast

import pandas as pd

from assistant.records import DocumentInfo, Passage, Table
from assistant.scopes import kommun_scope
from assistant.survey.cite import cite
from assistant.survey.columns import CanSeeRows, RowPassages, SurveyQuery, SurveyResult, SurveyTable, match_columns
from assistant.survey.compute import compute
from assistant.survey.frame import to_frame
from assistant.survey.parse import intent_of, parse_question
from assistant.text.fold import fold, padded, sv_key
from assistant.text.numbers import cell_text


def answer(question: str, tables: Sequence[tuple[DocumentInfo, Table]], caller_scopes: Sequence[str],
           row_passages: RowPassages) -> SurveyResult | None:
    """A computed, cited answer to a survey-figure question; None to fall back to retrieval.

    Only tables of documents within `caller_scopes` are read. When several survey tables can
    answer, the one holding rows of the asked kommun with the most rows is used (ties: the
    document of that kommun, then path and table name).
    """
    if intent_of(padded(question)) is None:  # most questions: no need to read any table
        return None
    scopes = set(caller_scopes)
    candidates = survey_tables(tables, scopes)
    if not candidates:
        return None
    kommuner, yrken = _known_values(candidates)
    query = parse_question(question, kommuner, yrken)
    if query is None:
        return None
    chosen = choose_table(candidates, query)
    if chosen is None:
        return None
    comp = compute(query, chosen.doc, chosen.table, chosen.cols, _row_visibility(scopes))
    if comp is None or not comp.positions:
        return None
    citation = cite(comp, chosen.doc, chosen.table, _table_passages(row_passages, chosen), query.kommun)
    if citation is None:
        return None
    return SurveyResult(comp.text, (citation,), comp.figures, comp.table_md)


def survey_tables(tables: Sequence[tuple[DocumentInfo, Table]], scopes: set[str]) -> list[SurveyTable]:
    """The survey-like tables among those the caller may read."""
    out = []
    for doc, table in tables:
        if doc.scope not in scopes:
            continue
        cols = match_columns(table.columns)
        if cols is not None and table.rows:
            out.append(SurveyTable(doc, table, cols))
    return out


def _known_values(candidates: Sequence[SurveyTable]) -> tuple[list[str], list[str]]:
    """Distinct kommun names, and yrke names plus SSYK codes (most answered first), over the tables."""
    frames = [to_frame(item.table, item.cols) for item in candidates]
    kommuner = pd.concat([f["kommun"] for f in frames])
    yrken = pd.concat([f[name] for f in frames for name in ("yrke", "ssyk")])
    return _by_frequency(kommuner), _by_frequency(yrken)


def _by_frequency(values: pd.Series) -> list[str]:
    """Distinct non-empty values, most frequent first, ties in Swedish alphabetical order."""
    counts = values[values != ""].value_counts()
    return sorted((str(v) for v in counts.index), key=lambda v: (-int(counts[v]), sv_key(v)))


def choose_table(candidates: Sequence[SurveyTable], query: SurveyQuery) -> SurveyTable | None:
    """Most rows among tables holding the asked kommuner; ties by the kommun's own document, then path."""
    wanted = {fold(k) for k in (query.kommuner or ((query.kommun,) if query.kommun else ()))}
    fitting = [c for c in candidates if wanted <= _table_kommuner(c)]
    if not fitting:
        return None
    own = fold(query.kommun) if query.kommun else None
    return min(fitting, key=lambda c: (-len(c.table.rows), fold(c.doc.kommun or "") != own, c.doc.path,
                                       c.table.name))


def _table_kommuner(item: SurveyTable) -> set[str]:
    index = item.table.columns.index(cast(str, item.cols.kommun))
    return {fold(cell_text(row[index])) for row in item.table.rows if index < len(row)}


def _row_visibility(scopes: set[str]) -> CanSeeRows:
    """Who sees raw rows: a caller holding `kommun:<slug>` sees that kommun's rows."""
    def can_see_rows(kommun: str | None) -> bool:
        return kommun is not None and kommun_scope(kommun) in scopes
    return can_see_rows


def _table_passages(row_passages: RowPassages, item: SurveyTable) -> list[Passage]:
    """Row passages of the table's sheet; a CSV's passages carry no sheet name."""
    found = row_passages(item.doc.doc_id, item.table.name)
    if not found:
        found = [p for p in row_passages(item.doc.doc_id, None) if p.sheet is None]
    return sorted(found, key=lambda p: p.rows or (0, 0))
