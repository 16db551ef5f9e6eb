"""Access scopes: `publik`, `projekt`, `kommun:<slug>`. Every chunk has one; a caller has a set."""

from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence

from assistant.errors import InvalidScope, LinkRefused, ScopeDenied

PUBLIC = "publik"
PROJECT = "projekt"
KOMMUN_PREFIX = "kommun:"

PARTNER_KOMMUNER = ("Dorotea", "Skellefteå", "Umeå", "Vilhelmina", "Åsele")
LAN_KOMMUNER = (
    "Bjurholm", "Dorotea", "Lycksele", "Malå", "Nordmaling", "Norsjö", "Robertsfors", "Skellefteå",
    "Sorsele", "Storuman", "Umeå", "Vilhelmina", "Vindeln", "Vännäs", "Åsele",
)


def kommun_name(text: str) -> str | None:
    """The county municipality `text` names (any case, with or without å/ä/ö), or None."""
    wanted = slugify(text)
    return next((k for k in LAN_KOMMUNER if slugify(k) == wanted), None)

_SLUG_RE = re.compile(r"^[a-z][a-z0-9-]*$")


def slugify(name: str) -> str:
    """Lowercase ASCII slug of a municipality name: 'Åsele' → 'asele', 'Skellefteå' → 'skelleftea'."""
    folded = unicodedata.normalize("NFKD", name.strip().lower())
    ascii_only = "".join(c for c in folded if not unicodedata.combining(c))
    return re.sub(r"[^a-z0-9]+", "-", ascii_only).strip("-")


def kommun_scope(name: str) -> str:
    """The scope of one municipality's internal material."""
    return KOMMUN_PREFIX + slugify(name)


def normalize(scope: str) -> str:
    """Validate and canonicalise one scope string.

    >>> normalize("Kommun:Åsele")
    'kommun:asele'
    """
    raw = scope.strip()
    lowered = raw.lower()
    if lowered in (PUBLIC, PROJECT):
        return lowered
    if lowered.startswith(KOMMUN_PREFIX):
        slug = slugify(raw[len(KOMMUN_PREFIX):])
        if _SLUG_RE.match(slug):
            return KOMMUN_PREFIX + slug
    raise InvalidScope(
        f"Okänd behörighet '{scope}'. Använd 'publik', 'projekt' eller 'kommun:<namn>' (t.ex. kommun:asele)."
    )


def normalize_all(scopes: Iterable[str]) -> tuple[str, ...]:
    """Canonicalise a caller's scopes, sorted and without duplicates."""
    return tuple(sorted({normalize(s) for s in scopes}))


def all_scopes() -> tuple[str, ...]:
    """Every scope of the partner project: what the CLI acts with by default."""
    return normalize_all([PUBLIC, PROJECT, *(kommun_scope(k) for k in PARTNER_KOMMUNER)])


def allows(caller_scopes: Iterable[str], scope: str) -> bool:
    """True when a chunk of `scope` may be shown to a caller holding `caller_scopes`."""
    return scope in set(caller_scopes)


def resolve(granted: Iterable[str], requested: Iterable[str] | None) -> tuple[str, ...]:
    """The scopes to act with: all granted ones when none are requested, else the requested subset.

    Raises ScopeDenied naming the requested scopes that are not granted; a caller can narrow its
    scopes, never widen them.
    """
    wanted_in = list(requested or ())
    if not wanted_in:
        return normalize_all(granted)
    wanted = normalize_all(wanted_in)
    missing = sorted(set(wanted) - set(normalize_all(granted)))
    if missing:
        raise ScopeDenied(f"Du saknar behörighet för: {', '.join(missing)}.")
    return wanted


def for_conversation(channel: str, user: str | None, channel_scopes: Mapping[str, Sequence[str]],
                     user_scopes: Mapping[str, Sequence[str]]) -> tuple[str, ...]:
    """Scopes for a chat conversation: the channel's mapping; in a DM (`D…`) the user's; else `publik`.

    The channel decides, never the asker: everyone in a channel sees what the channel may see.
    """
    if channel in channel_scopes:
        return normalize_all(channel_scopes[channel])
    if channel.startswith("D") and user in user_scopes:
        return normalize_all(user_scopes[user or ""])
    return (PUBLIC,)


# ---- signed source links: a short-lived grant of a conversation's scopes for one source ----------

LINK_EXPIRED = ("Länken till källan har gått ut. Ställ frågan igen för en ny länk, "
                "eller ange din token under ”Partnerinloggning”.")
LINK_TAMPERED = "Länken till källan är ogiltig (den är ändrad eller ofullständig). Öppna länken från svaret igen."


def grant_text(scopes: Iterable[str]) -> str:
    """The scopes of a link as they stand in its URL: 'kommun:asele,projekt'."""
    return ",".join(normalize_all(scopes))


def sign_link(key: bytes, target: str, scopes: Iterable[str], expires: int) -> str:
    """The signature of a link to `target` (e.g. a source id) for `scopes` until `expires` (Unix time).

    The scopes are inside the signed payload, so a link cannot be widened by editing its URL.
    """
    payload = f"{target}\n{grant_text(scopes)}\n{expires}".encode()
    return hmac.new(key, payload, hashlib.sha256).hexdigest()[:32]


def verify_link(key: bytes, target: str, grant: str, expires: str, signature: str, now: float) -> tuple[str, ...]:
    """The scopes a signed link grants; LinkRefused (in Swedish) when it is altered or has expired."""
    try:
        scopes = normalize_all(s for s in grant.split(",") if s.strip())
        until = int(expires)
    except (InvalidScope, ValueError):
        raise LinkRefused(LINK_TAMPERED) from None
    if not scopes or not hmac.compare_digest(sign_link(key, target, scopes, until), signature.strip().lower()):
        raise LinkRefused(LINK_TAMPERED)
    if until < now:
        raise LinkRefused(LINK_EXPIRED)
    return scopes
