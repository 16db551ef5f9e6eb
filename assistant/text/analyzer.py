"""Swedish text analysis for the lexical index: tokens, stop words, Snowball stems, compound parts.

`analyze("kompetensförsörjningsarbetet")` yields the stem of the whole word plus the stems of its
parts and leading part-joins (kompetens, kompetensförsörjning, …), so a search for
`kompetensförsörjning` finds text that only says `kompetensförsörjningsarbetet`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache
from importlib import resources

import Stemmer

# Bump when analysis changes: the lexical index then re-analyses stored chunks (no re-embedding).
ANALYZER_VERSION = "2"

_TOKEN_RE = re.compile(r"[0-9a-zåäöéüæø]+")
_LINKS = ("", "s", "e", "a", "u")
_MIN_PART = 3
_MIN_COMPOUND = 8


@lru_cache(maxsize=1)
def _stemmer() -> Stemmer.Stemmer:
    return Stemmer.Stemmer("swedish")


def _word_list(name: str) -> frozenset[str]:
    text = resources.files("assistant.text.data").joinpath(name).read_text(encoding="utf-8")
    return frozenset(
        line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")
    )


STOPWORDS = _word_list("sv_stopwords.txt")
PARTS = _word_list("sv_compound_parts.txt")


def tokenize(text: str) -> list[str]:
    """Lowercase word tokens (letters and digits), stop words removed."""
    return [t for t in _TOKEN_RE.findall(text.lower()) if t not in STOPWORDS]


def _is_head(word: str) -> bool:
    # a known part, or one that drops its final vowel in compounds: arbetsgivar-enkät, skol-verket
    return word in PARTS or word + "e" in PARTS or word + "a" in PARTS


def _is_final_part(word: str) -> bool:
    if word in PARTS:
        return True
    # an inflected known part: 'arbetet' (arbete), 'skolan' (skola), 'behoven' (behov)
    return any(word.startswith(p) and len(word) - len(p) <= 4 for p in PARTS if len(p) >= 4)


@lru_cache(maxsize=50_000)
def split_compound(word: str) -> tuple[str, ...]:
    """Split a compound into known parts, longest head first; () when it is not a known compound.

    >>> split_compound("kompetensförsörjningsarbetet")
    ('kompetens', 'försörjning', 'arbetet')
    """
    if len(word) < _MIN_COMPOUND:
        return ()
    return _split(word) or ()


def _split(word: str) -> tuple[str, ...] | None:
    for cut in range(len(word) - _MIN_PART, _MIN_PART - 1, -1):
        head = word[:cut]
        if not _is_head(head):
            continue
        rest = word[cut:]
        for link in _LINKS:
            if not rest.startswith(link):
                continue
            tail = rest[len(link):]
            if len(tail) < _MIN_PART:
                continue
            if _is_final_part(tail):
                return (head, tail)
            deeper = _split(tail)
            if deeper:
                return (head, *deeper)
    return None


def analyze_token(token: str) -> list[str]:
    """Index terms for one token: its stem, then stems of its compound parts and leading joins."""
    stem = _stemmer().stemWord
    terms = [stem(token)]
    if token.endswith("et") and len(token) > 6:
        # Snowball keeps the definite neuter "-et" ("sågverket"), so add the indefinite form's stem.
        terms.append(stem(token[:-2]))
    parts = split_compound(token)
    for i, part in enumerate(parts):
        terms.append(stem(part))
        if 0 < i < len(parts) - 1:
            terms.append(stem("".join(parts[: i + 1])))
    return terms


def analyze(text: str) -> list[str]:
    """Index terms of a text, in order (duplicates kept: term frequency matters for BM25)."""
    terms: list[str] = []
    for token in tokenize(text):
        terms.extend(analyze_token(token))
    return terms


# Acronyms users write that the documents often spell out (and the reverse is handled by the
# documents themselves, which usually introduce the acronym once).
ACRONYMS = {
    "rus": "regional utvecklingsstrategi",
    "yh": "yrkeshögskola",
    "af": "arbetsförmedlingen",
    "komvux": "kommunal vuxenutbildning",
    "sfi": "svenska för invandrare",
    "esf": "europeiska socialfonden",
    "ykb": "yrkeskompetensbevis",
}


def expansions(text: str) -> dict[str, list[str]]:
    """Analysed acronym → the analysed terms of its spelled-out form, for acronyms in `text`."""
    return {analyze_token(t)[0]: analyze(ACRONYMS[t]) for t in set(tokenize(text)) if t in ACRONYMS}


def analyze_query(text: str) -> list[str]:
    """Index terms of a query, with acronyms also spelled out."""
    terms = analyze(text)
    for spelled in expansions(text).values():
        terms.extend(spelled)
    return terms


def held_terms(wanted: Iterable[str], terms: set[str] | frozenset[str]) -> set[str]:
    """The stems of `wanted` that `terms` hold, also when Snowball stems two inflections of one word
    apart ('svarsfrekvensen' → 'svarsfrekvens' but 'svarsfrekvens' → 'svarsfrekv'; 'målnivån' kept whole).

    >>> sorted(held_terms(["svarsfrekvens", "målnivån", "bil"], {"svarsfrekv", "målnivå", "bilar"}))
    ['målnivån', 'svarsfrekvens']
    """
    wanted = set(wanted)
    found = wanted & terms
    for w in wanted - found:
        if len(w) >= 5 and any(len(t) >= 5 and _inflected(w, t) for t in terms):
            found.add(w)
        elif len(w) == 4 and ({w + "t", w + "a"} & terms or (w[-1] in "ta" and w[:-1] in terms)):
            found.add(w)  # a short adjective: 'svår' (svårare) is held by 'svårt
    for w in wanted - found:  # 'kockutbildning' is held where 'kock' and 'utbildning' both are
        parts = [p for p in wanted if p != w and len(p) >= 3 and p in w]
        if len(parts) >= 2 and all(p in found for p in parts):
            found.add(w)
    return found


def _inflected(a: str, b: str) -> bool:
    """Two stems of one word: one a prefix of the other by at most two letters, or three when the
    shorter is long ('svarsfrekv'/'svarsfrekvens'), never a word and its compound ('brist'/'bristyrk')."""
    short, long_ = sorted((a, b), key=len)
    extra = len(long_) - len(short)
    return long_.startswith(short) and (extra <= 2 or (extra == 3 and len(short) >= 7))
