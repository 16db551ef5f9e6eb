"""The dense vector store: a Chroma collection, embedded (PersistentClient) or on a server (HttpClient).

The project's own embedder is always attached to the collection, so Chroma never falls back to
its default embedding function (which downloads a model and fails offline).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import numpy as np

from assistant.config import EmbedSettings
from assistant.errors import IndexUnavailable
from assistant.index.embeddings import Embedder, create_embedder
from assistant.records import Chunk

MAX_WRITE_BATCH = 5000  # vectors per write; Chroma refuses batches over its own limit (5,461 embedded)


def _embedding_function(embedder: Embedder) -> Any:
    from chromadb.api.types import EmbeddingFunction

    class ProjectEmbeddingFunction(EmbeddingFunction):  # type: ignore[type-arg]
        """Adapter so Chroma embeds with the project's embedder, never its own default."""

        def __init__(self, inner: Embedder) -> None:
            self._inner = inner
            self._settings = getattr(inner, "config", {"backend": "hash"})

        def __call__(self, input: Sequence[str]) -> Any:  # noqa: A002 (Chroma's parameter name)
            return list(self._inner.embed_batch(list(input), "passage"))

        def embed_query(self, input: Sequence[str]) -> Any:  # noqa: A002
            return list(self._inner.embed_batch(list(input), "query"))

        @staticmethod
        def name() -> str:
            return "kompetens-project-embedder"

        def get_config(self) -> dict[str, Any]:
            return {"embedder": self._inner.name, "settings": self._settings}

        @staticmethod
        def build_from_config(config: dict[str, Any]) -> Any:
            settings = EmbedSettings(**config.get("settings", {}))
            return ProjectEmbeddingFunction(create_embedder(settings))

    return ProjectEmbeddingFunction(embedder)


class ChromaStore:
    """One Chroma collection of chunk vectors with scope metadata."""

    def __init__(self, client: Any, collection_name: str, embedder: Embedder, mode: str,
                 reconnect: Callable[[Any], Any] | None = None) -> None:
        self.mode = mode
        self._name = collection_name
        self._embedder = embedder
        self._reconnect = reconnect
        self._open(client)

    def _open(self, client: Any) -> None:
        self._client = client
        self._collection = client.get_or_create_collection(
            name=self._name,
            configuration={"hnsw": {"space": "cosine"}},
            embedding_function=_embedding_function(self._embedder),
        )
        try:
            self.max_batch = min(MAX_WRITE_BATCH, int(client.get_max_batch_size()))
        except Exception:  # older servers lack the call; Chroma's default limit is above ours
            self.max_batch = MAX_WRITE_BATCH

    def reopen(self) -> None:
        """Open the collection anew, so vectors written by another process are seen (embedded store)."""
        if self._reconnect is not None:
            self._open(self._reconnect(self._client))

    def upsert(self, chunks: Sequence[Chunk], vectors: np.ndarray, texts: Sequence[str],
               batch_size: int | None = None) -> None:
        """Add or overwrite chunk vectors with their metadata, in batches Chroma accepts."""
        if not chunks:
            return
        step = max(1, min(batch_size or self.max_batch, self.max_batch))
        matrix = np.asarray(vectors, dtype=np.float32)
        for start in range(0, len(chunks), step):
            part = chunks[start : start + step]
            self._collection.upsert(
                ids=[c.id for c in part],
                embeddings=[v for v in matrix[start : start + step]],
                metadatas=[c.metadata() for c in part],
                documents=list(texts[start : start + step]),
            )

    def delete(self, ids: Sequence[str]) -> None:
        """Delete vectors by chunk id (unknown ids are ignored)."""
        ids = list(ids)
        for start in range(0, len(ids), 500):
            self._collection.delete(ids=ids[start : start + 500])

    def ids(self) -> set[str]:
        """Every chunk id in the collection."""
        return set(self._collection.get(include=[])["ids"])

    def count(self) -> int:
        """Number of vectors stored."""
        return int(self._collection.count())

    def query(self, vector: np.ndarray, scopes: Sequence[str], n: int, *, every_scope: bool = False,
              ) -> list[tuple[str, float]]:
        """Nearest chunks within `scopes` (filtered inside Chroma's search): (id, cosine similarity).

        `every_scope` says the caller holds every scope the index contains: the filter could exclude
        nothing, and Chroma's filtered search is many times slower than its plain one.
        """
        if not scopes or n <= 0:
            return []
        where: dict[str, Any] | None = None if every_scope else {"scope": {"$in": list(scopes)}}
        result = self._collection.query(
            query_embeddings=[np.asarray(vector, dtype=np.float32)], n_results=n, where=where, include=["distances"]
        )
        return [(cid, 1.0 - float(dist)) for cid, dist in zip(result["ids"][0], result["distances"][0], strict=True)]


def open_chroma(data_dir: Path, chroma_url: str | None, collection_name: str, embedder: Embedder) -> ChromaStore:
    """Open the embedded store in `data_dir`, or the Chroma server at `chroma_url`."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    try:
        if chroma_url:
            url = urlparse(chroma_url)
            client = chromadb.HttpClient(
                host=url.hostname or "127.0.0.1", port=url.port or (443 if url.scheme == "https" else 8000),
                ssl=url.scheme == "https", settings=chroma_settings,
            )
            return ChromaStore(client, collection_name, embedder, mode=f"server {chroma_url}")
        path = str(data_dir / "chroma")
        return ChromaStore(_persistent(path, chroma_settings), collection_name, embedder, mode="inbäddad",
                           reconnect=lambda stale: _persistent(path, chroma_settings, stale))
    except Exception as exc:  # chromadb raises many kinds; the user needs one clear message
        where = f"Chroma-servern på {chroma_url}" if chroma_url else f"vektorlagret i {data_dir}"
        raise IndexUnavailable(
            f"Kunde inte öppna {where}: {exc}. Kontrollera att servern körs och att adressen stämmer "
            "(KOMPETENS_CHROMA_URL), eller ta bort variabeln för att använda det inbäddade lagret."
        ) from exc


def _persistent(path: str, chroma_settings: Any, stale: Any = None) -> Any:
    """An embedded client. With the `stale` client given, Chroma first forgets the in-process system
    they share, so the new client reads the vectors from disk instead of the stale in-memory index
    (queries already running on the old one finish on it)."""
    import chromadb
    from chromadb.api.shared_system_client import SharedSystemClient

    identifier = getattr(stale, "_identifier", None)
    if identifier is not None:
        with SharedSystemClient._refcount_lock:
            SharedSystemClient._identifier_to_system.pop(identifier, None)
            SharedSystemClient._identifier_to_refcount.pop(identifier, None)
    return chromadb.PersistentClient(path=path, settings=chroma_settings)
