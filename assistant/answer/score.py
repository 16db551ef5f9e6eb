"""Scoring evidence units against a question: IDF-weighted terms, retrieval rank, the kind of value
asked for, and the kommun constraint (which documents may answer for a named kommun).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from assistant.answer.question import NUMBER_WORDS, Question, head_noun, mentioned_kommuner
from assistant.answer.units import LIST, ROW, Unit, is_contact
from assistant.records import Passage
from assistant.text.sentences import split_sentences
from assistant.text.analyzer import analyze, analyze_token, expansions, held_terms

Frequencies = Callable[[Sequence[str]], tuple[dict[str, int], int]]

PROXIMITY_WORDS = 8  # a regional text speaks of a kommun when a question word stands this near its name
# Words that stand for each other in the documents: "diarienummer" is written "Dnr", a "samlat"
# behov is stated "sammanlagt". Each word's stem stands for the others'.
_SYNONYM_GROUPS = (("diarienummer", "dnr"), ("kontaktperson", "kontakt"), ("besvarade", "svarade"),
                   ("samlade", "sammanlagt", "totalt", "tillsammans"), ("utgången", "slutet", "december"),
                   ("jobb", "jobbet", "arbete", "arbetet", "anställning"),
                   ("skickades", "skickats", "utskick", "tillfrågade", "tillfrågats"),
                   ("deltagare", "deltagarna", "sökande"), ("folkmängd", "folkmängden", "invånare", "befolkning"),
                   ("förändrades", "förändring", "ökade", "ökning", "minskade", "minskning"), ("antogs", "antog", "antagen", "antagits", "antogs"), ("tycker", "upplever", "anser", "bedömer"))
SYNONYMS = {analyze_token(a)[0]: tuple(analyze_token(b)[0] for b in group if b != a)
            for group in _SYNONYM_GROUPS for a in group}
ABSENT_SHARE = 0.5
ABSENT_SHARE_WEAK = 0.35  # … when no passage is close in meaning either ("Sveriges högsta bergstopp")
MIN_SHARE = 0.2  # a unit must hold this weighted share of the question's terms to answer it
SURVEY_RECORD_CELLS = 9  # a response row has ~19 columns; a summary table's row (per kommun, per yrke) ~7

QUESTION_WORDS = frozenset(analyze(
    "vad hur vilka vilken vilket varför när var finns fanns säger sägs står ska skall kommer många mycket "
    "gäller berätta beskriv förklara ange lista nämn enligt stor störst största ingår ofta länge snabbt "
    "tidigt sent igen egentligen just nu jämför jämförelse skillnad mellan respektive och räkna upp ange "
    "jämfört få fått tag fattades fattade fatta fattat togs gjordes"
))
_DATE = re.compile(
    r"\b(\d{4}-\d{2}-\d{2}|\d{1,2} (januari|februari|mars|april|maj|juni|juli|augusti|september|oktober|"
    r"november|december)( \d{4})?|(januari|februari|mars|april|maj|juni|juli|augusti|september|oktober|"
    r"november|december) \d{4}|(våren|hösten|sommaren|vintern) \d{4}|(19|20)\d{2})\b", re.I)
_EXPECT = {
    "andel": re.compile(r"\d ?(%|procent)"),
    "antal": re.compile(rf"\d|\b{NUMBER_WORDS}\b", re.I),  # searched with dates and years taken out
    "datum": _DATE,
    "person": re.compile(r"\b[A-ZÅÄÖ][a-zåäöé]+ [A-ZÅÄÖ][a-zåäöé]+(?:-[A-ZÅÄÖ][a-zåäöé]+)?\b"),
}
_EXPECT_BONUS = 0.35
_FULL_DATE = re.compile(r"\b(\d{4}-\d{2}-\d{2}|\d{1,2} (januari|februari|mars|april|maj|juni|juli|augusti|september|"
                        r"oktober|november|december))\b", re.IGNORECASE)
_KOMMUN_BONUS = 0.15  # a unit that names the asked kommun beats one that speaks of all of them
_SUPERLATIVE = re.compile(r"\b(störst\w*|flest|högst\w*|mest|näst störst\w*|vanligast\w*|viktigast\w*)\b",
                          re.IGNORECASE)
# A cell that holds no value ("för få svar", "–"): neither it nor its column says anything of the row.
_PLACEHOLDER = re.compile(r"^\s*(för få svar|–|-|—|)\s*$", re.IGNORECASE)
_COUNTS_KOMMUNER = re.compile(r"\bhur många kommuner\b", re.IGNORECASE)


@dataclass(frozen=True)
class Scored:
    unit: Unit
    score: float
    share: float  # weighted share of the question's terms the unit (with its context) holds


class Scorer:
    """Scores units against one question: IDF-weighted terms, retrieval rank, expected value."""

    def __init__(self, question: Question, passages: Sequence[Passage], frequencies: Frequencies | None,
                 strong_meaning: float | None = None) -> None:
        self.strong_meaning = strong_meaning  # dense similarity above which the passages surely concern the question
        kommun_terms = {t for k in question.kommuner for t in analyze(k)}
        self.question = question
        self.passages = passages
        self.wanted = {t for t in analyze(question.search_text) if t not in QUESTION_WORDS and t not in kommun_terms
                       and (len(t) > 1 or t.isdigit())}
        for acronym, spelled in expansions(question.search_text).items():  # "RUS" is mostly spelled out
            self.wanted = (self.wanted - {acronym}) | (set(spelled) - QUESTION_WORDS)
        self.counted = frequencies is not None and bool(self.wanted)
        self.frequency, total = frequencies(sorted(self.wanted)) if self.counted else ({}, 0)  # type: ignore[misc]
        self.weights = idf_weights(self.wanted, self.frequency, total) if frequencies else {t: 1.0 for t in self.wanted}
        self._context = [set(analyze(f"{p.title} {p.section or ''}")) for p in passages]
        self._passage_terms = set().union(*self._context, *(analyze(p.text) for p in passages))
        # "störst behov" asks for the unit that says which is largest, not "viktigast"
        self._superlatives = {w[:5].lower() for w in _SUPERLATIVE.findall(question.text)}
        days = iso_dates(question.text)
        full = {d for d in days if not d.startswith("-")}  # "den 10 september 2025", not "i maj"
        self._dated = [bool(full) and any(d in f"{p.path} {p.title} {p.text[:300]}" for d in full) for p in passages]
        self._in_month = [bool(days) and any(d in f"{p.path} {p.title}" for d in days) for p in passages]
        noun = head_noun(question.text)
        self._noun = analyze_token(noun.lower())[0] if noun else None  # "Vad är visionen …?" → vision

    def score(self, unit: Unit, exclude: frozenset[str] = frozenset(), whole: bool = False) -> Scored:
        """How well `unit` answers; a list counts by its best item unless `whole` (a list question)."""
        wanted = self.wanted - exclude
        total = sum(self.weights[t] for t in wanted) or 1.0
        context = self._context[unit.passage]
        if unit.heading:  # "Västerbotten – en attraktiv region …" stands under "Vision"
            context = context | set(analyze(unit.heading))
        if unit.before and held_in(wanted, unit.text):
            # "Sju sökande kommer från …" continues "… yrkesförarutbildningen har beviljats …" (a sentence
            # holding none of the question's words does not answer by its neighbour's alone)
            context = context | set(analyze(unit.before))
        if unit.kind == ROW:  # a column's name counts with its value: "Andel svårt att rekrytera: 60 %"
            texts = [" ".join(f"{c} {v}" for c, v in unit.cells if not _PLACEHOLDER.match(v))]
        elif unit.kind == LIST and not whole:
            texts = [f"{unit.lead} {item}" for item in unit.items]
        else:
            texts = [unit.text]
        share = max(self._share(text, wanted, context, total) for text in texts or [unit.text])
        score = share + 0.5 / (unit.passage + 2)
        if self._expected(unit.text) and not (self.question.column and self.question.asks == "person"):
            # ("Vem ansvarar …?" is answered by the Ansvarig cell; a capitalised pair elsewhere in a row is no clue)
            score += _EXPECT_BONUS
            if self.question.asks == "datum" and not _FULL_DATE.search(unit.text):
                score -= _EXPECT_BONUS / 2  # "när antogs …?" wants the day, a bare year half counts
        if self.question.kommuner:
            score += self._kommun_fit(unit)
        if self.question.year and str(self.question.year) in unit.text:
            score += _KOMMUN_BONUS  # "När stänger enkäten 2026?": the sentence about 2026, not 2025
        if self._dated[unit.passage]:
            score += _KOMMUN_BONUS  # the document of the day the question names ("mötet den 10 september 2025")
        if self.question.doc_type and self.passages[unit.passage].type == self.question.doc_type:
            score += _KOMMUN_BONUS  # "enligt lärdomen om …": the asked kind of document
        if self._superlatives and self._superlatives & {w[:5].lower() for w in _SUPERLATIVE.findall(unit.text)}:
            score += _KOMMUN_BONUS  # "störst behov" asks for the unit that says which is largest
        if self.defines(unit):
            score += _EXPECT_BONUS  # the first words under a heading that names what is asked
        if unit.noise and not (self.question.asks == "person" and is_contact(unit.text, unit.heading)):
            score *= 0.3
        return Scored(unit, score, share)

    def _kommun_fit(self, unit: Unit) -> float:
        """A unit that names the asked kommun beats one that speaks of all; the kommun's own row of a
        table per kommun most of all; regional text that does not name it answers for it last."""
        kommuner = set(self.question.kommuner)
        if unit.kind == ROW and unit.cells[0][1] in kommuner:
            return 2 * _KOMMUN_BONUS
        # "Åsele: för få svar" is a column, not a value; "48 arbetsgivare deltog …" continues "… i Skellefteå."
        text = " ".join(v for _, v in unit.cells) if unit.kind == ROW else f"{unit.before} {unit.text}"
        if self.passages[unit.passage].kommun in kommuner or kommuner & set(mentioned_kommuner(text)):
            return _KOMMUN_BONUS  # in its own plan a kommun need not name itself
        return -_KOMMUN_BONUS

    def rarest_held(self, unit: Unit) -> str | None:
        """The question's rarest word that the unit itself holds (what it is about: "kock")."""
        held = held_in(self.wanted, _own_text(unit))
        return max(held, key=lambda t: self.weights.get(t, 0.0), default=None)

    def holds(self, unit: Unit, term: str | None) -> bool:
        return term is None or bool(held_in({term}, _own_text(unit)))

    def on_day(self, unit: Unit) -> bool:
        """The unit's document is of the day (or month) the question names."""
        return self._dated[unit.passage] or self._in_month[unit.passage]

    def same_day(self, answer: Unit, support: Unit) -> bool:
        """A supporting unit of a question that names a day comes from a document of that day too."""
        return not self._dated[answer.passage] or self._dated[support.passage]

    def defines(self, unit: Unit) -> bool:
        """The unit opens the section whose heading names what the question asks about ("Vision" →
        the vision itself; "Inriktning: Föregångare i omställning" → that inriktning)."""
        if not (unit.first_under_heading and self._noun):
            return False
        first = re.findall(r"[\wåäöÅÄÖ]+", unit.heading)[:1]  # the heading opens with the noun: "Vision", "Inriktning: …"
        return bool(first) and bool(held_terms({self._noun}, set(analyze_token(first[0].lower()))))

    def mostly_absent(self) -> bool:
        """The question is about something the caller's material never mentions: most of its weight
        lies on words that occur nowhere ("uppehållstillstånd som doktorand"); the passages then
        answer something else."""
        if not self.counted or not self.weights:
            return False
        held = held_terms(self.wanted, with_synonyms(self._passage_terms))  # 'målnivån' counts none, but 'målnivå' stands there
        absent = {t for t in self.weights if self.frequency.get(t, 0) == 0 and len(t) >= 5 and t not in held}
        share = sum(self.weights[t] for t in absent) / (sum(self.weights.values()) or 1.0)
        top_dense = max((p.dense_score or 0.0) for p in self.passages) if self.passages else 0.0
        weak_meaning = self.strong_meaning is not None and top_dense < self.strong_meaning
        return share >= ABSENT_SHARE or (weak_meaning and share >= ABSENT_SHARE_WEAK)

    def _share(self, text: str, wanted: set[str], context: set[str], total: float) -> float:
        held = held_in(wanted, text)
        near = held_terms(wanted, context) - held
        return (sum(self.weights[t] for t in held) + 0.5 * sum(self.weights[t] for t in near)) / total

    def _expected(self, text: str) -> bool:
        """The unit holds the kind of value asked for (a figure, a share, a date, a name)."""
        if self.question.asks == "antal" and _COUNTS_KOMMUNER.search(self.question.text):
            return len(mentioned_kommuner(text)) >= 3  # "hur många kommuner": the kommuner named
        expected = _EXPECT.get(self.question.asks or "")
        if self.question.asks == "antal":
            text = _DATE.sub(" ", text)  # "juni 2020" holds no count
        return expected is not None and expected.search(text) is not None


