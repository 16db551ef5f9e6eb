"""List answers: a whole list, the rows of the table a question names, headings that name the
listed noun, or one cell that holds a list ("Delprioriteringar")."""

from __future__ import annotations

import re
from collections.abc import Sequence

from assistant.answer.question import Question, head_noun
from assistant.answer.render import NUMBERING, as_sentence, span
from assistant.answer.score import MIN_SHARE, QUESTION_WORDS, Scored, Scorer
from assistant.answer.units import LIST, ROW, SENTENCE, Unit
from assistant.cite.assemble import Line
from assistant.records import Passage
from assistant.text.analyzer import analyze, analyze_token, held_terms

MAX_LIST_ROWS = 12

# Verbs a list question asks with ("Vilka insatser planerar Dorotea?"): not what the rows must hold.

_LIST_VERBS = frozenset(analyze(
    "planerar planera planeras planerade prioriterar prioritera prioriteras prioriterade genomför genomföra "
    "genomförs satsar satsa arbetar gör görs har hade finns fanns innehåller tar upp nämns nämner ingår "
    "erbjuder erbjuds driver drivs pågår följer följa följs innehåller"
))

COLUMN_WORDS = frozenset(analyze(
    "ansvarig ansvarar ansvarade ansvaret tidplan målnivå mål målet utgångsläge koppling kopplas kopplad "
    "startar börjar start leder driver"
))

_YEAR = re.compile(r"(19|20)\d{2}")

_LABELLED_HEADING = re.compile(r"^([A-ZÅÄÖ][\wåäö]+)( \d+)?: \S.{0,200}$")


def list_answer(question: Question, scorer: Scorer, units: Sequence[Unit]) -> list[Line]:
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
        return list_lines(best_list.unit, scorer.passages[best_list.unit.passage].section)
    if rows and table_named and not list_named:
        return _row_list(question, scorer, rows)
    list_score = (best_list.score if best_list else 0.0) + (0.5 if list_named else 0.0)
    table_score = row_score + (0.5 if table_named else 0.0)
    if best_list is not None and list_score >= table_score and list_score >= 0.75 * best_any.score:
        return list_lines(best_list.unit, scorer.passages[best_list.unit.passage].section)
    if rows and table_score >= 0.75 * best_any.score:
        return _row_list(question, scorer, rows)
    return []


def _labelled_headings(question: Question, scorer: Scorer, units: Sequence[Unit]) -> list[Line]:
    """Headings or labelled lines that name what the question lists, in one document: "Vilka
    hållbarhetsmål …?" → "Hållbarhetsmål 1: En levande plats", "Hållbarhetsmål 2: En cirkulär plats";
    "Vilka beslut fattades på mötet i november?" → that protocol's "Beslut: …" lines."""
    head = head_noun(question.text)
    if head is None:
        return []
    noun = analyze_token(head.lower())[0]
    found: dict[str, list[Unit]] = {}
    for unit in units:  # a heading "Hållbarhetsmål 2: …" or a labelled line "Beslut: enkäten genomförs …"
        m = _LABELLED_HEADING.match(unit.text)
        if unit.kind == SENTENCE and m and (unit.noise or m.group(2) is None) and held_terms({noun}, set(analyze(m.group(1)))):
            found.setdefault(scorer.passages[unit.passage].doc_id, []).append(unit)
    dated = {doc: rows for doc, rows in found.items() if any(scorer.on_day(u) for u in rows)}
    best = max((dated or found).values(), key=len, default=[])  # "… på mötet i november": that meeting's
    distinct = list({u.text: u for u in sorted(best, key=lambda u: (u.passage, u.position))}.values())
    if len(distinct) < 2:
        return []
    def order(u: Unit) -> tuple[int, int, str, int]:  # numbered headings by number, others as the document has them
        number = re.search(r"\d+", u.text.split(":")[0])
        passage = scorer.passages[u.passage]
        return (int(number.group(0)) if number else 0, passage.page or 0, passage.source_id, u.start)

    passage = scorer.passages[distinct[0].passage]
    day = re.search(r"\d{4}-\d{2}-\d{2}", passage.path)
    lead = f"{head[:1].upper()}{head[1:]} i ”{passage.title}”" + (f" ({day.group(0)})" if day and day.group(0) not in passage.title else "") + ":"
    return [Line(lead)] + [Line(u.text if u.noise else as_sentence(u.text.split(": ", 1)[1]), (span(u),), prefix="- ")
                           for u in sorted(distinct, key=order)]  # "Beslut: x" is listed as "x" under "Beslut i …"


def _row_list(question: Question, scorer: Scorer, rows: Sequence[Scored]) -> list[Line]:
    """Table rows as a list under a lead-in that says what they are and where they stand."""
    head = head_noun(question.text)
    title = scorer.passages[rows[0].unit.passage].title
    lead = [Line(f"{head[:1].upper()}{head[1:]} i ”{title}”:")] if head else []
    return lead + [Line(_row_subject(s.unit, question), (span(s.unit),), prefix="- ") for s in rows]


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
    return [Line(f"{column} för ”{best.unit.cells[0][1]}”: {value}.", (span(best.unit),))]


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
    rest = scorer.wanted - COLUMN_WORDS - _LIST_VERBS
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
    return as_sentence(text)


def list_lines(unit: Unit, heading: str | None = None) -> list[Line]:
    """The list whole: its lead-in (or, without one, the heading it stands under) and every item."""
    spans = (span(unit),)
    if unit.lead:
        lines = [Line(as_sentence(unit.lead), spans)]
    elif heading:
        lines = [Line(NUMBERING.sub("", heading).strip().rstrip(":") + ":")]
    else:
        lines = []
    return lines + [Line(as_sentence(item, final=""), spans, prefix="- ") for item in unit.items]
