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


# ---- reliability (issue 13) ---------------------------------------------------------------------

def _make_service(tmp_path: Path, **overrides: object) -> Service:
    from tests.conftest import make_settings

    return Service(make_settings(tmp_path / "data", **overrides))


def test_names_differing_only_in_case_accents_or_punctuation_get_their_own_documents(tmp_path: Path,
                                                                                     monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(tmp_path)
    root = tmp_path / "korpus"
    for name, word in (("plan ö.md", "ett"), ("plan-o.md", "två"), ("PLAN-O.md", "tre")):
        write(root / name, f"# Plan {word}\n\nHandlingsplanens version {word}.\n")
    service = _make_service(tmp_path)
    first = service.ingest([root], scope="publik")
    assert first.count("ny") == 3 and not first.failed
    docs = service.sources(["publik"])
    assert len(docs) == 3 and len({d.doc_id for d in docs}) == 3
    second = service.ingest([root], scope="publik")
    assert second.count("oförändrad") == 3 and second.count("ändrad") == 0


def test_an_index_with_old_ids_migrates_without_duplicates(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    import dataclasses

    from assistant.scopes import slugify

    monkeypatch.chdir(tmp_path)
    root = tmp_path / "korpus"
    write(root / "a.md", "# A\n\nText om kompetensförsörjning.\n")
    service = _make_service(tmp_path)
    service.ingest([root], scope="publik")
    index = service.index
    doc = index.lexical.documents()[0]
    old = dataclasses.replace(doc, doc_id=slugify(doc.path))  # the id scheme before issue 13
    chunk_ids = index.lexical.passage_ids(doc.doc_id)
    index.lexical.remove_document(doc.doc_id)
    index.dense.delete(chunk_ids)
    from assistant.records import Chunk

    chunk = Chunk(id=f"{old.doc_id}:x:0000", doc_id=old.doc_id, ordinal=0, text="gammal", title="A", path=doc.path,
                  type="ovrigt", scope="publik", content_hash=doc.content_hash)
    import numpy as np

    index.write_document(old, "gammalt", [chunk], ["gammal"], np.ones((1, service.embedder.dim), dtype=np.float32)
                         if hasattr(service.embedder, "dim") else service.embedder.embed_batch(["gammal"], "passage"))
    report = service.ingest([root], scope="publik")
    assert not report.failed
    docs = index.lexical.documents()
    assert [d.doc_id for d in docs] == [doc.doc_id]  # one document, the new id
    assert f"{old.doc_id}:x:0000" not in index.dense.ids()
    assert service.ingest([root], scope="publik").count("oförändrad") == 1


def test_a_file_over_the_write_batch_is_written_in_batches_and_a_failing_file_does_not_stop_the_run(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(tmp_path)
    root = tmp_path / "korpus"
    rows = "\n".join(f"{i};Yrke {i};Kommun {i % 7}" for i in range(1, 60))
    write(root / "a-stor.csv", "Nr;Yrke;Kommun\n" + rows + "\n")
    write(root / "b-trasig.md", "# Trasig\n\nDen här filen får läsaren att krascha.\n")
    write(root / "c-sist.md", "# Sist\n\nDen sista filen ska också indexeras.\n")
    service = _make_service(tmp_path, ingest={"write_batch": 2})
    sizes: list[int] = []
    real_upsert = service.index.dense._collection.upsert

    def counting_upsert(**kwargs: object) -> None:
        sizes.append(len(kwargs["ids"]))  # type: ignore[arg-type]
        real_upsert(**kwargs)

    monkeypatch.setattr(service.index.dense._collection, "upsert", counting_upsert)
    import ingest.pipeline as pipeline

    real_load = pipeline.load

    def flaky_load(path: Path, **kwargs: object) -> object:
        if path.name == "b-trasig.md":
            raise MemoryError("simulerat fel")
        return real_load(path, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(pipeline, "load", flaky_load)
    report = service.ingest([root], scope="publik")
    by_name = {Path(o.path).name: o for o in report.outcomes}
    assert by_name["a-stor.csv"].status == "ny" and by_name["a-stor.csv"].chunks > 2
    assert max(sizes) <= 2 and sum(sizes) >= by_name["a-stor.csv"].chunks
    assert by_name["b-trasig.md"].status == "misslyckad"
    assert "kunde inte läsas in" in (by_name["b-trasig.md"].message or "")
    assert by_name["c-sist.md"].status == "ny"


def test_a_write_failure_is_reported_for_that_file_and_later_files_are_indexed(tmp_path: Path,
                                                                                monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(tmp_path)
    root = tmp_path / "korpus"
    write(root / "a.md", "# A\n\nFörsta filen.\n")
    write(root / "b.md", "# B\n\nAndra filen.\n")
    service = _make_service(tmp_path)
    index = service.index
    real = index.write_document

    def refuse_a(info: object, *args: object, **kwargs: object) -> None:
        if getattr(info, "path", "").endswith("a.md"):
            raise ValueError("Batch size 9999 exceeds maximum batch size 5461")
        real(info, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(index, "write_document", refuse_a)
    report = service.ingest([root], scope="publik")
    statuses = {Path(o.path).name: o.status for o in report.outcomes}
    assert statuses == {"a.md": "misslyckad", "b.md": "ny"}
    assert "kunde inte skrivas till indexet" in report.outcomes[0].message


def test_symlinks_out_of_the_folder_are_not_followed_and_a_loop_is_reported(tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(tmp_path)
    secret = write(tmp_path / "utanfor" / "hemligt.txt", "root:x:0:0:hemligt lösenord\n")
    root = tmp_path / "korpus"
    write(root / "a.md", "# A\n\nVanlig text.\n")
    (root / "passwd.txt").symlink_to(secret)
    (root / "inne.md").symlink_to(root / "a.md")
    (root / "slinga.md").symlink_to(root / "slinga.md")
    service = _make_service(tmp_path)
    report = service.ingest([root], scope="publik")
    by_name = {Path(o.path).name: o for o in report.outcomes}
    assert by_name["passwd.txt"].status == "överhoppad" and "utanför mappen" in (by_name["passwd.txt"].message or "")
    assert by_name["slinga.md"].status == "överhoppad" and "slinga" in (by_name["slinga.md"].message or "")
    texts = " ".join(p.text for p in service.search("hemligt lösenord root", ["publik"], 10))
    assert "hemligt" not in texts
    direct = service.ingest([root / "slinga.md"], scope="publik")
    assert direct.outcomes[0].status == "misslyckad" and "slinga" in (direct.outcomes[0].message or "")


def test_a_second_concurrent_ingest_is_refused_in_swedish(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    import subprocess
    import sys

    from assistant.errors import IngestBusy
    from ingest.guards import ingest_lock

    monkeypatch.chdir(tmp_path)
    write(tmp_path / "korpus" / "a.md", "# A\n\nText.\n")
    service = _make_service(tmp_path)
    folder = service.index.lexical.path.parent
    with ingest_lock(folder), pytest.raises(IngestBusy, match="En annan indexering pågår redan"):
        service.ingest([tmp_path / "korpus"], scope="publik")
    # The same from another process holding the lock.
    holder = subprocess.Popen([sys.executable, "-c", (
        "import sys, time; sys.path.insert(0, %r); from ingest.guards import ingest_lock; from pathlib import Path\n"
        "with ingest_lock(Path(%r)):\n    print('låst', flush=True); time.sleep(30)") % (str(Path.cwd()), str(folder))],
        stdout=subprocess.PIPE, text=True, cwd=Path(__file__).resolve().parents[1])
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "låst"
        with pytest.raises(IngestBusy, match=f"process {holder.pid}"):
            service.ingest([tmp_path / "korpus"], scope="publik")
    finally:
        holder.kill()
        holder.wait()
    assert service.ingest([tmp_path / "korpus"], scope="publik").count("ny") == 1


def test_xlsx_formulas_without_cached_values_are_a_warning_in_the_report(tmp_path: Path,
                                                                         monkeypatch: pytest.MonkeyPatch):
    import openpyxl

    monkeypatch.chdir(tmp_path)
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Behov"
    sheet.append(["Yrke", "Behov 12 mån", "Behov 3 år", "Summa"])
    for i, yrke in enumerate(["Undersköterska", "Lärare", "Kock"], start=2):
        sheet.append([yrke, i, i * 2, f"=B{i}+C{i}"])
    (tmp_path / "korpus").mkdir()
    book.save(tmp_path / "korpus" / "behov.xlsx")
    report = _make_service(tmp_path).ingest([tmp_path / "korpus"], scope="publik")
    outcome = report.outcomes[0]
    assert outcome.status == "ny"
    assert outcome.message and "formler utan sparade värden" in outcome.message and "kolumn D (3 celler)" in outcome.message
