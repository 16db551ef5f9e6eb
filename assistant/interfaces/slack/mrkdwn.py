"""Text for Slack: escaping that never pings, Markdown → mrkdwn, tables as monospace, and splitting to fit.

Slack refuses a section whose text is over 3,000 characters, so long answers and drafts are cut
into pieces at line, then sentence, then word boundaries (never inside a word or a `<link|label>`);
a table becomes a code block, split between rows with its header repeated.
"""

from __future__ import annotations

import re
from collections.abc import Callable

SECTION_LIMIT = 2900  # Slack allows 3,000 characters in a section's text; keep a margin
FENCE = "```"
_BROADCAST = re.compile(r"@(channel|here|everyone)\b", re.IGNORECASE)
_WORD = re.compile(r"(?:<[^<>\n]*>|\S)+")  # a word, with a Slack link inside it kept whole
_SENTENCE_END = re.compile(r"[.!?…][\"”’')\]]*$|\]$|>[.!?]?$")
_TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{2,}")
_MARKER = re.compile(r"\[(\d+)\]")


def escape(text: str) -> str:
    """Document text made inert in Slack: `&`, `<`, `>` escaped (so `<!channel>`, `<@U…>` never ping)
    and a word joiner after the @ of @channel/@here/@everyone."""
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _BROADCAST.sub("@\u2060\\1", escaped)


def shorten(text: str, limit: int) -> str:
    """`text` on one line, cut at a word boundary to at most `limit` characters (with … when cut)."""
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat
    cut = flat[: limit - 1].rsplit(" ", 1)[0]
    return cut.rstrip(",;:") + "…"


def link_markers(text: str, link: Callable[[int], str | None]) -> str:
    """`[n]` turned into `<url|[n]>` for every n that `link` knows (in escaped text)."""
    def one(match: re.Match[str]) -> str:
        url = link(int(match.group(1)))
        return f"<{url}|{match.group(0)}>" if url else match.group(0)
    return _MARKER.sub(one, text)


def markdown_to_mrkdwn(markdown: str, link: Callable[[int], str | None] = lambda _: None) -> str:
    """Markdown (answers, draft sections) → Slack mrkdwn: headings and **bold** → *bold*, pipe tables →
    aligned code blocks, `[n]` → links; all document text escaped."""
    out: list[str] = []
    lines = markdown.strip().splitlines()
    i = 0
    while i < len(lines):
        if lines[i].lstrip().startswith("|"):
            rows = []
            while i < len(lines) and lines[i].lstrip().startswith("|"):
                rows.append(lines[i])
                i += 1
            out.append(table_block(rows))
            continue
        line = escape(lines[i])
        heading = re.match(r"^#{1,6}\s+(.*)$", line)
        if heading:
            line = f"*{heading.group(1)}*"
        out.append(link_markers(re.sub(r"\*\*(.+?)\*\*", r"*\1*", line), link))
        i += 1
    return "\n".join(out)


def table_block(rows: list[str]) -> str:
    """Markdown pipe-table rows as one monospace code block with aligned columns."""
    cells = [[escape(c.strip()) for c in row.strip().strip("|").split("|")] for row in rows if not _TABLE_RULE.match(row)]
    width = max(len(r) for r in cells)
    cells = [r + [""] * (width - len(r)) for r in cells]
    sizes = [min(max(len(r[k]) for r in cells), 40) for k in range(width)]
    lines = ["  ".join(c.ljust(sizes[k]) for k, c in enumerate(r)).rstrip() for r in cells]
    if len(lines) > 1 and any(_TABLE_RULE.match(r) for r in rows):
        lines.insert(1, "  ".join("-" * s for s in sizes))
    return "\n".join([FENCE, *lines, FENCE])


def split(text: str, limit: int = SECTION_LIMIT) -> list[str]:
    """`text` in pieces of at most `limit` characters, cut between lines, else sentences, else words.

    A code block is cut between its rows, each piece fenced again, with the header rows repeated.
    """
    pieces: list[str] = []
    for unit in _units(text):
        if len(unit) <= limit:
            pieces.append(unit)
        elif unit.startswith(FENCE):
            pieces.extend(_split_code(unit, limit))
        else:
            pieces.extend(_split_prose(unit, limit))
    return [piece.strip("\n") for piece in _pack(pieces, limit, "\n")]


def group(items: list[str], limit: int = SECTION_LIMIT) -> list[str]:
    """Items (e.g. one source with its quote) joined by newlines into pieces of at most `limit`, never
    splitting an item that fits."""
    fitting = [piece for item in items for piece in (split(item, limit) if len(item) > limit else [item])]
    return _pack(fitting, limit, "\n")


def _units(text: str) -> list[str]:
    """Lines, with each code block kept as one unit."""
    units: list[str] = []
    code: list[str] | None = None
    for line in text.splitlines():
        if code is not None:
            code.append(line)
            if line.strip() == FENCE:
                units.append("\n".join(code))
                code = None
        elif line.strip() == FENCE:
            code = [line]
        else:
            units.append(line)
    if code is not None:
        units.append("\n".join([*code, FENCE]))
    return units


def _split_code(block: str, limit: int) -> list[str]:
    rows = block.splitlines()[1:-1]
    header = rows[:2] if len(rows) > 2 and set(rows[1]) <= {"-", " "} else rows[:1]
    body = rows[len(header):]
    room = limit - len(FENCE) * 2 - 2 - sum(len(h) + 1 for h in header)
    if room < 100:  # a header too wide to repeat: split without it
        header, body, room = [], rows, limit - len(FENCE) * 2 - 2
    parts = _pack([r if len(r) <= room else r[:room - 1] + "…" for r in body], room, "\n")
    return ["\n".join([FENCE, *header, part, FENCE]) for part in parts]


def _split_prose(line: str, limit: int) -> list[str]:
    words = _WORD.findall(line)
    sentences: list[str] = []
    current: list[str] = []
    for word in words:
        current.append(word)
        if _SENTENCE_END.search(word):
            sentences.append(" ".join(current))
            current = []
    if current:
        sentences.append(" ".join(current))
    fitted: list[str] = []
    for sentence in sentences:
        fitted.extend([sentence] if len(sentence) <= limit else _pack(_WORD.findall(sentence), limit, " "))
    return _pack(fitted, limit, " ")


def _pack(items: list[str], limit: int, joiner: str) -> list[str]:
    """Greedily join items into pieces of at most `limit` characters (an item longer than that is cut)."""
    pieces: list[str] = []
    current = ""
    for item in items:
        while len(item) > limit:  # a single "word" longer than a section: nothing better is possible
            if current:
                pieces.append(current)
                current = ""
            pieces.append(item[:limit])
            item = item[limit:]
        candidate = f"{current}{joiner}{item}" if current else item
        if len(candidate) <= limit:
            current = candidate
        else:
            pieces.append(current)
            current = item
    if current.strip():
        pieces.append(current)
    return [p for p in pieces if p.strip()]
