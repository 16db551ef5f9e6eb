"""Hybrid retrieval: dense (Chroma) and lexical (BM25) searches fused by reciprocal rank.

The caller's scopes go into both searches, so a result outside them is never even a candidate.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from assistant.config import RetrievalSettings
from assistant.index.embeddings import Embedder
from assistant.index.store import Index
from assistant.records import Passage


def fuse(rankings: Sequence[Sequence[str]], rrf_k: int) -> dict[str, float]:
    """Reciprocal rank fusion: id → Σ 1/(rrf_k + rank), rank starting at 1."""
    scores: dict[str, float] = {}
    for ranking in rankings:
        for rank, cid in enumerate(ranking, start=1):
            scores[cid] = scores.get(cid, 0.0) + 1.0 / (rrf_k + rank)
    return scores


def diversify(ranked: Sequence[str], passages: dict[str, Passage], k: int, per_document: int) -> list[str]:
    """The top `k` ids with at most `per_document` from any one document, unless too few remain.

    Keeps one large table (hundreds of survey rows) from crowding every other source out: a table of
    a spreadsheet (rows on a sheet) gets one place fewer than a text document.
    """
    chosen: list[str] = []
    seen: dict[str, int] = {}
    for cid in ranked:
        doc = passages[cid].doc_id
        cap = per_document - 1 if passages[cid].sheet and per_document > 1 else per_document
        if seen.get(doc, 0) < cap:
            chosen.append(cid)
            seen[doc] = seen.get(doc, 0) + 1
        if len(chosen) == k:
            return chosen
    rest = [cid for cid in ranked if cid not in set(chosen)]
    return chosen + rest[: k - len(chosen)]


def retrieve(index: Index, embedder: Embedder, query: str, scopes: Sequence[str], k: int | None,
             settings: RetrievalSettings, per_document: int = 3) -> list[Passage]:
    """`search` with the configured candidates and fusion constant; `k` defaults to `settings.k`."""
    return search(index, embedder, query, scopes, k or settings.k,
                  candidates=max(settings.candidates, k or settings.k), rrf_k=settings.rrf_k,
                  per_document=per_document)


def search(
    index: Index, embedder: Embedder, query: str, scopes: Sequence[str], k: int,
    candidates: int = 40, rrf_k: int = 60, per_document: int = 3,
) -> list[Passage]:
    """The `k` best passages for `query` within `scopes`, best first, with fused and raw scores."""
    return search_many(index, embedder, [query], scopes, k, candidates, rrf_k, per_document).get(query, [])


def search_many(
    index: Index, embedder: Embedder, queries: Sequence[str], scopes: Sequence[str], k: int,
    candidates: int = 40, rrf_k: int = 60, per_document: int = 3,
) -> dict[str, list[Passage]]:
    """`search` for several queries at once, embedding them in one batch: query → passages."""
    scopes = list(scopes)
    wanted = [q for q in dict.fromkeys(queries) if q.strip()]
    if not wanted or not scopes:
        return {}
    vectors = embedder.embed_batch(wanted, "query")
    every_scope = set(scopes) >= set(index.lexical.scopes())
    results: dict[str, tuple[dict[str, float], dict[str, float], dict[str, float]]] = {}
    for query, vector in zip(wanted, vectors, strict=True):
        dense = dict(index.dense.query(vector, scopes, candidates, every_scope=every_scope))
        lexical = dict(index.lexical.search(query, scopes, candidates))
        results[query] = (fuse([list(dense), list(lexical)], rrf_k), dense, lexical)
    # Only chunks the catalogue holds (and within scope) are real: this drops stale vectors, and
    # guards the unfiltered dense search against a document of a new scope added meanwhile.
    found = index.lexical.passages(sorted({cid for fused, _, _ in results.values() for cid in fused}), scopes)
    out = {}
    for query, (fused, dense, lexical) in results.items():
        present = {cid: found[cid] for cid in fused if cid in found}
        ranked = diversify(sorted(present, key=lambda cid: (-fused[cid], cid)), present, k, per_document)
        out[query] = [replace(found[cid], score=round(fused[cid], 6), dense_score=dense.get(cid),
                              lexical_score=lexical.get(cid)) for cid in ranked]
    return out
