"""Sweeps: the same results with 1 and 2 local workers and on a local Ray instance started by
the test; designs, seeds and the frontier."""

from __future__ import annotations

import json

from l2perp.lab.sweep import frontier, load_sweep, points, run_sweep, task_seeds, write_sweep


def test_the_results_do_not_depend_on_workers_or_backend(tmp_path) -> None:
    sweep = load_sweep("ci_small")
    one = run_sweep(sweep, "local", 1)
    two = run_sweep(sweep, "local", 2)
    ray = run_sweep(sweep, "ray", 2)
    assert one == two == ray
    assert len(one["points"]) == 2 and all(len(p["roots"]) == 2 for p in one["points"])
    assert all(p["invariant_violations"] == 0 for p in one["points"])
    roots = [r for p in one["points"] for r in p["roots"]]
    assert len(set(roots)) == 4  # every task its own seed
    write_sweep(tmp_path, one)
    assert json.loads((tmp_path / "sweep.json").read_text()) == json.loads(json.dumps(one))
    assert (tmp_path / "frontier.png").stat().st_size > 1_000


def test_grid_and_latin_hypercube_designs() -> None:
    grid = load_sweep("margin_vs_fund")
    assert len(points(grid)) == 12
    lhs = load_sweep("risk_lhs")
    design = points(lhs)
    assert len(design) == 12 and design == points(lhs)
    assert {p["template"] for p in design} == set(lhs.axes["template"])  # categorical
    for axis, values in lhs.axes.items():
        if axis == "template":
            continue
        low, high = min(values), max(values)
        column = sorted(p[axis] for p in design)
        assert low <= column[0] and column[-1] <= high
        strata = {min(11, int((v - low) / (high - low) * 12)) for v in column}
        assert len(strata) >= 10  # one sample per stratum, up to rounding
    assert task_seeds(grid, 5) == task_seeds(grid, 5)[:5]


def test_the_frontier_keeps_only_undominated_points() -> None:
    rows = [{"capital_efficiency": 1.0, "p95_bad_debt_usd": 0.0},
            {"capital_efficiency": 2.0, "p95_bad_debt_usd": 10.0},
            {"capital_efficiency": 1.5, "p95_bad_debt_usd": 20.0},  # dominated by 1
            {"capital_efficiency": 0.5, "p95_bad_debt_usd": 0.0}]  # dominated by 0
    assert frontier(rows) == [0, 1]
