"""The index: a Chroma collection for dense vectors plus the SQLite catalogue and BM25 terms.

Writing a document is atomic per document: new vectors are added under new chunk ids first,
then one SQLite transaction swaps the catalogue to them, then the old vectors are deleted.
Searches only return chunks the catalogue holds, so a crash at any point leaves each document
fully old or fully new; `collect_garbage` removes vectors left behind by such a crash.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from assistant.config import Settings
from assistant.errors import IndexUnavailable
from assistant.index.dense import ChromaStore, open_chroma
from assistant.index.embeddings import Embedder
from assistant.index.lexical import LexicalStore
from assistant.records import Chunk, DocumentInfo, Table


class Index:
    """Dense + lexical index of one embedder's vectors."""

    def __init__(self, dense: ChromaStore, lexical: LexicalStore) -> None:
        self.dense = dense
        self.lexical = lexical
        self._generation = lexical.generation()
        self._refresh_lock = threading.Lock()

    def write_document(
        self, info: DocumentInfo, fingerprint: str, chunks: Sequence[Chunk], index_texts: Sequence[str],
        vectors: np.ndarray, tables: Sequence[Table] = (), batch_size: int | None = None,
    ) -> None:
        """Replace a document atomically: add new vectors, commit the catalogue, drop old vectors.

        Vectors are written in batches of at most `batch_size` (and the store's own maximum); a
        document stored at the same path under an older id is replaced as well.
        """
        old_ids = {cid for doc_id in {info.doc_id, *self.lexical.doc_ids_at(info.path)}
                   for cid in self.lexical.passage_ids(doc_id)}
        self.dense.upsert(chunks, vectors, index_texts, batch_size)
        self._wrote(self.lexical.replace_document(info, fingerprint, chunks, index_texts, tables))
        self.dense.delete(sorted(old_ids - {c.id for c in chunks}))

    def remove_document(self, doc_id: str) -> None:
        """Remove a document from the catalogue, then its vectors."""
        old_ids = self.lexical.passage_ids(doc_id)
        self._wrote(self.lexical.remove_document(doc_id))
        self.dense.delete(old_ids)

    def _wrote(self, generation: int) -> None:
        """Our own write needs no reopening; a jump of more than one means another process wrote too."""
        if generation == self._generation + 1:
            self._generation = generation

    def refresh(self) -> bool:
        """Reopen the vector store when another process (a CLI ingest) has written since we last looked.

        An embedded Chroma client keeps its vector index in memory and does not see another
        process's writes ("Error finding id"); the catalogue's generation says when to reopen it.
        Returns True when it was reopened.
        """
        generation = self.lexical.generation()
        if generation == self._generation:
            return False
        with self._refresh_lock:
            if generation == self._generation:
                return False
            try:
                self.dense.reopen()
            except Exception as exc:  # chromadb raises many kinds; callers need one clear message
                raise IndexUnavailable(
                    f"Vektorlagret kunde inte läsas in på nytt efter en indexering: {exc}. Starta om tjänsten."
                ) from exc
            self._generation = generation
        return True

    def collect_garbage(self) -> int:
        """Delete vectors that no committed chunk owns (left by an interrupted run); returns how many."""
        orphans = self.dense.ids() - self.lexical.chunk_ids()
        self.dense.delete(sorted(orphans))
        return len(orphans)


def index_name(embedder: Embedder) -> str:
    """Collection/folder name for an embedder, so vectors of different models never mix."""
    return "kompetens-" + re.sub(r"[^a-z0-9]+", "-", embedder.name.lower()).strip("-")


def open_index(settings: Settings, embedder: Embedder) -> Index:
    """Open (or create) the index for `embedder` in the data dir, or on the Chroma server."""
    name = index_name(embedder)
    folder = Path(settings.data_dir) / name
    lexical = LexicalStore(folder / "katalog.sqlite")
    dense = _OnFirstUse(lambda: open_chroma(folder, settings.chroma_url, name, embedder))
    return Index(dense, lexical)  # type: ignore[arg-type]


class _OnFirstUse:
    """The vector store, opened when first used: survey questions, refusals for a kommun without
    documents and `kompetens sources` read only the catalogue and skip Chroma's ~1 s start."""

    def __init__(self, opener: Callable[[], ChromaStore]) -> None:
        self._opener = opener
        self._store: ChromaStore | None = None
        self._lock = threading.Lock()

    def __getattr__(self, name: str) -> Any:
        if self._store is None:
            with self._lock:
                if self._store is None:
                    self._store = self._opener()
        return getattr(self._store, name)
