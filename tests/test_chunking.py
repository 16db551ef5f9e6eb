from assistant.records import DocumentMeta, Segment
from ingest.chunking import chunk, index_text

META = DocumentMeta(title="Plan", type="handlingsplan", scope="publik", kommun="Åsele", year=2025)


def _chunks(segments, max_chars=200):
    return chunk(segments, META, doc_id="d", path="p.docx", content_hash="h" * 64, fingerprint="f" * 64,
                 max_chars=max_chars)


def test_chunks_never_cross_pages_or_sections():
    segments = [Segment("Första sidan.", page=1, section="1 Inledning"),
                Segment("Andra sidan.", page=2, section="1 Inledning"),
                Segment("Nytt avsnitt.", page=2, section="2 Behov")]
    chunks = _chunks(segments)
    assert [(c.page, c.section) for c in chunks] == [(1, "1 Inledning"), (2, "1 Inledning"), (2, "2 Behov")]


def test_long_text_is_split_at_sentences_within_limit():
    text = " ".join(f"Mening nummer {i} handlar om kompetens." for i in range(60))
    chunks = _chunks([Segment(text, page=4)], max_chars=200)
    assert len(chunks) > 5
    assert all(len(c.text) <= 200 for c in chunks)
    assert " ".join(c.text.replace("\n", " ") for c in chunks) == text
    assert {c.page for c in chunks} == {4}


def test_table_rows_stay_whole_with_row_range():
    seg = Segment("Yrke: Kock | Behov: 3\nYrke: Snickare | Behov: 2", rows=(2, 3), sheet="Svar", section="Svar")
    (c,) = _chunks([seg], max_chars=200)
    assert c.rows == (2, 3) and c.sheet == "Svar"
    assert c.metadata()["row_start"] == 2 and c.metadata()["row_end"] == 3


def test_ids_are_stable_and_carry_metadata():
    first = _chunks([Segment("Text om validering.", page=1)])
    again = _chunks([Segment("Text om validering.", page=1)])
    assert [c.id for c in first] == [c.id for c in again]
    assert first[0].kommun == "Åsele" and first[0].scope == "publik"
    assert index_text(first[0]).startswith("Plan")
