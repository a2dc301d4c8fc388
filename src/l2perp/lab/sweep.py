"""Parameter sweeps: a grid or a Latin-hypercube design over risk parameters, seeded runs per
point in batches until the point's intervals are narrow, run in this process, a local process
pool or on Ray; per point the statistics of `stats.py` (VaR95, LaR95, depletion probability,
capital efficiency, with bootstrap intervals), the frontier, the monotonicity flags and the
recommendation. The page (`sweep.json`, `sweep.html`, `frontier.png`) is `sweep_page.py`'s.

Run r of every point gets the r-th child of `SeedSequence(master_seed)` (common random
numbers), so results depend on neither the worker count nor the backend; results are collected
and sorted by task index. A sweep file is TOML: name, scenario, runs, batch, rel_tol,
abs_tol_usd, master_seed, design ("grid" or "lhs"), samples (lhs), ci (use the scenario's CI
version), [axes] with a list of values per axis (lhs draws between each axis's min and max; the
axis "template" picks the crash template from a list of scenario names) and [objective].
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from .stats import (
    BOOTSTRAP, LEVEL, StopRule, comparisons, constant_metrics, monotonicity, point_stats,
    recommend,
)
from .stats import frontier as stats_frontier
from .scenario import Fault, Scenario, ScenarioError, build, load_scenario, read_toml
from .sweep_page import constant_notes, write_sweep  # noqa: F401 (the page; callers import it here)

SHIPPED = Path(__file__).parent / "sweeps"
AXES = ("imf", "oi_cap_usd", "liq_fee", "insurance_seed_usd", "partial_fraction",
        "oracle_cadence_s", "outage_s", "grace_s", "crash_intensity", "template")


# Axes that set the storm, not the venue: a point's value of one is a condition it met, never a
# parameter to recommend.
STRESS_AXES = ("outage_s", "crash_intensity", "template")


@dataclass(frozen=True)
class Sweep:
    name: str
    scenario: str
    axes: dict
    runs: int = 120  # at most, per point (the CLI's --runs)
    master_seed: int = 1
    design: str = "grid"
    samples: int = 8
    ci: bool = True
    batch: int = 40  # runs per point per round of the early stop
    rel_tol: float = 0.5  # stop when each p95's 90% interval is at most this x its estimate
    abs_tol_usd: float = 500.0  # ... or at most this wide (p95s near zero)
    objective: dict = field(default_factory=dict)  # maximize = "...", <metric>_max = bound


def load_sweep(ref: str | Path) -> Sweep:
    data, path = read_toml(ref, SHIPPED, "sweep")
    axes = data.pop("axes", {})
    unknown = sorted(set(axes) - set(AXES))
    if unknown:
        raise ScenarioError(f"unknown sweep axes {', '.join(unknown)} (known: {', '.join(AXES)})")
    sweep = build(Sweep, {"name": path.stem, "axes": axes, **data}, str(path))
    if sweep.design not in ("grid", "lhs"):
        raise ScenarioError("design is grid or lhs")
    return sweep


def points(sweep: Sweep) -> list[dict]:
    """The design: the Cartesian grid of the axes' values, or a Latin hypercube of `samples`
    points between each axis's min and max (seeded by the master seed)."""
    names = sorted(sweep.axes)
    if sweep.design == "grid":
        return [dict(zip(names, combo))
                for combo in itertools.product(*(sweep.axes[n] for n in names))]
    rng = np.random.default_rng(np.random.SeedSequence([sweep.master_seed, 1]))
    n = sweep.samples
    out: list[dict] = [{} for _ in range(n)]
    for name in names:
        strata = (rng.permutation(n) + rng.random(n)) / n
        if name == "template":  # a categorical axis: the strata pick among the names
            names_ = list(sweep.axes[name])
            for i in range(n):
                out[i][name] = names_[min(len(names_) - 1, int(strata[i] * len(names_)))]
            continue
        low, high = min(sweep.axes[name]), max(sweep.axes[name])
        integral = all(isinstance(v, int) for v in sweep.axes[name])
        for i in range(n):
            value = low + (high - low) * float(strata[i])
            out[i][name] = int(round(value)) if integral else round(value, 6)
    return out


