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

from collections.abc import Iterable
from contextlib import asynccontextmanager
from pathlib import Path

import orjson
from fastapi import FastAPI, Request, WebSocket
from fastapi.responses import PlainTextResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from ..node import indexer
from ..engine.errors import (
    NONCE_DUPLICATE, NONCE_TOO_HIGH, NONCE_TOO_LOW, RATE_LIMIT_CUMULATIVE_REQUESTS,
)
from ..engine.positions import fee_rates
from ..engine.tx import DevFaucet, FillEvent
from ..node.devnet import dev_keys
from ..node.service import Node, wall_ms
from ..rollup.l1 import L1Error
from . import info as I
from .clientip import TrustedProxies, client_key
from .daystats import DayStatsCache
from .errors import (
    INVALID_INFO_TYPE, INVALID_INTEGER, INVALID_TIME, MAX_INT64, NOT_JSON, json_error, shown,
)
from .guard import RequestGuard
from .gov_api import GOV_INFO, gov_info
from .rollup_api import ROLLUP_INFO, L1Requests
from .rollup_api import info_answer as rollup_info
from .exchange import Network, RequestError, decode_request, format_receipt
from .ratelimit import Limiter, RateLimits, action_weight, info_items_weight, info_weight
from .solvency import solvency
from .ws import MAX_QUEUED_BYTES, MAX_QUEUED_MESSAGES, Hub

__all__ = ["NOT_JSON", "create_app", "info_answer"]


def _json(value: object) -> Response:
    return Response(orjson.dumps(value), media_type="application/json")


def _user(body: dict) -> str:
    user = body.get("user")
    if not isinstance(user, str) or len(user) != 42:
        raise ValueError("missing user")
    return user.lower()


def _asset_of(node: Node, coin: object) -> int:
    asset = I.asset_by_name(node.state, coin)
    if asset is None:
        raise ValueError(f"unknown coin {shown(coin)}")
    return asset


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


def info_answer(node: Node, body: dict, days: DayStatsCache | None = None) -> object:
    """The answer to one /info request (ValueError when it cannot be answered). `days` caches
    the 24-hour market statistics by height (without it, every request queries them)."""
    state = node.state
    kind = body.get("type")
    if kind == "meta":
        return I.meta(state)
    if kind == "spotMeta":
        return I.spot_meta(state)
    if kind == "allMids":
        return I.all_mids(state)
    if kind == "l2Book":
        return I.l2_book(state, _asset_of(node, body.get("coin")))
    if kind == "clearinghouseState":
        return I.clearinghouse_state(state, _user(body))
    if kind == "spotClearinghouseState":
        return {"balances": []}
    if kind in ("openOrders", "frontendOpenOrders"):
        return I.open_orders(state, _user(body), frontend=kind == "frontendOpenOrders")
    if kind == "metaAndAssetCtxs":
        return I.meta_and_asset_ctxs(state, (days or DayStatsCache()).get(node))
    if kind == "spotMetaAndAssetCtxs":
        return [I.spot_meta(state), []]
    if kind == "exchangeStatus":
        return I.exchange_status(state)
    if kind == "perpDexs":
        return [None]
    if kind == "userAbstraction":
        return "disabled"
    if kind == "userFills":
        return user_fills(node, _user(body))
    if kind == "userFillsByTime":
        return user_fills(node, _user(body), _ms(body, "startTime"), _ms(body, "endTime", None))
    if kind == "fundingHistory":
        return funding_history(node, body)
    if kind == "userFunding":
        return user_funding(node, body)
    if kind == "candleSnapshot":
        return candle_snapshot(node, body)
    if kind in EXTRA_INFO:
        return EXTRA_INFO[kind](node, body)
    if kind == "l2perpStatus":
        log = node.sequencer.log.path
        size = sum(p.stat().st_size for p in log.parent.glob(log.name + "*"))
        return {"height": state.height, "time": state.time_ms,
                "markets": [m.name for m in state.markets], "mempool": len(node.sequencer.mempool),
                "logBytes": size, "halted": node.halted, "devnet": state.config.devnet}
    if kind == "orderStatus":
        return order_status(node, _user(body), _oid(body))
    if kind in ROLLUP_INFO:
        return rollup_info(node, body)
    if kind in GOV_INFO:
        return gov_info(state, body)
    raise ValueError(f"unknown info type {shown(kind)}")


