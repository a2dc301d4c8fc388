"""The order rules' named helpers (engine/order_rules.py) at their boundaries, and the limit and
trigger paths sharing them: the same price text is refused the same way as a limit price and as
a trigger price. (tests/engine/test_orders.py pins the rules through whole orders.)"""

from __future__ import annotations

import pytest

from l2perp.engine import errors as E
from l2perp.engine.order_rules import (
    is_below_min_notional, is_outside_price_band, price_to_pips, size_to_lots,
)
from l2perp.engine.tx import OrderError, Resting
from l2perp.units import Dec, parse_decimal
from tests.support.venue import Venue, addr, limit, trigger

A, B = addr(1), addr(2)
BTC = 0  # szDecimals 5: 1 pip = $0.1, at most 1 decimal


@pytest.mark.parametrize("price, outside", [
    (1_800_000, False), (1_800_001, True),  # +80% is inside, one pip more is not
    (200_000, False), (199_999, True),  # -80% likewise
])
def test_the_band_is_eighty_percent_inclusive(price: int, outside: bool) -> None:
    assert is_outside_price_band(price, 1_000_000, 800_000_000) is outside


def test_the_minimum_notional_is_inclusive() -> None:
    assert not is_below_min_notional(500_000, 20, 10_000_000)  # exactly $10
    assert is_below_min_notional(499_999, 20, 10_000_000)


def test_conversions_are_exact_for_any_exponent() -> None:
    assert price_to_pips(Dec(5, 70), 5) == 5 * 10**71  # beyond the power table: still exact
    assert size_to_lots(Dec(3, 70), 5) == 3 * 10**75
    assert size_to_lots(Dec(3, -70), 5) is None
    assert size_to_lots(Dec(10**70, -70), 5) == 100_000
    assert size_to_lots(Dec(-1, 0), 5) is None and size_to_lots(Dec(0, 0), 5) == 0


@pytest.fixture
def v() -> Venue:
    venue = Venue()
    for user in (A, B):
        venue.deposit(user, 1_000_000)
    venue.set_price(BTC, 500_000)  # $50,000
    venue.order(B, limit(BTC, False, "50000", "0.01"))
    venue.order(A, limit(BTC, True, "50000", "0.01", "Ioc"))  # A long 0.01: a TP/SL reduces it
    return venue


@pytest.mark.parametrize("text, error", [
    ("49999.5", E.PRICE_NOT_DIVISIBLE_BY_TICK),  # 6 significant figures with a decimal
    ("50000.05", E.PRICE_NOT_DIVISIBLE_BY_TICK),  # 2 decimals > 6 - 5
    ("90001", E.PRICE_TOO_FAR_FROM_REFERENCE),  # beyond +80%
    ("90000", None), ("10000", None),  # on the band's edges
])
def test_limit_and_trigger_prices_follow_the_same_rules(v: Venue, text: str, error) -> None:
    as_limit = v.order(A, limit(BTC, False, text, "0.01", "Alo", reduce_only=True))[0]
    as_trigger = v.order(A, trigger(BTC, False, "50000", "0.01", text, "tp"))[0]
    if error is None:
        assert isinstance(as_limit, Resting) and isinstance(as_trigger, Resting)
    else:
        expected = OrderError(error.format(asset=BTC))
        assert as_limit == expected and as_trigger == expected


def test_the_first_failing_rule_names_the_error(v: Venue) -> None:
    # bad size, bad price and below the minimum at once: the size rule comes first
    assert v.order(A, limit(BTC, True, "49999.5", "0.000001")) == [
        OrderError(E.ORDER_HAS_INVALID_SIZE.format(asset=BTC))]
    # a price off the tick that is also beyond the band: the tick rule comes first
    assert v.order(A, limit(BTC, True, "99999.5", "0.01")) == [
        OrderError(E.PRICE_NOT_DIVISIBLE_BY_TICK.format(asset=BTC))]
    # in the band but below $10: the minimum
    assert v.order(A, limit(BTC, True, "40000", "0.0002")) == [
        OrderError(E.ORDER_MIN_VALUE_PERP.format(asset=BTC))]
