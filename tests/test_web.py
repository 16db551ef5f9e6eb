"""The web page in a real browser (Debian's headless Chromium via Playwright) against a live uvicorn server."""

from __future__ import annotations

import socket
import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from assistant.interfaces.api import create_app
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
    assert "tolv arbetsgivare" in page.locator("#answer-text").inner_text()
    assert page.locator("#answer-text a.cite").first.inner_text() == "[1]"
    assert answer.get_attribute("aria-live") == "polite" and answer.get_attribute("aria-busy") == "false"
    source = page.locator("#answer-sources li").first
    assert "Lärdom: branschråd i Vilhelmina" in source.inner_text()

    page.locator("#answer-text a.cite").first.click()
    page.locator("#source-body").wait_for(state="visible")
    assert page.locator("#source-title").inner_text() == "Lärdom: branschråd i Vilhelmina"
    assert "tolv arbetsgivare" in page.locator("#source-text").inner_text()
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
    page.get_by_label("Kommun").select_option("Åsele")
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
        release.wait(5)
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
