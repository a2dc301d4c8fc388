"""Funding (engine/funding.py) beyond tests/engine/test_prices.py: impact prices round against
the taker and exact depth is enough; premium samples round toward zero, need both impact prices
and come once per 5 s slot; the hourly cap boundary; payment exactly at the whole hour (not a
millisecond before), every hour of a long gap, from isolated margin, shorts paying when the rate
is negative (payer up, receiver down, residue to the fee pool); a zero rate and a market without
an oracle price move no cash. Numbers by hand: prices in pips ($1 = 10,000 pips with szDecimals
2), sizes in lots (100 lots = 1 unit), rates and premiums in parts per 10^9."""

from __future__ import annotations

from l2perp.engine.book import Book, Order
from l2perp.engine.funding import (
    hourly_rate, impact_price, pay_hour, predicted_rate, premium_sample,
)
from l2perp.engine.tx import FundingEvent, MarketFundingEvent
from l2perp.units import MS_PER_HOUR, ONE_USDC
from tests.support.venue import Venue, addr, limit, single_tier

A, B, C = addr(1), addr(2), addr(3)


def _venue(**spec) -> Venue:
    v = Venue(markets=(single_tier(impact_notional_musdc=1_000 * ONE_USDC, **spec),))
    for user in (A, B, C):
        v.deposit(user, 1_000_000)
    return v


def _long_a_short_b(v: Venue, oracle_pips: int = 1_000_000, size: str = "3") -> None:
    v.set_price(0, oracle_pips)
    v.order(B, limit(0, False, "100", size))
    v.order(A, limit(0, True, "100", size, "Ioc"))


def _funding(events: list) -> list:
    return [e for e in events if isinstance(e, (FundingEvent, MarketFundingEvent))]


def _to_next_hour(v: Venue) -> int:
    return MS_PER_HOUR - v.state.time_ms % MS_PER_HOUR


# ----- impact prices and premium samples ----------------------------------------------------

def test_impact_sell_price_rounds_down_and_exact_depth_is_enough() -> None:
    book = Book(0)
    book.insert(Order(1, A, 0, True, 100, 30))  # 3,000 of bids at 100
    book.insert(Order(2, A, 0, True, 90, 100))  # 9,000 at 90
    book.insert(Order(3, A, 0, False, 100, 10))  # 1,000 of asks at 100
    # Selling 5,000: 30 lots @ 100, then ceil(2,000 / 90) = 23 lots @ 90: 5,070 / 53 = 95.66.
    assert impact_price(book, True, 5_000) == 95  # rounded down, against the seller
    assert impact_price(book, False, 250) == 100  # ceil(250 / 100) = 3 lots: 300 / 3
    assert impact_price(book, False, 1_000) == 100  # depth exactly the impact notional
    assert impact_price(book, False, 1_001) == 0  # one micro-USDC more: no impact price


def test_premium_sample_rounds_toward_zero_and_needs_both_impact_prices() -> None:
    v = _venue()
    v.set_price(0, 999_999)  # $99.9999
    bids = v.order(A, limit(0, True, "99.9", "20"))[0].oid  # $1,998 of bids: impact 999,000
    v.order(B, limit(0, False, "99.97", "20"))  # impact ask 999,700: below the oracle
    market = v.state.markets[0]
    # -(999,999 - 999,700) x 10^9 / 999,999 = -299,000.299: toward zero, not -299,001.
    assert premium_sample(v.state, market) == -299_000
    assert v.cancel(A, 0, bids) == ["success"]
    assert premium_sample(v.state, market) == 0  # no bids: no impact bid, no premium
    v.order(A, limit(0, True, "99.99", "5"))  # $499.95 of bids: shallower than $1,000
    assert premium_sample(v.state, market) == 0


def test_one_premium_sample_per_five_second_slot() -> None:
    v = _venue()
    v.set_price(0, 1_000_000)
    v.order(A, limit(0, True, "100.03", "20"))  # impact bid 1,000,300: +0.03%
    v.order(B, limit(0, False, "100.05", "20"))
    market = v.state.markets[0]
    v.block(dt_ms=5_000 - v.state.time_ms % 5_000)  # the first block of a slot samples
    total = market.premium_sum_e9
    assert market.premium_slot == v.state.time_ms // 5_000
    v.block(dt_ms=4_999)  # same slot: no second sample
    assert market.premium_sum_e9 == total
    v.block(dt_ms=1)  # the next slot: one more sample of 300 x 10^9 / 10^6
    assert market.premium_sum_e9 == total + 300_000


def test_the_predicted_rate_is_the_rate_the_hour_pays_when_its_premium_holds() -> None:
    """A steady +0.2% premium (beyond the clamp) sampled in every 5 s slot: halfway through
    the hour the prediction is what the hour then pays; before any sample it is the interest
    rate alone."""
    v = _venue()
    v.set_price(0, 1_000_000)
    v.block(dt_ms=_to_next_hour(v))  # a fresh hour, its first slot sampled (no book yet)
    market = v.state.markets[0]
    assert predicted_rate(v.state, market) == hourly_rate(v.state, 0) == 12_500
    v.order(A, limit(0, True, "100.2", "20"))  # impact bid 1,002,000: +0.2%
    v.order(B, limit(0, False, "100.3", "20"))
    while v.state.time_ms % MS_PER_HOUR < MS_PER_HOUR // 2:
        v.block(dt_ms=5_000)
    halfway = predicted_rate(v.state, market)
    assert hourly_rate(v.state, 2_000_000) == 187_500  # (0.2% - 0.05%) / 8
    assert 12_500 < halfway < 187_500  # the hour's first, empty sample weighs in
    while v.state.time_ms % MS_PER_HOUR < MS_PER_HOUR - 5_000:
        v.block(dt_ms=5_000)
    at_end = predicted_rate(v.state, market)
    v.block(dt_ms=5_000)  # the hour is paid
    assert market.funding_rate_e9 == at_end
    assert abs(halfway - at_end) <= 1_000  # the prediction held within 0.0001% per hour


