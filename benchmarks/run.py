"""Benchmarks for ingest and search (not timed tests): writes benchmarks/README.md.

Run: `make bench` (or `.venv/bin/python benchmarks/run.py [--chunks 10000]`).

1. Ingest of corpus/ with the real e5 embedder into a fresh data dir: seconds, chunks/s, tokens/s,
   compared with embedding the same chunk texts alone (target: ingest ≤ 1.25 × pure embedding).
2. Re-ingest of the unchanged corpus (target < 3 s).
3. Search latency p50/p95, warm, over an index of N chunks (default 10,000; target p95 < 150 ms).
   The large index is synthetic: real corpus chunks, repeated with shuffled sentences, and vectors
   made by mixing real e5 vectors with noise (search cost depends on index size, not on meaning).
   Queries are embedded for real.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from assistant.config import Settings  # noqa: E402
from assistant.service import Service  # noqa: E402
from ingest.chunking import index_text  # noqa: E402

QUERIES = [
    "Vilka bristyrken finns i Åsele?",
    "Vad innebär sammanhållet kompetensförsörjningsarbete?",
    "Hur många arbetsgivare svarade på enkäten i Vilhelmina?",
    "Vilka insatser planeras för undersköterskor i Dorotea?",
    "Hur påverkar Northvolts neddragningar Skellefteå?",
    "Vad är lärcentra?",
    "Vilka är målen i den regionala utvecklingsstrategin?",
    "Hur arbetar branschråd i inlandet?",
    "validering yrkesvux",
    "What shortage occupations are reported in Umeå?",
]


def machine() -> str:
    """One line about the machine the figures come from."""
    cpu = "?"
    try:
        cpu = next(line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                   if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return f"{platform.platform()}, {os.cpu_count()} kärnor, {cpu}, Python {platform.python_version()}"


def bench_ingest(data_dir: Path) -> dict[str, float]:
    """Fresh ingest of corpus/, pure embedding of the same chunks, and an unchanged re-ingest."""
    settings = Settings(data_dir=data_dir)
    service = Service(settings)
    started = time.perf_counter()
    report = service.ingest([REPO / "corpus"])
    ingest_s = time.perf_counter() - started
    chunks = _all_chunks(service)
    texts = [index_text(c) for c in chunks]
    tokens = sum(service.embedder.count_tokens(t) for t in texts)  # type: ignore[attr-defined]
    started = time.perf_counter()
    for i in range(0, len(texts), settings.embed.batch_size):
        service.embedder.embed_batch(texts[i : i + settings.embed.batch_size], "passage")
    embed_s = time.perf_counter() - started
    started = time.perf_counter()
    again = service.ingest([REPO / "corpus"])
    reingest_s = time.perf_counter() - started
    assert again.count("oförändrad") == report.count("ny"), "re-ingest should skip everything"
    return {"documents": report.count("ny"), "chunks": len(chunks), "tokens": tokens, "ingest_s": ingest_s,
            "embed_s": embed_s, "ratio": ingest_s / embed_s, "chunks_per_s": len(chunks) / ingest_s,
            "tokens_per_s": tokens / ingest_s, "embed_tokens_per_s": tokens / embed_s, "reingest_s": reingest_s}


ASK_QUESTIONS = QUERIES + [
    "Vem är kompetensmäklare i Dorotea?",
    "Hur många arbetsgivare i Åsele svarade på enkäten?",
    "Vilka yrken har störst rekryteringsbehov inom tre år i Vilhelmina?",
    "Vem vann Melodifestivalen 2024?",
]


def bench_ask(service: Service) -> dict[str, float]:
    """Warm `ask` latency on the sample corpus (all scopes), five rounds over the questions."""
    from assistant.scopes import all_scopes

    scopes = list(all_scopes())
    for q in ASK_QUESTIONS:
        service.ask(q, scopes)
    latencies = []
    for _ in range(5):
        for q in ASK_QUESTIONS:
            started = time.perf_counter()
            service.ask(q, scopes)
            latencies.append((time.perf_counter() - started) * 1000)
    latencies.sort()
    return {"p50_ms": statistics.median(latencies), "p95_ms": latencies[int(0.95 * (len(latencies) - 1))],
            "questions": len(latencies)}


def _all_chunks(service: Service) -> list:
    from assistant.index.lexical import _passage  # noqa: F401  (documented helper)
    from assistant.records import Chunk

    rows = service.index.lexical._db.execute("SELECT id, text, meta FROM chunks ORDER BY id").fetchall()  # noqa: SLF001
    out = []
    for cid, text, meta in rows:
        m = json.loads(meta)
        out.append(Chunk(id=cid, doc_id=m["doc_id"], ordinal=m["ordinal"], text=text, title=m["title"],
                         path=m["path"], type=m["type"], scope=m["scope"], content_hash=m["content_hash"],
                         section=m.get("section"), sheet=m.get("sheet")))
    return out


def bench_search(source: Service, data_dir: Path, n_chunks: int, chroma_url: str | None = None) -> dict[str, float]:
    """Warm search latency over a synthetic index of `n_chunks` built from the real corpus."""
    settings = Settings(data_dir=data_dir, chroma_url=chroma_url)
    target = Service(settings, embedder=source.embedder)
    base = _all_chunks(source)
    vectors = _vectors_for(source, base)
    rng = random.Random(7)
    noise = np.random.default_rng(7)
    scopes = ["publik", "projekt", "kommun:asele", "kommun:umea"]
    batch_chunks, batch_vectors, batch_texts = [], [], []
    from assistant.records import DocumentInfo

    built = target.index.lexical.chunk_count()  # a kept --work-dir index of this size is reused as it is
    for i in range(n_chunks if built < n_chunks else 0):
        src = rng.randrange(len(base))
        words = base[src].text.split()
        rng.shuffle(words)
        chunk = replace(base[src], id=f"syn{i // 50}:x:{i % 50:04d}", doc_id=f"syn{i // 50}", ordinal=i % 50,
                        text=" ".join(words), scope=scopes[i % len(scopes)])
        mixed = vectors[src] + 0.35 * vectors[rng.randrange(len(base))] + noise.normal(0, 0.03, vectors.shape[1])
        batch_chunks.append(chunk)
        batch_vectors.append(mixed / np.linalg.norm(mixed))
        batch_texts.append(index_text(chunk))
        if len(batch_chunks) == 50 or i == n_chunks - 1:
            info = DocumentInfo(doc_id=chunk.doc_id, title="Syntetiskt", path=f"syn/{chunk.doc_id}.md", type="ovrigt",
                                scope="projekt", chunks=len(batch_chunks), content_hash="x")
            target.index.write_document(info, "x", batch_chunks, batch_texts, np.asarray(batch_vectors))
            batch_chunks, batch_vectors, batch_texts = [], [], []
    out: dict[str, float] = {"chunks": target.index.lexical.chunk_count()}
    for label, caller in (("alla", scopes), ("publik", ["publik"])):
        for q in QUERIES:  # warm-up
            target.search(q, caller, 10)
        latencies = []
        for _ in range(5):
            for q in QUERIES:
                started = time.perf_counter()
                target.search(q, caller, 10)
                latencies.append((time.perf_counter() - started) * 1000)
        latencies.sort()
        out[f"{label}_p50_ms"] = statistics.median(latencies)
        out[f"{label}_p95_ms"] = latencies[int(0.95 * (len(latencies) - 1))]
        out["queries"] = len(latencies)
    out["rss_mb"] = rss_mb()
    if chroma_url:
        out["server_rss_mb"] = rss_mb(_chroma_pid(data_dir.parent))
    return out


def rss_mb(pid: int | str = "self") -> float:
    """Resident memory of a process in MB (from /proc)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _chroma_pid(root: Path) -> int | str:
    for proc in Path("/proc").iterdir():
        try:
            cmd = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if "chroma" in cmd and " run " in cmd and str(root) in cmd:
            return proc.name
    return "self"


