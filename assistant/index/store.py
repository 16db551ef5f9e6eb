"""The index: a Chroma collection for dense vectors plus the SQLite catalogue and BM25 terms.

Writing a document is atomic per document: new vectors are added under new chunk ids first,
then one SQLite transaction swaps the catalogue to them, then the old vectors are deleted.
Searches only return chunks the catalogue holds, so a crash at any point leaves each document
fully old or fully new; `collect_garbage` removes vectors left behind by such a crash.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from assistant.config import Settings
from assistant.index.dense import ChromaStore, open_chroma
from assistant.index.embeddings import Embedder
from assistant.index.lexical import LexicalStore
from assistant.records import Chunk, DocumentInfo, Table


class Index:
    """Dense + lexical index of one embedder's vectors."""

    def __init__(self, dense: ChromaStore, lexical: LexicalStore) -> None:
        self.dense = dense
        self.lexical = lexical

    def write_document(
        self, info: DocumentInfo, fingerprint: str, chunks: Sequence[Chunk], index_texts: Sequence[str],
        vectors: np.ndarray, tables: Sequence[Table] = (),
    ) -> None:
        """Replace a document atomically: add new vectors, commit the catalogue, drop old vectors."""
        old_ids = set(self.lexical.passage_ids(info.doc_id))
        self.dense.upsert(chunks, vectors, index_texts)
        self.lexical.replace_document(info, fingerprint, chunks, index_texts, tables)
        self.dense.delete(sorted(old_ids - {c.id for c in chunks}))

    def remove_document(self, doc_id: str) -> None:
        """Remove a document from the catalogue, then its vectors."""
        old_ids = self.lexical.passage_ids(doc_id)
        self.lexical.remove_document(doc_id)
        self.dense.delete(old_ids)

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
    dense = open_chroma(folder, settings.chroma_url, name, embedder)
    return Index(dense, lexical)
