"""Order rules: tick and lot validity, the $10 minimum, the 80% band, post-only, IOC,
reduce-only resizing, self-trade prevention, cloids, modify, scheduled cancel, triggers."""

from __future__ import annotations

import pytest

from l2perp.engine import errors as E
from l2perp.engine.order_rules import price_to_pips, size_to_lots
from l2perp.engine.tx import Filled, OrderError, Resting
from l2perp.units import parse_decimal
from tests.support.venue import Venue, addr, limit, trigger

BTC, ETH, SOL, OP = 0, 1, 2, 3
A, B, C = addr(1), addr(2), addr(3)


@pytest.fixture
def v() -> Venue:
    venue = Venue()
    for user in (A, B, C):
        venue.deposit(user, 1_000_000)
    venue.set_price(BTC, 500_000)  # $50,000 (BTC pips are $0.1)
    venue.set_price(OP, 200_000)  # $2 (OP pips are $0.00001)
    venue.set_price(ETH, 300_000)  # $3,000 (ETH pips are $0.01)
    return venue


# ----- tick and lot ---------------------------------------------------------------------

@pytest.mark.parametrize("text, sz_decimals, pips", [
    ("50000", 5, 500_000),  # integer
    ("123456", 5, 1_234_560),  # integers are valid whatever their significant figures
    ("1234.5", 5, 12_345),  # 5 significant figures, 1 decimal (6 - 5)
    ("1234.50", 5, 12_345),  # trailing zeros do not count
    ("0.12345", 1, 12_345),  # 5 decimals allowed for szDecimals 1
    ("0.00001", 1, 1),
    ("1.2345", 1, 123_450),
    ("300.12", 4, 30_012),
])
def test_valid_prices_convert_exactly(text: str, sz_decimals: int, pips: int) -> None:
    assert price_to_pips(parse_decimal(text), sz_decimals) == pips


@pytest.mark.parametrize("text, sz_decimals", [
    ("12345.6", 5),  # 6 significant figures with a fraction
    ("1234.55", 5),  # 2 decimals > 6 - 5
    ("0.123456", 1),  # 6 decimals > 6 - 1
    ("1.23456", 1),  # 6 significant figures
    ("30.123", 4),  # 3 decimals > 2
    ("3000.12", 4),  # 6 significant figures
    ("0", 4), ("-1", 4),
])
def test_invalid_prices_are_refused(text: str, sz_decimals: int) -> None:
    assert price_to_pips(parse_decimal(text), sz_decimals) is None


def test_size_decimals_at_most_sz_decimals() -> None:
    assert size_to_lots(parse_decimal("0.00001"), 5) == 1
    assert size_to_lots(parse_decimal("0.000001"), 5) is None
    assert size_to_lots(parse_decimal("1.10"), 1) == 11
    assert size_to_lots(parse_decimal("1.11"), 1) is None


def test_tick_error_text_in_statuses(v: Venue) -> None:
    statuses = v.order(A, limit(BTC, True, "49999.5", "0.01"))
    assert statuses == [OrderError("Price must be divisible by tick size. asset=0")]
    assert v.account(A).orders == {}


def test_size_errors(v: Venue) -> None:
    assert v.order(A, limit(BTC, True, "50000", "0.000001")) == [
        OrderError("Order has invalid size.")]
    assert v.order(A, limit(BTC, True, "50000", "0")) == [OrderError("Order has zero size.")]


# ----- $10 minimum and the 80% band -------------------------------------------------------

def test_minimum_notional_is_inclusive_at_ten_dollars(v: Venue) -> None:
    ok = v.order(A, limit(BTC, True, "50000", "0.0002"))  # exactly $10
    assert isinstance(ok[0], Resting)
    low = v.order(A, limit(BTC, True, "49995", "0.0002"))  # $9.999
    assert low == [OrderError("Order must have minimum value of $10. asset=0")]


def test_reduce_only_is_exempt_from_the_minimum(v: Venue) -> None:
    v.order(B, limit(BTC, False, "50000", "0.001"))
    v.order(A, limit(BTC, True, "50000", "0.001", "Ioc"))
    statuses = v.order(A, limit(BTC, False, "50000", "0.0001", "Gtc", reduce_only=True))
    assert isinstance(statuses[0], Resting)


@pytest.mark.parametrize("px, ok", [("90000", True), ("90001", False), ("10000", True),
                                    ("9999", False)])
def test_price_band_is_80_percent_of_oracle_inclusive(v: Venue, px: str, ok: bool) -> None:
    statuses = v.order(A, limit(BTC, True, px, "0.01", "Alo" if px.startswith("9") else "Gtc"))
    if ok:
        assert not isinstance(statuses[0], OrderError), statuses
    else:
        assert statuses == [OrderError(E.PRICE_TOO_FAR_FROM_REFERENCE)]


# ----- post-only, IOC, priority -----------------------------------------------------------

