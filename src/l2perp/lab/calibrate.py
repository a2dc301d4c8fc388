"""Calibration: each scenario that imitates an event runs over many seeds, and the shape of what
it produced (price move and its speed, how concentrated the liquidations were, what the backstop
lost against what it took over) is set beside the event's public figures (`[event]` in the
scenario's TOML) and judged against each figure's tolerance band.

Shape, not size: our venue is a few million dollars deep, so figures are ratios and times. A CI
version compresses the scenario's clock by k = ci_duration / duration; its times are divided by k
before they are compared, so they read in the event's time.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

from .runner import RunResult, run
from .scenario import Figure, Scenario, load_scenario, shipped_names


def time_scale(scenario: Scenario, ci: bool) -> float:
    """k: simulated seconds per event second (1 for the full version)."""
    if not ci or scenario.ci_duration_s >= scenario.duration_s:
        return 1.0
    return scenario.ci_duration_s / scenario.duration_s


def _marks(result: RunResult, market: str) -> tuple[list[int], list[float]]:
    series = result.metrics.series
    pairs = [(t, v) for t, v in zip(series.t_s, series.mark[market]) if v == v and v > 0]
    return [t for t, _ in pairs], [v for _, v in pairs]


def measure_move(result: RunResult, market: str, up: bool) -> float:
    """The perp mark's largest move from its first minute: max/first - 1 for a squeeze,
    min/first - 1 for a crash (-0.13 = -13%)."""
    _, marks = _marks(result, market)
    if not marks:
        return 0.0
    extreme = max(marks) if up else min(marks)
    return extreme / marks[0] - 1


def measure_move_minutes(result: RunResult, market: str, k: float) -> float:
    """Minutes (event time) the mark took from 10% to 90% of its larger move (up or down) from
    the first minute: the last minute before the extreme still within 10% of the move, to the
    first minute past 90% of it."""
    times, marks = _marks(result, market)
    if len(marks) < 2:
        return 0.0
    start = marks[0]
    sign = 1 if max(marks) - start > start - min(marks) else -1
    at = max(range(len(marks)), key=lambda i: sign * marks[i])
    move = marks[at] - start
    if move == 0:
        return 0.0
    ninety = next(i for i in range(at + 1) if (marks[i] - start) / move >= 0.9)
    ten = max((i for i in range(ninety + 1) if (marks[i] - start) / move <= 0.1), default=0)
    return (times[ninety] - times[ten]) / 60 / k


def measure_liq_share(result: RunResult, window_min: float, k: float) -> float:
    """The share of all liquidations (units sent through the waterfall) in the busiest window of
    `window_min` event minutes (0 without liquidations)."""
    times = sorted(result.metrics.liq_times_ms)
    if not times:
        return 0.0
    width = window_min * 60_000 * k
    best, left = 0, 0
    for right, t in enumerate(times):
        while t - times[left] >= width:
            left += 1
        best = max(best, right - left + 1)
    return best / len(times)


def measure_backstop_loss(result: RunResult) -> float:
    """The insurance fund's deepest loss (start - lowest minute) over the notional its backstop
    took over, at the bankruptcy prices (0 when it took nothing over)."""
    report = result.report
    taken = report["backstop_notional_usd"]
    if taken <= 0:
        return 0.0
    return (report["insurance_fund_start_usd"] - report["insurance_fund_min_usd"]) / taken


def measure_adl_markets(result: RunResult) -> float:
    """How many markets saw an ADL event."""
    return float(len({e["asset"] for e in result.metrics.events if e["kind"] == "adl"}))


# metric -> (how it reads in a table, its unit)
METRICS = {
    "move": ("price move", "%"),
    "move_minutes": ("10-90% of the move took", "min"),
    "move_hours": ("10-90% of the move took", "h"),
    "liq_share_10m": ("liquidations in the busiest 10 min", "%"),
    "liq_share_40m": ("liquidations in the busiest 40 min", "%"),
    "backstop_loss": ("fund loss / notional the backstop took over", "x"),
    "adl_markets": ("markets with ADL", "n"),
}


def measure(figure: Figure, result: RunResult, k: float) -> float:
    """The simulated value of `figure`'s metric in one run, in the metric's unit."""
    if figure.metric == "move":
        return measure_move(result, figure.market, figure.value > 0)
    if figure.metric == "move_minutes":
        return measure_move_minutes(result, figure.market, k)
    if figure.metric == "move_hours":
        return measure_move_minutes(result, figure.market, k) / 60
    if figure.metric.startswith("liq_share_"):
        return measure_liq_share(result, float(figure.metric[10:-1]), k)
    if figure.metric == "backstop_loss":
        return measure_backstop_loss(result)
    if figure.metric == "adl_markets":
        return measure_adl_markets(result)
    raise ValueError(f"unknown calibration metric {figure.metric!r} (known: {', '.join(METRICS)})")


@dataclass
class Row:
    """One figure of one scenario: the event's and the simulated distribution over seeds."""

    scenario: str
    figure: Figure
    values: list[float]

    @property
    def median(self) -> float:
        ordered = sorted(self.values)
        n = len(ordered)
        return (ordered[(n - 1) // 2] + ordered[n // 2]) / 2 if n else float("nan")

    @property
    def low(self) -> float:
        return min(self.values) if self.values else float("nan")

    @property
    def high(self) -> float:
        return max(self.values) if self.values else float("nan")

    @property
    def judged(self) -> bool:
        return len(self.figure.band) == 2

    @property
    def passed(self) -> bool:
        """The median over seeds lies in the band (True for comparison-only figures)."""
        if not self.judged:
            return True
        low, high = self.figure.band
        return low <= self.median <= high


def event_scenarios() -> list[str]:
    """The shipped scenarios with an `[event]` that has figures."""
    return [name for name in shipped_names()
            if (event := load_scenario(name).event) is not None and event.figures]


def calibrate(names: list[str], seeds: list[int], ci: bool,
              progress: Callable[[str, int], object] | None = None) -> list[Row]:
    """Run each scenario (its CI version when `ci`) once per seed; one Row per event figure."""
    rows: list[Row] = []
    for name in names:
        spec = load_scenario(name)
        assert spec.event is not None, f"{name} has no [event]"
        k = time_scale(spec, ci)
        version = spec.for_ci() if ci else spec
        results = []
        for seed in seeds:
            results.append(run(version, seed))
            if progress is not None:
                progress(name, seed)
        for figure in spec.event.figures:
            rows.append(Row(name, figure, [measure(figure, r, k) for r in results]))
    return rows


def format_value(metric: str, value: float) -> str:
    """A metric's value as a table shows it."""
    if math.isnan(value):
        return "not reported"
    unit = METRICS[metric][1] if metric in METRICS else METRICS["liq_share_10m"][1]
    if unit == "%":
        return f"{value * 100:+,.0f}%" if metric == "move" else f"{value * 100:,.0f}%"
    if unit == "x":
        return f"{value:,.2f}x"
    if unit == "n":
        return f"{value:,.0f}"
    return f"{value:,.1f} {unit}"
