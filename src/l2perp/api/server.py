"""The HTTP face of the node: `POST /info` and `POST /exchange` in the Hyperliquid dialect.

Bodies are parsed with orjson, which keeps key order and number types, so an L1 action is hashed
exactly as the client signed it. Business errors are HTTP 200 with Hyperliquid's shapes; an
/exchange body that is not JSON gets 422 plain text as Hyperliquid answers; every other 4xx is
JSON with `code` and `msg` (the SDK fails on a 4xx JSON body without them): /info answers any
body it cannot serve (not JSON, no string `type`, a bad field) with 422 and Hyperliquid's
"Failed to deserialize" text. Bodies are capped (413) and an unexpected failure is a logged 500
JSON with an error id (guard.py); IP rate limits key requests by client (clientip.py).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from contextlib import asynccontextmanager
from functools import partial
from pathlib import Path

import orjson
from fastapi import FastAPI, Request
from fastapi.responses import PlainTextResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from ..engine.errors import NONCE_DUPLICATE, RATE_LIMIT_CUMULATIVE_REQUESTS
from ..engine.stf import check_nonce_window
from ..engine.tx import DevFaucet, Tx
from ..node.service import Node, wall_ms
from ..rollup.l1 import L1Error
from .clientip import TrustedProxies, client_key
from .daystats import DayStatsCache
from .errors import INVALID_INFO_TYPE, NOT_JSON, json_error
from .exchange import Network, RequestError, decode_request, format_receipt
from .guard import RequestGuard
from .info import asset_by_name, traded_usd
from .info_types import info_answer, info_items_weight, info_weight
from .ratelimit import IP_RATE_LIMITED, Limiter, RateLimits, action_weight
from .rollup_api import L1Requests
from .ws import MAX_CONNECTIONS_PER_IP, MAX_QUEUED_BYTES, MAX_QUEUED_MESSAGES, Hub

__all__ = ["NOT_JSON", "create_app", "info_answer"]


def _json(value: object) -> Response:
    return Response(orjson.dumps(value), media_type="application/json")


WEB = Path(__file__).resolve().parent.parent / "web"
WEB_TYPES = {".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8",
             ".css": "text/css; charset=utf-8"}


def web_file(name: str) -> Response:
    """The web app's own files (served by the node, like any client of the API): only the
    files in l2perp/web with a known type; 404 for anything else."""
    path = WEB / name
    kind = WEB_TYPES.get(path.suffix)
    if kind is None or "/" in name or not path.is_file():
        return PlainTextResponse("Not found", status_code=404)
    return Response(path.read_bytes(), media_type=kind)


class NodeApp(FastAPI):
    """The FastAPI app, with the routes of `fast.fast_routes` answered by that guard before the
    framework's middleware stack (same body cap, same catch-all, same handler)."""

    fast: RequestGuard | None = None

    async def __call__(self, scope, receive, send) -> None:
        fast = self.fast
        if fast is not None and scope["type"] == "http" and \
                (scope.get("method"), scope.get("path")) in fast.fast_routes:
            await fast(scope, receive, send)
            return
        await super().__call__(scope, receive, send)


def create_app(node: Node, network: Network = Network(),
               rate_limits: RateLimits | None = None, *,
               trusted_proxies: Iterable[str] = frozenset(),
               max_body_bytes: int = 1_000_000,
               ws_max_queued_messages: int = MAX_QUEUED_MESSAGES,
               ws_max_queued_bytes: int = MAX_QUEUED_BYTES,
               ws_max_connections_per_ip: int = MAX_CONNECTIONS_PER_IP,
               unlimited_challengers: Iterable[str] = frozenset()) -> FastAPI:
    """The ASGI app serving one node. Rate limits are off unless given; they count each
    client under its socket peer's address, or under what X-Forwarded-For / Forwarded /
    X-Real-IP say only when that peer is in `trusted_proxies` (addresses or networks; none by
    default). Serve it with uvicorn's `proxy_headers=False`, or uvicorn rewrites the peer
    from X-Forwarded-For before the app sees it (the app then keys every such request alike).
    Request bodies above `max_body_bytes` get 413; a websocket reader with more than
    `ws_max_queued_messages` or `ws_max_queued_bytes` waiting is closed (1008), and so is a
    connection beyond `ws_max_connections_per_ip` open ones from one client address.
    `unlimited_challengers` (L1 addresses: the verifier `l2perp up` starts) send their /l1
    challenges outside the IP limits: on a devnet the verifier shares 127.0.0.1 with every
    local bot, and a fraud challenge must not wait for their minute to pass."""

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        await node.start()
        yield
        await node.stop()

    app = NodeApp(lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None)
    days = DayStatsCache()
    trusted = TrustedProxies(trusted_proxies)
    limiter = Limiter(rate_limits) if rate_limits is not None else None
    routes = Routes(node, network, limiter, trusted, days, unlimited_challengers)
    app.add_middleware(RequestGuard, max_body_bytes=max_body_bytes)
    # orders take the fast path: the framework's middleware, routing, request objects and
    # dependency solving cost about as much CPU as the order itself
    app.fast = RequestGuard(partial(FastAPI.__call__, app), max_body_bytes=max_body_bytes,
                            fast_routes={("POST", "/exchange"): routes.exchange})
    app.add_exception_handler(StarletteHTTPException, _http_error)
    hub = Hub(node, days, max_messages=ws_max_queued_messages, max_bytes=ws_max_queued_bytes,
              max_per_ip=ws_max_connections_per_ip, trusted=trusted)
    _listen(node, hub)
    app.state.hub, app.state.limiter = hub, limiter  # for operators' and tests' inspection
    app.add_api_websocket_route("/ws", hub.serve)
    app.add_api_route("/", web_index, methods=["GET"])
    app.add_api_route("/{name}", web_asset, methods=["GET"])
    app.add_api_route("/info", routes.post_info, methods=["POST"])
    app.add_api_route("/exchange", routes.post_exchange, methods=["POST"])
    app.add_api_route("/l1", routes.post_l1, methods=["POST"])
    return app