def test_post_only_rejected_when_crossing(v: Venue) -> None:
    v.order(B, limit(BTC, False, "50010", "0.1"), limit(BTC, True, "49990", "0.1"))
    statuses = v.order(A, limit(BTC, True, "50010", "0.1", "Alo"))
    assert statuses == [OrderError(
        "Post only order would have immediately matched, bbo was 49990@50010. asset=0")]
    rested = v.order(A, limit(BTC, True, "50009", "0.1", "Alo"))
    assert isinstance(rested[0], Resting)


def test_ioc_without_liquidity_errors_and_rests_nothing(v: Venue) -> None:
    statuses = v.order(A, limit(BTC, True, "50000", "0.1", "Ioc"))
    assert statuses == [OrderError(
        "Order could not immediately match against any resting orders. asset=0")]
    assert v.account(A).orders == {}


def test_price_time_priority_and_maker_price(v: Venue) -> None:
    first = v.order(B, limit(BTC, False, "50000", "0.1"))[0].oid
    second = v.order(C, limit(BTC, False, "50000", "0.1"))[0].oid
    v.order(B, limit(BTC, False, "49990", "0.05"))
    statuses = v.order(A, limit(BTC, True, "50010", "0.1", "Ioc"))
    # 0.05 at the better price 49,990 first, then 0.05 of the older order at 50,000.
    assert statuses[0] == Filled(statuses[0].oid, 10_000, 4_999_500_000, BTC)
    assert v.state.accounts[B].orders[first].size_lots == 5_000
    assert v.state.accounts[C].orders[second].size_lots == 10_000


def test_partially_filled_gtc_rests_with_the_same_oid(v: Venue) -> None:
    v.order(B, limit(BTC, False, "50000", "0.1"))
    status = v.order(A, limit(BTC, True, "50000", "0.3"))[0]
    assert isinstance(status, Resting)
    assert v.account(A).orders[status.oid].size_lots == 20_000
    assert v.size(A, BTC) == 10_000


# ----- reduce-only and self-trade ---------------------------------------------------------

def test_reduce_only_taker_is_resized_to_the_position(v: Venue) -> None:
    v.order(B, limit(BTC, False, "50000", "0.001"))
    v.order(A, limit(BTC, True, "50000", "0.001", "Ioc"))
    v.order(C, limit(BTC, True, "50000", "1"))
    status = v.order(A, limit(BTC, False, "50000", "0.5", "Ioc", reduce_only=True))[0]
    assert status == Filled(status.oid, 100, 100 * 500_000, BTC)
    assert v.size(A, BTC) == 0


def test_reduce_only_that_would_increase_is_refused(v: Venue) -> None:
    statuses = v.order(A, limit(BTC, True, "50000", "0.1", reduce_only=True))
    assert statuses == [OrderError("Reduce only order would increase position. asset=0")]


def test_resting_reduce_only_maker_is_resized_then_cancelled(v: Venue) -> None:
    v.order(B, limit(BTC, False, "50000", "0.01"))
    v.order(A, limit(BTC, True, "50000", "0.01", "Ioc"))  # A long 0.01
    ro = v.order(A, limit(BTC, False, "50100", "0.05", reduce_only=True))[0].oid
    v.order(C, limit(BTC, True, "50100", "0.05", "Ioc"))
    assert v.size(A, BTC) == 0  # sold only the 0.01 it had
    assert ro not in v.account(A).orders
    assert v.size(C, BTC) == 1_000


def test_self_trade_expires_the_resting_maker(v: Venue) -> None:
    own = v.order(A, limit(BTC, False, "50000", "0.1"))[0].oid
    v.order(B, limit(BTC, False, "50000", "0.1"))
    status = v.order(A, limit(BTC, True, "50000", "0.1", "Ioc"))[0]
    assert status == Filled(status.oid, 10_000, 10_000 * 500_000, BTC)
    assert own not in v.account(A).orders
    assert v.size(A, BTC) == 10_000 and v.size(B, BTC) == -10_000
    assert any(e.status == "selfTradeCanceled" for e in v.last.events if hasattr(e, "status"))


# ----- cancels, cloids, modify ------------------------------------------------------------

CLOID = "0x" + "ab" * 16


def test_cancel_by_oid_and_not_found(v: Venue) -> None:
    oid = v.order(A, limit(BTC, True, "49000", "0.1"))[0].oid
    assert v.cancel(A, BTC, oid) == ["success"]
    assert v.cancel(A, BTC, oid) == [OrderError(
        "Order was never placed, already canceled, or filled. asset=0")]
    assert v.state.books[BTC].best_bid() == 0


def test_cancel_by_cloid_and_duplicate_cloid(v: Venue) -> None:
    v.order(A, limit(BTC, True, "49000", "0.1", cloid=CLOID))
    assert v.order(A, limit(BTC, True, "48000", "0.1", cloid=CLOID)) == [
        OrderError("Duplicate cloid.")]
    receipt = v.one(A, {"type": "cancelByCloid", "cancels": [{"asset": BTC, "cloid": CLOID}]})
    assert receipt.statuses == ["success"]
    assert v.account(A).orders == {}


