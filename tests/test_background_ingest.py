"""`kompetens serve --ingest`: the server answers while it indexes, and /healthz shows how far it has come."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from fastapi.testclient import TestClient

from assistant.index.embeddings import HashEmbedder, Kind
from assistant.interfaces.api import create_app
from assistant.service import Service
from tests.conftest import make_settings, write

TOKENS = {"tp-6f1c0e9a4b7d2e8f5a3c": ["projekt"]}


class GatedEmbedder(HashEmbedder):
    """The hash embedder, but passages after the first document wait until the test opens the gate."""

    def __init__(self) -> None:
        super().__init__()
        self.gate = threading.Event()
        self.waiting = threading.Event()
        self.passage_batches = 0

    def embed_batch(self, texts: Sequence[str], kind: Kind) -> np.ndarray:
        if kind == "passage":
            self.passage_batches += 1
            if self.passage_batches > 1:
                self.waiting.set()
                assert self.gate.wait(30), "the test never opened the gate"
        return super().embed_batch(texts, kind)


def test_healthz_reports_progress_while_indexing_in_the_background(tmp_path: Path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "docs" / "a-branschrad.md", "# Branschråd\n\nBranschrådet i Vilhelmina samlar tolv arbetsgivare.\n")
    write(tmp_path / "docs" / "b-lardom.md", "# Lärcentra\n\nLärcentra i inlandet erbjuder yrkesvux på distans.\n")
    write(tmp_path / "docs" / "c-protokoll.md", "# Protokoll\n\nArbetsgruppen beslutade om en gemensam enkät.\n")
    embedder = GatedEmbedder()
    service = Service(make_settings(tmp_path / "data", api={"tokens": TOKENS}), embedder=embedder)
    client = TestClient(create_app(service))
    assert client.get("/healthz").json()["indexing"]["state"] == "idle"

    thread = service.ingest_in_background([Path("docs")], scope="publik")
    try:
        assert embedder.waiting.wait(30), "the second document never started"
        health = client.get("/healthz").json()
        progress = health["indexing"]
        assert progress["running"] is True and progress["state"] == "running"
        assert progress["documents_total"] == 3 and progress["documents_done"] == 1
        assert progress["passages_total"] == 3 and progress["passages_done"] == 1
        assert progress["eta_s"] is not None and progress["tokens_done"] > 0
        assert health["documents"] == 1  # the committed document is searchable already
        hits = client.get("/api/search", params={"q": "branschråd Vilhelmina"}).json()
        assert hits and hits[0]["path"] == "docs/a-branschrad.md"
    finally:
        embedder.gate.set()
        thread.join(30)
    done = client.get("/healthz").json()
    assert done["documents"] == 3
    assert done["indexing"]["state"] == "done" and done["indexing"]["running"] is False
    assert done["indexing"]["documents_done"] == 3 and done["indexing"]["passages_done"] == 3
    assert done["indexing"]["eta_s"] is None


def test_a_failed_background_ingest_is_reported_and_the_server_keeps_answering(tmp_path: Path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    service = Service(make_settings(tmp_path / "data", api={"tokens": TOKENS}))
    client = TestClient(create_app(service))

    def broken(*_: object, **__: object) -> None:
        raise OSError("disken är full")

    monkeypatch.setattr(service, "ingest", broken)
    service.ingest_in_background([Path("docs")]).join(30)
    health = client.get("/healthz")
    assert health.status_code == 200
    assert health.json()["indexing"]["state"] == "failed" and "disken är full" in health.json()["indexing"]["error"]


def test_a_refusal_while_indexing_says_the_material_is_not_all_in(tmp_path: Path):
    service = Service(make_settings(tmp_path / "data"), embedder=HashEmbedder())
    service.indexing.start()
    refused = service.ask("Vem vann Melodifestivalen 2024?", ["publik"])
    assert refused.refused and refused.answer.endswith("Underlaget indexeras fortfarande, så svaret kan bli ett annat "
                                                       "när indexeringen är klar. Försök igen om en stund.")
    service.indexing.state = "done"
    assert "indexeras fortfarande" not in service.ask("Vem vann Melodifestivalen 2024?", ["publik"]).answer
