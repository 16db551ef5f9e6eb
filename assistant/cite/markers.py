"""Citation markers: parse `[n]` (and `[1, 2]`, `[1-3]`, `[källa 2]`), rewrite, remove and renumber them.

The one place a marker's numbers are read or changed; sentence splitting itself lives in
`assistant.text.sentences`, which only needs to recognise a marker.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Sequence

from assistant.text.sentences import MARKER, is_marker, marker_after

_ANY_NUMBERED = re.compile(r"\[(\d+)\]")
NUMBERED = _ANY_NUMBERED  # a plain `[n]` marker, as finished text holds them
_ITEM_SPLIT = re.compile(r"[,;]")
_ITEM_NUMBER = re.compile(r"(?:källa|k\.?)?\s*:?\s*(\d{1,4})", re.IGNORECASE)
_ITEM_RANGE = re.compile(r"(\d{1,4})\s*[-–]\s*(\d{1,4})")
_MAX_RANGE = 20
_Mapping = Callable[[tuple[int, ...]], tuple[int, ...]]


def parse_marker(content: str, count: int) -> tuple[tuple[int, ...], int]:
    """Valid 1-based passage numbers in a marker's content, and how many items were invented."""
    refs: list[int] = []
    invented = 0
    for item in (part.strip() for part in _ITEM_SPLIT.split(content)):
        numbers = _item_numbers(item)
        if numbers is None:
            invented += 1
            continue
        for n in numbers:
            if 1 <= n <= count:
                if n not in refs:
                    refs.append(n)
            else:
                invented += 1
    return tuple(refs), invented


def _item_numbers(item: str) -> list[int] | None:
    if m := _ITEM_RANGE.fullmatch(item):
        low, high = int(m.group(1)), int(m.group(2))
        return list(range(low, high + 1)) if 0 <= high - low <= _MAX_RANGE else None
    if m := _ITEM_NUMBER.fullmatch(item):
        return [int(m.group(1))]
    return None


def remove_markers(body: str) -> str:
    """A sentence's words without its citation markers, whitespace collapsed."""
    return " ".join(rewrite(body, lambda refs: ()).split())


def rewrite(body: str, mapping: _Mapping) -> str:
    """`body` with each marker replaced by `[n]` markers for `mapping(refs)`, or removed."""

    def replace(m: re.Match[str]) -> str:
        if not is_marker(m.group(2), marker_after(m)):
            return m.group(0)
        refs, _ = parse_marker(m.group(2), 10**6)
        new = mapping(refs)
        if new:
            return m.group(1) + "".join(f"[{n}]" for n in sorted(set(new)))
        after = marker_after(m)  # keep words apart: "a [9]b" → "a b"
        return " " if m.group(1) and (after.isalnum() or after in "([") else ""

    return MARKER.sub(replace, body)

def without_stray_markers(text: str, count: int) -> str:
    """Remove `[n]` beyond 1..count that removing a marker can leave behind ("[[9]1]" → "[1]")."""
    previous = None
    while previous != text:
        previous = text
        text = _ANY_NUMBERED.sub(lambda m: m.group(0) if 1 <= int(m.group(1)) <= count else "", text)
    return text


def remap(text: str, mapping: Callable[[int], int | None]) -> str:
    """`text` with every plain `[n]` replaced by `[mapping(n)]`, or removed where mapping gives None."""
    def replace(m: re.Match[str]) -> str:
        new = mapping(int(m.group(1)))
        return "" if new is None else f"[{new}]"

    return _ANY_NUMBERED.sub(replace, text)


def renumber(texts: Sequence[str], known: Collection[int]) -> tuple[list[str], dict[int, int]]:
    """Texts with the `known` numbers renumbered 1..k by first appearance, unknown markers removed.

    Returns the new texts and old → new numbers, in new order.
    """
    order: dict[int, int] = {}
    for text in texts:
        for m in _ANY_NUMBERED.finditer(text):
            old = int(m.group(1))
            if old in known:
                order.setdefault(old, len(order) + 1)
    return [remap(t, order.get) for t in texts], order


def count(text: str) -> int:
    """How many plain `[n]` markers `text` holds."""
    return len(_ANY_NUMBERED.findall(text))
