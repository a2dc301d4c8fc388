"""Mark price (Hyperliquid, docs/mechanics.md): the median of the inputs that exist among
(a) oracle + EMA(150 s) of (book mid - oracle), (b) median(best bid, best ask, last trade),
(c) the external perp mid; with only two inputs, the EMA(30 s) of (b) is added.

The book mid exists only when both sides have orders; without it the basis EMA does not move.
EMAs update once per block: e += (x - e) * dt // (tau + dt), rounded toward e, starting at the
first sample. Prices in pips, times in ms.
"""

from __future__ import annotations

from ..units import trunc_div
from .state import Market, State


def ema_step(ema: int, sample: int, dt_ms: int, tau_ms: int) -> int:
    """One EMA update over `dt_ms`, the increment rounded toward the old value (toward zero)."""
    return ema + trunc_div((sample - ema) * dt_ms, tau_ms + dt_ms)


def median_of(values: list[int]) -> int:
    """The median; of two values, their mean rounded down."""
    ordered = sorted(values)
    n = len(ordered)
    if n % 2:
        return ordered[n // 2]
    return (ordered[n // 2 - 1] + ordered[n // 2]) // 2


def book_input(market: Market, bid: int, ask: int) -> int:
    """Input (b): median(best bid, best ask, last trade); mid of the two sides before any trade."""
    last = market.last_trade_pips
    if last:
        return median_of([bid, ask, last])
    return (bid + ask) // 2


def update_mark(state: State, market: Market, dt_ms: int) -> None:
    """Advance the EMAs by one block of `dt_ms` and recompute the mark."""
    oracle = market.oracle_pips
    if oracle == 0:
        return
    config = state.config
    book = state.books[market.asset]
    bid, ask = book.best_bid(), book.best_ask()
    inputs: list[int] = []
    b = 0
    if bid and ask:
        basis = (bid + ask) // 2 - oracle
        b = book_input(market, bid, ask)
        if market.basis_started:
            market.basis_ema = ema_step(market.basis_ema, basis, dt_ms, config.mark_basis_tau_ms)
        else:
            market.basis_ema, market.basis_started = basis, True
        if market.book_started:
            market.book_ema = ema_step(market.book_ema, b, dt_ms, config.mark_book_tau_ms)
        else:
            market.book_ema, market.book_started = b, True
    inputs.append(oracle + market.basis_ema)
    if b:
        inputs.append(b)
    if market.ext_mid_pips and state.time_ms - market.ext_mid_time_ms <= config.max_staleness_ms:
        inputs.append(market.ext_mid_pips)
    if len(inputs) == 2 and market.book_started:
        inputs.append(market.book_ema)
    mark = median_of(inputs)
    market.mark_pips = mark if mark > 0 else 1