def user_fees(node: Node, body: dict) -> dict:
    user = _user(body)
    state = node.state
    account = state.accounts.get(user)
    taker, maker = (fee_rates(state, account) if account is not None
                    else (state.config.fee_tiers[0].taker_rate_e9,
                          state.config.fee_tiers[0].maker_rate_e9))
    days = sorted(account.volume_days.items()) if account is not None else []
    return {"dailyUserVlm": [{"date": day, "userCross": I.format_usdc(v), "userAdd": "0",
                              "exchange": I.format_usdc(state.volume_days.get(day, 0))}
                             for day, v in days],
            "userCrossRate": I.format_rate(taker), "userAddRate": I.format_rate(maker),
            "activeReferralDiscount": "0.0", "feeSchedule": {
                "cross": I.format_rate(state.config.fee_tiers[0].taker_rate_e9),
                "add": I.format_rate(state.config.fee_tiers[0].maker_rate_e9)}}


def user_role(node: Node, body: dict) -> dict:
    user = _user(body)
    if user in node.state.agent_owner:
        return {"role": "agent", "data": {"user": node.state.agent_owner[user]}}
    return {"role": "user"} if user in node.state.accounts else {"role": "missing"}


def extra_agents(node: Node, body: dict) -> list:
    account = node.state.accounts.get(_user(body))
    if account is None:
        return []
    return [{"name": a.name, "address": a.address, "validUntil": None}
            for _, a in sorted(account.agents.items())]


def historical_orders(node: Node, body: dict) -> list:
    user = _user(body)
    rows = node.sequencer.log.db.execute(
        "SELECT oid FROM orders WHERE user = ? ORDER BY oid DESC LIMIT 2000", (user,))
    out = []
    for (oid,) in rows.fetchall():
        answer = order_status(node, user, oid)
        if answer["status"] == "order":
            out.append(answer["order"])
    return out


def devnet_keys(node: Node, body: dict) -> list:
    """The deterministic devnet keys that `l2perp keys --json` prints, here as [{address,
    privateKey, role}] (camelCase, like the rest of /info), so a browser can offer them; only on
    a node whose genesis says devnet, a ValueError (422) anywhere else."""
    if not node.state.config.devnet:
        raise ValueError("unknown info type 'devnetKeys': this node is not a devnet")
    return [{"address": k.address, "privateKey": k.private_key, "role": k.role}
            for k in dev_keys()]


