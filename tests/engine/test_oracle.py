"""The oracle (engine/oracle.py) beyond tests/engine/test_prices.py: report freshness inclusive at
10 s either way, superseded rounds, a new round needing its own quorum, refused assets and
prices, external mids needing 2/3 of stake among the mids, the circuit breaker's window edge and
cooldown (no second incident while cooling down), the oracle TWAP and book TWAP roundings, the
mid samples' window, pinning and unpinning, and the oracle-source switch. Prices in pips ($1 =
10,000 pips with szDecimals 2), times in ms."""

from __future__ import annotations

from collections import deque

import pytest

from l2perp.engine import errors as E
from l2perp.engine.oracle import (
    book_twap, oracle_twap, pin_price, record_mid_sample, set_oracle_source, weighted_median,
)
from l2perp.engine.params import EngineConfig
from l2perp.engine.tx import OracleReport, SetOracleSource
from tests.support.venue import ADMIN, Venue, addr, single_tier

OPS = (addr(101), addr(102), addr(103))
WINDOW_MS = 300_000  # MarketSpec.cb_window_ms: the breaker's window and the TWAP's


def _venue(stakes=(1, 1, 1)) -> Venue:
    config = EngineConfig(admin=ADMIN, oracle_operators=tuple(zip(OPS, stakes)))
    return Venue(markets=(single_tier(),), config=config)


def _report(v: Venue, op: int, round_: int, pips: int, age_ms: int = 0, mid: int = 0,
            asset: int = 0):
    """A report whose own time is `age_ms` before the time of the next block."""
    return v.tx(OPS[op], OracleReport(asset, round_, pips, v.state.time_ms + 200 - age_ms, mid))


def test_weighted_median_of_nothing_is_an_error() -> None:
    with pytest.raises(ValueError):
        weighted_median([])
    assert weighted_median([(100, 5, "b"), (100, 5, "a")]) == 100


@pytest.mark.parametrize("age_ms, ok", [
    (10_000, True), (10_001, False),  # from the past: at most 10 s old
    (-10_000, True), (-10_001, False),  # from the future: at most 10 s ahead
])
def test_report_freshness_is_ten_seconds_either_way_inclusive(age_ms: int, ok: bool) -> None:
    v = _venue()
    receipt = v.block(_report(v, 0, 1, 1_000_000, age_ms)).receipts[0]
    assert receipt.ok is ok
    if not ok:
        assert receipt.error == E.ORACLE_REPORT_NOT_FRESH


def test_a_superseded_round_is_refused_and_a_new_round_needs_its_own_quorum() -> None:
    v = _venue()
    v.block(_report(v, 0, 1, 1_000_000), _report(v, 1, 1, 1_000_000))
    market = v.state.markets[0]
    assert market.oracle_pips == 1_000_000 and market.oracle_round == 1
    v.block(_report(v, 0, 2, 1_100_000))  # round 2: 1 of 3 so far
    assert market.oracle_round == 2 and market.oracle_pips == 1_000_000
    late = v.block(_report(v, 2, 1, 1_050_000)).receipts[0]
    assert late.error == E.ORACLE_ROUND_OLD
    v.block(_report(v, 1, 2, 1_100_000))
    assert market.oracle_pips == 1_100_000


def test_unknown_assets_non_positive_prices_and_delisted_markets_are_refused() -> None:
    v = _venue()
    assert v.block(_report(v, 0, 1, 1_000_000, asset=1)).receipts[0].error == \
        E.UNKNOWN_ASSET.format(asset=1)
    assert v.block(_report(v, 0, 1, 0)).receipts[0].error == E.UNKNOWN_ASSET.format(asset=0)
    v.set_price(0, 1_000_000)
    assert v.set_status(0, 3).ok  # delisted at the oracle TWAP
    assert v.block(_report(v, 0, 1, 1_000_000)).receipts[0].error == E.ASSET_DELISTED


def test_external_mids_need_two_thirds_of_stake_among_the_mids() -> None:
    v = _venue(stakes=(2, 1, 1))
    v.block(_report(v, 0, 1, 1_000_000), _report(v, 1, 1, 1_000_000, mid=1_010_000),
            _report(v, 2, 1, 1_000_000, mid=1_020_000))
    market = v.state.markets[0]
    assert market.oracle_pips == 1_000_000  # 3 of 4 then 4 of 4 reported a price
    assert market.ext_mid_pips == 0  # mids from 2 of 4: no external mid
    v.block(_report(v, 0, 2, 1_000_000, mid=1_030_000), _report(v, 1, 2, 1_000_000,
                                                                mid=1_010_000))
    assert market.ext_mid_pips == 1_030_000  # 3 of 4: by stake, 2 of the 3 at $103


# ----- circuit breaker -----------------------------------------------------------------------

def _wait(v: Venue, ms: int) -> None:
    """Advance block time by `ms` in blocks at most 20 s apart (no outage)."""
    while ms > 0:
        v.block(dt_ms=min(ms, 20_000))
        ms -= 20_000


