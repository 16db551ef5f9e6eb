"""The Slack bot: mentions, DMs, `/kompetens` and 👍/👎 buttons over the same service as the API.

Each listener acknowledges Slack first (Bolt runs it in a worker thread after the ack, since
`process_before_response` is off) and then does the work. Which material may be cited is decided
by where the question is asked: a channel's configured scopes (never the asker's), a DM's user
scopes, `publik` for anything unmapped (`assistant.scopes.for_conversation`). A follow-up in a
thread is asked with the earlier questions the bot reads here (`assistant.answer.followup`).
Every trigger shows that work is under way (an ⏳ reaction on the message, or the slash command's
ack); Slack's retries of an event already received are dropped (`SeenEvents`). Source links are
signed for the channel's scopes, so they open on the web page without a token.
Failures become one short Swedish reply (`failure_text`).
"""

from __future__ import annotations

import contextlib
import html
import logging
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import FastAPI, Request
from fastapi.responses import Response
from slack_bolt import App, BoltResponse
from slack_bolt.adapter.starlette.handler import to_bolt_request, to_starlette_response
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from starlette.concurrency import run_in_threadpool

from assistant.answer.followup import check_question
from assistant.draft.request import SECTION_KEYS, parse_command
from assistant.errors import KompetensError
from assistant.interfaces.slack.blocks import THANKS, Message, answer_messages, draft_messages, voted
from assistant.interfaces.slack.mrkdwn import shorten
from assistant.records import Citation
from assistant.scopes import slugify
from assistant.service import Service

log = logging.getLogger(__name__)

HELP = (
    "*Kompetensassistenten* svarar med källor ur underlaget om kompetensförsörjning i Västerbotten.\n"
    "• Nämn mig i en kanal: `@Kompetensassistenten Vilka bristyrken finns i Åsele?` – jag svarar i tråden, "
    "och följdfrågor i tråden förstås i sitt sammanhang.\n"
    "• Skriv till mig direkt i ett DM.\n"
    "• `/kompetens fråga <fråga>` – ställ en fråga.\n"
    "• `/kompetens utkast <kommun> [avsnitt …]` – utkast till handlingsplan. Avsnitt: "
    + ", ".join(SECTION_KEYS) + ".\n"
    "• `/kompetens hjälp` – den här texten.\n"
    "Vad jag får citera bestäms av kanalen (i DM: av dig). Okopplade kanaler ser bara publika dokument."
)
WORKING = "⏳ Jag letar i underlaget …"
WORKING_REACTION = "hourglass_flowing_sand"
NOT_IN_CHANNEL = ("⚠️ Jag kan inte skriva i den här kanalen. Bjud in mig med `/invite @Kompetensassistenten` "
                  "och försök igen.")
_MENTION = re.compile(r"<@[A-Z0-9]+(?:\|[^>]*)?>")
_QUESTION_HINT = "Skriv frågan efter @Kompetensassistenten, t.ex. ”Vilka bristyrken finns i Åsele?”"


def failure_text(exc: BaseException) -> str:
    """The one Swedish reply for a failure: the domain error's own message, or a short general one."""
    if isinstance(exc, KompetensError):
        return f"⚠️ {exc}"
    if isinstance(exc, SlackApiError) and exc.response.get("error") in ("not_in_channel", "channel_not_found"):
        return NOT_IN_CHANNEL
    return "⚠️ Något gick fel när jag skulle svara. Försök igen om en stund."


