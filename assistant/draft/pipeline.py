"""The `draft` stage: a handlingsplan draft for one kommun, section by section, with cited sources.

The template (`prompts/handlingsplan.yaml`) lists each section's parts. Every part is filled from
the evidence the draft may use: by default (`publik`) only publik and projekt material, whatever
the caller holds, since a handlingsplan is a public document once adopted; `intern` also uses the
kommun's own internal material and marks each such sentence. Parts quote the sources' own
sentences and lists (`draft.select`), the rows of the current plans (`draft.tables`) and survey
figures computed with pandas (`draft.figures`). What the evidence does not give is written as
"[Att komplettera: …]". The draft plans for one period (default: the next calendar year); plans
and targets that have passed go to "Uppföljning av föregående plan". Replaced documents appear
only as history in Bakgrund. With an LLM configured, prose paragraphs are rewritten and checked
like answers (`draft.rewrite`); a section whose rewrite fails stays extractive (`fallback`).

>>> d = draft(service.deps, "Åsele", None, ("publik",))            # doctest: +SKIP
>>> [s.key for s in d.sections][:2], d.citations[0].n
(['bakgrund', 'nulage'], 1)
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date

from assistant.deps import Deps
from assistant.draft.builders import build
from assistant.draft.evidence import Library
from assistant.draft.parts import GAP, Block, Context
from assistant.draft.request import (
    PUBLIC_DRAFT,
    SECTION_KEYS,
    check_access,
    check_kommun,
    check_sections,
    check_year,
    draft_scopes,
)
from assistant.draft.rewrite import rewrite
from assistant.draft.sources import SourceList, section_sources
from assistant.draft.template import SectionSpec, fill, load_template
from assistant.draft.timing import plan_period
from assistant.records import Draft, DraftSection


def draft(deps: Deps, kommun: str, avsnitt: Sequence[str] | None, scopes: Sequence[str], *,
          today: date | None = None, year: int | None = None, access: str = PUBLIC_DRAFT) -> Draft:
    """A draft of the plan's sections (`avsnitt`, default all) for `kommun` and plan `year`.

    `access` is `publik` (only publik and projekt material, small survey groups hidden) or
    `intern` (also the kommun's internal material, marked; needs the kommun's scope in `scopes`).
    """
    name = check_kommun(kommun)
    specs = _sections(avsnitt)
    access = check_access(access)
    period = plan_period(today or date.today(), check_year(year))
    usable = draft_scopes(name, scopes, access)
    ctx = Context(Library.open(deps, name, usable), SourceList(), period)
    ctx.library.retrieve([fill(q, ctx.values) for spec in specs for part in spec.parts for q in part.queries])
    built: dict[str, list[Block]] = {}
    for spec in specs:
        built[spec.key] = [block for part in spec.parts for block in build(part, ctx)] + ctx.take_follow_up()
    mode, fallback = "extraktiv", False
    model = deps.chat_model
    if model is not None:
        rewritten, failed = rewrite(built, {s.key: s.heading for s in specs}, model, name, ctx.sources)
        mode, fallback = ("llm" if rewritten else "extraktiv"), bool(failed)
    texts, citations = ctx.sources.finalize([_markdown(built[spec.key]) for spec in specs])
    sections = tuple(DraftSection(spec.key, spec.heading, text, gaps=text.count(f"[{GAP}:"),
                                  sources=section_sources(text, citations))
                     for spec, text in zip(specs, texts, strict=True))
    return Draft(kommun=name, year=period.year, sections=sections, citations=citations, scopes=usable,
                 generated=period.today.isoformat(), draft_id=uuid.uuid4().hex, mode=mode, fallback=fallback,
                 access=access, period=period.label)


def _sections(avsnitt: Sequence[str] | None) -> list[SectionSpec]:
    """The template's sections that were asked for, in plan order."""
    wanted = check_sections(avsnitt) or list(SECTION_KEYS)
    return [spec for spec in load_template() if spec.key in wanted]


def _markdown(blocks: Sequence[Block]) -> str:
    """A section's blocks as Markdown: headings, paragraphs, lists and tables apart by blank lines."""
    return "\n\n".join(block.text for block in blocks).strip()
