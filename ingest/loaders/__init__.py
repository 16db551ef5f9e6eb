"""Load one source file into a `LoadedDocument`: structural text segments plus any tables.

`load` picks a reader by file suffix. Every reader keeps the provenance that answers cite (PDF page,
heading, spreadsheet rows and sheet), and every failure becomes a domain error with a Swedish
message that names the file, says what is wrong and what to do about it.

The readers live one format family per module: `pdf`, `docx`, `text` (Markdown and TXT) and
`tables` (CSV and XLSX); this module holds the dispatch, the size and emptiness checks and the
translation of library failures into domain errors.

Example:
    >>> doc = load(Path("underlag/plan.pdf"))          # doctest: +SKIP
    >>> doc.segments[0].page, doc.segments[0].section  # doctest: +SKIP
    (1, '1. Inledning')
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from assistant.errors import EmptyDocument, KompetensError, UnreadableDocument, UnsupportedFormat
from assistant.records import LoadedDocument
from ingest.loaders._common import empty_message
from ingest.loaders.archive import check_unpacked_size
from ingest.loaders.docx import read_docx
from ingest.loaders.pdf import read_pdf
from ingest.loaders.tables import read_csv, read_xlsx
from ingest.loaders.text import read_markdown, read_txt

__all__ = ["MAX_FILE_ENV", "SUPPORTED_SUFFIXES", "load"]

# The settings variable behind `max_bytes` (see assistant/config.py: IngestSettings.max_file_mb).
MAX_FILE_ENV = "KOMPETENS_INGEST_MAX_FILE_MB"

_SUPPORTED_NAMES = "PDF, DOCX, Markdown, TXT, CSV, XLSX"


def load(path: Path, max_bytes: int = 50 * 1024 * 1024, max_unpacked: int = 200 * 1024 * 1024) -> LoadedDocument:
    """Read `path` into segments and tables, or raise a domain error with a Swedish message.

    Raises UnsupportedFormat for unknown suffixes, EmptyDocument when there is no text (including
    scanned PDFs without a text layer) and UnreadableDocument for missing, too large, corrupt or
    encrypted files, and DOCX/XLSX archives that unpack to more than `max_unpacked` bytes (zip
    bombs). Library exceptions never escape; they are kept as `__cause__`.
    """
    path = Path(path)
    fmt = _format_of(path)
    data = _read_bytes(path, max_bytes)
    if not data.strip():
        raise EmptyDocument(empty_message(path))
    if path.suffix.lower() in _ARCHIVES:
        check_unpacked_size(path, data, max_unpacked)
    try:
        document = fmt.read(path, data)
    except KompetensError:
        raise
    except Exception as exc:  # any library failure means the file cannot be read as this format
        raise UnreadableDocument(_corrupt_message(path, fmt)) from exc
    return _require_content(document)


@dataclass(frozen=True)
class _Format:
    """How one file format is read and how its failures are explained to the user."""

    read: Callable[[Path, bytes], LoadedDocument]
    noun: str  # the file as a Swedish noun phrase, e.g. "PDF-filen"
    fix: str  # what the user can do when the file is corrupt


_RESAVE_AS_TEXT = "Spara den på nytt som vanlig text i UTF-8."
_MARKDOWN = _Format(read_markdown, "Markdown-filen", _RESAVE_AS_TEXT)
_FORMATS: dict[str, _Format] = {
    ".pdf": _Format(read_pdf, "PDF-filen", "Öppna den i en PDF-läsare och spara eller exportera den på nytt som PDF."),
    ".docx": _Format(
        read_docx, "Word-filen", "Kontrollera att det är en riktig .docx-fil (inte .doc) och spara den på nytt i Word."
    ),
    ".xlsx": _Format(
        read_xlsx, "Excel-filen", "Kontrollera att det är en riktig .xlsx-fil (inte .xls) och spara den på nytt i Excel."
    ),
    ".csv": _Format(read_csv, "CSV-filen", "Öppna den i ett kalkylprogram och spara den på nytt som CSV (UTF-8)."),
    ".md": _MARKDOWN,
    ".markdown": _MARKDOWN,
    ".txt": _Format(read_txt, "Textfilen", _RESAVE_AS_TEXT),
}

SUPPORTED_SUFFIXES: frozenset[str] = frozenset(_FORMATS)
_ARCHIVES = frozenset({".docx", ".xlsx"})


def _format_of(path: Path) -> _Format:
    """The reader for `path`'s suffix (case-insensitive), or UnsupportedFormat."""
    suffix = path.suffix.lower()
    fmt = _FORMATS.get(suffix)
    if fmt is None:
        shown = f"'{suffix}'" if suffix else "utan filändelse"
        raise UnsupportedFormat(
            f"Filformatet {shown} stöds inte (fil '{path.name}'). Stödda format: {_SUPPORTED_NAMES}. "
            "Spara filen i något av dessa format och försök igen."
        )
    return fmt


def _read_bytes(path: Path, max_bytes: int) -> bytes:
    """The file's bytes, refusing missing, unreadable and oversized files."""
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise UnreadableDocument(_too_large_message(path, size, max_bytes))
        return path.read_bytes()
    except FileNotFoundError as exc:
        raise UnreadableDocument(f"Filen '{path.name}' finns inte. Kontrollera sökvägen.") from exc
    except IsADirectoryError as exc:
        raise UnreadableDocument(f"'{path.name}' är en mapp, inte en fil. Ange en fil.") from exc
    except OSError as exc:
        raise UnreadableDocument(
            f"Filen '{path.name}' kan inte öppnas. Kontrollera att den finns och att du har läsbehörighet."
        ) from exc


def _too_large_message(path: Path, size: int, max_bytes: int) -> str:
    """Swedish message for a file over the size limit."""
    return (
        f"Filen '{path.name}' är för stor ({_megabytes(size)} MB; gränsen är {_megabytes(max_bytes)} MB). "
        f"Dela upp filen eller höj gränsen med {MAX_FILE_ENV}."
    )


def _megabytes(size: int) -> str:
    """A byte count as megabytes with a Swedish decimal comma: 52428800 → '50', 1536 → '0,0015'."""
    mb = size / (1024 * 1024)
    text = f"{mb:.1f}" if mb >= 0.1 else f"{mb:.2g}"
    return text.removesuffix(".0").replace(".", ",")


def _corrupt_message(path: Path, fmt: _Format) -> str:
    """Swedish message for a file the format's library could not read."""
    return f"{fmt.noun} '{path.name}' är skadad eller ofullständig och kan inte läsas. {fmt.fix}"


def _require_content(document: LoadedDocument) -> LoadedDocument:
    """`document` unchanged, or EmptyDocument when it holds no text and no tables."""
    if not any(s.text.strip() for s in document.segments) and not document.tables:
        raise EmptyDocument(empty_message(document.path))
    return document
