"""Survey tables as pandas DataFrames, small-group suppression and the shared pieces of every figure.

Small groups: a group with fewer than `MIN_RESPONDENTS` respondents is shown as "för få svar"
(`visible`, `suppressed_result`) unless the caller may see the raw rows of every kommun in it.
Complementary suppression: a figure over several kommuner that includes a hidden kommun (the total
of all kommuner, say) is hidden too, so the hidden figure cannot be got by subtracting the kommuner
shown from it (`visible` with `full`); in a ranking of yrken, one hidden yrke is never alone
(`intents._yrke_groups` hides the smallest shown yrke with it).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from assistant.records import DocumentInfo, Table
from assistant.survey.columns import (
    MIN_RESPONDENTS,
    TOO_FEW,
    CanSeeRows,
    Horizon,
    SurveyColumns,
    SurveyComputation,
    SurveyQuery,
)
from assistant.text.fold import fold, sv_key
from assistant.text.numbers import cell_text, to_number


def to_frame(table: Table, cols: SurveyColumns) -> pd.DataFrame:
    """The table as a DataFrame of canonical survey fields; needs and difficulty as floats.

    Columns: pos (row index), row (spreadsheet row number), kommun, yrke_key, yrke_label, employer,
    behov_12, behov_3, svarighet and the interest fields present; text fields are stripped strings.
    """
    header = list(table.columns)
    records = [tuple(row) + ("",) * (len(header) - len(row)) for row in table.rows]

    def column(name: str | None) -> list[Any]:
        index = header.index(name) if name in header else None
        return [r[index] if index is not None else "" for r in records]

    data: dict[str, Any] = {
        "pos": list(range(len(records))),
        "row": [table.header_row + 1 + i for i in range(len(records))],
        "kommun": [cell_text(v) for v in column(cols.kommun)],
        "yrke": [cell_text(v) for v in column(cols.yrke)],
        "ssyk": [cell_text(v) for v in column(cols.ssyk)],
        "employer": [cell_text(v) for v in column(cols.employer or cols.respondent)],
    }
    for name in ("behov_12", "behov_3", "svarighet"):
        data[name] = [to_number(v) for v in column(getattr(cols, name))]
    for name in ("intresse_validering", "intresse_yrkesvux", "intresse_yh"):
        data[name] = [cell_text(v) for v in column(getattr(cols, name))]
    frame = pd.DataFrame(data)
    frame["yrke_key"] = frame["ssyk"].where(frame["ssyk"] != "", frame["yrke"])
    frame["yrke_label"] = _labels(frame)
    return frame


def _labels(frame: pd.DataFrame) -> pd.Series:
    """Display name per yrke key: its most common yrke text, else 'SSYK <code>'."""
    labels: dict[str, str] = {}
    for key, group in frame.groupby("yrke_key", sort=False):
        names = group["yrke"][group["yrke"] != ""]
        if len(names):
            counts = names.value_counts()
            top = sorted(counts[counts == counts.max()].index, key=sv_key)
            labels[str(key)] = str(top[0])
        else:
            labels[str(key)] = f"SSYK {key}" if str(key) else "(uppgift saknas)"
    return frame["yrke_key"].map(labels)


def respondents(frame: pd.DataFrame) -> int:
    """Distinct employers (or response ids); a row without one counts as its own respondent."""
    named = frame["employer"][frame["employer"] != ""]
    return int(named.map(fold).nunique()) + int((frame["employer"] == "").sum())


def visible(frame: pd.DataFrame, can_see_rows: CanSeeRows, full: pd.DataFrame | None = None) -> bool:
    """True when a group's figures may be shown: enough respondents, or the caller sees its rows.

    With `full` (the whole table), a group must also not reveal a hidden kommun by difference: a
    figure over several kommuner may not include one that `hidden_kommuner` hides.
    """
    if not _enough(frame, can_see_rows):
        return False
    if full is None:
        return True
    group = {fold(k) for k in frame["kommun"]}
    if len(group) < 2:
        return True
    keys = set(frame["yrke_key"])
    # A one-yrke group is compared with the same yrke in the other kommuner, else the whole table.
    partition = full[full["yrke_key"].isin(keys)] if len(keys) == 1 and full["yrke_key"].nunique() > 1 else full
    return not group & hidden_kommuner(partition, can_see_rows)


def _enough(frame: pd.DataFrame, can_see_rows: CanSeeRows) -> bool:
    if respondents(frame) >= MIN_RESPONDENTS:
        return True
    kommuner = {k or None for k in frame["kommun"]}
    return bool(kommuner) and all(can_see_rows(k) for k in kommuner)


def hidden_kommuner(partition: pd.DataFrame, can_see_rows: CanSeeRows) -> set[str]:
    """Folded names of the kommuner in `partition` with too few respondents whose rows the caller
    may not see: their figures are hidden, alone or inside any sum over several kommuner."""
    return {fold(str(name)) for name, group in partition.groupby("kommun", sort=False)
            if not can_see_rows(str(name) or None) and respondents(group) < MIN_RESPONDENTS}


@dataclass(frozen=True)
class Context:
    """Everything an intent handler needs."""

    query: SurveyQuery
    doc: DocumentInfo
    cols: SurveyColumns
    base: pd.DataFrame
    filter_label: str
    where: str
    can_see_rows: CanSeeRows
    full: pd.DataFrame | None = None  # the whole table: complementary suppression compares with it


def in_sentence(name: str) -> str:
    """An occupation name inside a sentence: 'Lastbilsförare m.fl.' → 'lastbilsförare m.fl.' (not 'IT-…')."""
    return name[:1].lower() + name[1:] if name[1:2].islower() else name


def where(query: SurveyQuery) -> str:
    kommuner = query.kommuner or ((query.kommun,) if query.kommun else ())
    if not kommuner:
        return "i alla kommuner i enkäten"
    return "i " + join_names(list(kommuner))


def join_names(items: Sequence[str]) -> str:
    """'A', 'A och B', 'A, B och C'."""
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " och " + items[-1]


def need_column(ctx: Context) -> tuple[str, Horizon] | None:
    """(frame column, horizon) to sum: the asked horizon, else three years, else 12 months."""
    available: dict[Horizon, str | None] = {"12": ctx.cols.behov_12, "3": ctx.cols.behov_3}
    order: list[Horizon] = [ctx.query.horizon] if ctx.query.horizon else []
    order += ["3", "12"]
    for horizon in order:
        if available[horizon]:
            return ("behov_12" if horizon == "12" else "behov_3"), horizon
    return None


def horizon_phrase(horizon: Horizon) -> str:
    return "de närmaste 12 månaderna" if horizon == "12" else "inom tre år"


def header_of(ctx: Context, column: str) -> str:
    return str(getattr(ctx.cols, column))


def unit_word(ctx: Context) -> str:
    """What a respondent is: employers when the table names them."""
    return "arbetsgivare" if ctx.cols.employer else "svar"


def suppressed_result(ctx: Context, what: str, headers: Sequence[str]) -> SurveyComputation:
    """The answer for a base too small to show: no figure anywhere, not even the row span."""
    title = ctx.doc.title
    why = (f"färre än {MIN_RESPONDENTS} svarande" if respondents(ctx.base) < MIN_RESPONDENTS else
           f"summan skulle avslöja en kommun med färre än {MIN_RESPONDENTS} svarande")
    text = f"Enligt {title} kan {what} {ctx.where} inte redovisas: {TOO_FEW} ({why}; filter: {ctx.filter_label}) [1]."
    table_md = markdown_table(["Filter", *headers], [[ctx.filter_label, *([TOO_FEW] * len(headers))]])
    figures = {"intent": ctx.query.intent, "kommun": ctx.query.kommun, "filter": ctx.filter_label,
               "suppressed": True, "min_respondents": MIN_RESPONDENTS}
    return SurveyComputation(text, figures, table_md, ctx.filter_label, _positions(ctx.base),
                             _quote_columns(ctx), suppressed=True)


def _positions(frame: pd.DataFrame) -> tuple[int, ...]:
    return tuple(int(p) for p in frame["pos"])


def _quote_columns(ctx: Context) -> tuple[str, ...]:
    """The kommun column (quoted), then the yrke filter column when a yrke is asked."""
    columns = [ctx.cols.kommun]
    if ctx.query.yrke:
        columns.append(ctx.cols.ssyk if ctx.query.yrke.isdigit() and ctx.cols.ssyk else ctx.cols.yrke)
    return tuple(c for c in columns if c)


def figures_result(ctx: Context, text: str, figures: dict[str, Any], table_md: str) -> SurveyComputation:
    base = {"intent": ctx.query.intent, "kommun": ctx.query.kommun, "filter": ctx.filter_label,
            "suppressed": False}
    return SurveyComputation(text, {**base, **figures}, table_md, ctx.filter_label, _positions(ctx.base),
                             _quote_columns(ctx))


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A Markdown table; '|' in cells is escaped."""
    def line(cells: Sequence[str]) -> str:
        return "| " + " | ".join(str(c).replace("|", "\\|") for c in cells) + " |"
    return "\n".join([line(header), line(["---"] * len(header)), *(line(r) for r in rows)])
