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

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from assistant.answer.question import Question, fold, mentioned_kommuner
from assistant.answer.units import LIST, ROW, Unit, is_contact, units_of
from assistant.cite.assemble import Line, Span
from assistant.records import Passage
from assistant.text.analyzer import analyze, held_terms

Frequencies = Callable[[Sequence[str]], tuple[dict[str, int], int]]

CONSIDERED_PASSAGES = 24  # the retrieved passages plus the rest of their tables
MAX_SUPPORT = {"fakta": 2, "förklaring": 3, "lista": 1, "jämförelse": 1}
MAX_SUPPORT_DIRECT = 1  # a question for one figure, date or name needs little besides it
PROXIMITY_WORDS = 8  # a regional text speaks of a kommun when a question word stands this near its name
# Words that stand for each other in the documents (stems): "diarienummer" is written "Dnr".
SYNONYMS = {"diarienumm": ("dnr",), "dnr": ("diarienumm",), "kontaktperson": ("kontakt",)}
MIN_SHARE = 0.25  # a unit must hold this weighted share of the question's terms to answer it
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

_QUESTION_WORDS = frozenset(analyze(
    "vad hur vilka vilken vilket varför när var finns fanns säger sägs står ska skall kommer många mycket "
    "gäller berätta beskriv förklara ange lista nämn enligt stor störst största ingår ofta länge snabbt "
    "tidigt sent igen egentligen just nu jämför jämförelse skillnad mellan respektive och"
))
# Verbs a list question asks with ("Vilka insatser planerar Dorotea?"): not what the rows must hold.
_LIST_VERBS = frozenset(analyze(
    "planerar planera planeras planerade prioriterar prioritera prioriteras prioriterade genomför genomföra "
    "genomförs satsar satsa arbetar gör görs har hade finns fanns innehåller tar upp nämns nämner ingår "
    "erbjuder erbjuds driver drivs pågår"
))
_COLUMN_WORDS = frozenset(analyze(
    "ansvarig ansvarar ansvarade ansvaret tidplan målnivå mål målet utgångsläge koppling kopplas kopplad "
    "startar börjar start leder driver"
))
_NUMBER_WORDS = r"(en|ett|två|tre|fyra|fem|sex|sju|åtta|nio|tio|elva|tolv|femton|tjugo)"
_DATE = re.compile(
    r"\b(\d{4}-\d{2}-\d{2}|\d{1,2} (januari|februari|mars|april|maj|juni|juli|augusti|september|oktober|"
    r"november|december)( \d{4})?|(januari|februari|mars|april|maj|juni|juli|augusti|september|oktober|"
    r"november|december) \d{4}|(våren|hösten|sommaren|vintern) \d{4}|(19|20)\d{2})\b", re.I)
_EXPECT = {
    "andel": re.compile(r"\d ?(%|procent)"),
    "antal": re.compile(rf"\d|\b{_NUMBER_WORDS}\b", re.I),
    "datum": _DATE,
    "person": re.compile(r"\b[A-ZÅÄÖ][a-zåäöé]+ [A-ZÅÄÖ][a-zåäöé]+(?:-[A-ZÅÄÖ][a-zåäöé]+)?\b"),
}
_EXPECT_BONUS = 0.35
_KOMMUN_BONUS = 0.15
_COUNTS_KOMMUNER = re.compile(r"\bhur många kommuner\b", re.IGNORECASE)  # a unit that names the asked kommun beats one that speaks of all of them
_YEAR = re.compile(r"(19|20)\d{2}")
_NUMBERING = re.compile(r"^(§\s*)?\d+(\.\d+)*\.?\s+")
_BRACKETED = re.compile(r"\s*\[[^\[\]\n]{1,30}\]")


@dataclass(frozen=True)
class Composition:
    """The composed lines, and the asked kommuner that no unit in scope speaks of."""

    lines: tuple[Line, ...]
    missing: tuple[str, ...] = ()


@dataclass(frozen=True)
class _Scored:
    unit: Unit
    score: float
    share: float  # weighted share of the question's terms the unit (with its context) holds


