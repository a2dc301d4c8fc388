"""Account-value samples for Hyperliquid's `portfolio` (api/portfolio.py): written with the
block index, at a bounded cadence so that the per-block cost is a set update. The accounts a
block touched are remembered; once block time enters a new minute, each of them is valued and
written once; once it enters a new hour, every account holding a position is written too (its
value moves with the mark while nothing touches it). Once a day, old rows are thinned: hourly
after two days, daily after 35 days, so the table grows by at most about 25 rows a day per
account once the minutes are thinned. Values are micro-USDC at block time (ms).
"""

from __future__ import annotations

import sqlite3

from ..engine.state import State
from ..engine.views import account_value

SCHEMA = """
CREATE TABLE IF NOT EXISTS account_values (user TEXT, time_ms INTEGER, value INTEGER);
CREATE INDEX IF NOT EXISTS account_values_user ON account_values (user, time_ms);
"""
TOUCHED_SAMPLE_MS = 60_000  # l2perp: a touched account is sampled once per minute of block time
HELD_SAMPLE_MS = 3_600_000  # every account with a position: once per hour
THINNING_MS = 86_400_000  # old rows are thinned once a day
# (rows older than this, keep one per this span): minutes for 2 days, hours for 35, then days
THIN_RULES = ((2 * 86_400_000, 3_600_000), (35 * 86_400_000, 86_400_000))
# the ledger kinds that move money in or out of an account: PnL is value net of them
FLOW_KINDS = ("deposit", "withdraw", "send")


def create(db: sqlite3.Connection) -> None:
    db.executescript(SCHEMA)


class ValueSampler:
    """Remembers the accounts touched since the last sample and writes samples when block time
    crosses a minute (those accounts) or an hour (every account with a position)."""

    def __init__(self) -> None:
        self.pending: set[str] = set()
        self.minute = -1  # the block-time minute / hour / day of the last sample (-1: none)
        self.hour = -1
        self.day = -1

    def on_block(self, db: sqlite3.Connection, state: State, touched: list[str] | None) -> None:
        """Take one indexed block (`state` as it left it, inside the caller's transaction)."""
        if touched:
            self.pending.update(touched)
        now = state.time_ms
        minute = now // TOUCHED_SAMPLE_MS
        if minute == self.minute:
            return
        self.minute = minute
        users = self.pending
        self.pending = set()
        hour = now // HELD_SAMPLE_MS
        if hour != self.hour:
            self.hour = hour
            users |= {a for a, account in state.accounts.items() if account.positions}
        accounts = state.accounts
        rows = [(u, now, account_value(state, accounts[u])) for u in sorted(users)
                if u in accounts]
        if rows:
            db.executemany("INSERT INTO account_values VALUES (?, ?, ?)", rows)
        day = now // THINNING_MS
        if day != self.day:
            self.day = day
            thin(db, now)


def thin(db: sqlite3.Connection, now_ms: int) -> None:
    """Keep one row (the latest) per user and span among rows older than each rule's age."""
    for age_ms, span_ms in THIN_RULES:
        before = now_ms - age_ms
        db.execute("DELETE FROM account_values WHERE time_ms < ? AND rowid NOT IN (SELECT "
                   "MAX(rowid) FROM account_values WHERE time_ms < ? GROUP BY user, "
                   "time_ms / ?)", (before, before, span_ms))


def samples_of(db: sqlite3.Connection, user: str, start_ms: int) -> list[tuple[int, int]]:
    """(time, value) of the user's samples from `start_ms` on, oldest first."""
    return db.execute("SELECT time_ms, value FROM account_values WHERE user = ? AND "
                      "time_ms >= ? ORDER BY time_ms, rowid", (user, start_ms)).fetchall()


def flows_of(db: sqlite3.Connection, user: str) -> list[tuple[int, int]]:
    """(time, signed amount) of the money the user moved in or out (deposits, withdrawals,
    usdSend both ways), oldest first."""
    return db.execute(f"SELECT time_ms, amount FROM ledger WHERE user = ? AND kind IN "
                      f"({','.join('?' * len(FLOW_KINDS))}) ORDER BY time_ms, height, seq",
                      (user, *FLOW_KINDS)).fetchall()


def volume_of(db: sqlite3.Connection, user: str, start_ms: int) -> int:
    """The user's traded notional (micro-USDC) in fills from `start_ms` on, as taker or maker."""
    row = db.execute(
        "SELECT COALESCE(SUM(px * sz), 0) FROM fills WHERE taker = ? AND time_ms >= ?",
        (user, start_ms)).fetchone()
    other = db.execute(
        "SELECT COALESCE(SUM(px * sz), 0) FROM fills WHERE maker = ? AND time_ms >= ?",
        (user, start_ms)).fetchone()
    return row[0] + other[0]
