"""Read a PDF: text segments per page part, ruled tables as rows, numbered-heading sections.

pdfplumber reads the page by position: ruled tables become table rows with their header (see
`pdf_tables`), and the running text outside them becomes lines (see `pdf_lines`), with a label and its
value kept on one line ("Diarienummer: RUN 2025/123") whether the value stands beside the label or under it.
Running headers, footers and page numbers are removed. Pages without a text layer are read with
Tesseract in Swedish when it is installed (see `pdf_ocr`); their passages are marked "(OCR-läst)".
"""

from __future__ import annotations

import io
import logging
import math
import re
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pdfplumber
from pypdf import PdfReader
from pypdf.errors import DependencyError

from assistant.errors import EmptyDocument, UnreadableDocument
from assistant.records import LoadedDocument, Segment
from ingest.loaders._common import numbered_sections, text_segments
from ingest.loaders.pdf_lines import join_labels, positioned_lines, text_lines
from ingest.loaders.pdf_ocr import OCR_PACKAGES, marked, ocr_available, ocr_page
from ingest.loaders.pdf_tables import PdfTable, TableRun, find_tables, table_segments

log = logging.getLogger(__name__)

Item = str | PdfTable  # a page is its text lines and tables, top to bottom

_REPEATED_LINE_SHARE = 0.6  # a page-edge line on this share of pages is a running header/footer
_EDGE_LINES = 3  # headers/footers are looked for among the first and last lines of a page
_PAGE_NUMBER_LINES = (
    re.compile(r"^(sida|page)\s+\d+(\s*(av|of|/)\s*\d+)?$", re.IGNORECASE),
    re.compile(r"^\d+\s*\(\s*\d+\s*\)$"),  # "3 (7)"
    re.compile(r"^\d+\s*/\s*\d+$"),  # "3/7"
    re.compile(r"^[-–]\s*\d+\s*[-–]$"),  # "- 3 -"
)  # a bare "3" is only dropped by the repeated-line rule: alone it may be a table cell
_FEW_WORDS = 5  # a page with fewer words than this (and no table) is read with OCR when possible


def read_pdf(path: Path, data: bytes) -> LoadedDocument:
    """Segments page by page (split at numbered headings and around tables), with 1-based pages."""
    with _quiet_pypdf():
        reader = PdfReader(io.BytesIO(data))
        _unlock_pdf(path, reader)
        meta_title = reader.metadata.title if reader.metadata else None
        try:
            pages, with_images = _plumber_pages(data)
        except Exception:  # pdfminer cannot parse every file pypdf repairs: fall back to plain text
            log.warning("pdfplumber kunde inte läsa '%s'; läser texten utan tabeller.", path.name, exc_info=True)
            pages = [list(text_lines(page.extract_text() or "")) for page in reader.pages]
            with_images = set(range(len(pages)))
    ocr_pages = _read_scanned_pages(path, data, pages, with_images)
    pages = _drop_running_lines(pages)
    return LoadedDocument(
        path=path, format="pdf", segments=tuple(_pdf_segments(pages, ocr_pages)),
        title=_pdf_title(meta_title, pages), pages=len(pages),
    )


def _read_scanned_pages(path: Path, data: bytes, pages: list[list[Item]], with_images: set[int]) -> set[int]:
    """OCR the pages without a text layer in place; the 1-based numbers of the pages read so.

    A page is read with OCR when it holds an image and (almost) no text: a few words of text layer
    (a stamped page number, a scanner's note) do not make a scan readable.

    Raises EmptyDocument when no page has text and none could be read: the message says whether
    Tesseract is missing (and which Debian packages to install) or found nothing to read.
    """
    scanned = [i for i, items in enumerate(pages)
               if i in with_images and _word_count(items) < _FEW_WORDS and not _has_table(items)]
    read: set[int] = set()
    available = bool(scanned) and ocr_available()
    if available:
        for i in scanned:
            try:
                lines = text_lines(ocr_page(data, i))
            except Exception:  # one unreadable page must not stop the document
                log.warning("Textigenkänningen (OCR) misslyckades på sida %d i '%s'.", i + 1, path.name, exc_info=True)
                continue
            if _word_count(lines) > _word_count(pages[i]):
                pages[i] = list(lines)
                read.add(i + 1)
    elif scanned and any(_word_count(pages[i]) == 0 for i in scanned):
        log.warning("'%s' har sidor utan textlager; installera %s för att läsa dem.", path.name, OCR_PACKAGES)
    if pages and not any(_word_count(items) or _has_table(items) for items in pages):
        raise EmptyDocument(_scanned_message(path, len(pages), ocr_available()))
    return read


def _scanned_message(path: Path, count: int, has_ocr: bool) -> str:
    """Swedish message for a PDF without any readable text, with or without Tesseract installed."""
    pages = f"{count} {'sida' if count == 1 else 'sidor'}"
    start = f"PDF-filen '{path.name}' har {pages} men inget textlager; den verkar vara inskannad. "
    if has_ocr:
        return start + (
            "Textigenkänningen (OCR) hittade ingen läsbar text. Kontrollera att skanningen är tydlig "
            "(gärna 300 dpi) och rättvänd, skanna om den vid behov och lägg sedan in den igen."
        )
    return start + (
        "Textigenkänning (OCR) på svenska kräver Tesseract, som inte är installerat. Installera "
        f"Debian-paketen {' och '.join(OCR_PACKAGES.split())} (sudo apt-get install {OCR_PACKAGES}) "
        "och lägg sedan in filen igen, eller kör OCR på filen först, t.ex. med ocrmypdf."
    )