def _vectors_for(service: Service, chunks: list) -> np.ndarray:
    got = service.index.dense._collection.get(ids=[c.id for c in chunks], include=["embeddings"])  # noqa: SLF001
    by_id = dict(zip(got["ids"], got["embeddings"], strict=True))
    return np.asarray([by_id[c.id] for c in chunks], dtype=np.float32)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="1000,10000,100000", help="Index sizes (chunks) for the embedded store.")
    parser.add_argument("--chunks", type=int, default=10_000, help="Index size for the server comparison.")
    parser.add_argument("--no-server", action="store_true", help="Skip the Chroma server comparison.")
    parser.add_argument("--work-dir", type=Path, help="Keep the built search indexes here (reused next time).")
    parser.add_argument("--search-only", type=Path, metavar="DATA_DIR",
                        help="Only the search table, built from the e5 index in DATA_DIR; other sections are kept.")
    args = parser.parse_args()
    if args.search_only:
        search_only(args)
        return
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        ingest = bench_ingest(tmp_path / "corpus")
        source = Service(Settings(data_dir=tmp_path / "corpus"))
        ask = bench_ask(source)
        embedded = [bench_search(source, tmp_path / f"large-{n}", n) for n in map(int, args.sizes.split(","))]
        server = None
        if not args.no_server:
            sys.path.insert(0, str(REPO))
            from tests.chroma_server import chroma_server

            with chroma_server(tmp_path / "server-store") as url:
                server = bench_search(source, tmp_path / "large-server", args.chunks, chroma_url=url)
    write_report(ingest, ask, embedded, server, args)


