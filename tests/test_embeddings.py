"""Embedders: the bundled e5 (default), sentence-transformers with the packaged MiniLM, the hash fake."""

from __future__ import annotations

import numpy as np
import pytest

from assistant.config import EmbedSettings
from assistant.errors import ConfigError
from assistant.index.embeddings import create_embedder, register_embedder

SV = ["Åsele kommun behöver fler undersköterskor inom äldreomsorgen.",
      "Lastbilsförare saknas i hela länet enligt arbetsgivarna.",
      "Regionen ansvarar för det regionala kompetensförsörjningsarbetet."]


def _check_shapes_and_norms(vectors: np.ndarray, n: int) -> None:
    assert vectors.shape[0] == n and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-3)


@pytest.mark.integration
def test_e5_default_ranks_the_swedish_answer_first():
    embedder = create_embedder(EmbedSettings())
    assert embedder.name == "e5-small"
    passages = embedder.embed_batch(SV, "passage")
    _check_shapes_and_norms(passages, 3)
    query = embedder.embed_batch(["Vilka yrken inom vården saknas i Åsele?"], "query")[0]
    assert int(np.argmax(passages @ query)) == 0
    english = embedder.embed_batch(["Who is responsible for regional skills supply?"], "query")[0]
    assert int(np.argmax(passages @ english)) == 2


@pytest.mark.integration
def test_sentence_transformers_backend_with_packaged_model():
    embedder = create_embedder(EmbedSettings(backend="sentence-transformers"))
    vectors = embedder.embed_batch(["The driver shortage is severe.", "Nurses are needed.", "Lorry drivers wanted."],
                                   "passage")
    _check_shapes_and_norms(vectors, 3)
    assert embedder.dim == 384 and embedder.name.startswith("st-")
    query = embedder.embed_batch(["truck driver"], "query")[0]
    assert int(np.argmax(vectors @ query)) in (0, 2)


def test_hash_embedder_is_deterministic_and_term_sensitive():
    embedder = create_embedder(EmbedSettings(backend="hash"))
    a, b = embedder.embed_batch(["validering av kompetens", "validering av kompetens"], "passage")
    assert np.array_equal(a, b)
    q = embedder.embed_batch(["validering"], "query")[0]
    others = embedder.embed_batch(["budget för turism"], "passage")[0]
    assert float(a @ q) > float(others @ q)
    assert embedder.embed_batch([], "query").shape == (0, embedder.dim)


def test_unknown_backend_is_a_clear_error_and_fakes_register_like_real_ones():
    with pytest.raises(ConfigError, match="Okänd embedder"):
        create_embedder(EmbedSettings(backend="finns-inte"))

    class Constant:
        name, dim = "konstant", 2

        def __init__(self, settings: EmbedSettings) -> None:
            pass

        def embed_batch(self, texts, kind):
            return np.tile(np.array([[1.0, 0.0]], dtype=np.float32), (len(texts), 1))

    register_embedder("konstant", Constant)
    assert create_embedder(EmbedSettings(backend="konstant")).embed_batch(["x"], "query").shape == (1, 2)
