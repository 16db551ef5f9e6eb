"""The `answer` stage: question analysis, then per part survey figures or retrieval → gate → composer.

1. `analyze_question` reads the question (and the turns before it): kind, constraints, parts.
2. Each part is answered on its own: the survey computes a figure when the survey table answers
   it; otherwise hybrid retrieval, the refusal rule (`gate`), then an LLM (when configured) or the
   extractive composer, which builds every line from one evidence unit.
3. `cite.assemble` numbers the citations; each quote holds what its lines say.

A part the evidence does not answer is said to be unanswered; a named kommun that no document in
the caller's scopes covers is said to be missing, never silently replaced by another's facts.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from assistant import retrieval, survey
from assistant.answer import gate, llm
from assistant.answer.compose import compose, evidence
from assistant.answer.score import Scorer, is_survey_passage, iso_dates
from assistant.answer.superlative import asks_most
from assistant.answer.units import parse_row
from assistant.text.analyzer import analyze, held_terms
from assistant.answer.question import (
    Question, analyze_question, asks_list, for_part, mentioned_kommuner, swap_kommuner,
)
from assistant.cite.assemble import Line, assemble, shifted
from assistant.deps import Deps
from assistant.errors import GenerationFailed
from assistant.records import Answer, Passage
from assistant.survey import SurveyResult

ANSWER_PASSAGES = 8
# A part that points at what the part before answered ("just det yrket", "… ut för det?"), not a bare
# "det" ("hur många blev det?").
_POINTS_BACK = re.compile(r"\b(just )?(det|den|detta|denna|samma) \w+(et|en|an|na)\b|\b(för|om|av|till|i) (det|den|dem|dessa)\s*\?$",
                          re.IGNORECASE)
KOMMUN_OWN_PASSAGES = 3  # a question about one kommun reads at least this many of its own passages
WHOLE_DOCUMENT_TOP = 2  # when the best two passages share a short document, its other sections are read too
WHOLE_DOCUMENT_MAX = 12
ANSWER_PER_DOCUMENT = 5  # an answer may need several sections of one document ("Vad vi lärde oss")
MAX_PREVIOUS = 3  # earlier questions of a conversation that a follow-up may lean on


@dataclass
class _Part:
    """What answering one part produced."""

    lines: list[Line] = field(default_factory=list)
    passages: list[Passage] = field(default_factory=list)
    mode: str = "extraktiv"
    missing: tuple[str, ...] = ()
    fallback: bool = False

    @property
    def answered(self) -> bool:
        return bool(self.lines)


def answer(deps: Deps, question: str, scopes: tuple[str, ...], previous: Sequence[str] = ()) -> Answer:
    """The full answer for `question` as seen by a caller holding `scopes`.

    `previous` are the earlier questions of the conversation, oldest first: a follow-up such as
    "Och i Dorotea?" is read as the last of them with the kommun swapped.
    """
    clock = _Clock()
    answer_id = uuid.uuid4().hex
    asked = analyze_question(question, list(previous)[-MAX_PREVIOUS:])
    parts = [for_part(asked, p) for p in asked.parts] if len(asked.parts) > 1 else [asked]
    covered = {d.kommun for d in deps.index.lexical.documents(scopes) if d.kommun}
    results: list[_Part] = []
    for i, part in enumerate(parts):
        if i and part.context and results[-1].answered and _POINTS_BACK.search(part.text):  # "… för just det yrket?": the
            part = replace(part, context=f"{part.context} {_plain(results[-1].lines)}")  # answer before says which
            parts[i] = part
        results.append(_answer_part(deps, part, scopes, covered, clock))
    if len(parts) > 1:  # a part that cannot stand alone ("vilket mål hade Åsele?") gets the whole question
        results = [r if r.answered else _answer_part(deps, replace(p, text=asked.text), scopes, covered, clock)
                   for p, r in zip(parts, results, strict=True)]
    if not any(r.answered for r in results):
        missing = tuple(dict.fromkeys(k for r in results for k in r.missing))
        return replace(refusal(scopes, clock.done(), answer_id, missing), question=_interpreted(asked))
    lines, passages = _join(parts, results)
    text, citations = assemble(lines, passages)
    clock.lap("komponering_ms")
    modes = {r.mode for r in results if r.answered}
    mode = modes.pop() if len(modes) == 1 else "extraktiv"
    return Answer(text, citations, False, scopes, clock.done(), mode=mode,
                  fallback=any(r.fallback for r in results), answer_id=answer_id, question=_interpreted(asked))


def _interpreted(asked: Question) -> str | None:
    """How a follow-up was read, for "Tolkad som …": the standalone question, or the question with the
    one it leans on ("Vem ansvarar för den? (om: Vilken insats har Vilhelmina för kockar?)")."""
    if not asked.follow_up:
        return None
    return f"{asked.text} (om: {asked.context})" if asked.context else asked.text


def _plain(lines: Sequence[Line]) -> str:
    """The first cited answer line's words (a lead-in or label line gives way to the line after it)."""
    texts = [line.text for line in lines if line.spans or line.cited]  # the answer, not its lead-in
    return texts[0] if texts else ""


