"""Answers from the extractive composer: cited, verbatim, refused when the evidence is missing."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from assistant.service import Service
from tests.conftest import make_settings, write

# The hash embedder's similarities are not e5's: use a rule that leans on term coverage alone.
RULE = {"dense_strong": 2.0, "dense_min": 0.0, "coverage_min": 0.6}


@pytest.fixture
def svc(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Service:
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "pub" / "lardom.md",
          "# Lärdom: branschråd\n\n## Vad vi gjorde\n\nI Vilhelmina startade ett branschråd för besöksnäringen "
          "hösten 2024. Rådet samlar tolv arbetsgivare och vuxenutbildningen fyra gånger per år.\n\n"
          "## Resultat\n\nEn yrkesvuxutbildning till kock startade 2025 med 14 deltagare.\n")
    write(tmp_path / "pub" / "rus.md",
          "# Strategi\n\nRegionen ska vara rik på kompetenser. Samverkan mellan kommuner är en förutsättning.\n")
    write(tmp_path / "intern" / "anteckningar.md",
          "# Intervjuer\n\nSågverket Norrfors AB i Åsele behöver sex svetsare under 2025.\n")
    service = Service(make_settings(tmp_path / "data", answer=RULE))
    service.ingest([tmp_path / "pub"], scope="publik")
    service.ingest([tmp_path / "intern"], scope="kommun:asele")
    return service


def test_answer_cites_verbatim_quotes_and_keeps_numbers(svc: Service):
    result = svc.ask("Hur många arbetsgivare samlar branschrådet i Vilhelmina?", ["publik"])
    assert not result.refused and result.mode == "extraktiv"
    assert "tolv arbetsgivare" in result.answer
    markers = {int(n) for n in re.findall(r"\[(\d+)\]", result.answer)}
    assert markers == {c.n for c in result.citations} and markers
    source_text = (Path("pub/lardom.md")).read_text(encoding="utf-8")
    for c in result.citations:
        assert c.quote and c.quote in source_text
        assert c.path == "pub/lardom.md" and c.scope == "publik"


def test_out_of_corpus_question_is_refused_without_citations(svc: Service):
    result = svc.ask("Vem vann Melodifestivalen 2024?", ["publik", "kommun:asele"])
    assert result.refused and not result.citations
    assert result.answer.startswith("Underlaget innehåller inget som besvarar frågan")


def test_public_caller_never_sees_internal_material_in_any_field(svc: Service):
    result = svc.ask("Vilka svetsare behöver Sågverket Norrfors AB i Åsele?", ["publik"])
    dumped = json.dumps(result.to_dict(), ensure_ascii=False)
    assert "Norrfors" not in dumped and "anteckningar" not in dumped and "kommun:asele" not in dumped
    internal = svc.ask("Vilka svetsare behöver Sågverket Norrfors AB i Åsele?", ["kommun:asele"])
    assert not internal.refused and "sex svetsare" in internal.answer
    assert internal.citations[0].scope == "kommun:asele"


def test_answer_record_has_the_contract_shape(svc: Service):
    record = svc.ask("När startade yrkesvuxutbildningen till kock?", ["publik"]).to_dict()
    assert set(record) >= {"answer", "citations", "refused", "scopes", "timings_ms"}
    citation = record["citations"][0]
    assert set(citation) == {"n", "source_id", "title", "path", "page", "section", "kommun", "scope", "quote"}
    assert record["scopes"] == ["publik"] and record["timings_ms"]["totalt_ms"] >= 0
    assert "2025" in record["answer"]
