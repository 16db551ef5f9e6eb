"""The Slack bot end to end: signed requests to /slack/events, replies captured by a Slack double.

The bot acknowledges Slack at once and answers from a worker thread; the tests poll the double
(at most 10 s) for the Web API calls and response_url posts that a user would see as messages.
"""

from __future__ import annotations

import json
import logging
import re
import sqlite3
import time
from collections.abc import Iterator, Sequence
from typing import Any
from urllib.parse import parse_qsl, urlencode

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from assistant.errors import ConfigError, IndexUnavailable, KompetensError
from assistant.interfaces.api import create_app
from assistant.interfaces.slack.bot import THANKS, run_socket_mode, socket_mode_handler
from assistant.interfaces.slack.mrkdwn import SECTION_LIMIT
from assistant.records import Answer, Citation
from tests.slack_double import BOT_USER, Call, SlackDouble, sign
from tests.slack_socket import SocketModeServer
from tests.test_api import FAKE_DOCX, Q_ASELE, Q_PROJEKT, Q_PUBLIC, DraftingService, make_service

SECRET = "8f14e45fceea167a5a36dedd4bea2543"
LINK_SECRET = "lk-3b9d6a0e5f1c47e2a8d4c6b1"
BOT_TOKEN = "xoxb-1111-2222-kompetenstest"
PUBLIC_URL = "https://kompetens.example.se"
CHANNELS = {"CPROJ": ["projekt"], "CASELE": ["kommun:asele"]}
USERS = {"UASELE": ["kommun:asele"]}


class SlackService(DraftingService):
    """The real service; questions naming a failure raise it, "långsam" takes a while."""

    def ask(self, question: str, caller_scopes: Sequence[str], previous: Sequence[str] = ()) -> Answer:
        if "krascha" in question:
            raise RuntimeError("intern detalj /srv/hemlig.py")
        if "indexet" in question:
            raise IndexUnavailable("Indexet kan inte nås just nu. Försök igen om en stund.")
        if "långsam:" in question:
            time.sleep(1.5)
            question = question.replace("långsam:", "").strip()
        if "långt svar" in question:
            return long_answer(caller_scopes)
        if "farlig text" in question:
            return Answer(DANGEROUS + " [1]", (Citation(1, "pub-x:0:0001", "Titel <!here>", "x.md", "publik",
                                                        DANGEROUS, 2, "Avsnitt"),), False, tuple(caller_scopes))
        return super().ask(question, caller_scopes, previous)


DANGEROUS = "Hej <!channel> och <!here> och <!everyone>, fråga <@U123ABC> eller @channel & co."


def long_answer(scopes: Sequence[str]) -> Answer:
    """An answer far over Slack's limits: ~9,000 characters of sentences, a table, 51 sources."""
    sentences = " ".join(f"Mening nummer {i} om kompetensförsörjning i anläggningsbranschen [{i % 51 + 1}]."
                         for i in range(160))
    table = "\n".join(["| Kommun | Yrke | Behov |", "| --- | --- | --- |",
                       *(f"| Åsele | Undersköterska {i} | {i} |" for i in range(200))])
    citations = tuple(Citation(n, f"pub-lang:0:{n:04d}", f"Dokument {n}", "x.md", "publik",
                               f"Citatet ur dokument {n} som är ganska långt " * 6, n, "Resultat")
                      for n in range(1, 52))
    return Answer(f"{sentences}\n\n{table}\n\nFör anläggning krävs yrkesförare.", citations, False, tuple(scopes),
                  answer_id="5" * 32)


@pytest.fixture(scope="module")
def double() -> Iterator[SlackDouble]:
    server = SlackDouble()
    yield server
    server.close()


@pytest.fixture(scope="module")
def svc(tmp_path_factory: pytest.TempPathFactory, double: SlackDouble) -> Iterator[SlackService]:
    base = make_service(tmp_path_factory.mktemp("slack"))
    slack = {"signing_secret": SECRET, "bot_token": BOT_TOKEN, "api_url": double.url,
             "channel_scopes": CHANNELS, "user_scopes": USERS}
    service = SlackService(base.settings.model_copy(update={
        "slack": base.settings.slack.model_validate(slack), "public_url": PUBLIC_URL,
        "link": base.settings.link.model_validate({"secret": LINK_SECRET})}))
    yield service
    service.feedback.close()


