"""Index price paths: a GARCH(1,1)-t market factor with calm/stressed regimes, per-asset betas
and idiosyncratic noise, and crashes timed by a Hawkes process whose jumps are rescaled to a
target drawdown over the crash window, then a partial recovery (docs/mechanics.md). One value per second per asset.

Portable by construction: every step is integer arithmetic. Random words come from PCG64 streams
(`draws.Draws`, one per purpose, keyed under the run's price SeedSequence), variates and
log-returns are Q60 fixed point (`fixedpoint`: exp and ln by integer tables and series, square
roots by `math.isqrt`), scenario floats enter as the exact rationals they store, and a price is
an integer number of 1e-9 USD. So a seed gives the same path, bit for bit, on every CPU, OS and
numpy build; agents see `price_e9 / 10**9`, a correctly rounded float.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from fractions import Fraction
from itertools import accumulate
from math import isqrt

import numpy as np

from .draws import Draws
from .fixedpoint import FRAC_BITS, exp_q, ln_fraction, mul_q, to_q

SECONDS_PER_YEAR = 365 * 86_400
PRICE_SCALE = 10 ** 9  # a path price is an integer number of 1e-9 USD
# the purposes of the path's random streams (the first key under the price seed)
STREAM_FACTOR, STREAM_REGIME, STREAM_CRASH, STREAM_IDIO = range(4)


@dataclass(frozen=True)
class Crash:
    """A crash window: the factor falls by `drawdown` (0.13 = -13%) over `duration_s` starting
    at `at_s`, in Hawkes-clustered jumps; then recovers `recovery` of the drop over
    `recovery_s`. `sign` -1 is a crash, +1 a squeeze. `assets` limits it (empty: the factor)."""

    at_s: int
    drawdown: float
    duration_s: int
    recovery: float = 0.0
    recovery_s: int = 3_600
    sign: int = -1
    assets: tuple[str, ...] = ()


@dataclass(frozen=True)
class PriceModel:
    annual_vol: float = 0.6  # of the market factor in the calm regime
    nu: float = 4.0  # Student-t degrees of freedom (above 2)
    alpha: float = 0.05  # GARCH(1,1) per-second fit: alpha + beta < 1
    beta: float = 0.94
    stressed_vol_mult: float = 3.0
    p_calm_to_stressed: float = 1 / 20_000  # per second
    p_stressed_to_calm: float = 1 / 1_800
    hawkes_branching: float = 0.8
    hawkes_decay_s: float = 240.0
    mean_jump: float = 0.025  # log size of an average crash jump (docs/mechanics.md: 2.5%)
    crashes: tuple[Crash, ...] = ()


@dataclass
class PricePath:
    """Index prices per second per asset, as integers of 1e-9 USD (`prices_e9`, what a replay
    must reproduce) and as the floats agents read; the regime per second; the jump seconds."""

    prices_e9: dict[str, list[int]]
    stressed: list[bool]
    jump_seconds: list[int] = field(default_factory=list)
    prices: dict[str, list[float]] = field(init=False)

    def __post_init__(self) -> None:
        self.prices = {name: [p / PRICE_SCALE for p in series]
                       for name, series in self.prices_e9.items()}

    def at(self, name: str, t_ms: int) -> float:
        series = self.prices[name]
        return series[min(max(t_ms // 1_000, 0), len(series) - 1)]

    def digest(self) -> str:
        """blake2b-256 of the integer prices (assets by name, 16 bytes big-endian each)."""
        h = hashlib.blake2b(digest_size=32)
        for name in sorted(self.prices_e9):
            h.update(name.encode() + b"\0")
            h.update(b"".join(p.to_bytes(16, "big") for p in self.prices_e9[name]))
        return h.hexdigest()


def per_second_sigma_q(annual_vol: float) -> int:
    """annual_vol / sqrt(seconds per year), in Q60, rounded down."""
    vol = Fraction(annual_vol)
    return isqrt((vol.numerator ** 2 << (2 * FRAC_BITS))
                 // (vol.denominator ** 2 * SECONDS_PER_YEAR))


def garch_factor(shocks: Draws, regimes: Draws, model: PriceModel,
                 n: int) -> tuple[list[int], list[bool]]:
    """Per-second log returns of the market factor (Q60) and the stressed-regime flags.
    Variances are Q120 (so their integer square root is a Q60 sigma)."""
    sigma = per_second_sigma_q(model.annual_vol)
    var = sigma * sigma
    a, b = Fraction(model.alpha), Fraction(model.beta)
    omega = mul_q(var, 1 - a - b)
    a_num, a_den, b_num, b_den = a.numerator, a.denominator, b.numerator, b.denominator
    mult = Fraction(model.stressed_vol_mult)
    m_num, m_den = mult.numerator, mult.denominator
    enter = mul_q(1 << 64, model.p_calm_to_stressed)  # a word below this switches regime
    leave = mul_q(1 << 64, model.p_stressed_to_calm)
    z = shocks.student_ts_q(Fraction(model.nu), n)
    returns = [0] * n
    stressed = [False] * n
    state = False
    for i in range(n):
        word = regimes.word()
        state = word >= leave if state else word < enter
        stressed[i] = state
        e = isqrt(var) * z[i] >> FRAC_BITS  # the calm-regime return
        returns[i] = e * m_num // m_den if state else e
        var = omega + e * e * a_num // a_den + var * b_num // b_den
    return returns, stressed


def hawkes_times(draws: Draws, duration_s: int, branching: float, decay_s: float,
                 n_target: int) -> list[int]:
    """Jump seconds in [0, duration): immigrants at uniform times (the first at 0), each with
    its Hawkes offspring (exponential kernel, `branching` children on average), until at least
    `n_target` jumps, so a crash comes in clusters spread over its window. Times are Q60
    seconds."""
    end = duration_s << FRAC_BITS
    mean_children = to_q(branching)
    decay = Fraction(decay_s)
    times = [0]
    queue = [0]
    while len(times) < n_target:
        if not queue:
            start = draws.fraction_q() * duration_s
            times.append(start)
            queue.append(start)
        parent = queue.pop()
        for _ in range(draws.poisson(mean_children)):
            child = parent + mul_q(draws.exponential_q(), decay)
            if child < end:
                times.append(child)
                queue.append(child)
    return sorted({t >> FRAC_BITS for t in times})


def spread(total: int, weights: list[int]) -> list[int]:
    """`total` split in proportion to `weights`, rounded so the parts add up to it exactly."""
    whole = sum(weights)
    cuts = [total * c // whole for c in accumulate(weights, initial=0)]
    return [hi - lo for lo, hi in zip(cuts, cuts[1:])]


def crash_returns(draws: Draws, crash: Crash, model: PriceModel,
                  n: int) -> tuple[list[int], list[int]]:
    """Q60 log returns that add up to exactly ln(1 - drawdown) (or ln(1 + size) for a squeeze)
    over the window, placed at Hawkes-clustered seconds with exponential sizes, then the
    recovery."""
    out = [0] * n
    size = Fraction(crash.drawdown)
    total = ln_fraction(1 - size if crash.sign < 0 else 1 + size)
    n_target = max(3, abs(total) // to_q(model.mean_jump))
    seconds = [crash.at_s + s for s in hawkes_times(draws, crash.duration_s,
                                                    model.hawkes_branching,
                                                    model.hawkes_decay_s, n_target)]
    seconds = [s for s in seconds if s < n]
    if not seconds:
        return out, []
    weights = [draws.exponential_q() for _ in seconds]
    for s, jump in zip(seconds, spread(total, weights)):
        out[s] += jump
    start = crash.at_s + crash.duration_s
    if crash.recovery > 0 and start < n:
        back = mul_q(-total, crash.recovery)
        span = max(1, min(crash.recovery_s, n - start))
        for i, part in enumerate(spread(back, [1] * span)):
            out[start + i] += part
    return out, seconds


def make_path(seed: np.random.SeedSequence, model: PriceModel, duration_s: int,
              assets: list[tuple[str, float, float, float]]) -> PricePath:
    """`assets`: (name, start price in USD, beta to the factor, idiosyncratic annual vol).
    Each random stream is keyed by its purpose (and crash or asset index) under `seed`, so
    adding a crash or a market leaves the other streams' draws as they were."""
    n = duration_s + 1
    factor, stressed = garch_factor(Draws(seed, STREAM_FACTOR), Draws(seed, STREAM_REGIME),
                                    model, n)
    jumps: list[int] = []
    asset_jumps: dict[str, list[int]] = {}
    for index, crash in enumerate(model.crashes):
        r, seconds = crash_returns(Draws(seed, STREAM_CRASH, index), crash, model, n)
        jumps += seconds
        for name in crash.assets or ("",):  # "": the factor
            base = asset_jumps.get(name, [0] * n)
            asset_jumps[name] = [x + y for x, y in zip(base, r)]
        for s in range(crash.at_s, min(n, crash.at_s + crash.duration_s)):
            stressed[s] = True
    if "" in asset_jumps:
        factor = [x + y for x, y in zip(factor, asset_jumps.pop(""))]
    prices = {}
    for index, (name, start, beta, idio_vol) in enumerate(assets):
        b = Fraction(beta)
        idio_sigma = per_second_sigma_q(idio_vol)
        idio = Draws(seed, STREAM_IDIO, index).student_ts_q(Fraction(model.nu), n)
        own = asset_jumps.get(name, [0] * n)
        moves = [f * b.numerator // b.denominator + (idio_sigma * z >> FRAC_BITS) + j
                 for f, z, j in zip(factor, idio, own)]
        moves[0] = 0  # the path starts at the start price exactly
        start_e9 = round(Fraction(start) * PRICE_SCALE)
        prices[name] = [start_e9 * exp_q(logp) >> FRAC_BITS for logp in accumulate(moves)]
    return PricePath(prices, stressed, sorted(set(jumps)))


__all__ = ["Crash", "PriceModel", "PricePath", "make_path", "PRICE_SCALE"]
