"""The web page in a real browser (Debian's headless Chromium via Playwright) against a live uvicorn server."""

from __future__ import annotations

import json
import socket
import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import pytest
import uvicorn

from assistant.interfaces.api import create_app
from assistant.scopes import sign_link
from tests.test_api import FAKE_DOCX, Q_PUBLIC, TOKEN_ASELE, DraftingService, make_service

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
SCREENSHOT = Path("/tmp/kompetens-web.png")

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(),
                                reason="/usr/bin/chromium saknas (Debian-paketet chromium): webbläsartestet kan inte köras")

sync_api = pytest.importorskip("playwright.sync_api")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def svc(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DraftingService]:
    service = make_service(tmp_path_factory.mktemp("web"))
    yield service
    service.feedback.close()


@pytest.fixture(scope="module")
def base_url(svc: DraftingService) -> Iterator[str]:
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(svc), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn started not within 15 s")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def context(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    with sync_api.sync_playwright() as pw:
        ctx = pw.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profil")), executable_path=str(CHROMIUM), args=ARGS,
            headless=True, accept_downloads=True, locale="sv-SE", viewport={"width": 1280, "height": 900},
        )
        ctx.set_default_timeout(10_000)
        yield ctx
        ctx.close()


@pytest.fixture
def page(context: Any, base_url: str) -> Iterator[Any]:
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda exc: errors.append(str(exc)))
    tab.goto(base_url + "/")
    yield tab
    tab.close()
    assert errors == [], f"JavaScript-fel på sidan: {errors}"


def ask(page: Any, question: str) -> None:
    page.get_by_label("Din fråga").fill(question)
    page.get_by_role("button", name="Fråga", exact=True).click()


def test_ask_see_cited_answer_open_source_and_give_feedback(page: Any, svc: DraftingService, tmp_path: Path):
    ask(page, Q_PUBLIC)
    answer = page.locator("#answer")
    answer.wait_for(state="visible")
    assert "tolv arbetsgivare" in page.locator(".turn .answer-text").inner_text()
    assert page.locator(".turn .answer-text a.cite").first.inner_text() == "[1]"
    assert answer.get_attribute("aria-live") == "polite" and answer.get_attribute("aria-busy") == "false"
    source = page.locator(".turn .sources li").first
    assert "Lärdom: branschråd i Vilhelmina" in source.inner_text()

    page.locator(".turn .answer-text a.cite").first.click()
    page.locator("#source-body").wait_for(state="visible")
    assert page.locator("#source-title").inner_text() == "Lärdom: branschråd i Vilhelmina"
    assert "tolv arbetsgivare" in page.locator("#source-text").inner_text()
    assert "tolv arbetsgivare" in page.locator("#source-text mark").inner_text()  # the cited quote, highlighted
    meta = page.locator("#source-meta").inner_text()
    assert "Lärdom" in meta and "Publik" in meta
    page.screenshot(path=str(tmp_path / "svar.png"), full_page=True)
    page.screenshot(path=str(SCREENSHOT), full_page=True)

    page.get_by_label("Kommentar (frivillig)").fill("Tydligt svar")
    page.get_by_role("button", name="Bra svar").click()
    page.get_by_text("Tack för ditt omdöme!").wait_for()
    db = sqlite3.connect(svc.feedback.path)
    rows = db.execute("SELECT f.rating, f.comment, f.channel, a.question FROM feedback f JOIN answers a "
                      "USING (answer_id) ORDER BY f.id DESC LIMIT 1").fetchall()
    db.close()
    assert rows == [(1, "Tydligt svar", "webb", Q_PUBLIC)]


def test_draft_preview_renders_markdown_safely_and_downloads_docx(page: Any, svc: DraftingService):
    page.get_by_label("Kommun", exact=True).select_option("Åsele")
    for label in ("Bakgrund och mål", "Ansvar och samverkan", "Hållbarhetsanalys"):
        page.get_by_label(label).uncheck()
    page.get_by_role("button", name="Visa utkast").click()
    preview = page.locator("#draft-preview-area")
    preview.wait_for(state="visible")
    assert preview.locator("h3").first.inner_text() == "Handlingsplan 2025 – Åsele (utkast)"
    assert preview.locator("table th").all_inner_texts() == ["Yrke", "Antal"]
    assert "<script>window.xss = 1</script> ska visas som text" in preview.inner_text()
    assert page.evaluate("window.xss") is None and preview.locator("script").count() == 0
    assert svc.draft_calls[-1] == ("Åsele", ("nulage", "insatser", "tidplan", "uppfoljning"), ("publik",))
    preview.screenshot(path="/tmp/kompetens-web-utkast.png")
    preview.locator("a.cite").first.click()
    page.locator("#source-body").wait_for(state="visible")

    with page.expect_download() as info:
        page.get_by_role("button", name="Ladda ner Word-fil").click()
    download = info.value
    assert download.suggested_filename == "handlingsplan-asele-utkast.docx"
    assert Path(download.path()).read_bytes() == FAKE_DOCX + "Åsele".encode()
    page.get_by_text("Word-filen handlingsplan-asele-utkast.docx är nedladdad.").wait_for()


