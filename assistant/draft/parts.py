"""Build each part of a section as Markdown blocks with draft-wide `[n]` markers.

Text parts quote the sources' own sentences (`draft.select`); table parts come from the table
rows of the current plans (insatser, indicators) or from survey figures computed with pandas
(`draft.figures`). Whatever the evidence does not give is written as "[Att komplettera: …]".
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property

from assistant.draft.evidence import Library, Row, mentions, rows
from assistant.draft.figures import SurveyOverview, overview
from assistant.draft.select import Pick, Used, select
from assistant.draft.sources import SourceList
from assistant.draft.template import Evidence, Part, fill
from assistant.records import Passage
from assistant.survey import markdown_table
from assistant.text.numbers import format_number, format_percent

GAP = "Att komplettera"
_DATE = re.compile(r"(20\d\d)-(\d\d)(?:-(\d\d))?")
_SEASON = re.compile(r"(våren|sommaren|hösten|vintern)\s+(20\d\d)", re.IGNORECASE)
_SEASON_MONTH = {"våren": 3, "sommaren": 6, "hösten": 9, "vintern": 12}


@dataclass
class Block:
    """A piece of a section's Markdown. Prose blocks keep their sources for the LLM rewrite."""

    kind: str  # heading | prose | list | table | gap
    text: str
    passages: tuple[Passage, ...] = ()
    context: str = ""


@dataclass
class Context:
    """What every part of one draft shares: evidence, the source list and the sentences used."""

    library: Library
    sources: SourceList
    today: date
    used: Used = field(default_factory=Used)

    @property
    def kommun(self) -> str:
        """The municipality the plan is for."""
        return self.library.kommun

    @cached_property
    def survey(self) -> SurveyOverview | None:
        """Survey figures for the kommun, when the caller may read a survey table."""
        lexical = self.library.deps.index.lexical
        scopes = list(self.library.scopes)
        return overview(lexical.tables(scopes), scopes, self.kommun,
                        lambda doc_id, sheet: lexical.row_passages(doc_id, sheet, scopes))

    @cached_property
    def values(self) -> dict[str, str]:
        """Template placeholders: {kommun} and {bristyrken}."""
        top = self.survey.top_labels() if self.survey else []
        return {"kommun": self.kommun, "bristyrken": " ".join(top)}

    @cached_property
    def own_rows(self) -> list[Row]:
        """Table rows of the kommun's current plan."""
        plan = self.library.own_plan()
        return [r for p in self.library.document_passages(plan.doc_id) for r in rows(p)] if plan else []

    @cached_property
    def joint_rows(self) -> list[Row]:
        """Insatser in other kommuners' current plans that name this kommun."""
        out = []
        for doc in self.library.documents(Evidence(types=("handlingsplan",), kommun="other")):
            for passage in self.library.document_passages(doc.doc_id):
                out += [r for r in rows(passage) if "Insats" in r.cells and mentions(r.line, self.kommun)]
        return out

    def gap(self, text: str) -> Block:
        """A visible "[Att komplettera: …]" paragraph."""
        return Block("gap", f"[{GAP}: {fill(text, self.values).rstrip('.')}.]")


def build(part: Part, ctx: Context) -> list[Block]:
    """The blocks of one part, under its subheading when it has content."""
    blocks = _BUILDERS[part.kind](part, ctx)
    if not blocks and part.missing:
        blocks = [ctx.gap(part.missing)]
    if blocks and part.subheading:
        blocks.insert(0, Block("heading", f"### {fill(part.subheading, ctx.values)}"))
    return blocks


# ----------------------------------------------------------------------------- text


def _text(part: Part, ctx: Context) -> list[Block]:
    queries = [fill(q, ctx.values) for q in part.queries]
    candidates = ctx.library.candidates(part.evidence, queries)
    picks = select(part, candidates, ctx.values, ctx.used)
    return render_picks(picks, ctx.sources, part.subheading or "")


def _history(part: Part, ctx: Context) -> list[Block]:
    blocks = _text(part, ctx)
    if blocks:
        blocks.insert(0, Block("heading", "### Tidigare plan (ersatt, endast som historik)"))
    return blocks


