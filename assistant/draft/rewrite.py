"""Rewrite a draft's extractive paragraphs into fluent prose with the configured LLM.

Each prose paragraph with at least two cited sentences is sent with its own sources, numbered
1..m, and the Swedish `draft_section` prompt. The reply passes the same check as an LLM answer
(`llm.validate`: citations processed, invented and unsupported ones fail). A section keeps the
rewritten paragraphs only if every one of them passed; otherwise it stays extractive and the
draft is marked as a fallback. Tables, lists and "[Att komplettera: …]" are never sent.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from assistant.answer import llm
from assistant.cite.markers import count, remap
from assistant.cite.process import CitationReport
from assistant.draft.parts import Block
from assistant.draft.sources import SourceList
from assistant.errors import REASON_ERROR, REASON_TIMEOUT, LLMFailed
from assistant.records import INTERNAL_MARK, Passage

PROMPT = "draft_section"
MIN_SENTENCES = 2
WORKERS = 4


def rewrite(sections: dict[str, list[Block]], headings: dict[str, str], model: Any, kommun: str,
            sources: SourceList) -> tuple[set[str], set[str]]:
    """Replace prose blocks in place; returns (sections rewritten, sections that fell back)."""
    jobs = [(key, i, block) for key, blocks in sections.items() for i, block in enumerate(blocks)
            if block.kind == "prose" and block.passages and count(block.text) >= MIN_SENTENCES
            and INTERNAL_MARK not in block.text]  # internal sentences stay verbatim, with their mark
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        results = list(pool.map(lambda job: _attempt(job[2], headings[job[0]], model, kommun, sources), jobs))
    failed = {key for (key, _, _), result in zip(jobs, results, strict=True) if isinstance(result, LLMFailed)}
    rewritten: set[str] = set()
    for (key, i, block), result in zip(jobs, results, strict=True):
        if key in failed or isinstance(result, LLMFailed):
            continue
        sections[key][i] = Block("prose", _draft_numbers(result, block.passages, sources), block.passages,
                                 block.context)
        rewritten.add(key)
    return rewritten, failed


def _attempt(block: Block, heading: str, model: Any, kommun: str, sources: SourceList) -> CitationReport | LLMFailed:
    try:
        return rewrite_block(block, heading, model, kommun, sources)
    except LLMFailed as exc:
        return exc


def rewrite_block(block: Block, heading: str, model: Any, kommun: str, sources: SourceList) -> CitationReport:
    """The model's prose for one paragraph, checked against the paragraph's own sources."""
    passages = list(block.passages)
    local = {p.source_id: n for n, p in enumerate(passages, start=1)}

    def to_local(n: int) -> int | None:
        passage = sources.passages.get(n)
        return local[passage.source_id] if passage and passage.source_id in local else None

    where = f"{heading} – {block.context}" if block.context and block.context != heading else heading
    question = (f"Kommun: {kommun}\nAvsnitt: {where}\n\nUtkast att skriva om (varje mening har sin källhänvisning):\n"
                f"{remap(block.text, to_local)}")
    messages = llm.load_prompt(PROMPT).format_messages(question=question, passages=llm.format_passages(passages))
    try:
        reply = model.invoke(messages)
    except Exception as exc:  # the endpoint boundary: any client error becomes a domain error
        raise _failure(exc) from exc
    return llm.validate(llm.reply_text(reply), passages)


def _draft_numbers(report: CitationReport, passages: Sequence[Passage], sources: SourceList) -> str:
    """The report's text with its 1..k citations mapped to the draft's source numbers."""
    by_id = {p.source_id: p for p in passages}
    numbers = {c.n: sources.cite(by_id[c.source_id], c.quote) for c in report.citations}
    return remap(report.text, numbers.get)


def _failure(exc: BaseException) -> LLMFailed:
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, TimeoutError) or "timeout" in type(seen).__name__.lower():
            return LLMFailed(REASON_TIMEOUT)
        seen = seen.__cause__ or seen.__context__
    status = getattr(exc, "status_code", None)
    return LLMFailed(REASON_ERROR, type(exc).__name__ + (f", HTTP {status}" if status else ""))
