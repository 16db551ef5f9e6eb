"""The web API over a real service and a small Markdown corpus: auth, validation, sources, drafts, feedback."""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient

from assistant.config import Settings
from assistant.errors import ConfigError, GenerationFailed, IndexUnavailable, KompetensError
from assistant.interfaces.api import NOT_FOUND, create_app
from assistant.records import DRAFT_SECTIONS, Answer, Citation, Draft, DraftSection, Passage
from assistant.scopes import sign_link
from assistant.service import Service
from tests.conftest import REPO, make_settings, write

RULE = {"dense_strong": 2.0, "dense_min": 0.0, "coverage_min": 0.6}
TOKEN_PROJEKT = "tp-6f1c0e9a4b7d2e8f5a3c"  # projekt + kommun:dorotea
TOKEN_ASELE = "ta-93be41d07c25f8a6e1b4"  # kommun:asele
TOKENS = {TOKEN_PROJEKT: ["projekt", "kommun:dorotea"], TOKEN_ASELE: ["kommun:asele"]}
FAKE_DOCX = b"PK\x03\x04 fake docx for "

Q_PUBLIC = "Hur många arbetsgivare samlar branschrådet i Vilhelmina?"
Q_PROJEKT = "Hur ofta ska kompetensmäklarna träffas enligt styrgruppen?"
Q_ASELE = "Hur många svetsare behöver Sågverket Norrfors i Åsele?"


def build_corpus(root: Path) -> list[tuple[str, Path]]:
    """Four small documents with their scopes."""
    return [
        ("publik", write(root / "pub" / "lardom-branschrad.md",
                        "# Lärdom: branschråd i Vilhelmina\n\n## Vad vi gjorde\n\nI Vilhelmina startade ett branschråd "
                        "för besöksnäringen hösten 2024. Rådet samlar tolv arbetsgivare och vuxenutbildningen fyra "
                        "gånger per år.\n\n## Resultat\n\nEn yrkesvuxutbildning till kock startade 2025 med 14 deltagare.\n")),
        ("publik", write(root / "pub" / "strategi.md",
                         "# Regional utvecklingsstrategi\n\nVästerbotten ska vara rikt på kompetenser. "
                         "Samverkan mellan kommuner är en förutsättning.\n")),
        ("projekt", write(root / "projekt" / "styrgrupp.md",
                         "# Styrgruppens protokoll\n\nStyrgruppen beslutade att kompetensmäklarna ska träffas varannan "
                         "vecka under 2025.\n")),
        ("kommun:asele", write(root / "asele" / "intervjuer.md",
                              "# Intervjuer med arbetsgivare i Åsele\n\nSågverket Norrfors AB i Åsele behöver sex "
                              "svetsare under 2025.\n")),
    ]


def make_draft(kommun: str, avsnitt: Sequence[str] | None, scopes: Sequence[str], source: Passage | None) -> Draft:
    """A small draft like the real drafting stage returns: Markdown sections with [1], a table, one source."""
    keys = list(avsnitt or [k for k, _ in DRAFT_SECTIONS])
    headings = dict(DRAFT_SECTIONS)
    body = ("Arbetsgivarna samlas i ett branschråd [1].\n\n| Yrke | Antal |\n| --- | --- |\n| Kock | 14 |\n\n"
            "- Yrkesvux för kockar\n- <script>window.xss = 1</script> ska visas som text")
    sections = tuple(DraftSection(k, headings[k], body if i == 0 else "[Att komplettera: uppgifter saknas.]", gaps=i > 0)
                     for i, k in enumerate(keys))
    citations = () if source is None else (Citation(1, source.source_id, source.title, source.path, source.scope,
                                                     source.text[:60], source.page, source.section, source.kommun),)
    return Draft(kommun, 2025, sections, citations, tuple(scopes), "2025-05-01", draft_id="d1")


class DraftingService(Service):
    """The real service, with drafting (written elsewhere) replaced by a fixed draft over a real passage."""

    def __init__(self, settings: Settings) -> None:
        super().__init__(settings)
        self.draft_calls: list[tuple[str, tuple[str, ...] | None, tuple[str, ...]]] = []
        self.draft_options: list[dict[str, Any]] = []

    def draft(self, kommun: str, avsnitt: Sequence[str] | None, caller_scopes: Sequence[str],
              **options: Any) -> Draft:
        self.draft_calls.append((kommun, tuple(avsnitt) if avsnitt else None, tuple(caller_scopes)))
        self.draft_options.append(options)
        hits = self.search("branschråd arbetsgivare Vilhelmina", caller_scopes, 1)
        return make_draft(kommun, avsnitt, caller_scopes, hits[0] if hits else None)

    def draft_docx(self, draft: Draft) -> bytes:
        return FAKE_DOCX + draft.kommun.encode()


