"""Q60 fixed point: exp and ln match high-precision references to about 1e-15, and their
integers are pinned (a change of the last bit on another CPU would fail here)."""

from __future__ import annotations

from decimal import Decimal, getcontext
from fractions import Fraction

import pytest

from l2perp.lab.fixedpoint import (
    LN2, ONE, exp_q, int_below, int_ratio, ln_fraction, ln_q, mul_q, to_float, to_q,
)

getcontext().prec = 50
SCALE = Decimal(ONE)


def test_constants_and_values_are_pinned() -> None:
    assert LN2 == 799_144_290_325_165_979  # round(ln 2 * 2**60)
    assert exp_q(0) == ONE and ln_q(ONE) == 0
    assert exp_q(ONE) == 3_133_965_575_612_453_540  # e * 2**60, rounded down
    assert exp_q(-10 * ONE) == 52_342_555_330_809
    assert ln_q(10, 0) == 2_654_699_869_899_991_814
    assert ln_fraction(Fraction(1, 3)) == -1_266_613_732_830_808_727


@pytest.mark.parametrize("x", [-30.5, -3.0, -0.7, -1e-9, 1e-6, 0.001, 0.25, 0.693, 1.0, 2.5,
                               17.0, 41.0])
def test_exp_q_is_within_1e_15_relative(x: float) -> None:
    exact = (Decimal(x)).exp()
    got = Decimal(exp_q(to_q(x))) / SCALE
    assert abs(got - exact) <= exact * Decimal("1e-15") + Decimal(2) / SCALE


@pytest.mark.parametrize("n, bits", [(1, 0), (3, 0), (10 ** 30, 0), (2 ** 64 - 1, 64),
                                     (12_345, 64), (ONE + 1, 60), (7, 200)])
def test_ln_q_is_within_1e_17(n: int, bits: int) -> None:
    exact = (Decimal(n) / Decimal(2) ** bits).ln()
    assert abs(Decimal(ln_q(n, bits)) / SCALE - exact) <= Decimal("1e-17")


def test_exp_and_ln_invert_each_other() -> None:
    for x in (-5 * ONE, -ONE // 3, 12_345, ONE // 7, 3 * ONE):
        assert abs(ln_q(exp_q(x)) - x) <= 64


def test_floats_enter_and_leave_exactly() -> None:
    assert to_q(0.5) == ONE // 2
    assert to_q(-0.1) == -115_292_150_460_684_704  # the stored -0.10000000000000000555...
    assert mul_q(ONE, 0.25) == ONE // 4
    assert to_float(3 * ONE // 4) == 0.75
    with pytest.raises(ValueError):
        ln_q(0)


@pytest.mark.parametrize("num, den", [(2 ** 60 + 12_345, 3 ** 30), (-(2 ** 53) - 3, 7),
                                      (10 ** 30 + 1, 10 ** 6), (1, 3), (5, 10 ** 4), (0, 9),
                                      (2 ** 62 - 1, 2 ** 61 + 1), (-(10 ** 19), 2 ** 53 + 1)])
def test_int_ratio_is_the_interpreters_correctly_rounded_quotient(num: int, den: int) -> None:
    """Also in the compiled build, whose `/` of two machine-size ints would round each to a
    double first (2**60 + 12345 over 3**30 then ends one ulp off)."""
    assert int_ratio(num, den) == num / den


@pytest.mark.parametrize("a, b", [(2 ** 53 + 3, float(2 ** 53 + 4)), (2 ** 53 + 5, 2.0 ** 53),
                                  (-(2 ** 60) - 1, -(2.0 ** 60)), (3, 3.5), (4, 3.5),
                                  (2 ** 70, float("inf")), (5, float("nan"))])
def test_int_below_compares_exactly(a: int, b: float) -> None:
    assert int_below(a, b) == (a < b)
