"""Q60 fixed point for the lab's random paths: natural log and exponential on integers scaled by
2**60, with integer operations only, so every CPU, OS and numpy build computes the same bits
(libm's exp/log, and numpy's SIMD versions of them, may differ in the last bit).

A Q60 number `x_q` stands for `x_q / 2**60`. The tables are built at import from integer
series. `ln_q` is within 1e-17 of the true value, `exp_q` within 1e-15 relative (for results
above 1e-3; below that, within 2**-60 absolute): approximations, but always the same integers.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Final

FRAC_BITS: Final = 60
ONE: Final = 1 << FRAC_BITS
TABLE_BITS: Final = 8  # 256-entry tables: the series after them need five terms
_STEPS: Final = 1 << TABLE_BITS
_GUARD: Final = 24  # extra bits while the tables are built
_WIDE: Final = FRAC_BITS + _GUARD


def _wide_ln2() -> int:
    """ln 2 = sum over k >= 1 of 1 / (k 2**k), in Q(_WIDE)."""
    total, k = 0, 1
    while (term := ((1 << _WIDE) >> k) // k) > 0:
        total += term
        k += 1
    return total


def _wide_exp(x: int) -> int:
    """e**x for 0 <= x < 1 in Q(_WIDE), by its Taylor series."""
    total = term = 1 << _WIDE
    k = 1
    while term > 0:
        term = (term * x >> _WIDE) // k
        total += term
        k += 1
    return total


def _wide_ln1p(j: int) -> int:
    """ln(1 + j / _STEPS) in Q(_WIDE), as 2 atanh(y) with y = j / (2 _STEPS + j) < 1/3."""
    y = (j << _WIDE) // (2 * _STEPS + j)
    y2 = y * y >> _WIDE
    total, power, k = 0, y, 1
    while power > 0:
        total += power // k
        power = power * y2 >> _WIDE
        k += 2
    return 2 * total


def _narrow(wide: int) -> int:
    return (wide + (1 << (_GUARD - 1))) >> _GUARD  # to the nearest Q60 value


_LN2_WIDE: Final = _wide_ln2()
LN2: Final = _narrow(_LN2_WIDE)
_EXP_STEP: Final = [(j * LN2) >> TABLE_BITS for j in range(_STEPS)]  # j ln2 / 256, in Q60
_EXP_TABLE: Final = [_narrow(_wide_exp(step << _GUARD)) for step in _EXP_STEP]  # e**step
_LN_TABLE: Final = [_narrow(_wide_ln1p(j)) for j in range(_STEPS)]  # ln(1 + j / 256)
_INV_FACT: Final = [ONE // f for f in (1, 1, 2, 6, 24, 120)]  # 1 / k!, in Q60
_INV2: Final = ONE // 2
_INV6: Final = ONE // 6
_INV24: Final = ONE // 24
_INV120: Final = ONE // 120
_EXACT: Final = 1 << 53  # integers up to this size are exact as doubles
_LN2_SPAN: Final = 128  # k ln2 precomputed for -128 <= k < 128 (a Q60 value or Q64 sum)
_LN2_TIMES: Final = [(k * _LN2_WIDE) >> _GUARD for k in range(-_LN2_SPAN, _LN2_SPAN)]


def exp_q(x_q: int) -> int:
    """e**x in Q60 for x in Q60 (rounded down; 0 when it underflows 2**-60)."""
    k, r = divmod(x_q, LN2)  # x = k ln2 + r with 0 <= r < ln2
    j = (r << TABLE_BITS) // LN2
    s = r - _EXP_STEP[j]  # 0 <= s < ln2 / 256: the Taylor term s**6/720 is below 2**-60
    p = _INV24 + (s * _INV120 >> FRAC_BITS)
    p = _INV6 + (s * p >> FRAC_BITS)
    p = _INV2 + (s * p >> FRAC_BITS)
    p = ONE + (s * p >> FRAC_BITS)
    p = ONE + (s * p >> FRAC_BITS)
    y = _EXP_TABLE[j] * p >> FRAC_BITS
    return y << k if k >= 0 else y >> -k


def ln_q(n: int, scale_bits: int = FRAC_BITS) -> int:
    """ln(n / 2**scale_bits) in Q60, for an integer n > 0 (by default n is itself Q60)."""
    if n <= 0:
        raise ValueError("ln_q needs a positive integer")
    e = n.bit_length() - 1
    m = n << (FRAC_BITS - e) if e <= FRAC_BITS else n >> (e - FRAC_BITS)  # in [1, 2)
    j = (m >> (FRAC_BITS - TABLE_BITS)) - _STEPS
    base = ONE + (j << (FRAC_BITS - TABLE_BITS))  # 1 + j/256 <= m < 1 + (j+1)/256
    d = m - base
    y = (d << FRAC_BITS) // (base + base + d)  # m = base (1 + s), y = s / (2 + s) < 1/513
    y2 = y * y >> FRAC_BITS
    # ln(1 + s) = 2 atanh(y) = 2 (y + y**3/3 + y**5/5 + ...): the y**7 term is below 2**-62
    y3 = y * y2 >> FRAC_BITS
    series = y + y3 // 3 + (y3 * y2 >> FRAC_BITS) // 5
    k = e - scale_bits  # the power of two: k ln2, from the table when it holds it
    k_ln2 = (_LN2_TIMES[k + _LN2_SPAN] if -_LN2_SPAN <= k < _LN2_SPAN
             else k * _LN2_WIDE >> _GUARD)
    return _LN_TABLE[j] + 2 * series + k_ln2


def ln_fraction(x: Fraction) -> int:
    """ln(x) in Q60 for an exact positive rational."""
    return ln_q(x.numerator, 0) - ln_q(x.denominator, 0)


def to_q(x: float | Fraction) -> int:
    """floor(x * 2**60), exactly (a float is the rational it stores)."""
    f = Fraction(x)
    return (f.numerator << FRAC_BITS) // f.denominator


def mul_q(x_q: int, factor: float | Fraction) -> int:
    """floor(x * factor) for a Q60 x and an exact factor, in Q60."""
    f = Fraction(factor)
    return x_q * f.numerator // f.denominator


def to_float(x_q: int) -> float:
    """The float nearest x (integer true division is correctly rounded, so portable; so is the
    compiled build's, which rounds x_q to a double and scales it by the power of two exactly)."""
    return x_q / ONE


def int_ratio(num: int, den: int) -> float:
    """num / den correctly rounded, as the interpreter computes it, in both builds: mypyc's `/`
    of two machine-size ints divides their conversions to doubles, which rounds twice once an
    operand exceeds 2**53, so such quotients go through `Fraction` (whose float is the
    interpreter's correctly rounded integer division)."""
    if -_EXACT <= num <= _EXACT and -_EXACT <= den <= _EXACT:
        return num / den
    return float(Fraction(num, den))


def int_below(a: int, b: float) -> bool:
    """a < b compared exactly, as the interpreter does, in both builds (mypyc compares an int
    with a float after converting it to a double, which rounds above 2**53)."""
    if -_EXACT <= a <= _EXACT:
        return a < b
    return Fraction(a) < b


__all__ = ["FRAC_BITS", "ONE", "LN2", "exp_q", "ln_q", "ln_fraction", "to_q", "mul_q",
           "to_float", "int_ratio", "int_below"]
