"""Integer helpers and exact decimal strings."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from l2perp.units import (
    Dec, ceil_div, dec_from_int, floor_div, format_fixed, format_price, in_wire_range,
    parse_decimal, trunc_div,
    usdc_to_musdc,
)


@pytest.mark.parametrize("a, b, floor, ceil, trunc", [
    (7, 2, 3, 4, 3), (-7, 2, -4, -3, -3), (6, 3, 2, 2, 2), (-6, 3, -2, -2, -2), (0, 5, 0, 0, 0),
])
def test_rounding_directions(a: int, b: int, floor: int, ceil: int, trunc: int) -> None:
    assert (floor_div(a, b), ceil_div(a, b), trunc_div(a, b)) == (floor, ceil, trunc)


@pytest.mark.parametrize("text, dec", [
    ("1100", Dec(11, 2)), ("1100.0", Dec(11, 2)), ("0.30", Dec(3, -1)), ("-0", Dec(0, 0)),
    (".5", Dec(5, -1)), ("0.00000001", Dec(1, -8)), ("-1.25", Dec(-125, -2)), ("007", Dec(7, 0)),
])
def test_parse_decimal_is_exact_and_normalized(text: str, dec: Dec) -> None:
    assert parse_decimal(text) == dec


@pytest.mark.parametrize("text", ["", "1e5", "1.2.3", " 1", "abc", "--1", ".", "1,5", "NaN",
                                  "\u00b2", "1\u00b2", "\u0661\u0662", "0.\u0665", "\uff11"])
def test_parse_decimal_rejects_malformed(text: str) -> None:
    with pytest.raises(ValueError):
        parse_decimal(text)


def test_format_fixed() -> None:
    assert format_fixed(1_500_000, 6) == "1.5"
    assert format_fixed(-1, 6) == "-0.000001"
    assert format_fixed(100, 0) == "100"
    assert format_price(499_900, 5) == "49990"
    assert usdc_to_musdc("10.000001") == 10_000_001
    with pytest.raises(ValueError):
        usdc_to_musdc("0.0000001")


@given(st.integers(-10**18, 10**18), st.integers(0, 12))
def test_format_then_parse_round_trips(value: int, decimals: int) -> None:
    assert parse_decimal(format_fixed(value, decimals)) == dec_from_int(value, decimals)
    assert parse_decimal(format_fixed(value, decimals)).scaled(decimals) == value


@pytest.mark.parametrize("text, inside", [
    ("1000000000000", True), ("1000000000001", False), ("-1000000000000", True),
    ("-1000000000001", False), ("999999999999.999999", True), ("1000000000000.000001", False),
    ("999999999999999999", False), ("5000000000000", False), ("0." + "0" * 40 + "1", True),
    ("0." + "1" * 18, True), ("0." + "1" * 19, False), ("1e12", None)])
def test_the_wire_range_is_a_magnitude_of_at_most_10_to_the_12(text, inside) -> None:
    """Prices and sizes up to 10^12 (so at most 10^18 pips or lots), fewer than 19 digits."""
    if inside is None:
        with pytest.raises(ValueError):
            parse_decimal(text)
        return
    assert in_wire_range(parse_decimal(text)) is inside
