"""Every websocket channel in one table (docs/api.md): how a subscription is keyed within
a connection, what a subscriber gets at once, and what it gets after each block. Adding a
channel is one entry in CHANNELS; ws.py carries the messages.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ..engine.tx import FillEvent, OrderEvent, TwapEvent, TwapSliceEvent
from ..node import indexer
from ..node.service import Node
from . import info as I
from . import rows
from .daystats import DayStatsCache
from .accounts_info import vault_accounts
from .health import crossings, margin_health, parse_thresholds
from .history import candle_snapshot, user_fills
from .twaps import slice_fill_row, twap_history, twap_history_row, user_twap_slice_fills
from .webdata import active_asset_data, web_data2

ROLLUP_CHANNEL = "l2perpRollup"  # an extension: batches posted, finalized, reverted; freezes


class BlockNews:
    """What one block tells subscribers: its fills, order updates and TWAP news (slices placed,
    status changes), and the books, contexts and mids that every subscriber shares (each
    computed once, on first use)."""

    def __init__(self, node: Node, days: DayStatsCache, fills: list[FillEvent],
                 updates: list[OrderEvent], order_rows: dict[int, dict],
                 twap_slices: list[TwapSliceEvent] | None = None,
                 twap_changes: list[TwapEvent] | None = None,
                 new_second: bool = True) -> None:
        self.node = node
        self.new_second = new_second  # the first block in a new second of block time
        self.state = node.state
        self.days = days
        self.fills = fills
        self.updates = updates
        self.order_rows = order_rows  # oid -> the order's wire row (ws.py Hub keeps them)
        self.twap_slices = twap_slices or []
        self.twap_changes = twap_changes or []
        self._mids: dict | None = None
        self._books: dict[int, dict] = {}
        self._ctxs: dict[int, dict] = {}
        self._active: set[str] | None = None
        self._meta: dict | None = None
        self._vaults: list | None = None

    def mids(self) -> dict:
        if self._mids is None:
            self._mids = I.all_mids(self.state)
        return self._mids

    def book(self, asset: int) -> dict:
        if asset not in self._books:
            self._books[asset] = I.l2_book(self.state, asset)
        return self._books[asset]

    def ctx(self, asset: int) -> dict:
        if asset not in self._ctxs:
            self._ctxs[asset] = I.asset_ctx(self.state, asset, self.days.get(self.node)[asset])
        return self._ctxs[asset]

    def active_users(self) -> set[str]:
        """The users with a fill or an order update in this block."""
        if self._active is None:
            active = {u.user for u in self.updates}
            for f in self.fills:
                active.add(f.taker)
                active.add(f.maker)
            self._active = active
        return self._active

    def ctxs(self) -> list[dict]:
        """Every market's context, in universe order (shared by webData2 subscribers)."""
        return [self.ctx(m.asset) for m in self.state.markets]

    def meta(self) -> dict:
        if self._meta is None:
            self._meta = I.meta(self.state)
        return self._meta

    def vaults(self) -> list:
        """The vault accounts (accounts_info.vault_accounts), found once per block."""
        if self._vaults is None:
            self._vaults = vault_accounts(self.state)
        return self._vaults

    def asset(self, coin: object) -> int | None:
        return I.asset_by_name(self.state, coin)


Message = dict | None  # a message for the subscriber, or None: nothing to send
Snapshot = Callable[[Node, str, dict], Message]  # (node, key, subscription)
PerBlock = Callable[[BlockNews, str, dict], Message]  # (news, key, subscription)


@dataclass(frozen=True, slots=True)
class Channel:
    """One subscription type: `key(subscription)` names it within a connection (ValueError:
    not one we serve); `snapshot` answers the subscribe, `per_block` each block (either may be
    None: nothing)."""

    key: Callable[[dict], str]
    per_block: PerBlock | None = None
    snapshot: Snapshot | None = None


def _field(sub: dict, key: str) -> str:
    value = sub.get(key)
    if not isinstance(value, str) or len(value) > 100:
        raise ValueError(f"unsupported subscription: {key} must be a string")
    return value


def coin_key(sub: dict) -> str:
    return f"{sub['type']}:{_field(sub, 'coin').lower()}"


def user_key(sub: dict) -> str:
    return f"{sub['type']}:{_field(sub, 'user').lower()}"


def user_coin_key(sub: dict) -> str:
    """activeAssetData's key, as the SDK names it: `activeAssetData:coin,user`."""
    return f"{sub['type']}:{_field(sub, 'coin').lower()},{_field(sub, 'user').lower()}"


def margin_health_key(sub: dict) -> str:
    """marginHealth's key: the user (its thresholds are checked here, so a malformed list is
    refused at subscribe)."""
    parse_thresholds(sub)
    return user_key(sub)


def candle_key(sub: dict) -> str:
    return f"candle:{_field(sub, 'coin').lower()},{_field(sub, 'interval')}"


def type_key(sub: dict) -> str:
    return sub["type"]


def _user_of(key: str) -> str:
    """The (lowercased) user of a user channel's key."""
    return key.split(":", 1)[1]


