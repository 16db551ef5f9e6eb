"""The extractive, grounded answer composer (the offline default) and the refusal rule.

It picks the sentences of the retrieved passages that answer the question, cites each `[n]`,
and quotes verbatim; every number, name and date in the answer therefore stands in a source.
"""

from __future__ import annotations

import re

from collections.abc import Sequence
from dataclasses import dataclass

from assistant.analyzer import analyze
from assistant.citations import split_sentences
from assistant.config import AnswerSettings
from assistant.records import Passage

REFUSAL = "Underlaget innehåller inget som besvarar frågan."
REFUSAL_HELP = (
    " Det kan bero på att frågan gäller något utanför de indexerade dokumenten, eller på material du "
    "inte har behörighet till. Kontakta den regionala samordnaren för kompetensförsörjning eller "
    "kompetensmäklaren i din kommun om du behöver hjälp att ta fram underlaget."
)

# Words that say what kind of question it is, not what it is about.
_QUESTION_TERMS = frozenset(analyze(
    "vad hur vilka vilken vilket varför när var finns fanns säger sägs står ska skall kommer många mycket "
    "gäller berätta beskriv förklara ange lista nämn enligt stor störst största ingår"
))

MAX_SENTENCES = 4
PER_PASSAGE = 2
CONSIDERED_PASSAGES = 6


@dataclass(frozen=True)
class Evidence:
    """How well the retrieved passages cover the question."""

    coverage: float
    top_dense: float
    relevant: bool


def question_terms(question: str) -> set[str]:
    """Content terms of a question (stems and compound parts), without question words."""
    return {t for t in analyze(question) if t not in _QUESTION_TERMS and len(t) > 1}


def assess(question: str, passages: Sequence[Passage], rule: AnswerSettings) -> Evidence:
    """Decide whether the passages in scope can answer the question at all.

    Relevant when the best passage is very similar in meaning, or similar enough and holding at
    least `rule.coverage_min` of the question's content terms (thresholds from the settings).
    """
    if not passages:
        return Evidence(0.0, 0.0, False)
    terms = question_terms(question)
    found: set[str] = set()
    for p in passages[:3]:
        found |= set(analyze(f"{p.title} {p.section or ''} {p.text}"))
    coverage = len(terms & found) / len(terms) if terms else 0.0
    top_dense = max((p.dense_score or 0.0) for p in passages)
    relevant = top_dense >= rule.dense_strong or (top_dense >= rule.dense_min and coverage >= rule.coverage_min)
    return Evidence(round(coverage, 3), round(top_dense, 4), relevant)


@dataclass(frozen=True)
class _Candidate:
    passage_n: int
    position: int
    text: str
    score: float
    terms: frozenset[str]


def compose(question: str, passages: Sequence[Passage]) -> str:
    """Answer text built from the passages' own sentences, each followed by `[n]` (1-based passage)."""
    wanted = question_terms(question)
    candidates = _candidates(wanted, passages[:CONSIDERED_PASSAGES])
    chosen: list[_Candidate] = []
    for cand in sorted(candidates, key=lambda c: (-c.score, c.passage_n, c.position)):
        if len(chosen) == MAX_SENTENCES:
            break
        if sum(1 for c in chosen if c.passage_n == cand.passage_n) >= PER_PASSAGE:
            continue
        if any(_similar(cand.terms, c.terms) for c in chosen):
            continue
        if chosen and cand.score < 0.5 * chosen[0].score:
            break
        chosen.append(cand)
    chosen.sort(key=lambda c: (c.passage_n, c.position))
    return " ".join(f"{_as_sentence(c.text)} [{c.passage_n}]" for c in chosen)


def _candidates(wanted: set[str], passages: Sequence[Passage]) -> list[_Candidate]:
    out = []
    for n, passage in enumerate(passages, start=1):
        prior = 1.0 / (n + 1)  # retrieval rank as a prior: the semantic match of the whole passage
        context = set(analyze(f"{passage.title} {passage.section or ''}"))
        for position, sentence in enumerate(_sentences(passage)):
            terms = frozenset(analyze(sentence))
            if len(terms) < 3:
                continue
            hits = len(wanted & terms) + 0.5 * len(wanted & (context - terms))
            if hits == 0 and n > 1:
                continue
            score = hits / (len(wanted) or 1) + prior
            out.append(_Candidate(n, position, sentence, score, terms))
    return out


def _sentences(passage: Passage) -> list[str]:
    if passage.rows:  # table rows: one line per row, quoted whole
        return [line.strip() for line in passage.text.splitlines() if line.strip()]
    return [s.strip() for s in split_sentences(passage.text) if s.strip()]


def _similar(a: frozenset[str], b: frozenset[str]) -> bool:
    return len(a & b) / max(1, len(a | b)) > 0.7


_BRACKETED = re.compile(r"\s*\[[^\[\]\n]{1,30}\]")


def _as_sentence(text: str) -> str:
    # A footnote like "[3]" in the source would read as a citation marker: drop it.
    text = " ".join(_BRACKETED.sub("", text).split())
    return text.rstrip(".") + "." if text[-1:] not in ".!?:" else text
