"""Hybrid retrieval: dense (Chroma) and lexical (BM25) searches fused by reciprocal rank.

The caller's scopes go into both searches, so a result outside them is never even a candidate.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from assistant.embeddings import Embedder
from assistant.index import Index
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

    Keeps one large table (hundreds of survey rows) from crowding every other source out.
    """
    chosen: list[str] = []
    seen: dict[str, int] = {}
    for cid in ranked:
        doc = passages[cid].doc_id
        if seen.get(doc, 0) < per_document:
            chosen.append(cid)
            seen[doc] = seen.get(doc, 0) + 1
        if len(chosen) == k:
            return chosen
    rest = [cid for cid in ranked if cid not in set(chosen)]
    return chosen + rest[: k - len(chosen)]


def search(
    index: Index, embedder: Embedder, query: str, scopes: Sequence[str], k: int,
    candidates: int = 40, rrf_k: int = 60, per_document: int = 3,
) -> list[Passage]:
    """The `k` best passages for `query` within `scopes`, best first, with fused and raw scores."""
    scopes = list(scopes)
    if not query.strip() or not scopes:
        return []
    vector = embedder.embed_batch([query], "query")[0]
    every_scope = set(scopes) >= set(index.lexical.scopes())
    dense = index.dense.query(vector, scopes, candidates, every_scope=every_scope)
    lexical = index.lexical.search(query, scopes, candidates)
    fused = fuse([[cid for cid, _ in dense], [cid for cid, _ in lexical]], rrf_k)
    # Only chunks the catalogue holds (and within scope) are real: this drops stale vectors, and
    # guards the unfiltered dense search against a document of a new scope added meanwhile.
    found = index.lexical.passages(list(fused), scopes)
    dense_scores, lexical_scores = dict(dense), dict(lexical)
    ranked = diversify(sorted(found, key=lambda cid: (-fused[cid], cid)), found, k, per_document)
    return [
        replace(found[cid], score=round(fused[cid], 6), dense_score=dense_scores.get(cid),
                lexical_score=lexical_scores.get(cid))
        for cid in ranked
    ]
