"""The ingest pipeline: discover → hash → load → chunk → embed → write, one document at a time.

Unchanged files (same content and metadata fingerprint) are skipped; a file that fails is reported
and keeps its previously indexed version; `prune` drops documents whose files are gone.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from assistant.errors import KompetensError
from assistant.index.embeddings import Embedder
from assistant.index.store import Index
from assistant.records import Chunk, DocumentInfo, DocumentMeta, FileOutcome, IngestReport, LoadedDocument
from assistant.scopes import slugify
from ingest import row_scope
from ingest.chunking import CHUNKER_VERSION, chunk, embed_text, index_text
from ingest.loaders import SUPPORTED_SUFFIXES, load
from ingest.guards import ingest_lock, link_problem
from ingest.manifest import MANIFEST_NAME, Manifest, default_meta, find_manifest


class IngestProgress(Protocol):
    """Receives progress events; the CLI draws them as a progress bar."""

    def planned(self, files: int, chunks: int) -> None: ...
    def embedded(self, chunks: int) -> None: ...
    def finished(self, outcome: FileOutcome) -> None: ...


class _Silent:
    def planned(self, files: int, chunks: int) -> None: pass
    def embedded(self, chunks: int) -> None: pass
    def finished(self, outcome: FileOutcome) -> None: pass


@dataclass(frozen=True)
class IngestOptions:
    """How to treat files: the scope for files without a manifest entry, size limit, chunk size."""

    default_scope: str = "projekt"
    max_bytes: int = 50 * 1024 * 1024
    max_unpacked_bytes: int = 200 * 1024 * 1024  # DOCX/XLSX: the archive's unpacked size (zip bombs)
    chunk_chars: int = 1200
    batch_size: int = 32
    write_batch: int = 5000  # vectors per write to Chroma (its own maximum applies too)
    prune: bool = False


@dataclass(frozen=True)
class _Work:
    info: DocumentInfo
    fingerprint: str
    chunks: list[Chunk]
    loaded: LoadedDocument
    status: str


def ingest(
    paths: Sequence[Path], index: Index, embedder: Embedder, options: IngestOptions,
    progress: IngestProgress | None = None,
) -> IngestReport:
    """Index the files under `paths` incrementally and report what happened to each.

    One run at a time per index (IngestBusy otherwise); a file that fails for any reason is
    reported and never stops the run.
    """
    with ingest_lock(index.lexical.path.parent):
        return _ingest(paths, index, embedder, options, progress or _Silent())


def _ingest(paths: Sequence[Path], index: Index, embedder: Embedder, options: IngestOptions,
            progress: IngestProgress) -> IngestReport:
    started = time.perf_counter()
    report = IngestReport()
    index.collect_garbage()
    known = index.lexical.fingerprints()
    work: list[_Work] = []
    found, skipped = discover_checked(paths)
    for outcome in skipped:
        report.outcomes.append(outcome)
        progress.finished(outcome)
    for path, manifest, explicit in found:
        outcome, item = _prepare_safely(path, manifest, explicit, known, options)
        if item is not None:
            work.append(item)
        elif outcome is not None:
            report.outcomes.append(outcome)
            progress.finished(outcome)
    progress.planned(len(work), sum(len(w.chunks) for w in work))
    for item in work:
        try:
            outcome = _write(item, index, embedder, options, progress)
        except Exception as exc:  # noqa: BLE001 (one file's failure never stops the run)
            outcome = FileOutcome(item.info.path, "misslyckad", message=_write_failed(item.info.path, exc))
        report.outcomes.append(outcome)
        progress.finished(outcome)
    if options.prune:
        report.outcomes.extend(prune(index))
    report.seconds = time.perf_counter() - started
    return report


def _write_failed(shown: str, exc: Exception) -> str:
    return (f"Filen '{shown}' kunde inte skrivas till indexet ({type(exc).__name__}: {str(exc)[:200]}). "
            "En tidigare indexerad version behålls; övriga filer indexerades. Försök igen, och hör av dig "
            "till den som driftar tjänsten om felet står kvar.")


def _prepare_safely(
    path: Path, manifest: Manifest | None, explicit: bool, known: dict[str, str], options: IngestOptions,
) -> tuple[FileOutcome | None, _Work | None]:
    """`_prepare`, with any unexpected failure reported for this file alone."""
    try:
        return _prepare(path, manifest, explicit, known, options)
    except Exception as exc:  # noqa: BLE001 (a loader bug or an odd file must not stop the run)
        shown = display_path(path)
        return FileOutcome(shown, "misslyckad", message=(
            f"Filen '{shown}' kunde inte läsas in ({type(exc).__name__}: {str(exc)[:200]}). Den hoppades "
            "över; övriga filer indexerades. Kontrollera filen eller spara den på nytt.")), None


def discover_checked(paths: Iterable[Path]) -> tuple[list[tuple[Path, Manifest | None, bool]], list[FileOutcome]]:
    """`discover`, plus an outcome for each link that is not followed (a loop, or out of the folder)."""
    found: list[tuple[Path, Manifest | None, bool]] = []
    skipped: list[FileOutcome] = []
    for raw in paths:
        path = Path(raw)
        if path.is_symlink() and (problem := link_problem(path, None)):
            skipped.append(FileOutcome(path.as_posix(), "misslyckad", message=problem))
            continue
        for file, manifest, explicit in discover([path]):
            problem = None if explicit else link_problem(file, path)
            if problem:
                skipped.append(FileOutcome(display_path(file.parent) + "/" + file.name, "överhoppad",
                                           message=problem))
            else:
                found.append((file, manifest, explicit))
    return found, skipped


def discover(paths: Iterable[Path]) -> list[tuple[Path, Manifest | None, bool]]:
    """Files to consider, with their manifest and whether the user named them explicitly."""
    found: list[tuple[Path, Manifest | None, bool]] = []
    for raw in paths:
        path = Path(raw)
        manifest = find_manifest(path)
        if path.is_dir():
            for file in sorted(p for p in path.rglob("*") if p.is_file() or p.is_symlink()):
                if _walk_skips(file, manifest):
                    continue
                found.append((file, manifest, False))
        else:
            found.append((path, manifest, True))
    return found


def _walk_skips(file: Path, manifest: Manifest | None) -> bool:
    hidden = any(part.startswith(".") for part in file.parts)
    excluded = manifest is not None and manifest.excludes(file)
    return hidden or excluded or file.name == MANIFEST_NAME


def _prepare(
    path: Path, manifest: Manifest | None, explicit: bool, known: dict[str, str], options: IngestOptions,
) -> tuple[FileOutcome | None, _Work | None]:
    shown = display_path(path)
    if not path.exists():
        return FileOutcome(shown, "misslyckad", message=f"Filen '{shown}' finns inte."), None
    if not explicit and path.suffix.lower() not in SUPPORTED_SUFFIXES:
        return FileOutcome(shown, "överhoppad", message=f"Formatet '{path.suffix}' indexeras inte."), None
    try:
        content_hash = file_hash(path)
        doc_id = doc_id_for(path)
        meta = _meta(path, manifest, options, title_hint=None)
        fingerprint = _fingerprint(content_hash, meta, options)
        if known.get(doc_id) == fingerprint:
            return FileOutcome(shown, "oförändrad"), None
        loaded = load(path, max_bytes=options.max_bytes, max_unpacked=options.max_unpacked_bytes)
        # The loader's title only fills in a missing manifest title; it is not part of the fingerprint.
        meta = _meta(path, manifest, options, title_hint=loaded.title)
    except KompetensError as exc:
        return FileOutcome(shown, "misslyckad", message=str(exc)), None
    replaces = doc_id_for(manifest.root / meta.replaces) if manifest and meta.replaces else None
    segments = row_scope.regroup(loaded, meta.row_scope) if meta.row_scope else loaded.segments
    chunks = chunk(segments, meta, doc_id=doc_id, path=shown, content_hash=content_hash,
                   fingerprint=fingerprint, max_chars=options.chunk_chars)
    if meta.row_scope:
        chunks = row_scope.scope_rows(chunks, loaded, meta.row_scope)
    info = DocumentInfo(
        doc_id=doc_id, title=meta.title, path=shown, type=meta.type, scope=meta.scope, chunks=len(chunks),
        content_hash=content_hash, kommun=meta.kommun, year=meta.year, valid_from=meta.valid_from,
        valid_to=meta.valid_to, replaces=replaces,
    )
    status = "ändrad" if doc_id in known else "ny"
    return None, _Work(info, fingerprint, chunks, loaded, status)


def _write(item: _Work, index: Index, embedder: Embedder, options: IngestOptions,
           progress: IngestProgress) -> FileOutcome:
    texts = [index_text(c) for c in item.chunks]
    embedded = [embed_text(c) for c in item.chunks]  # table rows by their worded cells only
    vectors: list[np.ndarray] = []
    for start in range(0, len(embedded), options.batch_size):
        batch = embedded[start : start + options.batch_size]
        vectors.extend(embedder.embed_batch(batch, "passage"))
        progress.embedded(len(batch))
    matrix = np.asarray(vectors, dtype=np.float32).reshape(len(texts), -1) if texts else np.zeros((0, 1))
    index.write_document(item.info, item.fingerprint, item.chunks, texts, matrix, item.loaded.tables,
                         batch_size=options.write_batch)
    message = " ".join(item.loaded.warnings) or None
    return FileOutcome(item.info.path, item.status, chunks=len(item.chunks), message=message)


def prune(index: Index) -> list[FileOutcome]:
    """Remove documents whose files no longer exist."""
    removed = []
    for doc in index.lexical.documents():
        if not Path(doc.path).exists():
            index.remove_document(doc.doc_id)
            removed.append(FileOutcome(doc.path, "borttagen", message="Filen finns inte längre."))
    return removed


def _meta(path: Path, manifest: Manifest | None, options: IngestOptions, title_hint: str | None) -> DocumentMeta:
    if manifest is None:
        return default_meta(path, options.default_scope, title_hint)
    return manifest.meta_for(path, options.default_scope, title_hint)


def _fingerprint(content_hash: str, meta: DocumentMeta, options: IngestOptions) -> str:
    payload = json.dumps([content_hash, asdict(meta), CHUNKER_VERSION, options.chunk_chars], sort_keys=True)
    return hashlib.sha256(payload.encode()).hexdigest()


def file_hash(path: Path) -> str:
    """SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def display_path(path: Path) -> str:
    """The path as users see it: relative to the working directory when inside it."""
    resolved = path.resolve()
    try:
        return resolved.relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return resolved.as_posix()


def doc_id_for(path: Path) -> str:
    """Stable, readable, unique document id from the displayed path: a slug plus a short hash of the path.

    'corpus/enkat/a.xlsx' → 'corpus-enkat-a-xlsx-1a2b3c4d'. The hash keeps names apart that only
    differ in case, å/ä/ö, spaces or punctuation ('plan ö.md', 'plan-o.md', 'PLAN-O.md').
    """
    return doc_id_of(display_path(path))


def doc_id_of(shown: str) -> str:
    """The document id of a path as the catalogue shows it (see `doc_id_for`)."""
    digest = hashlib.sha256(shown.encode("utf-8")).hexdigest()[:_ID_HASH]
    return f"{slugify(shown)[:_ID_SLUG].strip('-') or 'dokument'}-{digest}"


_ID_HASH = 10
_ID_SLUG = 120  # chunk ids (doc id + fingerprint + ordinal) stay within the API's 200 characters
