"""The API's routes and the web page's: each parses its request, calls the service once and formats the reply."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import FastAPI, Query
from fastapi.responses import FileResponse, Response
from fastapi.staticfiles import StaticFiles

from assistant.interfaces.api.deps import Caller, ScopeQuery, Svc
from assistant.interfaces.api.schemas import (
    AnswerOut,
    AskRequest,
    DocumentOut,
    DraftOut,
    DraftRequest,
    ErrorOut,
    FeedbackOut,
    FeedbackRequest,
    HealthOut,
    PassageOut,
    SourceOut,
)
from assistant.scopes import slugify

WEB = Path(__file__).resolve().parents[1] / "web"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
_PAGE_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; object-src 'none'; "
                               "base-uri 'none'; frame-ancestors 'none'; form-action 'self'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


def add_api_routes(app: FastAPI) -> None:
    """The JSON API under /api and /healthz."""
    @app.get("/healthz", response_model=HealthOut, tags=["drift"])
    def healthz(svc: Svc, scopes: Caller) -> dict[str, object]:
        """Indexet är laddat: antal dokument som anroparen får se och vektorlagrets läge."""
        return svc.health(scopes)

    @app.post("/api/ask", response_model=AnswerOut, tags=["frågor"])
    def ask(body: AskRequest, svc: Svc, granted: Caller) -> dict[str, Any]:
        """Ställ en fråga; svaret har numrerade källor [n] inom anroparens behörigheter."""
        return svc.ask_logged(body.question, svc.resolve_scopes(granted, body.scopes), "webb").to_dict()

    @app.get("/api/search", response_model=list[PassageOut], tags=["frågor"])
    def search(svc: Svc, granted: Caller, q: Annotated[str, Query(min_length=1, max_length=500)],
               k: Annotated[int, Query(ge=1, le=50)] = 10, scope: ScopeQuery = None) -> list[dict[str, Any]]:
        """Rankade textavsnitt inom anroparens behörigheter."""
        return [p.to_dict() for p in svc.search(q, svc.resolve_scopes(granted, scope), k)]

    @app.get("/api/sources", response_model=list[DocumentOut], tags=["källor"])
    def sources(svc: Svc, granted: Caller, scope: ScopeQuery = None) -> list[dict[str, Any]]:
        """Indexerade dokument som anroparen får se."""
        return [d.to_dict() for d in svc.sources(svc.resolve_scopes(granted, scope))]

    @app.get("/api/sources/{source_id}", response_model=SourceOut, responses={404: {"model": ErrorOut}},
             tags=["källor"])
    def source(source_id: str, svc: Svc, granted: Caller) -> dict[str, Any]:
        """Ett citerat textavsnitt med metadata (404 både om det saknas och om det ligger utanför behörigheten)."""
        return svc.source(source_id, granted).to_dict()

    @app.post("/api/draft", response_model=DraftOut, tags=["utkast"],
              responses={200: {"content": {DOCX: {}}, "description": "Utkastet som JSON eller Word-fil."}})
    def draft(body: DraftRequest, svc: Svc, granted: Caller) -> Any:
        """Utkast till handlingsplan för en kommun, som JSON (med Markdown) eller DOCX."""
        result = svc.draft(body.kommun, body.avsnitt, svc.resolve_scopes(granted, body.scopes))
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


def add_page_routes(app: FastAPI) -> None:
    """The web page, its static files and the source view (/kalla/<id>)."""
    app.mount("/static", StaticFiles(directory=WEB), name="static")

    @app.get("/", include_in_schema=False)
    def page() -> FileResponse:
        return FileResponse(WEB / "index.html", headers=_PAGE_HEADERS)

    @app.get("/kalla/{source_id}", include_in_schema=False)
    def source_page(source_id: str) -> FileResponse:
        return FileResponse(WEB / "index.html", headers=_PAGE_HEADERS)
