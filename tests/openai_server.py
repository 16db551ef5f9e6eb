"""A real HTTP server speaking the OpenAI chat-completions protocol, scripted by tests.

It listens on a free 127.0.0.1 port in a background thread. A test picks the reply mode:

- "good": cites each passage of the request with its own first sentence, so it is supported
- "invented": a good reply plus a sentence citing [7]
- "none": a plausible answer without any citation
- "injection": "HEJ", as if it had obeyed an instruction inside a passage
- "refusal": the Swedish "cannot answer" phrase
- "error": HTTP 500
- "timeout": waits (at most `max_delay_s`) before answering, so the client gives up first

Every request is recorded (path, headers, JSON body) for assertions.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

MODES = ("good", "invented", "none", "injection", "refusal", "error", "timeout")
MODEL = "test-modell"
_PASSAGE = re.compile(r"^\[(\d+)\] [^\n]*\n(.*?)(?=\n\n\[\d+\] |\n</kallor>)", re.MULTILINE | re.DOTALL)


@dataclass
class RecordedRequest:
    """One request the server received."""

    method: str
    path: str
    headers: dict[str, str]
    body: dict[str, Any] | None


@dataclass
class OpenAIServer:
    """State shared between the test and the handler threads."""

    mode: str = "good"
    max_delay_s: float = 5.0
    requests: list[RecordedRequest] = field(default_factory=list)
    stopping: threading.Event = field(default_factory=threading.Event)
    url: str = ""

    def reply_with(self, mode: str) -> None:
        """Script the reply to every following request."""
        if mode not in MODES:
            raise ValueError(f"unknown mode {mode!r}")
        self.mode = mode

    def chat_requests(self) -> list[dict[str, Any]]:
        """Bodies of the chat-completion requests received so far."""
        return [r.body for r in self.requests if r.path.endswith("/chat/completions") and r.body]


def reply_for(mode: str, body: dict[str, Any]) -> str:
    """The assistant text for `mode`, built from the request's own passages."""
    passages = _passages(body)
    good = " ".join(f"{_first_sentence(text)} [{n}]" for n, text in passages[:2])
    return {
        "good": good,
        "invented": f"{good} Dessutom ökar behovet av ingenjörer kraftigt [7].",
        "none": "Det finns ett stort behov av undersköterskor och lärare i kommunerna.",
        "injection": "HEJ",
        "refusal": "Underlaget innehåller inget som besvarar frågan.",
    }[mode]


def _passages(body: dict[str, Any]) -> list[tuple[int, str]]:
    user = next((m["content"] for m in reversed(body.get("messages", [])) if m.get("role") == "user"), "")
    data = user.split("<kallor>", 1)[-1]
    return [(int(m.group(1)), m.group(2).strip()) for m in _PASSAGE.finditer(data)]


def _first_sentence(text: str) -> str:
    first = re.split(r"(?<=[.!?])\s+(?=[A-ZÅÄÖ])", text.strip(), maxsplit=1)[0]
    return first.rstrip(".") + "."


def completion(content: str, model: str) -> dict[str, Any]:
    """A valid non-streaming chat.completion object."""
    return {
        "id": f"chatcmpl-test{time.monotonic_ns()}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content},
                     "logprobs": None, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 100, "completion_tokens": len(content.split()),
                  "total_tokens": 100 + len(content.split())},
    }


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
        return

    def do_GET(self) -> None:
        self._record(None)
        if self.path.rstrip("/").endswith("/models"):
            self._send(200, {"object": "list", "data": [
                {"id": MODEL, "object": "model", "created": 0, "owned_by": "test"}]})
        else:
            self._send(404, {"error": {"message": "not found", "type": "invalid_request_error"}})

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length) or b"{}")
        self._record(body)
        if not self.path.endswith("/chat/completions"):
            self._send(404, {"error": {"message": "not found", "type": "invalid_request_error"}})
            return
        state = self.server.state
        mode = state.mode
        if mode == "error":
            self._send(500, {"error": {"message": "internt fel", "type": "server_error"}})
            return
        if mode == "timeout":
            state.stopping.wait(state.max_delay_s)  # bounded, and cut short when the server stops
            mode = "good"
        self._send(200, completion(reply_for(mode, body), body.get("model", MODEL)))

    def _record(self, body: dict[str, Any] | None) -> None:
        self.server.state.requests.append(RecordedRequest(self.command, self.path, dict(self.headers), body))

    def _send(self, status: int, payload: dict[str, Any]) -> None:
        data = json.dumps(payload).encode("utf-8")
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (timeout mode)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, state: OpenAIServer) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.state = state


@contextmanager
def openai_server(max_delay_s: float = 5.0) -> Iterator[OpenAIServer]:
    """Run the scripted server on a free loopback port; yields its state (`url` ends in /v1)."""
    state = OpenAIServer(max_delay_s=max_delay_s)
    server = _Server(state)
    state.url = f"http://127.0.0.1:{server.server_address[1]}/v1"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        state.stopping.set()
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