def test_source_url_respects_the_token_in_session_storage(page: Any, base_url: str, svc: DraftingService):
    internal = svc.search("svetsare Norrfors", ["kommun:asele"], 1)[0].source_id
    page.goto(f"{base_url}/kalla/{internal}")
    page.get_by_text("Källan hittades inte.").wait_for()
    assert "Norrfors" not in page.content()
    page.get_by_text("Partnerinloggning").click()
    page.get_by_label("Token").fill(TOKEN_ASELE)
    page.get_by_role("button", name="Spara token").click()
    assert page.locator("#token-status").inner_text() == "Token sparad"
    page.reload()
    page.locator("#source-body").wait_for(state="visible")
    assert page.locator("#source-text").inner_text().startswith("Sågverket Norrfors AB")
    assert "Intern för asele" in page.locator("#source-meta").inner_text()
    page.get_by_text("Partnerinloggning").click()
    page.get_by_label("Token").fill("fel-token-abc123")
    page.get_by_role("button", name="Spara token").click()
    ask(page, Q_PUBLIC)
    page.get_by_text("Din token godkändes inte.").wait_for()


@pytest.mark.parametrize("status, detail, shown", [
    (403, "Du saknar behörighet för: projekt.", "Du saknar behörighet för: projekt. Ange en token"),
    (422, "Frågan får vara högst 1000 tecken (den har 1200).", "Kontrollera uppgifterna: Frågan får vara högst"),
    (503, "Indexet kan inte nås.", "Tjänsten är inte tillgänglig just nu"),
])
def test_errors_are_shown_in_swedish(page: Any, status: int, detail: str, shown: str):
    page.route("**/api/ask", lambda route: route.fulfill(status=status, json={"detail": detail}))
    ask(page, "Vad gäller?")
    alert = page.get_by_role("alert").filter(has_text=shown)
    alert.wait_for()
    assert page.get_by_role("button", name="Fråga", exact=True).is_enabled()


def test_busy_indicator_empty_question_and_keyboard(page: Any):
    page.get_by_role("button", name="Fråga", exact=True).click()
    page.get_by_text("Skriv en fråga först.").wait_for()
    release = threading.Event()

    def slow(route: Any) -> None:
        release.wait(30)  # the test releases it once the busy state is checked; bounded for safety
        route.continue_()
    page.route("**/api/ask", slow)
    page.get_by_label("Din fråga").focus()
    page.keyboard.type(Q_PUBLIC)
    page.keyboard.press("Control+Enter")
    page.get_by_text("Söker i underlaget …").wait_for()
    assert page.get_by_role("button", name="Fråga", exact=True).is_disabled()
    release.set()
    page.locator("#answer").wait_for(state="visible")
    assert page.locator("#ask-busy").is_hidden()
    unlabeled = page.evaluate("""Array.from(document.querySelectorAll('input, select, textarea'))
        .filter(el => el.labels.length === 0).map(el => el.name || el.id)""")
    assert unlabeled == []


def test_reads_on_a_phone_without_sideways_scrolling(page: Any, tmp_path: Path):
    page.set_viewport_size({"width": 390, "height": 844})
    ask(page, Q_PUBLIC)
    page.locator("#answer").wait_for(state="visible")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(tmp_path / "mobil.png"), full_page=True)
    page.screenshot(path="/tmp/kompetens-web-mobil.png", full_page=True)


# ---- the conversation, signed source links, the source view, documents, /docs ----------------------

def link_query(svc: DraftingService, source: str, scopes: list[str], expires: int | None = None) -> str:
    params = svc.sign_source(source, scopes)
    if expires is not None:
        params |= {"exp": str(expires), "sig": sign_link(svc.link_key, source, scopes, expires)}
    return urlencode(params)