def test_batch_modify_replaces_the_order(v: Venue) -> None:
    oid = v.order(A, limit(BTC, True, "49000", "0.1"))[0].oid
    receipt = v.one(A, {"type": "batchModify", "modifies": [
        {"oid": oid, "order": limit(BTC, True, "49500", "0.2")}]})
    new = receipt.statuses[0]
    assert isinstance(new, Resting) and new.oid != oid
    orders = v.account(A).orders
    assert list(orders) == [new.oid] and orders[new.oid].limit_pips == 495_000
    gone = v.one(A, {"type": "batchModify", "modifies": [
        {"oid": oid, "order": limit(BTC, True, "49500", "0.2")}]})
    assert gone.statuses == [OrderError("Cannot modify canceled or filled order")]


def test_batch_modify_with_an_invalid_order_keeps_the_old_one(v: Venue) -> None:
    oid = v.order(A, limit(BTC, True, "49000", "0.1"))[0].oid
    receipt = v.one(A, {"type": "batchModify", "modifies": [
        {"oid": oid, "order": limit(BTC, True, "49999.5", "0.2")}]})
    assert receipt.statuses == [OrderError("Price must be divisible by tick size. asset=0")]
    assert oid in v.account(A).orders


def test_scheduled_cancel_fires_at_its_time(v: Venue) -> None:
    v.order(A, limit(BTC, True, "49000", "0.1"), limit(BTC, False, "51000", "0.1"))
    early = v.one(A, {"type": "scheduleCancel", "time": v.state.time_ms + 4_999 + 200})
    assert early.error == "Scheduled cancel time too early, must be at least 5 seconds from now."
    at = v.state.time_ms + 200 + 5_000  # the block that carries it is 200 ms later
    assert v.one(A, {"type": "scheduleCancel", "time": at}).ok
    while v.state.time_ms + 200 < at:
        v.block()
        assert len(v.account(A).orders) == 2
    v.block()
    assert v.account(A).orders == {}


# ----- triggers ---------------------------------------------------------------------------

def _long(v: Venue, user: str, sz: str = "0.1") -> None:
    v.order(B, limit(BTC, False, "50000", sz))
    v.order(user, limit(BTC, True, "50000", sz, "Ioc"))


def _short(v: Venue, user: str, sz: str = "0.1") -> None:
    v.order(B, limit(BTC, True, "50000", sz))
    v.order(user, limit(BTC, False, "50000", sz, "Ioc"))


@pytest.mark.parametrize("side, tpsl, trigger_px, quiet_px, fire_px", [
    ("long", "sl", "45000", 450_010, 450_000),  # stop-loss sell: fires when mark <= trigger
    ("long", "tp", "55000", 549_990, 550_000),  # take-profit sell: fires when mark >= trigger
    ("short", "sl", "55000", 549_990, 550_000),  # stop-loss buy: fires when mark >= trigger
    ("short", "tp", "45000", 450_010, 450_000),  # take-profit buy: fires when mark <= trigger
])
def test_trigger_fires_in_its_direction_inclusive(
    v: Venue, side: str, tpsl: str, trigger_px: str, quiet_px: int, fire_px: int,
) -> None:
    (_long if side == "long" else _short)(v, A)
    closing_buy = side == "short"
    oid = v.order(A, trigger(BTC, closing_buy, trigger_px, "0.1", trigger_px, tpsl))[0].oid
    v.order(C, limit(BTC, not closing_buy, trigger_px, "1"))  # liquidity where it will fire
    v.set_price(BTC, quiet_px)
    v.block()
    assert oid in v.account(A).orders
    v.set_price(BTC, fire_px)
    v.block()
    assert oid not in v.account(A).orders
    statuses = [e.status for e in v.last.events if getattr(e, "oid", None) == oid]
    assert statuses[0] == "triggered"
    assert v.size(A, BTC) == 0


def test_normal_tpsl_children_wait_for_the_parent(v: Venue) -> None:
    statuses = v.order(
        A, limit(BTC, True, "49000", "0.1"),
        trigger(BTC, False, "55000", "0.1", "55000", "tp"),
        trigger(BTC, False, "45000", "0.1", "45000", "sl"),
        grouping="normalTpsl",
    )
    assert isinstance(statuses[0], Resting)
    assert statuses[1:] == ["waitingForFill", "waitingForFill"]
    parent = statuses[0].oid
    assert v.state.triggers[BTC] == {}
    v.order(B, limit(BTC, False, "49000", "0.1", "Ioc"))
    children = sorted(v.state.triggers[BTC])
    assert len(children) == 2 and parent not in v.account(A).orders
    v.order(C, limit(BTC, True, "45000", "1"))
    v.set_price(BTC, 450_000)  # the stop-loss child fires; its take-profit sibling is cancelled
    v.block()
    assert v.state.triggers[BTC] == {}
    assert v.size(A, BTC) == 0
