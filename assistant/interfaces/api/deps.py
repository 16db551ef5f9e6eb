"""What routes get injected: the app's service and the caller's scopes (from the bearer token)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Query, Request
from fastapi.security import HTTPBearer

from assistant.interfaces.api.auth import TokenRegistry
from assistant.service import Service

_bearer = HTTPBearer(auto_error=False, description="Token för partner (ger fler behörigheter än 'publik').")
ScopeQuery = Annotated[list[str] | None, Query(max_length=20, description="Begränsa till dessa behörigheter.")]


def get_service(request: Request) -> Service:
    """The app's service (injected into routes)."""
    return request.app.state.service  # type: ignore[no-any-return]


def caller_scopes(request: Request, _: Any = Depends(_bearer)) -> tuple[str, ...]:
    """The scopes the request's bearer token grants (`publik` without a token)."""
    registry: TokenRegistry = request.app.state.tokens
    return registry.scopes_for(request.headers.get("authorization"))


Svc = Annotated[Service, Depends(get_service)]
Caller = Annotated[tuple[str, ...], Depends(caller_scopes)]


def source_scopes(source_id: str, request: Request, granted: Caller,
                  b: Annotated[str | None, Query(max_length=400, description="Signerad länk: behörigheter.")] = None,
                  exp: Annotated[str | None, Query(max_length=20, description="Signerad länk: giltig till.")] = None,
                  sig: Annotated[str | None, Query(max_length=100, description="Signerad länk: signatur.")] = None,
                  ) -> tuple[str, ...]:
    """The scopes for one source: the token's, widened by a signed link's for that source (if given)."""
    if b is None and exp is None and sig is None:
        return granted
    return get_service(request).link_scopes(source_id, b or "", exp or "", sig or "", granted)


SourceScopes = Annotated[tuple[str, ...], Depends(source_scopes)]
