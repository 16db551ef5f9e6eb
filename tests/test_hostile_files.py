"""Probe: a folder of hostile files is ingested next to an existing index (issue 13).

Each file's outcome is asserted (what is read, what is refused with which Swedish message, what
is skipped), and the documents indexed before the run are unchanged after it. Runs in seconds
on the hash embedder; the write batch is set small so the large CSV is written in many batches.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from pypdf import PdfWriter

from assistant.service import Service
from ingest.loaders.pdf_ocr import ocr_available
from tests.conftest import make_settings, write
from tests.test_loaders import FONT, PLAN_PAGES, make_pdf, zip_bomb_docx
from tests.test_pdf_structure import _image_pdf

WRITE_BATCH = 4


def _hostile_folder(root: Path, outside: Path) -> dict[str, str]:
    """Write the hostile files; returns file name → expected status."""
    expected: dict[str, str] = {}
    (root / "korrupt.pdf").write_bytes(b"%PDF-1.7\n" + bytes(range(256)) * 40)
    expected["korrupt.pdf"] = "misslyckad"
    if FONT is not None:
        writer = PdfWriter(clone_from=make_pdf(outside / "hel.pdf", PLAN_PAGES))
        writer.encrypt("hemligt")
        writer.write(root / "losenord.pdf")
        expected["losenord.pdf"] = "misslyckad"
    if ocr_available():
        _image_pdf(root / "inskannad.pdf", text_first=False)
        expected["inskannad.pdf"] = "ny"
    (root / "tom.md").write_bytes(b"")
    expected["tom.md"] = "misslyckad"
    (root / "binar.txt").write_bytes(b"\x00\x01\x02ELF\x00" * 200)
    expected["binar.txt"] = "misslyckad"
    (root / "cp1252.csv").write_bytes("Kommun;Yrke;Behov\nÅsele;Undersköterska;5\nUmeå;Förskollärare;7\n".encode("cp1252"))
    expected["cp1252.csv"] = "ny"
    zip_bomb_docx(root / "bomb.docx", unpacked_mb=120)
    expected["bomb.docx"] = "misslyckad"
    with zipfile.ZipFile(root / "inte-zip.xlsx", "w") as archive:
        archive.writestr("hej.txt", "inte en arbetsbok")
    expected["inte-zip.xlsx"] = "misslyckad"
    secret = write(outside / "passwd", "root:x:0:0:root:/root:/bin/bash\n")
    (root / "lank.txt").symlink_to(secret)
    expected["lank.txt"] = "överhoppad"
    (root / "slinga.md").symlink_to(root / "slinga.md")
    expected["slinga.md"] = "överhoppad"
    for name, word in (("plan ö.md", "ett"), ("plan-o.md", "två"), ("PLAN-O.md", "tre")):
        write(root / name, f"# Plan {word}\n\nHandlingsplanens version {word}.\n")
        expected[name] = "ny"
    rows = "\n".join(f"AG{i:05d};Kommun {i % 5};Yrke {i % 37};{i % 9}" for i in range(400))
    write(root / "stor.csv", "Svars-ID;Kommun;Yrke;Behov\n" + rows + "\n")
    expected["stor.csv"] = "ny"
    return expected


def test_hostile_folder_outcomes_and_existing_documents_unchanged(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(tmp_path)
    service = Service(make_settings(tmp_path / "data", ingest={"write_batch": WRITE_BATCH}))
    before_root = tmp_path / "befintligt"
    write(before_root / "strategi.md", "# Strategi\n\nVästerbotten ska vara rikt på kompetenser.\n")
    assert service.ingest([before_root], scope="publik").count("ny") == 1
    index = service.index
    before_doc = index.lexical.documents()[0]
    before_ids = index.lexical.passage_ids(before_doc.doc_id)
    before_passages = index.lexical.passages(before_ids, ["publik"])

    root, outside = tmp_path / "fientligt", tmp_path / "utanfor"
    root.mkdir()
    outside.mkdir()
    expected = _hostile_folder(root, outside)
    report = service.ingest([root], scope="publik")

    got = {Path(o.path).name: o for o in report.outcomes}
    assert {name: got[name].status for name in expected} == expected
    assert set(got) == set(expected)
    messages = {name: o.message or "" for name, o in got.items()}
    assert "zip-bomb" in messages["bomb.docx"] and "packas upp till 120 MB" in messages["bomb.docx"]
    assert "lösenordsskyddad" in messages.get("losenord.pdf", "lösenordsskyddad")
    assert "tom" in messages["tom.md"] and "binärfil" in messages["binar.txt"]
    assert "utanför mappen" in messages["lank.txt"] and "slinga" in messages["slinga.md"]
    for name in ("korrupt.pdf", "inte-zip.xlsx"):
        assert "skadad" in messages[name]
    for message in messages.values():
        assert "Traceback" not in message and 'File "' not in message
    assert got["stor.csv"].chunks > WRITE_BATCH  # written in several batches
    docs = {Path(d.path).name: d for d in index.lexical.documents()}
    assert {"plan ö.md", "plan-o.md", "PLAN-O.md"} <= set(docs)
    assert len({docs[n].doc_id for n in ("plan ö.md", "plan-o.md", "PLAN-O.md")}) == 3
    cp1252 = " ".join(p.text for p in service.search("Undersköterska Åsele", ["publik"], 10))
    assert "Undersköterska" in cp1252 and "Åsele" in cp1252
    assert "root:x" not in " ".join(p.text for p in service.search("root bin bash", ["publik"], 20))
    assert index.dense.count() == index.lexical.chunk_count()

    # What was indexed before is unchanged: same document, same chunks, same text.
    after_doc = next(d for d in index.lexical.documents() if d.doc_id == before_doc.doc_id)
    assert after_doc == before_doc
    assert index.lexical.passage_ids(before_doc.doc_id) == before_ids
    assert index.lexical.passages(before_ids, ["publik"]) == before_passages

    # A second run: what was read is unchanged, what failed fails the same way.
    again = {Path(o.path).name: o.status for o in service.ingest([root], scope="publik").outcomes}
    assert again == {name: ("oförändrad" if status == "ny" else status) for name, status in expected.items()}
