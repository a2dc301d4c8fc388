"""Index price paths: a GARCH(1,1)-t market factor with calm/stressed regimes, per-asset betas
and idiosyncratic noise, and crashes timed by a Hawkes process whose jumps are rescaled to a
target drawdown over the crash window, then a partial recovery (reference/simulation-
performance.md §B2).

Floats live only here and in the agents; the engine sees integer pips. One path per run, one
value per second per asset, from a `numpy.random.Generator` seeded by the run's SeedSequence.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

SECONDS_PER_YEAR = 365 * 86_400


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
    nu: float = 4.0  # Student-t degrees of freedom
    alpha: float = 0.05  # GARCH(1,1) per-second fit: alpha + beta < 1
    beta: float = 0.94
    stressed_vol_mult: float = 3.0
    p_calm_to_stressed: float = 1 / 20_000  # per second
    p_stressed_to_calm: float = 1 / 1_800
    hawkes_branching: float = 0.8
    hawkes_decay_s: float = 240.0
    mean_jump: float = 0.025  # log size of an average crash jump (reference §B2: 2.5%)
    crashes: tuple[Crash, ...] = ()


@dataclass
class PricePath:
    """Index prices (floats, per second) per asset name, and the regime per second."""

    prices: dict[str, np.ndarray]
    stressed: np.ndarray
    jump_seconds: list[int] = field(default_factory=list)

    def at(self, name: str, t_ms: int) -> float:
        series = self.prices[name]
        i = min(max(t_ms // 1_000, 0), len(series) - 1)
        return float(series[i])


def student_t(rng: np.random.Generator, nu: float, n: int) -> np.ndarray:
    """Unit-variance Student-t draws."""
    return rng.standard_t(nu, n) * math.sqrt((nu - 2) / nu)


def garch_factor(rng: np.random.Generator, model: PriceModel, n: int) -> tuple[np.ndarray,
                                                                                 np.ndarray]:
    """Per-second log returns of the market factor and the stressed-regime flags."""
    sigma_calm = model.annual_vol / math.sqrt(SECONDS_PER_YEAR)
    omega = sigma_calm ** 2 * (1 - model.alpha - model.beta)
    z = student_t(rng, model.nu, n)
    u = rng.random(n)
    returns = np.empty(n)
    stressed = np.zeros(n, dtype=bool)
    var = sigma_calm ** 2
    state = False
    for i in range(n):
        if state:
            state = u[i] >= model.p_stressed_to_calm
        else:
            state = u[i] < model.p_calm_to_stressed
        stressed[i] = state
        mult = model.stressed_vol_mult if state else 1.0
        r = math.sqrt(var) * z[i] * mult
        returns[i] = r
        var = omega + model.alpha * (r / mult) ** 2 + model.beta * var
    return returns, stressed


def hawkes_times(rng: np.random.Generator, duration_s: int, branching: float,
                 decay_s: float, n_target: int) -> list[int]:
    """Jump seconds in [0, duration): immigrants at uniform times (the first at 0), each with
    its Hawkes offspring (exponential kernel, `branching` children on average), until at least
    `n_target` jumps, so a crash comes in clusters spread over its window."""
    times = [0.0]
    queue = [0.0]
    while len(times) < n_target:
        if not queue:
            start = rng.random() * duration_s
            times.append(start)
            queue.append(start)
        parent = queue.pop()
        for _ in range(rng.poisson(branching)):
            child = parent + rng.exponential(decay_s)
            if child < duration_s:
                times.append(child)
                queue.append(child)
    return sorted({int(t) for t in times})


def crash_returns(rng: np.random.Generator, crash: Crash, model: PriceModel,
                  n: int) -> tuple[np.ndarray, list[int]]:
    """Log returns that add up to log(1 - drawdown) (or log(1 + size) for a squeeze) over the
    window, placed at Hawkes-clustered seconds with exponential sizes, then the recovery."""
    out = np.zeros(n)
    total = math.log(1 - crash.drawdown) if crash.sign < 0 else math.log(1 + crash.drawdown)
    n_target = max(3, int(abs(total) / model.mean_jump))
    seconds = [crash.at_s + s for s in hawkes_times(rng, crash.duration_s,
                                                    model.hawkes_branching,
                                                    model.hawkes_decay_s, n_target)]
    seconds = [s for s in seconds if s < n]
    if not seconds:
        return out, []
    weights = rng.exponential(1.0, len(seconds))
    weights /= weights.sum()
    for s, w in zip(seconds, weights):
        out[s] += total * w
    if crash.recovery > 0:
        start = crash.at_s + crash.duration_s
        back = -total * crash.recovery
        span = max(1, min(crash.recovery_s, n - start))
        if start < n:
            out[start:start + span] += back / span
    return out, seconds


def make_path(rng: np.random.Generator, model: PriceModel, duration_s: int,
              assets: list[tuple[str, float, float, float]]) -> PricePath:
    """`assets`: (name, start price, beta to the factor, idiosyncratic annual vol)."""
    n = duration_s + 1
    factor, stressed = garch_factor(rng, model, n)
    jumps: list[int] = []
    asset_jumps: dict[str, np.ndarray] = {}
    for crash in model.crashes:
        r, seconds = crash_returns(rng, crash, model, n)
        jumps += seconds
        if crash.assets:
            for name in crash.assets:
                asset_jumps[name] = asset_jumps.get(name, np.zeros(n)) + r
        else:
            factor = factor + r
        window = slice(crash.at_s, min(n, crash.at_s + crash.duration_s))
        stressed[window] = True
    prices = {}
    for name, start, beta, idio_vol in assets:
        idio = student_t(rng, model.nu, n) * idio_vol / math.sqrt(SECONDS_PER_YEAR)
        logp = np.cumsum(beta * factor + idio + asset_jumps.get(name, 0.0))
        logp -= logp[0]
        prices[name] = start * np.exp(logp)
    return PricePath(prices, stressed, sorted(set(jumps)))