def _listen(node: Node, hub: Hub) -> None:
    """Tell the websocket hub about blocks, halts and L1 events."""
    node.listeners.append(hub.on_block)
    node.halt_listeners.append(lambda why: hub.on_rollup("sequencerHalted", {"reason": why}))
    if node.rollup is not None:
        node.rollup.listeners.append(hub.on_rollup)


async def web_index() -> Response:
    return web_file("index.html")


async def web_asset(name: str) -> Response:
    return web_file(name)


class Routes:
    """`POST /info`, `/exchange` and `/l1` for one node, with what they share: the rate
    limiter (None: no limits), the proxies trusted to name a client, the day-statistics
    cache."""

    def __init__(self, node: Node, network: Network, limiter: Limiter | None,
                 trusted: TrustedProxies, days: DayStatsCache,
                 unlimited_challengers: Iterable[str] = frozenset()) -> None:
        self.node = node
        self.unlimited_challengers = frozenset(a.lower() for a in unlimited_challengers)
        self.network = network
        self.limiter = limiter
        self.trusted = trusted
        self.days = days
        config = node.state.config
        self.l1_requests = L1Requests(node, config.admin if config.devnet else None)

    # ----- rate limits ------------------------------------------------------------------
    def key_of(self, request: Request) -> str:
        return client_key(request.scope, self.trusted) if self.limiter is not None else ""

    def ip_refused(self, key: str, weight: int) -> Response | None:
        """None when `weight` fits in the client's budget (counted), else the 429."""
        limiter = self.limiter
        if limiter is None or limiter.allow_ip(key, weight, wall_ms()):
            return None
        return json_error(429, limiter.refusal)

    def ip_exhausted(self, key: str) -> Response | None:
        """The 429 before any body is read, when nothing fits any more."""
        limiter = self.limiter
        if limiter is None or not limiter.exhausted_ip(key, wall_ms()):
            return None
        return json_error(429, limiter.refusal)

    def address_refused(self, signer: str, items: int, is_cancel: bool) -> Response | None:
        """The error once the signer's account has used its per-address budget. Only holders
        of an account are counted (the engine refuses anyone else), so the counters cannot
        grow with every key an attacker invents."""
        limiter, state = self.limiter, self.node.state
        if limiter is None:
            return None
        user = state.agent_owner.get(signer, signer)
        if user not in state.accounts:
            return None
        volume = traded_usd(state, user)
        allowed, sent, cap = limiter.allow_address(user, items, is_cancel, wall_ms(), volume)
        if allowed:
            return None
        return _json({"status": "err", "response": RATE_LIMIT_CUMULATIVE_REQUESTS.format(
            sent=sent, cap=cap, volume=volume)})

    def fault_refused(self, signer: str | None) -> Response | None:
        """The 429 while a devRateLimitUser fault covers the signer or the account it acts
        for (the body a real IP limit answers, so a bot meets what it would meet)."""
        node = self.node
        if signer is None or not node.faults.rate_limited:
            return None
        now = node.clock_ms()
        user = node.state.agent_owner.get(signer, signer)
        if node.faults.is_rate_limited(signer, now) or node.faults.is_rate_limited(user, now):
            limiter = self.limiter
            return json_error(429, limiter.refusal if limiter is not None else
                              IP_RATE_LIMITED.format(limit=RateLimits().ip_weight_per_minute))
        return None

    # ----- the wire's view of the markets -----------------------------------------------
    def sz_decimals_of(self, asset: int) -> int:
        return self.node.state.markets[asset].sz_decimals

    def asset_of(self, coin: object) -> int | None:
        return asset_by_name(self.node.state, coin)

    # ----- routes -----------------------------------------------------------------------
    async def post_info(self, request: Request) -> Response:
        self.node.sequencer.index_if_pending()  # an answer sees every acknowledged request
        key = self.key_of(request)
        refused = self.ip_exhausted(key)
        if refused is not None:
            return refused
        try:
            body = await _read_json(request)
        except orjson.JSONDecodeError:
            body = None
        kind = body.get("type") if isinstance(body, dict) else None
        refused = self.ip_refused(key, info_weight(kind))
        if refused is not None:
            return refused
        if not isinstance(body, dict):
            return json_error(422, NOT_JSON)
        if not isinstance(kind, str):
            return json_error(422, f"{NOT_JSON}: {INVALID_INFO_TYPE}")
        try:
            answer = info_answer(self.node, body, self.days, self.limiter)
        except (ValueError, KeyError, IndexError, TypeError, OverflowError) as exc:
            return json_error(422, f"{NOT_JSON}: {exc}")
        if self.limiter is not None:
            self.limiter.charge_ip(key, info_items_weight(kind, answer), wall_ms())
        return _json(answer)

    async def post_exchange(self, request: Request) -> Response:
        return await self.exchange(request.scope, await request.body())

    async def exchange(self, scope: dict, raw: bytes) -> Response:
        """`POST /exchange` with its body read (the guard's fast path calls it straight from
        the ASGI scope, without the framework's routing; `post_exchange` is the same)."""
        key = client_key(scope, self.trusted) if self.limiter is not None else ""
        refused = self.ip_exhausted(key)
        if refused is not None:
            return refused
        try:
            body = orjson.loads(raw)
        except orjson.JSONDecodeError:
            return self.ip_refused(key, 1) or PlainTextResponse(NOT_JSON, status_code=422)
        action = body.get("action") if isinstance(body, dict) else None
        weight, items, is_cancel = action_weight(action if isinstance(action, dict) else {})
        refused = self.ip_refused(key, weight)
        if refused is not None:
            return refused
        node = self.node
        try:
            tx = decode_request(body, self.network, self.sz_decimals_of, self.asset_of,
                                devnet=node.state.config.devnet)
        except RequestError as exc:
            return _json({"status": "err", "response": str(exc)})
        refused = self.fault_refused(tx.signer)
        if refused is not None:
            return refused
        refused = self.address_refused(tx.signer, items, is_cancel)
        if refused is not None:
            return refused
        if node.rollup is not None and isinstance(tx.action, DevFaucet):
            return _json(await rollup_faucet(node, tx))
        receipt = await node.submit(tx)
        return _json(format_receipt(receipt, self.sz_decimals_of))

    async def post_l1(self, request: Request) -> Response:
        key = self.key_of(request)
        try:
            body: object = await _read_json(request)
        except orjson.JSONDecodeError:
            body = _UNREADABLE
        if not self.is_unlimited_challenge(body):
            refused = self.ip_exhausted(key) or self.ip_refused(key, 1)
            if refused is not None:
                return refused
        if body is _UNREADABLE:
            return json_error(422, NOT_JSON)
        return _json(self.l1_requests.handle(body))

    def is_unlimited_challenge(self, body: object) -> bool:
        """A challenge naming one of `unlimited_challengers` as its sender (its signature is
        checked as any L1 request's, so a forged sender gains one refused request)."""
        if not self.unlimited_challengers or not isinstance(body, dict):
            return False
        sender = body.get("sender")
        return body.get("type") == "challenge" and isinstance(sender, str) and \
            sender.lower() in self.unlimited_challengers


