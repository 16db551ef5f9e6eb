"""The web API and page (FastAPI). Routes are thin: they parse input and call the service."""

from __future__ import annotations

from fastapi import Depends, FastAPI, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse

from assistant.errors import IndexUnavailable, KompetensError
from assistant.scopes import PUBLIC
from assistant.service import Service

_PAGE = """<!doctype html>
<html lang="sv"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Kompetensassistenten</title></head>
<body><main><h1>Kompetensassistenten</h1>
<p>Underlaget är indexerat. Sök i de publika dokumenten via <a href="/docs">API:t</a>.</p></main></body></html>"""


def create_app(service: Service | None = None) -> FastAPI:
    """Build the application around one service instance."""
    app = FastAPI(title="Kompetensassistenten", description="Frågor och svar med källor om kompetensförsörjning.")
    app.state.service = service or Service()

    def get_service(request: Request) -> Service:
        return request.app.state.service  # type: ignore[no-any-return]

    @app.exception_handler(KompetensError)
    async def domain_error(_: Request, exc: KompetensError) -> JSONResponse:
        status = 503 if isinstance(exc, IndexUnavailable) else 400
        return JSONResponse({"detail": str(exc)}, status_code=status)

    @app.get("/", response_class=HTMLResponse)
    def page() -> str:
        return _PAGE

    @app.get("/healthz")
    def healthz(svc: Service = Depends(get_service)) -> dict[str, object]:
        docs = svc.index.lexical.documents()
        return {"status": "ok", "documents": len(docs), "store": svc.index.dense.mode}

    @app.get("/api/search")
    def search(q: str = Query(..., min_length=1, max_length=500), k: int = Query(10, ge=1, le=50),
               svc: Service = Depends(get_service)) -> list[dict[str, object]]:
        return [p.to_dict() for p in svc.search(q, [PUBLIC], k)]

    @app.get("/api/sources")
    def sources(svc: Service = Depends(get_service)) -> list[dict[str, object]]:
        return [d.to_dict() for d in svc.sources([PUBLIC])]

    return app