@pytest.fixture(scope="module")
def client(svc: SlackService) -> TestClient:
    return TestClient(create_app(svc))


@pytest.fixture(autouse=True)
def clean_double(double: SlackDouble) -> None:
    double.reset()


def post(client: TestClient, body: str, content_type: str, headers: dict[str, str] | None = None) -> Any:
    return client.post("/slack/events", content=body.encode(),
                       headers={"Content-Type": content_type, **(headers if headers is not None else sign(body, SECRET))})


def event(client: TestClient, ev: dict[str, Any]) -> Any:
    body = json.dumps({"token": "x", "team_id": "T1", "api_app_id": "A1", "type": "event_callback",
                       "event_id": f"Ev{time.monotonic_ns()}", "event_time": int(time.time()), "event": ev})
    return post(client, body, "application/json")


def mention(client: TestClient, channel: str, text: str, ts: str, user: str = "U1", thread_ts: str | None = None) -> Any:
    ev = {"type": "app_mention", "user": user, "text": f"<@{BOT_USER}> {text}", "ts": ts, "channel": channel,
          "event_ts": ts} | ({"thread_ts": thread_ts} if thread_ts else {})
    return event(client, ev)


def command(client: TestClient, double: SlackDouble, text: str, channel: str = "CPUB", user: str = "U1") -> Any:
    body = urlencode({"token": "x", "team_id": "T1", "channel_id": channel, "channel_name": "allmant",
                      "user_id": user, "command": "/kompetens", "text": text, "trigger_id": "1.2",
                      "response_url": double.response_url("kommando"), "api_app_id": "A1"})
    return post(client, body, "application/x-www-form-urlencoded")


def click(client: TestClient, double: SlackDouble, action_id: str, answer_id: str) -> Any:
    payload = {"type": "block_actions", "team": {"id": "T1"}, "user": {"id": "U1"}, "api_app_id": "A1",
               "channel": {"id": "CPUB"}, "container": {"type": "message", "message_ts": "5.0", "channel_id": "CPUB"},
               "message": {"ts": "5.0", "text": "svar", "blocks": [
                   {"type": "section", "text": {"type": "mrkdwn", "text": "svar"}},
                   {"type": "actions", "block_id": "omdome", "elements": []}]}, "trigger_id": "1.2", "response_url": double.response_url("knapp"),
               "actions": [{"type": "button", "action_id": action_id, "block_id": "omdome", "value": answer_id,
                            "action_ts": "6.0"}]}
    return post(client, urlencode({"payload": json.dumps(payload)}), "application/x-www-form-urlencoded")


def in_channel(channel: str) -> Any:
    return lambda c: c.params.get("channel") == channel


def logged(svc: SlackService, answer_id: str) -> dict[str, Any]:
    row = svc.feedback.answer(answer_id)
    assert row is not None
    return row


def answer_id_of(call: Call) -> str:
    actions = next(b for b in call.params["blocks"] if b["type"] == "actions")
    ids = {e["value"] for e in actions["elements"]}
    assert len(ids) == 1 and {e["action_id"] for e in actions["elements"]} == {"feedback_upp", "feedback_ner"}
    return ids.pop()


# ---- request verification ------------------------------------------------------------------------

def test_signed_url_verification_passes_and_bad_or_stale_signatures_are_rejected(client: TestClient,
                                                                                 double: SlackDouble):
    body = json.dumps({"type": "url_verification", "challenge": "utmaning-123", "token": "x"})
    ok = post(client, body, "application/json")
    assert ok.status_code == 200 and "utmaning-123" in ok.text
    ev = json.dumps({"type": "event_callback", "team_id": "T1", "event": {
        "type": "app_mention", "user": "U1", "text": f"<@{BOT_USER}> {Q_PUBLIC}", "ts": "9.0", "channel": "CPUB"}})
    for headers in (sign(ev, "fel-hemlighet"), sign(ev, SECRET, int(time.time()) - 600), {},
                    sign(ev + " ", SECRET)):
        assert post(client, ev, "application/json", headers).status_code == 401
    time.sleep(0.3)
    assert double.calls_to("chat.postMessage") == []


# ---- mentions, threads, scopes -----------------------------------------------------------------

