"""Oracle (stake-weighted median, quorum, freshness, staleness, circuit breaker, evidence),
mark price, funding (band, hourly cap, payment rounding), outages. Vectors computed by hand."""

from __future__ import annotations

import pytest

from l2perp.engine.book import Book, Order
from l2perp.engine.funding import hourly_rate, impact_price
from l2perp.engine.mark import ema_step, median_of
from l2perp.engine.oracle import has_quorum, weighted_median
from l2perp.engine.params import EngineConfig
from l2perp.engine.tx import FundingEvent, MarketFundingEvent, OracleReport, OrderError, Resting
from l2perp.units import MS_PER_HOUR
from tests.support.venue import ADMIN, Venue, addr, limit, single_tier

OPS = (addr(101), addr(102), addr(103))
A, B = addr(1), addr(2)


# ----- pure vectors -------------------------------------------------------------------

@pytest.mark.parametrize("reports, median", [
    ([(100, 1, "a"), (101, 1, "b"), (102, 1, "c")], 101),
    ([(100, 3, "a"), (200, 1, "b"), (300, 1, "c")], 100),  # 3 of 5 already at 100
    ([(300, 1, "a"), (100, 1, "b"), (200, 3, "c")], 200),  # order of arrival does not matter
    ([(100, 1, "a"), (200, 1, "b")], 100),  # an exact split takes the lower price
    ([(100, 2, "a"), (200, 1, "b"), (300, 1, "c")], 100),  # cumulative 2 of 4 reaches half
])
def test_stake_weighted_median(reports, median) -> None:
    assert weighted_median(reports) == median


@pytest.mark.parametrize("reporting, total, ok", [
    (2, 3, True), (1, 3, False), (2, 4, False), (3, 4, True), (667, 1000, True),
    (666, 1000, False), (0, 0, False),
])
def test_two_thirds_quorum(reporting: int, total: int, ok: bool) -> None:
    assert has_quorum(reporting, total) is ok


@pytest.mark.parametrize("premium, rate", [
    (0, 12_500),  # inside the band: 0.01% / 8 per hour
    (100_000, 12_500),  # P = 0.01%: F8 = 0.01%
    (1_000_000, 62_500),  # P = 0.1%: clamp(-0.09%) = -0.05% -> F8 = 0.05%
    (-500_000, 0),  # P = -0.05%: clamp(+0.06%) = +0.05% -> F8 = 0
    (-1_000_000, -62_500),
    (-600_007, -12_500),  # F8 = -100,007 -> / 8 = -12,500.875, rounded toward zero
    (500_000_000, 40_000_000),  # F8 = 49.95% -> 6.24% per hour, capped at 4%
    (-500_000_000, -40_000_000),
])
def test_hourly_rate_band_and_cap(premium: int, rate: int) -> None:
    assert hourly_rate(Venue().state, premium) == rate


def test_ema_step_rounds_toward_the_old_value() -> None:
    assert ema_step(0, 1_000, 1_000, 1_000) == 500
    assert ema_step(0, 100, 200, 150_000) == 0  # 0.133 -> 0
    assert ema_step(0, -100, 200, 150_000) == 0  # -0.133 -> 0, not -1
    assert ema_step(10, -1_000, 150_000, 150_000) == 10 - 505
    assert median_of([5, 1, 3]) == 3 and median_of([4, 1]) == 2 and median_of([7]) == 7


