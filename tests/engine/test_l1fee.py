"""The L1 data fee (engine/l1fee.py): the hourly rate, its bound, its rounding, what a taker
pays, how batch costs are observed and paid out of the fee pool, and its committed encoding."""

from __future__ import annotations

import pytest

from l2perp.engine.decoding import DecodeError, copy_state, decode_state
from l2perp.engine.encoding import encode_account, shared_leaf, state_digest
from l2perp.engine.fees import fee_for
from l2perp.engine.l1fee import (
    MAX_CATCH_UP_HOURS, clamp_step, data_cost_musdc, step_bound_e9, target_rate_e9,
)
from l2perp.engine.params import EngineConfig, FeeTier, L1FeeConfig
from l2perp.engine.tx import BridgeCredit, FillEvent, ForcedTrade, L1DataCost, LedgerEvent
from l2perp.codec import canonical
from l2perp.units import MS_PER_HOUR, ONE_USDC
from tests.support.venue import ADMIN, T0, Venue, addr, limit

BTC = 0
A, B, POSTER, OTHER_POSTER = addr(1), addr(2), addr(30), addr(31)
FEE = L1FeeConfig(gas_per_million_usd=2_000_000, initial_gas_price_nusdc=30_000,
                  smoothing_e9=250_000_000, max_step_ppm=250_000, min_step_e9=10_000)
TAKER_RATE = 450_000  # 4.5 bp
CONFIG = EngineConfig(admin=ADMIN, fee_tiers=(FeeTier(0, TAKER_RATE, 150_000),),
                      maker_rebates=(), l1_fee=FEE)


def venue(config: EngineConfig = CONFIG) -> Venue:
    v = Venue(config=config)
    v.deposit(A, 100_000)
    v.deposit(B, 100_000)
    v.set_price(BTC, 500_000)  # $50,000
    return v


def cost_tx(v: Venue, gas: int, price: int, poster: str = POSTER, cost: int | None = None):
    state = v.state
    cost = data_cost_musdc(gas, price) if cost is None else cost
    return v.tx(None, L1DataCost(1, poster, gas, price, cost, state.l1_cursor + 1))


# ----- the schedule's arithmetic -------------------------------------------------------------

def test_target_rate_is_gas_per_million_times_price_floored() -> None:
    assert target_rate_e9(FEE, 30_000) == 60_000  # 10 gwei at $3,000: 0.6 bp
    assert target_rate_e9(FEE, 30_001) == 60_002  # 60,002.0
    assert target_rate_e9(L1FeeConfig(gas_per_million_usd=3), 333_333) == 0  # 0.999999 floors


def test_step_bound_is_relative_or_the_floor_whichever_is_larger() -> None:
    assert step_bound_e9(FEE, 100_000) == 25_000
    assert step_bound_e9(FEE, 40_000) == 10_000  # 25% is 10,000: the floor, equal
    assert step_bound_e9(FEE, 40_004) == 10_001  # 10,001.0
    assert step_bound_e9(FEE, 40_003) == 10_000  # 10,000.75 floors to the floor
    assert step_bound_e9(FEE, 0) == 10_000


def test_clamp_keeps_the_rate_within_its_bound_and_non_negative() -> None:
    assert clamp_step(FEE, 100_000, 1_000_000) == 125_000
    assert clamp_step(FEE, 100_000, 125_000) == 125_000  # the bound itself is allowed
    assert clamp_step(FEE, 100_000, 0) == 75_000
    assert clamp_step(FEE, 100_000, 90_000) == 90_000
    assert clamp_step(FEE, 5_000, 0) == 0  # 5,000 - 10,000 is clamped at zero


def test_data_cost_rounds_up_to_the_micro_usdc() -> None:
    assert data_cost_musdc(1_000, 30_000) == 30_000  # 1,000 gas x 30,000 nano = 30,000 micro
    assert data_cost_musdc(1, 1) == 1  # 0.001 micro-USDC rounds up
    assert data_cost_musdc(0, 30_000) == 0


# ----- the hourly roll ------------------------------------------------------------------------

def hour_start(v: Venue) -> int:
    return v.state.time_ms // MS_PER_HOUR * MS_PER_HOUR


def to_next_hour(v: Venue, *txs) -> None:
    v.block(*txs, dt_ms=hour_start(v) + MS_PER_HOUR - v.state.time_ms)


def test_genesis_publishes_this_hour_and_the_next_at_the_initial_price() -> None:
    book = venue().state.l1_fee
    assert (book.rate_e9, book.next_rate_e9, book.gas_price_nusdc) == (60_000, 60_000, 30_000)
    assert book.hour_ms == T0 // MS_PER_HOUR * MS_PER_HOUR


