"""The indexer: fills, order status history, funding records and the cash ledger, written in
the same SQLite file as their block (the node writes them right after the block's replies
left, in a transaction of their own; recovery writes again those a crash lost, so the index
never stays behind the log, and /info writes pending ones before it reads), and the queries
behind userFills, orderStatus, fundingHistory, userFunding, userNonFundingLedgerUpdates,
userTwapSliceFills, twapHistory, candleSnapshot and the 24-hour market statistics of
metaAndAssetCtxs. Candles are aggregated
from the fills by interval (1m to 1d)."""

from __future__ import annotations

import sqlite3

from ..engine.book import Order
from ..engine.state import State
from ..engine.tx import (
    BlockReceipts, FillEvent, FundingEvent, LedgerEvent, MarketFundingEvent, OrderEvent,
    TwapEvent, TwapSliceEvent,
)
from ..units import MS_PER_DAY

SCHEMA = """
CREATE TABLE IF NOT EXISTS fills (
    tid INTEGER PRIMARY KEY, time_ms INTEGER, asset INTEGER, px INTEGER, sz INTEGER,
    taker TEXT, maker TEXT, taker_oid INTEGER, maker_oid INTEGER, taker_is_buy INTEGER,
    taker_fee INTEGER, maker_fee INTEGER, taker_start INTEGER, maker_start INTEGER,
    taker_pnl INTEGER, maker_pnl INTEGER, height INTEGER);
CREATE INDEX IF NOT EXISTS fills_taker ON fills (taker, time_ms);
CREATE INDEX IF NOT EXISTS fills_maker ON fills (maker, time_ms);
CREATE INDEX IF NOT EXISTS fills_asset ON fills (asset, time_ms);
CREATE TABLE IF NOT EXISTS orders (
    oid INTEGER PRIMARY KEY, user TEXT, asset INTEGER, is_buy INTEGER, limit_px INTEGER,
    orig_sz INTEGER, tif INTEGER, reduce_only INTEGER, cloid TEXT, timestamp_ms INTEGER,
    status TEXT, status_ms INTEGER);
CREATE INDEX IF NOT EXISTS orders_cloid ON orders (user, cloid);
CREATE TABLE IF NOT EXISTS funding (asset INTEGER, time_ms INTEGER, rate INTEGER,
    premium INTEGER, oracle INTEGER, PRIMARY KEY (asset, time_ms));
CREATE TABLE IF NOT EXISTS user_funding (user TEXT, asset INTEGER, time_ms INTEGER,
    amount INTEGER, size INTEGER, rate INTEGER);
CREATE INDEX IF NOT EXISTS user_funding_user ON user_funding (user, time_ms);
CREATE TABLE IF NOT EXISTS ledger (user TEXT, time_ms INTEGER, height INTEGER, seq INTEGER,
    kind TEXT, amount INTEGER, counterparty TEXT, PRIMARY KEY (height, seq));
CREATE INDEX IF NOT EXISTS ledger_user ON ledger (user, time_ms);
CREATE TABLE IF NOT EXISTS twap_fills (tid INTEGER PRIMARY KEY, user TEXT, twap_id INTEGER);
CREATE INDEX IF NOT EXISTS twap_fills_user ON twap_fills (user, tid);
CREATE TABLE IF NOT EXISTS twap_history (height INTEGER, seq INTEGER, user TEXT,
    twap_id INTEGER, status TEXT, description TEXT, time_ms INTEGER, asset INTEGER,
    is_buy INTEGER, total INTEGER, executed INTEGER, executed_ntl INTEGER, minutes INTEGER,
    reduce_only INTEGER, randomize INTEGER, started_ms INTEGER, PRIMARY KEY (height, seq));
CREATE INDEX IF NOT EXISTS twap_history_user ON twap_history (user, height, seq);
"""
# the engine's ledger events that userNonFundingLedgerUpdates lists (isolated-margin moves,
# "accountClassTransfer" in the engine, are not: Hyperliquid's ledger does not show them)
LEDGER_KINDS = frozenset({"deposit", "withdraw", "send", "backstopLiquidation", "settlement",
                          "subAccountTransfer", "vaultCreate", "vaultDeposit", "vaultWithdraw",
                          "vaultLeaderCommission", "builderFee", "l1DataCost"})