def _own_text(unit: Unit) -> str:
    return " ".join(v for _, v in unit.cells) if unit.kind == ROW else f"{unit.lead} {unit.text}"


def is_survey_record(unit: Unit, passage: Passage) -> bool:
    """One employer's survey response (a long row of a survey's response table): the survey stage
    computes figures from these; answers quote the survey's own summaries instead."""
    return unit.kind == ROW and passage.type == "enkat" and len(unit.cells) >= SURVEY_RECORD_CELLS


_MONTHS = ("januari", "februari", "mars", "april", "maj", "juni", "juli", "augusti", "september", "oktober",
           "november", "december")
_MONTH_ALONE = re.compile(rf"\bi ({'|'.join(_MONTHS)})\b", re.IGNORECASE)
_SPELLED_DATE = re.compile(rf"\b(\d{{1,2}}) ({'|'.join(_MONTHS)}) (\d{{4}})\b", re.IGNORECASE)


def iso_dates(text: str) -> set[str]:
    """The dates a text names, as ISO dates or, for a month alone, its "-MM-" part: "den 10 september
    2025" → {"2025-09-10"}; "mötet i november" → {"-11-"}."""
    found = {f"{y}-{_MONTHS.index(m.lower()) + 1:02d}-{int(d):02d}" for d, m, y in _SPELLED_DATE.findall(text)}
    found |= set(re.findall(r"\b\d{4}-\d{2}-\d{2}\b", text))
    if not found:
        found = {f"-{_MONTHS.index(m.lower()) + 1:02d}-" for m in _MONTH_ALONE.findall(text)}
    return found


