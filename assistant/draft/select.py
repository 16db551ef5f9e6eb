"""Pick the sentences (and lists) a text part quotes: extractive, scored against the part's focus.

A sentence scores by the focus terms it holds, the retrieval rank of its passage and, when the
part asks for it, whether it names the kommun. Sentences already used elsewhere in the draft and
near-duplicates are skipped, so each statement appears once. The picks are returned in reading
order: grouped by document, then as they stand in it.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from assistant.draft.evidence import Unit, mentions, ordinal, units
from assistant.draft.template import Part, fill
from assistant.records import Passage
from assistant.scopes import PARTNER_KOMMUNER
from assistant.text.analyzer import analyze
from assistant.text.fold import fold

NEAR_DUPLICATE = 0.7
OPENS_BONUS = 0.5
PER_DOCUMENT = 2  # picks per document when a part draws on several, so no single source dominates


@dataclass(frozen=True)
class Pick:
    """A chosen sentence (with the sentence it leans on), or a list: an optional intro and items.

    Each item is one or more consecutive sentences of the source.
    """

    intro: Unit | None
    items: tuple[tuple[Unit, ...], ...]
    is_list: bool
    score: float
    rank: int

    @property
    def units(self) -> tuple[Unit, ...]:
        """Every sentence of the pick, in source order."""
        return ((self.intro,) if self.intro else ()) + tuple(u for item in self.items for u in item)


class Used:
    """Sentences already in the draft (text and terms), to keep statements unique."""

    def __init__(self) -> None:
        self._texts: set[str] = set()
        self._terms: list[frozenset[str]] = []

    def __contains__(self, unit: Unit) -> bool:
        return unit.text in self._texts or any(_similar(unit.terms, t) for t in self._terms)

    def add(self, unit: Unit) -> None:
        """Remember a sentence that now stands in the draft."""
        self._texts.add(unit.text)
        self._terms.append(unit.terms)


def select(part: Part, candidates: Sequence[Passage], values: dict[str, str], used: Used,
           keep: Callable[[Unit], bool] | None = None) -> list[Pick]:
    """The best sentences or lists of `candidates` for `part`, in reading order; `keep` may rule
    sentences out (a status a newer source overtook, a reference to a source's table)."""
    focus = set(analyze(fill(part.focus or " ".join(part.queries), values)))
    require = re.compile(part.require) if part.require else None
    min_hits = part.min_hits if part.min_hits is not None else 0 if part.evidence.sections else _min_hits(focus)
    kommun = values["kommun"]
    scored: list[Pick] = []
    for rank, passage in enumerate(candidates):
        prior = 1.0 / (1.0 + rank / 4.0)
        for intro, items, is_list in _groups(units(passage), part):
            group = ((intro,) if intro else ()) + tuple(u for item in items for u in item)
            if any(u in used for u in group) or (keep is not None and not all(keep(u) for u in group)):
                continue
            text = " ".join(u.text for u in group)
            if require and not require.search(text):
                continue
            bonus = _mention_bonus(text, kommun, part.evidence.mention)
            if bonus is None:
                continue
            hits = len(focus & frozenset().union(*(u.terms for u in group)))
            if hits < min_hits:
                continue
            opens = OPENS_BONUS if group[0].opens else 0.0  # a paragraph's first sentence sets its topic
            scored.append(Pick(intro, items, is_list, hits / math.sqrt(len(group)) + prior + bonus + opens, rank))
    if part.lists and any(p.is_list for p in scored):  # a part that asks for lists gets a whole list
        scored = [p for p in scored if p.is_list]
    chosen: list[Pick] = []
    per_document = PER_DOCUMENT if len({p.doc_id for p in candidates}) > 1 else part.max
    for pick in sorted(scored, key=lambda p: (-p.score, p.rank, p.units[0].position)):
        if len(chosen) == part.max:
            break
        same_document = sum(1 for c in chosen if c.units[0].passage.doc_id == pick.units[0].passage.doc_id)
        if same_document >= per_document or any(_overlaps(pick, c) for c in chosen):
            continue
        chosen.append(pick)
    for pick in chosen:
        for unit in pick.units:
            used.add(unit)
    return _reading_order(chosen)


Group = tuple[Unit | None, tuple[tuple[Unit, ...], ...], bool]


def _groups(found: Sequence[Unit], part: Part) -> list[Group]:
    """Candidate picks of one passage.

    A sentence that leans on the one before it comes with it; without `lists`, list intros and
    lower-case fragments are not used. With `lists`, an intro ending in ':' comes with its items
    (all of them: a list comes whole) and a run of items without an intro is a list too.
    """
    groups: list[Group] = []
    i = 0
    while i < len(found):
        unit = found[i]
        if part.lists and (unit.intro or unit.bullet):
            items = _items(found, i + 1 if unit.intro else i)
            if items:
                groups.append((unit if unit.intro else None, tuple(items), True))  # lists come whole
            i += sum(len(item) for item in items) + (1 if unit.intro else 0) or 1
            continue
        if not unit.intro and _whole_sentence(unit):
            previous = found[i - 1] if i and found[i - 1].position == unit.position - 1 else None
            context = unit.follows or (part.with_previous and not unit.opens)
            if not context:
                groups.append((None, ((unit,),), False))
            elif previous is not None and not previous.follows and (_whole_sentence(previous) or previous.intro):
                groups.append((None, ((previous, unit),), False))
        i += 1
    return groups


def _items(found: Sequence[Unit], start: int) -> list[tuple[Unit, ...]]:
    """The consecutive list items from `start`, each with the sentences that continue it."""
    items: list[list[Unit]] = []
    for unit in found[start:]:
        if unit.bullet:
            items.append([unit])
        elif items and unit.follows and unit.position == items[-1][-1].position + 1:
            items[-1].append(unit)
        else:
            break
    return [tuple(item) for item in items]


def _whole_sentence(unit: Unit) -> bool:
    first = unit.text[:1]
    return (first.isupper() or first.isdigit()) and unit.text[-1:] in ".!?"


def _mention_bonus(text: str, kommun: str, rule: str) -> float | None:
    """Score bonus for naming the kommun; None when the part requires it and it is not named."""
    named = mentions(text, kommun)
    if rule == "required":
        return 1.0 if named else None
    if rule == "preferred":
        if named:
            return 1.5
        others = [k for k in PARTNER_KOMMUNER if fold(k) != fold(kommun) and mentions(text, k)]
        return -0.5 if others else 0.0
    return 0.0


def _min_hits(focus: set[str]) -> int:
    return 1 if len(focus) < 4 else 2


def _overlaps(a: Pick, b: Pick) -> bool:
    """True when two picks share a sentence or say nearly the same thing."""
    if set(a.units) & set(b.units):
        return True
    return _similar(frozenset().union(*(u.terms for u in a.units)), frozenset().union(*(u.terms for u in b.units)))


def _similar(a: frozenset[str], b: frozenset[str]) -> bool:
    return len(a & b) / max(1, len(a | b)) > NEAR_DUPLICATE


def _reading_order(chosen: list[Pick]) -> list[Pick]:
    """Grouped by document (first chosen document first), then in document order."""
    doc_rank: dict[str, int] = {}
    for pick in chosen:
        doc_rank.setdefault(pick.units[0].passage.doc_id, len(doc_rank))
    return sorted(chosen, key=lambda p: (doc_rank[p.units[0].passage.doc_id], ordinal(p.units[0].passage),
                                         p.units[0].position))
