"""Answer lines from evidence units: a unit as a line, its span, and source text as a sentence."""

from __future__ import annotations

import re

from assistant.answer.units import ROW, Unit
from assistant.cite.assemble import Line, Span

NUMBERING = re.compile(r"^(§\s*)?\d+(\.\d+)*\.?\s+")  # "3.3 " or "§ 4 " before a heading

_BRACKETED = re.compile(r"\s*\[[^\[\]\n]{1,30}\]")


def unit_line(unit: Unit) -> Line:
    if unit.kind == ROW:
        subject_column, subject = unit.cells[0]
        rest = "; ".join(f"{c}: {v}" for c, v in unit.cells[1:])
        text = f"{subject_column}: {subject}" + (f" – {rest}" if rest else "")
        return Line(as_sentence(text), (span(unit),))
    return Line(as_sentence(unit.text), (span(unit),))


def span(unit: Unit) -> Span:
    return Span(unit.passage, unit.start, unit.end)


def as_sentence(text: str, final: str = ".") -> str:
    """Source text as an answer line: footnote markers dropped (they would read as citations)."""
    text = " ".join(_BRACKETED.sub("", text).split())
    if not text:
        return text
    if text[-1] in ".!?:;,":
        return text.rstrip(";,") + ("" if text[-1] in ".!?:" else final)
    return text + final