def make_service(root: Path, **overrides: object) -> DraftingService:
    """A service over the corpus in `root` (ingested by scope), with the API tokens above."""
    corpus = build_corpus(root)
    values: dict[str, object] = {"answer": RULE, "api": {"tokens": TOKENS}, "source_roots": [root], **overrides}
    svc = DraftingService(make_settings(root / "data", **values))
    for scope, path in corpus:
        svc.ingest([path], scope=scope)
    return svc


@pytest.fixture(scope="module")
def svc(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DraftingService]:
    service = make_service(tmp_path_factory.mktemp("api"))
    yield service
    service.feedback.close()


@pytest.fixture(scope="module")
def client(svc: DraftingService) -> TestClient:
    return TestClient(create_app(svc))


def bearer(token: str | None) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"} if token else {}


def source_id(svc: Service, question: str, scopes: Sequence[str]) -> str:
    return svc.search(question, scopes, 1)[0].source_id


# ---- authentication and scopes ----------------------------------------------------------------

@pytest.mark.parametrize("token, requested, status, scopes", [
    (None, None, 200, ["publik"]),
    (None, ["publik"], 200, ["publik"]),
    (None, ["projekt"], 403, None),
    (TOKEN_PROJEKT, None, 200, ["kommun:dorotea", "projekt"]),
    (TOKEN_PROJEKT, ["projekt"], 200, ["projekt"]),
    (TOKEN_PROJEKT, ["kommun:asele"], 403, None),
    (TOKEN_PROJEKT, ["publik"], 403, None),  # a token's scopes are what it lists, nothing implied
    ("okand-token-123456", None, 401, None),
    ("okand-token-123456", ["publik"], 401, None),
])
def test_auth_matrix(client: TestClient, token: str | None, requested: list[str] | None, status: int,
                     scopes: list[str] | None):
    body: dict[str, object] = {"question": Q_PUBLIC} | ({"scopes": requested} if requested else {})
    response = client.post("/api/ask", json=body, headers=bearer(token))
    assert response.status_code == status, response.text
    if scopes is not None:
        assert response.json()["scopes"] == scopes
    if status == 401:
        assert response.headers["www-authenticate"] == "Bearer"
        assert response.json()["detail"].startswith("Okänd token")
    if status == 403:
        assert response.json()["detail"].startswith("Du saknar behörighet för:")


def test_malformed_authorization_header_is_refused(client: TestClient):
    response = client.get("/api/sources", headers={"Authorization": f"Basic {TOKEN_PROJEKT}"})
    assert response.status_code == 401 and "Bearer" in response.json()["detail"]


def test_answers_and_lists_stay_within_the_callers_scopes(client: TestClient):
    public = client.post("/api/ask", json={"question": Q_ASELE}).json()
    assert "Norrfors" not in json.dumps(public, ensure_ascii=False)
    assert all(c["scope"] == "publik" for c in public["citations"])
    asele = client.post("/api/ask", json={"question": Q_ASELE}, headers=bearer(TOKEN_ASELE)).json()
    assert not asele["refused"] and "sex svetsare" in asele["answer"]
    assert {c["scope"] for c in asele["citations"]} == {"kommun:asele"}
    projekt = client.post("/api/ask", json={"question": Q_PROJEKT}, headers=bearer(TOKEN_PROJEKT)).json()
    assert "varannan vecka" in projekt["answer"]

    def paths(token: str | None) -> set[str]:
        return {d["path"].rsplit("/", 1)[-1] for d in client.get("/api/sources", headers=bearer(token)).json()}
    assert paths(None) == {"lardom-branschrad.md", "strategi.md"}
    assert paths(TOKEN_PROJEKT) == {"styrgrupp.md"}
    assert paths(TOKEN_ASELE) == {"intervjuer.md"}
    hits = client.get("/api/search", params={"q": "svetsare Norrfors"}).json()
    assert all(h["scope"] == "publik" for h in hits) and "Norrfors" not in json.dumps(hits, ensure_ascii=False)


