"""The `evaluate` stage: run the system and the baseline over the question set and score both.

Per question the system is asked through the service layer only: `search(question, scopes, 10)`
for retrieval, `ask(question, scopes)` for the answer (timed), `draft(kommun, avsnitt, scopes)`
for `utkast` questions. Every citation's quote is checked against its source file, every cited
claim against the full text of the cited chunk, and the whole serialized output against the
catalogue of documents outside the caller's scopes. The baseline runs in the same process on the
same questions (see `evals.baseline`).
"""

from __future__ import annotations

import inspect
import os
import platform
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from assistant.errors import IndexUnavailable
from assistant.text.analyzer import analyze
from evals import baseline as baseline_mod
from evals import matching
from evals import metrics
from evals.corpus import REPO, SourceTexts, catalogue
from evals.metrics import CatalogueEntry, CitationCheck, Observation, Ranked
from evals.questions import ANSWERABLE, KINDS, Question, load_questions

DEFAULT_SET = REPO / "evals" / "questions.yaml"
K = 10
# The gates, all in one place. CI fails when a gate fails (tests/test_evals.py, the integration test).
# GATES: on the system's overall figures; KIND_GATES: on each kind of GATED_KINDS (answerable kinds,
# saknas, whose fact accuracy is "said it has nothing, cited nothing foreign", and utkast); the MRR margin is over
# the baseline's MRR@10.
# The answer gates are issue 10's: misattributed sentences 0, fact accuracy >= 0.90 overall and >= 0.80
# for every kind, direct answer >= 0.85 (measured figures in evals/reports/latest.md).
GATES: dict[str, tuple[str, float]] = {
    "scope_leaks": ("<=", 0),
    "hit_at_5": (">=", 0.90),
    "fact_accuracy": (">=", 0.90),
    "refusal_accuracy": (">=", 0.90),
    "citation_validity": (">=", 1.0),
    "misattributed_sentences": ("<=", 0),
    "direct_answer": (">=", 0.85),
}
TARGETS: dict[str, tuple[str, float]] = {}  # none left: every target of issue 10 is a gate
KIND_GATES: dict[str, tuple[str, float]] = {"fact_accuracy": (">=", 0.80)}
GATED_KINDS = (*ANSWERABLE, "saknas", "utkast")
KIND_FLOORS: dict[str, float] = {kind: 0.80 for kind in GATED_KINDS}  # fact accuracy of every gated kind
MRR_MARGIN = 0.15
WARMUP_QUESTION = "Vad handlar agendan för kompetensförsörjning om?"

Progress = Callable[[str], None]


@dataclass
class EvalRun:
    """Everything one evaluation run produced, before it is formatted."""

    questions: list[Question]
    system: dict[str, Observation]
    baseline: dict[str, Observation] | None
    details: dict[str, dict[str, Any]]
    settings: dict[str, Any]
    notes: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    started: str = ""


def evaluate(service: Any, set_path: Path = DEFAULT_SET, with_baseline: bool = True,
             progress: Progress | None = None) -> EvalRun:
    """Run the question set against `service` (and the baseline) and collect observations."""
    say = progress or (lambda _: None)
    started = datetime.now(timezone.utc).isoformat(timespec="seconds")
    clock = time.perf_counter()
    questions = load_questions(set_path)
    if service.index.lexical.chunk_count() == 0:
        raise IndexUnavailable("Indexet är tomt. Kör `kompetens ingest corpus` innan utvärderingen.")
    docs = catalogue()
    texts = SourceTexts()
    details: dict[str, dict[str, Any]] = {q.id: {} for q in questions}
    notes: list[str] = []
    service.ask(WARMUP_QUESTION, ["publik"])  # loads the embedder and tables outside the timings
    system: dict[str, Observation] = {}
    for i, q in enumerate(questions, start=1):
        say(f"[{i}/{len(questions)}] system {q.id}")
        system[q.id] = _run_system(service, q, docs, texts, details[q.id])
    drafts_missing = [q.id for q in questions if system[q.id].status.startswith("ej tillgänglig")]
    if drafts_missing:
        notes.append(f"Utkast ej tillgängligt (service.draft saknas): {', '.join(drafts_missing)} hoppades över "
                     "och ingår inte i något mått.")
    timings = {"system_s": round(time.perf_counter() - clock, 1)}
    base: dict[str, Observation] | None = None
    if with_baseline:
        say("baseline: bygger index")
        base = _run_baseline(questions, docs, texts, details, timings, skip=set(drafts_missing), say=say)
    timings["total_s"] = round(time.perf_counter() - clock, 1)
    settings = {"system": service.settings.describe(), "baseline": baseline_mod.describe() if with_baseline else None,
                "question_set": _display(set_path), "k": K,
                "latency": "wall time of service.ask per question, after one warm-up ask"}
    return EvalRun(questions, system, base, details, settings, notes, timings, started)


