"""Superlative questions over a table: "Vilket yrke har Umeå störst behov av?" → the row with the
largest value in the column the question points at.

The answer is the row itself (its subject and the chosen cell, verbatim), under a lead-in that says
which column was compared: a figure the reader can check in the cited row, not a sentence that
happens to contain "störst".
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from assistant.answer.question import Question, head_noun, mentioned_kommuner
from assistant.answer.render import span
from assistant.answer.score import Scorer
from assistant.answer.units import ROW, Unit
from assistant.cite.assemble import Line
from assistant.text.analyzer import analyze, analyze_token, held_terms

_ASKS_MOST = re.compile(r"\b(störst\w*|högst\w*|flest|mest)\b", re.IGNORECASE)
_SECOND = re.compile(r"\bnäst (störst|högst|flest|mest)\w*", re.IGNORECASE)
_NUMBER = re.compile(r"^\s*(\d{1,3}(?:[ \u00a0]\d{3})*|\d+)(?:,\d+)?\s*(%|procent)?\s*$")
_NOT_A_SUBJECT = re.compile(r"^(totalt|summa|samtliga|övriga|alla)\b", re.IGNORECASE)
_THREE_YEARS = re.compile(r"\b(tre år|3 år|tre års)\b", re.IGNORECASE)
_TWELVE_MONTHS = re.compile(r"\b(tolv månader|12 mån\w*|ett år|året|närmaste året)\b", re.IGNORECASE)
MIN_ROWS = 2  # a ranking needs two rows to rank


def asks_most(text: str) -> bool:
    """The question asks which has the most ("störst behov", "flest svar", "näst störst")."""
    return _ASKS_MOST.search(text) is not None


def superlative_answer(question: Question, scorer: Scorer, units: Sequence[Unit]) -> list[Line]:
    """The row with the largest (or, for "näst störst", the second largest) value, or []."""
    noun = head_noun(question.text)
    if question.column or not noun or not _ASKS_MOST.search(question.text):
        return []
    stem = analyze_token(noun.lower())[0]
    tables: dict[tuple[str, str | None, tuple[str, ...]], list[Unit]] = {}
    for unit in units:
        if unit.kind == ROW and held_terms({stem}, set(analyze(unit.cells[0][0]))):
            passage = scorer.passages[unit.passage]
            key = (passage.doc_id, passage.section, tuple(c for c, _ in unit.cells))
            if all(u.cells[0][1] != unit.cells[0][1] for u in tables.get(key, [])):
                tables.setdefault(key, []).append(unit)
    best: tuple[float, list[Line]] | None = None
    for rows in tables.values():
        column = _column(question, scorer, rows[0])
        ranked = sorted(((v, u) for u in rows if not _NOT_A_SUBJECT.match(u.cells[0][1])
                         and (v := _value(u, column)) is not None), key=lambda vu: -vu[0])
        position = 1 if _SECOND.search(question.text) else 0
        if column is None or len(ranked) < max(MIN_ROWS, position + 1):
            continue
        fit = sum(scorer.score(u).share for _, u in ranked) / len(ranked)
        if best is None or fit > best[0]:
            best = (fit, _lines(question, scorer, ranked[position][1], column, position))
    return best[1] if best else []


def _column(question: Question, scorer: Scorer, row: Unit) -> str | None:
    """The numeric column the question points at: the asked kommun's, the one named by the
    question's words ("behov … inom tre år" → "Behov 3 år"), else a total."""
    numeric = [c for c, v in row.cells[1:] if _NUMBER.match(v) or v in ("–", "-") or "för få" in v]
    if not numeric:
        return None
    for kommun in question.kommuner:
        if kommun in numeric:
            return kommun
    if any(mentioned_kommuner(c) for c in numeric):  # a column per kommun: the total, unless one is asked
        return next((c for c in numeric if c.lower().startswith("totalt")), None)
    if _THREE_YEARS.search(question.text):
        numeric = [c for c in numeric if "3" in c or "tre" in c.lower()] or numeric
    elif _TWELVE_MONTHS.search(question.text):
        numeric = [c for c in numeric if "12" in c or "tolv" in c.lower()] or numeric
    named = [c for c in numeric if held_terms(scorer.wanted, set(analyze(c)))]
    if len(named) > 1:  # "störst behov" of "Behov 12 mån" and "Behov 3 år": the longer horizon, as plans rank
        return next((c for c in named if "3" in c), named[0])
    candidates = named or numeric
    return candidates[0] if len(candidates) == 1 else None


def _value(unit: Unit, column: str | None) -> float | None:
    cell = next((v for c, v in unit.cells if c == column), None)
    m = _NUMBER.match(cell or "")
    return float(m.group(1).replace(" ", "").replace("\u00a0", "")) if m else None


def _lines(question: Question, scorer: Scorer, row: Unit, column: str, position: int) -> list[Line]:
    subject_column, subject = row.cells[0]
    value = next(v for c, v in row.cells if c == column)
    rank = "Näst högst" if position else "Högst"
    title = scorer.passages[row.passage].title
    lead = Line(f"{rank} värde i kolumnen ”{column}” i ”{title}”:")
    return [lead, Line(f"{subject_column}: {subject} – {column}: {value}.", (span(row),))]