# ----- per block ----------------------------------------------------------------------------
def all_mids_news(news: BlockNews, key: str, sub: dict) -> Message:
    return {"channel": "allMids", "data": {"mids": news.mids()}}


def l2_book_news(news: BlockNews, key: str, sub: dict) -> Message:
    asset = news.asset(sub.get("coin"))
    return None if asset is None else {"channel": "l2Book", "data": news.book(asset)}


def bbo_news(news: BlockNews, key: str, sub: dict) -> Message:
    asset = news.asset(sub.get("coin"))
    return None if asset is None else {"channel": "bbo", "data": rows.bbo_row(news.book(asset))}


def asset_ctx_news(news: BlockNews, key: str, sub: dict) -> Message:
    asset = news.asset(sub.get("coin"))
    if asset is None:
        return None
    return {"channel": "activeAssetCtx", "data": {"coin": sub.get("coin"),
                                                  "ctx": news.ctx(asset)}}


def candle_news(news: BlockNews, key: str, sub: dict) -> Message:
    """The coin's current candle of the subscribed interval, after a block with its fills."""
    asset = news.asset(sub.get("coin"))
    if asset is None or not any(f.asset == asset for f in news.fills):
        return None
    now = news.state.time_ms
    span = indexer.INTERVALS_MS.get(sub.get("interval"), 60_000)
    candles = candle_snapshot(news.node, {"coin": sub.get("coin"), "interval": sub.get("interval"),
                                          "startTime": now - now % span, "endTime": now})
    return {"channel": "candle", "data": candles[-1]} if candles else None


def trades_news(news: BlockNews, key: str, sub: dict) -> Message:
    markets = news.state.markets
    trades = [rows.trade_row(news.state, f) for f in news.fills
              if markets[f.asset].name == sub.get("coin")]
    return {"channel": "trades", "data": trades} if trades else None


def _fills_of(news: BlockNews, user: str) -> list:
    return [rows.fill_row(news.state, f, user == f.taker) for f in news.fills
            if user in (f.taker, f.maker)]


def user_events_news(news: BlockNews, key: str, sub: dict) -> Message:
    fills = _fills_of(news, _user_of(key))
    return {"channel": "user", "data": {"fills": fills}} if fills else None


def user_fills_news(news: BlockNews, key: str, sub: dict) -> Message:
    user = _user_of(key)
    fills = _fills_of(news, user)
    if not fills:
        return None
    return {"channel": "userFills", "data": {"isSnapshot": False, "user": user, "fills": fills}}


def order_updates_news(news: BlockNews, key: str, sub: dict) -> Message:
    user = _user_of(key)
    updates = [{"order": news.order_rows.get(u.oid, {"oid": u.oid}), "status": u.status,
                "statusTimestamp": u.time_ms} for u in news.updates if u.user == user]
    return {"channel": "orderUpdates", "data": updates} if updates else None


def user_twap_slice_fills_news(news: BlockNews, key: str, sub: dict) -> Message:
    """The block's fills of the user's TWAP slices (a slice is always the taker)."""
    user = _user_of(key)
    slices = {e.oid: e.twap_id for e in news.twap_slices if e.user == user}
    if not slices:
        return None
    found = [slice_fill_row(news.state, f, slices[f.taker_oid]) for f in news.fills
             if f.taker == user and f.taker_oid in slices]
    if not found:
        return None
    return {"channel": "userTwapSliceFills", "data": {"isSnapshot": False, "user": user,
                                                      "twapSliceFills": found}}


def user_twap_history_news(news: BlockNews, key: str, sub: dict) -> Message:
    """The block's status changes of the user's TWAPs (activated, finished, terminated,
    error)."""
    user = _user_of(key)
    history = [twap_history_row(news.state, e) for e in news.twap_changes if e.user == user]
    if not history:
        return None
    return {"channel": "userTwapHistory", "data": {"isSnapshot": False, "user": user,
                                                   "history": history}}


def _user_of_pair(key: str) -> str:
    """The (lowercased) user of a user-and-coin channel's key."""
    return key.rsplit(",", 1)[1]


def _active_asset_message(state, key: str, sub: dict) -> Message:
    asset = I.asset_by_name(state, sub.get("coin"))
    if asset is None:
        return None
    return {"channel": "activeAssetData",
            "data": active_asset_data(state, _user_of_pair(key), asset)}


def active_asset_data_news(news: BlockNews, key: str, sub: dict) -> Message:
    return _active_asset_message(news.state, key, sub)


def web_data2_news(news: BlockNews, key: str, sub: dict) -> Message:
    """The user's aggregate in a block where the user traded or an order of theirs changed,
    else once per second of block time (it values the account and every market)."""
    user = _user_of(key)
    if not news.new_second and user not in news.active_users():
        return None
    return {"channel": "webData2", "data": web_data2(news.state, user, news.ctxs(), news.meta(),
                                                     news.vaults())}


