"""Compute a parsed survey question over one table: filter the base rows, then run the intent's handler."""

from __future__ import annotations

import pandas as pd

from assistant.records import DocumentInfo, Table
from assistant.survey.columns import CanSeeRows, SurveyColumns, SurveyComputation, SurveyQuery
from assistant.survey.frame import Context, to_frame, where
from assistant.survey.intents import HANDLERS
from assistant.text.fold import fold


def compute(query: SurveyQuery, doc: DocumentInfo, table: Table, cols: SurveyColumns,
            can_see_rows: CanSeeRows) -> SurveyComputation | None:
    """Figures for `query` over one survey table; None when the table lacks a column it needs."""
    frame = to_frame(table, cols)
    base = _filter(frame, query)
    if base.empty:
        return None
    ctx = Context(query, doc, cols, base, _filter_label(query, cols, base), where(query), can_see_rows, frame)
    return HANDLERS[query.intent](ctx)


def _filter(frame: pd.DataFrame, query: SurveyQuery) -> pd.DataFrame:
    """Rows of the asked municipalities and yrke."""
    kommuner = {fold(k) for k in (query.kommuner or ((query.kommun,) if query.kommun else ()))}
    mask = pd.Series(True, index=frame.index)
    if kommuner:
        mask &= frame["kommun"].map(fold).isin(kommuner)
    if query.yrke:
        mask &= (frame["yrke"].map(fold) == fold(query.yrke)) | (frame["ssyk"] == query.yrke)
    return frame[mask]


def _filter_label(query: SurveyQuery, cols: SurveyColumns, base: pd.DataFrame) -> str:
    """'Kommun = Åsele och Yrke = Undersköterskor', in the table's own column names."""
    parts = []
    kommuner = query.kommuner or ((query.kommun,) if query.kommun else ())
    if kommuner:
        spelled = {fold(k): k for k in base["kommun"]}
        parts.append(f"{cols.kommun} = {' eller '.join(spelled.get(fold(k), k) for k in kommuner)}")
    if query.yrke:
        by_code = cols.ssyk and query.yrke.isdigit()
        parts.append(f"{cols.ssyk if by_code else cols.yrke} = {query.yrke}")
    return " och ".join(parts) if parts else "inget (alla svar)"
