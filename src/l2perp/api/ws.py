"""The websocket at `/ws` (docs/api.md): subscribe / unsubscribe / ping, and per block
the channels of channels.py (those the SDK routes: allMids, l2Book, trades, user (userEvents),
userFills, orderUpdates, bbo, activeAssetCtx, activeAssetData, webData2, candle;
Hyperliquid's userTwapSliceFills and userTwapHistory; plus `l2perpRollup`, which announces
batches posted, finalized and reverted). Messages for userEvents and orderUpdates carry no
user: the connection knows whom it subscribed for (one of each per connection, as the SDK
allows). A devnet `devDropWebsockets` closes every connection (1012) when its block is
committed.

A connection's outgoing messages wait in a bounded queue: a reader that falls more than
MAX_QUEUED_MESSAGES or MAX_QUEUED_BYTES behind is dropped and closed with code 1008 and a
reason, so a client that never reads costs the node a bounded amount of memory and no time.
Nothing a client sends, and no failure while building one connection's messages, reaches the
block loop that calls `on_block`.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections import deque

import orjson
from fastapi import WebSocket, WebSocketDisconnect

from ..engine.tx import FillEvent, OrderEvent, TwapEvent, TwapSliceEvent
from .channels import CHANNELS, ROLLUP_CHANNEL, BlockNews, identifier
from .daystats import DayStatsCache
from .clientip import TrustedProxies, client_key
from .errors import WS_TOO_MANY_CONNECTIONS, WS_TOO_MANY_SUBSCRIPTIONS, WS_TOO_SLOW
from .rows import order_row

log = logging.getLogger("l2perp.api")

MAX_QUEUED_MESSAGES = 1_000  # l2perp: a reader this far behind is closed
MAX_QUEUED_BYTES = 8_000_000  # l2perp: ... or this many bytes behind
MAX_SUBSCRIPTIONS = 1_000  # Hyperliquid: 1,000 websocket subscriptions
MAX_CONNECTIONS_PER_IP = 100  # Hyperliquid: 100 websocket connections per IP address
CLOSE_POLICY = 1008  # RFC 6455: policy violation
CLOSE_INTERNAL = 1011  # RFC 6455: the server met an unexpected condition
CLOSE_RESTART = 1012  # RFC 6455: service restart (the devnet's devDropWebsockets)
WS_DROPPED_BY_FAULT = "devnet fault: every websocket dropped (devDropWebsockets)"
CLOSE_TIMEOUT_S = 10.0  # a stalled reader cannot take our close frame; we stop waiting


class Connection:
    """One websocket: its subscriptions and its bounded queue of outgoing texts."""

    def __init__(self, websocket: WebSocket, max_messages: int = MAX_QUEUED_MESSAGES,
                 max_bytes: int = MAX_QUEUED_BYTES) -> None:
        self.websocket = websocket
        self.max_messages = max_messages
        self.max_bytes = max_bytes
        self.queue: deque[str] = deque()
        self.queued_bytes = 0
        self.ready = asyncio.Event()  # set while the queue holds something
        self.subs: dict[str, dict] = {}
        self.dropped: str | None = None  # why the connection is being closed
        self.close_code = CLOSE_POLICY  # the code it is closed with (1011 after an error)
        self.pump: asyncio.Task | None = None

    def send(self, message: object) -> None:
        """Queue one message; past the bounds, drop the connection instead."""
        if self.dropped is not None:
            return
        try:
            text = orjson.dumps(message).decode()
        except orjson.JSONEncodeError:  # e.g. an echoed subscription nested too deep
            text = '{"channel":"error","data":"Invalid message: cannot be echoed"}'
        if (len(self.queue) >= self.max_messages
                or self.queued_bytes + len(text) > self.max_bytes):
            self.drop(WS_TOO_SLOW.format(messages=self.max_messages, size=self.max_bytes))
            return
        self.queue.append(text)
        self.queued_bytes += len(text)
        self.ready.set()

    def drop(self, reason: str, code: int = CLOSE_POLICY) -> None:
        """Stop serving this connection: forget its queue and stop its sender (which may be
        stuck writing to a client that does not read); `serve` then closes it with `code`."""
        if self.dropped is None:
            self.dropped = reason
            self.close_code = code
            self.queue.clear()
            self.queued_bytes = 0
            if self.pump is not None:
                self.pump.cancel()

    def next_text(self) -> str | None:
        if not self.queue:
            self.ready.clear()
            return None
        text = self.queue.popleft()
        self.queued_bytes -= len(text)
        return text


class Hub:
    """Connections and what each block tells them."""

    def __init__(self, node, days: DayStatsCache | None = None,
                 max_messages: int = MAX_QUEUED_MESSAGES,
                 max_bytes: int = MAX_QUEUED_BYTES,
                 max_per_ip: int = MAX_CONNECTIONS_PER_IP,
                 trusted: TrustedProxies | None = None) -> None:
        self.node = node
        self.max_per_ip = max_per_ip  # open connections per client address (its rate-limit key)
        self.trusted = trusted if trusted is not None else TrustedProxies(())
        self.per_ip: dict[str, int] = {}
        self.days = days if days is not None else DayStatsCache()
        self.max_messages = max_messages  # per connection, queued and not yet sent
        self.max_bytes = max_bytes
        self.connections: list[Connection] = []
        self.order_rows: dict[int, dict] = {}  # oid -> the order's wire row (for orderUpdates)
        self.last_second = -1  # the second of block time of the last block (webData2's pace)

    # ----- per block ----------------------------------------------------------------------
    def on_block(self, receipts) -> None:
        state = self.node.state
        fills = [e for e in receipts.events if isinstance(e, FillEvent)]
        updates = [e for e in receipts.events if isinstance(e, OrderEvent)]
        if self.node.faults.websockets_dropped_at == receipts.height:
            self.drop_all(WS_DROPPED_BY_FAULT)
        second = receipts.time_ms // 1_000
        new_second, self.last_second = second != self.last_second, second
        for update in updates:
            account = state.accounts.get(update.user)
            order = account.orders.get(update.oid) if account else None
            if order is not None:
                self.order_rows[update.oid] = order_row(state, order, frontend=False)
        if not self.connections:
            self._forget_finished(updates)
            return
        twap_slices = [e for e in receipts.events if type(e) is TwapSliceEvent]
        twap_changes = [e for e in receipts.events if type(e) is TwapEvent]
        news = BlockNews(self.node, self.days, fills, updates, self.order_rows, twap_slices,
                         twap_changes, new_second)
        for conn in list(self.connections):
            try:
                self._send_block(conn, news)
            except Exception:  # noqa: BLE001 - one connection's failure never stops a block
                error_id = secrets.token_hex(8)
                log.exception("websocket internal error %s", error_id)
                conn.drop(f"internal error {error_id}")
        self._forget_finished(updates)

    def drop_all(self, reason: str) -> None:
        """Close every connection with 1012 (service restart) and `reason`; clients reconnect
        as they would after an upgrade."""
        for conn in list(self.connections):
            conn.drop(reason, CLOSE_RESTART)

    def _send_block(self, conn: Connection, news: BlockNews) -> None:
        """One connection's messages for the block just built."""
        if conn.dropped is not None:
            return
        for key, sub in list(conn.subs.items()):
            per_block = CHANNELS[sub["type"]].per_block
            message = per_block(news, key, sub) if per_block is not None else None
            if message is not None:
                conn.send(message)

    def _forget_finished(self, updates) -> None:
        for update in updates:
            if update.status != "open":
                self.order_rows.pop(update.oid, None)

    def on_rollup(self, kind: str, details: dict) -> None:
        """An L1 event (batchPosted, batchFinalized, batchReverted, frozen, escaped...)."""
        message = {"channel": ROLLUP_CHANNEL, "data": {"kind": kind, **details}}
        for conn in self.connections:
            if ROLLUP_CHANNEL in conn.subs:
                conn.send(message)

    # ----- connections --------------------------------------------------------------------
    async def serve(self, websocket: WebSocket) -> None:
        """One connection, until the client leaves or is dropped (then closed with 1008, or
        1011 after an internal error, and its reason)."""
        await websocket.accept()
        key = client_key(websocket.scope, self.trusted)
        if self.per_ip.get(key, 0) >= self.max_per_ip:
            reason = WS_TOO_MANY_CONNECTIONS.format(limit=self.max_per_ip)
            await websocket.close(CLOSE_POLICY, reason)
            return
        self.per_ip[key] = self.per_ip.get(key, 0) + 1
        try:
            await self._serve(websocket)
        finally:
            left = self.per_ip.pop(key) - 1
            if left:
                self.per_ip[key] = left

    async def _serve(self, websocket: WebSocket) -> None:
        conn = Connection(websocket, self.max_messages, self.max_bytes)
        self.connections.append(conn)
        conn.pump = asyncio.create_task(self._pump(conn))
        receiver = asyncio.create_task(self._receive(conn))
        try:
            await asyncio.wait((conn.pump, receiver), return_when=asyncio.FIRST_COMPLETED)
            client_left = receiver.done()
        finally:
            conn.pump.cancel()
            receiver.cancel()
            if conn in self.connections:
                self.connections.remove(conn)
        if conn.dropped is not None and not client_left:
            code = CLOSE_INTERNAL if conn.dropped.startswith("internal") else conn.close_code
            try:  # the close frame waits for the client to read; it cannot wait forever
                await asyncio.wait_for(websocket.close(code, conn.dropped[:120]),
                                       CLOSE_TIMEOUT_S)
            except (asyncio.TimeoutError, RuntimeError, OSError, WebSocketDisconnect):
                pass

    async def _receive(self, conn: Connection) -> None:
        """Handle the client's messages until it leaves."""
        while True:
            message = await conn.websocket.receive()
            if message["type"] == "websocket.disconnect":
                return
            raw = message.get("text")
            if raw is None:
                conn.send({"channel": "error", "data": "Invalid message: binary frame"})
                continue
            try:
                self._handle(conn, raw)
            except Exception:  # noqa: BLE001 - a bug answers one message, not the node
                error_id = secrets.token_hex(8)
                log.exception("websocket internal error %s", error_id)
                conn.send({"channel": "error", "data": f"internal error {error_id}"})

    async def _pump(self, conn: Connection) -> None:
        while True:
            await conn.ready.wait()
            text = conn.next_text()
            if text is not None:
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
        elif key not in conn.subs and len(conn.subs) >= MAX_SUBSCRIPTIONS:
            conn.send({"channel": "error",
                       "data": WS_TOO_MANY_SUBSCRIPTIONS.format(limit=MAX_SUBSCRIPTIONS)})
            return
        else:
            conn.subs[key] = sub
        conn.send({"channel": "subscriptionResponse",
                   "data": {"method": method, "subscription": sub}})
        if method == "subscribe":
            self._snapshot(conn, key, sub)

    def _snapshot(self, conn: Connection, key: str, sub: dict) -> None:
        snapshot = CHANNELS[sub["type"]].snapshot
        message = snapshot(self.node, key, sub) if snapshot is not None else None
        if message is not None:
            conn.send(message)
