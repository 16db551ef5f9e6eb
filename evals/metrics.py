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
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

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


@dataclass(frozen=True)
class Observation:
    """What one pipeline produced for one question.

    `ranked` is None when retrieval is not judged for the question; `answer` is None when the
    question was not run (e.g. drafting unavailable); `citations` is None for a pipeline that does
    not cite (the baseline); `computed` marks a survey answer whose figures are computed from rows.
    """

    id: str
    kind: str
    ranked: tuple[Ranked, ...] | None = None
    answer: str | None = None
    refused: bool = False
    computed: bool = False
    citations: tuple[CitationCheck, ...] | None = None
    unresolved: tuple[int, ...] = ()
    leaks: tuple[str, ...] = ()
    latency_ms: float | None = None
    status: str = "ok"


@dataclass(frozen=True)
class Score:
    """An evaluator's result: the overall score (None when no question applies) and per-question scores."""

    overall: float | None
    per_question: dict[str, float | None] = field(default_factory=dict)


# --------------------------------------------------------------------------------------------- text

_SPACE = re.compile(r"[\s\u00a0\u202f\u2007]+")
_PLAIN_NUMBER = re.compile(r"\d{1,3}(?: \d{3})+(?:,\d+)?(?!\d)|\d+(?:,\d+)?")
_DASHES = "-–—"


def normalise(text: str) -> str:
    """Whitespace (incl. no-break and thin spaces) collapsed to one space; soft hyphens removed."""
    return _SPACE.sub(" ", text.replace("\u00ad", "")).strip()


def fact_pattern(fact: Fact) -> re.Pattern[str]:
    """The compiled pattern of a fact, case-insensitive.

    A plain fact matches as whole words; its numbers also match with or without thousands
    separators ('1 289' = '1289') and with a decimal point for a decimal comma ('34,4' = '34.4'),
    but not as part of a date, range or longer number ('20' is not in '2026-01-20'); any dash
    matches any dash. A regex fact is used as written.
    """
    if fact.regex:
        return re.compile(fact.text, re.IGNORECASE)
    text = normalise(fact.text)
    parts: list[str] = []
    pos = 0
    for m in _PLAIN_NUMBER.finditer(text):
        parts.append(_literal(text[pos:m.start()]))
        parts.append(_number_pattern(m.group(0)))
        pos = m.end()
    parts.append(_literal(text[pos:]))
    body = "".join(parts)
    start = r"(?<!\w)" if text[:1].isalnum() else ""
    end = r"(?!\w)" if text[-1:].isalnum() else ""
    if text[:1].isdigit():  # '20' is no fact in '2026-01-20' or '3,20'
        start += r"(?<!\d[,.:/\-–])"
    if text[-1:].isdigit():
        end += r"(?![,.:/\-–]\d)"
    return re.compile(start + body + end, re.IGNORECASE)


def _literal(text: str) -> str:
    out = []
    for ch in text:
        if ch == " ":
            out.append(r"\s+")
        elif ch in _DASHES:
            out.append(f"[{_DASHES}]")
        else:
            out.append(re.escape(ch))
    return "".join(out)


def _number_pattern(raw: str) -> str:
    whole, _, decimals = raw.replace(" ", "").partition(",")
    if len(whole) >= 4:
        head = len(whole) % 3 or 3
        groups = [whole[:head]] + [whole[i:i + 3] for i in range(head, len(whole), 3)]
        whole_pattern = "[ \u00a0\u202f]?".join(groups)
    else:
        whole_pattern = whole
    return whole_pattern + (f"[,.]{decimals}" if decimals else "")


def fact_found(fact: Fact, text: str) -> bool:
    """True when `fact` occurs in `text` (whitespace-normalised)."""
    return fact_pattern(fact).search(normalise(text)) is not None


def missing_facts(facts: Sequence[Fact], text: str) -> list[Fact]:
    """The facts that do not occur in `text`."""
    return [f for f in facts if not fact_found(f, text)]


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


# --------------------------------------------------------------------------------------------- citations

_MARKER = re.compile(r"\[(\d+)\]")
_MARKER_GROUP = re.compile(r"(?:[ \t]*\[\d+(?:\s*[,;]\s*\d+)*\])+")
_SENTENCE_BREAK = re.compile(r"(?<=[.!?:])\s+(?=[A-ZÅÄÖ0-9\"'(«–-])")
_WORD = re.compile(r"[a-zåäöéüæø]+")
_NUMBER_IN_TEXT = re.compile(r"(?<![\d])\d{1,3}(?:[ \u00a0\u202f]\d{3})+(?![\d])|\d+(?:[.,]\d+)?")
_DIGIT_RUN = re.compile(r"\d+(?:[.,]\d+)?")
# Words that carry no claim: function words and the words composers use to attribute.
_STOPWORDS = frozenset("""
och att det som för med den har inte till från eller även efter under enligt mellan samt utan
vara varit blir blev kan ska skall måste inom över andra annat dessa detta denna deras dess sina
sitt sin hans hennes alla också vilket vilka vilken där här då när hur vad men mer mest sedan
anger angav visar visade framgår beskriver nämner står källa källan underlaget dokumentet uppger
filter summa kolumnen svar rader antal per
""".split())
SUPPORT_MIN_SHARE = 0.6


