"""Hybrid retrieval: fusion, provenance, and scope isolation as a property."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from assistant.retrieval import fuse
from assistant.service import Service
from tests.conftest import make_settings, write


def test_fusion_rewards_agreement():
    scores = fuse([["a", "b", "c"], ["b", "a", "d"]], rrf_k=60)
    assert max(scores, key=scores.get) in {"a", "b"}
    assert scores["a"] == scores["b"] > scores["c"] > 0


def test_compound_query_finds_text_that_only_has_the_long_form(service: Service, tmp_path: Path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "k" / "a.md", "# A\n\nKommunernas kompetensförsörjningsarbetet ska samordnas bättre.\n")
    write(tmp_path / "k" / "b.md", "# B\n\nTurismen växer i fjällen under vintern.\n")
    service.ingest([tmp_path / "k"], scope="publik")
    lexical = service.index.lexical.search("kompetensförsörjning", ["publik"], 5)
    assert lexical and lexical[0][0].startswith("k-a-md")


SCOPES = ["publik", "projekt", "kommun:asele", "kommun:umea", "kommun:dorotea"]
WORDS = ["validering", "lärcentra", "undersköterskor", "budget", "svetsare", "yrkesvux", "branschråd"]


@hsettings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    docs=st.lists(st.tuples(st.sampled_from(SCOPES), st.lists(st.sampled_from(WORDS), min_size=1, max_size=5)),
                  min_size=1, max_size=8),
    caller=st.sets(st.sampled_from(SCOPES), max_size=3),
    query=st.lists(st.sampled_from(WORDS), min_size=1, max_size=3),
)
def test_no_result_is_ever_outside_the_callers_scopes(tmp_path_factory, docs, caller, query):
    root = tmp_path_factory.mktemp("prop")
    svc = Service(make_settings(root / "data"))
    for i, (scope, words) in enumerate(docs):
        folder = root / scope.replace(":", "_")
        write(folder / f"d{i}.md", f"# Dokument {i}\n\n{' '.join(words)}.\n")
    for scope in {s for s, _ in docs}:
        svc.ingest([root / scope.replace(":", "_")], scope=scope)
    hits = svc.search(" ".join(query), sorted(caller), k=10)
    assert all(h.scope in caller for h in hits)
    visible = sum(1 for s, _ in docs if s in caller)
    assert bool(hits) == (visible > 0), "visible documents are found; invisible ones never"
    docs_seen = svc.sources(sorted(caller))
    assert all(d.scope in caller for d in docs_seen)
    svc.index.lexical.close()


def test_lexical_terms_are_rebuilt_when_the_analyzer_changes(service: Service, tmp_path: Path, monkeypatch):
    from assistant.index.lexical import LexicalStore

    monkeypatch.chdir(tmp_path)
    write(tmp_path / "k" / "a.md", "# Intervjuer\n\nSågverket i byn behöver svetsare.\n")
    service.ingest([tmp_path / "k"], scope="publik")
    store = service.index.lexical
    store._db.execute("DELETE FROM chunk_terms")  # noqa: SLF001  (an index written by an older analyzer)
    store._db.execute("UPDATE meta SET value = 'gammal' WHERE key = 'analyzer'")  # noqa: SLF001
    assert store.search("sågverk", ["publik"], 5) == []
    reopened = LexicalStore(store.path)
    (document,) = service.sources(["publik"])  # ids are unique per path (slug + hash)
    assert [cid for cid, _ in reopened.search("sågverk", ["publik"], 5)] == [store.passage_ids(document.doc_id)[0]]


def _lexical_store(tmp_path: Path, docs: int = 240):
    from assistant.index.lexical import LexicalStore
    from assistant.records import Chunk, DocumentInfo

    store = LexicalStore(tmp_path / "katalog.sqlite")
    rare = {7: "svetsare", 99: "svetsare lärcentra", 180: "lärcentra"}
    for i in range(docs):
        text = f"Kompetensförsörjning och arbete i regionen, plan {i}. " + rare.get(i, "Arbetsgivare i kommunen.")
        chunk = Chunk(id=f"d{i}:x:0000", doc_id=f"d{i}", ordinal=0, text=text, title=f"Plan {i}", path=f"p/{i}.md",
                      type="ovrigt", scope="publik", content_hash="x")
        info = DocumentInfo(doc_id=f"d{i}", title=f"Plan {i}", path=f"p/{i}.md", type="ovrigt", scope="publik",
                            chunks=1, content_hash="x")
        store.replace_document(info, "x", [chunk], [f"Plan {i}\n{text}"])
    return store


def test_pruning_common_terms_keeps_the_top_results(tmp_path: Path, monkeypatch):
    """Dropping terms most rows hold (and capping scored rows) keeps the best passages on top."""
    from assistant.index import lexical

    store = _lexical_store(tmp_path)
    queries = {"Vilka svetsare söker arbetsgivare i regionen?": {"d7", "d99"},
               "kompetensförsörjning lärcentra arbete": {"d99", "d180"},
               "svetsare och lärcentra i kommunen": {"d7", "d99", "d180"}}
    plain = {q: [cid.split(":")[0] for cid, _ in store.search(q, ["publik"], 10)] for q in queries}
    monkeypatch.setattr(lexical, "PRUNE_POSTINGS", 50)
    monkeypatch.setattr(lexical, "MAX_SCORED", 100)
    for q, rare in queries.items():
        pruned = [cid.split(":")[0] for cid, _ in store.search(q, ["publik"], 10)]
        assert set(plain[q][: len(rare)]) == rare, q
        assert pruned[: len(rare)] == plain[q][: len(rare)], q
    # A query of common terms only is still answered, from a capped set of rows.
    assert len(store.search("kompetensförsörjning arbete regionen", ["publik"], 10)) == 10
    store.close()


def test_small_indexes_are_searched_without_pruning(tmp_path: Path):
    """Below the caps every query term is scored: the same ranking as plain BM25 over all terms."""
    store = _lexical_store(tmp_path, docs=60)
    terms, floor = store._plan(["arbet", "kompetensförsörjning", "svets", "okänt"])  # noqa: SLF001
    assert floor == 0 and terms == ["arbet", "kompetensförsörjning", "svets"]  # only unknown terms go
    store.close()