def test_hourly_rate_at_the_cap_and_one_below() -> None:
    state = Venue().state
    # premium - 0.05% = F8; F8 / 8 is the hourly rate, capped at 4% = 40,000,000.
    assert hourly_rate(state, 320_499_992) == 39_999_999
    assert hourly_rate(state, 320_500_000) == 40_000_000  # exactly the cap
    assert hourly_rate(state, 320_500_008) == 40_000_000  # 40,000,001 capped
    assert hourly_rate(state, -320_500_008) == -40_000_000


# ----- payments at whole hours ---------------------------------------------------------------

def test_funding_is_paid_at_the_whole_hour_not_a_millisecond_before() -> None:
    v = _venue()
    _long_a_short_b(v)
    cash_a = v.cash(A)
    v.block(dt_ms=_to_next_hour(v) - 1)
    assert _funding(v.last.events) == [] and v.cash(A) == cash_a
    v.block(dt_ms=1)  # block time on the hour
    hour = v.state.time_ms
    assert hour % MS_PER_HOUR == 0
    # No premium samples (empty book): 0.01% / 8 = 12,500 per hour; 300 x 10^6 x 12,500 / 10^9.
    assert _funding(v.last.events) == [
        MarketFundingEvent(0, hour, 12_500, 0, 1_000_000),
        FundingEvent(A, 0, hour, -3_750, 300, 12_500),
        FundingEvent(B, 0, hour, 3_750, -300, 12_500),
    ]
    assert v.cash(A) == cash_a - 3_750


def test_a_block_that_crosses_three_hours_pays_each_of_them() -> None:
    v = _venue()
    _long_a_short_b(v)
    v.block(dt_ms=_to_next_hour(v) + 1)  # just after a whole hour
    cash_a = v.cash(A)
    v.block(dt_ms=3 * MS_PER_HOUR)
    hours = [e.time_ms for e in v.last.events if isinstance(e, MarketFundingEvent)]
    first = v.state.time_ms - 1 - 2 * MS_PER_HOUR
    assert hours == [first, first + MS_PER_HOUR, first + 2 * MS_PER_HOUR]
    assert v.cash(A) == cash_a - 3 * 3_750


def test_an_isolated_position_pays_from_its_margin_not_from_cash() -> None:
    v = _venue()
    assert v.one(A, {"type": "updateLeverage", "asset": 0, "isCross": False,
                     "leverage": 5}).ok
    _long_a_short_b(v)
    position = v.account(A).positions[0]
    cash, margin = v.cash(A), position.iso_raw_musdc
    v.block(dt_ms=_to_next_hour(v))
    assert v.cash(A) == cash and position.iso_raw_musdc == margin - 3_750
    assert position.funding_musdc == -3_750


def test_with_a_negative_rate_shorts_pay_up_and_longs_receive_down() -> None:
    v = _venue()
    _long_a_short_b(v, oracle_pips=1_000_001)
    market = v.state.markets[0]
    pool, cash_a, cash_b, index = v.state.fee_pool_musdc, v.cash(A), v.cash(B), market.funding_index
    events: list = []
    # premium -0.1%: F8 = -0.1% + clamp(0.11%) = -0.05%, hourly -62,500
    pay_hour(v.state, market, 0, -1_000_000, events)
    # 300 x 1,000,001 x 62,500 / 10^9 = 18,750.01875: the long receives 18,750, the short
    # pays 18,751
    assert (v.cash(A) - cash_a, v.cash(B) - cash_b) == (18_750, -18_751)
    assert v.state.fee_pool_musdc == pool + 1
    assert market.funding_rate_e9 == -62_500
    assert market.funding_index == index - 62_500 * 1_000_001


def test_a_zero_rate_records_the_hour_but_moves_no_cash() -> None:
    v = _venue()
    _long_a_short_b(v)
    cash_a, cash_b, pool = v.cash(A), v.cash(B), v.state.fee_pool_musdc
    events: list = []
    pay_hour(v.state, v.state.markets[0], 7, -500_000, events)  # F8 = -0.05% + 0.05% = 0
    assert events == [MarketFundingEvent(0, 7, 0, -500_000, 1_000_000)]
    assert (v.cash(A), v.cash(B), v.state.fee_pool_musdc) == (cash_a, cash_b, pool)


def test_an_hour_without_an_oracle_price_is_skipped() -> None:
    v = _venue()  # no price ever set
    market = v.state.markets[0]
    v.block(dt_ms=_to_next_hour(v) + 5_000)
    assert _funding(v.last.events) == []
    assert market.funding_hour == v.state.time_ms // MS_PER_HOUR
    assert market.premium_sum_e9 == 0
