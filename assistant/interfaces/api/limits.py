"""The request body limit as ASGI middleware: counts the bytes actually received, not the header.

A `Content-Length` over the limit is refused at once; a body without one (chunked transfer
encoding) is read up to the limit and refused as soon as it goes over, so no request can make the
server hold more than `limit` bytes of body. The body read is then handed on to the app unchanged.
"""

from __future__ import annotations

import json
from typing import Any

TOO_LARGE = "Begäran är för stor."
BAD_LENGTH = "Begäran har ett ogiltigt Content-Length-huvud."

Message = dict[str, Any]


class BodyLimit:
    """Refuse HTTP request bodies over `limit` bytes with 413 and a Swedish message."""

    def __init__(self, app: Any, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Message, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None:
            try:
                length = int(declared)
            except ValueError:
                await _reply(send, 400, BAD_LENGTH)
                return
            if length > self.limit:
                await _reply(send, 413, TOO_LARGE)
                return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client went away
                return
            body = message.get("body", b"")
            size += len(body)
            if size > self.limit:
                await _reply(send, 413, TOO_LARGE)
                return
            chunks.append(body)
            if not message.get("more_body", False):
                break
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": b"".join(chunks), "more_body": False}
            return await receive()  # type: ignore[no-any-return]

        await self.app(scope, replay, send)


async def _reply(send: Any, status: int, detail: str) -> None:
    body = json.dumps({"detail": detail}, ensure_ascii=False).encode("utf-8")
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})