def test_conversation_keeps_turns_sends_earlier_questions_and_resets(page: Any, tmp_path: Path):
    sent: list[dict[str, Any]] = []
    page.on("request", lambda r: sent.append(json.loads(r.post_data)) if r.url.endswith("/api/ask") else None)
    ask(page, Q_PUBLIC)
    page.locator(".turn").first.wait_for()
    assert page.get_by_label("Din fråga").input_value() == ""
    assert "följdfråga" in page.get_by_label("Din fråga").get_attribute("placeholder")
    ask(page, "Och hur många deltagare hade kockutbildningen?")
    page.locator(".turn").nth(1).wait_for()
    assert sent[0]["previous"] == [] and sent[1]["previous"] == [Q_PUBLIC]
    turns = page.locator(".turn")
    assert turns.count() == 2
    assert Q_PUBLIC in turns.nth(0).locator(".asked").inner_text()  # the earlier turn stays, newest last
    assert "tolv arbetsgivare" in turns.nth(0).locator(".answer-text").inner_text()
    assert "kockutbildningen" in turns.nth(1).locator(".asked").inner_text()
    assert turns.nth(0).locator(".sources li").count() >= 1 and turns.nth(1).locator(".sources li").count() >= 1
    page.set_viewport_size({"width": 1280, "height": 900})
    page.screenshot(path="/tmp/kompetens-samtal.png", full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path="/tmp/kompetens-samtal-mobil.png", full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.set_viewport_size({"width": 1280, "height": 900})

    understood = {"answer": "Kockutbildningen hade 14 deltagare [1].", "citations": [], "refused": False,
                  "scopes": ["publik"], "timings_ms": {}, "mode": "extraktiv", "fallback": False, "answer_id": None,
                  "question": "Hur många deltagare hade kockutbildningen i Vilhelmina?"}
    page.route("**/api/ask", lambda route: route.fulfill(json=understood))
    ask(page, "Och i Vilhelmina?")
    third = page.locator(".turn").nth(2)
    third.wait_for()
    assert third.locator(".understood").inner_text() == "Tolkad som: Hur många deltagare hade kockutbildningen i Vilhelmina?"
    assert page.locator(".turn").nth(0).locator(".understood").is_hidden()  # a first question is taken as asked
    page.get_by_role("button", name="Ny fråga").click()
    assert page.locator(".turn").count() == 0 and page.locator("#answer").is_hidden()
    page.unroute("**/api/ask")
    ask(page, Q_PUBLIC)
    page.locator(".turn").first.wait_for()
    assert sent[-1]["previous"] == []  # a new conversation sends no earlier questions


def test_signed_link_from_slack_opens_an_internal_source_without_a_token(page: Any, base_url: str,
                                                                        svc: DraftingService):
    internal = svc.search("svetsare Norrfors", ["kommun:asele"], 1)[0].source_id
    quote = "behöver sex svetsare under 2025"
    page.goto(f"{base_url}/kalla/{internal}?{link_query(svc, internal, ['kommun:asele'])}&{urlencode({'citat': quote})}")
    page.locator("#source-body").wait_for(state="visible")
    assert page.locator("#source-text").inner_text().startswith("Sågverket Norrfors AB")
    assert page.locator("#source-text mark").inner_text() == "behöver sex svetsare under 2025"
    assert "Intern för asele" in page.locator("#source-meta").inner_text()
    original = page.get_by_role("link", name="Öppna originalet")
    response = page.request.get(base_url + original.get_attribute("href"))
    assert response.status == 200 and "Sågverket Norrfors AB i Åsele" in response.text()
    plain = page.request.get(base_url + f"/api/sources/{internal}/original")
    assert plain.status == 404 and "Norrfors" not in plain.text()  # no link, no token: nothing


@pytest.mark.parametrize("case, shown", [
    ("utgången", "Länken till källan har gått ut."),
    ("ändrad", "Länken till källan är ogiltig"),
    ("fel behörighet", "Källan hittades inte."),
])
def test_signed_links_that_are_expired_tampered_or_for_another_scope_are_refused(
        page: Any, base_url: str, svc: DraftingService, case: str, shown: str):
    internal = svc.search("svetsare Norrfors", ["kommun:asele"], 1)[0].source_id
    query = {
        "utgången": link_query(svc, internal, ["kommun:asele"], expires=int(time.time()) - 60),
        "ändrad": link_query(svc, internal, ["kommun:dorotea"]).replace("b=kommun%3Adorotea", "b=kommun%3Aasele"),
        "fel behörighet": link_query(svc, internal, ["publik"]),
    }[case]
    page.goto(f"{base_url}/kalla/{internal}?{query}")
    page.get_by_role("alert").filter(has_text=shown).wait_for()
    assert "Norrfors" not in page.content()
    assert page.request.get(f"{base_url}/api/sources/{internal}/original?{query}").status in (403, 404)


def test_source_view_joins_pdf_line_breaks_and_shows_neighbours(page: Any, base_url: str, svc: DraftingService,
                                                                 tmp_path: Path):
    first = svc.search("branschråd Vilhelmina tolv arbetsgivare", ["publik"], 1)[0]
    pdf_like = {**first.to_dict(), "text": "Rådet samlar tolv arbets-\ngivare och vuxen-\nutbildningen\nfyra gånger per år.\n"
                "- Vård- och\nomsorg\n- Besöksnäring", "path": "corpus/lardom.pdf", "page": 3, "before": [],
                "after": [{"source_id": "x", "text": "En yrkesvux-\nutbildning till kock.", "page": 4, "section": None}],
                "original_url": "/api/sources/x/original?b=publik#page=3"}
    page.route("**/api/sources/pdf-exempel*", lambda route: route.fulfill(json=pdf_like))
    page.goto(f"{base_url}/kalla/pdf-exempel?citat={quote('tolv arbetsgivare och vuxenutbildningen fyra gånger')}")
    page.locator("#source-body").wait_for(state="visible")
    text = page.locator("#source-text").inner_text()
    assert text.startswith("Rådet samlar tolv arbetsgivare och vuxenutbildningen fyra gånger per år.\n- Vård- och omsorg")
    assert page.locator("#source-text mark").inner_text() == "tolv arbetsgivare och vuxenutbildningen fyra gånger"
    assert "En yrkesvuxutbildning till kock." in page.locator("#source-after").inner_text()
    link = page.get_by_role("link", name="Öppna originalet (PDF, sidan 3)")
    assert link.get_attribute("href").endswith("#page=3") and link.get_attribute("target") == "_blank"
    page.unroute("**/api/sources/pdf-exempel*")

    page.goto(f"{base_url}/kalla/{first.source_id}")  # the real one: its neighbour in the document
    page.locator("#source-body").wait_for(state="visible")
    assert "kock startade 2025 med 14 deltagare" in page.locator("#source-after").inner_text()
    page.screenshot(path="/tmp/kompetens-kalla.png", full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path="/tmp/kompetens-kalla-mobil.png", full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


def test_example_questions_and_the_documents_within_the_callers_scopes(page: Any):
    groups = page.locator("#exempel h3").all_inner_texts()
    assert groups == ["Kompetensmäklare", "Regional samordnare", "Kommun utanför projektet"]
    page.get_by_text("Dokument du kan se").click()
    rows = page.locator("#documents tbody tr")
    rows.first.wait_for()
    assert sorted(r.split("\t")[0] for r in rows.all_inner_texts()) == ["Lärdom: branschråd i Vilhelmina",
                                                                        "Regional utvecklingsstrategi"]
    assert page.locator("#documents th").all_inner_texts() == ["Titel", "Typ", "Kommun", "År", "Giltigt"]
    page.get_by_text("Partnerinloggning").click()
    page.get_by_label("Token").fill(TOKEN_ASELE)
    page.get_by_role("button", name="Spara token").click()
    page.locator("#documents tbody tr", has_text="Intervjuer med arbetsgivare i Åsele").wait_for()
    assert rows.count() == 1
    page.get_by_role("button", name="Logga ut").click()
    page.get_by_role("button", name="Vad har branschrådet i Vilhelmina gett för resultat?").click()
    page.locator(".turn").first.wait_for()
    assert "Vad har branschrådet i Vilhelmina gett för resultat?" in page.locator(".turn .asked").inner_text()


def test_swagger_ui_renders_without_network(context: Any, base_url: str):
    tab = context.new_page()
    outside: list[str] = []

    def only_local(route: Any) -> None:
        if route.request.url.startswith(base_url):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()
    tab.route("**/*", only_local)
    tab.goto(base_url + "/docs")
    tab.locator(".swagger-ui .info .title").wait_for()
    assert "Kompetensassistenten" in tab.locator(".swagger-ui .info .title").inner_text()
    tab.locator(".opblock-summary-path", has_text="/api/ask").first.wait_for()
    assert outside == []
    tab.close()
