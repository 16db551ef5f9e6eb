"""The plan's table parts: insatser, their responsible actors and timeline, and the indicators.

Rows come whole from the current plans' table rows, and each row cites its own row. A fact is
shown once: the insatser table names the insats and its bristyrke, the responsible actor stands
under "Ansvar per insats" and the timing under "Tidplan". Rows whose timing lies before the
generation date, and indicator targets set for a date that has passed, are not carried forward:
they go to "Uppföljning av föregående plan" with a gap for the new target.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from assistant.draft.evidence import Row
from assistant.draft.parts import GAP, Block, Context
from assistant.draft.template import Part
from assistant.draft.timing import FOLLOW_UP, all_dates, past, when
from assistant.survey import markdown_table


def insatser(part: Part, ctx: Context) -> list[Block]:
    """The insatser of the current plan that are still ahead; past ones go to the follow-up."""
    found = [r for r in ctx.own_rows if "Insats" in r.cells]
    current = [r for r in found if not _done(r, ctx.today)]
    _follow_up_rows([r for r in (*found, *ctx.joint_rows) if _done(r, ctx.today)], ctx)
    if not current:
        return []
    header = ["Insats", "Bristyrke", "Källa"]
    body = [[r.cells["Insats"], r.cells.get("Koppling till bristyrke") or _gap("bristyrke anges inte i källan"),
             _source(r, ctx)] for r in current]
    return [Block("table", markdown_table(header, body))]


def joint_insatser(part: Part, ctx: Context) -> list[Block]:
    """Insatser in neighbours' plans that name the kommun and are still ahead."""
    found = [r for r in ctx.joint_rows if not _done(r, ctx.today)]
    if not found:
        return []
    header = ["Insats", "Ansvarig", "Ur plan för", "Källa"]
    body = [[r.cells.get("Insats", ""), r.cells.get("Ansvarig") or "–", r.passage.kommun or "–", _source(r, ctx)]
            for r in found]
    return [Block("table", markdown_table(header, body))]


def responsibilities(part: Part, ctx: Context) -> list[Block]:
    """Who is responsible for each insats still ahead."""
    found = [r for r in ctx.own_rows if "Insats" in r.cells and not _done(r, ctx.today)]
    lines = [f"- **{r.cells.get('Ansvarig') or _gap('ansvarig anges inte i källan')}**: {r.cells['Insats']} "
             f"{_source(r, ctx)}" for r in found]
    return [Block("list", "\n".join(lines))] if lines else []


def timeline(part: Part, ctx: Context) -> list[Block]:
    """The timing of the insatser still ahead, in date order."""
    found = [r for r in (*ctx.own_rows, *ctx.joint_rows) if "Insats" in r.cells and not _done(r, ctx.today)]
    if not found:
        return []
    ordered = sorted(found, key=lambda r: when(r.cells.get("Tidplan", "")) or date.max)
    header = ["Tidpunkt", "Insats", "Källa"]
    body = [[r.cells.get("Tidplan") or _gap("tidpunkt anges inte i källan"), r.cells["Insats"], _source(r, ctx)]
            for r in ordered]
    return [Block("table", markdown_table(header, body))]


def timeline_check(part: Part, ctx: Context) -> list[Block]:
    """A gap when insatser of the current plan have timings that have passed."""
    done = [r for r in (*ctx.own_rows, *ctx.joint_rows) if "Insats" in r.cells and _done(r, ctx.today)]
    if not done:
        return []
    return [ctx.gap(f"tidpunkter under {ctx.period.year} för de insatser som fortsätter; tidplanen i gällande "
                    f"plan ligger före {ctx.today.isoformat()} (se {FOLLOW_UP} under Prioriterade insatser)")]


def indicators(part: Part, ctx: Context) -> list[Block]:
    """The indicators of the current plan; targets set for a passed date go to the follow-up."""
    found = [r for r in ctx.own_rows if "Indikator" in r.cells]
    if not found:
        return []
    columns = list(dict.fromkeys(k for r in found for k in r.cells))
    names = {"Källa": "Datakälla"}
    stale = [c for c in columns if past(c, ctx.today)]
    if stale:
        header = [names.get(c, c) for c in columns] + [f"Ny målnivå {ctx.period.year}", "Källa"]
        body = [[r.cells.get(c) or "–" for c in columns] + [_gap(f"ny målnivå för {ctx.period.year}"),
                                                             _source(r, ctx)] for r in found]
        ctx.follow_up(Block("heading", f"#### Indikatorer i föregående plan ({', '.join(stale)})"),
                      Block("table", markdown_table(header, body)))
        return []
    header = [names.get(c, c) for c in columns] + ["Källa"]
    body = [[r.cells.get(c) or _gap(f"{names.get(c, c).lower()} anges inte i källan") for c in columns]
            + [_source(r, ctx)] for r in found]
    return [Block("table", markdown_table(header, body))]


def _follow_up_rows(rows: Sequence[Row], ctx: Context) -> None:
    if not rows:
        return
    header = ["Insats", "Planerat", "Ansvarig", f"Nytt mål {ctx.period.year}", "Källa"]
    body = []
    for r in rows:
        name = r.cells["Insats"] + (f" (plan för {r.passage.kommun})" if r.passage.kommun != ctx.kommun else "")
        body.append([name, r.cells.get("Tidplan") or "–", r.cells.get("Ansvarig") or "–",
                     _gap(f"nytt mål för {ctx.period.year}"), _source(r, ctx)])
    ctx.follow_up(Block("heading", f"#### Insatser med tidplan före {ctx.today.isoformat()}"),
                  Block("table", markdown_table(header, body)),
                  ctx.gap(f"för varje insats ovan: fortsätter den, avslutas den eller ersätts den under "
                          f"{ctx.period.year}, och med vilket mål"))


def _done(row: Row, today: date) -> bool:
    """True when a row's timing names dates and all of them lie before `today`."""
    timing = row.cells.get("Tidplan", "")
    return bool(all_dates(timing)) and past(timing, today)


def _source(row: Row, ctx: Context) -> str:
    return ctx.mark_of(row.passage.scope) + ctx.sources.row_marker(row.passage, row.line)


def _gap(text: str) -> str:
    return f"[{GAP}: {text}]"