class SlackBot:
    """The listeners, bound to one service and its Slack settings."""

    def __init__(self, service: Service) -> None:
        self.service = service
        self.public_url = service.settings.public_url.rstrip("/")

    def linker(self, scopes: Sequence[str]) -> Callable[[Citation], str]:
        """Signed links to the web page's source view, valid for `scopes` (the channel's), with the quote."""
        def link(c: Citation) -> str:
            params = self.service.sign_source(c.source_id, scopes) | ({"citat": shorten(c.quote, 200)} if c.quote else {})
            return f"{self.public_url}/kalla/{quote(c.source_id, safe='')}?{urlencode(params)}"
        return link

    def on_mention(self, event: dict[str, Any], client: WebClient, context: Any) -> None:
        """@mention in a channel: answer in the thread, with earlier questions in the thread as context."""
        thread = event.get("thread_ts") or event["ts"]
        self._answer_in(client, event, thread, context.bot_user_id, only_mentions=True)

    def on_message(self, event: dict[str, Any], client: WebClient, context: Any) -> None:
        """A direct message to the bot (other message events are ignored)."""
        if event.get("channel_type") != "im" or event.get("bot_id") or event.get("subtype"):
            return
        self._answer_in(client, event, event.get("thread_ts"), context.bot_user_id, only_mentions=False)

    def _answer_in(self, client: WebClient, event: dict[str, Any], thread: str | None, bot: str | None,
                   only_mentions: bool) -> None:
        channel = event["channel"]
        post = _poster(client, channel, thread)
        with working(client, channel, event["ts"]), replying(post):
            earlier = self.earlier_questions(client, event, bot, only_mentions)
            scopes = self.service.conversation_scopes(channel, event.get("user"))
            question = clean(event.get("text", ""))
            answer = self.service.ask_follow_up(question, earlier, scopes, "slack", hint=_QUESTION_HINT)
            for message in answer_messages(answer, self.linker(scopes), asked=question):
                post(message.text, message.blocks)

    def earlier_questions(self, client: WebClient, event: dict[str, Any], bot: str | None,
                          only_mentions: bool) -> list[str]:
        """Earlier questions in the event's thread, oldest first (none outside a thread)."""
        thread = event.get("thread_ts")
        if not thread or thread == event.get("ts"):
            return []
        try:
            messages: list[dict[str, Any]] = client.conversations_replies(channel=event["channel"], ts=thread,
                                                                         limit=50).get("messages", [])
        except SlackApiError as exc:  # e.g. a missing history scope: answer the question on its own
            log.warning("Tråden kunde inte läsas (%s); svarar utan sammanhang", exc.response.get("error"))
            return []
        return [clean(m.get("text", "")) for m in messages
                if not m.get("bot_id") and float(m.get("ts", "0")) < float(event["ts"])
                and (not only_mentions or (bot is not None and f"<@{bot}" in m.get("text", "")))]

    def on_command(self, ack: Callable[..., None], command: dict[str, Any], respond: Callable[..., Any],
                   client: WebClient) -> None:
        """`/kompetens fråga …`, `/kompetens utkast <kommun> [avsnitt …]`, `/kompetens hjälp`."""
        word, _, rest = command.get("text", "").strip().partition(" ")
        verb = slugify(word)
        if verb in ("fraga", "fragan"):
            self._command_ask(ack, command, respond, rest)
        elif verb == "utkast":
            self._command_draft(ack, command, respond, rest, client)
        elif verb in ("", "hjalp", "help"):
            ack(HELP)
        else:
            ack(f"Okänt kommando '{word[:30]}'.\n\n{HELP}")

    def _command_ask(self, ack: Callable[..., None], command: dict[str, Any], respond: Callable[..., Any],
                     text: str) -> None:
        try:
            question = check_question(text)
        except ValueError as exc:
            return ack(f"⚠️ {exc} Skriv t.ex. `/kompetens fråga Vilka bristyrken finns i Åsele?`")
        ack(WORKING)
        reply = _responder(respond, command["channel_id"])
        with replying(reply):
            scopes = self.service.conversation_scopes(command["channel_id"], command.get("user_id"))
            answer = self.service.ask_logged(question, scopes, "slack")
            for message in answer_messages(answer, self.linker(scopes), asked=question):
                reply(message.text, message.blocks)

    def _command_draft(self, ack: Callable[..., None], command: dict[str, Any], respond: Callable[..., Any],
                       text: str, client: WebClient) -> None:
        """The draft as messages in the channel, its Word file uploaded to their thread."""
        try:
            kommun, avsnitt = parse_command(text)
        except KompetensError as exc:
            return ack(f"⚠️ {exc}")
        ack(f"⏳ Jag skriver ett utkast för {kommun} …")
        channel = command["channel_id"]
        with replying(_responder(respond, channel)):
            scopes = self.service.conversation_scopes(channel, command.get("user_id"))
            draft = self.service.draft(kommun, avsnitt, scopes)
            messages = draft_messages(draft, self.linker(scopes), "Word-filen läggs upp i tråden.")
            thread = post_thread(client, channel, messages)
            client.files_upload_v2(channel=channel, thread_ts=thread, file=self.service.draft_docx(draft),
                                   filename=f"handlingsplan-{slugify(draft.kommun)}-utkast.docx",
                                   title=f"Handlingsplan {draft.year} – {draft.kommun} (utkast)",
                                   initial_comment=f"Utkastet för {draft.kommun} som Word-fil.")

    def on_feedback(self, ack: Callable[..., None], action: dict[str, Any], body: dict[str, Any],
                    respond: Callable[..., Any]) -> None:
        """👍/👎 on an answer: stored with the question and answer it rates; the buttons become a thank-you."""
        ack()
        rating = "upp" if action["action_id"] == "feedback_upp" else "ner"
        try:
            self.service.rate(action.get("value", ""), rating, None, "slack")
        except Exception as exc:  # the user clicked: always tell them what happened
            log.warning("Slack-omdöme kunde inte sparas (%s)", type(exc).__name__)
            respond(text=failure_text(exc), response_type="ephemeral", replace_original=False)
            return
        respond(text=THANKS, blocks=voted(body.get("message", {}).get("blocks") or []), replace_original=True)