# ----- on subscribe -------------------------------------------------------------------------
def all_mids_snapshot(node: Node, key: str, sub: dict) -> Message:
    return {"channel": "allMids", "data": {"mids": I.all_mids(node.state)}}


def l2_book_snapshot(node: Node, key: str, sub: dict) -> Message:
    asset = I.asset_by_name(node.state, sub.get("coin"))
    return None if asset is None else {"channel": "l2Book", "data": I.l2_book(node.state, asset)}


def _margin_alerts(state, key: str, sub: dict) -> list:
    # the levels already announced, and the thresholds parsed once, live in the subscription
    # itself (one per connection)
    levels = sub.setdefault("_levels", {})
    thresholds = sub.get("_thresholds")
    if thresholds is None:
        thresholds = sub["_thresholds"] = parse_thresholds(sub)
    return crossings(state, _user_of(key), thresholds, levels)


def margin_health_news(news: BlockNews, key: str, sub: dict) -> Message:
    """The user's units that crossed a threshold of maintenance used in this block (up or
    down), with the user's margin health; nothing when none did."""
    alerts = _margin_alerts(news.state, key, sub)
    if not alerts:
        return None
    return {"channel": "marginHealth", "data": {
        "alerts": alerts, "health": margin_health(news.state, _user_of(key))}}


def margin_health_snapshot(node: Node, key: str, sub: dict) -> Message:
    """The user's margin health now, with the thresholds its units are already past."""
    alerts = _margin_alerts(node.state, key, sub)
    return {"channel": "marginHealth", "data": {
        "isSnapshot": True, "alerts": alerts, "health": margin_health(node.state,
                                                                     _user_of(key))}}


def trades_snapshot(node: Node, key: str, sub: dict) -> Message:
    """The coin's newest 100 trades, oldest first, as Hyperliquid sends them on subscribe
    (nothing for a coin that has not traded)."""
    asset = I.asset_by_name(node.state, sub.get("coin"))
    if asset is None:
        return None
    node.sequencer.index_if_pending()  # the last block's fills are in the answer
    found = indexer.recent_trades(node.sequencer.log.db, asset)
    if not found:
        return None
    return {"channel": "trades", "data": [rows.trade_row(node.state, f) for f in found]}


def user_fills_snapshot(node: Node, key: str, sub: dict) -> Message:
    """The user's newest 100 fills."""
    user = _user_of(key)
    return {"channel": "userFills", "data": {
        "isSnapshot": True, "user": user, "fills": user_fills(node, user)[:100]}}


def user_twap_slice_fills_snapshot(node: Node, key: str, sub: dict) -> Message:
    """The user's newest 100 TWAP slice fills."""
    user = _user_of(key)
    return {"channel": "userTwapSliceFills", "data": {
        "isSnapshot": True, "user": user,
        "twapSliceFills": user_twap_slice_fills(node, user)[:100]}}


def user_twap_history_snapshot(node: Node, key: str, sub: dict) -> Message:
    """The user's newest 100 TWAP status changes."""
    user = _user_of(key)
    return {"channel": "userTwapHistory", "data": {
        "isSnapshot": True, "user": user, "history": twap_history(node, user)[:100]}}


def active_asset_data_snapshot(node: Node, key: str, sub: dict) -> Message:
    return _active_asset_message(node.state, key, sub)


CHANNELS: dict[str, Channel] = {
    "allMids": Channel(type_key, all_mids_news, all_mids_snapshot),
    "l2Book": Channel(coin_key, l2_book_news, l2_book_snapshot),
    "trades": Channel(coin_key, trades_news, trades_snapshot),
    "marginHealth": Channel(margin_health_key, margin_health_news,  # l2perp
                            margin_health_snapshot),
    "bbo": Channel(coin_key, bbo_news),
    "activeAssetCtx": Channel(coin_key, asset_ctx_news),
    "candle": Channel(candle_key, candle_news),
    "userEvents": Channel(user_key, user_events_news),  # its messages' channel is "user"
    "userFills": Channel(user_key, user_fills_news, user_fills_snapshot),
    "orderUpdates": Channel(user_key, order_updates_news),
    "userTwapSliceFills": Channel(user_key, user_twap_slice_fills_news,
                                  user_twap_slice_fills_snapshot),
    "userTwapHistory": Channel(user_key, user_twap_history_news, user_twap_history_snapshot),
    "webData2": Channel(user_key, web_data2_news),
    "activeAssetData": Channel(user_coin_key, active_asset_data_news,
                               active_asset_data_snapshot),
    ROLLUP_CHANNEL: Channel(type_key),  # its messages come from ws.py `Hub.on_rollup`
}


def identifier(sub: dict) -> str:
    """The subscription's key within a connection (ValueError if it is not one we serve)."""
    kind = sub.get("type")
    channel = CHANNELS.get(kind) if isinstance(kind, str) else None
    if channel is None:
        shown = repr(kind[:40]) if isinstance(kind, str) else f"a {type(kind).__name__}"
        raise ValueError(f"unsupported subscription {shown}")
    return channel.key(sub)
