"""Which builder writes each kind of template part, and a part's blocks under its subheading."""

from __future__ import annotations

from collections.abc import Callable

from assistant.draft import tables
from assistant.draft.parts import Block, Context, history, survey, survey_baseline, text
from assistant.draft.template import Part, fill

BUILDERS: dict[str, Callable[[Part, Context], list[Block]]] = {
    "text": text,
    "history": history,
    "survey": survey,
    "survey_baseline": survey_baseline,
    "insatser": tables.insatser,
    "joint_insatser": tables.joint_insatser,
    "responsibilities": tables.responsibilities,
    "timeline": tables.timeline,
    "timeline_check": tables.timeline_check,
    "indicators": tables.indicators,
    "gap": lambda part, ctx: [],  # always "[Att komplettera: …]" with the part's `missing`
}


def build(part: Part, ctx: Context) -> list[Block]:
    """The blocks of one part, under its subheading when it has content; its gap when it has none."""
    blocks = BUILDERS[part.kind](part, ctx)
    if not blocks and part.missing:
        blocks = [ctx.gap(part.missing)]
    if blocks and part.subheading:
        blocks.insert(0, Block("heading", f"### {fill(part.subheading, ctx.values)}"))
    return blocks
