"""Random draws for the lab: the raw 64-bit words of a PCG64 stream seeded by a `SeedSequence`
(integer algorithms, the same words on every platform), turned into integers, uniforms,
exponentials, normals, Student-t and Poisson variates by exact integer arithmetic in Q60
(`fixedpoint`). numpy's own float transforms (`standard_t`, `exponential`, `lognormal`,
`poisson`) call exp/log, whose last bits may differ between CPUs and builds; these never do.
"""

from __future__ import annotations

from fractions import Fraction
from math import isqrt
from typing import Final

import numpy as np

from .fixedpoint import FRAC_BITS, ONE, exp_q, ln_q, mul_q, to_float, to_q

BLOCK: Final = 256  # words fetched from the bit generator at a time
# maps a 32-bit half h to the odd integer 2h - _HALF in (-2**32, 2**32)
_HALF: Final = 0xFFFF_FFFF
# the words' range; also the unit disk's u**2 + v**2 bound at scale 2**64
_TWO_64: Final = 1 << 64
_TWO_64_F: Final = float(_TWO_64)
_UNIT_53: Final = 1.0 / (1 << 53)  # a uniform's grid step
# span -> the words below which `integers` accepts (the largest multiple of span <= 2**64)
_LIMITS: Final[dict[int, int]] = {}
_LIMITS_KEPT: Final = 4_096  # spans remembered (a run uses a handful)


def child_seed(seed: np.random.SeedSequence, *key: int) -> np.random.SeedSequence:
    """The SeedSequence that `seed.spawn` would hand out under `key`, without spawning (so a
    stream's seed depends only on its key, not on how many streams came before it)."""
    return np.random.SeedSequence(seed.entropy, spawn_key=tuple(seed.spawn_key) + key,
                                  pool_size=seed.pool_size)


class Draws:
    """One random stream. Only this object reads its bit generator, so fetching words in
    blocks does not change which word each draw gets."""

    def __init__(self, seed: np.random.SeedSequence, *key: int) -> None:
        self._bits = np.random.PCG64(child_seed(seed, *key) if key else seed)
        self._words: list[int] = []

    def word(self) -> int:
        """A uniform integer in [0, 2**64)."""
        words = self._words
        if not words:
            words = self._words = self._bits.random_raw(BLOCK).tolist()
            words.reverse()
        return words.pop()

    # ----- integers and uniforms --------------------------------------------------------------
    def integers(self, low: int, high: int) -> int:
        """A uniform integer in [low, high), unbiased (rejection of the top partial range);
        high - low at most 2**64."""
        span = high - low
        limit = _LIMITS.get(span)
        if limit is None:
            if not 0 < span <= _TWO_64:
                raise ValueError("integers needs 0 < high - low <= 2**64")
            limit = _TWO_64 - _TWO_64 % span
            if len(_LIMITS) < _LIMITS_KEPT:
                _LIMITS[span] = limit
        w = self.word()
        while w >= limit:
            w = self.word()
        return low + w % span

    def pick(self, weights: list[int]) -> int:
        """An index drawn with probability weights[i] / sum(weights) (integer weights)."""
        r = self.integers(0, sum(weights))
        for i, weight in enumerate(weights):
            if r < weight:
                return i
            r -= weight
        raise AssertionError("unreachable")

    def random(self) -> float:
        """A uniform float in [0, 1) on the 2**-53 grid (numpy's `random()` rule: exact)."""
        return (self.word() >> 11) * _UNIT_53

    def chance(self, p: float) -> bool:
        """True with probability p (0 <= p <= 1): word < floor(p 2**64), where the float
        product is exact (a scaling by a power of two)."""
        return self.word() < int(p * _TWO_64_F)

    def uniform_q(self) -> int:
        """A uniform Q60 number in (0, 1]."""
        return (self.word() >> (64 - FRAC_BITS)) + 1

    def fraction_q(self) -> int:
        """A uniform Q60 number in [0, 1)."""
        return self.word() >> (64 - FRAC_BITS)

    # ----- continuous variates, in Q60 --------------------------------------------------------
    def exponential_q(self) -> int:
        """A unit-mean exponential: -ln U."""
        return -ln_q(self.uniform_q())

    def _disk(self) -> tuple[int, int]:
        """(u, s): a point (u, v) / 2**32 uniform in the unit disk, s = u**2 + v**2 (scale
        2**64, never 0: u and v are odd)."""
        while True:
            w = self.word()
            u = ((w >> 32) << 1) - _HALF
            v = ((w & _HALF) << 1) - _HALF
            s = u * u + v * v
            if s < _TWO_64:
                return u, s

    def normal_q(self) -> int:
        """A standard normal by Marsaglia's polar method: u sqrt(-2 ln s / s)."""
        u, s = self._disk()
        square = (-2 * ln_q(s, 64) << FRAC_BITS) * u * u // s  # Q120
        root = isqrt(square)
        return root if u > 0 else -root

    def student_ts_q(self, nu: Fraction, n: int) -> list[int]:
        """n unit-variance Student-t draws with nu > 2 degrees of freedom, by Bailey's polar
        method (Math. Comp. 62, 1994): for (u, v) uniform in the unit disk and s = u**2 + v**2,
        t**2 = nu (s**(-2/nu) - 1) u**2 / s; times (nu - 2) / nu for unit variance."""
        nu_num, nu_den = nu.numerator, nu.denominator
        if nu_num <= 2 * nu_den:
            raise ValueError(f"Student-t draws need nu > 2 (got {nu})")
        out: list[int] = []
        for _ in range(n):
            u, s = self._disk()
            power = exp_q(-2 * ln_q(s, 64) * nu_den // nu_num)  # s**(-2/nu) >= 1
            square = ((nu_num - 2 * nu_den) * (power - ONE) << FRAC_BITS) * u * u \
                // (nu_den * s)  # Q120
            root = isqrt(square)
            out.append(root if u > 0 else -root)
        return out

    def poisson(self, lam_q: int) -> int:
        """A Poisson count with mean lam (Q60, small): Knuth's product of uniforms."""
        limit = exp_q(-lam_q)
        k, product = 0, self.uniform_q()
        while product > limit:
            k += 1
            product = product * self.uniform_q() >> FRAC_BITS
        return k

    # ----- the same as floats, for the agents' arithmetic -------------------------------------
    def exponential(self, scale: float = 1.0) -> float:
        return to_float(self.exponential_q()) * scale

    def lognormal(self, mean: float, sigma: float) -> float:
        return to_float(exp_q(to_q(mean) + mul_q(self.normal_q(), sigma)))


__all__ = ["Draws", "child_seed"]
