"""Read Markdown and plain text: sections at ATX headings or at numbered heading lines."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from pathlib import Path

from assistant.records import LoadedDocument
from ingest.loaders._common import Tagged, collapse_spaces, decode_text, numbered_sections, section_blocks, text_segments

_ATX_HEADING = re.compile(r"^ {0,3}(#{1,6})[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$")
_FENCE = re.compile(r"^ {0,3}(```|~~~)")


def read_markdown(path: Path, data: bytes) -> LoadedDocument:
    """Text under each ATX heading as segments; front matter skipped; title = first `# ` heading."""
    lines = _skip_front_matter(decode_text(path, data).split("\n"))
    tagged = list(_markdown_tagged(lines))
    blocks, _ = section_blocks(tagged, None)
    title = next((h for line, h in tagged if h and line.lstrip().startswith("# ")), None)
    return LoadedDocument(path=path, format="markdown", segments=tuple(text_segments(blocks)), title=title)


def read_txt(path: Path, data: bytes) -> LoadedDocument:
    """Plain text split into sections at numbered heading lines ("3.2 Insatser")."""
    lines = [collapse_spaces(line).rstrip() for line in decode_text(path, data).split("\n")]
    blocks, _ = numbered_sections(lines, None)
    return LoadedDocument(path=path, format="txt", segments=tuple(text_segments(blocks)))


def _skip_front_matter(lines: list[str]) -> list[str]:
    """`lines` without a leading YAML front matter block (`---` … `---` or `...`)."""
    if not lines or lines[0].strip() != "---":
        return lines
    for index in range(1, len(lines)):
        if lines[index].strip() in ("---", "..."):
            return lines[index + 1:]
    return lines  # no closing fence: not front matter


def _markdown_tagged(lines: Iterable[str]) -> Iterator[Tagged]:
    """Each line with its heading text when it is an ATX heading outside a code fence."""
    in_fence = False
    for line in lines:
        if _FENCE.match(line):
            in_fence = not in_fence
        match = None if in_fence else _ATX_HEADING.match(line)
        yield line, (match.group(2).strip() or None) if match else None
