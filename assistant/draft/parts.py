"""The shared context of one draft's parts, and the text and survey parts as Markdown blocks.

Text parts quote the sources' own units (`draft.select`): a sentence or a whole list, each with
its `[n]`. Survey parts are computed with pandas (`draft.figures`). The plan's tables are in
`draft.tables`. Whatever the evidence does not give is written as "[Att komplettera: …]".
A sentence from a kommun's internal material carries the visible internal mark; a stale plan
sentence of the kommun's own plan goes to "Uppföljning av föregående plan" of its section.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property

from assistant.draft.evidence import Library, Row, Unit, mentions, rows, units
from assistant.draft.figures import SurveyOverview, overview
from assistant.draft.request import is_internal
from assistant.draft.select import Pick, Used, select
from assistant.draft.sources import SourceList
from assistant.draft.template import Evidence, Part, fill
from assistant.draft.timing import FOLLOW_UP, Period, document_date, stale, superseded
from assistant.records import INTERNAL_MARK, Passage
from assistant.survey import MIN_RESPONDENTS, markdown_table
from assistant.text.numbers import format_number, format_percent

GAP = "Att komplettera"
MARK = f"**[{INTERNAL_MARK}]**"
# A sentence that points at a table of its source ("samtliga fyra yrken i tabellen ovan"): the draft's
# tables are built anew, so such a sentence would not match the table above it.
_TABLE_REFERENCE = re.compile(r"\btabell(en|erna)?\s+(ovan|nedan|här)\b|\bi tabell(en)?\b|\bsamtliga \w+ yrken\b",
                              re.IGNORECASE)


@dataclass
class Block:
    """A piece of a section's Markdown. Prose blocks keep their sources for the LLM rewrite."""

    kind: str  # heading | prose | list | table | gap
    text: str
    passages: tuple[Passage, ...] = ()
    context: str = ""


@dataclass
class Context:
    """What every part of one draft shares: evidence, the source list, the period and the sentences used."""

    library: Library
    sources: SourceList
    period: Period
    used: Used = field(default_factory=Used)
    pending: list[Block] = field(default_factory=list)  # "Uppföljning av föregående plan" of the current section

    @property
    def kommun(self) -> str:
        """The municipality the plan is for."""
        return self.library.kommun

    @property
    def today(self) -> date:
        """The generation date."""
        return self.period.today

    @cached_property
    def survey(self) -> SurveyOverview | None:
        """Survey figures for the kommun, when the caller may read a survey table."""
        lexical = self.library.deps.index.lexical
        scopes = list(self.library.scopes)
        return overview(lexical.tables(scopes), scopes, self.kommun,
                        lambda doc_id, sheet: lexical.row_passages(doc_id, sheet, scopes))

    @cached_property
    def values(self) -> dict[str, str]:
        """Template placeholders: {kommun}, {bristyrken} and {år}."""
        top = self.survey.top_labels() if self.survey else []
        return {"kommun": self.kommun, "bristyrken": " ".join(top), "år": str(self.period.year)}

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

    @cached_property
    def reports(self) -> list[tuple[str, date | None]]:
        """Every retrieved sentence with the date of its document, to find newer reports of a status."""
        seen = {p.source_id: p for hits in self.library.hits.values() for p in hits}
        return [(u.text, self.written(p)) for p in seen.values() for u in units(p)]

    def written(self, passage: Passage) -> date | None:
        """When the passage's document was written (its validity start, else its year)."""
        doc = self.library.docs.get(passage.doc_id)
        return document_date(doc.valid_from, doc.year) if doc else None

    def gap(self, text: str) -> Block:
        """A visible "[Att komplettera: …]" paragraph."""
        return Block("gap", f"[{GAP}: {fill(text, self.values).rstrip('.')}.]")

    def mark_of(self, scope: str | None) -> str:
        """The internal mark (with a trailing space) for material of `scope`, else ''."""
        return MARK + " " if is_internal(scope) else ""

    def follow_up(self, *blocks: Block) -> None:
        """Blocks for this section's "Uppföljning av föregående plan"."""
        self.pending.extend(blocks)

    def take_follow_up(self) -> list[Block]:
        """The section's follow-up blocks (emptied), under their heading, with a gap for new targets."""
        if not self.pending:
            return []
        blocks = [Block("heading", "### Uppföljning av föregående plan"), *self.pending]
        if not any(GAP in b.text for b in self.pending):
            blocks.append(self.gap(f"nytt mål för {self.period.year} i stället för det som planerades ovan"))
        self.pending = []
        return blocks

    def current(self, unit: Unit) -> bool:
        """False for a status a newer source has overtaken, or a sentence pointing at a source's table."""
        return not _TABLE_REFERENCE.search(unit.text) and not superseded(
            unit.text, self.written(unit.passage), self.reports)

    def fresh(self, picks: Sequence[Pick]) -> list[Pick]:
        """The picks that still hold; a past plan or target of the kommun's own plan goes to the follow-up."""
        out = []
        for pick in picks:
            if not any(stale(u.text, self.today) for u in pick.units):
                out.append(pick)
                continue
            doc = self.library.docs.get(pick.units[0].passage.doc_id)
            if doc is not None and doc.type == "handlingsplan" and doc.kommun == self.kommun:
                self.follow_up(*render_picks([pick], self.sources, FOLLOW_UP))
        return out