def test_an_hour_of_observations_moves_the_smoothed_price_by_a_quarter() -> None:
    v = venue()
    v.block(cost_tx(v, 100_000, 90_000))
    v.block(cost_tx(v, 100_000, 150_000))  # this hour's average: 120,000
    book = v.state.l1_fee
    assert (book.hour_samples, book.hour_gas_sum) == (2, 240_000)
    assert book.rate_e9 == 60_000  # nothing moves within the hour
    to_next_hour(v)
    assert book.gas_price_nusdc == 30_000 + (120_000 - 30_000) // 4  # 52,500
    assert book.rate_e9 == 60_000  # the rate published an hour ago
    # target 105,000 is more than 25% above 60,000: the next hour's rate is capped
    assert book.next_rate_e9 == 75_000
    assert (book.hour_samples, book.hour_gas_sum) == (0, 0)
    to_next_hour(v)  # no observation: the smoothed price stays, the rate steps on
    assert (book.gas_price_nusdc, book.rate_e9, book.next_rate_e9) == (52_500, 75_000, 93_750)


def test_the_smoothed_price_floors_when_it_falls() -> None:
    v = venue()
    v.block(cost_tx(v, 1_000, 29_999))
    to_next_hour(v)
    assert v.state.l1_fee.gas_price_nusdc == 30_000 + (-1 * 250_000_000) // 10**9  # 29,999


def test_a_long_gap_catches_up_at_most_48_hours() -> None:
    v = venue()
    v.block(cost_tx(v, 1_000, 3_000_000))  # a 100x observation
    v.block(dt_ms=100 * MS_PER_HOUR)
    book = v.state.l1_fee
    assert book.hour_ms == hour_start(v)
    rate = 60_000
    for _ in range(MAX_CATCH_UP_HOURS - 1):  # the first step only makes the published current
        rate = clamp_step(FEE, rate, target_rate_e9(FEE, book.gas_price_nusdc))
    assert book.rate_e9 == rate


# ----- what a taker pays ----------------------------------------------------------------------

def fill_of(receipts) -> FillEvent:
    return next(e for e in receipts.events if isinstance(e, FillEvent))


def test_the_taker_pays_the_hourly_rate_in_its_fee_and_the_maker_does_not() -> None:
    v = venue()
    v.order(B, limit(BTC, False, "50000", "0.3"))
    pool = v.state.fee_pool_musdc
    v.order(A, limit(BTC, True, "50000", "0.3", tif="Ioc"))
    fill = fill_of(v.last)
    notional = 15_000 * ONE_USDC
    assert fill.taker_fee_musdc == fee_for(notional, TAKER_RATE + 60_000) == 7_650_000
    assert fill.maker_fee_musdc == fee_for(notional, 150_000)
    assert v.state.l1_fee.charged_musdc == 7_650_000 - fee_for(notional, TAKER_RATE) == 900_000
    assert v.state.fee_pool_musdc - pool == fill.taker_fee_musdc + fill.maker_fee_musdc


def test_the_component_rounds_up_as_the_difference_of_two_rounded_fees() -> None:
    v = venue()
    v.order(B, limit(BTC, False, "50001", "0.001"))
    v.order(A, limit(BTC, True, "50001", "0.001", tif="Ioc"))
    fills = [e for e in v.last.events if isinstance(e, FillEvent)]
    total = 0
    for fill in fills:
        notional = fill.px_pips * fill.sz_lots
        part = fee_for(notional, TAKER_RATE + 60_000) - fee_for(notional, TAKER_RATE)
        assert fill.taker_fee_musdc == fee_for(notional, TAKER_RATE + 60_000)
        total += part
    # $50.001 of notional: 25,500.51 -> 25,501 with the L1 part, 22,500.45 -> 22,501 without
    assert [f.taker_fee_musdc for f in fills] == [25_501]
    assert v.state.l1_fee.charged_musdc == total == 3_000


def test_without_an_l1_fee_the_taker_fee_is_the_tier_alone() -> None:
    v = venue(EngineConfig(admin=ADMIN, fee_tiers=CONFIG.fee_tiers, maker_rebates=()))
    v.order(B, limit(BTC, False, "50000", "0.3"))
    v.order(A, limit(BTC, True, "50000", "0.3", tif="Ioc"))
    assert fill_of(v.last).taker_fee_musdc == fee_for(15_000 * ONE_USDC, TAKER_RATE)
    assert v.state.l1_fee is None


def test_a_forced_trade_pays_no_l1_fee() -> None:
    v = venue()
    receipt = v.one(None, ForcedTrade(A, B, BTC, 10, 500_000, T0 + 10**9,
                                      v.state.l1_cursor + 1))
    assert receipt.ok, receipt
    assert v.state.l1_fee.charged_musdc == 0


def test_the_margin_check_counts_the_l1_fee() -> None:
    """An account that can just pay the tier fee but not the tier fee plus the L1 part is
    refused; the same order passes on a venue without the L1 fee."""
    notional = 10_000 * ONE_USDC  # 0.2 BTC at 20x: $500 of initial margin
    need_without = notional // 20 + fee_for(notional, TAKER_RATE)
    results = []
    for config in (CONFIG, EngineConfig(admin=ADMIN, fee_tiers=CONFIG.fee_tiers,
                                        maker_rebates=())):
        v = Venue(config=config)
        assert v.one(None, BridgeCredit(A, need_without)).ok
        v.deposit(B, 100_000)
        v.set_price(BTC, 500_000)
        v.order(B, limit(BTC, False, "50000", "0.2"))
        results.append(type(v.order(A, limit(BTC, True, "50000", "0.2", tif="Ioc"))[0]).__name__)
    assert results == ["OrderError", "Filled"]