def test_mention_gets_a_threaded_reply_with_sources_and_buttons(client: TestClient, double: SlackDouble,
                                                               svc: SlackService):
    started = time.monotonic()
    assert mention(client, "CPUB", Q_PUBLIC, ts="100.0001").status_code == 200
    assert time.monotonic() - started < 3
    reply = double.wait_for("chat.postMessage", in_channel("CPUB"))[0]
    assert reply.params["thread_ts"] == "100.0001" and reply.authorization == f"Bearer {BOT_TOKEN}"
    assert "tolv arbetsgivare" in reply.params["text"]
    sources = reply.params["blocks"][1]["text"]["text"]
    assert sources.startswith("*Källor*\n1. <https://kompetens.example.se/kalla/")
    assert "pub-lardom-branschrad-md" in sources
    assert "|Lärdom: branschråd i Vilhelmina>" in sources
    row = logged(svc, answer_id_of(reply))
    assert row["channel"] == "slack" and row["question"] == Q_PUBLIC and row["scopes"] == ["publik"]


def test_channel_scopes_decide_never_the_asker(client: TestClient, double: SlackDouble, svc: SlackService):
    mention(client, "CPUB", Q_PROJEKT, ts="200.1")
    mention(client, "CPUB", Q_ASELE, ts="200.2", user="UASELE")  # the asker holds kommun:asele; the channel does not
    mention(client, "CPROJ", Q_PROJEKT, ts="200.3")
    public = double.wait_for("chat.postMessage", in_channel("CPUB"), count=2)
    for reply in public:
        record = logged(svc, answer_id_of(reply))["answer"]
        assert record["scopes"] == ["publik"] and all(c["scope"] == "publik" for c in record["citations"])
        assert "varannan vecka" not in reply.text() and "Norrfors" not in reply.text()
        assert "styrgrupp" not in reply.text() and "intervjuer" not in reply.text()
    project = double.wait_for("chat.postMessage", in_channel("CPROJ"))[0]
    assert "varannan vecka" in project.params["text"] and "projekt-styrgrupp-md" in project.text()
    assert logged(svc, answer_id_of(project))["answer"]["citations"][0]["scope"] == "projekt"


def test_follow_up_in_a_thread_uses_the_earlier_question(client: TestClient, double: SlackDouble,
                                                         svc: SlackService):
    double.threads["300.0"] = [
        {"user": "U1", "text": f"<@{BOT_USER}> Vilket sågverk i Åsele behöver svetsare?", "ts": "300.0"},
        {"bot_id": "BBOT", "text": "Sågverket Norrfors AB [1]", "ts": "300.5"},
        {"user": "U2", "text": "intressant, utan att nämna boten", "ts": "300.7"},
        {"user": "U1", "text": f"<@{BOT_USER}> Och hur många?", "ts": "301.0"},
    ]
    mention(client, "CASELE", "Och hur många?", ts="301.0", thread_ts="300.0")
    reply = double.wait_for("chat.postMessage", in_channel("CASELE"))[0]
    fetched = double.calls_to("conversations.replies")[0]
    assert fetched.params["channel"] == "CASELE" and fetched.params["ts"] == "300.0"
    assert reply.params["thread_ts"] == "300.0" and "sex svetsare" in reply.params["text"]
    # The follow-up is read as the thread's question with what it adds, not pooled with it.
    assert logged(svc, answer_id_of(reply))["question"] == "Vilket sågverk i Åsele behöver svetsare, hur många?"


def test_unreadable_thread_still_gets_an_answer(client: TestClient, double: SlackDouble, svc: SlackService):
    double.errors["conversations.replies"] = "missing_scope"
    mention(client, "CASELE", Q_ASELE, ts="310.0", thread_ts="309.0")
    reply = double.wait_for("chat.postMessage", in_channel("CASELE"))[0]
    assert reply.params["thread_ts"] == "309.0" and "sex svetsare" in reply.params["text"]
    assert logged(svc, answer_id_of(reply))["question"] == Q_ASELE


