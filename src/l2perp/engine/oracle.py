"""Oracle: signed price reports by bonded operators, the stake-weighted median with a 2/3 quorum,
staleness, circuit breakers, the fallback source, pinned (devnet) prices, equivocation evidence.

Prices in pips, stakes in integer units, times in ms. A round's price is accepted once operators
holding at least 2/3 of the oracle stake have reported it with fresh timestamps; it is their
stake-weighted median (the lower one on an exact split, dYdX's rule).
"""

from __future__ import annotations

from typing import Final

from ..units import E9
from . import errors as E
from .state import MARKET_DELISTED, Incident, Market, OracleEvidence, State
from .tx import OracleReport, SetOracleSource

SOURCE_PRIMARY: Final = 0
SOURCE_FALLBACK: Final = 1  # an internal book-mid TWAP, switched on by a privileged transaction


def weighted_median(reports: list[tuple[int, int, str]]) -> int:
    """The stake-weighted median of (price, stake, operator): sorted by price then operator, the
    first price at which cumulative stake reaches half of the total (the lower median)."""
    ordered = sorted(reports)
    total = sum(stake for _, stake, _ in ordered)
    cumulative = 0
    for price, stake, _ in ordered:
        cumulative += stake
        if 2 * cumulative >= total:
            return price
    raise ValueError("no reports")


def has_quorum(reporting_stake: int, total_stake: int) -> bool:
    """At least 2/3 of all oracle stake (exact: 3 x reporting >= 2 x total)."""
    return total_stake > 0 and 3 * reporting_stake >= 2 * total_stake


def submit_report(state: State, operator: str, report: OracleReport) -> str | None:
    """Record one operator's report for a market's round; accept the round's price on quorum,
    unless the market's price is pinned (the pin wins until it is lifted)."""
    stakes = state.oracle_stakes
    stake = stakes.get(operator)
    if stake is None:
        return E.NOT_ORACLE_OPERATOR
    if not (0 <= report.asset < len(state.markets)) or report.price_pips <= 0:
        return E.UNKNOWN_ASSET.format(asset=report.asset)
    market = state.markets[report.asset]
    if market.status == MARKET_DELISTED:
        return E.ASSET_DELISTED
    age = state.time_ms - report.time_ms
    if age > state.config.oracle_max_report_age_ms or -age > state.config.oracle_max_report_age_ms:
        return E.ORACLE_REPORT_NOT_FRESH
    if report.round < market.oracle_round:
        return E.ORACLE_ROUND_OLD
    if report.round > market.oracle_round:
        if state.gov is not None and market.round_reports:  # reputation: who skipped it
            missed = state.gov.oracle_rounds_missed
            for op in sorted(stakes):
                if op not in market.round_reports:
                    missed[op] = missed.get(op, 0) + 1
        market.oracle_round = report.round
        market.round_reports = {}
    previous = market.round_reports.get(operator)
    if previous is not None:
        if previous[0] != report.price_pips:
            state.oracle_evidence.append(OracleEvidence(
                operator, market.asset, report.round, previous[0], report.price_pips,
                state.time_ms))
        return E.ORACLE_DUPLICATE_REPORT
    market.round_reports[operator] = (report.price_pips, report.time_ms, report.ext_mid_pips)
    reporting = sum(stakes[op] for op in market.round_reports)
    if not has_quorum(reporting, sum(stakes.values())) or market.pinned_pips:
        return None  # a pinned market keeps its pin: the reports count for reputation only
    rows = [(p, stakes[op], op) for op, (p, _, _) in market.round_reports.items()]
    accept_price(state, market, weighted_median(rows))
    mids = [(m, stakes[op], op) for op, (_, _, m) in market.round_reports.items() if m > 0]
    if mids and has_quorum(sum(s for _, s, _ in mids), sum(stakes.values())):
        market.ext_mid_pips = weighted_median(mids)
        market.ext_mid_time_ms = state.time_ms
    return None