def marker_numbers(text: str) -> list[int]:
    """Every `[n]` marker number in `text`, in order."""
    numbers: list[int] = []
    for m in _MARKER_GROUP.finditer(text):
        numbers.extend(int(n) for n in re.findall(r"\d+", m.group(0)))
    return numbers


def unresolved_markers(text: str, citation_ns: Iterable[int]) -> list[int]:
    """Marker numbers in `text` that no citation has."""
    known = set(citation_ns)
    return sorted({n for n in marker_numbers(text) if n not in known})


def quote_in_source(quote: str, source_text: str) -> bool:
    """True when the non-empty quote stands verbatim (whitespace-normalised) in the source text."""
    wanted = normalise(quote)
    return bool(wanted) and wanted in normalise(source_text)


@dataclass(frozen=True)
class Claim:
    """The sentence before a group of markers, and the citation numbers of the group."""

    text: str
    ns: tuple[int, ...]


def claims(text: str) -> list[Claim]:
    """The cited claims of an answer: for each marker group, the last sentence before it.

    A claim never spans lines: list items and table rows are claims of their own (a whole row).
    """
    out: list[Claim] = []
    previous = 0
    for m in _MARKER_GROUP.finditer(text):
        before = text[previous:m.start()]
        previous = m.end()
        line = next((x for x in reversed(before.splitlines()) if x.strip(" \t|")), "")
        pieces = [line] if " | " in line else _SENTENCE_BREAK.split(line)  # a table row is one claim
        sentence = next((p for p in (x.strip(" \t.,;:|-*") for x in reversed(pieces)) if p), "")
        ns = tuple(dict.fromkeys(int(n) for n in re.findall(r"\d+", m.group(0))))
        out.append(Claim(sentence, ns))
    return out


def numbers_of(text: str) -> set[str]:
    """Numbers in `text`, normalised ('1 289' → '1289', '34,4' → '34.4')."""
    return {re.sub(r"[ \u00a0\u202f]", "", m.group(0)).replace(",", ".") for m in _NUMBER_IN_TEXT.finditer(text)}


def claim_supported(claim: str, evidence: str, min_share: float = SUPPORT_MIN_SHARE,
                    check_numbers: bool = True) -> bool:
    """True when `evidence` holds every number of `claim` and `min_share` of its content words.

    A content word has 4+ letters and is no stopword; it is found when its stem-like prefix
    (max(5, len − 3) letters) occurs in the evidence. Independent of the system's own checker.
    """
    flat = normalise(evidence)
    have = numbers_of(flat) | {m.group(0).replace(",", ".") for m in _DIGIT_RUN.finditer(flat)}
    if check_numbers and any(n not in have for n in numbers_of(normalise(claim))):
        return False
    words = {w for w in _WORD.findall(claim.lower()) if len(w) >= 4 and w not in _STOPWORDS}
    if not words:
        return True
    lower = flat.lower()
    found = sum(1 for w in words if w[: max(5, len(w) - 3)] in lower)
    return found / len(words) >= min_share


def supported_citations(text: str, evidence: dict[int, str],
                        computed: frozenset[int] = frozenset()) -> dict[int, bool | None]:
    """Per citation n: True when every claim citing n is supported by the evidence it cites.

    `evidence` maps n to the cited chunk's full text (with title and section). A claim citing
    several passages is judged against their union; a citation no claim uses is unsupported.
    `computed` citations point at survey rows a figure was computed from: they are not judged
    (None), and the numbers of a claim citing one are not required in the other passages.
    """
    verdict: dict[int, bool] = {}
    for claim in claims(text):
        cited = [n for n in claim.ns if n in evidence and n not in computed]
        if not cited:
            continue
        by_rows = any(n in computed for n in claim.ns)
        ok = claim_supported(claim.text, "\n".join(evidence[n] for n in cited), check_numbers=not by_rows)
        for n in cited:
            verdict[n] = verdict.get(n, True) and ok
    return {n: None if n in computed else verdict.get(n, False) for n in evidence}


# --------------------------------------------------------------------------------------------- scope leaks


@dataclass(frozen=True)
class CatalogueEntry:
    """A document as the leak check knows it: where it is, what it is called, who may see it."""

    path: str
    title: str
    scope: str
    doc_id: str = ""


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
    """1 when every required fact stands in the answer text, over questions with facts that were run."""
    def judge(q: Question, o: Observation) -> float | None:
        if not q.facts or o.answer is None:
            return None
        return 0.0 if missing_facts(q.facts, o.answer) else 1.0
    return _score(questions, obs, judge)


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
    """1 when the refusal decision is right: avböj refused, answerable (fakta, flera-källor, enkät) not."""
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
    }