def test_direct_messages_use_the_users_scopes(client: TestClient, double: SlackDouble, svc: SlackService):
    def dm(user: str, channel: str, text: str, ts: str, **extra: str) -> None:
        event(client, {"type": "message", "channel_type": "im", "channel": channel, "user": user, "text": text,
                       "ts": ts, **extra})
    dm("UASELE", "DASELE", Q_ASELE, "400.1")
    dm("U999", "D999", Q_ASELE, "400.2")
    dm("UBOT", "D999", "mitt eget svar", "400.3", bot_id="BBOT")
    mapped = double.wait_for("chat.postMessage", in_channel("DASELE"))[0]
    assert "sex svetsare" in mapped.params["text"] and mapped.params.get("thread_ts") is None
    assert logged(svc, answer_id_of(mapped))["scopes"] == ["kommun:asele"]
    unmapped = double.wait_for("chat.postMessage", in_channel("D999"))
    time.sleep(0.3)
    assert len(double.calls_to("chat.postMessage", in_channel("D999"))) == 1  # the bot's own message is ignored
    assert "Norrfors" not in unmapped[0].text() and logged(svc, answer_id_of(unmapped[0]))["scopes"] == ["publik"]


def test_failures_reply_briefly_in_swedish_in_the_thread(client: TestClient, double: SlackDouble):
    mention(client, "CPUB", "kan du krascha?", ts="500.1")
    mention(client, "CPROJ", "är indexet uppe?", ts="500.2")
    crash = double.wait_for("chat.postMessage", in_channel("CPUB"))[0]
    assert crash.params["thread_ts"] == "500.1"
    assert crash.params["text"] == "⚠️ Något gick fel när jag skulle svara. Försök igen om en stund."
    assert "hemlig" not in crash.text() and "Traceback" not in crash.text()
    domain = double.wait_for("chat.postMessage", in_channel("CPROJ"))[0]
    assert domain.params["text"] == "⚠️ Indexet kan inte nås just nu. Försök igen om en stund."
    mention(client, "CASELE", "", ts="500.3")
    empty = double.wait_for("chat.postMessage", in_channel("CASELE"))[0]
    assert empty.params["thread_ts"] == "500.3" and empty.params["text"].startswith("⚠️ Frågan får inte vara tom.")


def test_socket_mode_needs_an_app_token(svc: SlackService):
    with pytest.raises(KompetensError, match="KOMPETENS_SLACK_APP_TOKEN"):
        run_socket_mode(svc)


# ---- slash commands ------------------------------------------------------------------------------

def test_slash_help_and_bad_input_answer_in_the_ack(client: TestClient, double: SlackDouble):
    for text in ("hjälp", "", "okänt"):
        response = command(client, double, text)
        assert response.status_code == 200 and "/kompetens fråga" in response.text
    assert "Okänt kommando" in command(client, double, "okänt").text
    assert "Frågan får inte vara tom" in command(client, double, "fråga   ").text
    assert "Ange en av länets kommuner" in command(client, double, "utkast Stockholm").text
    assert "Okänt avsnitt 'budget'" in command(client, double, "utkast Åsele budget").text
    time.sleep(0.2)
    assert double.calls_to("respond") == []


def test_slash_question_acks_first_then_answers(client: TestClient, double: SlackDouble, svc: SlackService):
    started = time.monotonic()
    ack = command(client, double, f"fråga långsam: {Q_PROJEKT}", channel="CPROJ")
    assert time.monotonic() - started < 1.2 and "Jag letar i underlaget" in ack.text
    reply = double.wait_for("respond")[0]
    assert reply.at - started >= 1.4  # the work ran after the ack
    assert reply.params["response_type"] == "in_channel" and "varannan vecka" in reply.params["text"]
    assert logged(svc, answer_id_of(reply))["scopes"] == ["projekt"]


def test_slash_draft_uses_channel_scopes_and_uploads_the_word_file_to_its_thread(
        client: TestClient, double: SlackDouble, svc: SlackService):
    ack = command(client, double, "utkast asele nulage Tidplan", channel="CASELE")
    assert "Jag skriver ett utkast för Åsele" in ack.text
    reply = double.wait_for("chat.postMessage", in_channel("CASELE"))[0]
    assert svc.draft_calls[-1] == ("Åsele", ("nulage", "tidplan"), ("kommun:asele",))
    assert reply.params["blocks"][0]["text"]["text"] == "Handlingsplan 2025 – Åsele (utkast)"
    assert "*1. Nuläge: kompetensbehov och bristyrken*" in reply.text()
    assert "&lt;script&gt;" in reply.text() and "<script>" not in reply.text()
    texts = "\n".join(b["text"]["text"] for b in reply.params["blocks"] if b["type"] == "section")
    assert "```\nYrke  Antal\n----  -----\nKock  14\n```" in texts  # the table in monospace
    done = double.wait_for("files.completeUploadExternal")[0]
    uploaded = double.calls_to("upload")[0].params["bytes"]
    assert uploaded == FAKE_DOCX + "Åsele".encode()
    assert done.params["channel_id"] == "CASELE"
    name = double.calls_to("files.getUploadURLExternal")[0].params["filename"]
    assert name == "handlingsplan-asele-utkast.docx" and done.params["thread_ts"].startswith("1700000000.")