INTERVALS_MS = {"1m": 60_000, "3m": 180_000, "5m": 300_000, "15m": 900_000, "30m": 1_800_000,
                "1h": 3_600_000, "2h": 7_200_000, "4h": 14_400_000, "8h": 28_800_000,
                "12h": 43_200_000, "1d": 86_400_000}


def create(db: sqlite3.Connection) -> None:
    db.executescript(SCHEMA)
    columns = [row[1] for row in db.execute("PRAGMA table_info(fills)")]
    if "height" not in columns:  # a data directory from before fills knew their block
        db.execute("ALTER TABLE fills ADD COLUMN height INTEGER")


def _order_row(order: Order) -> tuple:
    return (order.oid, order.user, order.asset, int(order.is_buy), order.limit_pips,
            order.orig_lots, order.tif, int(order.reduce_only), order.cloid, order.timestamp_ms)


def index_block(db: sqlite3.Connection, state: State, receipts: BlockReceipts) -> None:
    """Write one block's fills, order statuses and funding (inside the caller's transaction).

    An order event writes the order's row (kept as first written) with the event's status in
    one statement; an event of an order that left without a row to rebuild only updates the
    status. Which of the two an oid takes depends on the state after the block, so all of one
    oid's events take the same one, in event order."""
    fills, orders, statuses, funding, user_funding, ledger = [], [], [], [], [], []
    slices: dict[int, int] = {}  # the block's TWAP slice orders: oid -> TWAP id
    twap_fills, twap_history = [], []
    for seq, e in enumerate(receipts.events):
        kind = type(e)
        if kind is FillEvent:
            fills.append((e.tid, e.time_ms, e.asset, e.px_pips, e.sz_lots, e.taker, e.maker,
                          e.taker_oid, e.maker_oid, int(e.taker_is_buy), e.taker_fee_musdc,
                          e.maker_fee_musdc, e.taker_start_lots, e.maker_start_lots,
                          e.taker_closed_pnl_musdc, e.maker_closed_pnl_musdc, receipts.height))
            twap_id = slices.get(e.taker_oid)
            if twap_id is not None:  # a slice is an IOC order: always the taker
                twap_fills.append((e.tid, e.taker, twap_id))
        elif kind is OrderEvent:
            account = state.accounts.get(e.user)
            order = account.orders.get(e.oid) if account is not None else None
            if order is not None:
                orders.append(_order_row(order) + (e.status, e.time_ms))
                continue
            # filled or cancelled within the block: rebuild it from its fills
            mine = [f for f in receipts.events
                    if type(f) is FillEvent and f.taker_oid == e.oid]
            if mine:
                orders.append((e.oid, e.user, e.asset, int(mine[0].taker_is_buy),
                               mine[-1].px_pips, sum(f.sz_lots for f in mine), 0, 0, None,
                               e.time_ms, e.status, e.time_ms))
            else:
                statuses.append((e.status, e.time_ms, e.oid))
        elif kind is MarketFundingEvent:
            funding.append((e.asset, e.time_ms, e.rate_e9, e.premium_e9, e.oracle_pips))
        elif kind is FundingEvent:
            user_funding.append((e.user, e.asset, e.time_ms, e.amount_musdc, e.size_lots,
                                 e.rate_e9))
        elif kind is LedgerEvent and e.kind in LEDGER_KINDS:
            ledger.append((e.user, e.time_ms, receipts.height, seq, e.kind, e.amount_musdc,
                           e.counterparty))
        elif kind is TwapSliceEvent:
            slices[e.oid] = e.twap_id
        elif kind is TwapEvent:
            twap_history.append((receipts.height, seq, e.user, e.twap_id, e.status,
                                 e.description, e.time_ms, e.asset, int(e.is_buy),
                                 e.total_lots, e.executed_lots, e.executed_ntl_musdc, e.minutes,
                                 int(e.reduce_only), int(e.randomize), e.started_ms))
    if fills:
        db.executemany(f"INSERT INTO fills VALUES ({','.join('?' * 17)})", fills)
    if orders:
        db.executemany("INSERT INTO orders (oid, user, asset, is_buy, limit_px, orig_sz, tif, "
                       "reduce_only, cloid, timestamp_ms, status, status_ms) VALUES "
                       "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (oid) DO UPDATE SET "
                       "status = excluded.status, status_ms = excluded.status_ms", orders)
    if statuses:
        db.executemany("UPDATE orders SET status = ?, status_ms = ? WHERE oid = ?", statuses)
    if funding:
        db.executemany("INSERT OR REPLACE INTO funding VALUES (?, ?, ?, ?, ?)", funding)
    if user_funding:
        db.executemany("INSERT INTO user_funding VALUES (?, ?, ?, ?, ?, ?)", user_funding)
    if ledger:
        db.executemany("INSERT INTO ledger VALUES (?, ?, ?, ?, ?, ?, ?)", ledger)
    if twap_fills:
        db.executemany("INSERT INTO twap_fills VALUES (?, ?, ?)", twap_fills)
    if twap_history:
        db.executemany(f"INSERT INTO twap_history VALUES ({','.join('?' * 16)})", twap_history)


