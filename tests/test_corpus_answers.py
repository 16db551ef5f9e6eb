"""The real pipeline over the sample corpus: e5 + BM25 retrieval, answers, refusals, scopes."""

from __future__ import annotations

import json
import re

import pytest
import yaml

from assistant.scopes import all_scopes
from assistant.service import Service
from tests.conftest import REPO

pytestmark = pytest.mark.integration

EVERYONE = list(all_scopes())


def _manifest() -> dict:
    return yaml.safe_load((REPO / "corpus" / "manifest.yaml").read_text(encoding="utf-8"))


def test_every_manifest_document_is_indexed_with_its_metadata(corpus_service: Service):
    docs = {d.path: d for d in corpus_service.sources(EVERYONE)}
    for entry in _manifest()["documents"]:
        doc = docs["corpus/" + entry["path"]]
        assert (doc.title, doc.type, doc.scope) == (entry["title"], entry["type"], entry["scope"])
        assert doc.chunks > 0


def test_every_chunk_fits_the_embedding_window(corpus_service: Service):
    counter = corpus_service.embedder.count_tokens  # type: ignore[attr-defined]
    texts = [row[0] for row in corpus_service.index.lexical._db.execute("SELECT text FROM chunks")]  # noqa: SLF001
    assert max(counter(t) for t in texts) <= 512


def test_public_search_never_returns_partner_material(corpus_service: Service):
    for query in ("Åsele Åkeri AB intervju", "protokoll regional arbetsgrupp budget", "Svar enkät arbetsgivare Umeå"):
        hits = corpus_service.search(query, ["publik"], k=10)
        assert hits and {h.scope for h in hits} == {"publik"}


@pytest.mark.parametrize("question,path,page", [
    ("Vad heter prioritering 6 i den regionala utvecklingsstrategin?", "corpus/strategi/rus-2020-2030-utdrag.pdf", None),
    ("Vad innebär ett sammanhållet kompetensförsörjningsarbete enligt agendan?",
     "corpus/agenda/agenda-for-kompetensforsorjning-2024-2030.pdf", None),
    ("När ansökte Northvolt om konkurs?", "corpus/handlingsplaner/handlingsplan-kompetensforsorjning-skelleftea-2025.docx", None),
    ("Vem är kompetensmäklare i Dorotea?", "corpus/handlingsplaner/handlingsplan-kompetensforsorjning-dorotea-2025.docx", None),
    ("Hur startade branschrådet för transport och skog?", "corpus/lardomar/lardom-01-branschrad-i-inlandet.md", None),
    ("What is the recruitment situation for truck drivers in the county?",
     "corpus/bristlista/yrkesbarometer-lan24-2025.csv", None),
])
def test_questions_find_their_document_in_the_top_five(corpus_service: Service, question, path, page):
    hits = corpus_service.search(question, EVERYONE, k=5)
    assert path in [h.path for h in hits], [h.path for h in hits]


@pytest.mark.parametrize("question,fact,path", [
    ("Vilket namn har prioritering 6 i RUS?", "Västerbotten – en region rik på kompetenser",
     "corpus/strategi/rus-2020-2030-utdrag.pdf"),
    ("När ansökte Northvolt om konkurs i Sverige?", r"2025-03-12|12 mars 2025",
     "corpus/handlingsplaner/handlingsplan-kompetensforsorjning-skelleftea-2025.docx"),
    ("Vem är kompetensmäklare i Dorotea kommun?", "Lena Sjödin",
     "corpus/handlingsplaner/handlingsplan-kompetensforsorjning-dorotea-2025.docx"),
    ("När har Region Västerbotten sin spridningskonferens i Lycksele?", "18 mars 2026",
     "corpus/lardomar/lardom-06-kompetensmaklarens-roll.md"),
])
def test_answers_state_the_fact_and_cite_its_document(corpus_service: Service, question, fact, path):
    result = corpus_service.ask(question, EVERYONE)
    assert not result.refused, result.answer
    assert re.search(fact, result.answer), result.answer
    assert path in {c.path for c in result.citations}
    for n in map(int, re.findall(r"\[(\d+)\]", result.answer)):
        assert any(c.n == n for c in result.citations)


@pytest.mark.parametrize("question", [
    "Vem vann Melodifestivalen 2024?",
    "Vad kostar en tågbiljett mellan Umeå och Stockholm?",
    "Hur blir vädret i Vilhelmina i helgen?",
    "Vilken är Sveriges högsta bergstopp?",
])
def test_out_of_corpus_questions_are_refused(corpus_service: Service, question):
    result = corpus_service.ask(question, EVERYONE)
    assert result.refused and not result.citations, result.answer


def test_public_caller_gets_no_internal_material_in_answers(corpus_service: Service):
    result = corpus_service.ask("Vilka behov har Åsele Åkeri AB enligt intervjuerna?", ["publik"])
    dumped = json.dumps(result.to_dict(), ensure_ascii=False)
    assert "intervjuanteckningar" not in dumped and "kommun:asele" not in dumped
    assert '"scope": "projekt"' not in dumped
    assert all(c.scope == "publik" for c in result.citations)
