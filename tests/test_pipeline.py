"""Ingest behaviour a user notices: incremental runs, failures reported, prune, crash safety."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.service import Service
from tests.conftest import write

MANIFEST = """
exclude: ["sources/**"]
documents:
  - path: plan-asele.md
    title: "Handlingsplan Åsele 2025"
    type: handlingsplan
    kommun: Åsele
    year: 2025
    scope: publik
    replaces: plan-asele-2024.md
  - path: plan-asele-2024.md
    title: "Handlingsplan Åsele 2024"
    type: handlingsplan
    kommun: Åsele
    year: 2024
    scope: publik
  - path: intern.md
    title: "Intervjuanteckningar"
    type: protokoll
    kommun: Åsele
    year: 2025
    scope: kommun:asele
"""


@pytest.fixture
def corpus(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    root = tmp_path / "korpus"
    write(root / "manifest.yaml", MANIFEST)
    write(root / "plan-asele.md", "# Handlingsplan\n\n## Behov\n\nÅsele behöver undersköterskor och lastbilsförare.\n")
    write(root / "plan-asele-2024.md", "# Plan 2024\n\nÄldre plan om kockar.\n")
    write(root / "intern.md", "# Anteckningar\n\nSågverket AB vill anställa tre svetsare.\n")
    write(root / "sources" / "utkast.md", "# Källa\n\nSka inte indexeras.\n")
    write(root / "okand.md", "# Fri text\n\nDokument utan post i manifestet om validering.\n")
    return root


def test_first_run_indexes_everything_with_manifest_metadata(service: Service, corpus: Path):
    report = service.ingest([corpus])
    assert report.count("ny") == 4 and not report.failed
    docs = {d.path: d for d in service.sources(["publik", "projekt", "kommun:asele"])}
    assert set(docs) == {"korpus/plan-asele.md", "korpus/plan-asele-2024.md", "korpus/intern.md", "korpus/okand.md"}
    plan = docs["korpus/plan-asele.md"]
    assert (plan.title, plan.kommun, plan.year, plan.scope) == ("Handlingsplan Åsele 2025", "Åsele", 2025, "publik")
    assert plan.replaces == docs["korpus/plan-asele-2024.md"].doc_id
    assert docs["korpus/okand.md"].scope == "projekt", "files without an entry are never public by accident"


def test_second_run_skips_unchanged_and_replaces_changed(service: Service, corpus: Path):
    service.ingest([corpus])
    write(corpus / "plan-asele.md", "# Handlingsplan\n\n## Behov\n\nÅsele behöver nu sjuksköterskor.\n")
    report = service.ingest([corpus])
    assert (report.count("ändrad"), report.count("oförändrad")) == (1, 3)
    hits = service.search("undersköterskor", ["publik"], k=5)
    assert all("undersköterskor" not in h.text for h in hits), "old chunks of a changed file are gone"
    assert any("sjuksköterskor" in h.text for h in service.search("sjuksköterskor", ["publik"], k=5))
    assert service.index.dense.count() == service.index.lexical.chunk_count()


def test_bad_file_is_reported_and_the_rest_goes_on(service: Service, corpus: Path):
    (corpus / "trasig.pdf").write_bytes(b"%PDF-1.4 inte en riktig pdf")
    (corpus / "tom.md").write_text("", encoding="utf-8")
    report = service.ingest([corpus])
    failed = {o.path: o.message for o in report.outcomes if o.status == "misslyckad"}
    assert set(failed) == {"korpus/trasig.pdf", "korpus/tom.md"}
    assert all(name.split("/")[-1] in msg for name, msg in failed.items())
    assert report.count("ny") == 4 and report.failed


def test_prune_removes_documents_whose_files_are_gone(service: Service, corpus: Path):
    service.ingest([corpus])
    (corpus / "okand.md").unlink()
    report = service.ingest([corpus], prune=True)
    assert report.count("borttagen") == 1
    assert "korpus/okand.md" not in {d.path for d in service.sources(["projekt"])}
    assert service.index.dense.count() == service.index.lexical.chunk_count()


def test_scope_change_in_manifest_reindexes_the_file(service: Service, corpus: Path):
    service.ingest([corpus])
    write(corpus / "manifest.yaml", MANIFEST.replace("scope: kommun:asele", "scope: projekt"))
    report = service.ingest([corpus])
    assert report.count("ändrad") == 1
    assert {h.scope for h in service.search("svetsare", ["projekt", "kommun:asele"], k=3)} == {"projekt"}


def test_crash_between_vector_write_and_commit_leaves_old_version(service: Service, corpus: Path, monkeypatch):
    service.ingest([corpus])
    before = {h.source_id for h in service.search("undersköterskor", ["publik"], k=3)}
    write(corpus / "plan-asele.md", "# Handlingsplan\n\nHelt ny text om elektriker.\n")

    def crash(*_args, **_kwargs):
        raise KeyboardInterrupt("simulated kill after vectors were written")

    with monkeypatch.context() as patch, pytest.raises(KeyboardInterrupt):
        patch.setattr(service.index.lexical, "replace_document", crash)
        service.ingest([corpus])
    # The document is fully old: old chunks answer, the new text is not visible.
    assert {h.source_id for h in service.search("undersköterskor", ["publik"], k=3)} == before
    assert not any("elektriker" in h.text for h in service.search("elektriker", ["publik"], k=5))
    assert service.index.dense.count() > service.index.lexical.chunk_count(), "orphan vectors exist"
    report = service.ingest([corpus])  # the next run cleans up and applies the change
    assert report.count("ändrad") == 1
    assert service.index.dense.count() == service.index.lexical.chunk_count()
    assert any("elektriker" in h.text for h in service.search("elektriker", ["publik"], k=5))


def test_crash_between_two_documents_keeps_each_whole(service: Service, corpus: Path, monkeypatch):
    import ingest.pipeline as pipeline

    service.ingest([corpus])
    write(corpus / "plan-asele.md", "# Plan\n\nNy version om elektriker.\n")
    write(corpus / "plan-asele-2024.md", "# Plan 2024\n\nNy version om frisörer.\n")
    real_write = pipeline._write
    calls = {"n": 0}

    def write_then_die(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt("killed between documents")
        return real_write(*args, **kwargs)

    monkeypatch.setattr(pipeline, "_write", write_then_die)
    with pytest.raises(KeyboardInterrupt):
        service.ingest([corpus])
    texts = {h.path: h.text for h in service.search("plan", ["publik"], k=10)}
    # Files are written in path order: the 2024 plan first (fully new), then the 2025 plan (fully old).
    assert "frisörer" in texts["korpus/plan-asele-2024.md"]
    assert "undersköterskor" in texts["korpus/plan-asele.md"]
    assert service.ingest([corpus]).count("ändrad") == 1
