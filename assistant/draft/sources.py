"""One numbered source list for a whole draft.

While sections are built, each cited passage gets a provisional number (the same passage, cited
in several sections, keeps one number). A table row gets a number of its own, quoting the row,
so every row cites text that holds it and two rows of one passage never share a quote. A prose
passage's quote is the verbatim span that covers every sentence the draft took from it.
`finalize` renumbers 1..k in order of first appearance in the finished text and drops sources
that no text cites any more (e.g. after an LLM rewrite).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace

from assistant.cite.build import passage_citation, quoted_citation, with_number
from assistant.cite.markers import NUMBERED, renumber
from assistant.draft.request import is_internal
from assistant.records import Citation, DraftSource, Passage

MAX_QUOTE_CHARS = 1200


class SourceList:
    """Provisional citation numbers keyed by source (and row), each with a verbatim quote."""

    def __init__(self) -> None:
        self._numbers: dict[tuple[str, str], int] = {}
        self._citations: dict[int, Citation] = {}
        self._spans: dict[int, list[tuple[int, int]]] = {}
        self.passages: dict[int, Passage] = {}

    def cite(self, passage: Passage, claim: str) -> int:
        """The number of `passage`; its quote grows to cover every sentence cited from it."""
        key = (passage.source_id, "")
        number = self._numbers.get(key)
        if number is None:
            number = self._new(key, passage_citation(0, passage, claim))
            self.passages[number] = passage
            self._spans[number] = []
        span = _find(passage.text, claim)
        if span is not None:
            self._spans[number].append(span)
        return number

    def cite_row(self, passage: Passage, line: str) -> int:
        """The number of one table row of `passage`, quoting the row itself."""
        key = (passage.source_id, line)
        number = self._numbers.get(key)
        if number is None:
            citation = (quoted_citation(0, passage, line) if line in passage.text
                        else passage_citation(0, passage, line))
            number = self._new(key, citation)
        return number

    def add(self, citation: Citation) -> int:
        """The number of a citation made elsewhere (a survey computation, a barometer row)."""
        key = (citation.source_id, citation.quote)
        return self._numbers.get(key) or self._new(key, citation)

    def _new(self, key: tuple[str, str], citation: Citation) -> int:
        number = len(self._numbers) + 1
        self._numbers[key] = number
        self._citations[number] = citation
        return number

    def marker(self, passage: Passage, claim: str) -> str:
        """`[n]` for a sentence of `passage`."""
        return f"[{self.cite(passage, claim)}]"

    def row_marker(self, passage: Passage, line: str) -> str:
        """`[n]` for one table row of `passage`."""
        return f"[{self.cite_row(passage, line)}]"

    def internal(self, number: int) -> bool:
        """True when source `number` is a kommun's internal material."""
        citation = self._citations.get(number)
        return citation is not None and is_internal(citation.scope)

    def finalize(self, texts: Sequence[str]) -> tuple[list[str], tuple[Citation, ...]]:
        """Texts renumbered by first appearance, and the citations they use, in that order."""
        renumbered, order = renumber(texts, self._citations)
        citations = tuple(with_number(self._quoted(old), new) for old, new in order.items())
        return renumbered, citations

    def _quoted(self, number: int) -> Citation:
        """The citation with its quote widened to the span of every sentence cited from it."""
        citation = self._citations[number]
        spans = sorted(self._spans.get(number) or ())
        passage = self.passages.get(number)
        if not spans or passage is None:
            return citation
        start, end = spans[0]
        for a, b in spans[1:]:
            if max(end, b) - start > MAX_QUOTE_CHARS:
                break
            end = max(end, b)
        return replace(citation, quote=passage.text[start:end])


def _find(text: str, claim: str) -> tuple[int, int] | None:
    """Where `claim` stands in `text`, whitespace and list marks allowed to differ."""
    words = claim.split()
    if not words:
        return None
    pattern = r"[\s•\-–*]+".join(re.escape(w) for w in words)
    m = re.search(pattern, text)
    return (m.start(), m.end()) if m else None


def section_sources(text: str, citations: Sequence[Citation]) -> tuple[DraftSource, ...]:
    """The documents one section cites (title, path, scope) with the numbers it uses, in order."""
    used = {int(n) for n in NUMBERED.findall(text)}
    out: dict[str, DraftSource] = {}
    for c in citations:
        if c.n not in used:
            continue
        found = out.get(c.path)
        numbers = (*found.citations, c.n) if found else (c.n,)
        out[c.path] = DraftSource(title=c.title, path=c.path, scope=c.scope, citations=numbers)
    return tuple(out.values())
