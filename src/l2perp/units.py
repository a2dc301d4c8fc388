"""Integer units, named rounding, and exact decimal strings <-> integers.

Units (docs/units.md): cash in micro-USDC, size in lots (10^-szDecimals), price in pips
(10^(szDecimals-6) USD) so that `price_pips * size_lots` is micro-USDC exactly; rates in parts
per 10^9. Decimal strings are parsed and printed here and in `api/`, never inside the engine.
"""

from __future__ import annotations

from typing import Final, NamedTuple

ONE_USDC: Final = 10**6  # micro-USDC per USDC
E9: Final = 10**9  # parts per unit for rates and fractions
MAX_DECIMALS: Final = 6  # perps: a price has at most MAX_DECIMALS - szDecimals decimals
MS_PER_SECOND: Final = 1_000
MS_PER_HOUR: Final = 3_600_000
MS_PER_DAY: Final = 86_400_000

# The ranges the API parses numbers into (beyond them a request is refused before it reaches a
# block). Every value inside them, and every product the engine forms from them, fits the log's
# and the rollup's encodings (msgpack integers, SQLite's int64).
# ids, times, nonces, leverage, rounds: SQLite's and msgpack's int64
MAX_WIRE_INT: Final = 2**63 - 1
MAX_WIRE_VALUE: Final = 10**12  # a price or size string's magnitude: 10**18 pips or lots at most
# a price or size string's significant digits (no 40-digit fractions)
MAX_WIRE_COEFF: Final = 10**18
MAX_AMOUNT_MUSDC: Final = 10**18  # one transfer, withdrawal or margin move: $1,000,000,000,000
MAX_TEXT_CHARS: Final = 64  # names the API stores (agent names)


def floor_div(a: int, b: int) -> int:
    """a / b rounded toward minus infinity (b != 0)."""
    return a // b


def ceil_div(a: int, b: int) -> int:
    """a / b rounded toward plus infinity (b != 0)."""
    return -((-a) // b)


def trunc_div(a: int, b: int) -> int:
    """a / b rounded toward zero (b != 0)."""
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b >= 0) else -q


class Dec(NamedTuple):
    """An exact decimal `coeff * 10**exp`, normalized: no trailing zeros in coeff (0 is (0, 0))."""

    coeff: int
    exp: int

    def decimals(self) -> int:
        """Digits after the decimal point (0 for integers)."""
        return -self.exp if self.exp < 0 else 0

    def significant_figures(self) -> int:
        """Significant digits of the normalized coefficient (0 has none)."""
        return len(str(abs(self.coeff))) if self.coeff else 0

    def is_integer(self) -> bool:
        return self.exp >= 0

    def scaled(self, decimals: int) -> int | None:
        """The value times 10**decimals if that is an integer, else None (never rounds)."""
        shift = self.exp + decimals
        if shift >= 0:
            return self.coeff * 10**shift
        div = 10 ** (-shift)
        return self.coeff // div if self.coeff % div == 0 else None


def _ascii_digits(text: str) -> bool:
    """Whether `text` is empty or only the digits 0-9 (`isdigit` alone admits other scripts'
    digits and superscripts)."""
    return not text or (text.isascii() and text.isdigit())


def parse_decimal(text: str) -> Dec:
    """Parse a plain decimal string ("1100", "0.30", "-0", ".5") exactly; ValueError if malformed.

    No exponents, no whitespace, at most one sign and one point; trailing zeros are stripped.
    """
    if not isinstance(text, str) or not text or len(text) > 64:
        raise ValueError(f"not a decimal string: {text!r}")
    body = text[1:] if text[0] in "+-" else text
    negative = text[0] == "-"
    whole, dot, frac = body.partition(".")
    if not (whole or frac) or (dot and "." in frac):
        raise ValueError(f"not a decimal string: {text!r}")
    if not (_ascii_digits(whole) and _ascii_digits(frac)):
        raise ValueError(f"not a decimal string: {text!r}")
    frac = frac.rstrip("0")
    coeff = int((whole or "0") + frac)
    exp = -len(frac)
    if coeff == 0:
        return Dec(0, 0)
    while coeff % 10 == 0:
        coeff //= 10
        exp += 1
    return Dec(-coeff if negative else coeff, exp)


def in_wire_range(value: Dec) -> bool:
    """Whether a parsed price or size string lies in the API's range: |value| <= 10**12 with
    fewer than 19 significant digits, so that it is at most 10**18 pips or lots in any market."""
    if abs(value.coeff) >= MAX_WIRE_COEFF:
        return False
    if value.exp >= 0:
        return value.exp <= 12 and abs(value.coeff) * 10**value.exp <= MAX_WIRE_VALUE
    return abs(value.coeff) <= MAX_WIRE_VALUE * 10 ** (-value.exp)


def dec_from_int(value: int, decimals: int) -> Dec:
    """The normalized Dec of `value * 10**-decimals`."""
    if value == 0:
        return Dec(0, 0)
    exp = -decimals
    while value % 10 == 0:
        value //= 10
        exp += 1
    return Dec(value, exp)


def format_fixed(value: int, decimals: int) -> str:
    """Exact rendering of `value * 10**-decimals`, trailing zeros stripped ("-1.5", "100")."""
    if decimals <= 0:
        return str(value * 10 ** (-decimals))
    sign = "-" if value < 0 else ""
    digits = str(abs(value)).rjust(decimals + 1, "0")
    whole, frac = digits[:-decimals], digits[-decimals:].rstrip("0")
    return f"{sign}{whole}.{frac}" if frac else f"{sign}{whole}"


def format_usdc(amount_musdc: int) -> str:
    """Micro-USDC as a USD decimal string (6 decimals at most, trailing zeros stripped)."""
    return format_fixed(amount_musdc, 6)


def format_size(size_lots: int, sz_decimals: int) -> str:
    """Lots as a base-unit decimal string."""
    return format_fixed(size_lots, sz_decimals)


def format_price(price_pips: int, sz_decimals: int) -> str:
    """Pips as a USD price decimal string (at most 6 - szDecimals decimals)."""
    return format_fixed(price_pips, MAX_DECIMALS - sz_decimals)


def format_ratio(numerator: int, denominator: int, decimals: int) -> str:
    """numerator / denominator to `decimals` places, rounded half away from zero (display only)."""
    scale = 10**decimals
    num = abs(numerator) * scale * 2 + abs(denominator)
    q = num // (2 * abs(denominator))
    sign = -1 if (numerator < 0) != (denominator < 0) and numerator != 0 else 1
    return format_fixed(sign * q, decimals)


def usdc_to_musdc(text: str) -> int:
    """A USD decimal string to micro-USDC; ValueError if it has more than 6 decimals."""
    scaled = parse_decimal(text).scaled(6)
    if scaled is None:
        raise ValueError(f"more than 6 decimals: {text!r}")
    return scaled


def round_half_even(value: Dec, decimals: int) -> int:
    """`value * 10**decimals` rounded to the nearest integer, ties to even (oracle prices)."""
    shift = value.exp + decimals
    if shift >= 0:
        return value.coeff * 10**shift
    div = 10 ** (-shift)
    q, r = divmod(value.coeff, div)
    twice = 2 * r
    if twice > div or (twice == div and q % 2 == 1):
        q += 1
    return q
