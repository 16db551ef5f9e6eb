"""Quotes: the verbatim sentence or line of a passage that best supports a claim."""

from __future__ import annotations

import re
from collections.abc import Iterator

from assistant.cite.markers import remove_markers
from assistant.cite.support import NUMBER, normalise_number, numbers_in
from assistant.records import Passage
from assistant.text.analyzer import analyze
from assistant.text.sentences import pieces


def best_quote(sentence: str, passage: Passage, max_chars: int = 300) -> str:
    """The sentence or line of `passage.text` that best supports `sentence`, verbatim.

    Shared stemmed words score 1, shared numbers 2; ties go to the earlier candidate. A candidate
    longer than `max_chars` is cut to its best-scoring window at word boundaries.
    """
    text = passage.text
    spans = _candidate_spans(text)
    if not spans:
        return text[:max_chars]
    want_terms = set(analyze(remove_markers(sentence)))
    want_numbers = set(numbers_in(remove_markers(sentence)))
    scored = [(_quote_score(text[a:b], want_terms, want_numbers), -a, a, b) for a, b in spans]
    _, _, a, b = max(scored)
    if b - a > max_chars:
        a, b = _best_window(text, a, b, max_chars, want_terms, want_numbers)
    return text[a:b]


def _candidate_spans(text: str) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    for piece in pieces(text):
        spans.append((piece.start, piece.end))
        if "\n" in piece.body:
            spans.extend(_line_spans(text, piece.start, piece.end))
    return list(dict.fromkeys(spans))


def _line_spans(text: str, start: int, end: int) -> Iterator[tuple[int, int]]:
    for m in re.finditer(r"[^\n]+", text[start:end]):
        a, b = start + m.start(), start + m.end()
        while a < b and text[a].isspace():
            a += 1
        while b > a and text[b - 1].isspace():
            b -= 1
        if a < b:
            yield a, b


def _quote_score(candidate: str, want_terms: set[str], want_numbers: set[str]) -> int:
    return len(want_terms & set(analyze(candidate))) + 2 * len(want_numbers & set(numbers_in(candidate)))


def _best_window(text: str, a: int, b: int, max_chars: int, want_terms: set[str],
                 want_numbers: set[str]) -> tuple[int, int]:
    """The best-scoring window of at most `max_chars` in text[a:b], cut at word boundaries.

    Windows start at the first word or at a word that matches; each word is analysed once.
    """
    words = [(a + m.start(), a + m.end(), frozenset(analyze(m.group(0))) & want_terms)
             for m in re.finditer(r"\S+", text[a:b])]
    numbers = [(a + m.start(), a + m.end(), normalise_number(m.group(0))) for m in NUMBER.finditer(text[a:b])]
    numbers = [n for n in numbers if n[2] in want_numbers]
    number_starts = {n[0] for n in numbers}
    best = (-1, 0, a, _window_end(text, a, min(b, a + max_chars)))
    for i, (start, _, matched) in enumerate(words):
        if i and not matched and start not in number_starts:
            continue
        end = _window_end(text, start, min(b, start + max_chars))
        terms: set[str] = set()
        j = i
        while j < len(words) and words[j][1] <= end:
            terms |= words[j][2]
            j += 1
        score = len(terms) + 2 * len({n[2] for n in numbers if start <= n[0] and n[1] <= end})
        if score > best[0]:
            best = (score, -start, start, end)
    return best[2], best[3]


def _window_end(text: str, start: int, limit: int) -> int:
    if limit >= len(text) or text[limit].isspace():
        end = limit
    else:
        cut = text.rfind(" ", start, limit)
        end = cut if cut > start else limit
    while end > start + 1 and text[end - 1].isspace():
        end -= 1
    return end
