"""Metric functions: pure, deterministic, no I/O. Evaluators return an overall score and per-question scores.

Retrieval is judged at document level (a passage counts when its path is an expected document);
the page-level variant additionally requires the passage's page to be an expected page when the
question gives pages and the passage has one. A question's expected sources form *needs*: one
need whose documents are alternatives (`needs: any`), or one need per source (`needs: all`).

- hit@k: 1 when a relevant passage is among the first k.
- MRR@k: 1 / rank of the first relevant passage (0 beyond k).
- nDCG@k: binary gain for the first passage that satisfies each need, at its passage rank;
  ideal DCG = the needs at ranks 1..n. With one need it is 1/log2(1 + rank).
- source recall@k: share of needs satisfied within the first k passages.

Answers:
- fact accuracy: every required fact stands in the answer; for `saknas` the answer says that the
  material has nothing on the kommun ("inget om <Kommun>") and cites no other kommun's document.
- misattributed sentences: cited sentences (lines for list items and rows) that hold a number, a
  name (capitalised word not starting the sentence or a label) or under 80 % of their content words
  that their own citations' quotes do not hold (`evals.matching.attribution`); count and rate.
- direct answer: the expected fact (the first; any for `lista`; "inget om <Kommun>" for `saknas`)
  stands in the first sentence (a list lead-in ending in ':' with its first item).
- answer length: words without markers, median and p90, over answers that were run (not drafts).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from evals.matching import Attribution, fact_found, fact_pattern, first_sentence, missing_facts, normalise, word_count
from evals.questions import Fact, Question

# --------------------------------------------------------------------------------------------- records


@dataclass(frozen=True)
class Ranked:
    """A retrieved passage as the metrics see it."""

    path: str
    page: int | None = None
    scope: str = ""


@dataclass(frozen=True)
class CitationCheck:
    """One citation of an answer and what the runner found when checking it against its source."""

    n: int
    path: str
    scope: str
    verbatim: bool
    supported: bool | None = None  # None: not judged (computed survey figures)
    quote: str = ""
    kommun: str | None = None  # the cited document's kommun (manifest), None for regional material
    computed: bool = False  # survey rows a figure was computed from


@dataclass(frozen=True)
class Observation:
    """What one pipeline produced for one question.

    `ranked` is None when retrieval is not judged for the question; `answer` is None when the
    question was not run (e.g. drafting unavailable); `citations` is None for a pipeline that does
    not cite (the baseline).
    """

    id: str
    kind: str
    ranked: tuple[Ranked, ...] | None = None
    answer: str | None = None
    refused: bool = False
    citations: tuple[CitationCheck, ...] | None = None
    unresolved: tuple[int, ...] = ()
    leaks: tuple[str, ...] = ()
    latency_ms: float | None = None
    status: str = "ok"
    attributions: tuple[Attribution, ...] | None = None  # None: not judged (no citations, drafts)


@dataclass(frozen=True)
class Score:
    """An evaluator's result: the overall score (None when no question applies) and per-question scores."""

    overall: float | None
    per_question: dict[str, float | None] = field(default_factory=dict)


# --------------------------------------------------------------------------------------------- retrieval


def need_ranks(ranked: Sequence[Ranked], question: Question, k: int, by_page: bool = False) -> list[int | None]:
    """Per need: the 1-based rank of the first passage within `k` that satisfies it, or None.

    A passage satisfies at most one need (the first unmet one it fits), so ranks are distinct.
    """
    pages = question.pages if by_page else {}
    groups = question.groups
    ranks: list[int | None] = [None] * len(groups)
    for rank, passage in enumerate(ranked[:k], start=1):
        if not _page_ok(passage, pages.get(passage.path)):
            continue
        for i, group in enumerate(groups):
            if ranks[i] is None and passage.path in group:
                ranks[i] = rank
                break
    return ranks


def _page_ok(passage: Ranked, pages: frozenset[int] | None) -> bool:
    return not pages or passage.page is None or passage.page in pages


def first_rank(ranks: Sequence[int | None]) -> int | None:
    """The best (smallest) rank among the needs, or None when none was found."""
    found = [r for r in ranks if r is not None]
    return min(found) if found else None