def _answer_part(deps: Deps, part: Question, scopes: tuple[str, ...], covered: set[str], clock: _Clock) -> _Part:
    uncovered = tuple(k for k in part.kommuner if k not in covered)
    figures = _survey_lines(deps, part, scopes) if not uncovered else None
    clock.lap("enkät_ms")
    if figures:
        return _Part(figures, mode="enkät")
    if part.kind == "jämförelse" and len(part.kommuner) > 1:
        return _side_by_side(deps, part, scopes, covered, clock)
    passages, own = _answer_passages(deps, part, scopes)
    clock.lap("sökning_ms")

    def frequencies(terms: Sequence[str]) -> tuple[dict[str, int], int]:
        return deps.index.lexical.document_frequencies(terms, scopes)

    if not gate.assess(part.search_text, passages, deps.settings.answer, frequencies, also=own).relevant:
        return _Part(missing=uncovered)
    passages = with_whole_tables(deps, current_first(deps, passages, scopes, part.year), scopes,
                                 every_table=part.column is not None or part.kind == "lista" or part.asks in ("antal", "andel")
                                 or asks_most(part.text),
                                 question=part.search_text)
    passages = with_whole_document(deps, passages, scopes, part.text)
    units = evidence(part, passages, frequencies) if deps.chat_model is not None else []
    if units:
        try:
            report = llm.generate_answer(part.text, units, deps.chat_model)
            clock.lap("llm_ms")
            return _Part([Line(report.text, cited=report.citations)], mode="llm")
        except GenerationFailed as exc:
            clock.lap("llm_ms")
            clock.note(f"llm_fel_{getattr(exc, 'reason', 'okänt')}", 1.0)
            result = _extractive(part, passages, frequencies, uncovered, deps.settings.answer.dense_strong)
            result.fallback = True
            return result
    return _extractive(part, passages, frequencies, uncovered, deps.settings.answer.dense_strong)


def _answer_passages(deps: Deps, part: Question, scopes: tuple[str, ...]) -> tuple[list[Passage], list[Passage]]:
    """The best ANSWER_PASSAGES passages an answer can quote, and a named kommun's own best ones.

    Survey response rows, which the survey stage computes from and no answer line quotes, give
    their places to the next passages. A question about one kommun also reads that kommun's own best
    passages, even when regional text ranks higher ("I Åsele svarade 29 av 50 …").
    """
    found = retrieval.retrieve(deps.index, deps.embedder, part.search_text, scopes, 3 * ANSWER_PASSAGES,
                               deps.settings.retrieval, per_document=ANSWER_PER_DOCUMENT)
    quotable = [p for p in found if not is_survey_passage(p)] or found
    chosen = quotable[:ANSWER_PASSAGES]
    own = _kommun_passages(deps, part, scopes, part.kommuner[0]) if len(part.kommuner) == 1 else []
    present = {p.source_id for p in chosen}
    return chosen + [p for p in own if p.source_id not in present], own


def _kommun_passages(deps: Deps, part: Question, scopes: tuple[str, ...], kommun: str) -> list[Passage]:
    """The kommun's own passages (its current documents in scope) that hold most of the question's
    weighted words: a plan states "I Dorotea svarade 27 av 52 …" where regional text ranks higher."""
    lexical = deps.index.lexical
    replaced = {d.replaces for d in lexical.documents(scopes) if d.replaces}
    ids = [i for d in lexical.documents(scopes) if d.kommun == kommun and d.doc_id not in replaced
           for i in lexical.passage_ids(d.doc_id)]
    if not ids:
        return []
    scorer = Scorer(part, [], lambda terms: lexical.document_frequencies(terms, scopes))
    found = lexical.passages(ids, scopes)

    def weight(p: Passage) -> float:
        return sum(scorer.weights[t] for t in held_terms(scorer.wanted, set(analyze(f"{p.section or ''} {p.text}"))))
    ranked = sorted((p for p in found.values() if not is_survey_passage(p)), key=lambda p: -weight(p))
    return ranked[:KOMMUN_OWN_PASSAGES]


