"""Support checks: does a cited sentence stand in the passages it cites (words and every number)?"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from assistant.cite.markers import remove_markers
from assistant.records import Passage
from assistant.text.analyzer import analyze, analyze_token, split_compound, tokenize

# A cited sentence is supported when its cited passages hold at least this share of its content
# words (stemmed; a compound counts when most of its parts are there) and every number it states.
SUPPORT_MIN_TERM_SHARE = 0.5

# Words a composer uses to attribute, not to claim: they need no support in the source.
_FRAMING_WORDS = frozenset(analyze(
    "enligt anger angav visar visade framgår framgick beskriver beskrivs nämner nämns står källa källan "
    "källor källorna underlaget dokumentet dokument texten uppger uppgav"
))

NUMBER = re.compile(
    r"(?<![\d.,])(?:\d{4}-\d{2}-\d{2}|\d{1,3}(?:[ \u00a0\u202f]\d{3})+(?!\d)|\d+)(?:[.,]\d+)?(?!\d)"
)


@dataclass(frozen=True)
class _Evidence:
    terms: frozenset[str]
    numbers: frozenset[str]


@lru_cache(maxsize=512)
def _evidence(passage: Passage) -> _Evidence:
    # The title and section are shown to the composer with the text, so they count as support.
    text = f"{passage.title}\n{passage.section or ''}\n{passage.text}"
    return _Evidence(frozenset(analyze(text)), frozenset(numbers_in(text)))


def numbers_in(text: str) -> list[str]:
    """Numbers, percentages and dates in `text`, normalised: '1 200' → '1200', '3,5' → '3.5'."""
    return [normalise_number(m.group(0)) for m in NUMBER.finditer(text)]


def normalise_number(raw: str) -> str:
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", raw):
        return raw
    value = re.sub(r"[ \u00a0\u202f]", "", raw).replace(",", ".")
    whole, _, decimals = value.partition(".")
    whole = whole.lstrip("0") or "0"
    decimals = decimals.rstrip("0")
    return f"{whole}.{decimals}" if decimals else whole


def is_supported(sentence: str, passages: Sequence[Passage]) -> bool:
    """True when `passages` hold every number of `sentence` and enough of its content words.

    Markers are ignored; numbers must match after normalisation ('3 200' = '3200', '12,5' = '12.5');
    see SUPPORT_MIN_TERM_SHARE for the words.
    """
    if not passages:
        return False
    clean = remove_markers(sentence)
    terms: set[str] = set()
    numbers: set[str] = set()
    for passage in passages:
        evidence = _evidence(passage)
        terms |= evidence.terms
        numbers |= evidence.numbers
    if any(n not in numbers for n in numbers_in(clean)):
        return False
    return term_share(clean, terms) >= SUPPORT_MIN_TERM_SHARE


def term_share(sentence: str, terms: set[str] | frozenset[str]) -> float:
    """Share of the sentence's content words found among `terms` (1.0 when it has none)."""
    words = _content_words(sentence)
    if not words:
        return 1.0
    return sum(1 for w in words if _word_found(w, terms)) / len(words)


def _content_words(sentence: str) -> list[str]:
    words = dict.fromkeys(t for t in tokenize(sentence) if not t.isdigit())
    return [w for w in words if analyze_token(w)[0] not in _FRAMING_WORDS]


def _word_found(word: str, terms: set[str] | frozenset[str]) -> bool:
    stems = analyze_token(word)
    if stems[0] in terms:
        return True
    parts = split_compound(word)
    if not parts:
        return False
    part_stems = [analyze_token(p)[0] for p in parts]
    return sum(1 for s in part_stems if s in terms) * 2 > len(part_stems)