class _Scorer:
    """Scores units against one question: IDF-weighted terms, retrieval rank, expected value."""

    def __init__(self, question: Question, passages: Sequence[Passage], frequencies: Frequencies | None) -> None:
        kommun_terms = {t for k in question.kommuner for t in analyze(k)}
        self.question = question
        self.passages = passages
        self.wanted = {t for t in analyze(question.text) if t not in _QUESTION_WORDS and t not in kommun_terms
                       and (len(t) > 1 or t.isdigit())}
        self.weights = _weights(sorted(self.wanted), frequencies)
        self.whole = sum(self.weights.values()) or 1.0
        self._context = [set(analyze(f"{p.title} {p.section or ''}")) for p in passages]

    def score(self, unit: Unit, exclude: frozenset[str] = frozenset(), whole: bool = False) -> _Scored:
        """How well `unit` answers; a list counts by its best item unless `whole` (a list question)."""
        wanted = self.wanted - exclude
        total = sum(self.weights[t] for t in wanted) or 1.0
        context = self._context[unit.passage]
        if unit.kind == ROW:  # a column name ("Koppling till bristyrke") is every row's: context, not content
            context = context | set(analyze(" ".join(c for c, _ in unit.cells)))
            texts = [" ".join(v for _, v in unit.cells)]
        elif unit.kind == LIST and not whole:
            texts = [f"{unit.lead} {item}" for item in unit.items]
        else:
            texts = [unit.text]
        share = max(self._share(text, wanted, context, total) for text in texts or [unit.text])
        score = share + 0.5 / (unit.passage + 2)
        if self._expected(unit.text):
            score += _EXPECT_BONUS
        if self.question.kommuner and set(self.question.kommuner) & set(mentioned_kommuner(unit.text)):
            score += _KOMMUN_BONUS
        if unit.noise and not (self.question.asks == "person" and is_contact(unit.text)):
            score *= 0.3
        return _Scored(unit, score, share)

    def _share(self, text: str, wanted: set[str], context: set[str], total: float) -> float:
        held = held_terms(wanted, _with_synonyms(set(analyze(text))))
        near = held_terms(wanted, context) - held
        return (sum(self.weights[t] for t in held) + 0.5 * sum(self.weights[t] for t in near)) / total

    def _expected(self, text: str) -> bool:
        """The unit holds the kind of value asked for (a figure, a share, a date, a name)."""
        if self.question.asks == "antal" and _COUNTS_KOMMUNER.search(self.question.text):
            return len(mentioned_kommuner(text)) >= 3  # "hur många kommuner": the kommuner named
        expected = _EXPECT.get(self.question.asks or "")
        return expected is not None and expected.search(text) is not None


def compose(question: Question, passages: Sequence[Passage], frequencies: Frequencies | None = None) -> Composition:
    """The answer lines for `question` from `passages` (best first), with missing kommuner."""
    passages = list(passages[:CONSIDERED_PASSAGES])
    scorer = _Scorer(question, passages, frequencies)
    units = [u for u in units_of(passages) if not _is_survey_record(u, passages[u.passage])]
    if question.kind == "jämförelse" and len(question.kommuner) > 1:
        return _compare(question, scorer, units)
    allowed = [u for u in units if _allowed(u, passages[u.passage], question.kommuner, scorer.wanted)]
    lines = _answer(question, scorer, allowed)
    if not lines and question.kommuner:
        return Composition((), tuple(question.kommuner))
    return Composition(tuple(lines))


def evidence(question: Question, passages: Sequence[Passage], frequencies: Frequencies | None = None,
             limit: int = 12) -> list[Passage]:
    """The best evidence units as passages for a language model: the same units the extractive
    composer chooses from (a row with its header, a whole list, a sentence), each as its own source,
    and none from another kommun's documents when the question names a kommun."""
    passages = list(passages[:CONSIDERED_PASSAGES])
    scorer = _Scorer(question, passages, frequencies)
    units = [u for u in units_of(passages) if not _is_survey_record(u, passages[u.passage]) and not u.noise
             and _allowed(u, passages[u.passage], question.kommuner, scorer.wanted)]
    best = sorted((scorer.score(u, whole=True) for u in units), key=lambda s: -s.score)[:limit]
    best.sort(key=lambda s: (s.unit.passage, s.unit.position))
    return [replace(passages[s.unit.passage], text=s.unit.quote) for s in best if s.share > 0]