def _side_by_side(deps: Deps, part: Question, scopes: tuple[str, ...], covered: set[str], clock: _Clock) -> _Part:
    """A comparison of named kommuner: each kommun's question asked on its own, under its name."""
    kind = "lista" if asks_list(part.text) else "fakta"
    out = _Part()
    for kommun in part.kommuner:
        one = replace(part, text=swap_kommuner(part.text, part.kommuner, (kommun,)), kommuner=(kommun,), kind=kind,
                      side_by_side=True)
        result = _answer_part(deps, one, scopes, covered, clock)
        offset = len(out.passages)
        out.passages += result.passages
        out.lines.append(Line(f"**{kommun}:**"))
        if not result.answered:
            out.lines.append(Line(f"Underlaget innehåller inget om {kommun} som besvarar frågan."))
            continue
        out.lines += shifted(result.lines, offset)
        out.mode = result.mode
    if all(line.text.startswith(("**", "Underlaget")) for line in out.lines):
        return _Part(missing=tuple(k for k in part.kommuner if k not in covered))
    return out


def _extractive(part: Question, passages: list[Passage], frequencies: gate.Frequencies,
                uncovered: tuple[str, ...], strong_meaning: float | None = None) -> _Part:
    composition = compose(part, passages, frequencies, strong_meaning)
    missing = tuple(k for k in composition.missing if k in uncovered)
    if uncovered and not composition.lines:
        return _Part(missing=uncovered)
    return _Part(list(composition.lines), passages, missing=missing)  # a comparison says per kommun what is missing


def _join(parts: Sequence[Question], results: Sequence[_Part]) -> tuple[list[Line], list[Passage]]:
    """The lines of every part, with span passage numbers moved into one list of passages."""
    lines: list[Line] = []
    passages: list[Passage] = []
    for part, result in zip(parts, results, strict=True):
        if not result.answered:
            lines.append(Line(f"Underlaget innehåller inget som besvarar frågan ”{part.text.rstrip('?')}”."
                              if not result.missing else _missing_text(result.missing)))
            continue
        offset = len(passages)
        passages += result.passages
        seen = {line.text for line in lines}
        lines += shifted([line for line in result.lines if line.text not in seen or not line.spans], offset)
    return lines, passages


def with_whole_tables(deps: Deps, passages: list[Passage], scopes: tuple[str, ...],
                      every_table: bool = False, question: str = "") -> list[Passage]:
    """The passages plus the other rows of each plan table among them, so a list of rows comes whole.

    With `every_table` (a question for a table column such as Målnivå, or for a figure) the rows of
    every table of the documents found are added, so the indicator table answers even when only the
    plan's text was retrieved; the tables whose heading and column names share most words with
    `question` come first. Survey answer rows are left out: the survey stage computes from them.
    """
    present = {p.source_id for p in passages}
    tables: dict[tuple[str, str | None, str | None], list[Passage]] = {}
    documents = dict.fromkeys((p.doc_id, p.section, p.sheet) for p in passages
                              if not (p.type == "enkat" and p.sheet) and (p.rows or every_table))
    for doc_id, section, sheet in documents:
        for sibling in deps.index.lexical.row_passages(doc_id, sheet, scopes):
            if sibling.source_id not in present and (every_table or sibling.section == section):
                present.add(sibling.source_id)
                tables.setdefault((sibling.doc_id, sibling.section, sibling.sheet), []).append(sibling)
    asked = set(analyze(question))

    def fit(rows: list[Passage]) -> int:
        head = rows[0]
        columns = " ".join(c for line in head.text.splitlines()[:1] for c, _ in parse_row(line))
        return len(asked & set(analyze(f"{head.section or ''} {columns}")))

    ordered = sorted(tables.values(), key=fit, reverse=True) if question else list(tables.values())
    return passages + [row for rows in ordered for row in rows]


