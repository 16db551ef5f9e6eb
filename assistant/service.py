"""The service layer: the one place every interface (CLI, API, Slack, evals) calls.

Heavy parts (embedder, Chroma) are created on first use and then reused.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from assistant import retrieval
from assistant import scopes as scope_rules
from assistant.config import Settings, get_settings
from assistant.embeddings import Embedder, create_embedder
from assistant.errors import ScopeDenied
from assistant.feedback import FeedbackStore
from assistant.index import Index, open_index
from assistant.records import Answer, DocumentInfo, Draft, IngestReport, Passage


class Service:
    """Kompetensassistenten's operations for one configuration."""

    def __init__(self, settings: Settings | None = None, embedder: Embedder | None = None) -> None:
        self.settings = settings or get_settings()
        self._embedder = embedder
        self._index: Index | None = None
        self._chat_model: Any = None
        self._feedback: FeedbackStore | None = None
        self._lock = threading.Lock()

    @property
    def embedder(self) -> Embedder:
        """The configured embedder (created on first use)."""
        if self._embedder is None:
            self._embedder = create_embedder(self.settings.embed)
        return self._embedder

    @property
    def chat_model(self) -> Any:
        """The configured LangChain chat model, or None for the extractive default."""
        if self.settings.llm.provider == "none":
            return None
        if self._chat_model is None:
            from assistant.llm import create_chat_model

            self._chat_model = create_chat_model(self.settings.llm)
        return self._chat_model

    @property
    def index(self) -> Index:
        """The opened index (created on first use)."""
        with self._lock:
            if self._index is None:
                self._index = open_index(self.settings, self.embedder)
            return self._index

    def ingest(self, paths: Sequence[Path], scope: str | None = None, prune: bool = False,
               progress: object | None = None) -> IngestReport:
        """Index files and folders; files without a manifest entry get `scope` (default: projekt)."""
        from ingest.pipeline import IngestOptions, ingest

        options = IngestOptions(
            default_scope=scope_rules.normalize(scope or self.settings.ingest.default_scope),
            max_bytes=int(self.settings.ingest.max_file_mb * 1024 * 1024),
            chunk_chars=self.settings.ingest.chunk_chars,
            batch_size=self.settings.embed.batch_size,
            prune=prune,
        )
        return ingest(paths, self.index, self.embedder, options, progress)  # type: ignore[arg-type]

    def search(self, query: str, caller_scopes: Sequence[str], k: int | None = None) -> list[Passage]:
        """Ranked passages for `query` that the caller's scopes allow."""
        r = self.settings.retrieval
        return retrieval.search(
            self.index, self.embedder, query, scope_rules.normalize_all(caller_scopes), k or r.k,
            candidates=max(r.candidates, k or r.k), rrf_k=r.rrf_k,
        )

    def ask(self, question: str, caller_scopes: Sequence[str]) -> Answer:
        """Answer a question from the evidence within the caller's scopes, with verified citations."""
        from assistant import answering

        return answering.answer(self, question, scope_rules.normalize_all(caller_scopes))

    def draft(self, kommun: str, avsnitt: Sequence[str] | None, caller_scopes: Sequence[str]) -> Draft:
        """Draft handlingsplan sections for `kommun` from the evidence within the caller's scopes."""
        from assistant import drafting

        return drafting.draft(self, kommun, avsnitt, scope_rules.normalize_all(caller_scopes))

    def draft_docx(self, draft: Draft) -> bytes:
        """The draft as a Word document."""
        from assistant import docx_export

        return docx_export.to_docx(draft)

    def sources(self, caller_scopes: Sequence[str]) -> list[DocumentInfo]:
        """Indexed documents the caller may see."""
        return self.index.lexical.documents(scope_rules.normalize_all(caller_scopes))

    def known_scopes(self) -> tuple[str, ...]:
        """Every scope present in the index plus the partner scopes: the CLI's default caller."""
        return scope_rules.normalize_all([*scope_rules.all_scopes(), *self.index.lexical.scopes()])

    def check_scopes(self, requested: Sequence[str], granted: Sequence[str]) -> tuple[str, ...]:
        """The requested scopes if all are granted; ScopeDenied otherwise."""
        wanted = scope_rules.normalize_all(requested)
        missing = sorted(set(wanted) - set(scope_rules.normalize_all(granted)))
        if missing:
            raise ScopeDenied(f"Du saknar behörighet för: {', '.join(missing)}.")
        return wanted

    @property
    def feedback(self) -> FeedbackStore:
        """The store of served answers and their ratings (`<data_dir>/feedback.sqlite`)."""
        with self._lock:
            if self._feedback is None:
                self._feedback = FeedbackStore(Path(self.settings.data_dir) / "feedback.sqlite")
            return self._feedback

    def ask_logged(self, question: str, caller_scopes: Sequence[str], channel: str) -> Answer:
        """`ask`, then log the answer under its id so feedback on it can be stored."""
        result = self.ask(question, caller_scopes)
        self.feedback.log_answer(question, result, channel)
        return result

    def rate(self, answer_id: str, rating: int | str, comment: str | None, channel: str) -> int:
        """Store 👍/👎 (and an optional comment) on a served answer; returns the feedback id."""
        return self.feedback.add(answer_id, rating, comment, channel)
