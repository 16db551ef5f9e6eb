"""The `answer` stage: survey figures, retrieval, the refusal rule, then an LLM or the extractive composer.

Every path ends in the same citation post-processing, so answers from any composer obey one
contract: each `[n]` resolves to a citation whose quote stands in the cited source.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Sequence

from assistant import retrieval, survey
from assistant.answer import extractive, gate, llm
from assistant.cite.process import process
from assistant.deps import Deps
from assistant.errors import GenerationFailed
from assistant.records import Answer, Passage
from assistant.survey import SurveyResult

ANSWER_PASSAGES = 8


def answer(deps: Deps, question: str, scopes: tuple[str, ...]) -> Answer:
    """The full answer for `question` as seen by a caller holding `scopes`."""
    clock = _Clock()
    answer_id = uuid.uuid4().hex
    survey_result = _survey(deps, question, scopes)
    clock.lap("enkät_ms")
    if survey_result is not None:
        return Answer(survey_result.text, survey_result.citations, False, scopes, clock.done(),
                      mode="enkät", answer_id=answer_id)
    passages = retrieval.retrieve(deps.index, deps.embedder, question, scopes, ANSWER_PASSAGES,
                                  deps.settings.retrieval)
    clock.lap("sökning_ms")
    def frequencies(terms: Sequence[str]) -> tuple[dict[str, int], int]:
        return deps.index.lexical.document_frequencies(terms, scopes)

    evidence = gate.assess(question, passages, deps.settings.answer, frequencies)
    if not evidence.relevant:
        return refusal(scopes, clock.done(), answer_id)
    passages = current_first(deps, passages, scopes)
    model = deps.chat_model
    if model is not None:
        try:
            report = llm.generate_answer(question, passages, model)
            clock.lap("llm_ms")
            return Answer(report.text, report.citations, False, scopes, clock.done(), mode="llm", answer_id=answer_id)
        except GenerationFailed as exc:
            clock.lap("llm_ms")
            clock.note(f"llm_fel_{getattr(exc, 'reason', 'okänt')}", 1.0)
            return _extractive(question, passages, scopes, clock, answer_id, frequencies, fallback=True)
    return _extractive(question, passages, scopes, clock, answer_id, frequencies, fallback=False)


def current_first(deps: Deps, passages: list[Passage], scopes: tuple[str, ...]) -> list[Passage]:
    """Drop passages of documents that a newer document in scope replaces, when other evidence remains.

    A replaced plan is history: it should not answer questions about what holds now.
    """
    replaced = {d.replaces for d in deps.index.lexical.documents(scopes) if d.replaces}
    current = [p for p in passages if p.doc_id not in replaced]
    return current or passages


def refusal(scopes: tuple[str, ...], timings: dict[str, float], answer_id: str | None = None) -> Answer:
    """The Swedish 'cannot answer' record: no citations, nothing about what is out of scope."""
    return Answer(gate.REFUSAL + gate.REFUSAL_HELP, (), True, scopes, timings,
                  answer_id=answer_id)


def _extractive(question: str, passages: list[Passage], scopes: tuple[str, ...], clock: _Clock,
                answer_id: str, frequencies: gate.Frequencies, fallback: bool) -> Answer:
    text = extractive.compose(question, passages, frequencies)
    report = process(text, passages)
    clock.lap("komponering_ms")
    if not report.citations:
        return refusal(scopes, clock.done(), answer_id)
    return Answer(report.text, report.citations, False, scopes, clock.done(), mode="extraktiv",
                  fallback=fallback, answer_id=answer_id)


def _survey(deps: Deps, question: str, scopes: tuple[str, ...]) -> SurveyResult | None:
    lexical = deps.index.lexical
    tables = lexical.tables(scopes)
    if not tables:
        return None
    return survey.answer(question, tables, scopes,
                         lambda doc_id, sheet: lexical.row_passages(doc_id, sheet, scopes))


class _Clock:
    """Milliseconds per stage, for `timings_ms`."""

    def __init__(self) -> None:
        self._start = self._last = time.perf_counter()
        self.timings: dict[str, float] = {}

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.timings[name] = round((now - self._last) * 1000, 1)
        self._last = now

    def note(self, name: str, value: float) -> None:
        self.timings[name] = value

    def done(self) -> dict[str, float]:
        self.timings["totalt_ms"] = round((time.perf_counter() - self._start) * 1000, 1)
        return dict(self.timings)
