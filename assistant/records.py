"""Typed records that cross module borders (loaders → chunker → index → retrieval → interfaces)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

DOCUMENT_TYPES = (
    "strategi",
    "agenda",
    "handlingsplan",
    "enkat",
    "bristlista",
    "lardom",
    "protokoll",
    "beslut",
    "ovrigt",
)


@dataclass(frozen=True)
class Segment:
    """A structural unit of a loaded file: a paragraph block under a heading, a page, or table rows.

    `rows` is the 1-based range of source rows (spreadsheet row numbers, header = row 1) that
    a table segment covers; `text` of a table segment repeats the header on every row.
    """

    text: str
    page: int | None = None
    section: str | None = None
    rows: tuple[int, int] | None = None
    sheet: str | None = None


@dataclass(frozen=True)
class Table:
    """A table as the source holds it: one header row and data rows of cell values."""

    name: str
    columns: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]
    header_row: int = 1


@dataclass(frozen=True)
class LoadedDocument:
    """What a loader returns: the file's text in structural segments, plus any tables."""

    path: Path
    format: str
    segments: tuple[Segment, ...]
    tables: tuple[Table, ...] = ()
    title: str | None = None
    pages: int | None = None
    warnings: tuple[str, ...] = ()  # Swedish notes for the ingest report (e.g. formulas without values)


@dataclass(frozen=True)
class DocumentMeta:
    """Catalogue metadata for one file, from the corpus manifest or defaults."""

    title: str
    type: str
    scope: str
    kommun: str | None = None
    year: int | None = None
    valid_from: str | None = None
    valid_to: str | None = None
    replaces: str | None = None
    row_scope: str | None = None  # a table column (e.g. "Kommun"): each row chunk gets kommun:<value>


@dataclass(frozen=True)
class Chunk:
    """One indexed unit of text with its full provenance."""

    id: str
    doc_id: str
    ordinal: int
    text: str
    title: str
    path: str
    type: str
    scope: str
    content_hash: str
    kommun: str | None = None
    year: int | None = None
    page: int | None = None
    page_end: int | None = None
    section: str | None = None
    rows: tuple[int, int] | None = None
    sheet: str | None = None

    def metadata(self) -> dict[str, Any]:
        """Flat metadata for the vector store (no None values: Chroma rejects them)."""
        raw = {
            "doc_id": self.doc_id,
            "ordinal": self.ordinal,
            "title": self.title,
            "path": self.path,
            "type": self.type,
            "scope": self.scope,
            "content_hash": self.content_hash,
            "kommun": self.kommun,
            "year": self.year,
            "page": self.page,
            "page_end": self.page_end,
            "section": self.section,
            "row_start": self.rows[0] if self.rows else None,
            "row_end": self.rows[1] if self.rows else None,
            "sheet": self.sheet,
        }
        return {k: v for k, v in raw.items() if v is not None}


def index_text_of(title: str, sheet: str | None, section: str | None, text: str) -> str:
    """What is embedded and term-indexed for a chunk: title, sheet and section give the text context."""
    parts = [title, sheet, section]
    heading = " – ".join(p for i, p in enumerate(parts) if p and p not in parts[:i])
    return f"{heading}\n{text}"


@dataclass(frozen=True)
class Passage:
    """A retrieved chunk with its score: what search returns and answers cite."""

    source_id: str
    doc_id: str
    title: str
    path: str
    text: str
    scope: str
    score: float
    type: str | None = None
    kommun: str | None = None
    year: int | None = None
    page: int | None = None
    section: str | None = None
    rows: tuple[int, int] | None = None
    sheet: str | None = None
    dense_score: float | None = None
    lexical_score: float | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON shape of `kompetens search --json`."""
        data = asdict(self)
        data["rows"] = list(self.rows) if self.rows else None
        return data


@dataclass(frozen=True)
class DocumentInfo:
    """An indexed document as `kompetens sources` lists it."""

    doc_id: str
    title: str
    path: str
    type: str
    scope: str
    chunks: int
    content_hash: str
    kommun: str | None = None
    year: int | None = None
    valid_from: str | None = None
    valid_to: str | None = None
    replaces: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON shape of `kompetens sources --json`."""
        return asdict(self)


@dataclass(frozen=True)
class FileOutcome:
    """What happened to one file in an ingest run."""

    path: str
    status: str  # "ny" | "ändrad" | "oförändrad" | "misslyckad" | "borttagen"
    chunks: int = 0
    message: str | None = None


@dataclass
class IngestReport:
    """Summary of one ingest run, shown as a table by the CLI."""

    outcomes: list[FileOutcome] = field(default_factory=list)
    seconds: float = 0.0

    def count(self, status: str) -> int:
        """Number of files that ended with `status`."""
        return sum(1 for o in self.outcomes if o.status == status)

    @property
    def chunks(self) -> int:
        """Chunks written in this run (new and changed documents)."""
        return sum(o.chunks for o in self.outcomes if o.status in ("ny", "ändrad"))

    @property
    def failed(self) -> bool:
        """True when any file could not be indexed."""
        return self.count("misslyckad") > 0