def render_picks(picks: Sequence[Pick], sources: SourceList, context: str) -> list[Block]:
    """Sentences as one prose paragraph, lists as Markdown lists, each sentence with its `[n]`."""
    blocks: list[Block] = []
    sentences: list[str] = []
    passages: list[Passage] = []

    def flush() -> None:
        if sentences:
            blocks.append(Block("prose", " ".join(sentences), tuple(dict.fromkeys(passages)), context))
            sentences.clear()
            passages.clear()

    for pick in picks:
        if not pick.is_list:
            lead = ""
            for unit in pick.units:
                if unit.intro and unit is not pick.units[-1]:  # "Störst är behovet av X:" + "145 personer …"
                    lead += unit.text + " "
                    continue
                sentences.append(cited(lead + unit.text, sources.marker(unit.passage, lead + unit.text)))
                passages.append(unit.passage)
                lead = ""
            continue
        flush()
        lines = [cited(pick.intro.text, sources.marker(pick.intro.passage, pick.intro.text))] if pick.intro else []
        lines += ["- " + " ".join(cited(u.text, sources.marker(u.passage, u.text)) for u in item) for item in pick.items]
        blocks.append(Block("list", "\n".join(lines)))
    flush()
    return blocks


def cited(sentence: str, marker: str) -> str:
    """The sentence with its marker before the final full stop: 'Text [3].' ('Intro: [3]', 'Item [3]')."""
    if sentence[-1:] in ".!?":
        return f"{sentence[:-1]} {marker}{sentence[-1]}"
    return f"{sentence} {marker}"


# ----------------------------------------------------------------------------- survey


def _survey(part: Part, ctx: Context) -> list[Block]:
    found = ctx.survey
    if found is not None:
        return _survey_blocks(found, ctx)
    table = _row_table([r for r in ctx.own_rows if "Yrke (SSYK 2012)" in r.cells], ctx, {})
    if not table:
        return []
    return [Block("gap", f"[{GAP}: beräkning ur enkätens svar saknas i det underlag du har tillgång till; "
                         f"siffrorna nedan är citerade ur den gällande planen.]"),
            Block("table", table)]


def _survey_blocks(found: SurveyOverview, ctx: Context) -> list[Block]:
    s = ctx.sources.add(found.citation)
    total = found.total
    lead = (f"I arbetsgivarenkäten svarade {format_number(total.respondents)} arbetsgivare i {found.kommun} "
            f"(n = {format_number(total.n)} svar) [{s}]. Tillsammans behöver de rekrytera "
            f"{format_number(total.behov_12)} personer de närmaste 12 månaderna och "
            f"{format_number(total.behov_3)} personer inom tre år [{s}].")
    if total.rated:
        lead += (f" {format_percent(total.hard / total.rated)} av dem som bedömt svårigheten "
                 f"({format_number(total.hard)} av {format_number(total.rated)}) har svårt eller mycket svårt att "
                 f"rekrytera, det vill säga 4 eller 5 på skalan 1–5 [{s}].")
    header = ["Yrke (SSYK)", "Svar (n)", "Behov 12 mån", "Behov 3 år", "Svårt att rekrytera (4–5)",
              "Yrkesbarometern län 24", "Källa"]
    body = [_survey_row(f, found, ctx, s) for f in (*found.yrken, *([found.others] if found.others else ()))]
    body.append(_survey_row(total, found, ctx, s))
    blocks = [Block("prose", lead), Block("table", markdown_table(header, body))]
    if any(not f.visible for f in (*found.yrken, *([found.others] if found.others else ()))):
        blocks.append(Block("prose", f"Grupper med färre än fem svarande redovisas som ”för få svar” [{s}]."))
    return blocks


def _survey_row(f, found: SurveyOverview, ctx: Context, s: int) -> list[str]:  # type: ignore[no-untyped-def]
    label = f"{f.label} ({f.ssyk})" if f.ssyk else f.label
    if not f.visible:
        return [label, "för få svar", "för få svar", "för få svar", "för få svar", "–", f"[{s}]"]
    hard = f"{format_percent(f.hard / f.rated)}" if f.rated else "–"
    assessment = found.assessments.get(f.ssyk)
    refs = f"[{s}]"
    barometer = "–"
    if assessment is not None:
        barometer = assessment.rekryteringssituation + (f", prognos: {assessment.prognos}" if assessment.prognos else "")
        refs += f"[{ctx.sources.add(assessment.citation)}]"
    return [label, format_number(f.n), format_number(f.behov_12), format_number(f.behov_3), hard, barometer, refs]


def _survey_baseline(part: Part, ctx: Context) -> list[Block]:
    found = ctx.survey
    if found is None or not found.total.rated:
        return []
    s = ctx.sources.add(found.citation)
    t = found.total
    return [Block("prose", f"Beräknat ur enkätens svar är utgångsläget för andelen arbetsgivare i {found.kommun} som "
                           f"har svårt eller mycket svårt att rekrytera (4 eller 5 på skalan 1–5) "
                           f"{format_percent(t.hard / t.rated)}, {format_number(t.hard)} av "
                           f"{format_number(t.rated)} svar [{s}].")]