def test_impact_price_walks_the_book_and_needs_depth() -> None:
    book = Book(0)
    book.insert(Order(1, A, 0, False, 100, 30))  # 30 lots at 100 pips = 3,000
    book.insert(Order(2, A, 0, False, 110, 100))
    # 5,000 of buying: 30 @ 100 (3,000) then ceil(2,000 / 110) = 19 lots @ 110 (2,090).
    assert impact_price(book, False, 5_000) == -((-(3_000 + 2_090)) // 49)  # 104 (rounded up)
    assert impact_price(book, False, 20_000) == 0  # the asks hold only 14,000
    assert impact_price(book, True, 1) == 0  # no bids


# ----- oracle through transactions -------------------------------------------------------

def _oracle_venue(stakes=(1, 1, 1)) -> Venue:
    config = EngineConfig(admin=ADMIN, oracle_operators=tuple(zip(OPS, stakes)))
    v = Venue(markets=(single_tier(),), config=config)
    v.deposit(A, 100_000)
    v.deposit(B, 100_000)
    return v


def report(v: Venue, op: int, round_: int, pips: int, age_ms: int = 0):
    return v.tx(OPS[op], OracleReport(0, round_, pips, v.state.time_ms + 200 - age_ms))


def test_price_is_accepted_only_with_two_thirds_of_stake() -> None:
    v = _oracle_venue()
    v.block(report(v, 0, 1, 1_000_000))
    assert v.state.markets[0].oracle_pips == 0  # 1 of 3
    v.block(report(v, 1, 1, 1_020_000))
    market = v.state.markets[0]
    assert market.oracle_pips == 1_000_000  # median of {100.00, 102.00} by stake: the lower
    assert not market.stale and not market.halted_reduce_only
    v.block(report(v, 2, 1, 1_010_000))
    assert market.oracle_pips == 1_010_000


def test_stale_reports_and_non_operators_are_refused() -> None:
    v = _oracle_venue()
    late = v.block(report(v, 0, 1, 1_000_000, age_ms=10_001)).receipts[0]
    assert late.error == "Oracle report timestamp is not fresh."
    stranger = v.one(A, OracleReport(0, 1, 1_000_000, v.state.time_ms + 200))
    assert stranger.error == "Signer is not a registered oracle operator."


def test_two_prices_for_one_round_are_evidence() -> None:
    v = _oracle_venue()
    v.block(report(v, 0, 7, 1_000_000))
    second = v.block(report(v, 0, 7, 1_100_000)).receipts[0]
    assert second.error == "Operator already reported this round."
    evidence = v.state.oracle_evidence
    assert [(e.operator, e.round, e.first_pips, e.second_pips) for e in evidence] == [
        (OPS[0], 7, 1_000_000, 1_100_000)]


def test_market_goes_stale_then_recovers() -> None:
    v = _oracle_venue()
    v.block(report(v, 0, 1, 1_000_000), report(v, 1, 1, 1_000_000))
    v.order(B, limit(0, False, "101", "10"))
    assert isinstance(v.order(A, limit(0, True, "99", "10"))[0], Resting)
    market = v.state.markets[0]
    v.block(dt_ms=60_000 - (v.state.time_ms - market.oracle_time_ms))  # exactly max_staleness
    assert not market.stale
    v.block(dt_ms=1)
    assert v.state.markets[0].stale
    assert v.order(A, limit(0, True, "99", "10")) == [OrderError(
        "Market is reduce-only: only reduce-only orders are accepted. asset=0")]
    v.block(report(v, 0, 2, 1_000_000), report(v, 2, 2, 1_000_000))
    assert not v.state.markets[0].stale
    assert isinstance(v.order(A, limit(0, True, "99", "10"))[0], Resting)


def test_circuit_breaker_trips_on_a_move_beyond_the_band() -> None:
    v = _oracle_venue()
    v.set_price(0, 1_000_000)
    v.set_price(0, 1_150_000)  # +15%: on the band, not beyond it
    assert not v.state.markets[0].halted_reduce_only
    v.set_price(0, 849_999)  # -15.0001% from $100 (still in the window)
    market = v.state.markets[0]
    assert market.halted_reduce_only
    assert [(i.kind, i.before, i.after) for i in v.state.incidents] == [
        ("circuitBreaker", 1_000_000, 849_999)]
    v.block(dt_ms=300_000)  # the cooldown ends
    assert not market.halted_reduce_only


def test_block_gap_beyond_the_threshold_starts_the_grace() -> None:
    v = _oracle_venue()
    v.block(dt_ms=30_000)
    assert v.state.grace_until_ms == 0
    v.block(dt_ms=30_001)
    assert v.state.grace_until_ms == v.state.time_ms + 60_000
    assert v.state.incidents[-1].kind == "outage"


# ----- mark -------------------------------------------------------------------------------

def test_mark_is_the_median_of_oracle_plus_basis_book_and_external_mid() -> None:
    v = _oracle_venue()
    v.set_price(0, 1_000_000)  # pinned: oracle and external mid $100
    market = v.state.markets[0]
    assert market.mark_pips == 1_000_000
    v.order(A, limit(0, True, "101", "10"))
    v.order(B, limit(0, False, "103", "10"))
    # mid $102: basis starts at +$2 -> (a) $102, (b) mid $102 (no trade yet), (c) $100.
    assert market.mark_pips == 1_020_000
    assert market.basis_ema == 20_000


def test_mark_without_a_two_sided_book_keeps_the_basis_still() -> None:
    v = _oracle_venue()
    v.set_price(0, 1_000_000)
    v.order(A, limit(0, True, "99", "10"))  # bids only: no mid
    market = v.state.markets[0]
    assert not market.basis_started and market.mark_pips == 1_000_000


# ----- funding through blocks -------------------------------------------------------------

def test_every_position_pays_or_receives_at_the_whole_hour() -> None:
    v = _oracle_venue()
    v.set_price(0, 1_000_001)  # $100.0001
    v.order(B, limit(0, False, "100", "3"))
    v.order(A, limit(0, True, "100", "3", "Ioc"))  # A long 3, B short 3 (300 lots)
    pool = v.state.fee_pool_musdc
    cash_a, cash_b = v.cash(A), v.cash(B)
    to_hour = MS_PER_HOUR - v.state.time_ms % MS_PER_HOUR
    v.block(dt_ms=to_hour)  # no samples -> P = 0 -> 0.00125% per hour
    # 300 lots x 1,000,001 pips x 12,500 / 10^9 = 3,750.00375 micro-USDC
    assert v.cash(A) == cash_a - 3_751  # the payer rounds up
    assert v.cash(B) == cash_b + 3_750  # the receiver rounds down
    assert v.state.fee_pool_musdc == pool + 1
    events = [e for e in v.last.events if isinstance(e, (FundingEvent, MarketFundingEvent))]
    assert events[0] == MarketFundingEvent(0, v.state.time_ms, 12_500, 0, 1_000_001)
    assert {(e.user, e.amount_musdc, e.size_lots) for e in events[1:]} == {
        (A, -3_751, 300), (B, 3_750, -300)}
    assert v.account(A).positions[0].funding_musdc == -3_751


def test_no_funding_while_stale() -> None:
    v = _oracle_venue()
    v.set_price(0, 1_000_000)
    v.order(B, limit(0, False, "100", "3"))
    v.order(A, limit(0, True, "100", "3", "Ioc"))
    v.set_price(0, 0)  # unpinned: the feed falls silent
    cash = v.cash(A)
    v.block(dt_ms=MS_PER_HOUR)
    assert v.state.markets[0].stale and v.cash(A) == cash
    assert not any(isinstance(e, FundingEvent) for e in v.last.events)


def test_premium_from_the_book_moves_the_rate() -> None:
    v = _oracle_venue()
    v.set_price(0, 1_000_000)  # $100
    v.block(dt_ms=MS_PER_HOUR - v.state.time_ms % MS_PER_HOUR + 1)  # just after a whole hour
    v.order(A, limit(0, True, "101", "60"))  # $6,060 of bids at $101: impact bid $101
    v.order(B, limit(0, False, "102", "60"))  # impact ask $102
    for _ in range(720):
        v.block(dt_ms=5_000)  # one sample per 5 s slot: 719 of them fall in this hour
    # P = 719 x 1% / 720 = 9,986,111 e9; F8 = P - 0.05% = 9,486,111; / 8 = 1,185,763.
    market = v.state.markets[0]
    assert market.funding_rate_e9 == 1_185_763
    funding = [e for e in v.last.events if isinstance(e, MarketFundingEvent)]
    assert funding[0].premium_e9 == 9_986_111


def test_fallback_source_takes_the_book_twap_and_external_mids_are_indexed() -> None:
    v = _oracle_venue()
    v.block(v.tx(OPS[0], OracleReport(0, 1, 1_000_000, v.state.time_ms + 200, 1_010_000)),
            v.tx(OPS[1], OracleReport(0, 1, 1_000_000, v.state.time_ms + 200, 1_020_000)))
    market = v.state.markets[0]
    assert market.ext_mid_pips == 1_010_000  # stake-weighted median of the supplied mids
    v.order(A, limit(0, True, "99", "10"))
    v.order(B, limit(0, False, "101", "10"))
    for _ in range(30):
        v.block(dt_ms=5_000)  # book-mid samples every 5 s: $100
    assert market.stale  # the operators went silent
    from l2perp.engine.tx import SetOracleSource
    assert v.one(ADMIN, SetOracleSource(0, 1)).ok
    v.block()
    assert not market.stale and market.oracle_pips == 1_000_000  # the mid of $99 / $101


def test_at_least_three_operators() -> None:
    with pytest.raises(ValueError):
        Venue(config=EngineConfig(admin=ADMIN, oracle_operators=tuple(zip(OPS[:2], (1, 1)))))


def test_delisting_without_a_price_settles_at_the_oracle_twap() -> None:
    v = _oracle_venue()
    v.set_price(0, 1_000_000)
    v.block(dt_ms=10_000)
    v.set_price(0, 1_100_000)  # $110 for the last 30 s
    v.block(dt_ms=29_800)
    v.order(B, limit(0, False, "110", "1"))
    v.order(A, limit(0, True, "110", "1", "Ioc"))
    market = v.state.markets[0]
    assert v.set_status(0, 3).ok
    assert 1_000_000 < market.settlement_pips < 1_100_000
