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

from assistant.answer.question import Question, asks_list, fold, head_noun
from assistant.answer.score import (
    MIN_SHARE, QUESTION_WORDS, Frequencies, Scored, Scorer, allowed, is_survey_record,
)
from assistant.answer.units import LIST, ROW, SENTENCE, Unit, is_contact, units_of
from assistant.cite.assemble import Line, Span
from assistant.records import Passage
from assistant.text.analyzer import analyze, analyze_token, held_terms
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
MAX_LIST_ROWS = 12

# Verbs a list question asks with ("Vilka insatser planerar Dorotea?"): not what the rows must hold.
_LIST_VERBS = frozenset(analyze(
    "planerar planera planeras planerade prioriterar prioritera prioriteras prioriterade genomför genomföra "
    "genomförs satsar satsa arbetar gör görs har hade finns fanns innehåller tar upp nämns nämner ingår "
    "erbjuder erbjuds driver drivs pågår följer följa följs innehåller"
))
_COLUMN_WORDS = frozenset(analyze(
    "ansvarig ansvarar ansvarade ansvaret tidplan målnivå mål målet utgångsläge koppling kopplas kopplad "
    "startar börjar start leder driver"
))
_YEAR = re.compile(r"(19|20)\d{2}")
_WHICH = re.compile(r"^(vilken|vilket|vilka|vad heter|vad kallas|vad är|vad var)\b", re.IGNORECASE)
_NUMBERING = re.compile(r"^(§\s*)?\d+(\.\d+)*\.?\s+")
_NAMES_SOURCE = re.compile(r"\benligt (den |det |de )?(\w+ ){0,2}(lärdom|protokoll|handlingsplan|agenda|enkät"
                           r"|arbetsgivarenkät|strategi|rus\b|utvecklingsstrategi)", re.IGNORECASE)
_LABELLED_HEADING = re.compile(r"^([A-ZÅÄÖ][\wåäö]+)(?: \d+)?: \S.{0,80}$")
_BRACKETED = re.compile(r"\s*\[[^\[\]\n]{1,30}\]")


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
        lines = _list_answer(question, scorer, units)
        if lines:
            return lines
    return _fact_answer(question, scorer, units)


def _column_answer(question: Question, scorer: Scorer, units: Sequence[Unit]) -> list[Line]:
    """The asked cell of the row that best matches the rest of the question."""
    rows = [u for u in units if u.kind == ROW and u.cell(question.column or "") is not None]
    own = [u for u in rows if scorer.passages[u.passage].kommun in question.kommuner]
    if own and max(scorer.score(u, exclude=_COLUMN_WORDS).share for u in own) >= MIN_SHARE:
        rows = own  # "Vem ansvarar för … i Vilhelmina?": the kommun's own plan answers for it
    if not rows:
        return []
    scored = sorted((scorer.score(u, exclude=_COLUMN_WORDS) for u in rows), key=lambda s: -s.score)
    best = scored[0]
    rival = max((scorer.score(u, exclude=_COLUMN_WORDS).share for u in units if u.kind != ROW and not u.noise),
                default=0.0)
    named = _EXPLICIT_COLUMN[question.column or ""].search(fold(question.text)) is not None
    if best.share < MIN_SHARE or (not named and best.share < COLUMN_RIVAL_RATIO * rival):
        return []  # a sentence answers better than any row with that column (another plan's table)
    column, value = best.unit.cell(question.column or "")  # type: ignore[misc]
    subject_column, subject = best.unit.cells[0]
    if subject_column == column:
        return [_unit_line(best.unit)]
    text = f"{column} för ”{subject}”: {value}."
    return [Line(text, (_span(best.unit),))]


