"""Funding (Hyperliquid, docs/mechanics.md): paid at every whole UTC hour of block time.

Premium samples every 5 s of block time from the impact bid / ask at the market's impact
notional (a side shallower than it has no impact price and the sample is 0), averaged over the
hour's 720 slots with missing samples counted as 0. The 8-hour rate is
P + clamp(0.01% - P, -0.05%, +0.05%), paid each hour as one eighth of it (rounded toward zero),
capped at ±4% per hour. Payment = size x oracle price x rate; longs pay when it is positive.
A payer's amount rounds up and a receiver's down; the residue goes to the fee pool. Rates in
parts per 10^9, prices in pips, amounts in micro-USDC. Hours while the market is stale are not
paid.
"""

from __future__ import annotations

from ..units import E9, MS_PER_HOUR, trunc_div
from .book import Book
from .margin import is_cross_position
from .state import MARKET_DELISTED, Market, State
from .tx import FundingEvent, MarketFundingEvent


def impact_price(book: Book, selling: bool, notional_musdc: int) -> int:
    """Average fill price (pips) of a market order of `notional_musdc` into one side of the book:
    total notional / lots, rounded against the taker; 0 when the side is shallower."""
    levels = book.bids if selling else book.asks
    remaining = notional_musdc
    lots = notional = 0
    for price in sorted(levels, reverse=selling):
        level_ntl = levels[price].total_lots * price
        if level_ntl >= remaining:
            take = -((-remaining) // price)  # whole lots: enough to cover the notional
            lots += take
            notional += take * price
            return notional // lots if selling else -((-notional) // lots)
        lots += levels[price].total_lots
        notional += level_ntl
        remaining -= level_ntl
    return 0


def premium_sample(state: State, market: Market) -> int:
    """One premium sample (e9): (max(impact bid - oracle, 0) - max(oracle - impact ask, 0)) /
    oracle, rounded toward zero; 0 without both impact prices."""
    oracle = market.oracle_pips
    if oracle == 0 or market.stale:
        return 0
    book = state.books[market.asset]
    impact = market.spec.impact_notional_musdc
    impact_bid = impact_price(book, True, impact)
    impact_ask = impact_price(book, False, impact)
    if impact_bid == 0 or impact_ask == 0:
        return 0
    up = impact_bid - oracle if impact_bid > oracle else 0
    down = oracle - impact_ask if impact_ask < oracle else 0
    return trunc_div((up - down) * E9, oracle)


def hourly_rate(state: State, premium_e9: int) -> int:
    """The hourly rate (e9) from the hour's average premium."""
    config = state.config
    gap = config.funding_interest_8h_e9 - premium_e9
    clamp = config.funding_clamp_e9
    gap = -clamp if gap < -clamp else clamp if gap > clamp else gap
    rate = trunc_div(premium_e9 + gap, 8)
    cap = config.funding_cap_hourly_e9
    return -cap if rate < -cap else cap if rate > cap else rate


def predicted_rate(state: State, market: Market) -> int:
    """The hourly rate (e9) the market would pay at the hour's end if its remaining premium
    samples averaged what the hour's samples have so far (the sum over the slots elapsed since
    the hour began, the last sampled one included, rounded toward zero); the interest rate
    alone before the first sample. Read-only."""
    first_slot = market.funding_hour * MS_PER_HOUR // state.config.funding_sample_ms
    elapsed = market.premium_slot - first_slot + 1
    premium = trunc_div(market.premium_sum_e9, elapsed) if elapsed > 0 else 0
    return hourly_rate(state, premium)


def sample_premiums(state: State) -> None:
    """At most one sample per market per 5 s slot of block time (end of block)."""
    slot = state.time_ms // state.config.funding_sample_ms
    for market in state.markets:
        if market.premium_slot != slot and market.status != MARKET_DELISTED:
            market.premium_slot = slot
            market.premium_sum_e9 += premium_sample(state, market)


def settle_funding(state: State, events: list) -> None:
    """Pay every whole UTC hour crossed since the last block (block start)."""
    hour = state.time_ms // MS_PER_HOUR
    slots_per_hour = MS_PER_HOUR // state.config.funding_sample_ms
    for market in state.markets:
        while market.funding_hour < hour:
            market.funding_hour += 1
            premium = trunc_div(market.premium_sum_e9, slots_per_hour)
            market.premium_sum_e9 = 0
            if market.stale or market.status == MARKET_DELISTED or market.oracle_pips == 0:
                continue
            pay_hour(state, market, market.funding_hour * MS_PER_HOUR, premium, events)


def pay_hour(state: State, market: Market, at_ms: int, premium_e9: int, events: list) -> None:
    """Move one hour's funding between every open position of the market (address order)."""
    rate = hourly_rate(state, premium_e9)
    oracle = market.oracle_pips
    market.funding_rate_e9 = rate
    market.funding_index += rate * oracle
    events.append(MarketFundingEvent(market.asset, at_ms, rate, premium_e9, oracle))
    if rate == 0:
        return
    asset = market.asset
    paid = received = 0
    accounts = state.accounts
    for address in sorted(accounts):
        account = accounts[address]
        pos = account.positions.get(asset)
        if pos is None:
            continue
        owed = pos.size_lots * oracle * rate  # > 0: this position pays
        if owed > 0:
            amount = -((-owed) // E9)  # the payer rounds up
            paid += amount
            delta = -amount
        else:
            amount = (-owed) // E9  # the receiver rounds down
            received += amount
            delta = amount
        if not is_cross_position(account, market):
            pos.iso_raw_musdc += delta
        else:
            account.cash_musdc += delta
        pos.funding_musdc += delta
        events.append(FundingEvent(address, asset, at_ms, delta, pos.size_lots, rate))
    state.fee_pool_musdc += paid - received

