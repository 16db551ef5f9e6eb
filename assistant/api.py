"""The web API, the web page and (when configured) Slack's HTTP endpoint, in one FastAPI app.

Routes are thin: they parse input, resolve the caller's scopes and call the service.
Domain errors become HTTP statuses in one handler (`_STATUS`); nothing else reaches a client.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Query, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, Response
from fastapi.security import HTTPBearer
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from assistant.api_schemas import (
    AnswerOut, AskRequest, DocumentOut, DraftOut, DraftRequest, ErrorOut, FeedbackOut, FeedbackRequest, HealthOut,
    PassageOut, SourceOut, validation_message,
)
from assistant.auth import TokenRegistry, Unauthenticated, narrow
from assistant.errors import (
    ConfigError, GenerationFailed, IndexUnavailable, InvalidScope, KompetensError, ScopeDenied,
)
from assistant.feedback import InvalidRating, UnknownAnswer
from assistant.scopes import slugify
from assistant.service import Service

log = logging.getLogger(__name__)

WEB = Path(__file__).parent / "web"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
MAX_BODY_BYTES = 1_000_000
_SOURCE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,200}$")
_PAGE_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; object-src 'none'; "
                               "base-uri 'none'; frame-ancestors 'none'; form-action 'self'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


class SourceNotFound(KompetensError):
    """A source id that does not exist or lies outside the caller's scopes (the two look the same)."""


# Domain error → HTTP status; the first matching class wins. Anything else of KompetensError is 400.
_STATUS: tuple[tuple[type[KompetensError], int], ...] = (
    (Unauthenticated, 401), (ScopeDenied, 403), (SourceNotFound, 404), (UnknownAnswer, 404),
    (InvalidScope, 422), (InvalidRating, 422), (GenerationFailed, 502), (IndexUnavailable, 503), (ConfigError, 503),
)
_HIDDEN = {ConfigError: "Tjänsten är felkonfigurerad. Kontakta den som driftar Kompetensassistenten."}
_SERVER_ERROR = "Något gick fel på servern. Försök igen om en stund."
_HTTP_TEXT = {404: "Sidan eller resursen finns inte.", 405: "Metoden stöds inte för den här adressen."}
NOT_FOUND = "Källan hittades inte. Saknar du behörighet kan du ange din token och försöka igen."

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


def create_app(service: Service | None = None) -> FastAPI:
    """Build the application around one service; refuses to start (ConfigError) on unsafe token config."""
    svc = service or Service()
    app = FastAPI(title="Kompetensassistenten", version="0.1.0",
                  description="Frågor och svar med källor om kompetensförsörjning i Västerbotten.",
                  responses={401: {"model": ErrorOut}, 403: {"model": ErrorOut}, 422: {"model": ErrorOut}})
    app.state.service = svc
    app.state.tokens = TokenRegistry(svc.settings.api.tokens)
    _limit_body_size(app)
    _add_error_handlers(app)
    _add_api_routes(app)
    _add_page_routes(app)
    if svc.settings.slack.signing_secret and svc.settings.slack.bot_token:
        from assistant import slack_bot

        slack_bot.mount(app, slack_bot.create_bolt_app(svc))
    return app


def _limit_body_size(app: FastAPI) -> None:
    @app.middleware("http")
    async def refuse_large_bodies(request: Request, call_next: Any) -> Response:
        if int(request.headers.get("content-length") or 0) > MAX_BODY_BYTES:
            return JSONResponse({"detail": "Begäran är för stor."}, status_code=413)
        return await call_next(request)  # type: ignore[no-any-return]


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


def _add_api_routes(app: FastAPI) -> None:
    @app.get("/healthz", response_model=HealthOut, tags=["drift"])
    def healthz(svc: Svc, scopes: Caller) -> dict[str, object]:
        """Indexet är laddat: antal dokument som anroparen får se och vektorlagrets läge."""
        return {"status": "ok", "index_loaded": True, "documents": len(svc.sources(scopes)),
                "store": svc.index.dense.mode.split()[0]}  # "server <url>": the URL is not for the public

    @app.post("/api/ask", response_model=AnswerOut, tags=["frågor"])
    def ask(body: AskRequest, svc: Svc, granted: Caller) -> dict[str, Any]:
        """Ställ en fråga; svaret har numrerade källor [n] inom anroparens behörigheter."""
        return svc.ask_logged(body.question, narrow(granted, body.scopes), "webb").to_dict()

    @app.get("/api/search", response_model=list[PassageOut], tags=["frågor"])
    def search(svc: Svc, granted: Caller, q: Annotated[str, Query(min_length=1, max_length=500)],
               k: Annotated[int, Query(ge=1, le=50)] = 10, scope: ScopeQuery = None) -> list[dict[str, Any]]:
        """Rankade textavsnitt inom anroparens behörigheter."""
        return [p.to_dict() for p in svc.search(q, narrow(granted, scope), k)]

    @app.get("/api/sources", response_model=list[DocumentOut], tags=["källor"])
    def sources(svc: Svc, granted: Caller, scope: ScopeQuery = None) -> list[dict[str, Any]]:
        """Indexerade dokument som anroparen får se."""
        return [d.to_dict() for d in svc.sources(narrow(granted, scope))]

    @app.get("/api/sources/{source_id}", response_model=SourceOut, responses={404: {"model": ErrorOut}},
             tags=["källor"])
    def source(source_id: str, svc: Svc, granted: Caller) -> dict[str, Any]:
        """Ett citerat textavsnitt med metadata (404 både om det saknas och om det ligger utanför behörigheten)."""
        found = svc.index.lexical.passages([source_id], granted) if _SOURCE_ID.match(source_id) else {}
        if source_id not in found:
            raise SourceNotFound(NOT_FOUND)
        return found[source_id].to_dict()

    @app.post("/api/draft", response_model=DraftOut, tags=["utkast"],
              responses={200: {"content": {DOCX: {}}, "description": "Utkastet som JSON eller Word-fil."}})
    def draft(body: DraftRequest, svc: Svc, granted: Caller) -> Any:
        """Utkast till handlingsplan för en kommun, som JSON (med Markdown) eller DOCX."""
        result = svc.draft(body.kommun, body.avsnitt, narrow(granted, body.scopes))
        if body.format == "json":
            return result.to_dict()
        filename = f"handlingsplan-{slugify(result.kommun)}-utkast.docx"
        return Response(svc.draft_docx(result), media_type=DOCX,
                        headers={"Content-Disposition": f'attachment; filename="{filename}"'})

    @app.post("/api/feedback", response_model=FeedbackOut, status_code=201, tags=["återkoppling"],
              responses={404: {"model": ErrorOut}})
    def feedback(body: FeedbackRequest, svc: Svc) -> dict[str, Any]:
        """Tumme upp/ner (och en kommentar) på ett svar som API:t eller Slack har gett."""
        feedback_id = svc.rate(body.answer_id, body.rating, body.comment, "webb")
        return {"feedback_id": feedback_id, "answer_id": body.answer_id, "rating": body.rating}


def _add_page_routes(app: FastAPI) -> None:
    app.mount("/static", StaticFiles(directory=WEB), name="static")

    @app.get("/", include_in_schema=False)
    def page() -> FileResponse:
        return FileResponse(WEB / "index.html", headers=_PAGE_HEADERS)

    @app.get("/kalla/{source_id}", include_in_schema=False)
    def source_page(source_id: str) -> FileResponse:
        return FileResponse(WEB / "index.html", headers=_PAGE_HEADERS)
