"""Bearer tokens → scopes for the web API.

No token gives `publik` only; a known token gives its configured scopes; an unknown token is
refused. A request may narrow its scopes to a subset of what it holds, never widen them
(`assistant.scopes.resolve`, through the service).
Tokens are compared in constant time against every configured token and never logged or echoed.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping, Sequence

from assistant import scopes as scope_rules
from assistant.errors import ConfigError, InvalidScope, Unauthenticated

# Values that show up when someone copies an example config without changing it.
_DEFAULT_TOKENS = frozenset({
    "changeme", "change-me", "change_me", "changethis", "secret", "token", "password", "default",
    "test", "example", "xxx", "<token>",
})



class TokenRegistry:
    """The configured bearer tokens and their scopes (checked once, at start-up)."""

    def __init__(self, tokens: Mapping[str, Sequence[str]]) -> None:
        check_tokens(tokens)
        self._entries = [(token.encode("utf-8"), scope_rules.normalize_all(granted))
                         for token, granted in tokens.items()]

    def scopes_for(self, authorization: str | None) -> tuple[str, ...]:
        """The scopes an `Authorization` header grants: `publik` without one, Unauthenticated if unknown."""
        if authorization is None or not authorization.strip():
            return (scope_rules.PUBLIC,)
        scheme, _, presented = authorization.strip().partition(" ")
        if scheme.lower() != "bearer" or not presented.strip():
            raise Unauthenticated("Ogiltig Authorization-rubrik. Skicka 'Authorization: Bearer <token>'.")
        candidate = presented.strip().encode("utf-8")
        found: tuple[str, ...] | None = None
        for token, granted in self._entries:  # no early exit: the time taken does not depend on the match
            if hmac.compare_digest(token, candidate):
                found = granted
        if found is None:
            raise Unauthenticated("Okänd token. Kontrollera token eller fråga utan token (bara publika dokument).")
        return found


def check_tokens(tokens: Mapping[str, Sequence[str]]) -> None:
    """Refuse a token configuration with an empty or example token, or with invalid scopes."""
    for token, granted in tokens.items():
        if not token.strip() or token.strip().lower() in _DEFAULT_TOKENS:
            raise ConfigError(
                "KOMPETENS_API_TOKENS innehåller en tom token eller en exempeltoken (som 'changeme'). "
                "Byt till slumpmässiga tokens, t.ex. från: python -c \"import secrets; print(secrets.token_urlsafe(32))\""
            )
        try:
            scope_rules.normalize_all(granted)
        except InvalidScope as exc:
            raise ConfigError(f"KOMPETENS_API_TOKENS: {exc}") from None