# ----------------------------------------------------------------------------- text


def text(part: Part, ctx: Context) -> list[Block]:
    queries = [fill(q, ctx.values) for q in part.queries]
    candidates = ctx.library.candidates(part.evidence, queries)
    picks = ctx.fresh(select(part, candidates, ctx.values, ctx.used, keep=ctx.current))
    return render_picks(picks, ctx.sources, part.subheading or "")


def history(part: Part, ctx: Context) -> list[Block]:
    blocks = text(part, ctx)
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
                sentences.append(cited(lead + unit.text, _mark(unit) + sources.marker(unit.passage, lead + unit.text)))
                passages.append(unit.passage)
                lead = ""
            continue
        flush()
        lines = [cited(pick.intro.text, _mark(pick.intro) + sources.marker(pick.intro.passage, pick.intro.text))] \
            if pick.intro else []
        lines += ["- " + " ".join(cited(u.text, _mark(u) + sources.marker(u.passage, u.text)) for u in item)
                  for item in pick.items]
        blocks.append(Block("list", "\n".join(lines)))
    flush()
    return blocks


def _mark(unit: Unit) -> str:
    return MARK + " " if is_internal(unit.passage.scope) else ""


def cited(sentence: str, marker: str) -> str:
    """The sentence with its marker before the final full stop: 'Text [3].' ('Intro: [3]', 'Item [3]')."""
    if sentence[-1:] in ".!?":
        return f"{sentence[:-1]} {marker}{sentence[-1]}"
    return f"{sentence} {marker}"


# ----------------------------------------------------------------------------- survey


def survey(part: Part, ctx: Context) -> list[Block]:
    found = ctx.survey
    if found is not None:
        return _survey_blocks(found, ctx)
    found_rows = [r for r in ctx.own_rows if "Yrke (SSYK 2012)" in r.cells and _enough(r.cells.get("Antal svar"))]
    if not found_rows:
        return []
    columns = list(dict.fromkeys(k for r in found_rows for k in r.cells))
    table = markdown_table([*columns, "Källa"], [[r.cells.get(c) or "–" for c in columns]
                                                 + [ctx.mark_of(r.passage.scope)
                                                    + ctx.sources.row_marker(r.passage, r.line)]
                                                 for r in found_rows])
    return [Block("gap", f"[{GAP}: beräkning ur enkätens svar saknas i det underlag du har tillgång till; "
                         f"siffrorna nedan är citerade ur den gällande planen.]"),
            Block("table", table)]


def _enough(cell: str | None) -> bool:
    """False for a plan table's row with fewer than five answers ("för få svar" in a public document)."""
    digits = re.sub(r"\D", "", (cell or "").split("(")[0])
    return not digits or int(digits) >= MIN_RESPONDENTS


def _survey_blocks(found: SurveyOverview, ctx: Context) -> list[Block]:
    s = ctx.sources.add(found.citation)
    m = ctx.mark_of(found.citation.scope)
    total = found.total
    lead = (f"I arbetsgivarenkäten svarade {format_number(total.respondents)} arbetsgivare i {found.kommun} "
            f"(n = {format_number(total.n)} svar) {m}[{s}]. Tillsammans behöver de rekrytera "
            f"{format_number(total.behov_12)} personer de närmaste 12 månaderna och "
            f"{format_number(total.behov_3)} personer inom tre år {m}[{s}].")
    if total.rated:
        lead += (f" {format_percent(total.hard / total.rated)} av dem som bedömt svårigheten "
                 f"({format_number(total.hard)} av {format_number(total.rated)}) har svårt eller mycket svårt att "
                 f"rekrytera, det vill säga 4 eller 5 på skalan 1–5 {m}[{s}].")
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
    small = f.respondents < MIN_RESPONDENTS  # shown only in an internal draft, to a holder of the kommun's scope
    refs = (MARK + " " if small else ctx.mark_of(found.citation.scope)) + f"[{s}]"
    barometer = "–"
    if assessment is not None:
        barometer = assessment.rekryteringssituation + (f", prognos: {assessment.prognos}" if assessment.prognos else "")
        refs += f"[{ctx.sources.add(assessment.citation)}]"
    return [label, format_number(f.n), format_number(f.behov_12), format_number(f.behov_3), hard, barometer, refs]


def survey_baseline(part: Part, ctx: Context) -> list[Block]:
    found = ctx.survey
    if found is None or not found.total.rated:
        return []
    s = ctx.sources.add(found.citation)
    t = found.total
    return [Block("prose", f"Beräknat ur enkätens svar är utgångsläget för andelen arbetsgivare i {found.kommun} som "
                           f"har svårt eller mycket svårt att rekrytera (4 eller 5 på skalan 1–5) "
                           f"{format_percent(t.hard / t.rated)}, {format_number(t.hard)} av "
                           f"{format_number(t.rated)} svar [{s}].")]