def accept_price(state: State, market: Market, price_pips: int) -> None:
    """Take a new oracle price: record it, and trip the circuit breaker on a move beyond the band
    within the window (the market turns reduce-only for the cooldown; an incident is recorded)."""
    now = state.time_ms
    spec = market.spec
    history = market.price_history  # (time a price started standing, price)
    while len(history) >= 2 and history[1][0] <= now - spec.cb_window_ms:
        history.popleft()  # it stopped standing before the window began
    if not (history and history[-1][1] == price_pips):
        for _, past in history:
            if abs(price_pips - past) * E9 > past * spec.cb_band_e9:
                if market.cb_until_ms <= now:
                    state.incidents.append(
                        Incident("circuitBreaker", market.asset, now, past, price_pips))
                market.cb_until_ms = now + spec.cb_cooldown_ms
                break
        history.append((now, price_pips))
    market.oracle_pips = price_pips
    market.oracle_time_ms = now
    market.stale = False
    market.halted_reduce_only = market.cb_until_ms > now


def oracle_twap(market: Market, now_ms: int) -> int:
    """Time-weighted average of the oracle over the circuit-breaker window (each price weighted
    by how long it stood within the window); the oracle when no time has passed."""
    history = list(market.price_history)
    start = now_ms - market.spec.cb_window_ms
    weighted = total = 0
    for (t, price), (t_next, _) in zip(history, history[1:] + [(now_ms, 0)]):
        span = t_next - (t if t > start else start)
        if span > 0:
            weighted += price * span
            total += span
    return weighted // total if total > 0 else market.oracle_pips


def refresh_oracles(state: State) -> None:
    """Once per block: pinned and fallback prices, staleness, and the reduce-only flags."""
    now = state.time_ms
    max_staleness = state.config.max_staleness_ms
    for market in state.markets:
        if market.status == MARKET_DELISTED:
            continue
        if market.pinned_pips:
            if market.pinned_pips != market.oracle_pips or now - market.oracle_time_ms > 0:
                accept_price(state, market, market.pinned_pips)
            market.ext_mid_pips = market.pinned_pips
            market.ext_mid_time_ms = now
        elif market.oracle_source == SOURCE_FALLBACK:
            twap = book_twap(market)
            if twap:
                accept_price(state, market, twap)
        market.stale = market.oracle_time_ms == 0 or now - market.oracle_time_ms > max_staleness
        market.halted_reduce_only = market.stale or market.cb_until_ms > now


def book_twap(market: Market) -> int:
    """The fallback price: the mean of the book-mid samples kept for the TWAP window, 0 if none."""
    samples = market.mid_samples
    if not samples:
        return 0
    return sum(mid for _, mid in samples) // len(samples)


def record_mid_sample(state: State, market: Market, mid_pips: int) -> None:
    """Keep a book-mid sample for the fallback TWAP (window: `fallback_twap_ms`)."""
    now = state.time_ms
    samples = market.mid_samples
    samples.append((now, mid_pips))
    while samples and samples[0][0] < now - state.config.fallback_twap_ms:
        samples.popleft()


def set_oracle_source(state: State, action: SetOracleSource) -> str | None:
    """Privileged: switch a market between its operators' prices and the fallback TWAP."""
    if not (0 <= action.asset < len(state.markets)):
        return E.UNKNOWN_ASSET.format(asset=action.asset)
    if action.source not in (SOURCE_PRIMARY, SOURCE_FALLBACK):
        return E.INVALID_ORACLE_SOURCE
    state.markets[action.asset].oracle_source = action.source
    return None


def pin_price(state: State, asset: int, price_pips: int) -> str | None:
    """Devnet/admin: pin a market's oracle (and external mid); 0 unpins it (it then goes stale
    like any silent feed). A pinned price counts as a full-quorum report in every block."""
    if not (0 <= asset < len(state.markets)) or price_pips < 0:
        return E.UNKNOWN_ASSET.format(asset=asset)
    market = state.markets[asset]
    if market.status == MARKET_DELISTED:
        return E.ASSET_DELISTED
    market.pinned_pips = price_pips
    if price_pips:
        accept_price(state, market, price_pips)
        market.ext_mid_pips = price_pips
        market.ext_mid_time_ms = state.time_ms
        market.stale = False
        market.halted_reduce_only = market.cb_until_ms > state.time_ms
    return None