# ---- validation -------------------------------------------------------------------------------

@pytest.mark.parametrize("path, body, expected", [
    ("/api/ask", {"question": ""}, "Frågan får inte vara tom."),
    ("/api/ask", {"question": "   \n "}, "Frågan får inte vara tom."),
    ("/api/ask", {"question": "å" * 1001}, "Frågan får vara högst 1000 tecken (den har 1001)."),
    ("/api/ask", {}, "Frågan saknas."),
    ("/api/ask", {"question": "Hej", "fråga": "x"}, "Okänt fält 'fråga'."),
    ("/api/ask", {"question": "Hej", "scopes": ["kommun:"]}, "Okänd behörighet"),
    ("/api/draft", {"kommun": "Stockholm"}, "Okänd kommun 'Stockholm'. Välj en av länets kommuner: Bjurholm"),
    ("/api/draft", {"kommun": "Åsele", "avsnitt": ["budget"]}, "Okänt avsnitt 'budget'. Välj bland: bakgrund"),
    ("/api/draft", {"kommun": "Åsele", "format": "pdf"}, "Formatet ska vara något av: 'json' eller 'docx'."),
    ("/api/feedback", {"answer_id": "x", "rating": "kanske"}, 'Betyget ska vara +1 eller -1 ("upp" eller "ner").'),
    ("/api/feedback", {"answer_id": "x", "rating": 1, "comment": "k" * 2001}, "Kommentaren får vara högst 2000 tecken."),
])
def test_validation_errors_are_swedish_422(client: TestClient, path: str, body: dict[str, object], expected: str):
    response = client.post(path, json=body)
    assert response.status_code == 422, response.text
    detail = response.json()["detail"]
    assert isinstance(detail, str) and detail.startswith(expected)
    for english in ("Field required", "String should", "Input should", "Value error", "Extra inputs"):
        assert english not in response.text


def test_invalid_json_and_query_limits_are_swedish(client: TestClient):
    bad = client.post("/api/ask", content=b'{"question": ', headers={"Content-Type": "application/json"})
    assert bad.status_code == 422 and bad.json()["detail"] == "Begäran är inte giltig JSON."
    assert client.get("/api/search", params={"q": ""}).json()["detail"] == "Sökfrågan får inte vara tom."
    assert client.get("/api/search", params={"q": "x", "k": 99}).json()["detail"] == "Antalet träffar får vara högst 50."
    assert client.get("/finns-inte").json()["detail"] == "Sidan eller resursen finns inte."
    huge = client.post("/api/ask", content=b" " * 1_000_001, headers={"Content-Type": "application/json"})
    assert huge.status_code == 413 and huge.json() == {"detail": "Begäran är för stor."}


# ---- errors ----------------------------------------------------------------------------------

class FailingService(DraftingService):
    """Raises the error the question names."""

    failures = {"index": IndexUnavailable("Indexet kan inte nås. Kör 'kompetens ingest' först."),
                "llm": GenerationFailed("Språkmodellen svarade inte."),
                "annat": KompetensError("Något i underlaget saknas."),
                "bugg": RuntimeError("hemlig detalj /srv/kompetens/secret.py rad 12")}

    def ask(self, question: str, caller_scopes: Sequence[str], previous: Sequence[str] = ()) -> Answer:
        raise self.failures[question]


@pytest.mark.parametrize("question, status, detail", [
    ("index", 503, "Indexet kan inte nås. Kör 'kompetens ingest' först."),
    ("llm", 502, "Språkmodellen svarade inte."),
    ("annat", 400, "Något i underlaget saknas."),
    ("bugg", 500, "Något gick fel på servern. Försök igen om en stund."),
])
def test_domain_errors_map_to_statuses_and_nothing_internal_leaks(tmp_path: Path, question: str, status: int,
                                                                   detail: str):
    app = create_app(FailingService(make_settings(tmp_path / "data")))
    response = TestClient(app, raise_server_exceptions=False).post("/api/ask", json={"question": question})
    assert response.status_code == status
    assert response.json() == {"detail": detail}
    assert "Traceback" not in response.text and "secret.py" not in response.text