# --------------------------------------------------------------------------------------------- system


def _run_system(service: Any, q: Question, docs: Sequence[CatalogueEntry], texts: SourceTexts,
                detail: dict[str, Any]) -> Observation:
    if q.kind == "utkast":
        return _run_draft(service, q, docs, texts, detail)
    passages = service.search(asked_text(q), q.scopes, K)
    started = time.perf_counter()
    result, how = _ask(service, q)
    latency = (time.perf_counter() - started) * 1000
    ranked = tuple(Ranked(p.path, p.page, p.scope) for p in passages)
    checks = _check_citations(service, result.answer, result.citations, q.scopes, texts, docs)
    judged = matching.attributions(result.answer, {c.n: c.quote for c in result.citations}, analyze,
                                   frozenset(c.n for c in checks if c.computed))
    output = {"answer": result.to_dict(), "search": [p.to_dict() for p in passages]}
    seen = [(f"citation [{c.n}]", c.scope) for c in result.citations]
    seen += [(f"search #{i}", p.scope) for i, p in enumerate(passages, start=1)]
    leaks = metrics.find_leaks(q.scopes, docs, metrics.serialize(output), seen, q.forbidden)
    detail["system"] = {"answer": result.answer, "mode": result.mode, "top": [p.path for p in passages[:5]],
                        "citations": [{"n": c.n, "path": c.path, "quote": c.quote} for c in result.citations],
                        "misattributed": [{"sentence": a.sentence, "missing": list(a.missing)}
                                          for a in judged if a.misattributed]}
    if how:
        detail["system"]["asked"] = how
    return Observation(q.id, q.kind, ranked, result.answer, result.refused, checks,
                       tuple(matching.unresolved_markers(result.answer, [c.n for c in result.citations])),
                       tuple(leaks), round(latency, 1), attributions=tuple(judged))


def asked_text(q: Question) -> str:
    """The question as one text: a follow-up's turns joined (search, the baseline, a system without turns)."""
    return " ".join(q.turns)


def _ask(service: Any, q: Question) -> tuple[Any, str]:
    """`service.ask`, a follow-up with `previous=` (oldest first). A service whose ask takes no
    previous turns (an older version) gets the turns joined; the second value says so."""
    if not q.previous:
        return service.ask(q.question, q.scopes), ""
    if "previous" not in inspect.signature(service.ask).parameters:
        return service.ask(asked_text(q), q.scopes), "turns joined (ask takes no previous)"
    return service.ask(q.question, q.scopes, previous=list(q.previous)), ""


def _run_draft(service: Any, q: Question, docs: Sequence[CatalogueEntry], texts: SourceTexts,
               detail: dict[str, Any]) -> Observation:
    spec = q.draft or {}
    try:
        draft = service.draft(spec.get("kommun"), spec.get("avsnitt"), q.scopes)
    except (ImportError, NotImplementedError, AttributeError) as exc:
        detail["system"] = {"status": f"ej tillgänglig: {type(exc).__name__}: {exc}"}
        return Observation(q.id, q.kind, status=f"ej tillgänglig ({type(exc).__name__})")
    wanted = set(spec.get("avsnitt") or ())
    text = "\n\n".join(s.markdown for s in draft.sections if not wanted or s.key in wanted)
    checks = _check_citations(service, text, draft.citations, q.scopes, texts, docs)
    seen = [(f"citation [{c.n}]", c.scope) for c in draft.citations]
    leaks = metrics.find_leaks(q.scopes, docs, metrics.serialize(draft.to_dict()), seen, q.forbidden)
    detail["system"] = {"answer": text, "mode": f"utkast/{draft.mode}",
                        "citations": [{"n": c.n, "path": c.path, "quote": c.quote} for c in draft.citations]}
    return Observation(q.id, q.kind, None, text, False, checks,
                       tuple(matching.unresolved_markers(text, [c.n for c in draft.citations])), tuple(leaks))