class SeenEvents:
    """Event ids already received, for an hour: Slack retries an event it thinks was not acknowledged
    (`X-Slack-Retry-Num`), and a slow answer must not be posted twice."""

    def __init__(self, keep_s: float = 3600.0, size: int = 5000) -> None:
        self._seen: OrderedDict[str, float] = OrderedDict()
        self._keep_s, self._size = keep_s, size
        self._lock = threading.Lock()

    def first_time(self, event_id: str) -> bool:
        """True the first time `event_id` is seen (within the hour), False for every repeat."""
        now = time.monotonic()
        with self._lock:
            while self._seen and (len(self._seen) > self._size or next(iter(self._seen.values())) < now - self._keep_s):
                self._seen.popitem(last=False)
            if event_id in self._seen:
                return False
            self._seen[event_id] = now
            return True


def drop_retries(seen: SeenEvents) -> Callable[..., Any]:
    """Bolt middleware: acknowledge a repeated event id without handling it again."""
    def middleware(body: dict[str, Any], request: Any, next: Callable[[], Any]) -> Any:  # noqa: A002 (Bolt's name)
        event_id = body.get("event_id")
        if isinstance(event_id, str) and not seen.first_time(event_id):
            retry = (request.headers.get("x-slack-retry-num") or ["?"])[0]
            log.info("Slack-händelse %s redan mottagen (försök %s): hoppas över", event_id, retry)
            return BoltResponse(status=200, body="", headers={"X-Slack-No-Retry": "1"})
        return next()
    return middleware


@contextlib.contextmanager
def working(client: WebClient, channel: str, ts: str) -> Iterator[None]:
    """An ⏳ reaction on the asking message while the answer is worked on (skipped if Slack refuses it)."""
    def react(method: Callable[..., Any]) -> None:
        try:
            method(channel=channel, timestamp=ts, name=WORKING_REACTION)
        except SlackApiError as exc:  # e.g. no reactions:write scope: the answer still comes
            log.info("Reaktionen kunde inte sättas/tas bort (%s)", exc.response.get("error"))
    react(client.reactions_add)
    try:
        yield
    finally:
        react(client.reactions_remove)


def post_thread(client: WebClient, channel: str, messages: Sequence[Message]) -> str:
    """Post the first message in the channel and the rest in its thread; the thread's ts."""
    first = client.chat_postMessage(channel=channel, text=messages[0].text, blocks=messages[0].blocks)
    thread = str(first["ts"])
    for message in messages[1:]:
        client.chat_postMessage(channel=channel, thread_ts=thread, text=message.text, blocks=message.blocks)
    return thread