def search_only(args: argparse.Namespace) -> None:
    """Measure search at --sizes (and the server at --chunks) and replace only that README section."""
    source = Service(Settings(data_dir=args.search_only))
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = args.work_dir or Path(tmp)
        embedded = [bench_search(source, tmp_path / f"large-{n}", n) for n in map(int, args.sizes.split(","))]
        server = None
        if not args.no_server:
            from tests.chroma_server import chroma_server

            with chroma_server(tmp_path / "server-store") as url:
                server = bench_search(source, tmp_path / "large-server", args.chunks, chroma_url=url)
    path = REPO / "benchmarks" / "README.md"
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True,
                            text=True).stdout.strip()
    note = (f"Kommando: `nice -n 10 .venv/bin/python benchmarks/run.py --search-only <e5-datamapp> --sizes {args.sizes} "
            f"--chunks {args.chunks}`; {machine()}; commit {commit} med ändringar; {time.strftime('%Y-%m-%d')}; "
            f"belastning (load average, 1 min) {load_before:.1f} före och {os.getloadavg()[0]:.1f} efter.")
    section = "\n".join(_search_section(embedded, server, note)) + "\n"
    text = path.read_text(encoding="utf-8")
    text = re.sub(r"^## Sökning, varm.*?(?=^## |\Z)", lambda _: section, text, count=1, flags=re.MULTILINE | re.DOTALL)
    path.write_text(text, encoding="utf-8")
    print(section)


