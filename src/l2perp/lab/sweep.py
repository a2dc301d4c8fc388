"""Parameter sweeps: a grid or a Latin-hypercube design over risk parameters, several seeded runs
per point, run locally in a process pool or on Ray; per point the p95 bad debt, the insurance
depletion probability, the p95 liquidated notional and the capital efficiency; a frontier of
capital efficiency against p95 bad debt.

Task i (point x run) gets the i-th child of `SeedSequence(master_seed)`, so results depend on
neither the worker count nor the backend; results are collected and sorted by task index.
A sweep file is TOML: name, scenario, runs, master_seed, design ("grid" or "lhs"), samples (lhs),
(axis "template" picks the crash template: a list of scenario names)
ci (use the scenario's CI version) and [axes] with a list of values per axis (lhs draws between
each axis's min and max).
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from .metrics import percentile
from .scenario import Fault, Scenario, ScenarioError, build, load_scenario, read_toml

SHIPPED = Path(__file__).parent / "sweeps"
AXES = ("imf", "oi_cap_usd", "liq_fee", "insurance_seed_usd", "partial_fraction",
        "oracle_cadence_s", "outage_s", "grace_s", "crash_intensity", "template")


@dataclass(frozen=True)
class Sweep:
    name: str
    scenario: str
    axes: dict
    runs: int = 4
    master_seed: int = 1
    design: str = "grid"
    samples: int = 8
    ci: bool = True


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
    out = [{} for _ in range(n)]
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


def task_seeds(sweep: Sweep, n_tasks: int) -> list[int]:
    children = np.random.SeedSequence(sweep.master_seed).spawn(n_tasks)
    return [int(c.generate_state(1)[0]) for c in children]


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
            "socialized_loss_usd", "capital_efficiency", "mean_leverage", "final_state_root",
            "invariant_violations", "transactions_count")
    return {"task": index, "seed": seed, **{k: report[k] for k in keep}}


def run_sweep(sweep: Sweep, backend: str = "local", workers: int = 1,
              progress=None) -> dict:
    """All tasks of the sweep; `progress(done, total)` after each finished task."""
    design = points(sweep)
    seeds = task_seeds(sweep, len(design) * sweep.runs)
    tasks = [(i, sweep.scenario, sweep.ci, design[i // sweep.runs], seed)
             for i, seed in enumerate(seeds)]
    results: list[dict] = []
    if backend == "ray":
        results = _run_ray(tasks, workers, progress)
    elif workers <= 1:
        for task in tasks:
            results.append(run_task(task))
            if progress:
                progress(len(results), len(tasks))
    else:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor, as_completed

        context = multiprocessing.get_context("fork")  # explicit: the default differs by version
        with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
            futures = [pool.submit(run_task, task) for task in tasks]
            for future in as_completed(futures):
                results.append(future.result())
                if progress:
                    progress(len(results), len(tasks))
    results.sort(key=lambda r: r["task"])
    return summarize(sweep, design, results)


def _run_ray(tasks: list, workers: int, progress) -> list[dict]:
    import ray

    started = not ray.is_initialized()
    if started:
        ray.init(num_cpus=max(1, workers), include_dashboard=False, log_to_driver=False,
                 configure_logging=False)
    try:
        remote = ray.remote(run_task)
        pending = [remote.remote(task) for task in tasks]
        results = []
        while pending:
            done, pending = ray.wait(pending, num_returns=1)
            results.extend(ray.get(done))
            if progress:
                progress(len(results), len(tasks))
        return results
    finally:
        if started:
            ray.shutdown()


def summarize(sweep: Sweep, design: list[dict], results: list[dict]) -> dict:
    rows = []
    for p, point in enumerate(design):
        runs = results[p * sweep.runs:(p + 1) * sweep.runs]
        depleted = [r["insurance_fund_min_usd"] <= 0 or r["adl_count"] > 0 for r in runs]
        rows.append({
            "point": point,
            "p95_bad_debt_usd": percentile([r["bad_debt_usd"] + r["socialized_loss_usd"]
                                            for r in runs], 95),
            "insurance_depletion_probability": sum(depleted) / len(runs),
            "p95_liquidated_notional_usd": percentile([r["liquidated_notional_usd"]
                                                       + r["backstop_notional_usd"]
                                                       for r in runs], 95),
            "capital_efficiency": sum(r["capital_efficiency"] for r in runs) / len(runs),
            "invariant_violations": sum(r["invariant_violations"] for r in runs),
            "roots": [r["final_state_root"] for r in runs],
        })
    return {"sweep": sweep.name, "scenario": sweep.scenario, "runs_per_point": sweep.runs,
            "master_seed": sweep.master_seed, "design": sweep.design, "points": rows,
            "frontier": frontier(rows)}


def frontier(rows: list[dict]) -> list[int]:
    """Indices of the points no other point beats on both capital efficiency (higher) and p95
    bad debt (lower)."""
    out = []
    for i, a in enumerate(rows):
        dominated = any(
            b["capital_efficiency"] >= a["capital_efficiency"]
            and b["p95_bad_debt_usd"] <= a["p95_bad_debt_usd"]
            and (b["capital_efficiency"] > a["capital_efficiency"]
                 or b["p95_bad_debt_usd"] < a["p95_bad_debt_usd"])
            for j, b in enumerate(rows) if j != i)
        if not dominated:
            out.append(i)
    return out


def write_sweep(out: Path, summary: dict) -> None:
    """sweep.json and frontier.png + sweep.html (offline)."""
    import base64
    import html
    import io

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out.mkdir(parents=True, exist_ok=True)
    (out / "sweep.json").write_text(json.dumps(summary, indent=2, sort_keys=True) + "\n")
    rows = summary["points"]
    fig, ax = plt.subplots(figsize=(8, 5))
    xs = [r["capital_efficiency"] for r in rows]
    ys = [r["p95_bad_debt_usd"] for r in rows]
    ax.scatter(xs, ys, color="#4477aa", label="design points")
    front = sorted(summary["frontier"], key=lambda i: xs[i])
    ax.plot([xs[i] for i in front], [ys[i] for i in front], color="#cc3311", marker="o",
            label="frontier")
    ax.set_xlabel("capital efficiency (open interest / collateral)")
    ax.set_ylabel("p95 bad debt + socialized loss (USD)")
    ax.set_title(f"{summary['sweep']}: {summary['scenario']}")
    ax.legend()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=90, bbox_inches="tight")
    fig.savefig(out / "frontier.png", dpi=90, bbox_inches="tight")
    plt.close(fig)
    png = base64.b64encode(buffer.getvalue()).decode()
    table = "".join(
        f"<tr><td>{i}</td><td>{html.escape(json.dumps(r['point']))}</td>"
        f"<td>{r['p95_bad_debt_usd']:.2f}</td><td>{r['insurance_depletion_probability']:.2f}"
        f"</td><td>{r['p95_liquidated_notional_usd']:.0f}</td>"
        f"<td>{r['capital_efficiency']:.3f}</td></tr>" for i, r in enumerate(rows))
    (out / "sweep.html").write_text(
        "<!doctype html><html><head><meta charset='utf-8'><title>sweep</title></head><body>"
        f"<h1>{html.escape(summary['sweep'])}</h1><img src='data:image/png;base64,{png}'>"
        "<table border='1'><tr><th>#</th><th>point</th><th>p95 bad debt</th>"
        "<th>depletion probability</th><th>p95 liquidated</th><th>capital efficiency</th>"
        f"</tr>{table}</table></body></html>")