@contextlib.contextmanager
def replying(post: Callable[[str, list[dict[str, Any]] | None], Any]) -> Iterator[None]:
    """Turn any failure inside the block into one short Swedish reply (never silence, never a trace)."""
    try:
        yield
    except Exception as exc:
        if not isinstance(exc, KompetensError):
            log.exception("Oväntat fel i Slack-boten")
        try:
            post(failure_text(exc), None)
        except Exception:
            log.exception("Kunde inte skicka felmeddelandet till Slack")


def _poster(client: WebClient, channel: str, thread: str | None) -> Callable[[str, list[dict[str, Any]] | None], Any]:
    def post(text: str, blocks: list[dict[str, Any]] | None) -> Any:
        return client.chat_postMessage(channel=channel, thread_ts=thread, text=text, blocks=blocks)
    return post


def _responder(respond: Callable[..., Any], channel: str) -> Callable[[str, list[dict[str, Any]] | None], Any]:
    # In a DM the user's own scopes applied: show the reply to that user only.
    visibility = "ephemeral" if channel.startswith("D") else "in_channel"

    def reply(text: str, blocks: list[dict[str, Any]] | None) -> Any:
        return respond(text=text, blocks=blocks, response_type=visibility, replace_original=False)
    return reply


def clean(text: str) -> str:
    """Slack message text without bot mentions and with Slack's &amp;/&lt;/&gt; escapes undone."""
    return html.unescape(_MENTION.sub(" ", text)).strip()


def create_bolt_app(service: Service, socket_mode: bool = False) -> App:
    """A Bolt app with the bot's listeners; Web API calls go to `KOMPETENS_SLACK_API_URL` when set."""
    slack = service.settings.slack
    if slack.bot_token is None:
        raise KompetensError("KOMPETENS_SLACK_BOT_TOKEN saknas.")
    client = WebClient(token=slack.bot_token.get_secret_value(), base_url=_base_url(slack.api_url))
    secret = slack.signing_secret.get_secret_value() if slack.signing_secret else ""
    app = App(client=client, signing_secret=secret, token_verification_enabled=False,
              request_verification_enabled=not socket_mode, process_before_response=False, logger=log)
    bot = SlackBot(service)
    app.use(drop_retries(SeenEvents()))
    app.event("app_mention")(bot.on_mention)
    app.event("message")(bot.on_message)
    app.command("/kompetens")(bot.on_command)
    app.action(re.compile(r"^feedback_(upp|ner)$"))(bot.on_feedback)
    return app


def _base_url(api_url: str | None) -> str:
    url = api_url or "https://slack.com/api/"
    return url if url.endswith("/") else url + "/"


def mount(api: FastAPI, bolt: App, path: str = "/slack/events") -> None:
    """Serve Slack's Events API, slash commands and interactivity at `path` (signatures checked by Bolt)."""
    @api.post(path, include_in_schema=False)
    async def slack_events(request: Request) -> Response:
        body = await request.body()
        # Bolt's dispatch is synchronous (signature check, auth, ack): keep it off the event loop.
        response = await run_in_threadpool(bolt.dispatch, to_bolt_request(request, body))
        return to_starlette_response(response)


def socket_mode_handler(service: Service) -> Any:
    """A Socket Mode handler for the bot (`KOMPETENS_SLACK_APP_TOKEN`); `.connect()` or `.start()` it."""
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    app_token = service.settings.slack.app_token
    if app_token is None:
        raise KompetensError("KOMPETENS_SLACK_APP_TOKEN (xapp-…) saknas: den behövs för Socket Mode.")
    service.link_key  # noqa: B018 - ConfigError without a shared link secret: the bot's links must open
    bolt = create_bolt_app(service, socket_mode=True)
    return SocketModeHandler(bolt, app_token.get_secret_value(), web_client=bolt.client)


def run_socket_mode(service: Service) -> None:
    """Connect to Slack over Socket Mode (`KOMPETENS_SLACK_APP_TOKEN`) and serve until interrupted."""
    socket_mode_handler(service).start()

