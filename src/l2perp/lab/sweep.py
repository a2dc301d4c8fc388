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
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from .stats import (
    BOOTSTRAP, LEVEL, StopRule, constant_metrics, monotonicity, point_stats, recommend,
)
from .stats import frontier as stats_frontier
from .scenario import Fault, Scenario, ScenarioError, build, load_scenario, read_toml

SHIPPED = Path(__file__).parent / "sweeps"
AXES = ("imf", "oi_cap_usd", "liq_fee", "insurance_seed_usd", "partial_fraction",
        "oracle_cadence_s", "outage_s", "grace_s", "crash_intensity", "template")


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
            # metric -> its one value, where every point's estimate and interval are that value
            "constant_metrics": constant_metrics(stats),
            "objective": dict(sweep.objective),
            "recommendation": recommend(stats, front, dict(sweep.objective))}


def frontier(rows: list[dict]) -> list[int]:
    """The interval-aware frontier of summarized rows (see stats.dominates)."""
    return stats_frontier([r["stats"] if "stats" in r else r for r in rows])


CSS = """
:root { --up: #1b7f3b; --down: #b3261e; --line: #e3e6ea; --muted: #5b6470; --accent: #2f5fd0;
        --bg: #f6f7f9; --card: #fff; }
* { box-sizing: border-box; }
body { font: 14px/1.4 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0; color: #14181f;
       background: var(--bg); }
header { padding: .5em 1em; background: #1d2633; color: #fff; }
main { padding: .8em 1em 2em; max-width: 1320px; margin: auto; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 6px;
        padding: .8em 1em; margin-bottom: 1em; }
h3 { margin: .1em 0 .5em; font-size: 1em; }
table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; }
th, td { text-align: right; padding: 3px 8px; border-bottom: 1px solid var(--line);
         white-space: nowrap; }
th { color: var(--muted); font-weight: 500; font-size: .88em; }
th:first-child, td:first-child, td.point { text-align: left; }
tr.front td:first-child { color: var(--accent); font-weight: 600; }
tr.pick td { background: #eef3ff; }
.ci { color: var(--muted); font-size: .85em; }
.flag { color: var(--down); }
.flat { color: #7a4b00; background: #fff7e6; border-left: 3px solid #e0a030; padding: .3em .6em; }
.muted { color: var(--muted); }
svg { max-width: 100%; height: auto; }
"""


SHORT = {"var95_usd": "VaR95", "lar95_usd": "LaR95", "depletion_probability": "P(fund depleted)",
         "capital_efficiency": "capital efficiency"}


def _value(metric: str, value: float) -> str:
    return f"${value:,.0f}" if metric.endswith("_usd") else f"{value:.3f}"


def swept(rows: list[dict]) -> str:
    """The design's ranges, as a clause: 'imf 0.05 .. 0.125, insurance_seed_usd 5,000 ..
    100,000' (a categorical axis lists its values)."""
    parts = []
    for axis in sorted({a for r in rows for a in r["point"]}):
        values = [r["point"][axis] for r in rows if axis in r["point"]]
        if all(isinstance(v, (int, float)) for v in values):
            low, high = min(values), max(values)
            parts.append(f"{axis} {low:,g}" if low == high else f"{axis} {low:,g} .. {high:,g}")
        else:
            parts.append(f"{axis} {', '.join(sorted(set(map(str, values))))}")
    return ", ".join(parts)


def constant_notes(summary: dict, metrics: tuple[str, ...] = tuple(SHORT)) -> list[str]:
    """A sentence per metric (of `metrics`) that did not vary across the points: its value,
    over which design, and what follows for the frontier."""
    rows = summary["points"]
    flat = summary.get("constant_metrics", {})
    notes = []
    for metric, value in ((m, flat[m]) for m in metrics if m in flat):
        what = f"{SHORT[metric]} did not vary: {_value(metric, value)}, interval " \
               f"[{_value(metric, value)}, {_value(metric, value)}], at all {len(rows)} points " \
               f"({swept(rows)})"
        if metric == "var95_usd":
            what += "; it separates no point, so the frontier and the recommendation rest on " \
                    "capital efficiency alone"
        elif metric == "capital_efficiency":
            what += "; the frontier and the recommendation rest on VaR95 alone"
        notes.append(what + ".")
    return notes


