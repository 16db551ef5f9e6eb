"""One numbered source list for a whole draft.

While sections are built, each cited passage gets a provisional number (the same passage, cited
in several sections, keeps one number). `finalize` renumbers 1..k in order of first appearance in
the finished text and drops sources that no text cites any more (e.g. after an LLM rewrite).
"""

from __future__ import annotations

from collections.abc import Sequence

from assistant.cite.build import passage_citation, with_number
from assistant.cite.markers import renumber
from assistant.records import Citation, Passage


class SourceList:
    """Provisional citation numbers keyed by source id, each with a verbatim quote."""

    def __init__(self) -> None:
        self._numbers: dict[str, int] = {}
        self._citations: dict[int, Citation] = {}
        self.passages: dict[int, Passage] = {}

    def cite(self, passage: Passage, claim: str) -> int:
        """The number of `passage`; a new source quotes the part of it that best supports `claim`."""
        number = self._numbers.get(passage.source_id)
        if number is None:
            citation = passage_citation(0, passage, claim)
            number = self.add(citation)
            self.passages[number] = passage
        return number

    def add(self, citation: Citation) -> int:
        """The number of a citation made elsewhere (e.g. of a survey computation)."""
        number = self._numbers.get(citation.source_id)
        if number is None:
            number = len(self._numbers) + 1
            self._numbers[citation.source_id] = number
            self._citations[number] = citation
        return number

    def marker(self, passage: Passage, claim: str) -> str:
        """`[n]` for `passage`."""
        return f"[{self.cite(passage, claim)}]"

    def finalize(self, texts: Sequence[str]) -> tuple[list[str], tuple[Citation, ...]]:
        """Texts renumbered by first appearance, and the citations they use, in that order."""
        renumbered, order = renumber(texts, self._citations)
        citations = tuple(with_number(self._citations[old], new) for old, new in order.items())
        return renumbered, citations
