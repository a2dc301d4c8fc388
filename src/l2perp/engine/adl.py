"""Auto-deleveraging (docs/mechanics.md): only for the shortfall an insurance fund cannot cover.

Opposite positions are ranked by profit factor x (position notional / account value), with
profit factor = mark / entry for longs and entry / mark for shorts, highest first, ties by
address (accounts with no positive value are skipped). They are closed against the bankrupt
position at its bankruptcy price, and only as many lots as the shortfall needs (the last lot
may cover up to one lot's worth more). Each position's rank is what `adl_rank` reports.
"""

from __future__ import annotations

from typing import Final

from .liqindex import unit_figures
from .margin import leverage_of, maintenance_margin
from .positions import apply_position_delta
from .state import Account, State, is_fund
from .tx import AdlEvent, FillEvent

E18: Final = 10**18


def position_value_for_rank(state: State, account: Account, asset: int) -> int:
    """The account value the rank divides by: cross value, or the isolated position's equity."""
    market = state.markets[asset]
    pos = account.positions[asset]
    if not leverage_of(state.config, account, market).is_cross:
        return pos.iso_raw_musdc + pos.size_lots * market.mark_pips
    value = account.cash_musdc
    for a, p in account.positions.items():
        m = state.markets[a]
        if leverage_of(state.config, account, m).is_cross:
            value += p.size_lots * m.mark_pips
    return value


def adl_score(state: State, account: Account, asset: int) -> int:
    """Profit factor x notional / value, x 10^18 (floor); -1 when the account has no value."""
    market = state.markets[asset]
    pos = account.positions[asset]
    value = position_value_for_rank(state, account, asset)
    size = abs(pos.size_lots)
    if value <= 0 or size == 0 or pos.entry_ntl_musdc <= 0:
        return -1
    mark = market.mark_pips
    ntl = size * mark
    if pos.size_lots > 0:
        return mark * size * ntl * E18 // (pos.entry_ntl_musdc * value)
    return pos.entry_ntl_musdc * E18 // value


def ranked_counterparties(state: State, asset: int, bankrupt_long: bool,
                          excluded: str) -> list[Account]:
    """Positions on the other side of a bankrupt position, best ranked first."""
    rows = []
    for address, account in state.accounts.items():
        pos = account.positions.get(asset)
        if pos is None or address == excluded or is_fund(address):
            continue
        if (pos.size_lots < 0) != bankrupt_long or pos.size_lots == 0:
            continue
        score = adl_score(state, account, asset)
        if score >= 0:
            rows.append((-score, address))
    rows.sort()
    return [state.accounts[address] for _, address in rows]


def adl_rank(state: State, account: Account, asset: int) -> int:
    """1-based queue position of the account's position among its side, 0 when unranked."""
    pos = account.positions.get(asset)
    if pos is None or pos.size_lots == 0:
        return 0
    queue = ranked_counterparties(state, asset, pos.size_lots < 0, "")
    for i, other in enumerate(queue):
        if other is account:
            return i + 1
    return 0


def deleverage(ctx, bankrupt: Account, unit: int, assets: list[int], shortfall: int) -> int:
    """Close ranked opposite positions against the bankrupt unit at its bankruptcy prices until
    `shortfall` is covered; returns the amount covered (micro-USDC)."""
    state = ctx.state
    value, mm, _ = unit_figures(state, bankrupt, unit)
    deficit = -value
    if deficit <= 0 or mm <= 0:
        return 0
    covered = 0
    markets = state.markets
    order = sorted(assets, key=lambda a: (-maintenance_margin(
        markets[a], abs(bankrupt.positions[a].size_lots) * markets[a].mark_pips), a))
    for asset in order:
        if covered >= shortfall:
            break
        market = markets[asset]
        pos = bankrupt.positions.get(asset)
        if pos is None:
            continue
        size = abs(pos.size_lots)
        mark = market.mark_pips
        share = -((-deficit * maintenance_margin(market, size * mark)) // mm)  # ceil
        per_lot = -((-share) // size)  # pips of price improvement per lot, ceil
        if per_lot <= 0:
            continue
        long = pos.size_lots > 0
        price = mark + per_lot if long else max(1, mark - per_lot)
        gain = price - mark if long else mark - price
        need = -((-(shortfall - covered)) // gain)
        if need > size:
            need = size
        for other in ranked_counterparties(state, asset, long, bankrupt.address):
            if need == 0:
                break
            their_start = other.positions[asset].size_lots
            bankrupt_start = bankrupt.positions[asset].size_lots
            theirs = abs(their_start)
            take = need if need < theirs else theirs
            delta = -take if long else take  # the bankrupt's change
            apply_position_delta(state, bankrupt, market, delta, price)
            apply_position_delta(state, other, market, -delta, price)
            market.open_interest_lots -= take
            need -= take
            covered += take * gain
            tid = state.next_tid
            state.next_tid = tid + 1
            ctx.events.append(FillEvent(
                tid, state.time_ms, asset, price, take, bankrupt.address, other.address, 0, 0,
                not long, 0, 0, bankrupt_start, their_start, 0, 0, -1))
            ctx.events.append(AdlEvent(asset, bankrupt.address, other.address, take, price,
                                       take * gain, shortfall, state.time_ms))
    return covered