def _list_answer(question: Question, scorer: Scorer, units: Sequence[Unit]) -> list[Line]:
    """A whole list, or the rows of the best-matching table, when one answers better than a sentence.

    A list whose lead-in, or a table whose heading or first column, names what the question lists
    ("Vilka insatser …" → the table of Insats rows) answers even when a single sentence scores higher.
    """
    scored = [scorer.score(u, whole=True) for u in units]
    best_any = max(scored, key=lambda s: s.score)
    noun = _list_noun(question.text)
    lists = [s for s in scored if s.unit.kind == LIST and len(s.unit.items) >= 2 and s.share >= MIN_SHARE]
    named_lists = [s for s in lists if held_terms(noun, _list_heading(s.unit, scorer.passages[s.unit.passage]))]
    best_list = max(named_lists or lists, key=lambda s: s.score, default=None)
    all_rows = [s for s in scored if s.unit.kind == ROW]
    named_rows = [s for s in all_rows if held_terms(noun, _table_heading(s.unit, scorer.passages[s.unit.passage]))]
    rows = _table_rows(question, scorer, named_rows or all_rows)  # "Vilka indikatorer …": the Indikator table
    row_score = max((s.score for s in rows), default=0.0)
    list_named = bool(named_lists)
    table_named = bool(rows) and bool(held_terms(noun, _table_heading(rows[0].unit, scorer.passages[rows[0].unit.passage])))
    in_column = _noun_column(question, scorer, [s.unit for s in scored if s.unit.kind == ROW])
    if in_column:
        return in_column
    headed = _labelled_headings(question, scorer, units)
    if headed:
        return headed
    if best_list is not None and list_named and not table_named:
        return _list_lines(best_list.unit, scorer.passages[best_list.unit.passage].section)
    if rows and table_named and not list_named:
        return _row_list(question, scorer, rows)
    list_score = (best_list.score if best_list else 0.0) + (0.5 if list_named else 0.0)
    table_score = row_score + (0.5 if table_named else 0.0)
    if best_list is not None and list_score >= table_score and list_score >= 0.75 * best_any.score:
        return _list_lines(best_list.unit, scorer.passages[best_list.unit.passage].section)
    if rows and table_score >= 0.75 * best_any.score:
        return _row_list(question, scorer, rows)
    return []


def _labelled_headings(question: Question, scorer: Scorer, units: Sequence[Unit]) -> list[Line]:
    """Headings that name what the question lists, in one document: "Vilka hållbarhetsmål …?" →
    "Hållbarhetsmål 1: En levande plats", "Hållbarhetsmål 2: En cirkulär plats"."""
    head = head_noun(question.text)
    if head is None:
        return []
    noun = analyze_token(head.lower())[0]
    found: dict[str, list[Unit]] = {}
    for unit in units:
        m = _LABELLED_HEADING.match(unit.text)
        if unit.kind == SENTENCE and unit.noise and m and held_terms({noun}, set(analyze(m.group(1)))):
            found.setdefault(scorer.passages[unit.passage].doc_id, []).append(unit)
    best = max(found.values(), key=len, default=[])
    distinct = list({u.text: u for u in sorted(best, key=lambda u: (u.passage, u.position))}.values())
    if len(distinct) < 2:
        return []
    def order(u: Unit) -> tuple[int, int, int]:  # numbered headings by number, others as the document has them
        number = re.search(r"\d+", u.text.split(":")[0])
        return (int(number.group(0)) if number else 0, scorer.passages[u.passage].page or 0, u.start)
    return [Line(f"{head[:1].upper()}{head[1:]}:")] + [Line(u.text, (_span(u),), prefix="- ") for u in sorted(distinct, key=order)]


def _row_list(question: Question, scorer: Scorer, rows: Sequence[Scored]) -> list[Line]:
    """Table rows as a list under a lead-in that says what they are and where they stand."""
    head = head_noun(question.text)
    title = scorer.passages[rows[0].unit.passage].title
    lead = [Line(f"{head[:1].upper()}{head[1:]} i ”{title}”:")] if head else []
    return lead + [Line(_row_subject(s.unit, question), (_span(s.unit),), prefix="- ") for s in rows]


def _noun_column(question: Question, scorer: Scorer, rows: Sequence[Unit]) -> list[Line]:
    """A list that stands in one cell: "Vilka delprioriteringar ingår i prioritering 6?" → the
    Delprioriteringar cell of the row whose other cells match the rest of the question."""
    head = head_noun(question.text)
    if head is None:
        return []
    noun = analyze_token(head.lower())[0]
    candidates = []
    for row in rows:  # the column is named by the noun itself ("Delprioriteringar"), not merely holds it
        column = next(((c, v) for c, v in row.cells[1:] if analyze_token(c.split()[0].lower())[0] == noun), None)
        if column is not None:
            candidates.append((scorer.score(row, exclude=frozenset(noun)), column))
    if not candidates:
        return []
    best, (column, value) = max(candidates, key=lambda c: c[0].score)
    values = set(analyze(" ".join(v for _, v in best.unit.cells)))
    if best.share < MIN_SHARE or not held_terms(scorer.wanted - {noun}, values):
        return []  # the row itself must hold the rest of the question, not only its heading
    return [Line(f"{column} för ”{best.unit.cells[0][1]}”: {value}.", (_span(best.unit),))]


def _list_noun(question: str) -> set[str]:
    """Stems of the noun a list question lists: 'Vilka prioriterade bristyrken …' → {bristyrk}.

    An adjective before the noun ('prioriterade', 'viktigaste'), a number ('fyra') or a genitive
    ('Umeås') is passed over, so a table headed "Prioriterade insatser" is not taken for a list of
    bristyrken.
    """
    head = head_noun(question)  # the whole word's stem: 'bristyrken' is not named by a column "Yrke"
    return {analyze_token(head.lower())[0]} - QUESTION_WORDS if head else set()


