"""The service layer: the one place every interface (CLI, API, Slack, evals) calls.

It builds a frozen `Deps` (settings, index, embedder, chat model) on first use and hands it to the
stages; each method is one call into a stage. Heavy parts (embedder, Chroma) are created on first
use and then reused, and the stages are imported by the methods that call them, so `search` and
`sources` never load pandas or the drafting code.
"""

from __future__ import annotations

import dataclasses
import logging
import re
import secrets
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from assistant import retrieval
from assistant import scopes as scope_rules
from assistant.config import Settings, get_settings
from assistant.deps import Deps
from assistant.errors import ConfigError, SourceNotFound
from assistant.index.embeddings import Embedder, create_embedder
from assistant.index.feedback import FeedbackStore
from assistant.index.store import Index, open_index
from assistant.progress import CountingEmbedder, IngestTracker
from assistant.records import Answer, DocumentInfo, Draft, IngestReport, Passage

log = logging.getLogger(__name__)
SOURCE_NOT_FOUND = "Källan hittades inte. Saknar du behörighet kan du ange din token och försöka igen."
_SOURCE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,200}$")
ORIGINAL_NOT_FOUND = "Originalfilen finns inte på servern. Texten ovan är det som indexerades."
# Values that show up when someone copies an example config without changing it.
_EXAMPLE_SECRETS = frozenset({"changeme", "change-me", "change_me", "changethis", "secret", "example", "xxx",
                              "default", "password", "test", "<secret>"})
_MIN_SECRET = 16


@dataclass(frozen=True)
class SourceView:
    """One cited passage as the source view shows it, with the passages around it in its document."""

    passage: Passage
    before: tuple[Passage, ...]
    after: tuple[Passage, ...]
    original: bool  # the original file can be served (it lies within data_dir or source_roots)


STILL_INDEXING = ("Underlaget indexeras fortfarande, så svaret kan bli ett annat när indexeringen är klar. "
                  "Försök igen om en stund.")