def _search_section(embedded: list[dict[str, float]], server: dict[str, float] | None, note: str = "") -> list[str]:
    lines = [
        "## Sökning, varm (hybrid: e5 + BM25, k = 10)", "",
        *([note, ""] if note else []),
        "Anroparen *alla* har alla behörigheter i indexet (vektorsökningen behöver då inget filter);",
        "*publik* har bara `publik` (filtret tillämpas inne i Chroma-sökningen).", "",
        "| lager | avsnitt | frågor | alla p50 ms | alla p95 ms | publik p50 ms | publik p95 ms | RSS MB | mål p95 |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    rows = [("inbäddat", r) for r in embedded] + ([("chroma run-server", server)] if server else [])
    for label, r in rows:
        rss = f"{r['rss_mb']:.0f}" + (f" + server {r['server_rss_mb']:.0f}" if "server_rss_mb" in r else "")
        target = "≤ 250" if r["chunks"] >= 50_000 else "< 150"
        lines.append(f"| {label} | {r['chunks']:.0f} | {r['queries']:.0f} | {r['alla_p50_ms']:.1f} | "
                     f"{r['alla_p95_ms']:.1f} | {r['publik_p50_ms']:.1f} | {r['publik_p95_ms']:.1f} | {rss} | {target} |")
    lines += ["", "Svarstiden inkluderar inbäddning av frågan med e5. RSS är benchmarkprocessens minne efter",
              "sökningarna (kumulativt: processen har byggt alla index i tur och ordning). Vid stora index",
              "utelämnar ordsökningen de vanligaste orden och poängsätter högst 5 000 rader",
              "(`PRUNE_POSTINGS`, `MAX_SCORED` i `assistant/index/lexical.py`).", ""]
    return lines


def write_report(ingest: dict[str, float], ask: dict[str, float], embedded: list[dict[str, float]],
                 server: dict[str, float] | None, args: argparse.Namespace) -> None:
    """Write the figures with the command and machine to benchmarks/README.md."""
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True,
                            text=True).stdout.strip()
    lines = [
        "# Mätningar", "",
        f"Kommando: `.venv/bin/python benchmarks/run.py --sizes {args.sizes} --chunks {args.chunks}` (eller `make bench`).",
        f"Maskin: {machine()}. Commit: {commit}. Datum: {time.strftime('%Y-%m-%d')}.", "",
        "Mätningarna görs på en delad maskin: räkna med spridning mellan körningar.", "",
        "## Indexering av corpus/ (e5, inbäddat Chroma)", "",
        "| mått | värde | mål |", "| --- | --- | --- |",
        f"| dokument | {ingest['documents']:.0f} | |",
        f"| textavsnitt | {ingest['chunks']:.0f} | |",
        f"| tokens | {ingest['tokens']:.0f} | |",
        f"| indexering, s | {ingest['ingest_s']:.1f} | |",
        f"| enbart inbäddning av samma avsnitt, s | {ingest['embed_s']:.1f} | |",
        f"| kvot indexering / inbäddning | {ingest['ratio']:.2f} | ≤ 1.1 |",
        f"| avsnitt/s | {ingest['chunks_per_s']:.1f} | |",
        f"| tokens/s (indexering) | {ingest['tokens_per_s']:.0f} | |",
        f"| tokens/s (enbart inbäddning) | {ingest['embed_tokens_per_s']:.0f} | |",
        f"| ny indexering utan ändringar, s | {ingest['reingest_s']:.2f} | < 3 |", "",
        "## Fråga–svar (`kompetens ask`), varm, exempelunderlaget, extraktivt svar", "",
        "| frågor | p50 ms | p95 ms | mål |", "| --- | --- | --- | --- |",
        f"| {ask['questions']} | {ask['p50_ms']:.1f} | {ask['p95_ms']:.1f} | väl under 1 000 |", "",
    ]
    lines += _search_section(embedded, server)
    lines += _separately_measured()
    (REPO / "benchmarks" / "README.md").write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines))


# Sections measured by their own commands, kept when the report is rewritten.
KEPT_SECTIONS = ("## OCR", "## Från make run till första svar", "## Kall kommandorad", "## Inbäddning: vad och hur långt")


def _separately_measured() -> list[str]:
    """Sections measured by their own commands (KEPT_SECTIONS), kept from the README."""
    path = REPO / "benchmarks" / "README.md"
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    kept: list[str] = []
    for heading in KEPT_SECTIONS:
        found = re.search(rf"^{re.escape(heading)}.*?(?=^## |\Z)", text, re.MULTILINE | re.DOTALL)
        if found:
            kept += [*found.group(0).rstrip("\n").splitlines(), ""]
    return kept


if __name__ == "__main__":
    main()
