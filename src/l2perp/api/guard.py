"""The outer guard of every HTTP request: a body over the cap is refused with 413 before it is
read past the cap (at once when Content-Length announces it), and an exception no handler
caught becomes a 500 JSON answer whose `errorId` names the traceback in the log. The client
always gets JSON, the server never a stack trace on the wire. The routes named in
`fast_routes` (POST /exchange: every order) are answered here from the ASGI scope and the body,
under the same cap and catch-all, without the framework's routing and request objects.
"""

from __future__ import annotations

import logging
import secrets

from collections.abc import Awaitable, Callable

import orjson
from starlette.responses import Response

from .errors import BODY_TOO_LARGE, INTERNAL_ERROR

log = logging.getLogger("l2perp.api")


# answers one request from its ASGI scope and whole body
FastHandler = Callable[[dict, bytes], Awaitable[Response]]


class BodyTooLarge(Exception):
    """The request body passed the cap (raised by the guarded `receive`)."""


class RequestGuard:
    """Pure ASGI middleware; `max_body_bytes` caps every HTTP request body."""

    def __init__(self, app, max_body_bytes: int = 1_000_000,
                 fast_routes: dict[tuple[str, str], FastHandler] | None = None) -> None:
        """`fast_routes`: (method, exact path) -> handler(scope, body bytes) -> Response,
        answered here without the framework (same cap, same catch-all)."""
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.fast_routes = fast_routes or {}

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if self._announced_too_large(scope):
            await self._answer(send, 413, {"code": 413, "msg": self._too_large()}, close=True)
            return
        received = 0
        started = False

        async def capped_receive():
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body_bytes:
                    raise BodyTooLarge()
            return message

        async def watched_send(message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        fast = self.fast_routes.get((scope.get("method"), scope.get("path")))
        try:
            if fast is None:
                await self.app(scope, capped_receive, watched_send)
            else:
                await self._answer_fast(fast, scope, capped_receive, watched_send)
        except BodyTooLarge:
            if not started:
                await self._answer(send, 413, {"code": 413, "msg": self._too_large()},
                                   close=True)
        except Exception:  # noqa: BLE001 - the catch-all: logged with its id, answered as JSON
            error_id = secrets.token_hex(8)
            log.exception("internal error %s on %s %s", error_id, scope.get("method"),
                          scope.get("path"))
            if not started:
                await self._answer(send, 500, {"code": 500, "msg": INTERNAL_ERROR,
                                               "errorId": error_id})

    @staticmethod
    async def _answer_fast(handler: FastHandler, scope, receive, send) -> None:
        """Read the whole body (capped by `receive`), let `handler` answer it."""
        chunks: list[bytes] = []
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        response = await handler(scope, b"".join(chunks))
        # a whole body at once, no background task: the two messages `Response` would send
        await send({"type": "http.response.start", "status": response.status_code,
                    "headers": response.raw_headers})
        await send({"type": "http.response.body", "body": response.body})

    def _too_large(self) -> str:
        return BODY_TOO_LARGE.format(limit=self.max_body_bytes)

    def _announced_too_large(self, scope) -> bool:
        for name, value in scope.get("headers") or ():
            if name == b"content-length":
                text = value.strip()
                return not text.isdigit() or len(text) > 18 or int(text) > self.max_body_bytes
        return False

    @staticmethod
    async def _answer(send, status: int, body: dict, close: bool = False) -> None:
        """Send one JSON response; `close` asks the server to drop the connection after it,
        so the rest of an unread body is never read."""
        payload = orjson.dumps(body)
        headers = [(b"content-type", b"application/json"),
                   (b"content-length", str(len(payload)).encode())]
        if close:
            headers.append((b"connection", b"close"))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": payload})
