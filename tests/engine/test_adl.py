"""Auto-deleveraging (engine/adl.py) beyond the waterfall test in test_liquidation.py: the score
(profit factor x notional / value, x 10^18, floor) for longs, shorts and isolated positions, the
queue (highest first, ties by address, the bankrupt, funds, the same side and accounts without
value left out), and `deleverage` on its own: the bankruptcy price (per-lot share rounded up, at
least one pip), only the lots the shortfall needs (rounded up: the last lot may cover more), in
queue order across counterparties, at that price. The mark is set on the market directly, so no
block runs the waterfall. Prices in pips ($1 = 10,000), sizes in lots (100 = 1 unit), cash in
micro-USDC."""

from __future__ import annotations

from l2perp.engine.adl import adl_rank, adl_score, deleverage, ranked_counterparties
from l2perp.engine.open_orders import Ctx
from l2perp.engine.params import EngineConfig, FeeTier
from l2perp.engine.state import Position, fund_account
from l2perp.engine.tx import AdlEvent
from l2perp.units import ONE_USDC
from tests.support.venue import ADMIN, Venue, addr, limit, single_tier

A, B, C, D = addr(1), addr(2), addr(3), addr(4)
E18 = 10**18


def _venue() -> Venue:
    """A long 1,000 lots at $100 with $300 (cash -$700); shorts at $100: B 600 lots ($1,000
    deposited), C 250 ($60), D 150 ($1,000,000). One 10x market (maintenance 5%), no fees."""
    config = EngineConfig(admin=ADMIN, fee_tiers=(FeeTier(0, 0, 0),), maker_rebates=())
    v = Venue(markets=(single_tier("TST", 2, 10),), config=config)
    for user, usd in ((A, 300), (B, 1_000), (C, 60), (D, 1_000_000)):
        v.deposit(user, usd)
    v.set_price(0, 1_000_000)
    v.order(B, limit(0, False, "100", "6"))
    v.order(C, limit(0, False, "100", "2.5"))
    v.order(D, limit(0, False, "100", "1.5"))
    v.order(A, limit(0, True, "100", "10", "Ioc"))
    return v


def _mark(v: Venue, pips: int) -> None:
    v.state.markets[0].mark_pips = pips


def test_scores_of_shorts_are_entry_over_value_rounded_down() -> None:
    v = _venue()
    _mark(v, 650_000)  # $65
    # C: entry $250 / value (60 + 250 - 162.5 = $147.5) = 1.6949...; B: 600 / 1,210
    assert adl_score(v.state, v.account(C), 0) == 1_694_915_254_237_288_135
    assert adl_score(v.state, v.account(B), 0) == 495_867_768_595_041_322
    assert adl_score(v.state, v.account(A), 0) == -1  # value 650 - 700 < 0: not ranked


def test_score_of_a_long_is_mark_over_entry_times_notional_over_value() -> None:
    v = _venue()
    _mark(v, 1_100_000)  # $110: A's value = 1,100 - 700 = $400
    # profit factor 110 / 100 x notional 1,100 / value 400 = 3.025
    assert adl_score(v.state, v.account(A), 0) == 3_025_000_000_000_000_000
    v.account(A).cash_musdc = -900 * ONE_USDC  # value $200: 1.1 x 5.5
    assert adl_score(v.state, v.account(A), 0) == 6_050_000_000_000_000_000


def test_an_isolated_position_is_scored_on_its_own_equity() -> None:
    config = EngineConfig(admin=ADMIN, fee_tiers=(FeeTier(0, 0, 0),), maker_rebates=())
    v = Venue(markets=(single_tier("TST", 2, 10),), config=config)
    for user in (A, B):
        v.deposit(user, 10_000)
    assert v.one(B, {"type": "updateLeverage", "asset": 0, "isCross": False,
                     "leverage": 5}).ok
    v.set_price(0, 1_000_000)
    v.order(A, limit(0, True, "100", "10"))
    v.order(B, limit(0, False, "100", "10", "Ioc"))  # B short 1,000 lots isolated: $200 margin
    position = v.account(B).positions[0]
    assert position.iso_raw_musdc == 1_200 * ONE_USDC  # $200 margin + $1,000 of sale proceeds
    _mark(v, 900_000)
    # equity 1,200 - 900 = $300 (B's $9,800 of cross cash does not count): 1,000 / 300
    assert adl_score(v.state, v.account(B), 0) == 1_000 * E18 // 300


def test_the_queue_is_highest_score_first_and_leaves_out_who_cannot_be_ranked() -> None:
    v = _venue()
    _mark(v, 650_000)
    state = v.state
    queue = ranked_counterparties(state, 0, True, A)
    assert [a.address for a in queue] == [C, B, D]
    assert [adl_rank(state, state.accounts[u], 0) for u in (C, B, D, A)] == [1, 2, 3, 0]
    assert [a.address for a in ranked_counterparties(state, 0, True, C)] == [B, D]
    assert ranked_counterparties(state, 0, False, "") == []  # the long side has no value
    fund = fund_account(state, 0)  # a fund's short (from a backstop) is never deleveraged
    fund.positions[0] = Position(-100, 100 * ONE_USDC)
    fund.cash_musdc = 70 * ONE_USDC  # value $5: entry 100 / 5 = 20
    assert adl_score(state, fund, 0) == 20 * E18
    assert [a.address for a in ranked_counterparties(state, 0, True, A)] == [C, B, D]