def _answer(question: Question, scorer: _Scorer, units: Sequence[Unit]) -> list[Line]:
    if not units:
        return []
    if question.column:
        lines = _column_answer(question, scorer, units)
        if lines:
            return lines
    if question.kind in ("lista", "jämförelse"):
        lines = _list_answer(question, scorer, units)
        if lines:
            return lines
    return _fact_answer(question, scorer, units)


def _is_survey_record(unit: Unit, passage: Passage) -> bool:
    """One employer's survey response: the survey stage computes figures from these, answers don't quote them."""
    return unit.kind == ROW and passage.type == "enkat"


def _allowed(unit: Unit, passage: Passage, kommuner: Sequence[str], wanted: set[str] | None = None) -> bool:
    """A unit may answer for `kommuner` when its document is theirs, or regional and speaks of one.

    A regional text speaks of a kommun when it names it near a word of the question ("Plats: Lycksele"
    in a list of who attended does not make the attendees Lycksele's).
    """
    if not kommuner:
        return True
    if passage.kommun is not None:
        return passage.kommun in kommuner
    if any(k in mentioned_kommuner(f"{passage.section or ''} {passage.title}") for k in kommuner):
        return True
    named = mentioned_kommuner(passage.text)
    return any(_near(passage.text, k, wanted) for k in kommuner if k in named)


def _near(text: str, kommun: str, wanted: set[str] | None) -> bool:
    if not wanted:
        return True
    tokens = re.findall(r"[0-9A-Za-zÅÄÖåäöéü]+", text)
    folded_name = analyze(kommun)
    places = [i for i, tok in enumerate(tokens) if set(analyze(tok)) & set(folded_name)]
    hits = [i for i, tok in enumerate(tokens) if held_terms(wanted, _with_synonyms(set(analyze(tok))))]
    return any(abs(a - b) <= PROXIMITY_WORDS for a in places for b in hits)


def _column_answer(question: Question, scorer: _Scorer, units: Sequence[Unit]) -> list[Line]:
    """The asked cell of the row that best matches the rest of the question."""
    rows = [u for u in units if u.kind == ROW and u.cell(question.column or "") is not None]
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


def _list_answer(question: Question, scorer: _Scorer, units: Sequence[Unit]) -> list[Line]:
    """A whole list, or the rows of the best-matching table, when one answers better than a sentence.

    A list whose lead-in, or a table whose heading or first column, names what the question lists
    ("Vilka insatser …" → the table of Insats rows) answers even when a single sentence scores higher.
    """
    scored = [scorer.score(u, whole=True) for u in units]
    best_any = max(scored, key=lambda s: s.score)
    noun = _list_noun(question.text)
    lists = [s for s in scored if s.unit.kind == LIST and s.share >= MIN_SHARE]
    best_list = max(lists, key=lambda s: s.score, default=None)
    rows = _table_rows(question, scorer, [s for s in scored if s.unit.kind == ROW])
    row_score = max((s.score for s in rows), default=0.0)
    list_named = best_list is not None and bool(
        noun & set(analyze(f"{best_list.unit.lead} {scorer.passages[best_list.unit.passage].section or ''}")))
    table_named = bool(rows) and bool(noun & _table_heading(rows[0].unit, scorer.passages[rows[0].unit.passage]))
    if best_list is not None and list_named and not table_named:
        return _list_lines(best_list.unit, scorer.passages[best_list.unit.passage].section)
    if rows and table_named and not list_named:
        return [Line(_row_subject(s.unit, question), (_span(s.unit),), prefix="- ") for s in rows]
    list_score = (best_list.score if best_list else 0.0) + (0.5 if list_named else 0.0)
    table_score = row_score + (0.5 if table_named else 0.0)
    if best_list is not None and list_score >= table_score and list_score >= 0.75 * best_any.score:
        return _list_lines(best_list.unit, scorer.passages[best_list.unit.passage].section)
    if rows and table_score >= 0.75 * best_any.score:
        return [Line(_row_subject(s.unit, question), (_span(s.unit),), prefix="- ") for s in rows]
    return []


