"""One contract suite for the dense store, run against embedded Chroma and a `chroma run` server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from assistant.index.dense import ChromaStore, open_chroma
from assistant.index.embeddings import HashEmbedder
from assistant.records import Chunk
from tests.chroma_server import chroma_server


def _chunk(i: int, scope: str, text: str) -> Chunk:
    return Chunk(id=f"doc{i}:f:{i:04d}", doc_id=f"doc{i}", ordinal=0, text=text, title=f"Dok {i}",
                 path=f"d{i}.md", type="lardom", scope=scope, content_hash="h", kommun=None, page=i)


TEXTS = [
    ("publik", "Validering av yrkeskompetens tillsammans med arbetsgivare."),
    ("projekt", "Arbetsgruppens protokoll om budget och kompetensmäklare."),
    ("kommun:asele", "Intervju med Sågverket AB om svetsare i Åsele."),
    ("publik", "Lärcentra i inlandet ger studier på distans."),
]


@pytest.fixture(params=["inbäddad", "server"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ChromaStore]:
    embedder = HashEmbedder()
    if request.param == "inbäddad":
        yield open_chroma(tmp_path, None, "kontrakt", embedder)
    else:
        with chroma_server(tmp_path / "server") as url:
            yield open_chroma(tmp_path, url, "kontrakt", embedder)


def _fill(store: ChromaStore) -> list[Chunk]:
    chunks = [_chunk(i, scope, text) for i, (scope, text) in enumerate(TEXTS)]
    vectors = HashEmbedder().embed_batch([c.text for c in chunks], "passage")
    store.upsert(chunks, vectors, [c.text for c in chunks])
    return chunks


def test_upsert_count_ids(store: ChromaStore):
    chunks = _fill(store)
    assert store.count() == len(chunks)
    assert store.ids() == {c.id for c in chunks}
    _fill(store)  # upsert again: no duplicates
    assert store.count() == len(chunks)


def test_query_ranks_the_matching_text_first(store: ChromaStore):
    _fill(store)
    vector = HashEmbedder().embed_batch(["lärcentra distans inlandet"], "query")[0]
    hits = store.query(vector, ["publik"], 2)
    assert hits[0][0] == "doc3:f:0003"
    assert -1.0 <= hits[0][1] <= 1.0 and hits[0][1] > hits[1][1]


def test_query_filters_scope_inside_the_search(store: ChromaStore):
    _fill(store)
    vector = HashEmbedder().embed_batch(["svetsare Sågverket Åsele"], "query")[0]
    assert {cid for cid, _ in store.query(vector, ["publik"], 10)} == {"doc0:f:0000", "doc3:f:0003"}
    assert store.query(vector, ["kommun:asele"], 10)[0][0] == "doc2:f:0002"
    assert store.query(vector, [], 10) == []


def test_delete_removes_only_named_ids(store: ChromaStore):
    _fill(store)
    store.delete(["doc1:f:0001", "missing-id"])
    assert store.ids() == {"doc0:f:0000", "doc2:f:0002", "doc3:f:0003"}


def test_metadata_round_trips(store: ChromaStore):
    _fill(store)
    got = store._collection.get(ids=["doc2:f:0002"], include=["metadatas"])  # noqa: SLF001
    meta = got["metadatas"][0]
    assert meta["scope"] == "kommun:asele" and meta["page"] == 2 and meta["title"] == "Dok 2"
    assert isinstance(store.query(np.zeros(HashEmbedder.dim) + 0.1, ["publik"], 1), list)


def test_unfiltered_query_for_a_caller_holding_every_scope_sees_everything(store: ChromaStore):
    _fill(store)
    vector = HashEmbedder().embed_batch(["svetsare Sågverket Åsele"], "query")[0]
    everything = store.query(vector, ["publik", "projekt", "kommun:asele"], 10, every_scope=True)
    assert len(everything) == len(TEXTS) and everything[0][0] == "doc2:f:0002"
