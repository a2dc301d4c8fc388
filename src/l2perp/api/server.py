"""The HTTP face of the node: `POST /info` and `POST /exchange` in the Hyperliquid dialect.

Bodies are parsed with orjson, which keeps key order and number types, so an L1 action is hashed
exactly as the client signed it. Business errors are HTTP 200 with Hyperliquid's shapes; a body
that is not JSON gets 422 plain text as Hyperliquid answers; a 4xx JSON body always carries
`code` and `msg` (the SDK fails on any other).
"""

from __future__ import annotations

from contextlib import asynccontextmanager

import orjson
from pathlib import Path
from fastapi import FastAPI, Request, WebSocket
from fastapi.responses import PlainTextResponse, Response

from ..node import indexer
from ..engine.errors import RATE_LIMIT_CUMULATIVE_REQUESTS
from ..engine.positions import fee_rates
from ..engine.tx import DevFaucet, FillEvent
from ..node.devnet import dev_keys
from ..node.service import Node, wall_ms
from ..rollup.l1 import L1Error
from . import info as I
from .daystats import DayStatsCache
from .gov_api import GOV_INFO, gov_info
from .rollup_api import ROLLUP_INFO, L1Requests
from .rollup_api import info_answer as rollup_info
from .exchange import Network, RequestError, decode_request, format_receipt
from .ratelimit import Limiter, RateLimits, action_weight, info_weight
from .solvency import solvency
from .ws import Hub

NOT_JSON = "Failed to deserialize the JSON body into the target type"


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
        raise ValueError(f"unknown coin {coin!r}")
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
        return user_fills(node, _user(body), _ms(body, "startTime"), body.get("endTime"))
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
                "logBytes": size}
    if kind == "orderStatus":
        return order_status(node, _user(body), body.get("oid"))
    if kind in ROLLUP_INFO:
        return rollup_info(node, body)
    if kind in GOV_INFO:
        return gov_info(state, body)
    raise ValueError(f"unknown info type {kind!r}")


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
                                   body.get("endTime"))
    name = node.state.markets[asset].name
    return [{"coin": name, "fundingRate": I.format_rate(rate), "premium": I.format_rate(prem),
             "time": t} for t, rate, prem in rows]


def user_funding(node: Node, body: dict) -> list:
    user = _user(body)
    rows = indexer.user_funding(node.sequencer.log.db, user, _ms(body, "startTime"),
                                body.get("endTime"))
    out = []
    for asset, t, amount, size, rate in rows:
        market = node.state.markets[asset]
        out.append({"time": t, "hash": "0x" + "00" * 32, "delta": {
            "type": "funding", "coin": market.name, "usdc": I.format_usdc(amount),
            "szi": I.format_size(size, market.sz_decimals), "fundingRate": I.format_rate(rate)}})
    return out


def candle_snapshot(node: Node, body: dict) -> list:
    req = body.get("req")
    if not isinstance(req, dict) or req.get("interval") not in indexer.INTERVALS_MS:
        raise ValueError("invalid candle request")
    asset = _asset_of(node, req.get("coin"))
    market = node.state.markets[asset]
    d = market.sz_decimals
    rows = indexer.candles(node.sequencer.log.db, asset, req["interval"], _ms(req, "startTime"),
                           _ms(req, "endTime") if req.get("endTime") else node.state.time_ms)
    return [{"t": t, "T": end, "s": market.name, "i": req["interval"],
             "o": I.format_price(o, d), "c": I.format_price(c, d), "h": I.format_price(h, d),
             "l": I.format_price(low, d), "v": I.format_size(v, d), "n": n}
            for t, end, o, c, h, low, v, n in rows]


def _ms(body: dict, key: str) -> int:
    value = body.get(key, 0)
    if not isinstance(value, int) or isinstance(value, bool):
        raise ValueError(f"invalid {key}")
    return value


