"""One numbered source list for a whole draft.

While sections are built, each cited passage gets a provisional number (the same passage, cited
in several sections, keeps one number). `finalize` renumbers 1..k in order of first appearance in
the finished text and drops sources that no text cites any more (e.g. after an LLM rewrite).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace

from assistant.citations import best_quote
from assistant.records import Citation, Passage

MARKER = re.compile(r"\[(\d+)\]")


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
            citation = Citation(
                n=0, source_id=passage.source_id, title=passage.title, path=passage.path, scope=passage.scope,
                quote=best_quote(claim, passage), page=passage.page, section=passage.section,
                kommun=passage.kommun,
            )
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
        order: dict[int, int] = {}
        for text in texts:
            for m in MARKER.finditer(text):
                old = int(m.group(1))
                if old in self._citations:
                    order.setdefault(old, len(order) + 1)
        renumbered = [MARKER.sub(lambda m: f"[{order[int(m.group(1))]}]" if int(m.group(1)) in order else "", t)
                      for t in texts]
        citations = tuple(replace(self._citations[old], n=new) for old, new in order.items())
        return renumbered, citations