def test_equal_scores_rank_by_address() -> None:
    v = _venue()
    _mark(v, 650_000)
    state = v.state
    twin = state.accounts[B]
    # D made identical to B: same position, same cash, so the same score
    state.accounts[D].positions[0].size_lots = twin.positions[0].size_lots
    state.accounts[D].positions[0].entry_ntl_musdc = twin.positions[0].entry_ntl_musdc
    state.accounts[D].cash_musdc = twin.cash_musdc
    assert adl_score(state, state.accounts[D], 0) == adl_score(state, twin, 0)
    assert [a.address for a in ranked_counterparties(state, 0, True, A)] == [C, B, D]  # B < D


def test_deleverage_closes_only_the_lots_the_shortfall_needs_at_the_bankruptcy_price() -> None:
    v = _venue()
    _mark(v, 650_000)
    state = v.state
    v.account(A).cash_musdc -= 1  # value -$50.000001
    cash = {u: v.cash(u) for u in (A, B, C)}
    events: list = []
    # A's one position takes the whole deficit: 50,000,001 over 1,000 lots is 50,001 pips a lot
    # (rounded up): bankruptcy price $70.0001. 20,000,001 / 50,001 -> 400 lots (rounded up:
    # 20,000,400 covered), C's 250 first, then 150 of B's.
    covered = deleverage(Ctx(state, events, -1), v.account(A), -1, [0], 20_000_001)
    assert covered == 400 * 50_001 == 20_000_400
    adl = [(e.counterparty, e.lots, e.px_pips, e.covered_musdc, e.shortfall_musdc)
           for e in events if isinstance(e, AdlEvent)]
    assert adl == [(C, 250, 700_001, 12_500_250, 20_000_001),
                   (B, 150, 700_001, 7_500_150, 20_000_001)]
    assert (v.size(A, 0), v.size(B, 0), v.size(C, 0), v.size(D, 0)) == (600, -450, 0, -150)
    assert state.markets[0].open_interest_lots == 600
    assert v.cash(A) - cash[A] == 400 * 700_001
    assert (v.cash(B) - cash[B], v.cash(C) - cash[C]) == (-150 * 700_001, -250 * 700_001)


def test_the_deficit_is_shared_by_maintenance_rounded_up_per_position() -> None:
    config = EngineConfig(admin=ADMIN, fee_tiers=(FeeTier(0, 0, 0),), maker_rebates=())
    v = Venue(markets=(single_tier("AAA", 2, 10), single_tier("BBB", 2, 10)), config=config)
    for user, usd in ((A, 200), (B, 1_000), (C, 1_000)):
        v.deposit(user, usd)
    for asset, maker, size in ((0, B, "10"), (1, C, "5")):
        v.set_price(asset, 1_000_000)
        v.order(maker, limit(asset, False, "100", size))
        v.order(A, limit(asset, True, "100", size, "Ioc"))
    for market in v.state.markets:
        market.mark_pips = 650_000
    # maintenance $32.5 (AAA) + $16.25 (BBB); value -9,000,001: AAA's share is 2/3 of it,
    # 6,000,000.67 -> 6,000,001 (up), so 6,001 pips a lot over 1,000 lots (6,000 if floored)
    v.account(A).cash_musdc = -9_000_001 - 975 * ONE_USDC
    events: list = []
    covered = deleverage(Ctx(v.state, events, -1), v.account(A), -1, [0, 1], ONE_USDC)
    assert covered == 167 * 6_001  # ceil(1,000,000 / 6,001) = 167 lots; BBB is not needed
    assert [(e.asset, e.counterparty, e.lots, e.px_pips) for e in events
            if isinstance(e, AdlEvent)] == [(0, B, 167, 656_001)]


def test_nothing_to_deleverage_when_the_unit_is_not_under_water() -> None:
    v = _venue()
    _mark(v, 700_000)  # A's value 700 - 700 = 0
    events: list = []
    assert deleverage(Ctx(v.state, events, -1), v.account(A), -1, [0], 1_000_000) == 0
    assert events == [] and v.size(A, 0) == 1_000


def test_a_short_bankruptcy_price_is_at_least_one_pip() -> None:
    config = EngineConfig(admin=ADMIN, fee_tiers=(FeeTier(0, 0, 0),), maker_rebates=())
    v = Venue(markets=(single_tier("TST", 2, 10),), config=config)
    for user in (A, B):
        v.deposit(user, 10_000)
    v.set_price(0, 1_000_000)
    v.order(B, limit(0, True, "100", "0.1"))
    v.order(A, limit(0, False, "100", "0.1", "Ioc"))  # A short 10 lots, B long 10
    v.account(A).cash_musdc = -5 * ONE_USDC  # value -5 - 10 = -$15 at $100: deeper than
    events: list = []  # the notional, so mark - 1,500,000 pips a lot is below 1 pip
    covered = deleverage(Ctx(v.state, events, -1), v.account(A), -1, [0], 2 * ONE_USDC)
    # the price is 1 pip: 999,999 covered per lot; ceil(2,000,000 / 999,999) = 3 lots
    assert covered == 3 * 999_999
    assert [(e.counterparty, e.lots, e.px_pips) for e in events if isinstance(e, AdlEvent)] == [
        (B, 3, 1)]
    assert (v.size(A, 0), v.size(B, 0)) == (-7, 7)