def create_app(node: Node, network: Network = Network(),
               rate_limits: RateLimits | None = None) -> FastAPI:
    """The ASGI app serving one node (rate limits off unless given)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        await node.start()
        yield
        await node.stop()

    app = FastAPI(lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None)
    days = DayStatsCache()
    hub = Hub(node, days)
    node.listeners.append(hub.on_block)
    if node.rollup is not None:
        node.rollup.listeners.append(hub.on_rollup)
    limiter = Limiter(rate_limits) if rate_limits is not None else None
    if limiter is not None:
        def count_volume(receipts) -> None:
            for event in receipts.events:
                if isinstance(event, FillEvent):
                    limiter.record_fill(event.taker, event.maker,
                                        event.px_pips * event.sz_lots)
        node.listeners.append(count_volume)

    def ip_refused(request: Request, weight: int) -> Response | None:
        if limiter is None:
            return None
        ip = request.client.host if request.client else "?"
        if limiter.allow_ip(ip, weight, wall_ms()):
            return None
        return Response(orjson.dumps({"code": 429, "msg": "Too many requests: rate limited "
                                      "by IP weight (1200 per minute)"}),
                        status_code=429, media_type="application/json")

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
        raw = await request.body()
        return orjson.loads(raw)

    @app.post("/info")
    async def post_info(request: Request) -> Response:
        try:
            body = await read_json(request)
        except orjson.JSONDecodeError:
            return PlainTextResponse(NOT_JSON, status_code=422)
        if not isinstance(body, dict):
            return PlainTextResponse(NOT_JSON, status_code=422)
        refused = ip_refused(request, info_weight(body.get("type")))
        if refused is not None:
            return refused
        try:
            return _json(info_answer(node, body, days))
        except (ValueError, KeyError, IndexError, TypeError) as exc:
            return PlainTextResponse(f"{NOT_JSON}: {exc}", status_code=422)

    @app.post("/exchange")
    async def post_exchange(request: Request) -> Response:
        try:
            body = await read_json(request)
        except orjson.JSONDecodeError:
            return PlainTextResponse(NOT_JSON, status_code=422)
        action = body.get("action") if isinstance(body, dict) else None
        weight, items, is_cancel = action_weight(action if isinstance(action, dict) else {})
        refused = ip_refused(request, weight)
        if refused is not None:
            return refused
        try:
            tx = decode_request(body, network, sz_decimals_of, asset_of)
        except RequestError as exc:
            return _json({"status": "err", "response": str(exc)})
        if limiter is not None:
            user = node.state.agent_owner.get(tx.signer, tx.signer)
            allowed, sent, cap = limiter.allow_address(user, items, is_cancel, wall_ms())
            if not allowed:
                return _json({"status": "err", "response": RATE_LIMIT_CUMULATIVE_REQUESTS.format(
                    sent=sent, cap=cap, volume=limiter.volume_usd.get(user, 0))})
        if node.rollup is not None and isinstance(tx.action, DevFaucet):
            return _json(await rollup_faucet(node, tx))
        receipt = await node.submit(tx)
        return _json(format_receipt(receipt, sz_decimals_of))

    l1_requests = L1Requests(node, node.state.config.admin)

    @app.post("/l1")
    async def post_l1(request: Request) -> Response:
        raw = await request.body()
        try:
            return _json(l1_requests.handle(orjson.loads(raw)))
        except orjson.JSONDecodeError:
            return PlainTextResponse(NOT_JSON, status_code=422)

    return app


async def rollup_faucet(node: Node, tx) -> dict:
    """devFaucet on a rollup devnet: the admin mints test USDC on L1 and deposits it for the
    user (money enters through the bridge, so R1 holds); the reply waits for the credit."""
    import asyncio

    state = node.state
    if not state.config.devnet or tx.signer != state.config.admin:
        return {"status": "err", "response": "Only the admin key may send this action."}
    if tx.nonce in node.rollup.faucet_nonces:
        return {"status": "err", "response": f"Invalid nonce: duplicate nonce {tx.nonce}"}
    host = node.rollup.host
    admin = state.config.admin
    try:
        host.call("mint", admin, tx.action.amount_musdc)
        message = host.call("deposit", admin, tx.action.user, tx.action.amount_musdc)
    except L1Error as exc:
        return {"status": "err", "response": str(exc)}
    node.rollup.faucet_nonces.add(tx.nonce)
    for _ in range(200):
        if node.state.l1_cursor > message.index:
            return {"status": "ok", "response": {"type": "default"}}
        await asyncio.sleep(node.block_ms / 1000)
    return {"status": "err", "response": "the L1 deposit was not credited in time"}
