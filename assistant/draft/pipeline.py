"""The `draft` stage: a handlingsplan draft for one kommun, section by section, with cited sources.

The template (`prompts/handlingsplan.yaml`) lists each section's parts. Every part is filled from
the evidence within the caller's scopes: sentences quoted from the sources (`draft.select`),
table rows of the kommun's current plan, and survey figures computed with pandas
(`draft.figures`). What the evidence does not give is written as "[Att komplettera: …]".
Replaced documents appear only as history in Bakgrund. With an LLM configured, prose
paragraphs are rewritten and checked like answers (`draft.rewrite`); a section whose rewrite
fails stays extractive and the draft is marked `fallback`.

>>> d = draft(service.deps, "Åsele", None, ("publik",))            # doctest: +SKIP
>>> [s.key for s in d.sections][:2], d.citations[0].n
(['bakgrund', 'nulage'], 1)
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date

from assistant.deps import Deps
from assistant.draft.evidence import Library
from assistant.draft.parts import GAP, Block, Context, build
from assistant.draft.request import SECTION_KEYS, check_kommun, check_sections
from assistant.draft.rewrite import rewrite
from assistant.draft.sources import SourceList
from assistant.draft.template import SectionSpec, fill, load_template
from assistant.records import Draft, DraftSection


def draft(deps: Deps, kommun: str, avsnitt: Sequence[str] | None, scopes: Sequence[str],
          *, today: date | None = None) -> Draft:
    """A draft of the plan's sections (`avsnitt`, default all) for `kommun`, as `scopes` may see it."""
    name = check_kommun(kommun)
    specs = _sections(avsnitt)
    today = today or date.today()
    caller = tuple(scopes)
    ctx = Context(Library.open(deps, name, caller), SourceList(), today)
    ctx.library.retrieve([fill(q, ctx.values) for spec in specs for part in spec.parts for q in part.queries])
    built = {spec.key: [block for part in spec.parts for block in build(part, ctx)] for spec in specs}
    mode, fallback = "extraktiv", False
    model = deps.chat_model
    if model is not None:
        rewritten, failed = rewrite(built, {s.key: s.heading for s in specs}, model, name, ctx.sources)
        mode, fallback = ("llm" if rewritten else "extraktiv"), bool(failed)
    texts, citations = ctx.sources.finalize([_markdown(built[spec.key]) for spec in specs])
    sections = tuple(DraftSection(spec.key, spec.heading, text, gaps=text.count(f"[{GAP}:"))
                     for spec, text in zip(specs, texts, strict=True))
    return Draft(kommun=name, year=today.year, sections=sections, citations=citations, scopes=caller,
                 generated=today.isoformat(), draft_id=uuid.uuid4().hex, mode=mode, fallback=fallback)


def _sections(avsnitt: Sequence[str] | None) -> list[SectionSpec]:
    """The template's sections that were asked for, in plan order."""
    wanted = check_sections(avsnitt) or list(SECTION_KEYS)
    return [spec for spec in load_template() if spec.key in wanted]


def _markdown(blocks: Sequence[Block]) -> str:
    """A section's blocks as Markdown: headings, paragraphs, lists and tables apart by blank lines."""
    return "\n\n".join(block.text for block in blocks).strip()