def user_rate_limit(node: Node, body: dict) -> dict:
    account = node.state.accounts.get(_user(body))
    volume = sum(account.volume_days.values()) if account is not None else 0
    return {"cumVlm": I.format_usdc(volume), "nRequestsUsed": 0,
            "nRequestsCap": 10_000 + volume // 1_000_000}


EXTRA_INFO = {
    "userFees": user_fees,
    "userRole": user_role,
    "extraAgents": extra_agents,
    "historicalOrders": historical_orders,
    "userRateLimit": user_rate_limit,
    "solvency": lambda node, body: solvency(node),
    "devnetKeys": devnet_keys,
    "subAccounts": lambda node, body: None,
    "userVaultEquities": lambda node, body: [],
    "userTwapSliceFills": lambda node, body: [],
    "userNonFundingLedgerUpdates": lambda node, body: [],
    "delegations": lambda node, body: [],
    "delegatorRewards": lambda node, body: [],
    "delegatorHistory": lambda node, body: [],
    "delegatorSummary": lambda node, body: {"delegated": "0", "undelegated": "0",
                                            "totalPendingWithdrawal": "0",
                                            "nPendingWithdrawals": 0},
    "userDexAbstraction": lambda node, body: None,
    "referral": lambda node, body: {"referredBy": None, "cumVlm": "0",
                                    "unclaimedRewards": "0", "claimedRewards": "0",
                                    "builderRewards": "0", "rewardHistory": [],
                                    "referrerState": {"stage": "needToTrade",
                                                      "data": {"required": "10000"}}},
}


def user_fills(node: Node, user: str, start_ms: int = 0, end_ms: int | None = None) -> list:
    """The user's fills, newest first (from the indexer)."""
    rows = indexer.fills_of(node.sequencer.log.db, user, start_ms, end_ms)
    out = []
    for fill, is_taker, height in rows:
        row = fill_row(node.state, fill, is_taker)
        if node.rollup is not None and height is not None:
            row["finality"] = node.rollup.finality(height)  # an l2perp extension
        out.append(row)
    return out


def fill_row(state, fill, is_taker: bool) -> dict:
    """One fill as userFills shows it, from the taker's or the maker's side."""
    market = state.markets[fill.asset]
    d = market.sz_decimals
    is_buy = fill.taker_is_buy == is_taker
    start = fill.taker_start_lots if is_taker else fill.maker_start_lots
    return {
        "coin": market.name, "px": I.format_price(fill.px_pips, d),
        "sz": I.format_size(fill.sz_lots, d), "side": "B" if is_buy else "A",
        "time": fill.time_ms, "startPosition": I.format_size(start, d),
        "dir": _direction(start, is_buy),
        "closedPnl": I.format_usdc(fill.taker_closed_pnl_musdc if is_taker
                                   else fill.maker_closed_pnl_musdc),
        "hash": "0x" + "00" * 32, "oid": fill.taker_oid if is_taker else fill.maker_oid,
        "crossed": is_taker,
        "fee": I.format_usdc(fill.taker_fee_musdc if is_taker else fill.maker_fee_musdc),
        "tid": fill.tid, "feeToken": "USDC",
    }


def _direction(start: int, is_buy: bool) -> str:
    if start == 0 or (start > 0) == is_buy:
        return "Open Long" if is_buy else "Open Short"
    return "Close Short" if is_buy else "Close Long"


def order_status(node: Node, user: str, ref: object) -> dict:
    """An order's latest status: open from the state, history from the indexer."""
    state = node.state
    account = state.accounts.get(user)
    if account is not None:
        order = account.orders.get(ref) if isinstance(ref, int) else account.cloids.get(
            ref.lower() if isinstance(ref, str) else ref)
        if order is not None:
            row = I.order_row(state, order, frontend=True)
            return {"status": "order", "order": {"order": row, "status": "open",
                                                 "statusTimestamp": order.timestamp_ms}}
    record = indexer.order_record(node.sequencer.log.db, user, ref)
    if record is None:
        return {"status": "unknownOid"}
    oid, _, asset, is_buy, px, orig, tif, reduce_only, cloid, ts, status, status_ms = record
    market = state.markets[asset]
    d = market.sz_decimals
    row = {"coin": market.name, "side": "B" if is_buy else "A",
           "limitPx": I.format_price(px, d), "sz": "0", "oid": oid, "timestamp": ts,
           "origSz": I.format_size(orig, d), "orderType": "Limit",
           "tif": I.TIF_NAMES.get(tif), "reduceOnly": bool(reduce_only), "isTrigger": False,
           "triggerPx": "0.0", "triggerCondition": "N/A", "isPositionTpsl": False,
           "children": [], "cloid": cloid}
    return {"status": "order", "order": {"order": row, "status": status or "open",
                                         "statusTimestamp": status_ms or ts}}


def funding_history(node: Node, body: dict) -> list:
    asset = _asset_of(node, body.get("coin"))
    rows = indexer.funding_history(node.sequencer.log.db, asset, _ms(body, "startTime"),
                                   _ms(body, "endTime", None))
    name = node.state.markets[asset].name
    return [{"coin": name, "fundingRate": I.format_rate(rate), "premium": I.format_rate(prem),
             "time": t} for t, rate, prem in rows]


def user_funding(node: Node, body: dict) -> list:
    user = _user(body)
    rows = indexer.user_funding(node.sequencer.log.db, user, _ms(body, "startTime"),
                                _ms(body, "endTime", None))
    out = []
    for asset, t, amount, size, rate in rows:
        market = node.state.markets[asset]
        out.append({"time": t, "hash": "0x" + "00" * 32, "delta": {
            "type": "funding", "coin": market.name, "usdc": I.format_usdc(amount),
            "szi": I.format_size(size, market.sz_decimals), "fundingRate": I.format_rate(rate)}})
    return out


def candle_snapshot(node: Node, body: dict) -> list:
    req = body.get("req")
    interval = req.get("interval") if isinstance(req, dict) else None
    if not isinstance(interval, str) or interval not in indexer.INTERVALS_MS:
        raise ValueError("invalid candle request")
    asset = _asset_of(node, req.get("coin"))
    market = node.state.markets[asset]
    d = market.sz_decimals
    rows = indexer.candles(node.sequencer.log.db, asset, interval, _ms(req, "startTime"),
                           _ms(req, "endTime", None) or node.state.time_ms)
    return [{"t": t, "T": end, "s": market.name, "i": req["interval"],
             "o": I.format_price(o, d), "c": I.format_price(c, d), "h": I.format_price(h, d),
             "l": I.format_price(low, d), "v": I.format_size(v, d), "n": n}
            for t, end, o, c, h, low, v, n in rows]


def _ms(body: dict, key: str, default: int | None = 0) -> int | None:
    """A time field in ms: `default` when absent or null, else an int in [0, 2^63 - 1)
    (SQLite holds int64 only), else ValueError."""
    value = body.get(key)
    if value is None:
        return default
    if type(value) is not int or not 0 <= value < MAX_INT64:
        raise ValueError(INVALID_TIME.format(key=key))
    return value


def _oid(body: dict) -> int | str:
    """orderStatus's `oid`: an order id in [0, 2^63 - 1) or a cloid string."""
    ref = body.get("oid")
    if isinstance(ref, str) and len(ref) <= 66:
        return ref
    if type(ref) is not int or not 0 <= ref < MAX_INT64:
        raise ValueError(INVALID_INTEGER.format(key="oid") + " (or a cloid)")
    return ref


def create_app(node: Node, network: Network = Network(),
               rate_limits: RateLimits | None = None, *,
               trusted_proxies: Iterable[str] = frozenset(),
               max_body_bytes: int = 1_000_000,
               ws_max_queued_messages: int = MAX_QUEUED_MESSAGES,
               ws_max_queued_bytes: int = MAX_QUEUED_BYTES) -> FastAPI:
    """The ASGI app serving one node. Rate limits are off unless given; they count each
    client under its socket peer's address, or under what X-Forwarded-For / Forwarded /
    X-Real-IP say only when that peer is in `trusted_proxies` (addresses or networks; none by
    default). Serve it with uvicorn's `proxy_headers=False`, or uvicorn rewrites the peer
    from X-Forwarded-For before the app sees it (the app then keys every such request alike).
    Request bodies above `max_body_bytes` get 413; a websocket reader with more than
    `ws_max_queued_messages` or `ws_max_queued_bytes` waiting is closed (1008)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        await node.start()
        yield
        await node.stop()

    app = FastAPI(lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None)
    app.add_middleware(RequestGuard, max_body_bytes=max_body_bytes)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    days = DayStatsCache()
    trusted = TrustedProxies(trusted_proxies)
    hub = Hub(node, days, max_messages=ws_max_queued_messages, max_bytes=ws_max_queued_bytes)
    node.listeners.append(hub.on_block)
    node.halt_listeners.append(lambda why: hub.on_rollup("sequencerHalted", {"reason": why}))
    if node.rollup is not None:
        node.rollup.listeners.append(hub.on_rollup)
    limiter = Limiter(rate_limits) if rate_limits is not None else None
    app.state.hub, app.state.limiter = hub, limiter  # for operators' and tests' inspection
    if limiter is not None:
        def count_volume(receipts) -> None:
            for event in receipts.events:
                if isinstance(event, FillEvent):
                    limiter.record_fill(event.taker, event.maker,
                                        event.px_pips * event.sz_lots)
        node.listeners.append(count_volume)

    def ip_refused(key: str, weight: int) -> Response | None:
        """None when `weight` fits in the client's budget (counted), else the 429."""
        if limiter is None or limiter.allow_ip(key, weight, wall_ms()):
            return None
        return json_error(429, limiter.refusal)

    def ip_exhausted(key: str) -> Response | None:
        """The 429 before any body is read, when nothing fits any more."""
        if limiter is None or not limiter.exhausted_ip(key, wall_ms()):
            return None
        return json_error(429, limiter.refusal)

    def key_of(request: Request) -> str:
        return client_key(request.scope, trusted) if limiter is not None else ""

    @app.websocket("/ws")
    async def websocket(ws: WebSocket) -> None:
        await hub.serve(ws)

    @app.get("/")
    async def web_index() -> Response:
        return web_file("index.html")

    @app.get("/{name}")
    async def web_asset(name: str) -> Response:
        return web_file(name)

    def sz_decimals_of(asset: int) -> int:
        return node.state.markets[asset].sz_decimals

    def asset_of(coin: object) -> int | None:
        return I.asset_by_name(node.state, coin)

    async def read_json(request: Request) -> object:
        """The parsed body (the guard caps its size); orjson.JSONDecodeError if not JSON."""
        return orjson.loads(await request.body())

    @app.post("/info")
    async def post_info(request: Request) -> Response:
        key = key_of(request)
        refused = ip_exhausted(key)
        if refused is not None:
            return refused
        try:
            body = await read_json(request)
        except orjson.JSONDecodeError:
            body = None
        kind = body.get("type") if isinstance(body, dict) else None
        refused = ip_refused(key, info_weight(kind))
        if refused is not None:
            return refused
        if not isinstance(body, dict):
            return json_error(422, NOT_JSON)
        if not isinstance(kind, str):
            return json_error(422, f"{NOT_JSON}: {INVALID_INFO_TYPE}")
        try:
            answer = info_answer(node, body, days)
        except (ValueError, KeyError, IndexError, TypeError, OverflowError) as exc:
            return json_error(422, f"{NOT_JSON}: {exc}")
        if limiter is not None:
            limiter.charge_ip(key, info_items_weight(kind, answer), wall_ms())
        return _json(answer)

    @app.post("/exchange")
    async def post_exchange(request: Request) -> Response:
        key = key_of(request)
        refused = ip_exhausted(key)
        if refused is not None:
            return refused
        try:
            body = await read_json(request)
        except orjson.JSONDecodeError:
            return ip_refused(key, 1) or PlainTextResponse(NOT_JSON, status_code=422)
        action = body.get("action") if isinstance(body, dict) else None
        weight, items, is_cancel = action_weight(action if isinstance(action, dict) else {})
        refused = ip_refused(key, weight)
        if refused is not None:
            return refused
        try:
            tx = decode_request(body, network, sz_decimals_of, asset_of,
                                devnet=node.state.config.devnet)
        except RequestError as exc:
            return _json({"status": "err", "response": str(exc)})
        if limiter is not None:
            user = node.state.agent_owner.get(tx.signer, tx.signer)
            # only holders of an account are counted (the engine refuses anyone else), so the
            # counters cannot grow with every key an attacker invents
            if user in node.state.accounts:
                allowed, sent, cap = limiter.allow_address(user, items, is_cancel, wall_ms())
                if not allowed:
                    return _json({"status": "err",
                                  "response": RATE_LIMIT_CUMULATIVE_REQUESTS.format(
                                      sent=sent, cap=cap,
                                      volume=limiter.volume_usd.get(user, 0))})
        if node.rollup is not None and isinstance(tx.action, DevFaucet):
            return _json(await rollup_faucet(node, tx))
        receipt = await node.submit(tx)
        return _json(format_receipt(receipt, sz_decimals_of))

    l1_requests = L1Requests(node, node.state.config.admin if node.state.config.devnet
                             else None)

    @app.post("/l1")
    async def post_l1(request: Request) -> Response:
        key = key_of(request)
        refused = ip_exhausted(key) or ip_refused(key, 1)
        if refused is not None:
            return refused
        try:
            body = await read_json(request)
        except orjson.JSONDecodeError:
            return json_error(422, NOT_JSON)
        return _json(l1_requests.handle(body))

    return app


async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
    """Routing errors (404, 405...) in the API's one error shape."""
    response = json_error(exc.status_code, str(exc.detail))
    response.headers.update(exc.headers or {})  # Allow, for a 405
    return response


async def rollup_faucet(node: Node, tx) -> dict:
    """devFaucet on a rollup devnet: the admin mints test USDC on L1 and deposits it for the
    user (money enters through the bridge, so R1 holds); the reply waits for the credit."""
    import asyncio

    state = node.state
    if not state.config.devnet or tx.signer != state.config.admin:
        return {"status": "err", "response": "Only the admin key may send this action."}
    # the engine's nonce window, and every nonce once, durably (a replay after a restart fails)
    config = state.config
    now = state.time_ms - state.dev_time_offset_ms
    if tx.nonce <= now - config.nonce_past_ms:
        return {"status": "err", "response": NONCE_TOO_LOW.format(
            nonce=tx.nonce, bound=now - config.nonce_past_ms)}
    if tx.nonce >= now + config.nonce_future_ms:
        return {"status": "err", "response": NONCE_TOO_HIGH.format(
            nonce=tx.nonce, bound=now + config.nonce_future_ms)}
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
