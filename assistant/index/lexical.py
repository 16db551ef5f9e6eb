"""The catalogue and lexical index in one SQLite file: documents, chunks, BM25 (FTS5) and tables.

SQLite is the commit point of an ingest: one transaction replaces a document's catalogue row,
chunks, lexical terms and tables together. A chunk the catalogue does not hold is not part of the
index, whatever the vector store still contains (see `assistant.index.store`).
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from assistant.records import Chunk, DocumentInfo, Passage, Table, index_text_of
from assistant.text.analyzer import ANALYZER_VERSION, analyze, analyze_query

_SCHEMA = """
CREATE TABLE IF NOT EXISTS documents (
    doc_id TEXT PRIMARY KEY, title TEXT NOT NULL, path TEXT NOT NULL, type TEXT NOT NULL,
    scope TEXT NOT NULL, kommun TEXT, year INTEGER, valid_from TEXT, valid_to TEXT, replaces TEXT,
    content_hash TEXT NOT NULL, fingerprint TEXT NOT NULL, chunks INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS chunks (
    id TEXT PRIMARY KEY, doc_id TEXT NOT NULL, ordinal INTEGER NOT NULL, scope TEXT NOT NULL,
    text TEXT NOT NULL, meta TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS chunks_doc ON chunks(doc_id);
CREATE INDEX IF NOT EXISTS chunks_scope ON chunks(scope);
CREATE INDEX IF NOT EXISTS documents_path ON documents(path);
CREATE VIRTUAL TABLE IF NOT EXISTS chunk_terms USING fts5(
    terms, id UNINDEXED, scope UNINDEXED, tokenize = 'unicode61 remove_diacritics 0'
);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS tables (
    doc_id TEXT NOT NULL, name TEXT NOT NULL, header_row INTEGER NOT NULL,
    columns TEXT NOT NULL, rows TEXT NOT NULL, PRIMARY KEY (doc_id, name)
);
"""


# Query cost caps for large indexes (see LexicalStore._plan); below them search is plain BM25 over all terms.
PRUNE_POSTINGS = 20_000
MAX_SCORED = 5_000


class LexicalStore:
    """SQLite catalogue + Swedish BM25 index. Thread-safe for the web server's worker threads."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._lock = threading.RLock()
        self._vocab = False  # temp.chunk_vocab (term → rows holding it) created on this connection
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)
        self._reanalyse_if_outdated()

    def _reanalyse_if_outdated(self) -> None:
        """Re-analyse every stored chunk when the analyzer changed since the index was written."""
        with self._lock, _transaction(self._db):
            row = self._db.execute("SELECT value FROM meta WHERE key = 'analyzer'").fetchone()
            if row and row[0] == ANALYZER_VERSION:
                return
            self._db.execute("DELETE FROM chunk_terms")
            rows = self._db.execute("SELECT id, scope, text, meta FROM chunks").fetchall()
            self._db.executemany(
                "INSERT INTO chunk_terms (terms, id, scope) VALUES (?,?,?)",
                [(" ".join(analyze(_index_text(text, json.loads(meta)))), cid, scope) for cid, scope, text, meta in rows],
            )
            self._db.execute("INSERT OR REPLACE INTO meta VALUES ('analyzer', ?)", (ANALYZER_VERSION,))

    def close(self) -> None:
        """Close the database."""
        with self._lock:
            self._db.close()

    # -- writing -------------------------------------------------------------------------------

    def replace_document(
        self, info: DocumentInfo, fingerprint: str, chunks: Sequence[Chunk], index_texts: Sequence[str],
        tables: Sequence[Table] = (),
    ) -> int:
        """Swap in a document's new catalogue row, chunks, terms and tables in one transaction.

        A document stored under another id at the same path (an older id scheme) is replaced too.
        Returns the catalogue's new generation.
        """
        with self._lock, _transaction(self._db):
            self._delete(info.doc_id)
            for (other,) in self._db.execute(
                    "SELECT doc_id FROM documents WHERE path = ? AND doc_id != ?", (info.path, info.doc_id)).fetchall():
                self._delete(other)
            self._db.execute(
                "INSERT INTO documents VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (info.doc_id, info.title, info.path, info.type, info.scope, info.kommun, info.year,
                 info.valid_from, info.valid_to, info.replaces, info.content_hash, fingerprint, len(chunks)),
            )
            self._db.executemany(
                "INSERT INTO chunks VALUES (?,?,?,?,?,?)",
                [(c.id, c.doc_id, c.ordinal, c.scope, c.text, json.dumps(c.metadata(), ensure_ascii=False))
                 for c in chunks],
            )
            self._db.executemany(
                "INSERT INTO chunk_terms (terms, id, scope) VALUES (?,?,?)",
                [(" ".join(analyze(t)), c.id, c.scope) for c, t in zip(chunks, index_texts, strict=True)],
            )
            self._db.executemany(
                "INSERT INTO tables VALUES (?,?,?,?,?)",
                [(info.doc_id, t.name, t.header_row, json.dumps(t.columns, ensure_ascii=False),
                  json.dumps(t.rows, ensure_ascii=False, default=str)) for t in tables],
            )
            return self._bump()

    def remove_document(self, doc_id: str) -> int:
        """Remove a document and everything derived from it; returns the catalogue's new generation."""
        with self._lock, _transaction(self._db):
            self._delete(doc_id)
            return self._bump()

    def _bump(self) -> int:
        """Count one more committed write, so other processes reading the index can notice it."""
        self._db.execute(
            "INSERT INTO meta VALUES ('generation', '1') "
            "ON CONFLICT(key) DO UPDATE SET value = CAST(value AS INTEGER) + 1"
        )
        return int(self._db.execute("SELECT value FROM meta WHERE key = 'generation'").fetchone()[0])

    def _delete(self, doc_id: str) -> None:
        self._db.execute(
            "DELETE FROM chunk_terms WHERE id IN (SELECT id FROM chunks WHERE doc_id = ?)", (doc_id,)
        )
        for table in ("chunks", "tables", "documents"):
            self._db.execute(f"DELETE FROM {table} WHERE doc_id = ?", (doc_id,))

    # -- reading -------------------------------------------------------------------------------

    def generation(self) -> int:
        """How many writes the catalogue has committed (any process); changes when the index does."""
        with self._lock:
            row = self._db.execute("SELECT value FROM meta WHERE key = 'generation'").fetchone()
        return int(row[0]) if row else 0

    def doc_ids_at(self, path: str) -> list[str]:
        """Ids of the documents stored for `path` (one, or an older id scheme's)."""
        with self._lock:
            return [r[0] for r in self._db.execute("SELECT doc_id FROM documents WHERE path = ?", (path,))]

    def fingerprints(self) -> dict[str, str]:
        """doc_id → fingerprint of every indexed document."""
        with self._lock:
            return dict(self._db.execute("SELECT doc_id, fingerprint FROM documents"))

    def documents(self, scopes: Iterable[str] | None = None) -> list[DocumentInfo]:
        """Indexed documents, optionally only those within `scopes`, ordered by path."""
        sql = "SELECT doc_id, title, path, type, scope, chunks, content_hash, kommun, year, " \
              "valid_from, valid_to, replaces FROM documents"
        params: list[Any] = []
        if scopes is not None:
            scope_list = list(scopes)
            sql += f" WHERE scope IN ({_marks(scope_list)})"
            params = scope_list
        with self._lock:
            rows = self._db.execute(sql + " ORDER BY path", params).fetchall()
        return [DocumentInfo(*row) for row in rows]

    def scopes(self) -> list[str]:
        """Every scope that some indexed document or chunk has (survey rows may be scoped per kommun)."""
        with self._lock:
            return [r[0] for r in self._db.execute(
                "SELECT scope FROM documents UNION SELECT DISTINCT scope FROM chunks ORDER BY 1")]

    def chunk_count(self) -> int:
        """Number of indexed chunks."""
        with self._lock:
            return int(self._db.execute("SELECT COUNT(*) FROM chunks").fetchone()[0])

    def passage_ids(self, doc_id: str) -> list[str]:
        """Chunk ids of one document."""
        with self._lock:
            return [r[0] for r in self._db.execute("SELECT id FROM chunks WHERE doc_id = ?", (doc_id,))]

    def chunk_ids(self) -> set[str]:
        """Ids of every committed chunk."""
        with self._lock:
            return {r[0] for r in self._db.execute("SELECT id FROM chunks")}

    def search(self, query: str, scopes: Sequence[str], limit: int) -> list[tuple[str, float]]:
        """BM25 search within `scopes` (filtered inside the query); (chunk id, score) best first."""
        terms = sorted(set(analyze_query(query)))
        if not terms or not scopes:
            return []
        sql = (
            "SELECT id, -bm25(chunk_terms) AS s FROM chunk_terms "
            f"WHERE chunk_terms MATCH ? AND rowid > ? AND scope IN ({_marks(scopes)}) ORDER BY s DESC LIMIT ?"
        )
        with self._lock:
            terms, floor = self._plan(terms)
            if not terms:
                return []
            match = " OR ".join(f'"{t}"' for t in terms)
            return [(r[0], float(r[1])) for r in self._db.execute(sql, [match, floor, *scopes, limit])]

    def _plan(self, terms: list[str]) -> tuple[list[str], int]:
        """The terms worth scoring and the lowest rowid to score, so a query costs the same at any size.

        BM25 scores every row that matches any term. While the terms' postings (rows holding them)
        stay under PRUNE_POSTINGS nothing changes; above it the most common terms are dropped (they
        weigh least in BM25) until they fit, the rarest always kept; if those still match more than
        MAX_SCORED rows, only the newest MAX_SCORED of them are scored. Terms no row holds are dropped.
        """
        if not self._vocab:
            self._db.execute("CREATE VIRTUAL TABLE IF NOT EXISTS temp.chunk_vocab "
                             "USING fts5vocab(main, chunk_terms, 'row')")
            self._vocab = True
        df = {t: int((self._db.execute("SELECT doc FROM temp.chunk_vocab WHERE term = ?", (t,)).fetchone()
                      or (0,))[0]) for t in terms}
        kept = sorted((t for t in terms if df[t]), key=lambda t: (df[t], t))
        postings = sum(df[t] for t in kept)
        while len(kept) > 1 and postings > PRUNE_POSTINGS:
            postings -= df[kept.pop()]
        floor = 0
        if postings > MAX_SCORED:
            match = " OR ".join(f'"{t}"' for t in kept)
            row = self._db.execute("SELECT rowid FROM chunk_terms WHERE chunk_terms MATCH ? ORDER BY rowid DESC "
                                   "LIMIT 1 OFFSET ?", (match, MAX_SCORED)).fetchone()
            floor = int(row[0]) if row else 0
        return sorted(kept), floor

    def document_frequencies(self, terms: Sequence[str], scopes: Sequence[str]) -> tuple[dict[str, int], int]:
        """How many chunks within `scopes` hold each analysed term, and how many chunks there are."""
        if not scopes:
            return {t: 0 for t in terms}, 0
        marks = _marks(scopes)
        with self._lock:
            total = int(self._db.execute(
                f"SELECT COUNT(*) FROM chunk_terms WHERE scope IN ({marks})", list(scopes)).fetchone()[0])
            found = {
                term: int(self._db.execute(
                    f"SELECT COUNT(*) FROM chunk_terms WHERE chunk_terms MATCH ? AND scope IN ({marks})",
                    [f'"{term}"', *scopes]).fetchone()[0])
                for term in terms
            }
        return found, total

    def passages(self, ids: Sequence[str], scopes: Sequence[str]) -> dict[str, Passage]:
        """Committed chunks by id, as passages with score 0, restricted to `scopes`."""
        if not ids or not scopes:
            return {}
        # `+scope`: look the ids up by primary key; SQLite otherwise may walk chunks_scope, every row
        # of those scopes (170 ms at 100,000 passages instead of 2 ms).
        sql = (f"SELECT id, text, meta FROM chunks WHERE id IN ({_marks(ids)}) "
               f"AND +scope IN ({_marks(scopes)})")
        with self._lock:
            rows = self._db.execute(sql, [*ids, *scopes]).fetchall()
        return {cid: _passage(cid, text, json.loads(meta)) for cid, text, meta in rows}

    def row_passages(self, doc_id: str, sheet: str | None, scopes: Sequence[str]) -> list[Passage]:
        """Table-row chunks of one document (and sheet), in row order, within `scopes`."""
        if not scopes:
            return []
        with self._lock:
            rows = self._db.execute(
                f"SELECT id, text, meta FROM chunks WHERE doc_id = ? AND scope IN ({_marks(scopes)}) ORDER BY ordinal",
                [doc_id, *scopes],
            ).fetchall()
        found = [_passage(cid, text, json.loads(meta)) for cid, text, meta in rows]
        return [p for p in found if p.rows and (sheet is None or p.sheet == sheet)]

    def tables(self, scopes: Sequence[str] | None = None) -> list[tuple[DocumentInfo, Table]]:
        """Stored tables with their documents, optionally only documents within `scopes`."""
        docs = {d.doc_id: d for d in self.documents(scopes)}
        with self._lock:
            rows = self._db.execute("SELECT doc_id, name, header_row, columns, rows FROM tables").fetchall()
        out = []
        for doc_id, name, header_row, columns, data in rows:
            if doc_id in docs:
                table = Table(name, tuple(json.loads(columns)), tuple(tuple(r) for r in json.loads(data)), header_row)
                out.append((docs[doc_id], table))
        return out


def _index_text(text: str, meta: dict[str, Any]) -> str:
    return index_text_of(meta["title"], meta.get("sheet"), meta.get("section"), text)


def _passage(chunk_id: str, text: str, meta: dict[str, Any]) -> Passage:
    rows = (meta["row_start"], meta["row_end"]) if "row_start" in meta else None
    return Passage(
        source_id=chunk_id, doc_id=meta["doc_id"], title=meta["title"], path=meta["path"], text=text,
        scope=meta["scope"], score=0.0, type=meta.get("type"), kommun=meta.get("kommun"),
        year=meta.get("year"), page=meta.get("page"), section=meta.get("section"), rows=rows,
        sheet=meta.get("sheet"),
    )


def _marks(values: Sequence[Any]) -> str:
    return ",".join("?" * len(values))


class _transaction:
    """BEGIN IMMEDIATE … COMMIT, rolled back on any error (autocommit connection)."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def __enter__(self) -> None:
        self._db.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type: object, *_: object) -> None:
        self._db.execute("ROLLBACK" if exc_type else "COMMIT")
