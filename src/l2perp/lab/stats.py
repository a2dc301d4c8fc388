"""A sweep's statistics: per point the Gauntlet/Chaos metrics with seeded bootstrap intervals,
the early-stop rule, the interval-aware frontier, the monotonicity flags and the recommended
point against the sweep's objective.

Nothing here feeds state: floats and numpy are fine. Determinism still matters (the local and
Ray backends must agree): every bootstrap draws from `SeedSequence([master_seed, point, k])`
over the runs in run order (raw PCG64 words, as the rest of the lab), so the same runs give the
same intervals in any process.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .metrics import nearest_rank

BOOTSTRAP = 1000  # resamples per interval
LEVEL = 0.90  # the intervals' coverage
# metric -> (what it is, which run figure it reduces, how)
METRICS = ("var95_usd", "lar95_usd", "depletion_probability", "capital_efficiency")
LABELS = {
    "var95_usd": "VaR95: p95 of bad debt + socialized loss ($)",
    "lar95_usd": "LaR95: p95 of liquidated notional, book + backstop + ADL ($)",
    "depletion_probability": "insurance fund depletion probability",
    "capital_efficiency": "capital efficiency (takers' notional / collateral)",
}
# Monotonicity: (axis, metric, +1 when the metric should not fall as the axis rises, -1 when it
# should not rise). More initial margin means less leverage: capital efficiency should not rise
# with it, nor VaR95; a bigger insurance fund should not mean more bad debt.
EXPECTED = (("imf", "capital_efficiency", -1), ("imf", "var95_usd", -1),
            ("insurance_seed_usd", "var95_usd", -1),
            ("insurance_seed_usd", "depletion_probability", -1))


def p95(values: np.ndarray) -> float:
    """Nearest-rank 95th percentile (`metrics.nearest_rank`, as `metrics.percentile`)."""
    return float(np.sort(values)[nearest_rank(len(values), 95) - 1])


def run_figures(runs: list[dict]) -> dict[str, np.ndarray]:
    """Per run, in run order: the loss, the liquidated notional, depletion, efficiency."""
    return {
        "var95_usd": np.array([r["bad_debt_usd"] + r["socialized_loss_usd"] for r in runs]),
        "lar95_usd": np.array([r["liquidated_notional_usd"] + r["backstop_notional_usd"]
                               + r["adl_notional_usd"] for r in runs]),
        "depletion_probability": np.array([1.0 if r["insurance_fund_min_usd"] <= 0
                                           or r["adl_count"] > 0 else 0.0 for r in runs]),
        "capital_efficiency": np.array([r["capital_efficiency"] for r in runs]),
    }


def bootstrap(values: np.ndarray, statistic: str, seed: list[int],
              resamples: int = BOOTSTRAP) -> tuple[float, float, float]:
    """(estimate, low, high): the statistic ("p95" or "mean") and its percentile-bootstrap
    interval at LEVEL, resampling the runs with `SeedSequence(seed)`."""
    n = len(values)
    if n == 0:
        return 0.0, 0.0, 0.0
    # raw PCG64 words modulo n: integers only, the same on every CPU and numpy build (the
    # modulo's bias is below 2^-50 for any sweep's run count)
    words = np.random.PCG64(np.random.SeedSequence(seed)).random_raw((resamples, n))
    picks = values[(words % np.uint64(n)).astype(np.int64)]
    if statistic == "p95":
        stats = np.sort(picks, axis=1)[:, nearest_rank(n, 95) - 1]
        estimate = p95(values)
    else:
        stats = picks.mean(axis=1)
        estimate = float(values.mean())
    tail = (1 - LEVEL) / 2
    low, high = np.quantile(stats, [tail, 1 - tail], method="inverted_cdf")
    return estimate, float(low), float(high)


def point_stats(runs: list[dict], master_seed: int, point: int) -> dict:
    """The four metrics with their intervals, and the means the explanations compare."""
    figures = run_figures(runs)
    out: dict = {"runs_used": len(runs)}
    for k, name in enumerate(METRICS):
        statistic = "p95" if name in ("var95_usd", "lar95_usd") else "mean"
        est, low, high = bootstrap(figures[name], statistic, [master_seed, point, k])
        out[name] = {"value": round(est, 6), "low": round(low, 6), "high": round(high, 6)}
    for key in ("bad_debt_usd", "fund_deficit_usd", "socialized_loss_usd",
                "backstop_notional_usd", "liquidated_notional_usd", "adl_notional_usd",
                "liquidations_count", "mean_leverage", "liq_delay_p99_s"):
        out["mean_" + key] = round(float(np.mean([r[key] for r in runs])), 6) if runs else 0.0
    return out


@dataclass(frozen=True)
class StopRule:
    """Run a point in batches until its VaR95 and LaR95 intervals are narrow: width at most
    `rel_tol` x the estimate, or `abs_tol_usd` (p95s near zero), or `max_runs` reached."""

    max_runs: int
    batch: int
    rel_tol: float
    abs_tol_usd: float

    def narrow(self, stats: dict) -> bool:
        for name in ("var95_usd", "lar95_usd"):
            m = stats[name]
            if m["high"] - m["low"] > max(self.rel_tol * abs(m["value"]), self.abs_tol_usd):
                return False
        return True


def constant_metrics(rows: list[dict]) -> dict[str, float]:
    """The metrics whose estimate and interval ends are one value at every point (two points
    at least), e.g. a VaR95 of $0 everywhere: they separate no point, and an axis of one is a
    flat line."""
    out: dict[str, float] = {}
    if len(rows) < 2:
        return out
    for name in METRICS:
        ends = [r[name][k] for r in rows for k in ("low", "value", "high")]
        if min(ends) == max(ends):
            out[name] = ends[0]
    return out


def disjoint(a: dict, b: dict) -> int:
    """+1 when a's interval lies wholly above b's, -1 wholly below, 0 when they overlap."""
    if a["low"] > b["high"]:
        return 1
    if a["high"] < b["low"]:
        return -1
    return 0


def dominates(b: dict, a: dict) -> bool:
    """Whether point b beats point a beyond the intervals: at least as good on capital
    efficiency (higher) and VaR95 (lower) by the estimates, worse on neither beyond the
    intervals, and better beyond them on at least one."""
    ce = disjoint(b["capital_efficiency"], a["capital_efficiency"])
    var = -disjoint(b["var95_usd"], a["var95_usd"])  # +1: b's loss wholly below a's
    at_least = (b["capital_efficiency"]["value"] >= a["capital_efficiency"]["value"]
                and b["var95_usd"]["value"] <= a["var95_usd"]["value"])
    return at_least and ce >= 0 and var >= 0 and (ce > 0 or var > 0)


def frontier(rows: list[dict]) -> list[int]:
    """Indices of the points no other point dominates beyond the intervals."""
    return [i for i, a in enumerate(rows)
            if not any(dominates(b, a) for j, b in enumerate(rows) if j != i)]


def _money(m: dict) -> str:
    return f"${m['value']:,.0f} [{m['low']:,.0f}, {m['high']:,.0f}]"


def _fmt(name: str, m: dict) -> str:
    if name.endswith("_usd"):
        return _money(m)
    return f"{m['value']:.3f} [{m['low']:.3f}, {m['high']:.3f}]"


def _cause(axis: str, metric: str, lo: dict, hi: dict) -> str:
    """The run figures that moved most between the two cells, as a clause."""
    moves = []
    for key, what in (("mean_fund_deficit_usd", "the funds' negative equity after unwinding "
                       "taken-over positions"),
                      ("mean_backstop_notional_usd", "backstop takeovers"),
                      ("mean_socialized_loss_usd", "losses socialized by ADL"),
                      ("mean_bad_debt_usd", "bad debt"),
                      ("mean_liquidations_count", "liquidations"),
                      ("mean_mean_leverage", "the takers' mean leverage")):
        a, b = lo.get(key, 0.0), hi.get(key, 0.0)
        if a or b:
            moves.append((abs(b - a) / max(abs(a), abs(b)), key, what, a, b))
    if not moves:
        return "no run figure behind it moved"
    moves.sort(key=lambda m: (-m[0], m[1]))
    _, key, what, a, b = moves[0]
    direction = "rise" if b > a else "fall"
    return f"the largest relative move behind it is a {direction} in {what} (mean {a:,.2f} -> " \
           f"{b:,.2f})"


def neighbours(design: list[dict], axis: str) -> list[tuple[int, int, object]]:
    """(i, j, next value): the pairs of points that differ only in `axis`, j at the value
    after i's. A grid has them; a Latin hypercube, whose every point differs in every axis,
    has none."""
    values = sorted({p[axis] for p in design if axis in p})
    pairs = []
    for i, point in enumerate(design):
        if axis not in point:
            continue
        k = values.index(point[axis])
        if k + 1 == len(values):
            continue
        nxt = {**point, axis: values[k + 1]}
        j = next((j for j, p in enumerate(design) if p == nxt), None)
        if j is not None:
            pairs.append((i, j, values[k + 1]))
    return pairs


def comparisons(design: list[dict]) -> int:
    """How many (metric, pair of neighbouring points) comparisons the monotonicity check
    makes in this design (0: it cannot flag anything)."""
    return sum(len(neighbours(design, axis)) for axis, _, _ in EXPECTED)


def monotonicity(design: list[dict], rows: list[dict]) -> list[dict]:
    """Cells where a metric moves against its parameter beyond both intervals, between two
    points that differ only in that parameter's neighbouring values; each with a sentence."""
    flags = []
    for axis, metric, sign in EXPECTED:
        for i, j, after in neighbours(design, axis):
            point = design[i]
            move = disjoint(rows[j][metric], rows[i][metric])  # +1: rose with the axis
            if move == 0 or move == sign:
                continue
            rest = ", ".join(f"{a} {v}" for a, v in sorted(point.items()) if a != axis)
            verb = "rises" if move > 0 else "falls"
            sentence = (f"{metric} {verb} from {_fmt(metric, rows[i][metric])} to "
                        f"{_fmt(metric, rows[j][metric])} as {axis} goes {point[axis]} -> "
                        f"{after}{' at ' + rest if rest else ''}, beyond both 90% "
                        f"intervals; {_cause(axis, metric, rows[i], rows[j])}.")
            flags.append({"axis": axis, "metric": metric, "from": i, "to": j,
                          "explanation": sentence})
    return flags