def _check_citations(service: Any, text: str, citations: Sequence[Any], scopes: Sequence[str],
                     texts: SourceTexts, docs: Sequence[CatalogueEntry] = ()) -> tuple[CitationCheck, ...]:
    """Quote verbatim in the source file; claim supported by the full cited chunk.

    A citation of survey response rows backs a figure computed from many rows, which no single
    chunk holds: it is not judged for support (fact accuracy judges such figures).
    """
    chunks = service.index.lexical.passages([c.source_id for c in citations], list(scopes)) if citations else {}
    evidence = {c.n: _evidence(chunks.get(c.source_id)) for c in citations}
    computed = frozenset(c.n for c in citations if _survey_rows(chunks.get(c.source_id)))
    support = matching.supported_citations(text, evidence, computed)
    kommun = {d.path: d.kommun for d in docs}
    return tuple(CitationCheck(c.n, c.path, c.scope, _verbatim(c.quote, c.path, texts), support.get(c.n),
                               c.quote, kommun.get(c.path, getattr(c, "kommun", None)), c.n in computed)
                 for c in citations)


def _survey_rows(passage: Any) -> bool:
    return passage is not None and passage.type == "enkat" and passage.rows is not None


def _evidence(passage: Any) -> str:
    return "" if passage is None else f"{passage.title}\n{passage.section or ''}\n{passage.text}"


def _verbatim(quote: str, path: str, texts: SourceTexts) -> bool:
    try:
        return matching.quote_in_source(quote, texts.text(path))
    except Exception:  # an unreadable or missing cited file: the quote cannot be shown to stand in it
        return False


# --------------------------------------------------------------------------------------------- baseline


def _run_baseline(questions: Sequence[Question], docs: Sequence[CatalogueEntry], texts: SourceTexts,
                  details: dict[str, dict[str, Any]], timings: dict[str, float], skip: set[str],
                  say: Progress) -> dict[str, Observation]:
    index = baseline_mod.Baseline.build(docs, texts)
    timings["baseline_index_s"] = round(index.build_seconds, 1)
    timings["baseline_chunks"] = index.chunks
    started = time.perf_counter()
    out: dict[str, Observation] = {}
    try:
        for q in questions:
            if q.id in skip:
                out[q.id] = Observation(q.id, q.kind, status="ej tillgänglig")
                continue
            say(f"baseline {q.id}")
            t0 = time.perf_counter()
            hits = index.search(asked_text(q), q.scopes)
            text = baseline_mod.answer(hits)
            latency = (time.perf_counter() - t0) * 1000
            output = {"answer": text, "sources": [{"path": h.path, "title": h.title, "page": h.page} for h in hits]}
            seen = [(f"passage #{i}", h.scope) for i, h in enumerate(hits, start=1)]
            leaks = metrics.find_leaks(q.scopes, docs, metrics.serialize(output), seen, q.forbidden)
            ranked = tuple(Ranked(h.path, h.page, h.scope) for h in hits) if q.kind != "utkast" else None
            details[q.id]["baseline"] = {"top": [h.path for h in hits]}
            out[q.id] = Observation(q.id, q.kind, ranked, text, False, None, (), tuple(leaks),
                                    round(latency, 1))
    finally:
        index.close()
    timings["baseline_s"] = round(time.perf_counter() - started, 1)
    return out


# --------------------------------------------------------------------------------------------- results


def results(run: EvalRun, command: str) -> dict[str, Any]:
    """The JSON document of a run: metrics side by side, per kind, per question, and how it ran."""
    system = metrics.summarise(run.questions, run.system, K)
    base = metrics.summarise(run.questions, run.baseline, K) if run.baseline is not None else None
    margin = None
    if base is not None and system["mrr_at_10"] is not None and base["mrr_at_10"] is not None:
        margin = round(system["mrr_at_10"] - base["mrr_at_10"], 4)
    by_kind: dict[str, dict[str, Any]] = {"system": {}, "baseline": {}}
    for kind in KINDS:
        subset = [q for q in run.questions if q.kind == kind]
        by_kind["system"][kind] = metrics.summarise(subset, run.system, K)
        if run.baseline is not None:
            by_kind["baseline"][kind] = metrics.summarise(subset, run.baseline, K)
    doc = {
        "n_questions": len(run.questions),
        "system": system,
        "baseline": base,
        "mrr_margin": margin,
        "by_kind": by_kind,
        "counts": {kind: sum(1 for q in run.questions if q.kind == kind) for kind in KINDS},
        "settings": run.settings,
        "run": {"command": command, "date": run.started, "commit": _commit(), "machine": _machine(),
                **run.timings},
        "notes": run.notes,
        "questions": [_question_row(run, q) for q in run.questions],
    }
    doc["gates"] = {"thresholds": {**{k: f"{op} {v}" for k, (op, v) in GATES.items()},
                                   **{f"fact_accuracy[{kind}]": f">= {v}" for kind, v in KIND_FLOORS.items()},
                                   "mrr_margin": f">= {MRR_MARGIN}"},
                    "targets": {k: f"{op} {v}" for k, (op, v) in TARGETS.items()},
                    "failures": gate_failures(doc)}
    return doc


