"""The websocket at `/ws` (client-api.md §1.6): subscribe / unsubscribe / ping, and per block
the channels the SDK routes: allMids, l2Book, trades, user (userEvents), userFills,
orderUpdates, bbo; plus `l2perpRollup`, which announces batches posted, finalized and reverted.
Messages for userEvents and orderUpdates carry no user: the connection knows
whom it subscribed for (one of each per connection, as the SDK allows).
"""

from __future__ import annotations

import asyncio

import orjson
from fastapi import WebSocket, WebSocketDisconnect

from ..engine.tx import FillEvent, OrderEvent
from ..node import indexer
from . import info as I
from .daystats import DayStatsCache

USER_TYPES = ("userEvents", "userFills", "orderUpdates")
ROLLUP_CHANNEL = "l2perpRollup"  # an extension: batches posted, finalized, reverted; freezes
COIN_TYPES = ("l2Book", "trades", "bbo", "activeAssetCtx")


def identifier(sub: dict) -> str:
    kind = sub.get("type")
    if kind in COIN_TYPES:
        return f"{kind}:{str(sub.get('coin')).lower()}"
    if kind in USER_TYPES:
        return f"{kind}:{str(sub.get('user')).lower()}"
    if kind == "allMids":
        return "allMids"
    if kind == ROLLUP_CHANNEL:
        return ROLLUP_CHANNEL
    if kind == "candle":
        return f"candle:{str(sub.get('coin')).lower()},{sub.get('interval')}"
    raise ValueError(f"unsupported subscription {kind!r}")


class Connection:
    def __init__(self, websocket: WebSocket) -> None:
        self.websocket = websocket
        self.queue: asyncio.Queue = asyncio.Queue(maxsize=10_000)
        self.subs: dict[str, dict] = {}

    def send(self, message: object) -> None:
        try:
            self.queue.put_nowait(orjson.dumps(message).decode())
        except asyncio.QueueFull:  # a client that does not read loses messages, not the node
            pass