def hit_at_k(rank: int | None, k: int) -> float:
    """1.0 when the first relevant passage is within the first k, else 0.0."""
    return 1.0 if rank is not None and rank <= k else 0.0


def reciprocal_rank(rank: int | None, k: int) -> float:
    """1/rank of the first relevant passage, 0.0 when there is none within k."""
    return 1.0 / rank if rank is not None and rank <= k else 0.0


def ndcg_at_k(ranks: Sequence[int | None], k: int) -> float:
    """Binary nDCG over needs: each need gains once, at the (distinct) rank of its first passage."""
    if not ranks:
        return 0.0
    dcg = sum(1.0 / math.log2(r + 1) for r in ranks if r is not None and r <= k)
    ideal = sum(1.0 / math.log2(i + 1) for i in range(1, min(len(ranks), k) + 1))
    return dcg / ideal


def recall_at_k(ranks: Sequence[int | None], k: int) -> float:
    """Share of needs satisfied within the first k passages."""
    return sum(1 for r in ranks if r is not None and r <= k) / len(ranks) if ranks else 0.0


# --------------------------------------------------------------------------------------------- scope leaks


@dataclass(frozen=True)
class CatalogueEntry:
    """A document as the leak check knows it: where it is, what it is called, who may see it."""

    path: str
    title: str
    scope: str
    doc_id: str = ""
    kommun: str | None = None


def find_leaks(caller_scopes: Sequence[str], catalogue: Sequence[CatalogueEntry], serialized: str,
               seen_scopes: Sequence[tuple[str, str]] = (), forbidden: Sequence[Fact] = ()) -> list[str]:
    """Every way an output reveals material outside the caller's scopes (empty list: no leak).

    `serialized` is the whole output as JSON text (answer, citations, search results);
    `seen_scopes` pairs a label ('citation [2]', 'search #3') with the scope of what it shows;
    `forbidden` are strings that only stand in documents outside the scopes.
    """
    allowed = set(caller_scopes)
    leaks = [f"{label}: scope {scope}" for label, scope in seen_scopes if scope not in allowed]
    for doc in catalogue:
        if doc.scope in allowed:
            continue
        for what, value in (("title", doc.title), ("path", doc.path), ("doc_id", doc.doc_id)):
            if value and value in serialized:
                leaks.append(f"{what} of {doc.path} ({doc.scope})")
    text = normalise(serialized)
    leaks += [f"forbidden fact {f.label()}" for f in forbidden if fact_pattern(f).search(text)]
    return leaks


def serialize(data: object) -> str:
    """JSON text with Swedish letters kept, as the leak check searches it."""
    return json.dumps(data, ensure_ascii=False, default=str)


# --------------------------------------------------------------------------------------------- evaluators


def _score(questions: Sequence[Question], observations: dict[str, Observation],
           judge: Callable[[Question, Observation], float | None]) -> Score:
    per: dict[str, float | None] = {}
    for q in questions:
        obs = observations.get(q.id)
        per[q.id] = judge(q, obs) if obs is not None else None
    values = [v for v in per.values() if v is not None]
    return Score(sum(values) / len(values) if values else None, per)


def _retrieval_judge(metric: str, k: int, by_page: bool = False) -> Callable[[Question, Observation], float | None]:
    def judge(q: Question, obs: Observation) -> float | None:
        if obs.ranked is None or not q.groups or (by_page and not q.pages):
            return None
        ranks = need_ranks(obs.ranked, q, k, by_page)
        if metric == "hit":
            return hit_at_k(first_rank(ranks), k)
        if metric == "mrr":
            return reciprocal_rank(first_rank(ranks), k)
        if metric == "ndcg":
            return ndcg_at_k(ranks, k)
        return recall_at_k(ranks, k)
    return judge


def hit_rate(questions: Sequence[Question], obs: dict[str, Observation], k: int, by_page: bool = False) -> Score:
    """hit@k over questions with expected sources."""
    return _score(questions, obs, _retrieval_judge("hit", k, by_page))


def mrr(questions: Sequence[Question], obs: dict[str, Observation], k: int = 10, by_page: bool = False) -> Score:
    """MRR@k over questions with expected sources."""
    return _score(questions, obs, _retrieval_judge("mrr", k, by_page))