def test_slash_draft_in_an_unmapped_channel_is_public_and_says_when_the_bot_is_not_invited(
        client: TestClient, double: SlackDouble, svc: SlackService):
    command(client, double, "utkast Åsele tidplan", channel="CPUB")
    double.wait_for("files.completeUploadExternal")
    assert svc.draft_calls[-1] == ("Åsele", ("tidplan",), ("publik",))
    double.reset()
    double.errors["chat.postMessage"] = "not_in_channel"
    command(client, double, "utkast Åsele tidplan", channel="CANNAN")
    refused = double.wait_for("respond")[0]
    assert refused.params["text"].startswith("⚠️ Jag kan inte skriva i den här kanalen. Bjud in mig")
    assert double.calls_to("files.getUploadURLExternal") == []


def test_slash_in_a_dm_uses_the_users_scopes_and_replies_privately(client: TestClient, double: SlackDouble):
    command(client, double, f"fråga {Q_ASELE}", channel="DASELE", user="UASELE")
    reply = double.wait_for("respond")[0]
    assert reply.params["response_type"] == "ephemeral" and "sex svetsare" in reply.params["text"]


# ---- feedback buttons ----------------------------------------------------------------------------

def test_button_clicks_are_stored_with_question_and_answer(client: TestClient, double: SlackDouble,
                                                           svc: SlackService):
    mention(client, "CPUB", Q_PUBLIC, ts="600.1")
    answer_id = answer_id_of(double.wait_for("chat.postMessage", in_channel("CPUB"))[0])
    assert click(client, double, "feedback_ner", answer_id).status_code == 200
    thanked = double.wait_for("respond")[0]
    assert thanked.params["text"] == THANKS and thanked.params["replace_original"] in (True, "true")
    assert [b["type"] for b in thanked.params["blocks"]] == ["section", "context"]  # buttons gone, thanks shown
    assert "Tack för ditt omdöme" in thanked.params["blocks"][-1]["elements"][0]["text"]
    assert click(client, double, "feedback_upp", "0" * 32).status_code == 200
    unknown = double.wait_for("respond", count=2)[1]
    assert unknown.params["text"].startswith("⚠️ Svaret finns inte") and unknown.params["response_type"] == "ephemeral"
    db = sqlite3.connect(svc.feedback.path)
    rows = db.execute("SELECT f.rating, f.channel, a.question, a.answer_json FROM feedback f "
                      "JOIN answers a USING (answer_id) WHERE answer_id = ?", (answer_id,)).fetchall()
    db.close()
    assert len(rows) == 1 and rows[0][:3] == (-1, "slack", Q_PUBLIC)
    assert "tolv arbetsgivare" in json.loads(rows[0][3])["answer"]


def test_bot_token_and_secret_stay_out_of_logs(client: TestClient, double: SlackDouble,
                                               caplog: pytest.LogCaptureFixture):
    caplog.set_level(logging.DEBUG)
    mention(client, "CPUB", Q_PUBLIC, ts="700.1")
    double.wait_for("chat.postMessage", in_channel("CPUB"))
    assert caplog.text and BOT_TOKEN not in caplog.text and SECRET not in caplog.text


def test_slack_is_mounted_only_when_configured(client: TestClient, svc: SlackService):
    assert client.post("/slack/events", content=b"{}").status_code == 401  # mounted: unsigned is refused
    plain = svc.settings.model_copy(update={"slack": svc.settings.slack.model_validate({})})
    assert TestClient(create_app(DraftingService(plain))).post("/slack/events").status_code == 404


# ---- messages that fit, links, working sign, retries, Socket Mode --------------------------------

def section_texts(calls: Sequence[Call]) -> list[str]:
    return [b["text"]["text"] for c in calls for b in c.params["blocks"] if b["type"] == "section"]