def with_whole_document(deps: Deps, passages: list[Passage], scopes: tuple[str, ...],
                        question: str = "") -> list[Passage]:
    """The passages plus the rest of a short document that the best passages all come from: a
    question about one lärdom or one protocol may be answered by a section retrieval ranked lower
    ("Vad vi lärde oss" under "Vilka lärdomar …")."""
    top = passages[:WHOLE_DOCUMENT_TOP]
    days = iso_dates(question)
    dated = next((p for p in passages if days and any(d in f"{p.path} {p.title}" for d in days)), None)
    if dated is not None:  # "… på mötet i november": the whole protocol of that meeting
        top = [dated] * WHOLE_DOCUMENT_TOP
    if len(top) < WHOLE_DOCUMENT_TOP or len({p.doc_id for p in top}) > 1 or top[0].rows:
        return passages
    ids = deps.index.lexical.passage_ids(top[0].doc_id)
    if len(ids) > WHOLE_DOCUMENT_MAX:
        return passages
    present = {p.source_id for p in passages}
    found = deps.index.lexical.passages([i for i in ids if i not in present], scopes)
    return passages + [found[i] for i in ids if i in found and not found[i].rows]


def current_first(deps: Deps, passages: list[Passage], scopes: tuple[str, ...],
                  year: int | None = None) -> list[Passage]:
    """Drop passages of documents that a newer document in scope replaces, when other evidence remains.

    A replaced plan is history: it should not answer questions about what holds now, unless the
    question asks for its `year` ("arbetsversionen av handlingsplanen 2024").
    """
    replaced = {d.replaces for d in deps.index.lexical.documents(scopes) if d.replaces}
    current = [p for p in passages if p.doc_id not in replaced or (year is not None and p.year == year)]
    return current or passages


def refusal(scopes: tuple[str, ...], timings: dict[str, float], answer_id: str | None = None,
            missing: Sequence[str] = ()) -> Answer:
    """The Swedish 'cannot answer' record: no citations, nothing about what is out of scope.

    When the question names kommuner that no document in the caller's scopes covers, it says so.
    """
    text = (_missing_text(missing) if missing else gate.REFUSAL) + gate.REFUSAL_HELP
    return Answer(text, (), True, scopes, timings, answer_id=answer_id)


def _missing_text(kommuner: Sequence[str]) -> str:
    names = kommuner[0] if len(kommuner) == 1 else ", ".join(kommuner[:-1]) + " eller " + kommuner[-1]
    return f"Underlaget innehåller inget om {names}."


def _survey_lines(deps: Deps, part: Question, scopes: tuple[str, ...]) -> list[Line] | None:
    """The survey's computed answer; a comparison of named kommuner gets one figure per kommun
    when the survey's own answer does not already set them side by side."""
    asked = part.text
    if part.context and part.kommuner and not mentioned_kommuner(asked):
        asked = f"{asked.rstrip('?. ')} i {part.kommuner[0]}?"  # "… hur många hade fått den?" of Åsele
    whole = _survey(deps, asked, scopes)
    if whole is None:
        return None
    side_by_side = any(isinstance(r, dict) and "kommun" in r for r in whole.figures.get("rows") or ())
    if part.kind == "jämförelse" and len(part.kommuner) > 1 and not side_by_side:
        lines: list[Line] = []
        for kommun in part.kommuner:
            one = _survey(deps, swap_kommuner(part.text, part.kommuner, (kommun,)), scopes)
            if one is None:
                break
            lines += [Line(f"**{kommun}:**"), Line(one.text, cited=one.citations)]
        else:
            return lines
    return [Line(whole.text, cited=whole.citations)]


def _survey(deps: Deps, question: str, scopes: tuple[str, ...]) -> SurveyResult | None:
    lexical = deps.index.lexical
    tables = lexical.tables(scopes)
    if not tables:
        return None
    return survey.answer(question, tables, scopes,
                         lambda doc_id, sheet: lexical.row_passages(doc_id, sheet, scopes))


class _Clock:
    """Milliseconds per stage, for `timings_ms` (a stage met twice adds up)."""

    def __init__(self) -> None:
        self._start = self._last = time.perf_counter()
        self.timings: dict[str, float] = {}

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.timings[name] = round(self.timings.get(name, 0.0) + (now - self._last) * 1000, 1)
        self._last = now

    def note(self, name: str, value: float) -> None:
        self.timings[name] = value

    def done(self) -> dict[str, float]:
        self.timings["totalt_ms"] = round((time.perf_counter() - self._start) * 1000, 1)
        return dict(self.timings)
