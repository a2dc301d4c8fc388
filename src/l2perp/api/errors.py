"""The API's own error texts (the engine's, Hyperliquid's business errors, live in
engine/errors.py) and the one shape of an HTTP error body: {"code": <status>, "msg": <text>},
which the SDK reads from any 4xx (it fails on a 4xx JSON body without both keys)."""

from __future__ import annotations

import orjson
from starlette.responses import Response

NOT_JSON = "Failed to deserialize the JSON body into the target type"
# source: Hyperliquid's 422 for a body it cannot parse (docs/api.md, error shapes).

BODY_TOO_LARGE = "Request body too large: at most {limit} bytes"
# l2perp: HTTP 413, before the body is read past the limit.

INTERNAL_ERROR = "internal error"
# l2perp: HTTP 500 with an `errorId` that names the logged traceback.

INVALID_INFO_TYPE = "invalid info type: `type` must be a string"
INVALID_TIME = "invalid {key}: an integer of milliseconds in [0, 2^63 - 1) is required"
INVALID_INTEGER = "invalid {key}: an integer in [0, 2^63 - 1) is required"

WS_TOO_SLOW = "reader too slow: more than {messages} messages or {size} bytes queued"
# l2perp: websocket close reason (code 1008) for a client that does not read its messages.
WS_TOO_MANY_CONNECTIONS = "Too many websocket connections: at most {limit} per IP address"
WS_TOO_MANY_SUBSCRIPTIONS = "Too many subscriptions: at most {limit} per connection"
# l2perp text; the limit is Hyperliquid's (1,000 websocket subscriptions).

MAX_MSG_CHARS = 300  # an error text quotes at most this much of what the client sent

MAX_INT64 = (1 << 63) - 1  # SQLite's largest integer; times and ids stay below it


def json_error(status: int, msg: str, **extra: object) -> Response:
    """An HTTP error with the body {"code": status, "msg": msg, **extra}."""
    body = {"code": status, "msg": msg[:MAX_MSG_CHARS * 2], **extra}
    return Response(orjson.dumps(body), status_code=status, media_type="application/json")


def shown(value: object) -> str:
    """A short, safe rendering of a client's value for an error text (never a deep repr)."""
    if isinstance(value, str):
        return repr(value[:40] + ("..." if len(value) > 40 else ""))
    if value is None or isinstance(value, (bool, int, float)):
        text = repr(value)
        return text if len(text) <= 40 else text[:20] + "..."
    return f"a {type(value).__name__}"