def is_survey_passage(passage: Passage) -> bool:
    """A passage of survey response rows: no answer quotes them (see `is_survey_record`)."""
    first = passage.text.split("\n", 1)[0]
    return passage.type == "enkat" and bool(passage.sheet) and first.count(" | ") + 1 >= SURVEY_RECORD_CELLS


def idf_weights(terms: Iterable[str], df: dict[str, int], total: int) -> dict[str, float]:
    """IDF weight per term: a rare term (a place, a programme) weighs most, one found nowhere the most of all."""
    return {t: math.log((total + 1) / (df.get(t, 0) + 0.5)) for t in terms}


def allowed(unit: Unit, passage: Passage, kommuner: Sequence[str], wanted: set[str] | None = None,
            strict: bool = False) -> bool:
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
    text = " ".join(v for _, v in unit.cells) if unit.kind == ROW else unit.text
    named_here = mentioned_kommuner(text)
    if named_here and not set(named_here) & set(kommuner):
        return False  # "I Vilhelmina var svarsfrekvensen 60 procent …" is about Vilhelmina, not Skellefteå
    if strict:  # side by side: a regional text answers for a kommun only in a sentence that names it
        return any(k in mentioned_kommuner(unit.text) for k in kommuner)
    named = mentioned_kommuner(passage.text)
    return any(_near(passage.text, k, wanted) for k in kommuner if k in named)


def _near(text: str, kommun: str, wanted: set[str] | None) -> bool:
    """`kommun` is named in the same sentence as a word of the question, or within PROXIMITY_WORDS."""
    if not wanted:
        return True
    folded_kommun = set(analyze(kommun))
    for sentence in split_sentences(text):
        terms = set(analyze(sentence))
        if folded_kommun <= terms and held_terms(wanted, with_synonyms(terms)):
            return True
    tokens = re.findall(r"[0-9A-Za-zÅÄÖåäöéü]+", text)
    folded_name = analyze(kommun)
    places = [i for i, tok in enumerate(tokens) if set(analyze(tok)) & set(folded_name)]
    hits = [i for i, tok in enumerate(tokens) if held_in(wanted, tok)]
    return any(abs(a - b) <= PROXIMITY_WORDS for a in places for b in hits)


def held_in(wanted: Iterable[str], text: str) -> set[str]:
    """The stems of `wanted` that `text` holds, inflections and synonyms included."""
    return held_terms(wanted, with_synonyms(set(analyze(text))))


def with_synonyms(terms: set[str]) -> set[str]:
    return terms | {alias for t in terms for alias in SYNONYMS.get(t, ())}
