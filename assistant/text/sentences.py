"""Sentence splitting for Swedish text, with `[n]` citation markers kept on the sentence they follow.

Answering, drafting and citation checks all cut text the same way, so a quote, a cited sentence
and an evidence unit always line up.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

# Abbreviations after which a period never ends a sentence (lower case, without the final dot).
# "m.fl.", "osv." and "etc." can end one, so they are left to the capital-letter rule.
_ABBREVIATIONS = frozenset({
    "t.ex", "bl.a", "d.v.s", "dvs", "s.k", "p.g.a", "pga", "fr.o.m", "t.o.m", "inkl", "exkl", "ca",
    "jfr", "resp", "kap", "nr", "s", "sid", "kl", "tel", "f.d", "enl", "ang", "avd", "bil", "ev", "fig",
    "tab", "prop", "milj", "mdr", "mkr", "tkr", "vs", "mom", "e.d", "o.d", "m.a.o",
})

MARKER = re.compile(r"([ \t]*)\[([^\[\]\n]{1,30})\]")
_MARKER_AT_START = re.compile(r"\[([^\[\]\n]{1,30})\]")
_CITATION_SYNTAX = re.compile(r"[\d\s,;–-]+")
_TRAILING_MARKER = re.compile(r"\s*\[[^\[\]\n]{1,30}\]$")
_BULLET = re.compile(r"(?:[-*•–]|\d{1,2}[.)]|#{1,6})[ \t]+")
_BULLET_ONLY = re.compile(r"[ \t]*(?:[-*•–]|\d{1,2}[.)]|#{1,6})")
_CLOSERS = "\"'”’»)"
_HEADING_MAX = 70
# A labelled heading line ("Hållbarhetsmål 1: En levande plats", "Utdrag: vision, …") may run longer.
_LABEL_HEADING = re.compile(r"^[A-ZÅÄÖ][\wåäö]{1,24}(?: \d+(?:\.\d+)*)?: \S")
_LABEL_HEADING_MAX = 80


@dataclass(frozen=True)
class Piece:
    """A sentence `body` (markers included) and the whitespace/bullet `prefix` before it."""

    prefix: str
    body: str
    start: int
    end: int


def split_sentences(text: str) -> list[str]:
    """Sentences of Swedish text, verbatim (markers kept with the sentence they follow).

    A period ends a sentence only before a capital, digit, quote or bullet and not after an
    abbreviation (t.ex., bl.a., s., nr. …); blank lines, list bullets, table rows (` | `),
    lines ending in ':' and short heading lines always end one. Bullets are not part of it.

    >>> split_sentences("Bl.a. Umeå m.fl. kommuner deltar. Se s. 3 i planen.")
    ['Bl.a. Umeå m.fl. kommuner deltar.', 'Se s. 3 i planen.']
    """
    return [piece.body for piece in pieces(text)]


def pieces(text: str, hard_lines: bool = False) -> list[Piece]:
    """The sentences of `text` with their prefixes and offsets; with `hard_lines` every line break
    ends one (a Word paragraph is never a wrapped line)."""
    pieces: list[Piece] = []
    prev_end = 0
    for start, end in _segments(text, hard_lines):
        body_start, body_end = _body_bounds(text, start, end)
        if body_start >= body_end:
            continue
        body = text[body_start:body_end]
        if pieces and _only_markers(body):  # a marker on its own line belongs to the sentence before
            last = pieces[-1]
            pieces[-1] = Piece(last.prefix, text[last.start:body_end], last.start, body_end)
        else:
            pieces.append(Piece(text[prev_end:body_start], body, body_start, body_end))
        prev_end = body_end
    return pieces


def _segments(text: str, hard_lines: bool = False) -> Iterator[tuple[int, int]]:
    start = 0
    for gap in re.finditer(r"\s+", text):
        if gap.start() > 0 and gap.end() < len(text) and (
                (hard_lines and "\n" in gap.group(0) and not _starts_with_marker(text[gap.end():gap.end() + 40]))
                or _is_boundary(text, gap.start(), gap.end())):
            yield start, gap.start()
            start = gap.end()
    yield start, len(text)


def _body_bounds(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    line_start = text.rfind("\n", 0, start) + 1
    bullet = _BULLET.match(text, start, end) if not text[line_start:start].strip() else None
    if bullet:
        start = bullet.end()
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def _only_markers(body: str) -> bool:
    return not MARKER.sub(lambda m: "" if is_marker(m.group(2), marker_after(m)) else m.group(0), body).strip()


def _is_boundary(text: str, a: int, b: int) -> bool:
    gap, left, right = text[a:b], text[max(0, a - 300):a], text[b:b + 120]
    if _starts_with_marker(right):
        return False  # "… slut. [2] Nästa" – the marker still cites the sentence before it
    if _BULLET_ONLY.fullmatch(left.rsplit("\n", 1)[-1]):
        return False  # "1. Första punkten": a list number is not a sentence
    if "\n" in gap and _is_line_boundary(gap, left, right):
        return True
    return _ends_sentence(left, right)


def _starts_with_marker(right: str) -> bool:
    m = _MARKER_AT_START.match(right)
    return bool(m and is_marker(m.group(1), marker_after(m)))


def _is_line_boundary(gap: str, left: str, right: str) -> bool:
    if re.search(r"\n[ \t]*\n", gap) or _BULLET.match(right):
        return True
    prev_line, next_line = left.rsplit("\n", 1)[-1], right.split("\n", 1)[0]
    if " | " in prev_line or " | " in next_line:
        return True
    core = _trim_end(prev_line)
    if core.endswith(":"):
        return True
    short = len(core) <= _HEADING_MAX or (len(core) <= _LABEL_HEADING_MAX and _LABEL_HEADING.match(core.strip()))
    heading = short and not core.endswith((".", "!", "?", ",", ";", "-", "–"))
    return heading and next_line[:1].isupper()


def _ends_sentence(left: str, right: str) -> bool:
    core = _trim_end(left)
    if not core or core[-1] not in ".!?":
        return False
    nxt = right[:1]
    starts_new = nxt.isupper() or nxt.isdigit() or nxt in "\"'”“«(–-•*#["
    if core[-1] in "!?":
        return starts_new or not nxt.isalpha()
    word = re.search(r"(\S+)\.$", core)
    token = word.group(1).lstrip("(\"'«“") if word else ""
    if token.lower() in _ABBREVIATIONS or (len(token) == 1 and token.isupper()):
        return False  # "t.ex. Umeå", "s. 3", initials such as "J. Lundström"
    return starts_new


def _trim_end(text: str) -> str:
    """Text without trailing whitespace, citation markers and closing quotes or brackets."""
    previous = None
    while previous != text:
        previous = text
        text = text.rstrip()
        m = _TRAILING_MARKER.search(text)
        if m and is_marker(text[m.start():].strip()[1:-1]):
            text = text[:m.start()]
        text = text.rstrip(_CLOSERS)
    return text


# ----------------------------------------------------------------------------- markers


def is_marker(content: str, after: str = "") -> bool:
    """Bracketed text is a citation marker when it holds a digit or is one short word ('[n]').

    `[text](url)` is a Markdown link, not a marker, unless the text is only numbers.
    """
    if after == "(" and not _CITATION_SYNTAX.fullmatch(content):
        return False
    return any(ch.isdigit() for ch in content) or re.fullmatch(r"\s*\w{1,12}\s*", content) is not None


def marker_after(m: re.Match[str]) -> str:
    """The character right after a bracket match (a "(" makes `[text](url)` a link, not a marker)."""
    return m.string[m.end():m.end() + 1]
