"""/info answers read from the node's history (node/indexer.py): a user's fills, an order's
status and a user's order history, funding history, a user's funding payments, candles.
Times are ms of block time; lists are newest first unless a type says otherwise.
"""

from __future__ import annotations

from ..node import indexer
from ..node.service import Node
from . import rows
from .fields import asset_field, ms_field


def user_fills(node: Node, user: str, start_ms: int = 0, end_ms: int | None = None) -> list:
    """The user's fills in [start_ms, end_ms], newest first; on a rollup each row says how
    final its block is (`finality`, an l2perp extension)."""
    found = indexer.fills_of(node.sequencer.log.db, user, start_ms, end_ms)
    out = []
    for fill, is_taker, height in found:
        row = rows.fill_row(node.state, fill, is_taker)
        if node.rollup is not None and height is not None:
            row["finality"] = node.rollup.finality(height)  # an l2perp extension
        out.append(row)
    return out


def order_status(node: Node, user: str, ref: object) -> dict:
    """An order's latest status by oid or cloid: open from the state, history from the
    indexer."""
    state = node.state
    account = state.accounts.get(user)
    if account is not None:
        order = account.orders.get(ref) if isinstance(ref, int) else account.cloids.get(
            ref.lower() if isinstance(ref, str) else ref)
        if order is not None:
            return {"status": "order", "order": rows.open_order_status(state, order)}
    record = indexer.order_record(node.sequencer.log.db, user, ref)
    if record is None:
        return {"status": "unknownOid"}
    return {"status": "order", "order": rows.recorded_order_status(state, record)}


def historical_orders(node: Node, user: str) -> list:
    """The user's newest 2,000 orders, each with its latest status."""
    found = node.sequencer.log.db.execute(
        "SELECT oid FROM orders WHERE user = ? ORDER BY oid DESC LIMIT 2000", (user,))
    out = []
    for (oid,) in found.fetchall():
        answer = order_status(node, user, oid)
        if answer["status"] == "order":
            out.append(answer["order"])
    return out


def funding_history(node: Node, asset: int, start_ms: int, end_ms: int | None) -> list:
    """One market's funding rate and premium at each funding time in [start_ms, end_ms]."""
    found = indexer.funding_history(node.sequencer.log.db, asset, start_ms, end_ms)
    name = node.state.markets[asset].name
    return [rows.funding_row(name, t, rate, prem) for t, rate, prem in found]


def user_funding(node: Node, user: str, start_ms: int, end_ms: int | None) -> list:
    """The user's funding payments, one per position per funding time."""
    found = indexer.user_funding(node.sequencer.log.db, user, start_ms, end_ms)
    markets = node.state.markets
    return [rows.user_funding_row(markets[asset], t, amount, size, rate)
            for asset, t, amount, size, rate in found]


def ledger_updates(node: Node, user: str, start_ms: int, end_ms: int | None) -> list:
    """The user's deposits, withdrawals, transfers, backstop takeovers and settlements in
    [start_ms, end_ms], oldest first (at most 2,000)."""
    found = indexer.ledger_of(node.sequencer.log.db, user, start_ms, end_ms)
    fee = node.state.config.withdraw_fee_musdc
    return [rows.ledger_row(user, t, height, seq, kind, amount, other, fee)
            for t, height, seq, kind, amount, other in found]


def candle_snapshot(node: Node, req: object) -> list:
    """Candles of `req` = {coin, interval, startTime, endTime (default: now)}."""
    interval = req.get("interval") if isinstance(req, dict) else None
    if not isinstance(interval, str) or interval not in indexer.INTERVALS_MS:
        raise ValueError("invalid candle request")
    asset = asset_field(node.state, req.get("coin"))
    market = node.state.markets[asset]
    found = indexer.candles(node.sequencer.log.db, asset, interval, ms_field(req, "startTime"),
                            ms_field(req, "endTime", None) or node.state.time_ms)
    return [rows.candle_row(market, interval, row) for row in found]