def _word_count(items: Sequence[Item]) -> int:
    return sum(len(item.split()) for item in items if isinstance(item, str))


def _has_table(items: Sequence[Item]) -> bool:
    return any(isinstance(item, PdfTable) for item in items)


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


# Reading pages by position -------------------------------------------------------------------


def _plumber_pages(data: bytes) -> tuple[list[list[Item]], set[int]]:
    """Every page's text lines and tables top to bottom, and the 0-based indexes of pages with images."""
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        pages = [_page_items(page) for page in pdf.pages]
        with_images = {i for i, page in enumerate(pdf.pages) if page.images}
    return pages, with_images


def _page_items(page: Any) -> list[Item]:
    """One page: ruled tables, and the text outside them as normalised lines, in reading order."""
    tables = find_tables(page)
    boxes = [t.bbox for t in tables]
    text_page = page.filter(lambda obj: not _inside_any(obj, boxes)) if boxes else page
    lines, in_columns = positioned_lines(text_page)
    placed: list[tuple[float, Item]] = list(lines)
    if in_columns:  # keep the text's own order; a table goes before the first line below its top
        for table in tables:
            at = next((i for i, (top, item) in enumerate(placed) if isinstance(item, str) and top > table.top),
                      len(placed))
            placed.insert(at, (table.top, table))
    else:
        placed = sorted([*placed, *((t.top, t) for t in tables)], key=lambda pair: pair[0])
    items: list[Item] = []
    run: list[str] = []
    for _, item in placed:
        if isinstance(item, str):
            run.append(item)
            continue
        items += text_lines("\n".join(run)) if run else []
        run = []
        pairs = item.pair_lines()  # a two-column form drawn as a table: its rows are label/value lines
        items += pairs if pairs is not None else [item]
    items += text_lines("\n".join(run)) if run else []
    return items


def _inside_any(obj: dict[str, Any], boxes: Sequence[tuple[float, float, float, float]]) -> bool:
    """True for a character whose centre lies in one of the tables' boxes."""
    if obj.get("object_type") != "char":
        return False
    x, y = (obj["x0"] + obj["x1"]) / 2, (obj["top"] + obj["bottom"]) / 2
    return any(x0 <= x <= x1 and top <= y <= bottom for x0, top, x1, bottom in boxes)


# Running headers and footers ------------------------------------------------------------------


def _drop_running_lines(pages: list[list[Item]]) -> list[list[Item]]:
    """Remove page numbers and headers/footers repeated near the page edge on ≥ 60 % of pages."""
    repeated = _repeated_edge_lines(pages)
    return [_without_running(items, repeated) for items in pages]


def _without_running(items: list[Item], repeated: set[str]) -> list[Item]:
    """One page's items minus the running lines found at its edges."""
    edges = _edge_indexes(items)
    return [item for i, item in enumerate(items)
            if not (i in edges and isinstance(item, str) and _is_running(item, repeated))]


def _repeated_edge_lines(pages: list[list[Item]]) -> set[str]:
    """Digit-masked edge lines that recur on at least 60 % of pages (and on at least 2 pages)."""
    if len(pages) < 2:
        return set()
    counts = Counter(
        key for items in pages for key in {_mask_digits(str(items[i])) for i in _edge_indexes(items)}
    )
    needed = max(2, math.ceil(_REPEATED_LINE_SHARE * len(pages)))
    return {key for key, n in counts.items() if n >= needed}


def _edge_indexes(items: list[Item]) -> set[int]:
    """Indexes of the first and last few non-empty text lines of a page, where headers and footers sit."""
    filled = [i for i, item in enumerate(items) if isinstance(item, str) and item]
    return set(filled[:_EDGE_LINES] + filled[-_EDGE_LINES:])


def _is_running(line: str, repeated: set[str]) -> bool:
    """True for page-number lines and repeated headers/footers."""
    return any(p.match(line) for p in _PAGE_NUMBER_LINES) or _mask_digits(line) in repeated


def _mask_digits(line: str) -> str:
    """`line` with digit runs replaced, so "Rapport, sida 3" and "Rapport, sida 4" compare equal."""
    return re.sub(r"\d+", "#", line)


# Segments -------------------------------------------------------------------------------------


def _pdf_segments(pages: list[list[Item]], ocr_pages: set[int]) -> Iterator[Segment]:
    """Segments page by page; the open section carries across page breaks, and so does a table that
    ends one page and starts the next (its rows keep counting; a repeated header is skipped)."""
    section: str | None = None
    table: TableRun | None = None  # the table that ended the previous page, if it did
    for number, items in enumerate(pages, start=1):
        found: list[Segment] = []
        body: list[str] = []
        open_table: TableRun | None = None
        started = False  # anything but blank lines seen on this page yet
        for item in items:
            if isinstance(item, str):
                body.append(item)
                if item:
                    started, open_table = True, None
                continue
            blocks, section = numbered_sections(join_labels(body), section)
            found += text_segments(blocks, page=number)
            body = []
            continues = table if (not started and table is not None and table.width == item.width) else None
            rows, open_table = table_segments(item, number, section, continues)
            found += rows
            started = True
        blocks, section = numbered_sections(join_labels(body), section)
        found += text_segments(blocks, page=number)
        table = open_table
        if number in ocr_pages:
            found = [Segment(text=s.text, page=s.page, section=marked(s.section, number)) for s in found]
        yield from found


def _pdf_title(meta_title: object, pages: list[list[Item]]) -> str | None:
    """The metadata title, else the first non-empty line of page 1."""
    if isinstance(meta_title, str) and meta_title.strip():
        return meta_title.strip()
    return next((item for item in pages[0] if isinstance(item, str) and item), None) if pages else None
