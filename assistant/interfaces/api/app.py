"""The web API, the web page and (when configured) Slack's HTTP endpoint, in one FastAPI app.

Routes are thin: they parse input, resolve the caller's scopes through the service and call it.
Domain errors become HTTP statuses in one handler (`_STATUS`); nothing else reaches a client.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from assistant.errors import (
    ConfigError,
    GenerationFailed,
    IndexUnavailable,
    InvalidRating,
    InvalidScope,
    KompetensError,
    ScopeDenied,
    SourceNotFound,
    Unauthenticated,
    UnknownAnswer,
)
from assistant.interfaces.api.auth import TokenRegistry
from assistant.interfaces.api.limits import BodyLimit
from assistant.interfaces.api.routes import add_api_routes, add_docs_routes, add_page_routes
from assistant.interfaces.api.schemas import ErrorOut, validation_message
from assistant.service import SOURCE_NOT_FOUND, Service

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 1_000_000
NOT_FOUND = SOURCE_NOT_FOUND

# Domain error → HTTP status; the first matching class wins. Anything else of KompetensError is 400.
_STATUS: tuple[tuple[type[KompetensError], int], ...] = (
    (Unauthenticated, 401), (ScopeDenied, 403), (SourceNotFound, 404), (UnknownAnswer, 404),
    (InvalidScope, 422), (InvalidRating, 422), (GenerationFailed, 502), (IndexUnavailable, 503), (ConfigError, 503),
)
_HIDDEN = {ConfigError: "Tjänsten är felkonfigurerad. Kontakta den som driftar Kompetensassistenten."}
_SERVER_ERROR = "Något gick fel på servern. Försök igen om en stund."
_HTTP_TEXT = {404: "Sidan eller resursen finns inte.", 405: "Metoden stöds inte för den här adressen."}


def create_app(service: Service | None = None) -> FastAPI:
    """Build the application around one service; refuses to start (ConfigError) on unsafe token config."""
    svc = service or Service()
    app = FastAPI(title="Kompetensassistenten", version="0.1.0",
                  description="Frågor och svar med källor om kompetensförsörjning i Västerbotten.",
                  docs_url=None, redoc_url=None,  # /docs is served offline by add_docs_routes
                  responses={401: {"model": ErrorOut}, 403: {"model": ErrorOut}, 422: {"model": ErrorOut}})
    app.state.service = svc
    app.state.tokens = TokenRegistry(svc.settings.api.tokens)
    svc.link_key  # noqa: B018 - refuses to start (ConfigError) when Slack is configured without a link secret
    _limit_body_size(app)
    _add_error_handlers(app)
    add_api_routes(app)
    add_page_routes(app)
    add_docs_routes(app)
    if svc.settings.slack.signing_secret and svc.settings.slack.bot_token:
        # slack_bolt is heavy and only needed with Slack configured: import it only then.
        from assistant.interfaces.slack import bot

        bot.mount(app, bot.create_bolt_app(svc))
    return app


def _limit_body_size(app: FastAPI) -> None:
    # Counts streamed bytes too: a chunked body (no Content-Length) is capped at the same limit.
    app.add_middleware(BodyLimit, limit=MAX_BODY_BYTES)


def _add_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(KompetensError)
    async def domain_error(_: Request, exc: KompetensError) -> JSONResponse:
        status = next((code for kind, code in _STATUS if isinstance(exc, kind)), 400)
        hidden = next((text for kind, text in _HIDDEN.items() if isinstance(exc, kind)), None)
        if hidden:
            log.error("Konfigurationsfel: %s", exc)
        headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
        return JSONResponse({"detail": hidden or str(exc)}, status_code=status, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(_: Request, exc: RequestValidationError) -> JSONResponse:
        messages = list(dict.fromkeys(validation_message(e) for e in exc.errors()))
        return JSONResponse({"detail": " ".join(messages), "errors": jsonable_encoder(messages)}, status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        text = _HTTP_TEXT.get(exc.status_code, "Begäran kunde inte behandlas.")
        return JSONResponse({"detail": text}, status_code=exc.status_code, headers=exc.headers)

    @app.exception_handler(Exception)
    async def unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.exception("Oväntat fel i API:t (%s)", type(exc).__name__)
        return JSONResponse({"detail": _SERVER_ERROR}, status_code=500)