def ndcg(questions: Sequence[Question], obs: dict[str, Observation], k: int = 10) -> Score:
    """nDCG@k over questions with expected sources (see the module docstring)."""
    return _score(questions, obs, _retrieval_judge("ndcg", k))


def source_recall(questions: Sequence[Question], obs: dict[str, Observation], k: int = 10) -> Score:
    """Share of needs found within k, over questions with expected sources."""
    return _score(questions, obs, _retrieval_judge("recall", k))


def fact_accuracy(questions: Sequence[Question], obs: dict[str, Observation]) -> Score:
    """1 when every required fact stands in the answer text, over questions with facts that were run;
    for saknas, 1 when the absence is said and no other kommun is cited (`absent_handled`)."""
    def judge(q: Question, o: Observation) -> float | None:
        if q.kind == "saknas" and q.absent and o.answer is not None:
            return absent_handled(q, o)
        if not q.facts or o.answer is None:
            return None
        return 0.0 if missing_facts(q.facts, o.answer) else 1.0
    return _score(questions, obs, judge)


def absent_handled(q: Question, o: Observation) -> float:
    """saknas: 1 when the answer says the material has nothing on the kommun and cites no other kommun."""
    said = fact_found(Fact(f"inget om {q.absent}"), o.answer or "")
    foreign = [c for c in (o.citations or ()) if c.kommun and c.kommun != q.absent]
    return 1.0 if said and not foreign else 0.0


def expected_facts(q: Question) -> tuple[Fact, ...]:
    """The facts a direct answer may lead with: the first, any for lists, the absence for saknas."""
    if q.kind == "saknas" and q.absent:
        return (Fact(f"inget om {q.absent}"),)
    if not q.facts:
        return ()
    return q.facts if q.kind == "lista" else q.facts[:1]


def direct_answer(questions: Sequence[Question], obs: dict[str, Observation]) -> Score:
    """1 when the expected fact stands in the answer's first sentence, over answers with expected facts."""
    def judge(q: Question, o: Observation) -> float | None:
        wanted = expected_facts(q)
        if not wanted or o.answer is None or q.kind == "utkast":
            return None
        first = first_sentence(o.answer)
        return 1.0 if any(fact_found(f, first) for f in wanted) else 0.0
    return _score(questions, obs, judge)


def misattribution(questions: Sequence[Question], obs: dict[str, Observation]) -> tuple[Score, Score]:
    """(count, rate): per question the misattributed cited sentences and their share of the judged ones;
    overall the total count and the share over all judged sentences."""
    count: dict[str, float | None] = {}
    rate: dict[str, float | None] = {}
    bad = judged = 0
    for q in questions:
        o = obs.get(q.id)
        if o is None or o.attributions is None:
            count[q.id] = rate[q.id] = None
            continue
        wrong = sum(1 for a in o.attributions if a.misattributed)
        count[q.id] = float(wrong)
        rate[q.id] = wrong / len(o.attributions) if o.attributions else None
        bad += wrong
        judged += len(o.attributions)
    judged_any = any(v is not None for v in count.values())
    return (Score(float(bad) if judged_any else None, count), Score(bad / judged if judged else None, rate))


def answer_lengths(questions: Sequence[Question], obs: dict[str, Observation]) -> dict[str, float | None]:
    """Median and p90 of the answer length in words (answers that were run, drafts left out)."""
    values = [float(word_count(o.answer)) for q in questions
              if q.kind != "utkast" and (o := obs.get(q.id)) and o.answer is not None]
    return {"answer_words_median": _round(percentile(values, 50), 1),
            "answer_words_p90": _round(percentile(values, 90), 1)}


def citation_validity(questions: Sequence[Question], obs: dict[str, Observation]) -> Score:
    """1 when every [n] resolves and every quote stands verbatim in its source, over cited answers."""
    def judge(q: Question, o: Observation) -> float | None:
        if o.citations is None or o.answer is None or (not o.citations and not o.unresolved):
            return None
        return 1.0 if not o.unresolved and all(c.verbatim for c in o.citations) else 0.0
    return _score(questions, obs, judge)