def test_long_answer_is_split_at_sentences_and_rows_into_messages_that_fit(client: TestClient, double: SlackDouble):
    mention(client, "CPUB", "Ge mig ett långt svar", ts="800.1")
    double.wait_for("reactions.remove", lambda c: c.params.get("timestamp") == "800.1")
    posts = double.calls_to("chat.postMessage", lambda c: c.params.get("thread_ts") == "800.1")
    assert len(posts) >= 2 and all(p.params["thread_ts"] == "800.1" for p in posts)
    assert all(len(p.params["blocks"]) <= 50 for p in posts)
    texts = section_texts(posts)
    assert all(len(t) <= SECTION_LIMIT for t in texts)
    prose = [t for t in texts if t.startswith("Mening")]
    assert len(prose) >= 2 and all(t.endswith(".") for t in prose)  # cut between sentences, never mid-word
    tables = [t for t in texts if t.startswith("```")]
    assert len(tables) >= 2 and all(t.count("```") == 2 and t.splitlines()[1].startswith("Kommun") for t in tables)
    rows = [line for t in tables for line in t.splitlines() if line.startswith("Åsele")]
    assert [int(line.split()[-1]) for line in rows] == list(range(200))  # every row whole, once, in order
    assert any(t.endswith("För anläggning krävs yrkesförare.") for t in texts)
    sources = "\n".join(t for t in texts if "Dokument" in t)
    assert all(f"|Dokument {n}>" in sources for n in range(1, 52))  # all 51 sources, none cut off
    assert sources.count("&gt;”Citatet ur dokument") == 0 and sources.count("\n>”Citatet ur dokument") == 51
    assert all(t.splitlines()[-1].startswith(">”") for t in texts if "Dokument" in t)  # a source stays with its quote
    assert "s. 51 · Resultat" in sources
    assert re.search(rf"<{PUBLIC_URL}/kalla/pub-lang%3A0%3A0002\?b=publik&exp=\d+&sig=[0-9a-f]+&citat=[^|]+\|\[2\]>",
                     prose[0])  # [n] links to the signed source view
    assert sum(1 for p in posts for b in p.params["blocks"] if b["type"] == "actions") == 1
    assert posts[-1].params["blocks"][-1]["type"] == "actions"


def test_document_text_never_pings_anyone(client: TestClient, double: SlackDouble):
    mention(client, "CPUB", "visa farlig text", ts="810.1")
    reply = double.wait_for("chat.postMessage", in_channel("CPUB"))[0]
    everything = reply.params["text"] + json.dumps(reply.params["blocks"], ensure_ascii=False)
    for ping in ("<!channel>", "<!here>", "<!everyone>", "<@U123ABC>", "@channel"):
        assert ping not in everything
    assert "&lt;!channel&gt;" in reply.params["text"] and "&lt;@U123ABC&gt;" in everything
    assert "Titel &lt;!here&gt;" in everything
    assert all(b["text"].get("verbatim") for b in reply.params["blocks"] if b["type"] == "section")


def test_mentions_and_dms_show_a_working_sign_until_the_answer_is_posted(client: TestClient, double: SlackDouble):
    mention(client, "CPUB", f"långsam: {Q_PUBLIC}", ts="820.1")
    at = lambda ts: lambda c: c.params.get("timestamp") == ts  # noqa: E731
    added = double.wait_for("reactions.add", at("820.1"))[0]
    assert {k: added.params[k] for k in ("channel", "timestamp", "name")} == {
        "channel": "CPUB", "timestamp": "820.1", "name": "hourglass_flowing_sand"}
    removed = double.wait_for("reactions.remove", at("820.1"))[0]
    reply = double.calls_to("chat.postMessage", in_channel("CPUB"))[0]
    assert added.at < reply.at <= removed.at and reply.at - added.at >= 1.4
    double.errors["reactions.add"] = "missing_scope"  # without the scope the answer still comes
    mention(client, "CPROJ", Q_PROJEKT, ts="820.2")
    assert "varannan vecka" in double.wait_for("chat.postMessage", in_channel("CPROJ"))[0].params["text"]


