"""Slack messages for answers and drafts: text in sections that fit, `[n]` linked, sources with quotes, 👍/👎.

An answer or draft becomes one or more `Message`s (Slack allows 50 blocks per message and 3,000
characters per section): the text split at sentence or row boundaries, then the numbered sources
(title, page/section, a short quote), then the vote buttons on the last message. Every link to a
source is a signed link made by the caller (`LinkFor`), valid for the channel's scopes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from assistant.interfaces.slack.mrkdwn import SECTION_LIMIT, escape, group, markdown_to_mrkdwn, shorten, split
from assistant.records import Answer, Citation, Draft

LinkFor = Callable[[Citation], str]  # a citation → the signed URL of its source view
MAX_BLOCKS = 45  # of Slack's 50 per message
MAX_MESSAGE_CHARS = 12_000  # keep each message readable; more goes into the next one
QUOTE_CHARS = 160
THANKS = "Tack för ditt omdöme! Det hjälper oss att göra svaren bättre."


@dataclass(frozen=True)
class Message:
    """One Slack message: the notification text and its blocks."""

    text: str
    blocks: list[dict[str, Any]]


def answer_messages(answer: Answer, link: LinkFor, asked: str | None = None) -> list[Message]:
    """An answer as Slack messages: "Tolkad som" (for a follow-up), text with linked [n], sources, 👍/👎."""
    urls = {c.n: link(c) for c in answer.citations}
    blocks: list[dict[str, Any]] = []
    if answer.question and answer.question != asked:
        blocks.append(context(f"Tolkad som: {escape(answer.question)}"))
    blocks += [section(part) for part in split(markdown_to_mrkdwn(answer.answer, urls.get))]
    blocks += source_sections(answer.citations, urls)
    if answer.answer_id:
        blocks.append(feedback_block(answer.answer_id))
    return pack(blocks, escape(shorten(answer.answer, SECTION_LIMIT)))


def draft_messages(draft: Draft, link: LinkFor, upload_note: str) -> list[Message]:
    """A draft as Slack messages: header, each section split to fit, the sources, a note on the Word file."""
    urls = {c.n: link(c) for c in draft.citations}
    title = f"Handlingsplan {draft.year} – {draft.kommun} (utkast)"
    blocks: list[dict[str, Any]] = [{"type": "header", "text": {"type": "plain_text", "text": title[:150]}}]
    for number, part in enumerate(draft.sections, start=1):
        text = f"*{number}. {escape(part.heading)}*\n{markdown_to_mrkdwn(part.markdown, urls.get)}"
        blocks += [section(piece) for piece in split(text)]
    blocks += source_sections(draft.citations, urls)
    blocks.append(context(upload_note))
    return pack(blocks, f"Utkast till handlingsplan för {escape(draft.kommun)}")


def source_sections(citations: Sequence[Citation], urls: dict[int, str]) -> list[dict[str, Any]]:
    """The numbered sources: linked title, page/section/kommun, a short quote; as many sections as needed."""
    if not citations:
        return []
    entries = ["*Källor*"]
    for c in citations:
        where = " · ".join(x for x in (f"s. {c.page}" if c.page else None, c.section, c.kommun) if x)
        title = escape(shorten(c.title, 150)).replace("|", "¦")
        line = f"{c.n}. <{urls[c.n]}|{title}>" + (f" – {escape(shorten(where, 150))}" if where else "")
        if c.quote:
            line += f"\n>”{escape(shorten(c.quote, QUOTE_CHARS))}”"
        entries.append(line)
    return [section(part) for part in group(entries)]


def pack(blocks: list[dict[str, Any]], text: str) -> list[Message]:
    """Blocks in messages of at most MAX_BLOCKS blocks and MAX_MESSAGE_CHARS characters, in order."""
    messages: list[list[dict[str, Any]]] = [[]]
    size = 0
    for block in blocks:
        length = len(block.get("text", {}).get("text", "")) if isinstance(block.get("text"), dict) else 200
        if messages[-1] and (len(messages[-1]) >= MAX_BLOCKS or size + length > MAX_MESSAGE_CHARS):
            messages.append([])
            size = 0
        messages[-1].append(block)
        size += length
    total = len(messages)
    return [Message(text if n == 1 else f"{shorten(text, 200)} (del {n} av {total})", part)
            for n, part in enumerate(messages, start=1)]


def feedback_block(answer_id: str) -> dict[str, Any]:
    """The 👍/👎 buttons; each carries the answer id its click is stored under."""
    def button(action_id: str, label: str) -> dict[str, Any]:
        return {"type": "button", "action_id": action_id, "value": answer_id,
                "text": {"type": "plain_text", "text": label, "emoji": True}}
    return {"type": "actions", "block_id": "omdome",
            "elements": [button("feedback_upp", "👍 Bra svar"), button("feedback_ner", "👎 Dåligt svar")]}


def voted(blocks: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """A message's blocks after a vote: the buttons replaced by the thanks."""
    return [b for b in blocks if b.get("type") != "actions"] + [context(f"✅ {THANKS}")]


def section(text: str) -> dict[str, Any]:
    """A mrkdwn section; `verbatim` so Slack does not turn words in document text into mentions or links."""
    return {"type": "section", "text": {"type": "mrkdwn", "text": text, "verbatim": True}}


def context(text: str) -> dict[str, Any]:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": text[:3000], "verbatim": True}]}
