"""Helpers shared by the format readers: row types, decoding, heading detection and text segments."""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from assistant.errors import UnreadableDocument
from assistant.records import Segment

TEXT_PART_CHARS = 1500  # text blocks are cut at blank lines into parts of about this size

Row = tuple[Any, ...]
NumberedRow = tuple[int, Row]
Tagged = tuple[str, str | None]  # a line and the heading it opens (None for body text)
Block = tuple[str | None, str]  # a section and the text under it

_NUMBERED_HEADING = re.compile(r"^\d{1,2}(\.\d{1,2})*\.?\s+[A-ZÅÄÖ]")
_DOT_LEADER = re.compile(r"(\.{3,}|…)\s*\d*$")  # table-of-contents lines, not headings
_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200b\u202f]+")
_MANY_BLANK_LINES = re.compile(r"\n\s*\n\s*\n+")


def empty_message(path: Path) -> str:
    """Swedish message for a file without any text."""
    return (
        f"Filen '{path.name}' är tom eller innehåller bara blanksteg. "
        "Lägg till innehåll i filen eller ta bort den ur källmappen."
    )


def clean_title(title: str | None) -> str | None:
    """A metadata title stripped, or None when it is missing or blank."""
    return (title or "").strip() or None


def numbered_heading(line: str) -> str | None:
    """`line` when it looks like a numbered heading ("2.1 Vård och omsorg"), else None."""
    line = line.strip()
    if len(line) >= 90 or line.endswith(".") or _DOT_LEADER.search(line):
        return None
    return line if _NUMBERED_HEADING.match(line) else None


def collapse_spaces(text: str) -> str:
    """Runs of spaces, tabs and non-breaking spaces become one space."""
    return _SPACES.sub(" ", text)


def unify_newlines(text: str) -> str:
    """Windows and old Mac line endings become \\n."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def tidy(text: str) -> str:
    """Strip a block and keep at most one blank line between paragraphs."""
    return _MANY_BLANK_LINES.sub("\n\n", text).strip()


def numbered_sections(lines: Iterable[str], section: str | None) -> tuple[list[Block], str | None]:
    """`section_blocks` for lines whose headings are numbered ("3.2 Insatser"), as in PDF and TXT."""
    return section_blocks(((line, numbered_heading(line)) for line in lines), section)


def section_blocks(tagged: Iterable[Tagged], section: str | None) -> tuple[list[Block], str | None]:
    """Group body lines into (section, text) blocks, starting a block at every heading line.

    Heading lines themselves go into `section`, not into the text. Returns the blocks and the
    section still open at the end, so that a page's last heading carries over to the next page.
    """
    blocks: list[Block] = []
    body: list[str] = []
    for line, heading in tagged:
        if heading is None:
            body.append(line)
            continue
        blocks += body_block(section, body)
        body, section = [], heading
    blocks += body_block(section, body)
    return blocks, section


def body_block(section: str | None, body: list[str]) -> list[Block]:
    """The collected body lines as one block when they hold any text, else no block."""
    text = tidy("\n".join(body))
    return [(section, text)] if text else []


def split_long(text: str, limit: int = TEXT_PART_CHARS) -> list[str]:
    """Cut `text` at blank lines into parts of at most ~`limit` chars (one paragraph may be longer)."""
    if len(text) <= limit:
        return [text]
    parts: list[str] = []
    current = ""
    for paragraph in re.split(r"\n\s*\n", text):
        candidate = f"{current}\n\n{paragraph}" if current else paragraph
        if current and len(candidate) > limit:
            parts.append(current)
            candidate = paragraph
        current = candidate
    parts.append(current)
    return [p.strip() for p in parts if p.strip()]


def text_segments(blocks: Iterable[Block], page: int | None = None) -> list[Segment]:
    """One Segment per block part, all parts of a block sharing its section."""
    return [
        Segment(text=part, page=page, section=section)
        for section, text in blocks
        for part in split_long(text)
    ]


def decode_text(path: Path, data: bytes) -> str:
    """Decode a text file: UTF-8 (BOM or not), UTF-16 with BOM, else cp1252; newlines become \\n."""
    if data.startswith(codecs.BOM_UTF8):
        text = data[len(codecs.BOM_UTF8):].decode("utf-8", errors="replace")
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        text = data.decode("utf-16")
    else:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            text = data.decode("cp1252", errors="replace")
    if "\x00" in text:
        raise UnreadableDocument(
            f"Filen '{path.name}' ser ut att vara en binärfil, inte text. "
            "Kontrollera att filen har rätt filändelse och spara den på nytt som text (UTF-8)."
        )
    return unify_newlines(text)