class Hub:
    """Connections and what each block tells them."""

    def __init__(self, node, days: DayStatsCache | None = None) -> None:
        self.node = node
        self.days = days if days is not None else DayStatsCache()
        self.connections: list[Connection] = []
        self.order_rows: dict[int, dict] = {}  # oid -> the order's wire row (for orderUpdates)

    # ----- per block ----------------------------------------------------------------------
    def on_block(self, receipts) -> None:
        state = self.node.state
        fills = [e for e in receipts.events if isinstance(e, FillEvent)]
        updates = [e for e in receipts.events if isinstance(e, OrderEvent)]
        for update in updates:
            account = state.accounts.get(update.user)
            order = account.orders.get(update.oid) if account else None
            if order is not None:
                self.order_rows[update.oid] = I.order_row(state, order, frontend=False)
        if not self.connections:
            self._forget_finished(updates)
            return
        mids = I.all_mids(state)
        books, ctxs = {}, {}  # per asset, built once for every subscriber
        for conn in list(self.connections):
            for key, sub in list(conn.subs.items()):
                kind = sub["type"]
                if kind == "allMids":
                    conn.send({"channel": "allMids", "data": {"mids": mids}})
                elif kind in ("l2Book", "bbo"):
                    asset = self._asset(sub.get("coin"))
                    if asset is None:
                        continue
                    book = books.get(asset) or books.setdefault(asset, I.l2_book(state, asset))
                    if kind == "l2Book":
                        conn.send({"channel": "l2Book", "data": book})
                    else:
                        conn.send({"channel": "bbo", "data": {
                            "coin": book["coin"], "time": book["time"],
                            "bbo": [book["levels"][0][:1] and book["levels"][0][0] or None,
                                    book["levels"][1][:1] and book["levels"][1][0] or None]}})
                elif kind == "activeAssetCtx":
                    asset = self._asset(sub.get("coin"))
                    if asset is None:
                        continue
                    if asset not in ctxs:
                        ctxs[asset] = I.asset_ctx(state, asset, self.days.get(self.node)[asset])
                    conn.send({"channel": "activeAssetCtx", "data": {
                        "coin": sub.get("coin"), "ctx": ctxs[asset]}})
                elif kind == "candle":
                    asset = self._asset(sub.get("coin"))
                    if asset is None or not any(f.asset == asset for f in fills):
                        continue
                    from .server import candle_snapshot

                    span = indexer.INTERVALS_MS.get(sub.get("interval"), 60_000)
                    start = state.time_ms - state.time_ms % span
                    rows = candle_snapshot(self.node, {"req": {
                        "coin": sub.get("coin"), "interval": sub.get("interval"),
                        "startTime": start, "endTime": state.time_ms}})
                    if rows:
                        conn.send({"channel": "candle", "data": rows[-1]})
                elif kind == "trades":
                    trades = [self._trade(f) for f in fills
                              if state.markets[f.asset].name == sub.get("coin")]
                    if trades:
                        conn.send({"channel": "trades", "data": trades})
                elif kind in ("userEvents", "userFills"):
                    user = key.split(":", 1)[1]
                    mine = [f for f in fills if user in (f.taker, f.maker)]
                    if not mine:
                        continue
                    rows = [self._user_fill(f, user) for f in mine]
                    if kind == "userEvents":
                        conn.send({"channel": "user", "data": {"fills": rows}})
                    else:
                        conn.send({"channel": "userFills", "data": {
                            "isSnapshot": False, "user": user, "fills": rows}})
                elif kind == "orderUpdates":
                    user = key.split(":", 1)[1]
                    rows = [{"order": self.order_rows.get(u.oid, {"oid": u.oid}),
                             "status": u.status, "statusTimestamp": u.time_ms}
                            for u in updates if u.user == user]
                    if rows:
                        conn.send({"channel": "orderUpdates", "data": rows})
        self._forget_finished(updates)

    def _forget_finished(self, updates) -> None:
        for update in updates:
            if update.status != "open":
                self.order_rows.pop(update.oid, None)

    def _asset(self, coin: object) -> int | None:
        return I.asset_by_name(self.node.state, coin)

    def _trade(self, fill: FillEvent) -> dict:
        market = self.node.state.markets[fill.asset]
        d = market.sz_decimals
        buyer, seller = (fill.taker, fill.maker) if fill.taker_is_buy else (fill.maker,
                                                                            fill.taker)
        return {"coin": market.name, "side": "B" if fill.taker_is_buy else "A",
                "px": I.format_price(fill.px_pips, d), "sz": I.format_size(fill.sz_lots, d),
                "hash": "0x" + "00" * 32, "time": fill.time_ms, "tid": fill.tid,
                "users": [buyer, seller]}

    def _user_fill(self, fill: FillEvent, user: str) -> dict:
        from .server import fill_row

        return fill_row(self.node.state, fill, user == fill.taker)

    def on_rollup(self, kind: str, details: dict) -> None:
        """An L1 event (batchPosted, batchFinalized, batchReverted, frozen, escaped...)."""
        message = {"channel": ROLLUP_CHANNEL, "data": {"kind": kind, **details}}
        for conn in self.connections:
            if ROLLUP_CHANNEL in conn.subs:
                conn.send(message)

    # ----- connections --------------------------------------------------------------------
    async def serve(self, websocket: WebSocket) -> None:
        await websocket.accept()
        conn = Connection(websocket)
        self.connections.append(conn)
        sender = asyncio.create_task(self._pump(conn))
        try:
            while True:
                raw = await websocket.receive_text()
                self._handle(conn, raw)
        except WebSocketDisconnect:
            pass
        finally:
            sender.cancel()
            if conn in self.connections:
                self.connections.remove(conn)

    async def _pump(self, conn: Connection) -> None:
        while True:
            text = await conn.queue.get()
            await conn.websocket.send_text(text)

    def _handle(self, conn: Connection, raw: str) -> None:
        try:
            message = orjson.loads(raw)
            method = message.get("method")
        except (orjson.JSONDecodeError, AttributeError):
            conn.send({"channel": "error", "data": f"Invalid message: {raw[:200]}"})
            return
        if method == "ping":
            conn.send({"channel": "pong"})
            return
        sub = message.get("subscription")
        if method not in ("subscribe", "unsubscribe") or not isinstance(sub, dict):
            conn.send({"channel": "error", "data": f"Invalid message: {raw[:200]}"})
            return
        try:
            key = identifier(sub)
        except ValueError as exc:
            conn.send({"channel": "error", "data": str(exc)})
            return
        if method == "unsubscribe":
            conn.subs.pop(key, None)
        else:
            conn.subs[key] = sub
        conn.send({"channel": "subscriptionResponse",
                   "data": {"method": method, "subscription": sub}})
        if method == "subscribe":
            self._snapshot(conn, key, sub)

    def _snapshot(self, conn: Connection, key: str, sub: dict) -> None:
        state = self.node.state
        kind = sub["type"]
        if kind == "allMids":
            conn.send({"channel": "allMids", "data": {"mids": I.all_mids(state)}})
        elif kind == "l2Book":
            asset = self._asset(sub.get("coin"))
            if asset is not None:
                conn.send({"channel": "l2Book", "data": I.l2_book(state, asset)})
        elif kind == "userFills":
            from .server import user_fills

            user = key.split(":", 1)[1]
            conn.send({"channel": "userFills", "data": {
                "isSnapshot": True, "user": user, "fills": user_fills(self.node, user)[:100]}})
