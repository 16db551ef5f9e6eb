"""Progress of an ingest, shared by the terminal, /healthz and the web page's banner.

`IngestTracker` receives the ingest pipeline's events (planned → embedded … → finished) and the
embedder's batches (`counting`), and answers `snapshot()` at any moment from any thread: documents
and passages done of total, tokens per second and an estimate of the time left.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from typing import Any

from assistant.records import FileOutcome

_WRITTEN = ("ny", "ändrad", "misslyckad")


class IngestTracker:
    """Thread-safe counters of one ingest run (or none yet)."""

    def __init__(self, clock: Any = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self.state = "idle"  # idle → running → done | failed
        self.started: float | None = None
        self.finished_at: float | None = None
        self.documents_total = 0
        self.documents_done = 0
        self.documents_failed = 0
        self.passages_total = 0
        self.passages_done = 0
        self.tokens_done = 0
        self.embed_seconds = 0.0
        self.last: FileOutcome | None = None
        self.error: str | None = None
        self.listeners: list[Any] = []  # objects with the same event methods (the CLI's display)

    # -- the pipeline's events (ingest.pipeline.IngestProgress) -------------------------------------

    def start(self) -> None:
        with self._lock:
            self.state, self.started, self.finished_at, self.error = "running", self._clock(), None, None

    def planned(self, files: int, chunks: int) -> None:
        with self._lock:
            if self.state == "idle":
                self.state, self.started = "running", self._clock()
            self.documents_total, self.passages_total = files, chunks
        self._tell("planned", files, chunks)

    def embedded(self, chunks: int) -> None:
        with self._lock:
            self.passages_done += chunks
        self._tell("embedded", chunks)

    def finished(self, outcome: FileOutcome) -> None:
        with self._lock:
            if outcome.status in _WRITTEN and self.documents_total:
                self.documents_done = min(self.documents_total, self.documents_done + 1)
            self.documents_failed += outcome.status == "misslyckad"
            self.last = outcome
        self._tell("finished", outcome)

    def done(self, error: str | None = None) -> None:
        with self._lock:
            self.state, self.error, self.finished_at = ("failed" if error else "done"), error, self._clock()

    def counted(self, tokens: int, seconds: float) -> None:
        """One embedded batch: its tokens and the seconds the embedder took."""
        with self._lock:
            self.tokens_done += tokens
            self.embed_seconds += seconds

    def _tell(self, event: str, *args: Any) -> None:
        for listener in self.listeners:
            getattr(listener, event)(*args)

    # -- reading -----------------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self.state == "running"

    def tokens_per_s(self) -> float | None:
        with self._lock:
            return self.tokens_done / self.embed_seconds if self.embed_seconds > 0 else None

    def snapshot(self) -> dict[str, Any]:
        """The run as JSON-ready fields (the `indexing` object of /healthz)."""
        with self._lock:
            now = self.finished_at or self._clock()
            elapsed = now - self.started if self.started is not None else 0.0
            left = None
            if self.state == "running" and self.passages_done and self.passages_total:
                rate = self.passages_done / max(elapsed, 1e-6)
                left = round((self.passages_total - self.passages_done) / rate, 1)
            return {
                "state": self.state, "running": self.state == "running",
                "documents_done": self.documents_done, "documents_total": self.documents_total,
                "documents_failed": self.documents_failed,
                "passages_done": self.passages_done, "passages_total": self.passages_total,
                "tokens_done": self.tokens_done,
                "tokens_per_s": round(self.tokens_done / self.embed_seconds, 1) if self.embed_seconds else None,
                "elapsed_s": round(elapsed, 1), "eta_s": left,
                "last_path": self.last.path if self.last else None, "error": self.error,
            }


class CountingEmbedder:
    """The embedder as the ingest sees it: passes batches through and counts tokens and seconds."""

    def __init__(self, inner: Any, tracker: IngestTracker) -> None:
        self._inner = inner
        self._tracker = tracker
        self.name, self.dim = inner.name, inner.dim
        count = getattr(inner, "count_tokens", None)
        self._count = count if callable(count) else (lambda text: max(1, len(text) // 4))

    def embed_batch(self, texts: Sequence[str], kind: Any) -> Any:
        started = time.perf_counter()
        vectors = self._inner.embed_batch(texts, kind)
        seconds = time.perf_counter() - started
        self._tracker.counted(sum(self._count(t) for t in texts), seconds)
        return vectors

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)
