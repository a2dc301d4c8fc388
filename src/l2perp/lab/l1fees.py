"""The L1 data fee in a lab run (a scenario's [l1_fee] table): the L1 prices gas, every batch
the poster posts records its cost for L2 (engine/l1fee.py), and an `l1_gas_spike` fault fills
L1 blocks (other users' gas) until the base fee reaches `spike_multiple` times where it began.

Once a minute of block time the watch samples three figures:
- the published rate, the per-notional part of the taker fee that the engine set for this hour
  from its smoothed gas price;
- the raw pass-through rate, what the same cost model would charge at this minute's base fee
  with no smoothing (gas per $1M x base fee x ETH price);
- the fee pool's L1 balance: what takers paid for L1 data less the costs L1 recorded.

The report compares the two rates: their variance over the minutes, their largest change over
any 60 minutes (for the published rate, the step between consecutive hours, held to the
engine's bound), and the pool's worst balance.
"""

from __future__ import annotations

from typing import Any

from ..engine.l1fee import step_bound_e9, target_rate_e9
from ..rollup.l1 import GAS_LIMIT
from .scenario import L1FeeCfg

BP_E9 = 100_000  # one basis point in parts per 10^9


class L1FeeWatch:
    """Drives the gas spike and samples the L1 data fee of one run (see the module doc)."""

    def __init__(self, rollup, cfg: L1FeeCfg) -> None:
        self.rollup = rollup
        self.cfg = cfg
        self.spike_cap_gwei = rollup.l1.base_fee_gwei * cfg.spike_multiple
        self.t_s: list[int] = []
        self.rate_e9: list[int] = []
        self.raw_e9: list[int] = []
        self.balance_musdc: list[int] = []
        self.base_fee_gwei: list[int] = []
        self._minute = -1

    def congestion_gas(self, now_ms: int) -> int:
        """Other L1 users' gas per block at `now_ms`: full blocks while a gas spike is on and
        the base fee is below its cap (EIP-1559 then raises it 12.5% a block), else none."""
        spikes = getattr(self.rollup.sim, "gas_spikes", ())
        if self.rollup.l1.base_fee_gwei < self.spike_cap_gwei and any(
                w.covers(now_ms) for w in spikes):
            return GAS_LIMIT
        return 0

    def on_block(self, time_ms: int) -> None:
        """Sample once per minute of block time."""
        elapsed_s = (time_ms - self.rollup.sim.kernel.start_ms) // 1_000
        minute = elapsed_s // 60
        if minute == self._minute:
            return
        self._minute = minute
        state = self.rollup.sim.kernel.state
        book, config = state.l1_fee, state.config.l1_fee
        if book is None or config is None:
            return
        base_fee = self.rollup.l1.base_fee_gwei
        self.t_s.append(elapsed_s)
        self.rate_e9.append(book.rate_e9)
        self.raw_e9.append(target_rate_e9(config, base_fee * self.cfg.eth_usd))
        self.balance_musdc.append(book.charged_musdc - book.costs_musdc)
        self.base_fee_gwei.append(base_fee)

    def finish(self) -> dict[str, Any]:
        """The comparison for report.json (rates in bp, amounts in USD) and the per-minute
        path for the chart."""
        state = self.rollup.sim.kernel.state
        book, config = state.l1_fee, state.config.l1_fee
        if book is None or config is None or not self.t_s:
            return {}
        pairs = hour_pairs(self.t_s, self.rate_e9)
        worst = max(pairs, key=lambda p: abs(p[1] - p[0])) if pairs else None
        rate_change = abs(worst[1] - worst[0]) if worst else 0
        bound = step_bound_e9(config, worst[0]) if worst else 0
        return {
            "published_bp": summary(self.rate_e9, self.t_s),
            "raw_bp": summary(self.raw_e9, self.t_s),
            "published_max_hourly_change_bp": rate_change / BP_E9,
            "published_step_bound_bp": bound / BP_E9,
            "published_within_bound": all(
                abs(after - before) <= step_bound_e9(config, before) for before, after in pairs),
            "raw_max_hourly_change_bp": max_change_within(self.t_s, self.raw_e9, 3_600) / BP_E9,
            "pool_worst_balance_usd": min(self.balance_musdc) / 1e6,
            "pool_final_balance_usd": self.balance_musdc[-1] / 1e6,
            "charged_usd": book.charged_musdc / 1e6,
            "costs_usd": book.costs_musdc / 1e6,
            "paid_usd": book.paid_musdc / 1e6,
            "base_fee_gwei_max": max(self.base_fee_gwei),
            "base_fee_gwei_min": min(self.base_fee_gwei),
            "path": {"t_s": self.t_s, "published_bp": [r / BP_E9 for r in self.rate_e9],
                     "raw_bp": [r / BP_E9 for r in self.raw_e9],
                     "pool_balance_usd": [b / 1e6 for b in self.balance_musdc]},
        }


def summary(values_e9: list[int], t_s: list[int]) -> dict[str, float]:
    """Mean, variance (bp^2) and range of a per-minute rate series, in bp."""
    n = len(values_e9)
    mean = sum(values_e9) / n
    variance = sum((v - mean) ** 2 for v in values_e9) / n
    return {"mean": mean / BP_E9, "variance": variance / BP_E9 ** 2,
            "min": min(values_e9) / BP_E9, "max": max(values_e9) / BP_E9, "minutes": len(t_s)}


def hour_pairs(t_s: list[int], values: list[int]) -> list[tuple[int, int]]:
    """(rate of one hour, rate of the next) for consecutive clock hours of the samples."""
    by_hour: dict[int, int] = {}
    for t, v in zip(t_s, values):
        by_hour.setdefault(t // 3_600, v)
    hours = sorted(by_hour)
    return [(by_hour[a], by_hour[b]) for a, b in zip(hours, hours[1:]) if b == a + 1]


def max_change_within(t_s: list[int], values: list[int], window_s: int) -> int:
    """The largest |value(t) - value(t')| over samples at most `window_s` apart."""
    best = 0
    start = 0
    for end in range(len(t_s)):
        while t_s[end] - t_s[start] > window_s:
            start += 1
        window = values[start:end + 1]
        best = max(best, max(window) - min(window))
    return best