def test_slack_retries_of_an_event_are_answered_once(client: TestClient, double: SlackDouble):
    ev = {"type": "app_mention", "user": "U1", "text": f"<@{BOT_USER}> långsam: {Q_PUBLIC}", "ts": "830.1",
          "channel": "CPUB", "event_ts": "830.1"}
    body = json.dumps({"token": "x", "team_id": "T1", "api_app_id": "A1", "type": "event_callback",
                       "event_id": "EvRETRY1", "event_time": int(time.time()), "event": ev})
    assert post(client, body, "application/json").status_code == 200
    for retry in ("1", "2"):
        headers = sign(body, SECRET) | {"X-Slack-Retry-Num": retry, "X-Slack-Retry-Reason": "http_timeout"}
        assert post(client, body, "application/json", headers).status_code == 200
    double.wait_for("chat.postMessage", in_channel("CPUB"))
    time.sleep(2.0)
    print([(c.params.get("thread_ts"), c.params["text"][:40]) for c in double.calls_to("chat.postMessage")])
    assert len(double.calls_to("chat.postMessage", lambda c: c.params.get("thread_ts") == "830.1")) == 1
    assert len(double.calls_to("reactions.add", lambda c: c.params.get("timestamp") == "830.1")) == 1


def test_source_links_are_signed_for_the_channels_scopes(client: TestClient, double: SlackDouble,
                                                         svc: SlackService):
    mention(client, "CASELE", Q_ASELE, ts="840.1")
    reply = double.wait_for("chat.postMessage", in_channel("CASELE"))[0]
    url = re.search(r"<(https://kompetens\.example\.se/kalla/[^|>]+)\|", reply.text()).group(1)
    path, _, query = url.removeprefix(PUBLIC_URL).partition("?")
    params = dict(parse_qsl(query))
    assert params["b"] == "kommun:asele" and params["sig"] and int(params["exp"]) > time.time() + 3600
    assert "Norrfors" in params.get("citat", "")
    shown = client.get("/api/sources/" + path.removeprefix("/kalla/"), params=params)  # no token: the link grants
    assert shown.status_code == 200 and shown.json()["text"].startswith("Sågverket Norrfors")
    assert client.get("/api/sources/" + path.removeprefix("/kalla/")).status_code == 404


def test_socket_mode_over_a_websocket_acks_the_envelope_and_answers_in_the_thread(double: SlackDouble,
                                                                                 svc: SlackService):
    server = SocketModeServer()
    double.socket_url = server.url
    settings = svc.settings.model_copy(update={"slack": svc.settings.slack.model_copy(
        update={"app_token": SecretStr("xapp-1-A1-kompetenstest")})})
    handler = socket_mode_handler(SlackService(settings))
    try:
        handler.connect()
        assert server.connected.wait(10)
        opened = double.wait_for("apps.connections.open")[0]
        assert opened.authorization == "Bearer xapp-1-A1-kompetenstest"
        event = {"type": "app_mention", "user": "U1", "text": f"<@{BOT_USER}> {Q_PROJEKT}", "ts": "900.1",
                 "channel": "CPROJ", "event_ts": "900.1"}
        server.send_event("env-1", "EvSOCKET1", event)
        assert server.wait_for_ack("env-1")["envelope_id"] == "env-1"
        reply = double.wait_for("chat.postMessage", in_channel("CPROJ"))[0]
        assert reply.params["thread_ts"] == "900.1" and "varannan vecka" in reply.params["text"]
        assert reply.authorization == f"Bearer {BOT_TOKEN}"
        server.send_event("env-2", "EvSOCKET1", event, retry_attempt=1)  # Slack's retry: acked, not answered
        server.wait_for_ack("env-2")
        time.sleep(0.5)
        assert len(double.calls_to("chat.postMessage", in_channel("CPROJ"))) == 1
    finally:
        handler.close()
        server.close()


def test_app_refuses_to_start_with_slack_and_no_link_secret(svc: SlackService):
    for secret in (None, "", "changeme", "kort"):
        link = svc.settings.link.model_validate({"secret": secret})
        with pytest.raises(ConfigError, match="KOMPETENS_LINK_SECRET"):
            create_app(SlackService(svc.settings.model_copy(update={"link": link})))
    plain = svc.settings.model_copy(update={"slack": svc.settings.slack.model_validate({}),
                                            "link": svc.settings.link.model_validate({})})
    assert len(DraftingService(plain).link_key) == 32  # without Slack: a random key per process
