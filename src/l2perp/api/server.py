"""The HTTP face of the node: `POST /info` and `POST /exchange` in the Hyperliquid dialect.

Bodies are parsed with orjson, which keeps key order and number types, so an L1 action is hashed
exactly as the client signed it. Business errors are HTTP 200 with Hyperliquid's shapes; a body
that is not JSON gets 422 plain text as Hyperliquid answers; a 4xx JSON body always carries
`code` and `msg` (the SDK fails on any other).
"""

from __future__ import annotations

from contextlib import asynccontextmanager

import orjson
from fastapi import FastAPI, Request, WebSocket
from fastapi.responses import PlainTextResponse, Response

from ..node.service import Node
from . import info as I
from .exchange import Network, RequestError, decode_request, format_receipt
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
    for market in node.state.markets:
        if market.name == coin:
            return market.asset
    raise ValueError(f"unknown coin {coin!r}")


def info_answer(node: Node, body: dict) -> object:
    """The answer to one /info request (ValueError when it cannot be answered)."""
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
        return I.meta_and_asset_ctxs(state)
    if kind == "spotMetaAndAssetCtxs":
        return [I.spot_meta(state), []]
    if kind == "exchangeStatus":
        return I.exchange_status(state)
    if kind == "perpDexs":
        return [None]
    if kind == "userAbstraction":
        return "disabled"
    if kind in ("userFills", "userFillsByTime"):
        return user_fills(node, _user(body))
    if kind == "orderStatus":
        return order_status(node, _user(body), body.get("oid"))
    raise ValueError(f"unknown info type {kind!r}")


def user_fills(node: Node, user: str) -> list:
    """The user's fills, newest first (from the node's in-memory fill index)."""
    rows = []
    for fill in reversed(node.fills):
        if fill.taker == user:
            rows.append(fill_row(node.state, fill, True))
        if fill.maker == user:
            rows.append(fill_row(node.state, fill, False))
    return rows


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
    account = node.state.accounts.get(user)
    if account is not None:
        order = account.orders.get(ref) if isinstance(ref, int) else account.cloids.get(
            ref.lower() if isinstance(ref, str) else ref)
        if order is not None:
            row = I._order_row(node.state, order, frontend=True)
            return {"status": "order", "order": {"order": row, "status": "open",
                                                 "statusTimestamp": order.timestamp_ms}}
    return {"status": "unknownOid"}


def create_app(node: Node, network: Network = Network()) -> FastAPI:
    """The ASGI app serving one node."""

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        await node.start()
        yield
        await node.stop()

    app = FastAPI(lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None)
    hub = Hub(node)
    node.listeners.append(hub.on_block)

    @app.websocket("/ws")
    async def websocket(ws: WebSocket) -> None:
        await hub.serve(ws)

    def sz_decimals_of(asset: int) -> int:
        return node.state.markets[asset].sz_decimals

    def asset_of(coin: object) -> int | None:
        for market in node.state.markets:
            if market.name == coin:
                return market.asset
        return None

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
        try:
            return _json(info_answer(node, body))
        except (ValueError, KeyError, IndexError, TypeError) as exc:
            return PlainTextResponse(f"{NOT_JSON}: {exc}", status_code=422)

    @app.post("/exchange")
    async def post_exchange(request: Request) -> Response:
        try:
            body = await read_json(request)
        except orjson.JSONDecodeError:
            return PlainTextResponse(NOT_JSON, status_code=422)
        try:
            tx = decode_request(body, network, sz_decimals_of, asset_of)
        except RequestError as exc:
            return _json({"status": "err", "response": str(exc)})
        receipt = await node.submit(tx)
        return _json(format_receipt(receipt, sz_decimals_of))

    return app