# ----- batch costs and the pool ---------------------------------------------------------------

def test_a_cost_is_paid_to_its_poster_from_the_fee_pool() -> None:
    v = venue()
    v.order(B, limit(BTC, False, "50000", "0.3"))
    v.order(A, limit(BTC, True, "50000", "0.3", tif="Ioc"))
    pool = v.state.fee_pool_musdc
    receipt = v.block(cost_tx(v, 100_000, 30_000)).receipts[0]
    assert receipt.ok
    book = v.state.l1_fee
    assert (book.costs_musdc, book.paid_musdc, book.owed) == (3_000_000, 3_000_000, [])
    assert v.cash(POSTER) == 3_000_000
    assert v.state.fee_pool_musdc == pool - 3_000_000
    assert LedgerEvent(POSTER, "l1DataCost", 3_000_000, None, v.state.time_ms) in v.last.events


def test_costs_beyond_the_pool_are_owed_oldest_first_and_paid_as_fees_come_in() -> None:
    v = venue()
    assert v.state.fee_pool_musdc == 0
    v.block(cost_tx(v, 100_000, 30_000, POSTER))  # 3 USDC owed to POSTER
    v.block(cost_tx(v, 50_000, 30_000, OTHER_POSTER))  # 1.5 USDC owed to OTHER_POSTER
    book = v.state.l1_fee
    assert book.owed == [(POSTER, 3_000_000), (OTHER_POSTER, 1_500_000)]
    assert POSTER not in v.state.accounts
    v.order(B, limit(BTC, False, "50000", "0.01"))
    v.order(A, limit(BTC, True, "50000", "0.01", tif="Ioc"))  # $500: fees 0.255 + 0.075
    pool = v.state.fee_pool_musdc
    assert 0 < pool < 3_000_000
    v.block(cost_tx(v, 0, 30_000, OTHER_POSTER))  # a free batch: pays what the pool has
    assert book.owed == [(POSTER, 3_000_000 - pool), (OTHER_POSTER, 1_500_000)]
    assert v.cash(POSTER) == pool and v.state.fee_pool_musdc == 0
    assert book.costs_musdc - book.paid_musdc == sum(a for _, a in book.owed)


@pytest.mark.parametrize("gas, price, cost, poster", [
    (100, 30_000, 2_999, POSTER),  # the cost does not match gas x price
    (100, 30_000, 3_001, POSTER),
    (-1, 30_000, 0, POSTER),
    (100, 0, 0, POSTER),
    (100, -5, 0, POSTER),
    (100, 30_000, 3_000, "0xnot-an-address"),
])
def test_a_malformed_cost_is_consumed_and_changes_nothing_else(gas, price, cost, poster) -> None:
    v = venue()
    before = canonical(shared_leaf(v.state))
    cursor = v.state.l1_cursor
    receipt = v.block(v.tx(None, L1DataCost(1, poster, gas, price, cost, cursor + 1)))
    assert not receipt.receipts[0].ok
    assert v.state.l1_cursor == cursor + 1  # consumed, as every invalid queue message is
    book = v.state.l1_fee
    assert (book.costs_musdc, book.hour_samples, book.owed) == (0, 0, [])
    assert before != canonical(shared_leaf(v.state))  # height, time and cursor moved only


def test_a_cost_on_a_venue_without_the_fee_is_refused() -> None:
    v = venue(EngineConfig(admin=ADMIN))
    receipt = v.block(cost_tx(v, 100, 30_000)).receipts[0]
    assert receipt.error == "L1 data fee is not enabled on this venue"
    assert POSTER not in v.state.accounts


# ----- the commitment -------------------------------------------------------------------------

def test_the_book_round_trips_through_the_shared_leaf() -> None:
    v = venue()
    v.block(cost_tx(v, 100_000, 30_000))
    v.block(cost_tx(v, 100_000, 90_000, OTHER_POSTER))
    assert v.state.l1_fee.owed
    copy = copy_state(v.state)
    assert state_digest(copy) == state_digest(v.state)
    assert copy.l1_fee == v.state.l1_fee


def test_a_venue_without_the_fee_keeps_its_shared_leaf_length() -> None:
    with_fee = venue()
    without = venue(EngineConfig(admin=ADMIN, fee_tiers=CONFIG.fee_tiers, maker_rebates=()))
    assert len(shared_leaf(with_fee.state)) == len(shared_leaf(without.state)) + 2
    assert shared_leaf(with_fee.state)[-2] is None  # no TWAP book yet


def test_a_book_without_its_configuration_does_not_decode() -> None:
    v = venue()
    accounts = v.state.accounts
    leaves = [encode_account(accounts[a]) for a in sorted(accounts)]
    shared = canonical(shared_leaf(v.state))
    other = EngineConfig(admin=ADMIN, fee_tiers=CONFIG.fee_tiers, maker_rebates=())
    with pytest.raises(DecodeError):
        decode_state(other, shared, leaves)
