"""Folding for matching and Swedish alphabetical order."""

from __future__ import annotations

import re
import unicodedata

_SWEDISH_ORDER = str.maketrans("åäöæø", "{|}|}")


def fold(text: str) -> str:
    """Lowercase ASCII form for matching: 'Åseles' → 'aseles', 'Svårighet' → 'svarighet'."""
    decomposed = unicodedata.normalize("NFKD", str(text).lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def padded(text: str) -> str:
    """Folded text with every run of non-alphanumerics as one space, padded for word matching."""
    return " " + re.sub(r"[^a-z0-9]+", " ", fold(text)).strip() + " "


def sv_key(text: str) -> str:
    """Sort key in Swedish alphabetical order (å, ä, ö after z)."""
    return str(text).lower().translate(_SWEDISH_ORDER)