def fill_of(row: tuple) -> FillEvent:
    """A `fills` row as the engine's event (SQLite keeps the bool as 0/1; no tx index)."""
    return FillEvent(*row[:9], bool(row[9]), *row[10:16], -1)


def fills_of(db: sqlite3.Connection, user: str, start_ms: int = 0, end_ms: int | None = None,
             limit: int = 2_000) -> list[tuple]:
    """(fill, is_taker, block height) of a user, newest first."""
    end = end_ms if end_ms is not None else 1 << 62
    rows = db.execute(
        "SELECT * FROM fills WHERE (taker = ? OR maker = ?) AND time_ms >= ? AND time_ms <= ? "
        "ORDER BY tid DESC LIMIT ?", (user, user, start_ms, end, limit)).fetchall()
    out = []
    for r in rows:
        event = fill_of(r)
        if event.taker == user:
            out.append((event, True, r[16]))
        if event.maker == user:
            out.append((event, False, r[16]))
    return out


def recent_trades(db: sqlite3.Connection, asset: int, limit: int = 100,
                  window: int = 50_000) -> list[FillEvent]:
    """The market's newest `limit` fills, oldest first, looked for among the venue's newest
    `window` fills only (a bounded scan for a market that rarely trades)."""
    last = db.execute("SELECT MAX(tid) FROM fills").fetchone()[0]
    if last is None:
        return []
    rows = db.execute("SELECT * FROM fills WHERE tid > ? AND asset = ? ORDER BY tid DESC "
                      "LIMIT ?", (last - window, asset, limit)).fetchall()
    return [fill_of(r) for r in reversed(rows)]


def twap_slice_fills_of(db: sqlite3.Connection, user: str,
                        limit: int = 2_000) -> list[tuple[FillEvent, int]]:
    """(fill, TWAP id) of the user's TWAP slice fills, newest first, at most `limit`."""
    rows = db.execute(
        "SELECT f.*, t.twap_id FROM twap_fills t JOIN fills f ON f.tid = t.tid "
        "WHERE t.user = ? ORDER BY t.tid DESC LIMIT ?", (user, limit)).fetchall()
    return [(fill_of(r), r[17]) for r in rows]


def twap_history_of(db: sqlite3.Connection, user: str, limit: int = 2_000) -> list[TwapEvent]:
    """The user's TWAP status changes (activated, finished, terminated, error), newest first,
    at most `limit`."""
    rows = db.execute(
        "SELECT user, twap_id, status, description, time_ms, asset, is_buy, total, executed, "
        "executed_ntl, minutes, reduce_only, randomize, started_ms FROM twap_history "
        "WHERE user = ? ORDER BY height DESC, seq DESC LIMIT ?", (user, limit)).fetchall()
    return [TwapEvent(*r[:6], bool(r[6]), *r[7:11], bool(r[11]), bool(r[12]), r[13])
            for r in rows]