def recommend(rows: list[dict], front: list[int], objective: dict) -> dict:
    """The frontier point that maximizes the objective's metric among those whose constraints
    hold at their intervals' pessimistic end (`<metric>_max`: the high end <= the bound)."""
    goal = objective.get("maximize", "capital_efficiency")
    bounds = {k[:-4]: v for k, v in objective.items() if k.endswith("_max")}

    def meets(row: dict) -> bool:
        return all(row[m]["high"] <= bound for m, bound in bounds.items())

    text = f"maximize {goal}" + "".join(
        f", {m} <= {f'${b:,.0f}' if m.endswith('_usd') else f'{b:g}'} (interval high end)"
        for m, b in sorted(bounds.items()))
    feasible = [i for i in front if meets(rows[i])]
    if not feasible:
        safest = min(front, key=lambda i: (rows[i]["var95_usd"]["high"], i)) if front else None
        return {"objective": text, "point": safest, "feasible": False,
                "why": "no frontier point meets the constraints at its interval's high end; "
                       "the point with the lowest VaR95 high end is shown instead"}
    best = max(feasible, key=lambda i: (rows[i][goal]["value"], -rows[i]["var95_usd"]["value"],
                                        -i))
    return {"objective": text, "point": best, "feasible": True,
            "why": f"the highest {goal} among {len(feasible)} frontier point(s) meeting the "
                   "constraints"}