@pytest.mark.parametrize("tokens", [
    {"": ["projekt"]}, {"changeme": ["projekt"]}, {"  Secret ": ["publik"]}, {"token": ["publik"]},
    {"tp-bra-och-lang-token-1": ["projekt"], "changeme": ["publik"]},
])
def test_app_refuses_to_start_with_empty_or_default_token(tmp_path: Path, tokens: dict[str, list[str]]):
    with pytest.raises(ConfigError, match="KOMPETENS_API_TOKENS innehåller en tom token eller en exempeltoken"):
        create_app(Service(make_settings(tmp_path / "data", api={"tokens": tokens})))


def test_serve_command_refuses_default_token_with_swedish_error(tmp_path: Path):
    env = {**os.environ, "KOMPETENS_DATA_DIR": str(tmp_path / "data"), "KOMPETENS_EMBED_BACKEND": "hash",
           "KOMPETENS_API_TOKENS": json.dumps({"changeme": ["projekt"]})}
    result = subprocess.run([sys.executable, "-m", "assistant.interfaces.cli", "serve", "--port", "1"], cwd=REPO, env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "exempeltoken" in result.stderr and "Traceback" not in result.stderr


def test_tokens_never_appear_in_logs_or_responses(client: TestClient, caplog: pytest.LogCaptureFixture):
    caplog.set_level(logging.DEBUG)
    texts = [
        client.post("/api/ask", json={"question": Q_PUBLIC}, headers=bearer(TOKEN_PROJEKT)).text,
        client.post("/api/ask", json={"question": Q_PUBLIC, "scopes": ["kommun:asele"]}, headers=bearer(TOKEN_PROJEKT)).text,
        client.post("/api/ask", json={"question": ""}, headers=bearer(TOKEN_ASELE)).text,
        client.get("/api/sources", headers=bearer(TOKEN_ASELE + "x")).text,
        client.get("/api/sources", headers={"Authorization": f"Basic {TOKEN_ASELE}"}).text,
        client.get("/healthz", headers=bearer(TOKEN_PROJEKT)).text,
    ]
    for token in (TOKEN_PROJEKT, TOKEN_ASELE):
        assert token not in caplog.text
        assert not any(token in t for t in texts)


# ---- source view, health, drafts, feedback --------------------------------------------------------

def test_source_view_within_scope_and_out_of_scope_looks_missing(client: TestClient, svc: DraftingService):
    public_id = source_id(svc, "branschråd Vilhelmina", ["publik"])
    shown = client.get(f"/api/sources/{public_id}").json()
    assert shown["source_id"] == public_id and "tolv arbetsgivare" in shown["text"]
    assert shown["title"] == "Lärdom: branschråd i Vilhelmina" and shown["type"] == "lardom" and shown["scope"] == "publik"
    internal_id = source_id(svc, "svetsare Norrfors", ["kommun:asele"])
    assert client.get(f"/api/sources/{internal_id}", headers=bearer(TOKEN_ASELE)).json()["text"].startswith("Sågverket")
    responses = [client.get(f"/api/sources/{internal_id}"),
                 client.get(f"/api/sources/{internal_id}", headers=bearer(TOKEN_PROJEKT)),
                 client.get("/api/sources/finns-inte:0000000000:0000"),
                 client.get("/api/sources/" + "x" * 500)]
    for response in responses:
        assert response.status_code == 404
        assert response.json() == {"detail": NOT_FOUND}
        assert response.headers.get("content-length") == responses[0].headers.get("content-length")


def test_healthz_counts_only_visible_documents(client: TestClient):
    health = client.get("/healthz").json()
    assert {k: health[k] for k in ("status", "index_loaded", "documents", "store")} == \
        {"status": "ok", "index_loaded": True, "documents": 2, "store": "inbäddad"}
    assert client.get("/healthz", headers=bearer(TOKEN_PROJEKT)).json()["documents"] == 1


def test_draft_json_and_docx(client: TestClient, svc: DraftingService):
    draft = client.post("/api/draft", json={"kommun": "asele", "avsnitt": ["Nulage", "tidplan"]}).json()
    assert svc.draft_calls[-1] == ("Åsele", ("nulage", "tidplan"), ("publik",))
    assert draft["kommun"] == "Åsele" and [s["key"] for s in draft["sections"]] == ["nulage", "tidplan"]
    assert draft["markdown"].startswith("# Handlingsplan 2025 – Åsele (utkast)") and "[1]" in draft["markdown"]
    assert draft["citations"][0]["scope"] == "publik"
    docx = client.post("/api/draft", json={"kommun": "Åsele", "format": "docx"}, headers=bearer(TOKEN_ASELE))
    assert docx.status_code == 200
    assert docx.headers["content-type"] == "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    assert docx.headers["content-disposition"] == 'attachment; filename="handlingsplan-asele-utkast.docx"'
    assert docx.content == FAKE_DOCX + "Åsele".encode()
    assert svc.draft_calls[-1] == ("Åsele", None, ("kommun:asele",))
    denied = client.post("/api/draft", json={"kommun": "Åsele", "scopes": ["projekt"]})
    assert denied.status_code == 403 and svc.draft_calls[-1][2] == ("kommun:asele",)
    assert svc.draft_options[-1] == {"year": None, "access": "publik"}
    client.post("/api/draft", json={"kommun": "Åsele", "år": 2027, "behörighet": "intern"})
    assert svc.draft_options[-1] == {"year": 2027, "access": "intern"}
    bad = client.post("/api/draft", json={"kommun": "Åsele", "behörighet": "hemlig"})
    assert bad.status_code == 422


def test_feedback_is_stored_with_the_answer_in_sqlite(client: TestClient, svc: DraftingService):
    answer = client.post("/api/ask", json={"question": Q_PROJEKT}, headers=bearer(TOKEN_PROJEKT)).json()
    stored = client.post("/api/feedback", json={"answer_id": answer["answer_id"], "rating": "upp",
                                                "comment": "Bra, med källa!"})
    assert stored.status_code == 201
    assert stored.json() == {"feedback_id": stored.json()["feedback_id"], "answer_id": answer["answer_id"], "rating": 1}
    assert client.post("/api/feedback", json={"answer_id": answer["answer_id"], "rating": -1}).status_code == 201
    unknown = client.post("/api/feedback", json={"answer_id": "0" * 32, "rating": "ner"})
    assert unknown.status_code == 404 and unknown.json()["detail"].startswith("Svaret finns inte")

    db = sqlite3.connect(Path(svc.settings.data_dir) / "feedback.sqlite")
    question, answer_json, scopes, channel = db.execute(
        "SELECT question, answer_json, scopes, channel FROM answers WHERE answer_id = ?", (answer["answer_id"],)
    ).fetchone()
    assert question == Q_PROJEKT and channel == "webb" and json.loads(scopes) == ["kommun:dorotea", "projekt"]
    assert json.loads(answer_json)["answer"] == answer["answer"]
    rows = db.execute("SELECT rating, comment, channel FROM feedback WHERE answer_id = ? ORDER BY id",
                      (answer["answer_id"],)).fetchall()
    assert rows == [(1, "Bra, med källa!", "webb"), (-1, None, "webb")]
    db.close()


def test_page_openapi_and_static_files(client: TestClient):
    page = client.get("/")
    assert page.status_code == 200 and '<html lang="sv">' in page.text and 'name="viewport"' in page.text
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assert client.get("/kalla/pub-x:1:0000").text == page.text
    assert client.get("/static/app.js").status_code == 200
    paths = client.get("/openapi.json").json()["paths"]
    assert {"/api/ask", "/api/draft", "/api/sources", "/api/sources/{source_id}", "/api/feedback", "/api/search",
            "/healthz"} <= set(paths)
    assert "/slack/events" not in paths and client.post("/slack/events").status_code == 404


# ---- reliability (issue 13) ---------------------------------------------------------------------

def test_chunked_body_without_content_length_is_capped(client: TestClient):
    def stream(total: int, step: int = 64 * 1024) -> Iterator[bytes]:
        for _ in range(0, total, step):
            yield b" " * step

    huge = client.post("/api/ask", content=stream(3_000_000), headers={"Content-Type": "application/json"})
    assert huge.status_code == 413 and huge.json() == {"detail": "Begäran är för stor."}
    small = client.post("/api/ask", content=iter([json.dumps({"question": Q_PUBLIC}).encode()]),
                        headers={"Content-Type": "application/json"})
    assert small.status_code == 200, small.text


def test_healthz_reports_a_broken_index_as_503(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    service = make_service(tmp_path)
    client = TestClient(create_app(service))
    health = client.get("/healthz").json()
    assert health["status"] == "ok" and health["chunks"] == health["vectors"] > 0

    def broken(*_: object, **__: object) -> None:
        raise RuntimeError("Error executing plan: Internal error: Error finding id")

    monkeypatch.setattr(service.index.dense, "query", broken)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["status"] == "fel" and "Error finding id" in response.json()["error"]


def test_sources_hide_the_id_of_a_replaced_document_out_of_scope(tmp_path: Path):
    root = tmp_path / "korpus"
    write(root / "plan-2024.md", "# Handlingsplan 2024\n\nArbetsversion med interna namn.\n")
    write(root / "plan-2025.md", "# Handlingsplan 2025\n\nDen beslutade planen.\n")
    write(root / "manifest.yaml", """documents:
  - {path: plan-2025.md, title: Plan 2025, type: handlingsplan, scope: publik, replaces: plan-2024.md}
  - {path: plan-2024.md, title: Plan 2024, type: handlingsplan, scope: projekt}
""")
    service = Service(make_settings(tmp_path / "data", api={"tokens": TOKENS}))
    assert not service.ingest([root]).failed
    client = TestClient(create_app(service))
    public = client.get("/api/sources").json()
    assert [d["title"] for d in public] == ["Plan 2025"] and public[0]["replaces"] is None
    assert "plan-2024" not in json.dumps(public)
    projekt = client.get("/api/sources", headers=bearer(TOKEN_PROJEKT)).json()
    assert projekt == [] or all(d["replaces"] is None for d in projekt)  # projekt alone does not see publik
    both = service.sources(["publik", "projekt"])
    assert next(d for d in both if d.title == "Plan 2025").replaces.startswith("korpus-plan-2024-md-") or \
        "plan-2024" in next(d for d in both if d.title == "Plan 2025").replaces


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_running_server_finds_a_document_ingested_by_another_process(tmp_path: Path):
    """`kompetens serve` keeps answering (no 500) and finds a document a CLI `ingest` added meanwhile."""
    import time
    import urllib.error
    import urllib.request

    root = tmp_path / "korpus"
    write(root / "a.md", "# Branschråd\n\nBranschrådet i Vilhelmina samlar tolv arbetsgivare.\n")
    env = {**os.environ, "KOMPETENS_EMBED_BACKEND": "hash", "KOMPETENS_DATA_DIR": str(tmp_path / "data"),
           "KOMPETENS_INGEST_DEFAULT_SCOPE": "publik", "KOMPETENS_LLM_PROVIDER": "none"}
    env.pop("KOMPETENS_API_TOKENS", None)
    kompetens = [sys.executable, "-m", "assistant.interfaces.cli"]
    subprocess.run([*kompetens, "ingest", str(root)], env=env, cwd=tmp_path, check=True, capture_output=True)
    # A second scope makes a publik caller's dense search filtered: the search that failed with
    # "Error finding id" after another process wrote.
    write(tmp_path / "intern" / "c.md", "# Styrgrupp\n\nStyrgruppen träffas varannan vecka.\n")
    subprocess.run([*kompetens, "ingest", "--scope", "projekt", str(tmp_path / "intern")], env=env, cwd=tmp_path,
                   check=True, capture_output=True)
    port = _free_port()
    server = subprocess.Popen([*kompetens, "serve", "--host", "127.0.0.1", "--port", str(port)], env=env,
                              cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"

    def get(path: str) -> tuple[int, object]:
        try:
            with urllib.request.urlopen(base + path, timeout=30) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read() or b"null")

    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                status, health = get("/healthz")
                break
            except (urllib.error.URLError, ConnectionError):
                assert server.poll() is None and time.monotonic() < deadline, server.stderr.read() if server.stderr else ""
                time.sleep(0.3)
        assert status == 200 and health["documents"] == 1  # type: ignore[index]
        assert get("/api/search?q=branschr%C3%A5d")[0] == 200  # the server has its index open

        write(root / "b.md", "# Svetsare\n\nSågverket Norrfors behöver sex svetsare under 2025.\n")
        write(root / "a.md", "# Branschråd\n\nBranschrådet i Vilhelmina samlar femton arbetsgivare.\n")
        subprocess.run([*kompetens, "ingest", str(root)], env=env, cwd=tmp_path, check=True, capture_output=True)

        status, hits = get("/api/search?q=svetsare%20Norrfors&k=5")
        assert status == 200, hits
        assert any("svetsare" in h["text"] for h in hits)
        status, hits = get("/api/search?q=branschr%C3%A5det%20arbetsgivare&k=5")
        assert status == 200 and any("femton" in h["text"] for h in hits), hits
        request = urllib.request.Request(base + "/api/ask", method="POST", headers={"Content-Type": "application/json"},
                                         data=json.dumps({"question": "Hur många svetsare behöver Sågverket Norrfors?"}).encode())
        with urllib.request.urlopen(request, timeout=60) as response:
            assert response.status == 200
        status, health = get("/healthz")
        assert status == 200 and health["status"] == "ok" and health["documents"] == 2
    finally:
        server.terminate()
        server.wait(timeout=20)


# ---- conversation and signed source links ---------------------------------------------------------

@pytest.mark.parametrize("previous, expected", [
    (["a", "b", "c", "d"], "Skicka högst 3 tidigare frågor (det kom 4)."),
    (["Vilka bristyrken finns i Åsele?", "å" * 1001], "Tidigare fråga 2 får vara högst 1000 tecken (den har 1001)."),
    ("Vilka bristyrken finns i Åsele?", "De tidigare frågorna ska vara en lista."),
    ([1], "De tidigare frågorna ska vara text."),
])
def test_previous_questions_are_validated_in_swedish(client: TestClient, previous: object, expected: str):
    response = client.post("/api/ask", json={"question": "Och i Dorotea?", "previous": previous})
    assert response.status_code == 422 and response.json()["detail"] == expected


def test_follow_up_is_answered_with_the_earlier_questions(client: TestClient, svc: DraftingService):
    calls: list[tuple[str, tuple[str, ...]]] = []
    original = svc.ask

    def spy(question: str, caller_scopes: Sequence[str], previous: Sequence[str] = ()) -> Answer:
        calls.append((question, tuple(previous)))
        return original(question, caller_scopes, previous)
    svc.ask = spy  # type: ignore[method-assign]
    try:
        body = client.post("/api/ask", json={"question": "Och hur många deltagare?", "previous": [Q_PUBLIC]}).json()
    finally:
        del svc.ask
    assert calls == [("Och hur många deltagare?", (Q_PUBLIC,))]
    assert "question" not in body or body["question"] != "Och hur många deltagare?"


def test_signed_source_links_and_the_original_file(client: TestClient, svc: DraftingService, tmp_path: Path):
    internal = source_id(svc, "svetsare Norrfors", ["kommun:asele"])
    link = svc.sign_source(internal, ["kommun:asele"])
    shown = client.get(f"/api/sources/{internal}", params=link)
    assert shown.status_code == 200 and shown.json()["text"].startswith("Sågverket Norrfors")
    original = shown.json()["original_url"]
    assert original.startswith(f"/api/sources/{quote(internal, safe='')}/original?b=kommun%3Aasele%2Cpublik&exp=")
    served = client.get(original)
    assert served.status_code == 200 and "Sågverket Norrfors AB" in served.text
    assert served.headers["content-security-policy"] == "sandbox"
    tampered = client.get(f"/api/sources/{internal}", params=link | {"b": "kommun:asele,projekt"})
    assert tampered.status_code == 403 and tampered.json()["detail"].startswith("Länken till källan är ogiltig")
    expired = link | {"exp": "1000", "sig": sign_link(svc.link_key, internal, ["kommun:asele"], 1000)}
    assert client.get(f"/api/sources/{internal}", params=expired).json()["detail"].startswith("Länken till källan har gått ut")
    other = svc.sign_source(internal, ["publik"])
    assert client.get(f"/api/sources/{internal}", params=other).json() == {"detail": NOT_FOUND}
    assert client.get(f"/api/sources/{internal}/original", params=other).status_code == 404


def test_original_files_outside_the_source_roots_are_never_served(tmp_path: Path):
    outside = make_service(tmp_path, source_roots=[tmp_path / "pub"])
    internal = source_id(outside, "svetsare Norrfors", ["kommun:asele"])
    app = TestClient(create_app(outside))
    response = app.get(f"/api/sources/{internal}/original", headers=bearer(TOKEN_ASELE))
    assert response.status_code == 404 and response.json()["detail"].startswith("Originalfilen finns inte")
    assert app.get(f"/api/sources/{internal}", headers=bearer(TOKEN_ASELE)).json()["original_url"] is None
    outside.feedback.close()


def test_docs_are_served_from_the_package(client: TestClient):
    docs = client.get("/docs")
    assert docs.status_code == 200 and "/docs-static/swagger-ui-bundle.js" in docs.text and "cdn" not in docs.text
    assert client.get("/docs-static/swagger-ui-bundle.js").status_code == 200