def citation_support(questions: Sequence[Question], obs: dict[str, Observation]) -> Score:
    """Per question the share of judged citations that are supported; overall over all citations."""
    per: dict[str, float | None] = {}
    supported = judged = 0
    for q in questions:
        o = obs.get(q.id)
        checks = [c for c in (o.citations or ()) if c.supported is not None] if o else []
        per[q.id] = sum(1 for c in checks if c.supported) / len(checks) if checks else None
        supported += sum(1 for c in checks if c.supported)
        judged += len(checks)
    return Score(supported / judged if judged else None, per)


def refusal_accuracy(questions: Sequence[Question], obs: dict[str, Observation]) -> Score:
    """1 when the refusal decision is right: avböj refused, answerable kinds (`ANSWERABLE`) not; saknas not judged."""
    def judge(q: Question, o: Observation) -> float | None:
        if o.answer is None:
            return None
        if q.kind == "avböj":
            return 1.0 if o.refused else 0.0
        if q.answerable:
            return 0.0 if o.refused else 1.0
        return None
    return _score(questions, obs, judge)


def refusal_parts(questions: Sequence[Question], obs: dict[str, Observation]) -> dict[str, float | None]:
    """The two parts of refusal accuracy: avböj refused, answerable answered."""
    score = refusal_accuracy(questions, obs)
    kinds = {q.id: q.kind for q in questions}
    avboj = [v for i, v in score.per_question.items() if v is not None and kinds[i] == "avböj"]
    answerable = [v for i, v in score.per_question.items() if v is not None and kinds[i] != "avböj"]
    return {"refused_out_of_corpus": sum(avboj) / len(avboj) if avboj else None,
            "answered_answerable": sum(answerable) / len(answerable) if answerable else None}


def scope_leaks(questions: Sequence[Question], obs: dict[str, Observation]) -> Score:
    """The number of leaks per question; overall = the total (must be 0)."""
    per = {q.id: float(len(obs[q.id].leaks)) if q.id in obs else None for q in questions}
    return Score(sum(v for v in per.values() if v is not None), per)


def percentile(values: Sequence[float], q: float) -> float | None:
    """The q-th percentile (0–100) with linear interpolation between closest ranks (numpy's default)."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def latency(questions: Sequence[Question], obs: dict[str, Observation]) -> dict[str, float | None]:
    """p50 and p95 of the answer latency in milliseconds."""
    values = [o.latency_ms for q in questions if (o := obs.get(q.id)) and o.latency_ms is not None]
    return {"latency_p50_ms": _round(percentile(values, 50), 1), "latency_p95_ms": _round(percentile(values, 95), 1)}


def _round(value: float | None, digits: int = 4) -> float | None:
    return None if value is None else round(value, digits)


def summarise(questions: Sequence[Question], obs: dict[str, Observation], k: int = 10) -> dict[str, float | None]:
    """Every metric for one pipeline over `questions` (keys as in `kompetens eval --json`)."""
    cites = any(o.citations is not None for o in obs.values())
    parts = refusal_parts(questions, obs)
    wrong, wrong_rate = misattribution(questions, obs)
    return {
        "hit_at_1": _round(hit_rate(questions, obs, 1).overall),
        "hit_at_5": _round(hit_rate(questions, obs, 5).overall),
        "mrr_at_10": _round(mrr(questions, obs, k).overall),
        "ndcg_at_10": _round(ndcg(questions, obs, k).overall),
        "fact_accuracy": _round(fact_accuracy(questions, obs).overall),
        "citation_validity": _round(citation_validity(questions, obs).overall) if cites else None,
        "citation_support": _round(citation_support(questions, obs).overall) if cites else None,
        "refusal_accuracy": _round(refusal_accuracy(questions, obs).overall),
        "scope_leaks": int(scope_leaks(questions, obs).overall or 0),
        **latency(questions, obs),
        "page_hit_at_5": _round(hit_rate(questions, obs, 5, by_page=True).overall),
        "page_mrr_at_10": _round(mrr(questions, obs, k, by_page=True).overall),
        "source_recall_at_10": _round(source_recall(questions, obs, k).overall),
        "refused_out_of_corpus": _round(parts["refused_out_of_corpus"]),
        "answered_answerable": _round(parts["answered_answerable"]),
        "misattributed_sentences": None if wrong.overall is None else int(wrong.overall),
        "misattribution_rate": _round(wrong_rate.overall),
        "direct_answer": _round(direct_answer(questions, obs).overall),
        **answer_lengths(questions, obs),
    }