def _list_noun(question: str) -> set[str]:
    """Stems of the noun a list question lists: 'Vilka prioriterade bristyrken …' → {bristyrk}.

    An adjective before the noun ('prioriterade', 'viktigaste') is left out, so a table headed
    "Prioriterade insatser" is not taken for a list of bristyrken.
    """
    m = re.search(r"\b(?:vilka|vilken|vilket|lista|nämn)\s+(\w+)(?:\s+(\w+))?", question, re.IGNORECASE)
    if not m:
        return set()
    first, second = m.groups()
    head = second if second and re.search(r"(ade|ande|aste|iga|ska|nya|e)$", first.lower()) else first
    return set(analyze(head)) - _QUESTION_WORDS


def _table_heading(unit: Unit, passage: Passage) -> set[str]:
    return set(analyze(f"{passage.section or ''} {unit.cells[0][0]}"))


def _table_rows(question: Question, scorer: _Scorer, rows: Sequence[_Scored]) -> list[_Scored]:
    """Rows of the table whose rows match best; only those holding the question's own words when it
    has words beyond the table's heading (\"insatser för undersköterskor\")."""
    if not rows:
        return []
    best = max(rows, key=lambda s: s.score)
    best_passage = scorer.passages[best.unit.passage]
    table = [s for s in rows if _same_table(scorer.passages[s.unit.passage], best_passage)]
    context = scorer._context[best.unit.passage] | {t for s in table for c, _ in s.unit.cells for t in analyze(c)}
    specific = {t for t in scorer.wanted - context - _COLUMN_WORDS - _LIST_VERBS if not _YEAR.fullmatch(t)}
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


def _fact_answer(question: Question, scorer: _Scorer, units: Sequence[Unit]) -> list[Line]:
    """The unit that best answers, then up to MAX_SUPPORT supporting units."""
    scored = sorted((scorer.score(u) for u in units), key=lambda s: (-s.score, s.unit.passage, s.unit.position))
    scored = [s for s in scored if (s.share >= MIN_SHARE or (s.unit.kind == ROW and s.share > 0))
              and (not s.unit.noise or (question.asks == "person" and is_contact(s.unit.text)))]
    if not scored:
        return []
    best = scored[0]
    chosen = [best]
    for cand in scored[1:]:
        limit = MAX_SUPPORT_DIRECT if question.asks and question.kind == "fakta" else MAX_SUPPORT.get(question.kind, 2)
        if len(chosen) > limit:
            break
        if cand.score < SUPPORT_RATIO * best.score or cand.unit.noise or cand.unit.kind == LIST:
            continue  # a list supports only as the answer itself: whole, or not at all
        if any(_similar(cand.unit, c.unit) for c in chosen):
            continue
        chosen.append(cand)
    first, rest = chosen[0], sorted(chosen[1:], key=lambda s: (s.unit.passage, s.unit.position))
    lines: list[Line] = []
    for s in [first, *rest]:
        heading = scorer.passages[s.unit.passage].section
        lines += _list_lines(s.unit, heading) if s.unit.kind == LIST else [_unit_line(s.unit)]
    return lines


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


def _compare(question: Question, scorer: _Scorer, units: Sequence[Unit]) -> Composition:
    """One block per kommun, each answered from that kommun's own material."""
    lines: list[Line] = []
    missing = []
    for kommun in question.kommuner:
        own = [u for u in units if _allowed(u, scorer.passages[u.passage], (kommun,), scorer.wanted)]
        sub = replace(question, kommuner=(kommun,),
                      kind="lista" if question.kind == "jämförelse" and _asks_list(question) else "fakta")
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


def _asks_list(question: Question) -> bool:
    return question.text.lower().startswith(("vilka", "vilken typ"))


def _with_synonyms(terms: set[str]) -> set[str]:
    return terms | {alias for t in terms for alias in SYNONYMS.get(t, ())}


def _weights(terms: Sequence[str], frequencies: Frequencies | None) -> dict[str, float]:
    if frequencies is None or not terms:
        return {t: 1.0 for t in terms}
    df, total = frequencies(terms)
    return {t: math.log((total + 1) / (df.get(t, 0) + 0.5)) for t in terms}


def _as_sentence(text: str, final: str = ".") -> str:
    """Source text as an answer line: footnote markers dropped (they would read as citations)."""
    text = " ".join(_BRACKETED.sub("", text).split())
    if not text:
        return text
    if text[-1] in ".!?:;,":
        return text.rstrip(";,") + ("" if text[-1] in ".!?:" else final)
    return text + final
