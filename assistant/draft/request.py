"""What a draft may be asked for: one of the county's kommuner and known section keys.

The draft stage checks its arguments here, and the interfaces check requests with the same
functions, so the API, Slack and the CLI give the same Swedish messages.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from assistant.errors import InvalidDraftRequest
from assistant.records import DRAFT_SECTIONS
from assistant.scopes import LAN_KOMMUNER, kommun_name, slugify

SECTION_KEYS = tuple(key for key, _ in DRAFT_SECTIONS)


def check_kommun(value: str) -> str:
    """The canonical name of the county municipality `value` names; InvalidDraftRequest otherwise."""
    name = kommun_name(value)
    if name is None:
        raise InvalidDraftRequest(f"Okänd kommun '{value[:60]}'. Välj en av länets kommuner: {', '.join(LAN_KOMMUNER)}.")
    return name


def check_sections(values: Sequence[str] | None) -> list[str] | None:
    """Section keys asked for (lowercased, duplicates dropped, in the order given); None for all."""
    if not values:
        return None
    wanted = [v.strip().lower() for v in values]
    unknown = [v for v in wanted if v not in SECTION_KEYS]
    if unknown:
        raise InvalidDraftRequest(f"Okänt avsnitt '{unknown[0][:40]}'. Välj bland: {', '.join(SECTION_KEYS)}.")
    return list(dict.fromkeys(wanted))


def parse_command(text: str) -> tuple[str, list[str] | None]:
    """Chat form `<kommun> [avsnitt …]` → (canonical municipality, section keys or None for all)."""
    words = [w for w in re.split(r"[\s,]+", text.strip()) if w]
    kommun = kommun_name(words[0]) if words else None
    if kommun is None:
        raise InvalidDraftRequest("Ange en av länets kommuner, t.ex. `/kompetens utkast Åsele nulage insatser`.")
    avsnitt = [slugify(w) for w in words[1:]]
    unknown = [a for a in avsnitt if a not in SECTION_KEYS]
    if unknown:
        raise InvalidDraftRequest(f"Okänt avsnitt '{unknown[0][:30]}'. Välj bland: {', '.join(SECTION_KEYS)}.")
    return kommun, avsnitt or None