def _flatten(ax, which: str, metric: str, value: float) -> None:
    """A constant metric's axis: one tick at its value, a range around it, and a label that
    says so, instead of a flat line on an axis of rounding noise."""
    pad = max(abs(value) * 0.5, 1.0)
    label = f"{_value(metric, value)} at every point"
    if which == "y":
        ax.set_ylim(value - pad, value + pad)
        ax.set_yticks([value], [label])
    else:
        ax.set_xlim(value - pad, value + pad)
        ax.set_xticks([value], [label])


def _plot(summary: dict):
    """The frontier figure: every point with its 90% interval bars on both axes, labelled by
    its index; the frontier in the accent colour, the recommended point ringed. A metric that
    did not vary gets one tick at its value and a note in the plot."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = summary["points"]
    front = set(summary["frontier"])
    pick = summary["recommendation"]["point"]
    fig, ax = plt.subplots(figsize=(8, 5))
    for i, r in enumerate(rows):
        ce, var = r["stats"]["capital_efficiency"], r["stats"]["var95_usd"]
        colour = "#2f5fd0" if i in front else "#8a929c"
        ax.errorbar(ce["value"], var["value"],
                    xerr=[[ce["value"] - ce["low"]], [ce["high"] - ce["value"]]],
                    yerr=[[var["value"] - var["low"]], [var["high"] - var["value"]]],
                    fmt="o", color=colour, ecolor=colour, elinewidth=1, capsize=3, ms=5)
    at: dict[tuple, list[int]] = {}  # points that land on one spot share one label
    for i, r in enumerate(rows):
        key = (r["stats"]["capital_efficiency"]["value"], r["stats"]["var95_usd"]["value"])
        at.setdefault(key, []).append(i)
    for (x, y), ids in at.items():
        ax.annotate(",".join(map(str, ids)), (x, y), textcoords="offset points",
                    xytext=(5, 5), fontsize=8, color="#14181f")
    order = sorted(front, key=lambda i: rows[i]["stats"]["capital_efficiency"]["value"])
    ax.plot([rows[i]["stats"]["capital_efficiency"]["value"] for i in order],
            [rows[i]["stats"]["var95_usd"]["value"] for i in order], color="#2f5fd0", lw=1,
            label="frontier (beyond the intervals)")
    if pick is not None:
        ce, var = rows[pick]["stats"]["capital_efficiency"], rows[pick]["stats"]["var95_usd"]
        ax.scatter([ce["value"]], [var["value"]], s=220, facecolors="none",
                   edgecolors="#1b7f3b", linewidths=2, label=f"recommended: point {pick}")
    ax.set_xlabel("capital efficiency: takers' notional / collateral (mean, 90% interval)")
    ax.set_ylabel("VaR95: p95 of bad debt + socialized loss, USD (90% interval)")
    ax.set_title(f"{summary['sweep']} on {summary['scenario']}")
    ax.grid(color="#e3e6ea", lw=.6)
    flat = summary.get("constant_metrics", {})
    said = []
    for which, metric in (("x", "capital_efficiency"), ("y", "var95_usd")):
        if metric in flat:
            _flatten(ax, which, metric, flat[metric])
            said.append(f"{SHORT[metric]} did not vary: {_value(metric, flat[metric])} "
                        f"at all {len(rows)} points")
    if said:
        ax.text(0.5, 0.75, "\n".join(said), transform=ax.transAxes, ha="center", va="center",
                fontsize=10, color="#5b6470",
                bbox={"boxstyle": "round", "fc": "#f6f7f9", "ec": "#e3e6ea"})
    ax.legend(loc="lower right" if said else "best", fontsize=8)
    return fig, plt


def _cell(m: dict, money: bool) -> str:
    if money:
        return (f"{m['value']:,.0f}<div class='ci'>[{m['low']:,.0f}, {m['high']:,.0f}]</div>")
    return f"{m['value']:.3f}<div class='ci'>[{m['low']:.3f}, {m['high']:.3f}]</div>"


def write_sweep(out: Path, summary: dict) -> None:
    """sweep.json, frontier.png and sweep.html (styled like the web app's Lab view, offline:
    the figure is inline SVG)."""
    import html
    import io

    out.mkdir(parents=True, exist_ok=True)
    (out / "sweep.json").write_text(json.dumps(summary, indent=2, sort_keys=True) + "\n")
    fig, plt = _plot(summary)
    fig.savefig(out / "frontier.png", dpi=90, bbox_inches="tight")
    buffer = io.StringIO()
    with plt.rc_context({"svg.hashsalt": summary["sweep"]}):  # the same page every time
        fig.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    plt.close(fig)
    svg = buffer.getvalue()
    svg = svg[svg.index("<svg"):]
    rows = summary["points"]
    front = set(summary["frontier"])
    rec = summary["recommendation"]
    axes = sorted({a for r in rows for a in r["point"]})
    body = []
    for i, r in enumerate(rows):
        st = r["stats"]
        cls = " ".join(c for c, on in (("front", i in front), ("pick", i == rec["point"])) if on)
        cells = "".join(f"<td class='point'>{html.escape(str(r['point'].get(a, '')))}</td>"
                        for a in axes)
        body.append(
            f"<tr class='{cls}'><td>{i}{' *' if i in front else ''}</td>{cells}"
            f"<td>{r['runs_used']}</td><td>{_cell(st['var95_usd'], True)}</td>"
            f"<td>{_cell(st['lar95_usd'], True)}</td>"
            f"<td>{_cell(st['depletion_probability'], False)}</td>"
            f"<td>{_cell(st['capital_efficiency'], False)}</td>"
            f"<td>{st['mean_liq_delay_p99_s']:,.0f}</td>"
            f"<td>{r['invariant_violations']}</td></tr>")
    flags = summary["monotonicity_flags"]
    flag_html = ("<ul>" + "".join(f"<li class='flag'>{html.escape(f['explanation'])}</li>"
                                  for f in flags) + "</ul>") if flags else \
        "<p class='muted'>No metric moves against its parameter beyond the intervals.</p>"
    pick = rec["point"]
    rec_html = (f"<p><b>Point {pick}</b> {html.escape(json.dumps(rows[pick]['point']))}: "
                f"{html.escape(rec['why'])}.</p>" if pick is not None else "<p>none</p>")
    head = "".join(f"<th>{html.escape(a)}</th>" for a in axes)
    flat = summary.get("constant_metrics", {})

    def th(metric: str, text: str) -> str:
        mark = "<div class='ci'>did not vary</div>" if metric in flat else ""
        return f"<th>{text}{mark}</th>"
    plotted = "".join(f"<p class='flat'>{html.escape(n)}</p>"
                      for n in constant_notes(summary, ("var95_usd", "capital_efficiency")))
    flat_html = "".join(f"<p class='flat'>{html.escape(n)}</p>" for n in constant_notes(summary))
    (out / "sweep.html").write_text(
        "<!doctype html><html><head><meta charset='utf-8'>"
        f"<title>{html.escape(summary['sweep'])}: sweep</title><style>{CSS}</style></head>"
        f"<body><header><b>l2perp lab</b> &middot; sweep {html.escape(summary['sweep'])} on "
        f"{html.escape(summary['scenario'])}</header><main>"
        "<div class='card'><h3>Recommended parameter set</h3>"
        f"<p class='muted'>Objective: {html.escape(rec['objective'])}.</p>{rec_html}</div>"
        f"<div class='card'><h3>Frontier</h3>{plotted}{svg}<p class='muted'>Bars are 90% "
        "percentile-"
        f"bootstrap intervals ({summary['bootstrap_resamples']} resamples, seeded by the "
        "sweep's master seed). A point leaves the frontier only when another beats it beyond "
        "the intervals.</p></div>"
        f"<div class='card'><h3>Monotonicity flags ({len(flags)})</h3>{flag_html}</div>"
        "<div class='card'><h3>Points</h3><table><tr><th>#</th>"
        f"{head}<th>runs</th>{th('var95_usd', 'VaR95 ($)')}{th('lar95_usd', 'LaR95 ($)')}"
        f"{th('depletion_probability', 'P(fund depleted)')}"
        f"{th('capital_efficiency', 'capital efficiency')}<th>liq. delay p99 (s, mean)</th>"
        f"<th>invariant violations</th></tr>{''.join(body)}</table>{flat_html}"
        f"<p class='muted'>Up to {summary['runs_per_point']} runs per point in batches of "
        f"{summary['batch']}, stopping once each p95's interval is at most "
        f"{summary['rel_tol']:g} x its estimate (or ${summary['abs_tol_usd']:,.0f}) wide; run r "
        "uses the same seed at every point. * marks the frontier.</p></div>"
        "</main></body></html>\n")
