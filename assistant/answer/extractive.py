"""The extractive, grounded answer composer (the offline default).

It picks the sentences of the retrieved passages that answer the question, cites each `[n]`,
and quotes verbatim; every number, name and date in the answer therefore stands in a source.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

from assistant.answer.gate import Frequencies, question_terms
from assistant.records import Passage
from assistant.text.analyzer import analyze
from assistant.text.sentences import split_sentences

MAX_SENTENCES = 5
PER_PASSAGE = 2
CONSIDERED_PASSAGES = 6


@dataclass(frozen=True)
class _Candidate:
    passage_n: int
    position: int
    text: str
    score: float
    terms: frozenset[str]


def compose(question: str, passages: Sequence[Passage], frequencies: Frequencies | None = None) -> str:
    """Answer text built from the passages' own sentences, each followed by `[n]` (1-based passage).

    A sentence scores by the IDF-weighted question terms it holds (rare terms such as a place or a
    programme count most), a bonus when it holds what the question asks for (a figure for "hur
    många", a date for "när", a name for "vem"), and its passage's retrieval rank.
    """
    wanted = question_terms(question)
    weights = _term_weights(sorted(wanted), frequencies)
    expects = expected_answer(question)
    candidates = _candidates(wanted, weights, expects, passages[:CONSIDERED_PASSAGES])
    chosen: list[_Candidate] = []
    for cand in sorted(candidates, key=lambda c: (-c.score, c.passage_n, c.position)):
        if len(chosen) == MAX_SENTENCES:
            break
        if sum(1 for c in chosen if c.passage_n == cand.passage_n) >= PER_PASSAGE:
            continue
        if any(_similar(cand.terms, c.terms) for c in chosen):
            continue
        if chosen and cand.score < 0.6 * chosen[0].score:
            break
        chosen.append(cand)
    chosen.sort(key=lambda c: (c.passage_n, c.position))
    return " ".join(f"{_as_sentence(c.text)} [{c.passage_n}]" for c in chosen)


def _term_weights(terms: Sequence[str], frequencies: Frequencies | None) -> dict[str, float]:
    if frequencies is None or not terms:
        return {t: 1.0 for t in terms}
    df, total = frequencies(terms)
    return {t: math.log((total + 1) / (df.get(t, 0) + 0.5)) for t in terms}


_DATE = re.compile(
    r"\b(\d{4}-\d{2}-\d{2}|\d{1,2} (januari|februari|mars|april|maj|juni|juli|augusti|september|oktober|"
    r"november|december)( \d{4})?|(januari|februari|mars|april|maj|juni|juli|augusti|september|oktober|"
    r"november|december) \d{4}|(vår|höst|sommar|vinter)en \d{4}|\b(19|20)\d{2})\b", re.I)
_FIGURE = re.compile(r"\d")
_PERCENT = re.compile(r"\d ?(%|procent)")
_NAME = re.compile(r"\b[A-ZÅÄÖ][a-zåäöé]+ [A-ZÅÄÖ][a-zåäöé]+(?:-[A-ZÅÄÖ][a-zåäöé]+)?\b")
_EXPECTATIONS = (
    (re.compile(r"\b(hur stor andel|andel|hur många procent|svarsfrekvens|how much of|percentage)\b", re.I), _PERCENT),
    (re.compile(r"\b(hur många|hur mycket|hur stor|hur stort|antal|hur länge|how many|how much)\b", re.I), _FIGURE),
    (re.compile(r"\b(när|vilket datum|vilken dag|vilket år|sedan när|when)\b", re.I), _DATE),
    (re.compile(r"\b(vem|vilka personer|who)\b", re.I), _NAME),
)
_EXPECT_BONUS = 0.35


def expected_answer(question: str) -> re.Pattern[str] | None:
    """What an answering sentence must hold, from the question word: a figure, a date, a name."""
    return next((pattern for cue, pattern in _EXPECTATIONS if cue.search(question)), None)


def _candidates(wanted: set[str], weights: dict[str, float], expects: re.Pattern[str] | None,
                passages: Sequence[Passage]) -> list[_Candidate]:
    whole = sum(weights.values()) or 1.0
    out = []
    for n, passage in enumerate(passages, start=1):
        prior = 0.5 / (n + 1)  # retrieval rank as a prior: the semantic match of the whole passage
        context = set(analyze(f"{passage.title} {passage.section or ''}"))
        for position, (sentence, is_heading) in enumerate(_sentences(passage, wanted)):
            terms = frozenset(analyze(sentence))
            if len(terms) < 3 or _is_column_header(sentence):
                continue
            hits = sum(weights[t] for t in wanted & terms) + 0.5 * sum(weights[t] for t in wanted & (context - terms))
            if hits == 0 and n > 1:
                continue
            score = hits / whole + prior
            if expects is not None and expects.search(sentence):
                score += _EXPECT_BONUS
            if is_heading:
                score *= 0.7
            out.append(_Candidate(n, position, sentence, score, terms))
    return out


_NUMBERED_HEADING = re.compile(r"^(§\s*)?\d+(\.\d+)*\.?\s")


def _sentences(passage: Passage, wanted: set[str]) -> list[tuple[str, bool]]:
    """Candidate sentences of a passage, each with whether it is a heading."""
    if passage.rows:
        return [(part, False) for line in passage.text.splitlines() if line.strip()
                for part in _row_parts(line, wanted)]
    # Headings can state facts ("Åsele Åkeri AB"), but a numbered section title is only a title.
    headings = [h.strip() for h in (passage.section or "").split("; ")
                if len(h.split()) >= 2 and not _NUMBERED_HEADING.match(h.strip())]
    body = _join_lead_ins([s.strip() for s in split_sentences(passage.text) if s.strip()])
    return [(h, True) for h in headings] + [(b, False) for b in body]


_LIST_ITEMS = 8
_LIST_ITEM_CHARS = 120


def _join_lead_ins(sentences: list[str]) -> list[str]:
    """Join a lead-in ending in ':' with what it introduces.

    "Prioritering 6:" takes the next sentence; "… prioriterar följande bristyrken:" takes the short
    list items after it, so the answer names them.
    """
    out: list[str] = []
    open_items = 0
    for sentence in sentences:
        if out and out[-1].endswith(":") and len(out[-1]) <= 40:
            out[-1] = f"{out[-1]} {sentence}"
            open_items = 0
        elif out and open_items and len(sentence) <= _LIST_ITEM_CHARS:
            out[-1] = f"{out[-1]}{'' if out[-1].endswith(':') else ';'} {sentence.rstrip('.;')}"
            open_items -= 1
        else:
            out.append(sentence)
            open_items = _LIST_ITEMS if sentence.endswith(":") and len(sentence) > 40 else 0
    return out


_LONG_CELL = 60
_ROW_CELLS = 6


def _row_parts(line: str, wanted: set[str]) -> list[str]:
    """A table row as answer candidates: each long text cell alone, and the short cells together.

    Rows read "Kolumn: värde | …"; a long cell (a free-text assessment) answers on its own, while
    the short cells (yrke, kommun, figures) make a compact row of the cells the question asks
    about, or of the first cells when the row has no text cell; each cell is verbatim source text.
    """
    cells = [c.strip() for c in line.split(" | ") if c.strip()]
    long_cells = [c.split(": ", 1)[-1] for c in cells if len(c) > _LONG_CELL]
    short_cells = [c for c in cells if len(c) <= _LONG_CELL]
    asked = [c for c in short_cells if wanted & set(analyze(c))]
    if long_cells:
        chosen = asked if len(asked) >= 2 else []
    else:
        chosen = asked if len(asked) >= 2 else short_cells
    short = " | ".join(chosen[:_ROW_CELLS])
    return [*long_cells, short] if short else long_cells


def _is_column_header(sentence: str) -> bool:
    """A table header line that PDF extraction left as text ("Nr Prioritering Delprioriteringar")."""
    words = sentence.split()
    return len(words) <= 5 and all(w[:1].isupper() for w in words)


def _similar(a: frozenset[str], b: frozenset[str]) -> bool:
    return len(a & b) / max(1, len(a | b)) > 0.7


_BRACKETED = re.compile(r"\s*\[[^\[\]\n]{1,30}\]")


def _as_sentence(text: str) -> str:
    # A footnote like "[3]" in the source would read as a citation marker: drop it.
    text = " ".join(_BRACKETED.sub("", text).split())
    return text.rstrip(".") + "." if text[-1:] not in ".!?:" else text
