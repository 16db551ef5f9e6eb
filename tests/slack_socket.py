"""A stand-in for Slack's Socket Mode server: a real websocket server on 127.0.0.1 speaking the envelope protocol.

Slack sends `hello` when the app connects, then envelopes (`events_api`, `slash_commands`,
`interactive`) each with an `envelope_id`; the app acknowledges one by sending `{"envelope_id": …}`
back. Point the Web API double's `apps.connections.open` at `server.url`.
"""

from __future__ import annotations

import json
import threading
import time
from typing import Any

from websockets.sync.server import Server, ServerConnection, serve


class SocketModeServer:
    """Accepts the app's connection, says hello, sends envelopes and records the acks."""

    def __init__(self) -> None:
        self.acks: list[dict[str, Any]] = []
        self.connected = threading.Event()
        self._connection: ServerConnection | None = None
        self._lock = threading.Lock()
        self._server: Server = serve(self._handle, "127.0.0.1", 0)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        host, port = self._server.socket.getsockname()[:2]
        return f"ws://{host}:{port}/link/?ticket=test"

    def _handle(self, connection: ServerConnection) -> None:
        self._connection = connection
        connection.send(json.dumps({"type": "hello", "num_connections": 1,
                                    "debug_info": {"host": "local", "approximate_connection_time": 3600},
                                    "connection_info": {"app_id": "A1"}}))
        self.connected.set()
        for raw in connection:
            message = json.loads(raw)
            if "envelope_id" in message:
                with self._lock:
                    self.acks.append(message)

    def send_event(self, envelope_id: str, event_id: str, event: dict[str, Any], retry_attempt: int = 0) -> None:
        """An `events_api` envelope as Slack sends it (retries carry the same event id)."""
        assert self._connection is not None and self.connected.wait(10), "the app never connected"
        payload = {"token": "x", "team_id": "T1", "api_app_id": "A1", "type": "event_callback",
                   "event_id": event_id, "event_time": int(time.time()), "event": event}
        self._connection.send(json.dumps({
            "envelope_id": envelope_id, "type": "events_api", "accepts_response_payload": False,
            "retry_attempt": retry_attempt, "retry_reason": "timeout" if retry_attempt else "", "payload": payload}))

    def wait_for_ack(self, envelope_id: str, timeout: float = 10.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                found = [a for a in self.acks if a["envelope_id"] == envelope_id]
            if found:
                return found[0]
            time.sleep(0.02)
        raise AssertionError(f"no ack for {envelope_id} within {timeout}s; acks: {self.acks}")

    def close(self) -> None:
        self._server.shutdown()
        self._thread.join(timeout=5)
