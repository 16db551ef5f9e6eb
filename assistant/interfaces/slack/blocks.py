"""Slack Block Kit for answers and drafts: numbered sources linking to the web page, 👍/👎 buttons, mrkdwn."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

from assistant.records import Answer, Draft

_SECTION_LIMIT = 2900  # Slack allows 3000 characters in a section's text


def escape(text: str) -> str:
    """Text safe inside Slack mrkdwn (Slack's three control characters)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def source_url(public_url: str, source_id: str) -> str:
    """The web page's view of one cited passage."""
    return f"{public_url}/kalla/{quote(source_id, safe='')}"


def answer_blocks(answer: Answer, public_url: str) -> list[dict[str, Any]]:
    """Block Kit for an answer: the text, numbered sources linking to the web page, 👍/👎 buttons."""
    blocks: list[dict[str, Any]] = [text_section(escape(answer.answer))]
    if answer.citations:
        lines = ["*Källor*"]
        for c in answer.citations:
            where = ", ".join(x for x in (f"s. {c.page}" if c.page else None, c.kommun) if x)
            title = escape(c.title).replace("|", "¦")
            lines.append(f"{c.n}. <{source_url(public_url, c.source_id)}|{title}>{' (' + escape(where) + ')' if where else ''}")
        blocks.append(text_section("\n".join(lines)))
    if answer.answer_id:
        blocks.append(feedback_block(answer.answer_id))
    return blocks


def feedback_block(answer_id: str) -> dict[str, Any]:
    """The 👍/👎 buttons; each carries the answer id its click is stored under."""
    def button(action_id: str, label: str) -> dict[str, Any]:
        return {"type": "button", "action_id": action_id, "value": answer_id,
                "text": {"type": "plain_text", "text": label, "emoji": True}}
    return {"type": "actions", "block_id": "omdome",
            "elements": [button("feedback_upp", "👍 Bra svar"), button("feedback_ner", "👎 Dåligt svar")]}


def draft_blocks(draft: Draft, public_url: str) -> list[dict[str, Any]]:
    """Block Kit for a draft: each section in Slack's mrkdwn, the sources, a pointer to the Word export."""
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": f"Handlingsplan {draft.year} – {draft.kommun} (utkast)"[:150]}},
    ]
    for number, section in enumerate(draft.sections, start=1):
        blocks.append(text_section(f"*{number}. {escape(section.heading)}*\n{mrkdwn(section.markdown)}"))
    if draft.citations:
        lines = [f"{c.n}. <{source_url(public_url, c.source_id)}|{escape(c.title).replace('|', '¦')}>"
                 for c in draft.citations]
        blocks.append(text_section("*Källor*\n" + "\n".join(lines)))
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text":
                   f"Word-fil: välj {escape(draft.kommun)} under ”Utkast till handlingsplan” på <{public_url}/|webbsidan>."}]})
    return blocks[:50]


def mrkdwn(markdown: str) -> str:
    """A light Markdown → Slack mrkdwn conversion: headings and bold become *bold*, tables monospace."""
    out: list[str] = []
    for line in escape(markdown.strip()).splitlines():
        heading = re.match(r"^#{1,6}\s+(.*)$", line)
        if heading:
            line = f"*{heading.group(1)}*"
        out.append(re.sub(r"\*\*(.+?)\*\*", r"*\1*", line))
    return "\n".join(out)


def text_section(text: str) -> dict[str, Any]:
    if len(text) > _SECTION_LIMIT:
        text = text[: _SECTION_LIMIT - 1] + "…"
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}
