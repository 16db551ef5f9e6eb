"""The corpus as the evaluation sees it: the catalogue of documents and their source texts.

Paths are as the index shows them: relative to the repository, e.g. `corpus/enkat/…`. Source text
is what the project's loaders read (`ingest.loaders.load`), the segments joined by newlines; it is
loaded once per path and cached, because citation checks and the baseline read the same files.
"""

from __future__ import annotations

from pathlib import Path

from assistant.scopes import slugify
from evals.metrics import CatalogueEntry
from ingest.loaders import load
from ingest.manifest import load_manifest

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO / "corpus"


def catalogue(corpus: Path = CORPUS) -> list[CatalogueEntry]:
    """Every document of the corpus manifest with its repo-relative path, title, scope and doc id."""
    manifest = load_manifest(corpus / "manifest.yaml")
    prefix = corpus.resolve().relative_to(REPO).as_posix() if corpus.resolve().is_relative_to(REPO) else corpus.name
    out = []
    for rel, meta in sorted(manifest.entries.items()):
        path = f"{prefix}/{rel}"
        out.append(CatalogueEntry(path=path, title=meta.title, scope=meta.scope, doc_id=slugify(path),
                                   kommun=meta.kommun))
    return out


class SourceTexts:
    """Loaded source texts by repo-relative path, each file read once."""

    def __init__(self, root: Path = REPO) -> None:
        self.root = root
        self._texts: dict[str, str] = {}
        self._full: dict[str, str] = {}
        self._pages: dict[str, dict[int | None, str]] = {}

    def text(self, path: str) -> str:
        """The document's segment texts joined by newlines: where a citation's quote must stand."""
        if path not in self._texts:
            self._load(path)
        return self._texts[path]

    def full_text(self, path: str) -> str:
        """The text with each segment's heading (section) before it: all the words the file holds."""
        if path not in self._full:
            self._load(path)
        return self._full[path]

    def pages(self, path: str) -> dict[int | None, str]:
        """Full text (headings included) per page; one entry under None for documents without pages."""
        if path not in self._pages:
            self._load(path)
        return self._pages[path]

    def _load(self, path: str) -> None:
        document = load(self._resolve(path))
        full: list[str] = []
        by_page: dict[int | None, list[str]] = {}
        previous: str | None = None
        for segment in document.segments:
            # A heading the loader lifted out of the text still stands in the file: keep it once.
            text = segment.text if segment.section in (None, previous) else f"{segment.section}\n{segment.text}"
            previous = segment.section
            full.append(text)
            by_page.setdefault(segment.page, []).append(text)
        self._texts[path] = "\n".join(s.text for s in document.segments)
        self._full[path] = "\n".join(full)
        self._pages[path] = {page: "\n".join(texts) for page, texts in by_page.items()}

    def _resolve(self, path: str) -> Path:
        candidate = Path(path)
        return candidate if candidate.is_absolute() else self.root / candidate