class Service:
    """Kompetensassistenten's operations for one configuration."""

    def __init__(self, settings: Settings | None = None, embedder: Embedder | None = None) -> None:
        self.settings = settings or get_settings()
        self._embedder = embedder
        self._index: Index | None = None
        self._chat_model: Any = None
        self._deps: Deps | None = None
        self._feedback: FeedbackStore | None = None
        self._link_key: bytes | None = None
        self._lock = threading.Lock()
        self.indexing = IngestTracker()  # the latest ingest run (background or not), for /healthz

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
            from assistant.answer.llm import create_chat_model

            self._chat_model = create_chat_model(self.settings.llm)
        return self._chat_model

    @property
    def index(self) -> Index:
        """The opened index (created on first use)."""
        with self._lock:
            if self._index is None:
                self._index = open_index(self.settings, self.embedder)
            index = self._index
        index.refresh()  # another process (a CLI ingest) may have written: reopen the vectors then
        return index

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
            max_unpacked_bytes=int(self.settings.ingest.max_unpacked_mb * 1024 * 1024),
            write_batch=self.settings.ingest.write_batch,
            chunk_chars=self.settings.ingest.chunk_chars,
            batch_size=self.settings.embed.batch_size,
            prune=prune,
        )
        # A tracker also counts the embedder's tokens and seconds (tokens/s in the terminal and /healthz).
        embedder = CountingEmbedder(self.embedder, progress) if isinstance(progress, IngestTracker) else self.embedder
        return ingest(paths, self.index, embedder, options, progress)  # type: ignore[arg-type]

    def ingest_in_background(self, paths: Sequence[Path], scope: str | None = None,
                             prune: bool = False) -> threading.Thread:
        """Index in a daemon thread while the server answers; `self.indexing` shows the progress.

        Documents are committed one at a time, so questions are answered from what is done so far.
        """
        def run() -> None:
            self.indexing.start()
            try:
                self.ingest(paths, scope=scope, prune=prune, progress=self.indexing)
            except Exception as exc:  # noqa: BLE001 (reported on /healthz; the server keeps serving)
                log.exception("Indexeringen i bakgrunden misslyckades")
                self.indexing.done(f"{type(exc).__name__}: {exc}")
            else:
                self.indexing.done()

        thread = threading.Thread(target=run, name="kompetens-ingest", daemon=True)
        thread.start()
        return thread

    def search(self, query: str, caller_scopes: Sequence[str], k: int | None = None) -> list[Passage]:
        """Ranked passages for `query` that the caller's scopes allow."""
        return retrieval.retrieve(self.index, self.embedder, query, scope_rules.normalize_all(caller_scopes), k,
                                  self.settings.retrieval)

    def sources(self, caller_scopes: Sequence[str]) -> list[DocumentInfo]:
        """Indexed documents the caller may see; `replaces` is blank when the replaced one is out of scope."""
        docs = self.index.lexical.documents(scope_rules.normalize_all(caller_scopes))
        seen = {d.doc_id for d in docs}
        return [d if d.replaces is None or d.replaces in seen else dataclasses.replace(d, replaces=None)
                for d in docs]

    def source(self, source_id: str, caller_scopes: Sequence[str]) -> Passage:
        """One cited passage; SourceNotFound both when it does not exist and when it is out of scope."""
        found = self.index.lexical.passages([source_id], list(caller_scopes)) if _SOURCE_ID.match(source_id) else {}
        if source_id not in found:
            raise SourceNotFound(SOURCE_NOT_FOUND)
        return found[source_id]

    def source_view(self, source_id: str, caller_scopes: Sequence[str], around: int = 1) -> SourceView:
        """A cited passage with up to `around` passages before and after it (same document, same scope)."""
        passage = self.source(source_id, caller_scopes)
        ids = sorted(self.index.lexical.passage_ids(passage.doc_id))  # ids end in the zero-padded ordinal
        at = ids.index(source_id)
        before, after = ids[max(0, at - around):at], ids[at + 1:at + 1 + around]
        found = self.index.lexical.passages([*before, *after], list(caller_scopes))
        return SourceView(passage, tuple(found[i] for i in before if i in found),
                          tuple(found[i] for i in after if i in found), self._original_path(passage) is not None)

    def original_file(self, source_id: str, caller_scopes: Sequence[str]) -> Path:
        """The indexed file a cited passage comes from; SourceNotFound unless it lies within the served roots."""
        path = self._original_path(self.source(source_id, caller_scopes))
        if path is None:
            raise SourceNotFound(ORIGINAL_NOT_FOUND)
        return path

    def _original_path(self, passage: Passage) -> Path | None:
        # Only catalogued paths, only inside data_dir or a configured source root (symlinks resolved first).
        path = Path(passage.path)
        resolved = (path if path.is_absolute() else Path.cwd() / path).resolve()
        roots = [Path(self.settings.data_dir), *self.settings.source_roots]
        inside = any(resolved.is_relative_to(root.resolve()) for root in roots)
        return resolved if inside and resolved.is_file() else None

    # ------------------------------------------------------------------------- signed source links

    @property
    def link_key(self) -> bytes:
        """The key that signs source links: `KOMPETENS_LINK_SECRET`, else (Slack unconfigured) one per process.

        ConfigError when Slack is configured without a real secret: the bot and the web page must
        share the key, or the links in Slack would not open.
        """
        with self._lock:
            if self._link_key is None:
                secret = self.settings.link.secret.get_secret_value().strip() if self.settings.link.secret else ""
                unsafe = secret.lower() in _EXAMPLE_SECRETS or len(secret) < _MIN_SECRET
                if unsafe and self.settings.slack.bot_token is not None:
                    raise ConfigError(
                        "KOMPETENS_LINK_SECRET saknas, är för kort (under 16 tecken) eller är en exempelnyckel. "
                        "Slack-boten och webbsidan måste dela en slumpmässig nyckel, t.ex. från: "
                        "python -c \"import secrets; print(secrets.token_urlsafe(32))\"")
                self._link_key = secrets.token_bytes(32) if unsafe else secret.encode()
            return self._link_key

    def sign_source(self, source_id: str, scopes: Sequence[str]) -> dict[str, str]:
        """Query parameters of a short-lived link that shows `source_id` with `scopes` (b, exp, sig)."""
        expires = int(time.time() + self.settings.link.ttl_hours * 3600)
        return {"b": scope_rules.grant_text(scopes), "exp": str(expires),
                "sig": scope_rules.sign_link(self.link_key, source_id, scopes, expires)}

    def link_scopes(self, source_id: str, grant: str, expires: str, signature: str,
                    granted: Sequence[str] = ()) -> tuple[str, ...]:
        """`granted` widened by what a signed link to `source_id` grants; LinkRefused when altered or expired."""
        linked = scope_rules.verify_link(self.link_key, source_id, grant, expires, signature, time.time())
        return scope_rules.normalize_all([*granted, *linked])

    def health(self, caller_scopes: Sequence[str]) -> dict[str, object]:
        """The index actually answers: documents the caller may see, the vector store's kind (never its
        URL); status "fel" with the reason when the catalogue or the vector store cannot be queried."""
        try:
            index = self.index
            documents = len(self.sources(caller_scopes))
            chunks = index.lexical.chunk_count()
            vector = self.embedder.embed_batch(["hälsokontroll"], "query")[0]
            index.dense.query(vector, index.lexical.scopes() or ["publik"], 1)  # the filtered search the API runs
            vectors = index.dense.count()
        except Exception as exc:  # noqa: BLE001 (health reports a failure instead of raising it)
            return {"status": "fel", "index_loaded": False, "documents": 0, "store": self._store_kind(),
                    "error": f"Indexet kan inte läsas: {type(exc).__name__}: {exc}"[:300],
                    "indexing": self.indexing.snapshot()}
        return {"status": "ok", "index_loaded": True, "documents": documents, "store": self._store_kind(),
                "chunks": chunks, "vectors": vectors, "indexing": self.indexing.snapshot()}

    def _store_kind(self) -> str:
        return "server" if self.settings.chroma_url else "inbäddad"

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
        from assistant.answer import pipeline as answer_pipeline  # pandas and the stages: only to answer

        result = answer_pipeline.answer(self.deps, question, scope_rules.normalize_all(caller_scopes), previous)
        if result.refused and self.indexing.state == "running":  # first run: the material is not all in yet
            result = dataclasses.replace(result, answer=f"{result.answer} {STILL_INDEXING}")
        return result

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
        from assistant.answer import followup

        return self.ask_logged(followup.chat_question(question, hint), caller_scopes, channel,
                               previous=followup.recent(earlier))

    def draft(self, kommun: str, avsnitt: Sequence[str] | None, caller_scopes: Sequence[str], *,
              year: int | None = None, access: str | None = None, today: date | None = None) -> Draft:
        """Draft handlingsplan sections for `kommun` for plan `year` (default: the next calendar year).

        `access` "publik" (default: publik and projekt material only, whatever the caller holds) or
        "intern" (also the kommun's internal material, marked; ScopeDenied without the kommun's scope).
        """
        from assistant.draft import pipeline as draft_pipeline

        return draft_pipeline.draft(self.deps, kommun, avsnitt, scope_rules.normalize_all(caller_scopes),
                                    today=today, year=year, access=access or "publik")

    def draft_docx(self, draft: Draft) -> bytes:
        """The draft as a Word document."""
        from assistant.draft import docx

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