# ----------------------------------------------------------------------------- plan tables


def _insatser(part: Part, ctx: Context) -> list[Block]:
    found = [r for r in ctx.own_rows if "Insats" in r.cells]
    names = {"Ansvarig": "Föreslagen ansvarig", "Koppling till bristyrke": "Bristyrke"}
    table = _row_table(found, ctx, names, required=("Ansvarig", "Tidplan"))
    return [Block("table", table)] if table else []


def _joint_insatser(part: Part, ctx: Context) -> list[Block]:
    found = ctx.joint_rows
    if not found:
        return []
    header = ["Insats", "Ansvarig", "Tidplan", "Ur plan för", "Källa"]
    body = [[r.cells.get("Insats", ""), r.cells.get("Ansvarig", "–"), r.cells.get("Tidplan", "–"),
             r.passage.kommun or "–", ctx.sources.marker(r.passage, r.claim)] for r in found]
    return [Block("table", markdown_table(header, body))]


def _responsibilities(part: Part, ctx: Context) -> list[Block]:
    found = [r for r in ctx.own_rows if "Insats" in r.cells and r.cells.get("Ansvarig")]
    lines = [f"- **{r.cells['Ansvarig']}**: {r.cells['Insats']} {ctx.sources.marker(r.passage, r.claim)}"
             for r in found]
    return [Block("list", "\n".join(lines))] if lines else []


def _timeline(part: Part, ctx: Context) -> list[Block]:
    found = [r for r in (*ctx.own_rows, *ctx.joint_rows) if "Insats" in r.cells and r.cells.get("Tidplan")]
    if not found:
        return []
    ordered = sorted(found, key=lambda r: when(r.cells["Tidplan"]) or date.max)
    header = ["Tidpunkt", "Insats", "Ansvarig", "Källa"]
    body = [[r.cells["Tidplan"], r.cells["Insats"], r.cells.get("Ansvarig", "–"),
             ctx.sources.marker(r.passage, r.claim)] for r in ordered]
    return [Block("table", markdown_table(header, body))]


def _timeline_check(part: Part, ctx: Context) -> list[Block]:
    dates = [d for r in (*ctx.own_rows, *ctx.joint_rows) if "Tidplan" in r.cells
             for d in all_dates(r.cells["Tidplan"])]
    if dates and max(dates) < ctx.today:
        return [ctx.gap(f"tidpunkterna i gällande plan ligger före {ctx.today.isoformat()}; "
                        f"ange insatsernas tidplan för den nya planperioden")]
    return []


def _indicators(part: Part, ctx: Context) -> list[Block]:
    found = [r for r in ctx.own_rows if "Indikator" in r.cells]
    table = _row_table(found, ctx, {"Källa": "Datakälla"})
    return [Block("table", table)] if table else []


def _row_table(found: Sequence[Row], ctx: Context, names: dict[str, str],
               required: Sequence[str] = ()) -> str:
    """Rows as a Markdown table (columns as in the source, renamed by `names`) with a Källa column."""
    if not found:
        return ""
    columns = list(dict.fromkeys([*(k for r in found for k in r.cells), *required]))
    header = [names.get(c, c) for c in columns] + ["Källa"]
    body = [[r.cells.get(c) or f"[{GAP}: {names.get(c, c).lower()} anges inte i källan]" for c in columns]
            + [ctx.sources.marker(r.passage, r.claim)] for r in found]
    return markdown_table(header, body)


def when(text: str) -> date | None:
    """The first date a timing cell names: '2025-09-01', '2026-01', 'hösten 2025' (approximate)."""
    found = all_dates(text)
    return found[0] if found else None


def all_dates(text: str) -> list[date]:
    """Every date a timing text names, in order of appearance (seasons and months approximated)."""
    hits: list[tuple[int, date]] = []
    for m in _DATE.finditer(text):
        try:
            hits.append((m.start(), date(int(m.group(1)), int(m.group(2)), int(m.group(3) or 1))))
        except ValueError:
            continue
    for m in _SEASON.finditer(text):
        hits.append((m.start(), date(int(m.group(2)), _SEASON_MONTH[m.group(1).lower()], 1)))
    return [d for _, d in sorted(hits)]


_BUILDERS: dict[str, Callable[[Part, Context], list[Block]]] = {
    "text": _text,
    "history": _history,
    "survey": _survey,
    "survey_baseline": _survey_baseline,
    "insatser": _insatser,
    "joint_insatser": _joint_insatser,
    "responsibilities": _responsibilities,
    "timeline": _timeline,
    "timeline_check": _timeline_check,
    "indicators": _indicators,
}
