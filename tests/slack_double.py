"""A stand-in for Slack's Web API and response URLs: a real HTTP server on 127.0.0.1 that records calls.

Point the bot at it with `KOMPETENS_SLACK_API_URL` (= `double.url`) and give slash commands and
actions `double.response_url(...)`. Every call is recorded as a `Call`; `wait_for` polls (bounded)
for the asynchronous replies the bot sends after acknowledging Slack.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlparse

BOT_USER = "UBOT"


@dataclass
class Call:
    """One request the bot made: Web API method (e.g. "chat.postMessage") or "respond"."""

    method: str
    params: dict[str, Any]
    path: str
    authorization: str | None = None
    at: float = field(default_factory=time.monotonic)

    def text(self) -> str:
        """Everything a user would read in the message: text plus all block text, as one string."""
        return self.params.get("text", "") + "\n" + json.dumps(self.params.get("blocks") or [], ensure_ascii=False)


class SlackDouble:
    """Records calls and answers them like Slack does (ok JSON); threads for conversations.replies."""

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.threads: dict[str, list[dict[str, Any]]] = {}  # thread ts → messages for conversations.replies
        self.errors: dict[str, str] = {}  # method → Slack error code to answer with (ok: false)
        self.socket_url: str | None = None  # what apps.connections.open answers (a local websocket server)
        self._lock = threading.Lock()
        self._ts = itertools.count(1)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def url(self) -> str:
        """The Web API base URL for `KOMPETENS_SLACK_API_URL`."""
        return self.base + "/api/"

    def response_url(self, name: str) -> str:
        """A response_url for slash commands and actions; calls to it are recorded as method "respond"."""
        return f"{self.base}/respond/{name}"

    def reset(self) -> None:
        with self._lock:
            self.calls.clear()
            self.threads.clear()
            self.errors.clear()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def calls_to(self, method: str, where: Callable[[Call], bool] | None = None) -> list[Call]:
        with self._lock:
            return [c for c in self.calls if c.method == method and (where is None or where(c))]

    def wait_for(self, method: str, where: Callable[[Call], bool] | None = None, count: int = 1,
                 timeout: float = 10.0) -> list[Call]:
        """The first `count` matching calls, polling up to `timeout` seconds (AssertionError after)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.calls_to(method, where)
            if len(found) >= count:
                return found
            time.sleep(0.02)
        raise AssertionError(f"no {count}× {method} within {timeout}s; calls: {[c.method for c in self.calls]}")

    def _record(self, call: Call) -> dict[str, Any] | str:
        with self._lock:
            self.calls.append(call)
        if call.method in ("respond", "upload"):
            return "ok"
        if call.method in self.errors:
            return {"ok": False, "error": self.errors[call.method]}
        ts = f"1700000000.{next(self._ts):06d}"
        answers: dict[str, dict[str, Any]] = {
            "auth.test": {"user_id": BOT_USER, "bot_id": "BBOT", "team_id": "T1", "user": "kompetens",
                          "team": "Västerbotten", "url": "https://vasterbotten.slack.com/"},
            "chat.postMessage": {"channel": call.params.get("channel"), "ts": ts,
                                 "message": {"text": call.params.get("text"), "ts": ts}},
            "chat.postEphemeral": {"message_ts": ts},
            "conversations.replies": {"messages": self.threads.get(str(call.params.get("ts")), []),
                                      "has_more": False},
            "apps.connections.open": {"url": self.socket_url},
            "files.getUploadURLExternal": {"upload_url": f"{self.base}/upload/F{ts[-6:]}", "file_id": f"F{ts[-6:]}"},
            "files.completeUploadExternal": {"files": [{"id": f["id"], "title": f.get("title")} for f in
                                                       json.loads(call.params.get("files") or "[]")]},
        }
        return {"ok": True, **answers.get(call.method, {})}

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        double = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                self._handle(b"")

            def do_POST(self) -> None:  # noqa: N802
                self._handle(self.rfile.read(int(self.headers.get("Content-Length") or 0)))

            def _handle(self, body: bytes) -> None:
                url = urlparse(self.path)
                params: dict[str, Any] = dict(parse_qsl(url.query))
                params.update(_parse_body(body, self.headers.get("Content-Type", "")))
                if isinstance(params.get("blocks"), str):
                    params["blocks"] = json.loads(params["blocks"])
                method = "respond" if url.path.startswith("/respond/") else url.path.removeprefix("/api/")
                if url.path.startswith("/upload/"):  # files_upload_v2 posts the file's bytes here
                    method, params = "upload", {"bytes": body}
                reply = double._record(Call(method, params, url.path, self.headers.get("Authorization")))
                data = reply.encode() if isinstance(reply, str) else json.dumps(reply).encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/plain" if isinstance(reply, str) else "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *_: object) -> None:
                pass

        return Handler


def _parse_body(body: bytes, content_type: str) -> dict[str, Any]:
    if not body:
        return {}
    if "json" in content_type:
        return dict(json.loads(body))
    if "x-www-form-urlencoded" in content_type:
        return dict(parse_qsl(body.decode()))
    return {}


def sign(body: str, secret: str, timestamp: int | None = None) -> dict[str, str]:
    """Headers Slack sends with a request: v0=hmac_sha256(secret, "v0:{ts}:{body}")."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    digest = hmac.new(secret.encode(), f"v0:{ts}:{body}".encode(), hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": f"v0={digest}"}
