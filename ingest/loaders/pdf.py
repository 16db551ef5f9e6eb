"""Read a PDF: one text segment per page part, numbered-heading sections, running lines removed."""

from __future__ import annotations

import io
import logging
import math
import re
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from pypdf import PdfReader
from pypdf.errors import DependencyError

from assistant.errors import EmptyDocument, UnreadableDocument
from assistant.records import LoadedDocument, Segment
from ingest.loaders._common import collapse_spaces, numbered_sections, text_segments, unify_newlines

_REPEATED_LINE_SHARE = 0.6  # a page-edge line on this share of pages is a running header/footer
_EDGE_LINES = 3  # headers/footers are looked for among the first and last lines of a page
_HYPHEN_BREAK = re.compile(r"(\w)-\n(\w+)")
# "vård- och omsorgsförvaltningen": a hyphen before these words is a suspended compound, keep it.
_SUSPENDED_COMPOUND_WORDS = frozenset({"och", "eller", "samt", "som", "till", "respektive"})
_PAGE_NUMBER_LINES = (
    re.compile(r"^(sida|page)\s+\d+(\s*(av|of|/)\s*\d+)?$", re.IGNORECASE),
    re.compile(r"^\d+\s*\(\s*\d+\s*\)$"),  # "3 (7)"
    re.compile(r"^\d+\s*/\s*\d+$"),  # "3/7"
    re.compile(r"^[-–]\s*\d+\s*[-–]$"),  # "- 3 -"
)  # a bare "3" is only dropped by the repeated-line rule: alone it may be a table cell


def read_pdf(path: Path, data: bytes) -> LoadedDocument:
    """One Segment per page (split further at numbered headings), with 1-based page numbers."""
    with _quiet_pypdf():
        reader = PdfReader(io.BytesIO(data))
        _unlock_pdf(path, reader)
        pages = [_pdf_lines(page.extract_text() or "") for page in reader.pages]
        meta_title = reader.metadata.title if reader.metadata else None
    if pages and not any(line for lines in pages for line in lines):
        raise EmptyDocument(
            f"PDF-filen '{path.name}' har {len(pages)} {'sida' if len(pages) == 1 else 'sidor'} men inget textlager; "
            "den verkar vara inskannad. "
            "Kör textigenkänning (OCR) på filen först, t.ex. med ocrmypdf, och lägg sedan in den igen."
        )
    pages = _drop_running_lines(pages)
    return LoadedDocument(
        path=path, format="pdf", segments=tuple(_pdf_segments(pages)),
        title=_pdf_title(meta_title, pages), pages=len(pages),
    )


@contextmanager
def _quiet_pypdf() -> Iterator[None]:
    """Silence pypdf's English warnings about repaired damage; failures reach the user as our message."""
    logger = logging.getLogger("pypdf")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


def _unlock_pdf(path: Path, reader: PdfReader) -> None:
    """Decrypt a PDF that opens with an empty password; refuse one that needs a real password."""
    if not reader.is_encrypted:
        return
    try:
        unlocked = bool(reader.decrypt(""))
    except DependencyError as exc:
        raise UnreadableDocument(
            f"PDF-filen '{path.name}' är krypterad med AES, som den här installationen inte kan läsa "
            "(Python-paketet 'cryptography' saknas). Installera det, eller spara en oskyddad kopia av filen."
        ) from exc
    if not unlocked:
        raise UnreadableDocument(
            f"PDF-filen '{path.name}' är lösenordsskyddad och kan inte läsas. "
            "Spara en kopia utan lösenordsskydd och lägg in den i stället."
        )


def _pdf_lines(text: str) -> list[str]:
    """A page's text as stripped lines: hyphenated line breaks joined, space runs collapsed."""
    text = unify_newlines(text).replace("\u00ad\n", "").replace("\u00ad", "")
    text = _HYPHEN_BREAK.sub(_join_hyphenated, text)
    return [collapse_spaces(line).strip() for line in text.split("\n")]


def _join_hyphenated(match: re.Match[str]) -> str:
    """Join "kompetens-\\nförsörjning"; keep "IT-support" and "vård- och" hyphens."""
    before, word = match.group(1), match.group(2)
    if word in _SUSPENDED_COMPOUND_WORDS:
        return f"{before}- {word}"
    if not word[0].islower():
        return match.group(0)
    return f"{before}{word}" if before.islower() else f"{before}-{word}"


def _drop_running_lines(pages: list[list[str]]) -> list[list[str]]:
    """Remove page numbers and headers/footers repeated near the page edge on ≥ 60 % of pages."""
    repeated = _repeated_edge_lines(pages)
    return [_without_running(lines, repeated) for lines in pages]


def _without_running(lines: list[str], repeated: set[str]) -> list[str]:
    """One page's lines minus the running lines found at its edges."""
    edges = _edge_indexes(lines)
    return [line for i, line in enumerate(lines) if not (i in edges and _is_running(line, repeated))]


def _repeated_edge_lines(pages: list[list[str]]) -> set[str]:
    """Digit-masked edge lines that recur on at least 60 % of pages (and on at least 2 pages)."""
    if len(pages) < 2:
        return set()
    counts = Counter(key for lines in pages for key in {_mask_digits(lines[i]) for i in _edge_indexes(lines)})
    needed = max(2, math.ceil(_REPEATED_LINE_SHARE * len(pages)))
    return {key for key, n in counts.items() if n >= needed}


def _edge_indexes(lines: list[str]) -> set[int]:
    """Indexes of the first and last few non-empty lines of a page, where headers and footers sit."""
    filled = [i for i, line in enumerate(lines) if line]
    return set(filled[:_EDGE_LINES] + filled[-_EDGE_LINES:])


def _is_running(line: str, repeated: set[str]) -> bool:
    """True for page-number lines and repeated headers/footers."""
    return any(p.match(line) for p in _PAGE_NUMBER_LINES) or _mask_digits(line) in repeated


def _mask_digits(line: str) -> str:
    """`line` with digit runs replaced, so "Rapport, sida 3" and "Rapport, sida 4" compare equal."""
    return re.sub(r"\d+", "#", line)


def _pdf_segments(pages: list[list[str]]) -> Iterator[Segment]:
    """Segments page by page; the open section carries across page breaks."""
    section: str | None = None
    for number, lines in enumerate(pages, start=1):
        blocks, section = numbered_sections(lines, section)
        yield from text_segments(blocks, page=number)


def _pdf_title(meta_title: object, pages: list[list[str]]) -> str | None:
    """The metadata title, else the first non-empty line of page 1."""
    if isinstance(meta_title, str) and meta_title.strip():
        return meta_title.strip()
    return next((line for line in pages[0] if line), None) if pages else None
