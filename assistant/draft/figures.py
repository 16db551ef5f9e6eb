"""Section 2's figures: rekryteringsbehov per yrke for one kommun, computed with pandas from the
survey table the caller may read, next to the yrkesbarometer's assessment of the same yrken.

The small-group rule of `assistant.survey` applies: a yrke with fewer than five respondents is
shown as "för få svar" unless the caller holds the kommun's own scope.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import pandas as pd

from assistant import survey
from assistant.cite import table_citation
from assistant.records import Citation, DocumentInfo, Passage, Table
from assistant.scopes import kommun_scope
from assistant.survey.cite import cite
from assistant.text.fold import fold

RowPassages = Callable[[str, str | None], list[Passage]]
MAX_YRKEN = 10


@dataclass(frozen=True)
class Figures:
    """Counts and needs of one group of survey rows."""

    label: str
    ssyk: str
    n: int
    respondents: int
    behov_12: float
    behov_3: float
    hard: int
    rated: int
    visible: bool


@dataclass(frozen=True)
class Assessment:
    """The yrkesbarometer's view of one yrke, with its cited row passage."""

    rekryteringssituation: str
    prognos: str
    citation: Citation


@dataclass(frozen=True)
class SurveyOverview:
    """Per-yrke figures for one kommun, largest three-year need first, plus the total."""

    doc: DocumentInfo
    kommun: str
    yrken: tuple[Figures, ...]
    others: Figures | None
    total: Figures
    citation: Citation
    assessments: dict[str, Assessment]

    def top_labels(self, count: int = 3) -> list[str]:
        """The largest visible yrken, by the name before any comma ("Undersköterskor"), for retrieval."""
        return [y.label.split(",")[0] for y in self.yrken if y.visible][:count]


def overview(tables: Sequence[tuple[DocumentInfo, Table]], scopes: Sequence[str], kommun: str,
             row_passages: RowPassages) -> SurveyOverview | None:
    """The kommun's survey figures from the best table the caller may read; None without one."""
    candidates = survey.survey_tables(tables, set(scopes))
    chosen = survey.choose_table(candidates, survey.SurveyQuery(intent="topp_behov", kommun=kommun))
    if chosen is None:
        return None
    frame = survey.to_frame(chosen.table, chosen.cols)
    base = frame[frame["kommun"].map(fold) == fold(kommun)]
    if base.empty:
        return None
    def can_see(name: str | None) -> bool:
        return name is not None and kommun_scope(name) in set(scopes)

    total = _figures("Totalt", "", base, can_see)
    if not total.visible:
        return None
    groups = sorted((_figures(str(g["yrke_label"].iloc[0]), str(g["ssyk"].iloc[0]), g, can_see)
                     for _, g in base.groupby("yrke_key", sort=False)),
                    key=lambda f: (not f.visible, -f.behov_3, _sv_key(f.label)))
    visible = [g for g in groups if g.visible]
    hidden = [g for g in groups if not g.visible]
    shown = visible[:MAX_YRKEN] + hidden
    overflow = {g.ssyk or g.label for g in visible[MAX_YRKEN:]}
    rest = base[base["yrke_key"].isin(overflow)]
    others = _figures(f"Övriga yrken ({len(overflow)} st.)", "", rest, can_see) if len(rest) else None
    citation = _survey_citation(chosen.doc, chosen.table, chosen.cols.kommun or "Kommun", base, kommun,
                                row_passages)
    if citation is None:
        return None
    return SurveyOverview(chosen.doc, kommun, tuple(shown), others, total, citation,
                          assessments(tables, scopes, {g.ssyk for g in shown}, row_passages))


def _figures(label: str, ssyk: str, group: pd.DataFrame, can_see: Callable[[str | None], bool]) -> Figures:
    rated = group["svarighet"].dropna()
    return Figures(label=label, ssyk=ssyk, n=len(group), respondents=survey.respondents(group),
                   behov_12=float(group["behov_12"].sum()), behov_3=float(group["behov_3"].sum()),
                   hard=int((rated >= 4).sum()), rated=len(rated), visible=survey.visible(group, can_see))


def _survey_citation(doc: DocumentInfo, table: Table, kommun_column: str, base: pd.DataFrame, kommun: str,
                     row_passages: RowPassages) -> Citation | None:
    """Citation of the computation: a row passage of the kommun, the filter and the row span."""
    comp = survey.SurveyComputation(
        text="", figures={}, table_md="", filter_label=f"{kommun_column} = {kommun}",
        positions=tuple(int(p) for p in base["pos"]), quote_columns=(kommun_column,),
    )
    passages = row_passages(doc.doc_id, table.name)
    if not passages:
        passages = [p for p in row_passages(doc.doc_id, None) if p.sheet is None]
    return cite(comp, doc, table, sorted(passages, key=lambda p: p.rows or (0, 0)), kommun)


def assessments(tables: Sequence[tuple[DocumentInfo, Table]], scopes: Sequence[str], codes: set[str],
                row_passages: RowPassages) -> dict[str, Assessment]:
    """SSYK code → the yrkesbarometer's assessment, for the codes asked, from a visible bristlista."""
    out: dict[str, Assessment] = {}
    for doc, table in tables:
        if doc.type != "bristlista" or doc.scope not in scopes:
            continue
        columns = {fold(c): c for c in table.columns}
        if "ssyk" not in columns or "rekryteringssituation" not in columns:
            continue
        passages = row_passages(doc.doc_id, None)
        for row in table.rows:
            cells = dict(zip(table.columns, row, strict=False))
            code = _cell(cells.get(columns["ssyk"]))
            if code not in codes or code in out:
                continue
            citation = _row_citation(doc, code, passages)
            if citation is not None:
                out[code] = Assessment(str(cells.get(columns["rekryteringssituation"], "")).strip(),
                                       str(cells.get(columns.get("prognos", ""), "") or "").strip(), citation)
    return out


def _cell(value: object) -> str:
    """A cell as text, integers without decimals: 5321.0 → '5321'."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return "" if value is None else str(value).strip()


def _sv_key(text: str) -> str:
    """Sort key in Swedish alphabetical order (å, ä, ö after z)."""
    return text.lower().translate(str.maketrans("åäö", "{|}"))


def _row_citation(doc: DocumentInfo, code: str, passages: Sequence[Passage]) -> Citation | None:
    """The row passage holding `ssyk: <code>`, quoting the row's own text (or the whole row)."""
    for passage in passages:
        for line in passage.text.splitlines():
            cells = line.split(" | ")
            if f"ssyk: {code}" not in cells:
                continue
            # The whole row, so the citation holds the yrke it is cited for (never a neighbour's row).
            return table_citation(passage, doc, line.strip(), f"ssyk {code}", doc.kommun)
    return None
