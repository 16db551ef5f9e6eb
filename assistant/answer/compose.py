"""The extractive composer: the direct answer first, then a little support, every line one unit.

Input is an analysed `Question` and the retrieved passages; output is `Line`s for
`cite.assemble`, each made from exactly one evidence unit (a sentence, a whole list, one table
row) and citing the passage span it came from. What the question asks decides the shape:

- a table column (Ansvarig, Tidplan, Målnivå …): that cell of the row that matches the rest;
- a list ("Vilka bristyrken …"): the whole list, or the matching rows of a table, as bullets;
- a comparison (two kommuner): one block per kommun, each from that kommun's own material;
- a fact or an explanation: the best unit holding what is asked (a figure, a date, a name), then
  at most a few supporting units.

A named kommun is a constraint: units come from that kommun's documents or from regional ones that
name it, never from another kommun's documents; a kommun without such units is reported missing.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

from assistant.answer.question import Question, asks_list, fold
from assistant.answer.score import (
    MIN_SHARE, QUESTION_WORDS, Frequencies, Scorer, allowed, is_survey_record,
)
from assistant.answer.lists import COLUMN_WORDS, list_answer, list_lines
from assistant.answer.render import NUMBERING, as_sentence, span, unit_line
from assistant.answer.superlative import superlative_answer
from assistant.answer.units import LIST, ROW, SENTENCE, Unit, is_contact, units_of
from assistant.cite.assemble import Line, Span
from assistant.records import Passage
from assistant.text.analyzer import analyze
from assistant.text.sentences import split_sentences

CONSIDERED_PASSAGES = 24  # the retrieved passages plus the rest of their tables
MAX_SUPPORT = {"fakta": 3, "förklaring": 4, "lista": 2, "jämförelse": 1}
MAX_SUPPORT_DIRECT = 2  # a question for one figure, date or name needs little besides it
SUPPORT_RATIO = 0.6
COLUMN_RIVAL_RATIO = 0.9
# A question that names the column ("målnivån", "ansvarig") wants the cell even if a sentence
# elsewhere matches its words better; one that only implies it ("när startar …") does not.
_EXPLICIT_COLUMN = {
    "ansvarig": re.compile(r"\bansvar"), "malniva": re.compile(r"\bmalniva"),
    "utgangslage": re.compile(r"\butgangslag"), "koppling": re.compile(r"\bkoppl"), "tidplan": re.compile(r"\btidplan"),
    "": re.compile(r"$^"),
}
_WHICH = re.compile(r"^(vilken|vilket|vilka|vad heter|vad kallas|vad är|vad var)\b", re.IGNORECASE)
_NAMES_SOURCE = re.compile(r"\benligt (den |det |de )?(\w+ ){0,2}(lärdom|protokoll|handlingsplan|agenda|enkät"
                           r"|arbetsgivarenkät|strategi|rus\b|utvecklingsstrategi)", re.IGNORECASE)
@dataclass(frozen=True)
class Composition:
    """The composed lines, and the asked kommuner that no unit in scope speaks of."""

    lines: tuple[Line, ...]
    missing: tuple[str, ...] = ()


def compose(question: Question, passages: Sequence[Passage], frequencies: Frequencies | None = None,
            strong_meaning: float | None = None) -> Composition:
    """The answer lines for `question` from `passages` (best first), with missing kommuner.

    `strong_meaning` is the refusal rule's dense similarity for "surely about the question"; below it,
    a question whose rare words the material lacks gets no answer.
    """
    passages = list(passages[:CONSIDERED_PASSAGES])
    scorer = Scorer(question, passages, frequencies, strong_meaning)
    units = [u for u in units_of(passages) if not is_survey_record(u, passages[u.passage])]
    if question.language == "en":
        return Composition(tuple(_english_answer(scorer, units)))
    if question.kind == "jämförelse" and len(question.kommuner) > 1:
        return _compare(question, scorer, units)
    own = [u for u in units if allowed(u, passages[u.passage], question.kommuner, scorer.wanted,
                                       strict=question.side_by_side)]
    own = _of_named_type(question, scorer, own)
    lines = _answer(question, scorer, own)
    if not lines and question.kommuner:
        return Composition((), tuple(question.kommuner))
    return Composition(tuple(lines))


def _of_named_type(question: Question, scorer: Scorer, units: list[Unit]) -> list[Unit]:
    """Only units of the document type the question names as its source ("… enligt lärdomen om
    omställning", "… i protokollet"), when such units answer at all."""
    if not question.doc_type or len(_NAMES_SOURCE.findall(question.text)) != 1:
        return units
    typed = [u for u in units if scorer.passages[u.passage].type == question.doc_type]
    return typed if any(scorer.score(u).share >= MIN_SHARE for u in typed) else units


def evidence(question: Question, passages: Sequence[Passage], frequencies: Frequencies | None = None,
             limit: int = 12) -> list[Passage]:
    """The best evidence units as passages for a language model: the same units the extractive
    composer chooses from (a row with its header, a whole list, a sentence), each as its own source,
    and none from another kommun's documents when the question names a kommun."""
    passages = list(passages[:CONSIDERED_PASSAGES])
    scorer = Scorer(question, passages, frequencies)
    units = [u for u in units_of(passages) if not is_survey_record(u, passages[u.passage]) and not u.noise
             and allowed(u, passages[u.passage], question.kommuner, scorer.wanted)]
    best = sorted((scorer.score(u, whole=True) for u in units), key=lambda s: -s.score)[:limit]
    best.sort(key=lambda s: (s.unit.passage, s.unit.position))
    return [replace(passages[s.unit.passage], text=s.unit.quote) for s in best if s.share > 0]


def _answer(question: Question, scorer: Scorer, units: Sequence[Unit]) -> list[Line]:
    if not units:
        return []
    if question.column:
        lines = _column_answer(question, scorer, units)
        if lines:
            return lines
    if question.kind == "lista" or (question.kind == "jämförelse" and asks_list(question.text)):
        lines = list_answer(question, scorer, units)
        if lines:
            return lines
    ranked = superlative_answer(question, scorer, units)
    if ranked:  # "Vilket yrke har störst behov?": the row with the largest value, then one supporting line
        support = [line for line in _fact_answer(question, scorer, units) if line.spans and line.spans != ranked[1].spans]
        return ranked + support[:1]
    return _fact_answer(question, scorer, units)


def _column_answer(question: Question, scorer: Scorer, units: Sequence[Unit]) -> list[Line]:
    """The asked cell of the row that best matches the rest of the question."""
    rows = [u for u in units if u.kind == ROW and u.cell(question.column or "") is not None]
    own = [u for u in rows if scorer.passages[u.passage].kommun in question.kommuner]
    if own and max(scorer.score(u, exclude=COLUMN_WORDS).share for u in own) >= MIN_SHARE:
        rows = own  # "Vem ansvarar för … i Vilhelmina?": the kommun's own plan answers for it
    if not rows:
        return []
    scored = sorted((scorer.score(u, exclude=COLUMN_WORDS) for u in rows), key=lambda s: -s.score)
    best = scored[0]
    rival = max((scorer.score(u, exclude=COLUMN_WORDS).share for u in units if u.kind != ROW and not u.noise),
                default=0.0)
    named = _EXPLICIT_COLUMN[question.column or ""].search(fold(question.text)) is not None
    if best.share < MIN_SHARE or (not named and best.share < COLUMN_RIVAL_RATIO * rival):
        return []  # a sentence answers better than any row with that column (another plan's table)
    column, value = best.unit.cell(question.column or "")  # type: ignore[misc]
    subject_column, subject = best.unit.cells[0]
    if subject_column == column:
        return [unit_line(best.unit)]
    text = f"{column} för ”{subject}”: {value}."
    return [Line(text, (span(best.unit),))]


def _fact_answer(question: Question, scorer: Scorer, units: Sequence[Unit]) -> list[Line]:
    """The unit that best answers, then up to MAX_SUPPORT supporting units."""
    scored = sorted((scorer.score(u) for u in units), key=lambda s: (-s.score, s.unit.passage, s.unit.position))
    scored = [s for s in scored if (s.share >= MIN_SHARE or (s.unit.kind == ROW and s.share > 0))
              and (not s.unit.noise or (question.asks == "person" and is_contact(s.unit.text, s.unit.heading)))]
    if not scored or scorer.mostly_absent():
        return []  # the question is about something the material never mentions ("doktorand")
    best = scored[0]
    chosen = [best]
    for cand in scored:
        if cand is best:
            continue
        limit = MAX_SUPPORT_DIRECT if question.asks and question.kind == "fakta" else MAX_SUPPORT.get(question.kind, 2)
        if question.side_by_side:
            limit = MAX_SUPPORT["jämförelse"]  # one kommun's block of a comparison: its answer and one more
        if len(chosen) > limit:
            break
        if cand.score < SUPPORT_RATIO * best.score or cand.unit.noise or cand.unit.kind == LIST:
            continue  # a list supports only as the answer itself: whole, or not at all
        if any(_similar(cand.unit, c.unit) for c in chosen) or not scorer.same_day(best.unit, cand.unit):
            continue
        if _sibling_row(scorer, best.unit, cand.unit) and not scorer.holds(cand.unit, scorer.rarest_held(best.unit)):
            continue  # another row of the answer's table supports only if it is about the same thing ("kockar")
        chosen.append(cand)
    first, rest = chosen[0], chosen[1:]
    lines: list[Line] = []
    for s in [first, *rest]:
        if s.unit.kind == LIST and question.asks:  # a figure, date or name from a list: the item holding it
            lines.append(Line(as_sentence(_best_item(scorer, s.unit)), (span(s.unit),)))
        elif s.unit.kind == LIST:  # "Vad ska göras …?": the list is the answer, whole
            lines += list_lines(s.unit, scorer.passages[s.unit.passage].section)
        else:
            lines.append(unit_line(s.unit))
    return _labelled(question, scorer.passages[first.unit.passage], first.unit, lines)


def _sibling_row(scorer: Scorer, best: Unit, cand: Unit) -> bool:
    """Both are rows of one table: one supports the other only when it is about the same thing."""
    a, b = scorer.passages[best.passage], scorer.passages[cand.passage]
    return best.kind == cand.kind == ROW and a.doc_id == b.doc_id and a.section == b.section


def _best_item(scorer: Scorer, unit: Unit) -> str:
    """The sentence of a list item that best answers the question (its own words, verbatim): an item
    of two sentences ("69 procent … I inlandskommunerna … 82 procent") answers with the one asked for."""
    sentences = [sentence for item in unit.items for sentence in split_sentences(item)]
    return max(sentences or unit.items,
               key=lambda text: scorer.score(replace(unit, kind=SENTENCE, text=text, items=())).score)


def _labelled(question: Question, passage: Passage, unit: Unit, lines: list[Line]) -> list[Line]:
    """The lines with the heading the first one stands under as a bold label, when the question asks
    *which* one (or what it is) and the heading names it: "Vilken inriktning …?" → **Inriktning:
    Föregångare i omställning:** …; a heading in the passage's own text is quoted with the line."""
    own = bool(unit.heading) and unit.first_under_heading
    heading = unit.heading if own else NUMBERING.sub("", (passage.section or "").split("; ")[-1]).strip()
    heading = heading.rstrip(":?").strip()
    if (unit.kind != SENTENCE or not _WHICH.match(question.text) or not heading or heading == passage.title
            or len(heading.split()) > 10 or fold(heading) in fold(unit.text) or heading.startswith("Sida ")):
        return lines
    if not set(analyze(heading)) & set(analyze(question.text)) - QUESTION_WORDS:
        return lines  # "Syfte" says nothing the question asks about
    if not own:
        return [Line(f"**{heading}:**"), *lines]
    first = lines[0]
    span = Span(first.spans[0].passage, unit.heading_start, first.spans[0].end)
    return [replace(first, spans=(span,), prefix=f"**{heading}:** "), *lines[1:]]


def _english_answer(scorer: Scorer, units: Sequence[Unit]) -> list[Line]:
    """An English question shares few words with Swedish text: the best-ranked passages' units that
    hold the kind of value asked for, in retrieval order (the refusal rule has judged by meaning)."""
    top = [u for u in units if u.passage < 2 and not u.noise and u.kind != LIST]
    expected = [u for u in top if scorer._expected(u.text)] or top
    return [unit_line(u) for u in expected[:MAX_SUPPORT["fakta"]]]


def _similar(a: Unit, b: Unit) -> bool:
    ta, tb = set(analyze(a.text)), set(analyze(b.text))
    return len(ta & tb) / max(1, len(ta | tb)) > 0.6


def _compare(question: Question, scorer: Scorer, units: Sequence[Unit]) -> Composition:
    """One block per kommun, each answered from that kommun's own material."""
    lines: list[Line] = []
    missing = []
    for kommun in question.kommuner:
        # Side by side, each kommun's block holds only what its own documents, or a text naming it, say.
        own = [u for u in units if allowed(u, scorer.passages[u.passage], (kommun,), strict=True)]
        sub = replace(question, kommuner=(kommun,), kind="lista" if asks_list(question.text) else "fakta")
        block = _answer(sub, scorer, own)
        if not block:
            missing.append(kommun)
            lines.append(Line(f"**{kommun}:** Underlaget innehåller inget om {kommun} som besvarar frågan."))
            continue
        lines.append(Line(f"**{kommun}:**"))
        lines += block
    if len(missing) == len(question.kommuner):
        return Composition((), tuple(missing))
    return Composition(tuple(lines), tuple(missing))


