"""Chunking that follows the document's structure: never across a heading, page or table group."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

from assistant.records import Chunk, DocumentMeta, Segment, index_text_of

_SENTENCE_END = re.compile(r"(?<=[.!?:])\s+(?=[A-ZÅÄÖ0-9\"'(–-])")

# Bump when loading or chunking changes, so unchanged files are re-indexed on the next ingest.
CHUNKER_VERSION = "6"  # 6: survey rows scoped per kommun (manifest row_scope), unique doc ids per path
# 5: table rows embedded without codes, ids and bare numbers (embed_text)

# A row cell is embedded when its value holds a word (three letters in a row) other than yes/no:
# ids ("AG25-0001"), codes, dates and counts say nothing to the embedding model, while BM25 still
# indexes them and the survey stage computes its figures from the stored table itself.
_WORD = re.compile(r"[^\W\d_]{3,}")
_BARE = {"ja", "nej", "yes", "no"}


def chunk(
    segments: Sequence[Segment], meta: DocumentMeta, *, doc_id: str, path: str, content_hash: str,
    fingerprint: str, max_chars: int,
) -> list[Chunk]:
    """Cut a document's segments into chunks of at most ~`max_chars`, each with its provenance."""
    chunks: list[Chunk] = []
    for segment in segments:
        pieces = [segment.text.strip()] if segment.rows else list(_pack(segment.text, max_chars))
        for text in pieces:
            if not text:
                continue
            ordinal = len(chunks)
            chunks.append(Chunk(
                id=f"{doc_id}:{fingerprint[:10]}:{ordinal:04d}", doc_id=doc_id, ordinal=ordinal, text=text,
                title=meta.title, path=path, type=meta.type, scope=meta.scope, content_hash=content_hash,
                kommun=meta.kommun, year=meta.year, page=segment.page, section=segment.section,
                rows=segment.rows, sheet=segment.sheet,
            ))
    return chunks


def index_text(c: Chunk) -> str:
    """What is embedded and term-indexed for a chunk: title and section give the text its context."""
    return index_text_of(c.title, c.sheet, c.section, c.text)


def embed_text(c: Chunk) -> str:
    """What is embedded for a chunk: `index_text`, but table rows only by their worded cells.

    Survey responses and other table rows are long "Kolumn: värde | …" lines where labels, ids, codes
    and counts repeat row after row; embedding the column names once and then only the worded cells
    (without repeats within a row) roughly halves their tokens, most of the sample corpus's embedding time.
    """
    if not c.rows:
        return index_text(c)
    lines = c.text.splitlines()
    columns = dict.fromkeys(cell.partition(": ")[0] for line in lines for cell in line.split(" | ") if ": " in cell)
    header = [f"Kolumner: {', '.join(columns)}"] if columns else []  # the labels once, not once per row
    return index_text_of(c.title, c.sheet, c.section, "\n".join(header + [_worded(line) for line in lines]))


def _worded(line: str) -> str:
    kept: list[str] = []
    for cell in line.split(" | "):
        name, sep, value = cell.partition(": ")
        value = value if sep else name
        if _WORD.search(value) and value.strip().lower() not in _BARE and value not in kept:
            kept.append(value)
    return "; ".join(kept) if kept else line


def _pack(text: str, max_chars: int) -> Iterator[str]:
    """Greedily pack paragraphs (then sentences, then words) into pieces of at most `max_chars`."""
    buffer = ""
    for unit in _units(text, max_chars):
        if buffer and len(buffer) + 1 + len(unit) > max_chars:
            yield buffer
            buffer = unit
        else:
            buffer = f"{buffer}\n{unit}" if buffer else unit
    if buffer:
        yield buffer


def _units(text: str, max_chars: int) -> Iterator[str]:
    for paragraph in re.split(r"\n\s*\n", text):
        paragraph = paragraph.strip()
        if len(paragraph) <= max_chars:
            yield paragraph
            continue
        for sentence in _SENTENCE_END.split(paragraph):
            yield from _hard_split(sentence.strip(), max_chars)


def _hard_split(sentence: str, max_chars: int) -> Iterator[str]:
    while len(sentence) > max_chars:
        cut = sentence.rfind(" ", 0, max_chars)
        cut = cut if cut > max_chars // 2 else max_chars
        yield sentence[:cut].strip()
        sentence = sentence[cut:].strip()
    if sentence:
        yield sentence