def apply_point(scenario: Scenario, point: dict) -> Scenario:
    """The scenario with one design point's parameters."""
    s = scenario
    markets = s.markets
    if "imf" in point:
        lev = max(1, int(round(1 / point["imf"])))
        markets = tuple(replace(m, max_leverage=lev) for m in markets)
        s = replace(s, agents=replace(s.agents, leverage_max=min(s.agents.leverage_max, lev),
                                      leverage_min=min(s.agents.leverage_min, lev)))
    if "oi_cap_usd" in point:
        markets = tuple(replace(m, oi_cap_usd=float(point["oi_cap_usd"])) for m in markets)
    s = replace(s, markets=markets)
    if "liq_fee" in point:
        s = replace(s, liquidation_fee=float(point["liq_fee"]))
    if "insurance_seed_usd" in point:
        s = replace(s, insurance_seed_usd=float(point["insurance_seed_usd"]))
    if "partial_fraction" in point:
        s = replace(s, partial_fraction=float(point["partial_fraction"]))
    if "oracle_cadence_s" in point:
        s = replace(s, agents=replace(s.agents, oracle_cadence_s=float(point["oracle_cadence_s"])))
    if "grace_s" in point:
        s = replace(s, post_outage_grace_s=int(point["grace_s"]))
    if point.get("outage_s"):
        at = s.prices.crashes[0].at_s if s.prices.crashes else s.duration_s // 3
        s = replace(s, faults=s.faults + (Fault("sequencer_outage", at,
                                                int(point["outage_s"])),))
    if "crash_intensity" in point:
        k = float(point["crash_intensity"])
        crashes = tuple(replace(c, drawdown=min(0.95, c.drawdown * k) if c.sign < 0
                                else c.drawdown * k) for c in s.prices.crashes)
        s = replace(s, prices=replace(s.prices, crashes=crashes))
    return s


def run_seeds(sweep: Sweep, n_runs: int) -> list[int]:
    """The seed of run r, the same at every point (common random numbers: two points differ
    by their parameters, not by their luck, so their comparison is paired)."""
    children = np.random.SeedSequence(sweep.master_seed).spawn(n_runs)
    return [int(c.generate_state(1)[0]) for c in children]


task_seeds = run_seeds  # the name tests and callers of the first version use


def run_task(args: tuple) -> dict:
    """One run of one point (picklable: the pool and Ray call it)."""
    index, scenario_ref, ci, point, seed = args
    from .runner import run

    scenario = load_scenario(point.get("template", scenario_ref))  # the crash template
    if ci:
        scenario = scenario.for_ci()
    report = run(apply_point(scenario, point), seed).report
    keep = ("bad_debt_usd", "insurance_fund_start_usd", "insurance_fund_min_usd",
            "liquidated_notional_usd", "backstop_notional_usd", "adl_count",
            "adl_notional_usd", "socialized_loss_usd", "fund_deficit_usd",
            "liquidations_count", "liq_delay_p99_s", "capital_efficiency", "mean_leverage",
            "final_state_root", "invariant_violations", "transactions_count")
    return {"task": index, "seed": seed, **{k: report[k] for k in keep}}


class Backend:
    """Runs lists of tasks and returns their results in task order: in this process, in a
    process pool (fork) or on Ray. Opened once per sweep, used once per batch."""

    def __init__(self, kind: str, workers: int) -> None:
        self.kind, self.workers = kind, workers
        self.pool: Any = None  # a ProcessPoolExecutor when local with workers > 1
        self.remote: Any = None  # run_task as a Ray remote function
        self.started_ray = False

    def __enter__(self) -> "Backend":
        if self.kind == "ray":
            import ray

            self.started_ray = not ray.is_initialized()
            if self.started_ray:
                ray.init(num_cpus=max(1, self.workers), include_dashboard=False,
                         log_to_driver=False, configure_logging=False)
            self.remote = ray.remote(run_task)
        elif self.workers > 1:
            import multiprocessing
            from concurrent.futures import ProcessPoolExecutor

            context = multiprocessing.get_context("fork")  # explicit: defaults differ
            self.pool = ProcessPoolExecutor(max_workers=self.workers, mp_context=context)
        return self

    def __exit__(self, *exc: object) -> None:
        if self.pool is not None:
            self.pool.shutdown()
        if self.started_ray:
            import ray

            ray.shutdown()

    def map(self, tasks: list[tuple], progress=None) -> list[dict]:
        results: list[dict] = []
        if self.kind == "ray":
            import ray

            pending = [self.remote.remote(task) for task in tasks]
            while pending:
                done, pending = ray.wait(pending, num_returns=1)
                results.extend(ray.get(done))
                if progress:
                    progress(len(done))
        elif self.pool is None:
            for task in tasks:
                results.append(run_task(task))
                if progress:
                    progress(1)
        else:
            from concurrent.futures import as_completed

            for future in as_completed([self.pool.submit(run_task, t) for t in tasks]):
                results.append(future.result())
                if progress:
                    progress(1)
        results.sort(key=lambda r: r["task"])
        return results


