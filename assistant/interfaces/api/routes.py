"""The API's routes and the web page's: each parses its request, calls the service once and formats the reply."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import FastAPI, Query
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse, Response
from fastapi.staticfiles import StaticFiles

from assistant.interfaces.api.deps import Caller, ScopeQuery, SourceScopes, Svc
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
from assistant.records import Passage
from assistant.scopes import slugify
from assistant.service import SourceView

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
    def healthz(svc: Svc, scopes: Caller, response: Response) -> dict[str, object]:
        """Indexet svarar: antal dokument som anroparen får se och vektorlagrets läge (503 med orsak om inte)."""
        result = svc.health(scopes)
        if result["status"] != "ok":
            response.status_code = 503
        return result

    @app.post("/api/ask", response_model=AnswerOut, tags=["frågor"])
    def ask(body: AskRequest, svc: Svc, granted: Caller) -> dict[str, Any]:
        """Ställ en fråga; svaret har numrerade källor [n] inom anroparens behörigheter."""
        return svc.ask_logged(body.question, svc.resolve_scopes(granted, body.scopes), "webb", body.previous).to_dict()

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
    def source(source_id: str, svc: Svc, scopes: SourceScopes) -> dict[str, Any]:
        """Ett citerat textavsnitt med grannavsnitt och länk till originalet (404 både om det saknas och om det
        ligger utanför behörigheten). En signerad länk (b, exp, sig) från Slack ger sina behörigheter för källan."""
        return source_out(svc.source_view(source_id, scopes), svc.sign_source(source_id, scopes))

    @app.get("/api/sources/{source_id}/original", tags=["källor"], response_class=FileResponse,
             responses={404: {"model": ErrorOut}})
    def original(source_id: str, svc: Svc, scopes: SourceScopes) -> FileResponse:
        """Originalfilen som ett citerat textavsnitt kommer ur, med samma behörighetskontroll som källan."""
        path = svc.original_file(source_id, scopes)
        # A PDF must open in the browser's viewer (at #page=N); anything else may not run scripts.
        headers = {"X-Content-Type-Options": "nosniff"} | (
            {} if path.suffix.lower() == ".pdf" else {"Content-Security-Policy": "sandbox"})
        return FileResponse(path, filename=path.name, content_disposition_type="inline", headers=headers)

    @app.post("/api/draft", response_model=DraftOut, tags=["utkast"],
              responses={200: {"content": {DOCX: {}}, "description": "Utkastet som JSON eller Word-fil."}})
    def draft(body: DraftRequest, svc: Svc, granted: Caller) -> Any:
        """Utkast till handlingsplan för en kommun, som JSON (med Markdown) eller DOCX."""
        result = svc.draft(body.kommun, body.avsnitt, svc.resolve_scopes(granted, body.scopes), year=body.year,
                           access=body.access)
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


def source_out(view: SourceView, link: dict[str, str]) -> dict[str, Any]:
    """The source view's JSON: the passage, its neighbours and a signed link to the original file."""
    passage = view.passage
    url = None
    if view.original:
        url = f"/api/sources/{quote(passage.source_id, safe='')}/original?{urlencode(link)}"
        if passage.page and passage.path.lower().endswith(".pdf"):
            url += f"#page={passage.page}"

    def near(p: Passage) -> dict[str, Any]:
        return {"source_id": p.source_id, "text": p.text, "page": p.page, "section": p.section}
    return passage.to_dict() | {"before": [near(p) for p in view.before], "after": [near(p) for p in view.after],
                                "original_url": url}


def add_docs_routes(app: FastAPI) -> None:
    """Swagger UI at /docs from the packaged swagger-ui-bundle: it renders without network access."""
    import swagger_ui_bundle

    app.mount("/docs-static", StaticFiles(directory=str(swagger_ui_bundle.swagger_ui_path)), name="docs-static")

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return get_swagger_ui_html(openapi_url=app.openapi_url or "/openapi.json",
                                   title="Kompetensassistenten – API-dokumentation",
                                   swagger_js_url="/docs-static/swagger-ui-bundle.js",
                                   swagger_css_url="/docs-static/swagger-ui.css",
                                   swagger_favicon_url="/docs-static/favicon-32x32.png")


def add_page_routes(app: FastAPI) -> None:
    """The web page, its static files and the source view (/kalla/<id>)."""
    app.mount("/static", StaticFiles(directory=WEB), name="static")

    @app.get("/", include_in_schema=False)
    def page() -> FileResponse:
        return FileResponse(WEB / "index.html", headers=_PAGE_HEADERS)

    @app.get("/kalla/{source_id}", include_in_schema=False)
    def source_page(source_id: str) -> FileResponse:
        return FileResponse(WEB / "index.html", headers=_PAGE_HEADERS)
