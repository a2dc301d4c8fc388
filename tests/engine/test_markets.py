"""Market status (active, reduce-only, paused, delisted), open-interest caps, isolated-only
markets, and the state digest."""

from __future__ import annotations

from l2perp.engine.encoding import encode_account, state_digest
from l2perp.engine.state import MARKET_DELISTED, MARKET_PAUSED, MARKET_REDUCE_ONLY
from l2perp.engine.tx import OrderError, Resting
from l2perp.units import ONE_USDC
from tests.support.venue import Venue, addr, limit, single_tier

A, B, C = addr(1), addr(2), addr(3)
TST = 0


def _venue(**spec_kw) -> Venue:
    v = Venue(markets=(single_tier("TST", 2, 10, **spec_kw), single_tier("OTH", 2, 10)))
    for user in (A, B, C):
        v.deposit(user, 100_000)
    v.set_price(TST, 1_000_000)  # $100.00 with szDecimals 2 (pips are $0.0001)
    v.set_price(1, 1_000_000)
    return v


def test_reduce_only_market_accepts_only_reduce_only_orders() -> None:
    v = _venue()
    v.order(B, limit(TST, False, "100", "10"))
    v.order(A, limit(TST, True, "100", "10", "Ioc"))
    assert v.set_status(TST, MARKET_REDUCE_ONLY).ok
    assert v.order(C, limit(TST, True, "99", "1")) == [OrderError(
        "Market is reduce-only: only reduce-only orders are accepted. asset=0")]
    v.order(C, limit(TST, True, "100", "5"))  # refused too, so B (short) provides the bid:
    v.order(B, limit(TST, True, "100", "5", reduce_only=True))
    status = v.order(A, limit(TST, False, "100", "5", "Ioc", reduce_only=True))[0]
    assert status.total_lots == 500 and v.size(A, TST) == 500


def test_paused_market_refuses_orders_but_allows_cancels() -> None:
    v = _venue()
    oid = v.order(A, limit(TST, True, "99", "1"))[0].oid
    assert v.set_status(TST, MARKET_PAUSED).ok
    assert v.order(A, limit(TST, True, "99", "1")) == [OrderError("Trading is halted.")]
    assert v.cancel(A, TST, oid) == ["success"]


def test_delisting_settles_positions_at_the_final_price_and_keeps_the_asset_id() -> None:
    v = _venue()
    v.order(B, limit(TST, False, "100", "10"))
    v.order(A, limit(TST, True, "100", "10", "Ioc"))  # A long 10 @ 100, B short
    resting = v.order(C, limit(TST, True, "95", "1"))[0].oid
    cash_a, cash_b = v.cash(A), v.cash(B)
    assert v.set_status(TST, MARKET_DELISTED, settlement_pips=1_100_000).ok  # $110
    assert v.size(A, TST) == 0 and v.size(B, TST) == 0
    assert v.cash(A) == cash_a + 1_100 * ONE_USDC  # 10 x $110 received
    assert v.cash(B) == cash_b - 1_100 * ONE_USDC
    assert resting not in v.account(C).orders
    assert v.state.markets[TST].open_interest_lots == 0
    assert v.order(C, limit(TST, True, "110", "1")) == [OrderError("Trading is halted.")]
    assert not v.set_status(TST, 0).ok  # delisted is forever
    assert [m.name for m in v.state.markets] == ["TST", "OTH"]  # the id stays reserved


def test_open_interest_cap_stops_growth_but_not_reduction() -> None:
    v = _venue(oi_cap_musdc=1_000 * ONE_USDC)  # $1,000 of open interest
    ask = v.order(B, limit(TST, False, "100", "20"))[0].oid
    status = v.order(A, limit(TST, True, "100", "15", "Ioc"))[0]
    assert status.total_lots == 1_000  # 10 contracts = $1,000 exactly, then the cap
    assert v.state.markets[TST].open_interest_lots == 1_000
    capped = v.order(C, limit(TST, True, "100", "1", "Ioc"))
    assert capped == [OrderError(
        "Order would increase open interest while open interest is capped asset=0")]
    assert v.cancel(B, TST, ask) == ["success"]
    v.order(C, limit(TST, True, "100", "5"))
    reduce = v.order(A, limit(TST, False, "100", "5", "Ioc"))[0]
    assert reduce.total_lots == 500  # B's short stays, A sells to C: OI unchanged at 10


def test_isolated_only_market_refuses_cross() -> None:
    v = _venue(only_isolated=True)
    receipt = v.one(A, {"type": "updateLeverage", "asset": TST, "isCross": True, "leverage": 5})
    assert receipt.error == "Cross margin is not allowed for this asset."
    v.order(B, limit(TST, False, "100", "10"))
    v.order(A, limit(TST, True, "100", "10", "Ioc"))
    pos = v.account(A).positions[TST]
    # 10x margin - cost - taker fee
    assert pos.iso_raw_musdc == 100 * ONE_USDC - 1_000 * ONE_USDC - 450_000
    remove = v.one(A, {"type": "updateIsolatedMargin", "asset": TST, "isBuy": True,
                       "ntli": -ONE_USDC})
    assert remove.error == "Margin cannot be removed from a strict isolated position."


def test_orders_need_an_oracle_price() -> None:
    v = Venue(markets=(single_tier(),))
    v.deposit(A, 1_000)
    assert v.order(A, limit(0, True, "100", "1")) == [OrderError(
        "No oracle price for this asset yet. asset=0")]


def test_digest_depends_on_every_account_field_and_is_reproducible() -> None:
    one, two = _venue(), _venue()
    assert one.digest() == two.digest()
    before = encode_account(one.account(A))
    one.order(A, limit(TST, True, "99", "1"))
    assert encode_account(one.account(A)) != before
    assert one.digest() != state_digest(two.state)
    two.order(A, limit(TST, True, "99", "1"))
    assert one.digest() == two.digest()


def test_resting_order_returns_resting_status() -> None:
    v = _venue()
    assert isinstance(v.order(A, limit(TST, True, "99.5", "1"))[0], Resting)


def test_reduce_only_market_lets_resting_orders_fill_only_to_reduce() -> None:
    v = _venue()
    v.order(B, limit(TST, False, "100", "10"))
    v.order(A, limit(TST, True, "100", "10", "Ioc"))  # A long 10, B short 10
    bid = v.order(C, limit(TST, True, "99", "5"))[0].oid  # C would open a long by filling
    assert v.set_status(TST, MARKET_REDUCE_ONLY).ok
    status = v.order(A, limit(TST, False, "99", "5", "Ioc", reduce_only=True))[0]
    assert status == OrderError(
        "Order could not immediately match against any resting orders. asset=0")
    assert bid not in v.account(C).orders  # cancelled: it would have grown C's position
    assert v.size(A, TST) == 1_000 and v.size(C, TST) == 0