def stop_rule(sweep: Sweep, runs: int | None = None) -> StopRule:
    """The sweep's early-stop rule, with `runs` (the CLI's --runs) as the cap when given."""
    max_runs = runs or sweep.runs
    return StopRule(max_runs, max(1, min(sweep.batch, max_runs)), sweep.rel_tol,
                    sweep.abs_tol_usd)


def run_sweep(sweep: Sweep, backend: str = "local", workers: int = 1,
              progress=None, runs: int | None = None) -> dict:
    """Every point in batches of seeded runs until its p95s' intervals are narrow (or the cap);
    `progress(done, planned)` as runs finish. Which points go on after a batch depends only on
    the results so far, so every backend and worker count runs the same tasks."""
    rule = stop_rule(sweep, runs)
    design = points(sweep)
    seeds = run_seeds(sweep, rule.max_runs)
    done: list[list[dict]] = [[] for _ in design]
    stats: list[dict] = [{} for _ in design]
    active = list(range(len(design)))
    finished = 0
    with Backend(backend, workers) as pool:
        while active:
            tasks = []
            for p in active:
                first = len(done[p])
                for r in range(first, min(first + rule.batch, rule.max_runs)):
                    tasks.append((p * rule.max_runs + r, sweep.scenario, sweep.ci, design[p],
                                  seeds[r]))
            planned = finished + len(tasks)

            def tick(n: int, base=[finished]) -> None:  # noqa: B006 (a counter per batch)
                base[0] += n
                if progress:
                    progress(base[0], planned)
            for result in pool.map(tasks, tick):
                done[result["task"] // rule.max_runs].append(result)
            finished = planned
            still = []
            for p in active:
                stats[p] = point_stats(done[p], sweep.master_seed, p)
                if len(done[p]) < rule.max_runs and not rule.narrow(stats[p]):
                    still.append(p)
            active = still
    return summarize(sweep, design, done, stats, rule)


def summarize(sweep: Sweep, design: list[dict], done: list[list[dict]], stats: list[dict],
              rule: StopRule) -> dict:
    rows = []
    for p, point in enumerate(design):
        st = stats[p]
        rows.append({
            "point": point,
            "runs_used": st["runs_used"],
            "stats": st,
            # the first version's flat figures (the web app's Lab view reads these)
            "p95_bad_debt_usd": st["var95_usd"]["value"],
            "insurance_depletion_probability": st["depletion_probability"]["value"],
            "p95_liquidated_notional_usd": st["lar95_usd"]["value"],
            "capital_efficiency": st["capital_efficiency"]["value"],
            "invariant_violations": sum(r["invariant_violations"] for r in done[p]),
            "roots": [r["final_state_root"] for r in done[p]],
        })
    front = stats_frontier(stats)
    flags = monotonicity(design, stats)
    return {"sweep": sweep.name, "scenario": sweep.scenario, "runs_per_point": rule.max_runs,
            "batch": rule.batch, "rel_tol": rule.rel_tol, "abs_tol_usd": rule.abs_tol_usd,
            "interval_level": LEVEL, "bootstrap_resamples": BOOTSTRAP,
            "master_seed": sweep.master_seed, "design": sweep.design, "points": rows,
            "frontier": front, "monotonicity_flags": flags,
            "monotonicity_comparisons": comparisons(design),
            # the storms the points met: the scenarios run and the stress axes that vary
            "scenarios": sorted({p.get("template", sweep.scenario) for p in design}),
            "stress_axes": [a for a in STRESS_AXES if len({str(p.get(a)) for p in design}) > 1],
            # metric -> its one value, where every point's estimate and interval are that value
            "constant_metrics": constant_metrics(stats),
            "objective": dict(sweep.objective),
            "recommendation": recommend(stats, front, dict(sweep.objective))}


def frontier(rows: list[dict]) -> list[int]:
    """The interval-aware frontier of summarized rows (see stats.dominates)."""
    return stats_frontier([r["stats"] if "stats" in r else r for r in rows])