def gate_failures(doc: dict[str, Any]) -> list[str]:
    """Every gate the run fails, as readable lines (empty: all gates pass)."""
    failures = []
    for key, (op, limit) in GATES.items():
        value = doc["system"].get(key)
        if not _passes(value, op, limit):
            failures.append(f"{key} = {value} (gate {op} {limit})")
    kinds = (doc.get("by_kind") or {}).get("system") or {}
    for kind in GATED_KINDS:
        if kind not in kinds or not (doc.get("counts") or {}).get(kind):
            continue
        for key, (op, default) in KIND_GATES.items():
            limit = KIND_FLOORS.get(kind, default)
            value = kinds[kind].get(key)
            if not _passes(value, op, limit):
                failures.append(f"{key}[{kind}] = {value} (gate {op} {limit})")
    if doc.get("baseline") is not None:
        margin = doc.get("mrr_margin")
        if margin is None or margin < MRR_MARGIN:
            failures.append(f"mrr_margin = {margin} (gate >= {MRR_MARGIN} over the baseline)")
    return failures


def _passes(value: Any, op: str, limit: float) -> bool:
    return value is not None and (value <= limit if op == "<=" else value >= limit)


def _question_row(run: EvalRun, q: Question) -> dict[str, Any]:
    row: dict[str, Any] = {"id": q.id, "kind": q.kind, "question": q.question, "scopes": list(q.scopes),
                           **({"previous": list(q.previous)} if q.previous else {}),
                           **({"absent": q.absent} if q.absent else {}),
                           "expected_sources": sorted(q.expected_paths), "needs": q.needs,
                           "facts": [f.label() for f in q.facts]}
    for name, observations in (("system", run.system), ("baseline", run.baseline)):
        if observations is not None and q.id in observations:
            row[name] = {**_scores(q, observations[q.id]), **run.details[q.id].get(name, {})}
    return row


def _scores(q: Question, o: Observation) -> dict[str, Any]:
    """Per-question scores and what was missed."""
    out: dict[str, Any] = {"status": o.status}
    if o.ranked is not None and q.groups:
        ranks = metrics.need_ranks(o.ranked, q, K)
        out["rank"] = metrics.first_rank(ranks)
        out["need_ranks"] = ranks
    if o.answer is not None:
        out["refused"] = o.refused
        out["missing_facts"] = [f.label() for f in matching.missing_facts(q.facts, o.answer)]
        if q.kind == "saknas" and q.absent:
            out["absent_handled"] = metrics.absent_handled(q, o) == 1.0
            out["foreign_citations"] = [c.n for c in (o.citations or ()) if c.kommun and c.kommun != q.absent]
        if q.kind != "utkast" and metrics.expected_facts(q):
            first = matching.first_sentence(o.answer)
            out["direct"] = any(matching.fact_found(f, first) for f in metrics.expected_facts(q))
            out["first_sentence"] = first
        out["words"] = matching.word_count(o.answer)
    if o.attributions is not None:
        out["misattributed_count"] = sum(1 for a in o.attributions if a.misattributed)
        out["judged_sentences"] = len(o.attributions)
    if o.citations is not None:
        out["citations"] = len(o.citations)
        out["not_verbatim"] = [c.n for c in o.citations if not c.verbatim]
        out["unsupported"] = [c.n for c in o.citations if c.supported is False]
        out["unresolved_markers"] = list(o.unresolved)
    out["leaks"] = list(o.leaks)
    out["latency_ms"] = o.latency_ms
    return out


def _commit() -> str:
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True,
                              timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=REPO,
                               capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return f"{head}{' (uncommitted changes)' if dirty else ''}" if head else "unknown"


def _machine() -> dict[str, Any]:
    return {"cores": os.cpu_count(), "platform": platform.platform(), "machine": platform.machine(),
            "python": platform.python_version()}


def _display(path: Path) -> str:
    resolved = Path(path).resolve()
    return resolved.relative_to(REPO).as_posix() if resolved.is_relative_to(REPO) else str(path)