def _list_heading(unit: Unit, passage: Passage) -> set[str]:
    return set(analyze(f"{unit.lead} {passage.section or ''} {passage.title}"))


def _table_heading(unit: Unit, passage: Passage) -> set[str]:
    return set(analyze(f"{passage.section or ''} {unit.cells[0][0]}"))


def _table_rows(question: Question, scorer: Scorer, rows: Sequence[Scored]) -> list[Scored]:
    """Rows of the table whose rows match best; only those holding the question's own words when it
    has words beyond the table's heading (\"insatser för undersköterskor\")."""
    if not rows:
        return []
    best = max(rows, key=lambda s: s.score)
    best_passage = scorer.passages[best.unit.passage]
    table = [s for s in rows if _same_table(scorer.passages[s.unit.passage], best_passage)]
    context = scorer._context[best.unit.passage] | {t for s in table for c, _ in s.unit.cells for t in analyze(c)}
    rest = scorer.wanted - _COLUMN_WORDS - _LIST_VERBS
    specific = {t for t in rest - held_terms(rest, context) if not _YEAR.fullmatch(t)}  # 'indikator' is the column "Indikator"
    if specific:
        table = [s for s in table if specific & set(analyze(" ".join(v for _, v in s.unit.cells)))]
    table.sort(key=lambda s: (s.unit.passage, s.unit.position))
    return table[:MAX_LIST_ROWS]


def _same_table(a: Passage, b: Passage) -> bool:
    return a.doc_id == b.doc_id and a.section == b.section and a.sheet == b.sheet


def _row_subject(unit: Unit, question: Question) -> str:
    """A row as a list item: its first cell, and the asked column when there is one."""
    subject = unit.cells[0][1]
    extra = unit.cell(question.column) if question.column else None
    text = f"{subject} ({extra[0]}: {extra[1]})" if extra and extra[1] != subject else subject
    return _as_sentence(text)


def _list_lines(unit: Unit, heading: str | None = None) -> list[Line]:
    """The list whole: its lead-in (or, without one, the heading it stands under) and every item."""
    span = (_span(unit),)
    if unit.lead:
        lines = [Line(_as_sentence(unit.lead), span)]
    elif heading:
        lines = [Line(_NUMBERING.sub("", heading).strip().rstrip(":") + ":")]
    else:
        lines = []
    return lines + [Line(_as_sentence(item, final=""), span, prefix="- ") for item in unit.items]


def _fact_answer(question: Question, scorer: Scorer, units: Sequence[Unit]) -> list[Line]:
    """The unit that best answers, then up to MAX_SUPPORT supporting units."""
    scored = sorted((scorer.score(u) for u in units), key=lambda s: (-s.score, s.unit.passage, s.unit.position))
    scored = [s for s in scored if (s.share >= MIN_SHARE or (s.unit.kind == ROW and s.share > 0))
              and (not s.unit.noise or (question.asks == "person" and is_contact(s.unit.text)))]
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
        chosen.append(cand)
    first, rest = chosen[0], chosen[1:]
    lines: list[Line] = []
    for s in [first, *rest]:
        if s.unit.kind == LIST and question.asks:  # a figure, date or name from a list: the item holding it
            lines.append(Line(_as_sentence(_best_item(scorer, s.unit)), (_span(s.unit),)))
        elif s.unit.kind == LIST:  # "Vad ska göras …?": the list is the answer, whole
            lines += _list_lines(s.unit, scorer.passages[s.unit.passage].section)
        else:
            lines.append(_unit_line(s.unit))
    return _labelled(question, scorer.passages[first.unit.passage], first.unit, lines)


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
    heading = unit.heading if own else _NUMBERING.sub("", (passage.section or "").split("; ")[-1]).strip()
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
    return [_unit_line(u) for u in expected[:MAX_SUPPORT["fakta"]]]


def _unit_line(unit: Unit) -> Line:
    if unit.kind == ROW:
        subject_column, subject = unit.cells[0]
        rest = "; ".join(f"{c}: {v}" for c, v in unit.cells[1:])
        text = f"{subject_column}: {subject}" + (f" – {rest}" if rest else "")
        return Line(_as_sentence(text), (_span(unit),))
    return Line(_as_sentence(unit.text), (_span(unit),))


def _span(unit: Unit) -> Span:
    return Span(unit.passage, unit.start, unit.end)


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


def _as_sentence(text: str, final: str = ".") -> str:
    """Source text as an answer line: footnote markers dropped (they would read as citations)."""
    text = " ".join(_BRACKETED.sub("", text).split())
    if not text:
        return text
    if text[-1] in ".!?:;,":
        return text.rstrip(";,") + ("" if text[-1] in ".!?:" else final)
    return text + final