def order_record(db: sqlite3.Connection, user: str, ref: object) -> tuple | None:
    if isinstance(ref, int):
        return db.execute("SELECT * FROM orders WHERE oid = ? AND user = ?",
                          (ref, user)).fetchone()
    return db.execute("SELECT * FROM orders WHERE user = ? AND cloid = ? ORDER BY oid DESC",
                      (user, str(ref).lower())).fetchone()


def funding_history(db: sqlite3.Connection, asset: int, start_ms: int,
                    end_ms: int | None) -> list[tuple]:
    end = end_ms if end_ms is not None else 1 << 62
    return db.execute("SELECT time_ms, rate, premium FROM funding WHERE asset = ? AND "
                      "time_ms >= ? AND time_ms <= ? ORDER BY time_ms LIMIT 500",
                      (asset, start_ms, end)).fetchall()


def user_funding(db: sqlite3.Connection, user: str, start_ms: int,
                 end_ms: int | None) -> list[tuple]:
    end = end_ms if end_ms is not None else 1 << 62
    return db.execute("SELECT asset, time_ms, amount, size, rate FROM user_funding WHERE "
                      "user = ? AND time_ms >= ? AND time_ms <= ? ORDER BY time_ms LIMIT 500",
                      (user, start_ms, end)).fetchall()


def ledger_of(db: sqlite3.Connection, user: str, start_ms: int,
              end_ms: int | None) -> list[tuple]:
    """(time, height, seq, kind, amount, counterparty) of the user's cash movements other than
    trading and funding in [start_ms, end_ms], oldest first, at most 2,000."""
    end = end_ms if end_ms is not None else 1 << 62
    return db.execute("SELECT time_ms, height, seq, kind, amount, counterparty FROM ledger "
                      "WHERE user = ? AND time_ms >= ? AND time_ms <= ? ORDER BY time_ms, "
                      "height, seq LIMIT 2000", (user, start_ms, end)).fetchall()


def candles(db: sqlite3.Connection, asset: int, interval: str, start_ms: int,
            end_ms: int) -> list[tuple]:
    """(start, end, open, close, high, low, volume lots, trades) per interval with trades."""
    span = INTERVALS_MS[interval]
    rows = db.execute(
        "SELECT time_ms / ? AS bucket, tid, px, sz FROM fills WHERE asset = ? AND time_ms >= ? "
        "AND time_ms <= ? ORDER BY tid", (span, asset, start_ms - start_ms % span, end_ms))
    out: dict[int, list] = {}
    for bucket, _, px, sz in rows:
        c = out.get(bucket)
        if c is None:
            out[bucket] = [px, px, px, px, sz, 1]
        else:
            c[1] = px
            c[2] = max(c[2], px)
            c[3] = min(c[3], px)
            c[4] += sz
            c[5] += 1
    return [(b * span, b * span + span - 1, *c) for b, c in sorted(out.items())]


def day_stats(db: sqlite3.Connection, asset: int, now_ms: int,
              span_ms: int = MS_PER_DAY) -> tuple[int | None, int, int]:
    """(reference price pips, Σ px x sz micro-USDC, Σ sz lots) of one market's fills in
    (now - span, now]. The reference price is the last fill at or before now - span, else the
    first fill in the window, else None. Three queries on the (asset, time_ms) index."""
    start = now_ms - span_ms
    row = db.execute("SELECT px FROM fills WHERE asset = ? AND time_ms <= ? "
                     "ORDER BY time_ms DESC, tid DESC LIMIT 1", (asset, start)).fetchone()
    if row is None:
        row = db.execute("SELECT px FROM fills WHERE asset = ? AND time_ms > ? AND time_ms <= ? "
                         "ORDER BY time_ms, tid LIMIT 1", (asset, start, now_ms)).fetchone()
    ntl, base = db.execute("SELECT COALESCE(SUM(px * sz), 0), COALESCE(SUM(sz), 0) FROM fills "
                           "WHERE asset = ? AND time_ms > ? AND time_ms <= ?",
                           (asset, start, now_ms)).fetchone()
    return (row[0] if row else None), ntl, base
