"""The service layer: the one place every interface (CLI, API, Slack, evals) calls.

It builds a frozen `Deps` (settings, index, embedder, chat model) on first use and hands it to the
stages; each method is one call into a stage. Heavy parts (embedder, Chroma) are created on first
use and then reused.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from assistant import retrieval
from assistant import scopes as scope_rules
from assistant.answer import followup
from assistant.answer import pipeline as answer_pipeline
from assistant.answer.llm import create_chat_model
from assistant.config import Settings, get_settings
from assistant.deps import Deps
from assistant.draft import docx
from assistant.draft import pipeline as draft_pipeline
from assistant.errors import SourceNotFound
from assistant.index.embeddings import Embedder, create_embedder
from assistant.index.feedback import FeedbackStore
from assistant.index.store import Index, open_index
from assistant.records import Answer, DocumentInfo, Draft, IngestReport, Passage

SOURCE_NOT_FOUND = "Källan hittades inte. Saknar du behörighet kan du ange din token och försöka igen."
_SOURCE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,200}$")


class Service:
    """Kompetensassistenten's operations for one configuration."""

    def __init__(self, settings: Settings | None = None, embedder: Embedder | None = None) -> None:
        self.settings = settings or get_settings()
        self._embedder = embedder
        self._index: Index | None = None
        self._chat_model: Any = None
        self._deps: Deps | None = None
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
            self._chat_model = create_chat_model(self.settings.llm)
        return self._chat_model

    @property
    def index(self) -> Index:
        """The opened index (created on first use)."""
        with self._lock:
            if self._index is None:
                self._index = open_index(self.settings, self.embedder)
            return self._index

    @property
    def deps(self) -> Deps:
        """What the stages get: settings, index, embedder and chat model (built on first use)."""
        if self._deps is None:
            self._deps = Deps(self.settings, self.index, self.embedder, self.chat_model)
        return self._deps

    # ------------------------------------------------------------------------- ingest and search

    def ingest(self, paths: Sequence[Path], scope: str | None = None, prune: bool = False,
               progress: object | None = None) -> IngestReport:
        """Index files and folders; files without a manifest entry get `scope` (default: projekt)."""
        # ingest/ pulls in every loader's parser (pypdf, python-docx, openpyxl): load it only to ingest.
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
        return retrieval.retrieve(self.index, self.embedder, query, scope_rules.normalize_all(caller_scopes), k,
                                  self.settings.retrieval)

    def sources(self, caller_scopes: Sequence[str]) -> list[DocumentInfo]:
        """Indexed documents the caller may see."""
        return self.index.lexical.documents(scope_rules.normalize_all(caller_scopes))

    def source(self, source_id: str, caller_scopes: Sequence[str]) -> Passage:
        """One cited passage; SourceNotFound both when it does not exist and when it is out of scope."""
        found = self.index.lexical.passages([source_id], list(caller_scopes)) if _SOURCE_ID.match(source_id) else {}
        if source_id not in found:
            raise SourceNotFound(SOURCE_NOT_FOUND)
        return found[source_id]

    def health(self, caller_scopes: Sequence[str]) -> dict[str, object]:
        """Index loaded: documents the caller may see, and the vector store's kind (never its URL)."""
        return {"status": "ok", "index_loaded": True, "documents": len(self.sources(caller_scopes)),
                "store": self.index.dense.mode.split()[0]}

    # ------------------------------------------------------------------------- scopes

    def known_scopes(self) -> tuple[str, ...]:
        """Every scope present in the index plus the partner scopes: the CLI's default caller."""
        return scope_rules.normalize_all([*scope_rules.all_scopes(), *self.index.lexical.scopes()])

    def local_scopes(self, requested: Sequence[str] | None) -> tuple[str, ...]:
        """The scopes of a local (CLI) caller: the requested ones, or every known scope."""
        return scope_rules.normalize_all(requested) if requested else self.known_scopes()

    def resolve_scopes(self, granted: Sequence[str], requested: Sequence[str] | None) -> tuple[str, ...]:
        """The granted scopes narrowed to the requested ones; ScopeDenied when asking for more."""
        return scope_rules.resolve(granted, requested)

    def conversation_scopes(self, channel: str, user: str | None) -> tuple[str, ...]:
        """The scopes of a Slack conversation: the channel's, in a DM the user's, else `publik`."""
        slack = self.settings.slack
        return scope_rules.for_conversation(channel, user, slack.channel_scopes, slack.user_scopes)

    # ------------------------------------------------------------------------- answers and drafts

    def ask(self, question: str, caller_scopes: Sequence[str], previous: Sequence[str] = ()) -> Answer:
        """Answer a question from the evidence within the caller's scopes, with verified citations.

        `previous` are the conversation's earlier questions, oldest first: "Och i Dorotea?" after
        "Vem är kompetensmäklare i Åsele?" asks for Dorotea's kompetensmäklare.
        """
        return answer_pipeline.answer(self.deps, question, scope_rules.normalize_all(caller_scopes), previous)

    def ask_logged(self, question: str, caller_scopes: Sequence[str], channel: str,
                   previous: Sequence[str] = ()) -> Answer:
        """`ask`, then log the answer under its id so feedback on it can be stored."""
        result = self.ask(question, caller_scopes, previous)
        self.feedback.log_answer(result.question or question, result, channel)
        return result

    def ask_follow_up(self, question: str, earlier: Sequence[str], caller_scopes: Sequence[str], channel: str,
                      hint: str = "") -> Answer:
        """`ask_logged` for a message in a thread: the earlier questions of the thread are its context.

        InvalidQuestion (its message followed by `hint`) when the question is empty or too long.
        """
        return self.ask_logged(followup.chat_question(question, hint), caller_scopes, channel,
                               previous=followup.recent(earlier))

    def draft(self, kommun: str, avsnitt: Sequence[str] | None, caller_scopes: Sequence[str]) -> Draft:
        """Draft handlingsplan sections for `kommun` from the evidence within the caller's scopes."""
        return draft_pipeline.draft(self.deps, kommun, avsnitt, scope_rules.normalize_all(caller_scopes))

    def draft_docx(self, draft: Draft) -> bytes:
        """The draft as a Word document."""
        return docx.to_docx(draft)

    # ------------------------------------------------------------------------- feedback

    @property
    def feedback(self) -> FeedbackStore:
        """The store of served answers and their ratings (`<data_dir>/feedback.sqlite`)."""
        with self._lock:
            if self._feedback is None:
                self._feedback = FeedbackStore(Path(self.settings.data_dir) / "feedback.sqlite")
            return self._feedback

    def rate(self, answer_id: str, rating: int | str, comment: str | None, channel: str) -> int:
        """Store 👍/👎 (and an optional comment) on a served answer; returns the feedback id."""
        return self.feedback.add(answer_id, rating, comment, channel)
