"""The Slack bot: mentions, DMs, `/kompetens` and 👍/👎 buttons over the same service as the API.

Each listener acknowledges Slack first (Bolt runs it in a worker thread after the ack, since
`process_before_response` is off) and then does the work. Which material may be cited is decided
by where the question is asked: a channel's configured scopes (never the asker's), a DM's user
scopes, `publik` for anything unmapped (`assistant.scopes.for_conversation`). A follow-up in a
thread is asked with the earlier questions the bot reads here (`assistant.answer.followup`).
Failures become one short Swedish reply (`failure_text`).
"""

from __future__ import annotations

import contextlib
import html
import logging
import re
from collections.abc import Callable, Iterator
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import Response
from slack_bolt import App
from slack_bolt.adapter.starlette.handler import to_bolt_request, to_starlette_response
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from starlette.concurrency import run_in_threadpool

from assistant.answer.followup import check_question
from assistant.draft.request import SECTION_KEYS, parse_command
from assistant.errors import KompetensError
from assistant.interfaces.slack.blocks import answer_blocks, draft_blocks
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
THANKS = "Tack för ditt omdöme! Det hjälper oss att göra svaren bättre."
_MENTION = re.compile(r"<@[A-Z0-9]+(?:\|[^>]*)?>")
_QUESTION_HINT = "Skriv frågan efter @Kompetensassistenten, t.ex. ”Vilka bristyrken finns i Åsele?”"


def failure_text(exc: BaseException) -> str:
    """The one Swedish reply for a failure: the domain error's own message, or a short general one."""
    if isinstance(exc, KompetensError):
        return f"⚠️ {exc}"
    return "⚠️ Något gick fel när jag skulle svara. Försök igen om en stund."


class SlackBot:
    """The listeners, bound to one service and its Slack settings."""

    def __init__(self, service: Service) -> None:
        self.service = service
        self.public_url = service.settings.public_url.rstrip("/")

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
        with replying(post):
            earlier = self.earlier_questions(client, event, bot, only_mentions)
            scopes = self.service.conversation_scopes(channel, event.get("user"))
            answer = self.service.ask_follow_up(clean(event.get("text", "")), earlier, scopes, "slack",
                                                hint=_QUESTION_HINT)
            post(answer.answer, answer_blocks(answer, self.public_url))

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

    def on_command(self, ack: Callable[..., None], command: dict[str, Any], respond: Callable[..., Any]) -> None:
        """`/kompetens fråga …`, `/kompetens utkast <kommun> [avsnitt …]`, `/kompetens hjälp`."""
        word, _, rest = command.get("text", "").strip().partition(" ")
        verb = slugify(word)
        if verb in ("fraga", "fragan"):
            self._command_ask(ack, command, respond, rest)
        elif verb == "utkast":
            self._command_draft(ack, command, respond, rest)
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
            reply(answer.answer, answer_blocks(answer, self.public_url))

    def _command_draft(self, ack: Callable[..., None], command: dict[str, Any], respond: Callable[..., Any],
                       text: str) -> None:
        try:
            kommun, avsnitt = parse_command(text)
        except KompetensError as exc:
            return ack(f"⚠️ {exc}")
        ack(f"⏳ Jag skriver ett utkast för {kommun} …")
        reply = _responder(respond, command["channel_id"])
        with replying(reply):
            scopes = self.service.conversation_scopes(command["channel_id"], command.get("user_id"))
            draft = self.service.draft(kommun, avsnitt, scopes)
            reply(f"Utkast till handlingsplan för {draft.kommun}", draft_blocks(draft, self.public_url))

    def on_feedback(self, ack: Callable[..., None], action: dict[str, Any], respond: Callable[..., Any]) -> None:
        """👍/👎 on an answer: stored with the question and answer it rates."""
        ack()
        rating = "upp" if action["action_id"] == "feedback_upp" else "ner"
        try:
            self.service.rate(action.get("value", ""), rating, None, "slack")
            text = THANKS
        except Exception as exc:  # the user clicked: always tell them what happened
            log.warning("Slack-omdöme kunde inte sparas (%s)", type(exc).__name__)
            text = failure_text(exc)
        respond(text=text, response_type="ephemeral", replace_original=False)


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
        return client.chat_postMessage(channel=channel, thread_ts=thread, text=text[:3000], blocks=blocks)
    return post


def _responder(respond: Callable[..., Any], channel: str) -> Callable[[str, list[dict[str, Any]] | None], Any]:
    # In a DM the user's own scopes applied: show the reply to that user only.
    visibility = "ephemeral" if channel.startswith("D") else "in_channel"

    def reply(text: str, blocks: list[dict[str, Any]] | None) -> Any:
        return respond(text=text[:3000], blocks=blocks, response_type=visibility, replace_original=False)
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


def run_socket_mode(service: Service) -> None:
    """Connect to Slack over Socket Mode (`KOMPETENS_SLACK_APP_TOKEN`) and serve until interrupted."""
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    app_token = service.settings.slack.app_token
    if app_token is None:
        raise KompetensError("KOMPETENS_SLACK_APP_TOKEN (xapp-…) saknas: den behövs för Socket Mode.")
    SocketModeHandler(create_bolt_app(service, socket_mode=True), app_token.get_secret_value()).start()