def _breaker_venue(gap_ms: int) -> Venue:
    """$100, then $110 200 ms later, then $116 `gap_ms` after $110 began (+16% from $100,
    +5.5% from $110): it trips only while $100 is still within the 5-minute window."""
    v = _venue()
    v.set_price(0, 1_000_000)
    v.set_price(0, 1_100_000)
    _wait(v, gap_ms - 200)
    v.set_price(0, 1_160_000)
    return v


def test_a_price_that_stopped_standing_exactly_a_window_ago_no_longer_counts() -> None:
    assert not _breaker_venue(WINDOW_MS).state.markets[0].halted_reduce_only
    v = _breaker_venue(WINDOW_MS - 1)
    assert v.state.markets[0].halted_reduce_only
    assert [(i.kind, i.before, i.after) for i in v.state.incidents] == [
        ("circuitBreaker", 1_000_000, 1_160_000)]


def test_a_trip_during_the_cooldown_extends_it_without_a_second_incident() -> None:
    v = _venue()
    v.set_price(0, 1_000_000)
    v.set_price(0, 1_200_000)  # +20%: trips
    market = v.state.markets[0]
    first_until = market.cb_until_ms
    assert first_until == v.state.time_ms + 300_000
    v.set_price(0, 1_000_000)  # -16.7% from $120, still cooling down
    assert market.cb_until_ms == v.state.time_ms + 300_000 > first_until
    assert len(v.state.incidents) == 1
    _wait(v, market.cb_until_ms - v.state.time_ms - 1)
    assert market.halted_reduce_only  # 1 ms before the end
    v.block(dt_ms=1)
    assert not market.halted_reduce_only  # released at the cooldown's end (until > now)


# ----- averages ------------------------------------------------------------------------------

def test_oracle_twap_weights_prices_by_time_within_the_window_rounded_down() -> None:
    market = _venue().state.markets[0]
    market.oracle_pips = 7
    market.price_history = deque([(0, 100), (100, 200)])
    assert oracle_twap(market, 300) == (100 * 100 + 200 * 200) // 300  # 166.67 -> 166
    market.price_history = deque([(0, 100), (400_000, 200)])
    # the window starts at 200,000: 200,000 ms of 100, then 100,000 ms of 200 -> 133.33
    assert oracle_twap(market, 500_000) == 133
    market.price_history = deque([(500_000, 300)])
    assert oracle_twap(market, 500_000) == 7  # no time has passed: the oracle


def test_book_twap_is_the_floor_of_the_mean_and_samples_keep_their_window() -> None:
    v = _venue()
    market = v.state.markets[0]
    assert book_twap(market) == 0
    market.mid_samples = deque([(0, 10), (1, 11)])
    assert book_twap(market) == 10  # 10.5 rounded down
    market.mid_samples = deque()
    now = v.state.time_ms
    for back_ms in (300_001, 300_000, 0):
        market.mid_samples.append((now - back_ms, 1))
    record_mid_sample(v.state, market, 4)
    assert [t - now for t, _ in market.mid_samples] == [-300_000, 0, 0]  # older ones leave


# ----- pinning and the source switch ----------------------------------------------------------

def test_pinning_zero_unpins_and_the_market_then_goes_stale() -> None:
    v = _venue()
    assert pin_price(v.state, 0, -1) == E.UNKNOWN_ASSET.format(asset=0)
    assert pin_price(v.state, 1, 1_000_000) == E.UNKNOWN_ASSET.format(asset=1)
    v.set_price(0, 1_000_000)
    market = v.state.markets[0]
    assert (market.oracle_pips, market.ext_mid_pips, market.pinned_pips) == (1_000_000,) * 3
    v.set_price(0, 0)
    assert market.pinned_pips == 0 and not market.stale
    v.block(dt_ms=60_000 - (v.state.time_ms - market.oracle_time_ms))  # 60 s after the last
    assert not market.stale
    v.block(dt_ms=1)
    assert market.stale and market.halted_reduce_only


def test_a_pinned_price_holds_against_a_full_quorum_of_reports() -> None:
    """The devnet's pin wins over the operators still reporting (the web app's alerts once
    saw the mark leave the pin for the one block in which a round reached quorum); the round
    is still recorded, and lifting the pin lets the next round through."""
    v = _venue()
    v.set_price(0, 1_000_000)
    market = v.state.markets[0]
    v.block(*[_report(v, i, 1, 2_000_000) for i in range(3)])
    assert market.oracle_pips == 1_000_000 and market.oracle_round == 1
    assert len(market.round_reports) == 3
    v.set_price(0, 0)
    v.block(*[_report(v, i, 2, 2_000_000) for i in range(3)])
    assert market.oracle_pips == 2_000_000


def test_the_source_switch_checks_the_asset_and_the_source() -> None:
    v = _venue()
    assert set_oracle_source(v.state, SetOracleSource(1, 1)) == E.UNKNOWN_ASSET.format(asset=1)
    assert set_oracle_source(v.state, SetOracleSource(0, 2)) == E.INVALID_ORACLE_SOURCE
    assert set_oracle_source(v.state, SetOracleSource(0, 1)) is None
    assert v.state.markets[0].oracle_source == 1