_UNREADABLE = object()  # a body that is not JSON


async def _read_json(request: Request) -> object:
    """The parsed body (the guard caps its size); orjson.JSONDecodeError if not JSON."""
    return orjson.loads(await request.body())


async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
    """Routing errors (404, 405...) in the API's one error shape."""
    response = json_error(exc.status_code, str(exc.detail))
    response.headers.update(exc.headers or {})  # Allow, for a 405
    return response


async def rollup_faucet(node: Node, tx: Tx) -> dict:
    """devFaucet on a rollup devnet: the admin mints test USDC on L1 and deposits it for the
    user (money enters through the bridge, so R1 holds); the reply waits for the credit."""
    state = node.state
    if not state.config.devnet or tx.signer != state.config.admin:
        return {"status": "err", "response": "Only the admin key may send this action."}
    # the engine's nonce window, and every nonce once, durably (a replay after a restart fails)
    error = check_nonce_window(state, tx.nonce)
    if error is not None:
        return {"status": "err", "response": error}
    if not node.rollup.journal.claim_faucet_nonce(tx.nonce):
        return {"status": "err", "response": NONCE_DUPLICATE.format(nonce=tx.nonce)}
    host = node.rollup.host
    admin = state.config.admin
    try:
        host.call("mint", admin, tx.action.amount_musdc)
        message = host.call("deposit", admin, tx.action.user, tx.action.amount_musdc)
    except L1Error as exc:
        return {"status": "err", "response": str(exc)}
    for _ in range(200):
        if node.state.l1_cursor > message.index:
            return {"status": "ok", "response": {"type": "default"}}
        await asyncio.sleep(node.block_ms / 1000)
    return {"status": "err", "response": "the L1 deposit was not credited in time"}
