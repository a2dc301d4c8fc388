"""Hyperliquid's `portfolio` /info type: for each period (day, week, month, all time, and the
same four for perps, which here are the whole account) the account-value history, the PnL
history and the traded volume. Values come from the indexer's samples (node/value_samples.py)
plus the live value at the current block; PnL at a time is the value then less the net money
moved in by then (deposits, withdrawals, usdSend), shown relative to the period's first point,
so a deposit is not profit. Amounts are USDC decimal strings, times block-time ms.
"""

from __future__ import annotations

from bisect import bisect_right
from itertools import accumulate

from ..engine.views import account_value
from ..node import value_samples as V
from ..node.service import Node
from ..units import MS_PER_DAY, format_usdc

# Hyperliquid's period names and spans (None: all time); the perp* periods repeat them
PERIODS: tuple[tuple[str, int | None], ...] = (
    ("day", MS_PER_DAY), ("week", 7 * MS_PER_DAY), ("month", 30 * MS_PER_DAY),
    ("allTime", None))


def portfolio(node: Node, user: str) -> list:
    """`[[period, {accountValueHistory, pnlHistory, vlm}], ...]` for the eight periods; an
    unknown user has empty histories and volume "0"."""
    state = node.state
    db = node.sequencer.log.db
    now = state.time_ms
    account = state.accounts.get(user)
    samples: list[tuple[int, int]] = V.samples_of(db, user, 0) if account is not None else []
    if account is not None and (not samples or samples[-1][0] < now):
        samples.append((now, account_value(state, account)))
    flows = V.flows_of(db, user) if account is not None else []
    flow_times = [t for t, _ in flows]
    moved_in = list(accumulate(amount for _, amount in flows))
    periods: list[tuple[str, dict]] = []
    for name, span in PERIODS:
        start = 0 if span is None else now - span
        window = [(t, v) for t, v in samples if t >= start]
        volume = V.volume_of(db, user, start) if account is not None else 0
        periods.append((name, _period(window, flow_times, moved_in, volume)))
    perps = [("perp" + name[0].upper() + name[1:], data) for name, data in periods]
    return [[name, data] for name, data in periods + perps]


def _period(window: list[tuple[int, int]], flow_times: list[int], moved_in: list[int],
            volume_musdc: int) -> dict:
    """One period's histories from its samples (oldest first) and the cumulative flows."""
    def pnl(time_ms: int, value: int) -> int:
        count = bisect_right(flow_times, time_ms)  # flows at or before the sample count
        return value - (moved_in[count - 1] if count else 0)

    base = pnl(*window[0]) if window else 0
    return {"accountValueHistory": [[t, format_usdc(v)] for t, v in window],
            "pnlHistory": [[t, format_usdc(pnl(t, v) - base)] for t, v in window],
            "vlm": format_usdc(volume_musdc)}
