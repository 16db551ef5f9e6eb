"""What a draft may be asked for: one of the county's kommuner and known section keys.

The draft stage checks its arguments here, and the interfaces check requests with the same
functions, so the API, Slack and the CLI give the same Swedish messages.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from assistant.errors import InvalidDraftRequest, ScopeDenied
from assistant.records import DRAFT_SECTIONS
from assistant.scopes import KOMMUN_PREFIX, LAN_KOMMUNER, PROJECT, PUBLIC, kommun_name, kommun_scope, slugify

SECTION_KEYS = tuple(key for key, _ in DRAFT_SECTIONS)
# Who may read the draft: `publik` (default, a handlingsplan is public once adopted) or `intern`.
PUBLIC_DRAFT, INTERNAL_DRAFT = "publik", "intern"
ACCESS_LEVELS = (PUBLIC_DRAFT, INTERNAL_DRAFT)
PUBLICATION_SCOPES = (PROJECT, PUBLIC)
MIN_YEAR, MAX_YEAR = 2020, 2100


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


def check_access(value: str | None) -> str:
    """`publik` (the default) or `intern`; InvalidDraftRequest otherwise."""
    access = (value or PUBLIC_DRAFT).strip().lower()
    if access not in ACCESS_LEVELS:
        raise InvalidDraftRequest(f"Okänd behörighet för utkastet '{access[:30]}'. Välj publik eller intern.")
    return access


def check_year(value: int | str | None) -> int | None:
    """The plan year asked for (None: the next calendar year); InvalidDraftRequest when out of range."""
    if value is None or value == "":
        return None
    try:
        year = int(value)
    except (TypeError, ValueError):
        raise InvalidDraftRequest(f"Planåret ska vara ett årtal, t.ex. 2027 (fick '{str(value)[:20]}').") from None
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise InvalidDraftRequest(f"Planåret ska ligga mellan {MIN_YEAR} och {MAX_YEAR} (fick {year}).")
    return year


def draft_scopes(kommun: str, caller: Sequence[str], access: str) -> tuple[str, ...]:
    """The scopes a draft may draw on: for `publik` only publik and projekt material, whatever the
    caller holds; for `intern` also the kommun's own internal material, which the caller must hold
    (ScopeDenied otherwise). Other kommuners' internal material is never used."""
    held = set(caller)
    if access == INTERNAL_DRAFT:
        own = kommun_scope(kommun)
        if own not in held:
            raise ScopeDenied(f"Ett internt utkast för {kommun} kräver behörigheten {own}, som du saknar. "
                              f"Välj behörigheten publik för ett utkast som kan publiceras.")
        return tuple(sorted(s for s in held if s in PUBLICATION_SCOPES or s == own))
    return tuple(sorted(s for s in held if s in PUBLICATION_SCOPES))


def is_internal(scope: str | None) -> bool:
    """True for a kommun's internal material (`kommun:<namn>`), which a public draft never shows."""
    return bool(scope) and str(scope).startswith(KOMMUN_PREFIX)
