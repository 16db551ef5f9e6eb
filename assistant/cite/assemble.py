"""Answer text from attributed lines: each line cites the evidence it was made from, by construction.

A composer hands over `Line`s: the words of one answer line and the spans of source text it was
made from (a sentence, a list, a table row). `assemble` numbers the cited passages in order of first
use, gives each citation the one verbatim span of its passage that covers every unit a line took
from it, and appends the `[n]` markers. No support check can be fooled here, because no line cites
a passage its words did not come from.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

from assistant.cite.build import quoted_citation
from assistant.records import Citation, Passage

# A citation quote longer than this is split: two far-apart sentences get two citations.
MAX_QUOTE_CHARS = 700
_ANY_NUMBERED = re.compile(r"\[(\d+)\]")


@dataclass(frozen=True)
class Span:
    """A verbatim slice `passage.text[start:end]` of passage number `passage` (0-based)."""

    passage: int
    start: int
    end: int


@dataclass(frozen=True)
class Line:
    """One line of an answer: `prefix` (bullet, label) + `text` + markers for `spans`.

    `cited` holds text that already carries its own `[n]` markers into `citations` (a survey
    figure); those are renumbered after the lines before it.
    """

    text: str
    spans: tuple[Span, ...] = ()
    prefix: str = ""
    cited: tuple[Citation, ...] = ()
    break_before: bool = True


def assemble(lines: Sequence[Line], passages: Sequence[Passage]) -> tuple[str, tuple[Citation, ...]]:
    """The answer text with `[n]` markers and its citations, numbered 1..k in order of use."""
    groups, bounds = _quote_groups(lines)
    numbers: dict[tuple[int, int], int] = {}
    citations: list[Citation] = []
    out: list[str] = []
    for line in lines:
        refs: list[int] = []
        for span in line.spans:
            key = groups[span]
            if key not in numbers:
                numbers[key] = len(citations) + 1
                passage = passages[span.passage]
                a, b = bounds[key]
                citations.append(quoted_citation(numbers[key], passage, passage.text[a:b]))
            if numbers[key] not in refs:
                refs.append(numbers[key])
        text = line.text
        if line.cited:
            text, added = _renumber(text, line.cited, len(citations))
            citations += added
        markers = "".join(f"[{n}]" for n in refs)
        body = f"{line.prefix}{_with_markers(text, markers)}"
        out.append(("\n" if line.break_before and out else (" " if out else "")) + body)
    return "".join(out).strip(), tuple(citations)


def _with_markers(text: str, markers: str) -> str:
    if not markers:
        return text
    stripped = text.rstrip()
    if stripped.endswith((".", ":", "?", "!")) and not stripped.endswith("..."):
        return f"{stripped[:-1]} {markers}{stripped[-1]}"
    return f"{stripped} {markers}"


def _quote_groups(lines: Sequence[Line]) -> tuple[dict[Span, tuple[int, int]], dict[tuple[int, int], tuple[int, int]]]:
    """Each span → (passage, group id), and each group → its (start, end) in the passage: spans of one
    passage share a quote unless too far apart."""
    by_passage: dict[int, list[Span]] = {}
    for line in lines:
        for span in line.spans:
            by_passage.setdefault(span.passage, []).append(span)
    groups: dict[Span, tuple[int, int]] = {}
    bounds: dict[tuple[int, int], tuple[int, int]] = {}
    for passage, spans in by_passage.items():
        ordered = sorted(set(spans), key=lambda s: (s.start, s.end))
        group, lo, hi = 0, ordered[0].start, ordered[0].end
        for span in ordered:
            if max(hi, span.end) - min(lo, span.start) > MAX_QUOTE_CHARS and span.start >= hi:
                group, lo, hi = group + 1, span.start, span.end
            lo, hi = min(lo, span.start), max(hi, span.end)
            groups[span] = (passage, group)
            bounds[(passage, group)] = (lo, hi)
    return groups, bounds


def _renumber(text: str, cited: Sequence[Citation], offset: int) -> tuple[str, list[Citation]]:
    """`text` and its citations with every n moved up by `offset`."""
    mapping = {c.n: c.n + offset for c in cited}
    new_text = _ANY_NUMBERED.sub(lambda m: f"[{mapping.get(int(m.group(1)), int(m.group(1)))}]", text)
    return new_text, [replace(c, n=mapping[c.n]) for c in cited]


def shifted(lines: Sequence[Line], offset: int) -> list[Line]:
    """`lines` whose spans point `offset` passages further on: parts answered apart, joined into one list."""
    return [replace(line, spans=tuple(Span(s.passage + offset, s.start, s.end) for s in line.spans)) for line in lines]
