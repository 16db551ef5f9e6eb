"""The feedback store: every served answer and every 👍/👎 on it, kept in SQLite for later evals.

One file in the data dir (`feedback.sqlite`). Answers are logged by id when an interface serves
them; feedback rows reference an answer id, so an eval can join a rating with the question, the
answer JSON and the scopes it was given under.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from assistant.errors import InvalidRating, UnknownAnswer
from assistant.records import Answer

CHANNELS = ("webb", "slack", "cli")
_RATINGS = {"upp": 1, "+1": 1, "1": 1, "ner": -1, "-1": -1}

_SCHEMA = """
CREATE TABLE IF NOT EXISTS answers (
    answer_id TEXT PRIMARY KEY,
    question TEXT NOT NULL,
    answer_json TEXT NOT NULL,
    scopes TEXT NOT NULL,
    channel TEXT NOT NULL,
    refused INTEGER NOT NULL,
    created TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    answer_id TEXT NOT NULL REFERENCES answers(answer_id),
    rating INTEGER NOT NULL CHECK (rating IN (-1, 1)),
    comment TEXT,
    channel TEXT NOT NULL,
    created TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS feedback_answer ON feedback(answer_id);
"""



@dataclass(frozen=True)
class FeedbackRow:
    """One stored rating joined with the answer it rates."""

    id: int
    answer_id: str
    rating: int
    comment: str | None
    channel: str
    created: str
    question: str
    answer: dict[str, Any]


def parse_rating(value: int | str) -> int:
    """+1 or -1 from 1/-1, "+1"/"-1" or "upp"/"ner" (any case)."""
    rating = _RATINGS.get(str(value).strip().lower())
    if rating is None:
        raise InvalidRating("Betyget ska vara +1 eller -1 (\"upp\" eller \"ner\").")
    return rating


class FeedbackStore:
    """Answers served and feedback given, in one SQLite file (thread-safe)."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._lock = threading.Lock()
        self._db = sqlite3.connect(path, check_same_thread=False)
        self._db.executescript(_SCHEMA)
        self._db.commit()

    def close(self) -> None:
        """Close the database file."""
        with self._lock:
            self._db.close()

    def log_answer(self, question: str, answer: Answer, channel: str) -> None:
        """Store a served answer under its answer_id (answers without an id are not stored)."""
        if answer.answer_id is None:
            return
        row = (answer.answer_id, question, json.dumps(answer.to_dict(), ensure_ascii=False),
               json.dumps(list(answer.scopes)), _channel(channel), int(answer.refused), _now())
        with self._lock, self._db:
            self._db.execute("INSERT OR REPLACE INTO answers VALUES (?, ?, ?, ?, ?, ?, ?)", row)

    def add(self, answer_id: str, rating: int | str, comment: str | None, channel: str) -> int:
        """Store a rating of a served answer; returns the feedback id."""
        value = parse_rating(rating)
        with self._lock, self._db:
            if self._db.execute("SELECT 1 FROM answers WHERE answer_id = ?", (answer_id,)).fetchone() is None:
                raise UnknownAnswer("Svaret finns inte (okänt answer_id). Ställ frågan igen och lämna omdöme på det nya svaret.")
            cursor = self._db.execute(
                "INSERT INTO feedback (answer_id, rating, comment, channel, created) VALUES (?, ?, ?, ?, ?)",
                (answer_id, value, comment or None, _channel(channel), _now()),
            )
        return int(cursor.lastrowid or 0)

    def answer(self, answer_id: str) -> dict[str, Any] | None:
        """A logged answer: question, answer record, scopes, channel and time; None when unknown."""
        with self._lock:
            row = self._db.execute(
                "SELECT question, answer_json, scopes, channel, created FROM answers WHERE answer_id = ?", (answer_id,)
            ).fetchone()
        if row is None:
            return None
        return {"answer_id": answer_id, "question": row[0], "answer": json.loads(row[1]),
                "scopes": json.loads(row[2]), "channel": row[3], "created": row[4]}

    def feedback(self) -> list[FeedbackRow]:
        """Every rating with its question and answer, oldest first: the input of feedback evals."""
        with self._lock:
            rows = self._db.execute(
                "SELECT f.id, f.answer_id, f.rating, f.comment, f.channel, f.created, a.question, a.answer_json "
                "FROM feedback f JOIN answers a USING (answer_id) ORDER BY f.id"
            ).fetchall()
        return [FeedbackRow(id=r[0], answer_id=r[1], rating=r[2], comment=r[3], channel=r[4], created=r[5],
                            question=r[6], answer=json.loads(r[7])) for r in rows]


def _channel(channel: str) -> str:
    if channel not in CHANNELS:
        raise ValueError(f"unknown channel {channel!r}")
    return channel


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")
