"""The refusal rule: do the passages in the caller's scopes answer the question at all?

When they do not, the answer is `REFUSAL` + `REFUSAL_HELP` with `refused: true` and no citations.
The thresholds are `AnswerSettings`, calibrated on the sample corpus (see evals/).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from assistant.config import AnswerSettings
from assistant.records import Passage
from assistant.answer.question import is_english
from assistant.answer.score import idf_weights, with_synonyms
from assistant.text.analyzer import analyze, expansions, held_terms

REFUSAL = "Underlaget innehåller inget som besvarar frågan."
REFUSAL_HELP = (
    " Det kan bero på att frågan gäller något utanför de indexerade dokumenten, eller på material du "
    "inte har behörighet till. Kontakta den regionala samordnaren för kompetensförsörjning eller "
    "kompetensmäklaren i din kommun om du behöver hjälp att ta fram underlaget."
)

# Words that say what kind of question it is, not what it is about.
_QUESTION_TERMS = frozenset(analyze(
    "vad hur vilka vilken vilket varför när var finns fanns säger sägs står ska skall kommer många mycket "
    "gäller berätta beskriv förklara ange lista nämn enligt stor störst största ingår ofta länge snabbt "
    "tidigt sent igen egentligen just nu fattades fattade fatta togs gjordes"
))


@dataclass(frozen=True)
class Evidence:
    """How well the retrieved passages cover the question."""

    coverage: float
    top_dense: float
    relevant: bool


def question_terms(question: str) -> set[str]:
    """Content terms of a question (stems and compound parts), without question words."""
    return {t for t in analyze(question) if t not in _QUESTION_TERMS and (len(t) > 1 or t.isdigit())}


Frequencies = Callable[[Sequence[str]], tuple[dict[str, int], int]]


# The best passages the rule reads (four let "Sveriges högsta bergstopp" through on one stray passage).
GATE_PASSAGES = 3


def assess(question: str, passages: Sequence[Passage], rule: AnswerSettings, frequencies: Frequencies,
           also: Sequence[Passage] = ()) -> Evidence:
    """Decide whether the passages in scope can answer the question at all.

    Coverage is the IDF-weighted share of the question's content terms that the best passages
    hold: a rare term (a place, a programme, a name) the evidence lacks weighs most, and a term
    that nowhere in the caller's material occurs weighs the most of all. Relevant when the best
    passage is very similar in meaning, or similar enough and covering at least `rule.coverage_min`.
    `also` are passages read besides the best ones (a named kommun's own passages that hold most of
    the question's words).
    """
    if not passages:
        return Evidence(0.0, 0.0, False)
    terms = sorted(question_terms(question))
    found: set[str] = set()
    for p in [*passages[:GATE_PASSAGES], *also]:
        found |= set(analyze(f"{p.title} {p.section or ''} {p.text}"))
    found |= held_terms(terms, with_synonyms(found))  # "folkmängden" is held where "invånare" stands
    for acronym, spelled in expansions(question).items():
        if set(spelled) <= found:
            found.add(acronym)
    coverage = _weighted_coverage(terms, found, frequencies)
    top_dense = max((p.dense_score or 0.0) for p in passages)
    if is_english(question):  # Swedish text shares few terms with an English question: meaning decides
        relevant = top_dense >= rule.dense_min_english
    else:
        strong = top_dense >= rule.dense_strong and coverage >= rule.coverage_floor
        relevant = strong or (top_dense >= rule.dense_min and coverage >= rule.coverage_min)
    return Evidence(round(coverage, 3), round(top_dense, 4), relevant)


def _weighted_coverage(terms: Sequence[str], found: set[str], frequencies: Frequencies) -> float:
    if not terms:
        return 0.0
    df, total = frequencies(terms)
    weight = idf_weights(terms, df, total)
    whole = sum(weight.values())
    return sum(weight[t] for t in terms if t in found) / whole if whole > 0 else 0.0