@dataclass(frozen=True)
class Citation:
    """A numbered source of an answer: `quote` is text that stands verbatim in the cited chunk."""

    n: int
    source_id: str
    title: str
    path: str
    scope: str
    quote: str
    page: int | None = None
    section: str | None = None
    kommun: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON shape inside the Answer record."""
        return {"n": self.n, "source_id": self.source_id, "title": self.title, "path": self.path,
                "page": self.page, "section": self.section, "kommun": self.kommun, "scope": self.scope,
                "quote": self.quote}


@dataclass(frozen=True)
class Answer:
    """The assistant's answer: text with `[n]` markers, each resolved by a citation.

    `mode` says who composed it: "extraktiv", "llm" or "enkät"; `fallback` is True when an LLM
    answer failed validation or the endpoint failed and the extractive answer was used instead.
    """

    answer: str
    citations: tuple[Citation, ...]
    refused: bool
    scopes: tuple[str, ...]
    timings_ms: dict[str, float] = field(default_factory=dict)
    mode: str = "extraktiv"
    fallback: bool = False
    answer_id: str | None = None
    question: str | None = None  # a follow-up as answered: merged with the question before it

    def to_dict(self) -> dict[str, Any]:
        """The Answer record of `kompetens ask --json` and `POST /api/ask`."""
        return {"answer": self.answer, "citations": [c.to_dict() for c in self.citations],
                "refused": self.refused, "scopes": list(self.scopes), "timings_ms": dict(self.timings_ms),
                "mode": self.mode, "fallback": self.fallback, "answer_id": self.answer_id,
                **({"question": self.question} if self.question else {})}


INTERNAL_MARK = "Internt underlag – ej för publicering"  # on every internal sentence and the title page

DRAFT_SECTIONS: tuple[tuple[str, str], ...] = (
    ("bakgrund", "Bakgrund och mål"),
    ("nulage", "Nuläge: kompetensbehov och bristyrken"),
    ("insatser", "Prioriterade insatser"),
    ("ansvar", "Ansvar och samverkan"),
    ("tidplan", "Tidplan"),
    ("uppfoljning", "Uppföljning och indikatorer"),
    ("hallbarhet", "Hållbarhetsanalys"),
)


@dataclass(frozen=True)
class DraftSource:
    """A document one draft section cites: its title, path, scope and the `[n]` numbers used."""

    title: str
    path: str
    scope: str
    citations: tuple[int, ...] = ()


@dataclass(frozen=True)
class DraftSection:
    """One section of a handlingsplan draft, in Markdown with `[n]` markers into the draft's citations."""

    key: str
    heading: str
    markdown: str
    gaps: int = 0  # sentences marked "[Att komplettera: …]"
    sources: tuple[DraftSource, ...] = ()


@dataclass(frozen=True)
class Draft:
    """A drafted handlingsplan for one municipality: sections plus one numbered source list."""

    kommun: str
    year: int
    sections: tuple[DraftSection, ...]
    citations: tuple[Citation, ...]
    scopes: tuple[str, ...]
    generated: str  # ISO date
    draft_id: str | None = None
    mode: str = "extraktiv"
    fallback: bool = False
    access: str = "publik"  # publik | intern (DRAFT_ACCESS)
    period: str = ""  # the plan period, e.g. "2027 (1 januari–31 december 2027)"

    @property
    def internal(self) -> bool:
        """True for a draft that may hold the kommun's internal material (each such sentence is marked)."""
        return self.access == "intern"

    def markdown(self) -> str:
        """The whole draft as Markdown, with a numbered source list at the end."""
        parts = [f"# Handlingsplan {self.year} – {self.kommun} (utkast)", ""]
        if self.internal:
            parts += [f"**{INTERNAL_MARK}.** Utkastet innehåller kommunens interna underlag; "
                      f"varje sådan mening är märkt.", ""]
        parts += [f"*Planperiod: {self.period or self.year}. Utkast – genererat {self.generated}. "
                  f"Varje påstående har en källa eller är markerat att komplettera.*", ""]
        for number, section in enumerate(self.sections, start=1):
            parts += [f"## {number}. {section.heading}", "", section.markdown.strip(), ""]
        if self.citations:
            parts += ["## Källor", ""]
            for c in self.citations:
                where = ", ".join(x for x in (f"s. {c.page}" if c.page else None, c.section) if x)
                parts.append(f"{c.n}. {c.title}{' (' + where + ')' if where else ''} – {c.path}")
        return "\n".join(parts).strip() + "\n"

    def to_dict(self) -> dict[str, Any]:
        """JSON shape of `POST /api/draft` and `kompetens draft --json`."""
        return {"kommun": self.kommun, "year": self.year, "generated": self.generated, "draft_id": self.draft_id,
                "sections": [asdict(s) for s in self.sections], "citations": [c.to_dict() for c in self.citations],
                "scopes": list(self.scopes), "mode": self.mode, "fallback": self.fallback,
                "access": self.access, "period": self.period, "markdown": self.markdown()}
