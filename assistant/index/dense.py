"""The dense vector store: a Chroma collection, embedded (PersistentClient) or on a server (HttpClient).

The project's own embedder is always attached to the collection, so Chroma never falls back to
its default embedding function (which downloads a model and fails offline).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import numpy as np

from assistant.config import EmbedSettings
from assistant.errors import IndexUnavailable
from assistant.index.embeddings import Embedder, create_embedder
from assistant.records import Chunk


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

    def __init__(self, client: Any, collection_name: str, embedder: Embedder, mode: str) -> None:
        self.mode = mode
        self._collection = client.get_or_create_collection(
            name=collection_name,
            configuration={"hnsw": {"space": "cosine"}},
            embedding_function=_embedding_function(embedder),
        )

    def upsert(self, chunks: Sequence[Chunk], vectors: np.ndarray, texts: Sequence[str]) -> None:
        """Add or overwrite chunk vectors with their metadata."""
        if not chunks:
            return
        self._collection.upsert(
            ids=[c.id for c in chunks],
            embeddings=[v for v in np.asarray(vectors, dtype=np.float32)],
            metadatas=[c.metadata() for c in chunks],
            documents=list(texts),
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
        client = chromadb.PersistentClient(path=str(data_dir / "chroma"), settings=chroma_settings)
        return ChromaStore(client, collection_name, embedder, mode="inbäddad")
    except Exception as exc:  # chromadb raises many kinds; the user needs one clear message
        where = f"Chroma-servern på {chroma_url}" if chroma_url else f"vektorlagret i {data_dir}"
        raise IndexUnavailable(
            f"Kunde inte öppna {where}: {exc}. Kontrollera att servern körs och att adressen stämmer "
            "(KOMPETENS_CHROMA_URL), eller ta bort variabeln för att använda det inbäddade lagret."
        ) from exc
