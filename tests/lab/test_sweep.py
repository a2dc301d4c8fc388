"""Sweeps: the same results with 1 and 2 local workers and on a local Ray instance started by
the test; designs, seeds, the early stop, the bootstrap intervals, the interval-aware frontier,
the monotonicity flags and the recommendation."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np

from l2perp.lab import sweep as sweep_module
from l2perp.lab import sweep_page
from l2perp.lab.sweep_page import monotonicity_note
from l2perp.lab.stats import bootstrap, comparisons, dominates, monotonicity, recommend
from l2perp.lab.sweep import (
    Sweep, frontier, load_sweep, points, run_seeds, run_sweep, task_seeds, write_sweep,
)


def test_the_results_do_not_depend_on_workers_or_backend(tmp_path) -> None:
    # two rounds: 2 runs per point, then the third (a tolerance no interval meets)
    sweep = replace(load_sweep("ci_small"), runs=3, rel_tol=0.001, abs_tol_usd=0.0)
    one = run_sweep(sweep, "local", 1)
    two = run_sweep(sweep, "local", 2)
    ray = run_sweep(sweep, "ray", 2)
    assert one == two == ray
    assert len(one["points"]) == 2 and all(len(p["roots"]) == 3 for p in one["points"])
    assert all(p["invariant_violations"] == 0 for p in one["points"])
    roots = [r for p in one["points"] for r in p["roots"]]
    assert len(set(roots)) == 6  # the same seeds at both points, different margins
    assert [p["runs_used"] for p in one["points"]] == [3, 3]
    write_sweep(tmp_path, one)
    assert json.loads((tmp_path / "sweep.json").read_text()) == json.loads(json.dumps(one))
    assert (tmp_path / "frontier.png").stat().st_size > 1_000
    page = (tmp_path / "sweep.html").read_text()
    assert "<svg" in page and "<style>" in page and "Recommended parameter set" in page
    assert not any(x in page for x in ("src=\"http", "src='http", "<link", "<script"))  # offline
    write_sweep(tmp_path / "again", one)
    assert (tmp_path / "again" / "sweep.html").read_text() == page


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


def ci(value: float, low: float, high: float) -> dict:
    return {"value": value, "low": low, "high": high}


def row(ce: tuple, var: tuple, **more) -> dict:
    return {"capital_efficiency": ci(*ce), "var95_usd": ci(*var), **more}


def test_a_point_dominates_only_beyond_the_intervals() -> None:
    rows = [row((1.0, 0.9, 1.1), (0, 0, 0)),
            row((2.0, 1.9, 2.1), (10, 5, 15)),
            row((1.5, 1.4, 1.6), (20, 18, 22)),  # beaten by 1 beyond both intervals
            row((0.95, 0.8, 1.2), (0, 0, 0)),  # below 0's estimate, inside its interval
            row((1.9, 1.8, 2.2), (11, 4, 16))]  # 1 is better by the estimates only
    assert dominates(rows[1], rows[2]) and not dominates(rows[2], rows[1])
    assert not dominates(rows[0], rows[3])
    assert not dominates(rows[1], rows[4])
    assert frontier(rows) == [0, 1, 3, 4]


def test_the_bootstrap_interval_is_seeded_and_brackets_the_p95() -> None:
    values = np.array([float(v) for v in range(1, 101)])
    assert bootstrap(values, "p95", [1, 0, 0]) == (95.0, 90.0, 98.0)  # raw PCG64 words
    assert bootstrap(values, "p95", [1, 0, 0]) == bootstrap(values.copy(), "p95", [1, 0, 0])
    assert bootstrap(values[:20], "p95", [1, 0, 0]) == (19.0, 16.0, 20.0)  # wider with fewer
    assert bootstrap(values, "mean", [1, 0, 1]) == (50.5, 45.69, 55.13)
    assert bootstrap(np.zeros(7), "p95", [1, 0, 0]) == (0.0, 0.0, 0.0)


def fake_run(args: tuple) -> dict:
    """A run without the simulation: point 0 never loses; point 1 loses a seed-driven amount."""
    index, _, _, point, seed = args
    loss = 0.0 if point["imf"] == 0.2 else float(seed % 100_000)
    return {"task": index, "seed": seed, "bad_debt_usd": loss, "socialized_loss_usd": 0.0,
            "insurance_fund_start_usd": 1e6, "insurance_fund_min_usd": 1e6,
            "liquidated_notional_usd": 0.0, "backstop_notional_usd": 0.0, "adl_count": 0,
            "adl_notional_usd": 0.0, "fund_deficit_usd": 0.0, "liquidations_count": 0,
            "liq_delay_p99_s": 0.0, "capital_efficiency": 1.0, "mean_leverage": 1.0,
            "final_state_root": f"0x{seed:x}", "invariant_violations": 0,
            "transactions_count": 0}


def test_each_point_stops_early_once_its_interval_is_narrow(monkeypatch) -> None:
    monkeypatch.setattr(sweep_module, "run_task", fake_run)
    spec = Sweep(name="t", scenario="jelly_like", axes={"imf": [0.2, 0.333]}, runs=50,
                 batch=10, rel_tol=0.01, abs_tol_usd=1.0)
    summary = run_sweep(spec, "local", 1)
    quiet, noisy = summary["points"]
    assert quiet["runs_used"] == 10  # a zero-width interval after the first batch
    assert noisy["runs_used"] == 50  # never narrow enough: the cap
    seeds = run_seeds(spec, 50)
    assert noisy["roots"] == [f"0x{s:x}" for s in seeds]  # run r has seed r at every point
    assert quiet["roots"] == noisy["roots"][:10]
    assert run_sweep(spec, "local", 1, runs=20)["points"][1]["runs_used"] == 20  # --runs


def test_monotonicity_flags_a_move_against_the_parameter_beyond_the_intervals() -> None:
    design = [{"imf": 0.05, "insurance_seed_usd": 5000},
              {"imf": 0.05, "insurance_seed_usd": 25000},
              {"imf": 0.1, "insurance_seed_usd": 5000},
              {"imf": 0.1, "insurance_seed_usd": 25000}]
    extra = {"depletion_probability": ci(0.5, 0.4, 0.6)}
    rows = [row((2.0, 1.9, 2.1), (10_000, 8_000, 12_000), mean_fund_deficit_usd=0.0, **extra),
            row((2.0, 1.9, 2.1), (30_000, 25_000, 35_000), mean_fund_deficit_usd=9_000.0,
                **extra),  # a bigger fund, more loss: flagged
            row((2.05, 1.8, 2.3), (9_000, 5_000, 13_000), **extra),  # more margin, within
            row((1.0, 0.9, 1.1), (12_000, 6_000, 14_000), **extra)]
    flags = monotonicity(design, rows)
    assert [(f["axis"], f["metric"], f["from"], f["to"]) for f in flags] == [
        ("insurance_seed_usd", "var95_usd", 0, 1)]
    sentence = flags[0]["explanation"]
    assert "insurance_seed_usd goes 5000 -> 25000 at imf 0.05" in sentence
    assert "negative equity" in sentence and "$10,000 [8,000, 12,000]" in sentence


def test_the_recommendation_respects_the_objective_at_the_interval_high_end() -> None:
    rows = [row((1.0, 0.9, 1.1), (1_000, 500, 1_500)),
            row((2.0, 1.9, 2.1), (15_000, 9_000, 25_000)),
            row((1.5, 1.4, 1.6), (8_000, 6_000, 19_000))]
    objective = {"maximize": "capital_efficiency", "var95_usd_max": 20_000}
    assert recommend(rows, [0, 1, 2], objective)["point"] == 2
    assert recommend(rows, [0, 1, 2], objective)["objective"] == \
        "maximize capital_efficiency, var95_usd <= $20,000 (interval high end)"
    none = recommend(rows, [1, 2], {"var95_usd_max": 100})
    assert none["point"] == 2 and not none["feasible"]


def flat_run(args: tuple) -> dict:
    """A run that never loses: VaR95 is $0 at every point; more margin, less efficiency."""
    run = fake_run(args)
    point = args[3]
    return {**run, "bad_debt_usd": 0.0, "capital_efficiency": 1.0 / point["imf"] / 5}


def test_a_metric_that_does_not_vary_is_said_so_and_gets_a_sensible_axis(monkeypatch,
                                                                          tmp_path) -> None:
    monkeypatch.setattr(sweep_module, "run_task", flat_run)
    spec = Sweep(name="flat", scenario="jelly_like", axes={"imf": [0.2, 0.333]}, runs=4,
                 batch=4)
    summary = run_sweep(spec, "local", 1)
    assert summary["constant_metrics"] == {"var95_usd": 0.0, "lar95_usd": 0.0,
                                           "depletion_probability": 0.0}
    assert summary["frontier"] == [0]  # capital efficiency alone separates the points
    write_sweep(tmp_path, summary)
    page = (tmp_path / "sweep.html").read_text()
    assert ("VaR95 did not vary: $0, interval [$0, $0], at all 2 points (imf 0.2 .. 0.333); "
            "it separates no point, so the frontier and the recommendation rest on capital "
            "efficiency alone.") in page
    assert page.count("<div class='ci'>did not vary</div>") == 3  # VaR95, LaR95, P(depleted)
    fig, plt = sweep_page._plot(summary)
    ax = fig.axes[0]
    assert ax.get_ylim() == (-1.0, 1.0)  # not an axis of rounding noise around 0
    assert [t.get_text() for t in ax.get_yticklabels()] == ["$0 at every point"]
    assert any("VaR95 did not vary: $0 at all 2 points" in t.get_text() for t in ax.texts)
    assert len(ax.get_xticks()) > 1  # capital efficiency varies: its axis is left alone
    plt.close(fig)
    varied = replace(spec, name="varied")
    monkeypatch.setattr(sweep_module, "run_task", fake_run)
    assert "var95_usd" not in run_sweep(varied, "local", 1)["constant_metrics"]


def test_a_latin_hypercube_says_no_monotonicity_check_applies() -> None:
    assert comparisons(points(load_sweep("risk_lhs"))) == 0  # no two points share the rest
    assert comparisons(points(load_sweep("margin_vs_fund"))) == 34  # (9 imf + 8 fund) x 2
    lhs = {"design": "lhs", "monotonicity_comparisons": 0}
    assert monotonicity_note(lhs).startswith("No monotonicity check applies to this design: a "
                                             "Latin hypercube has no two points")
    grid = {"design": "grid", "monotonicity_comparisons": 34}
    assert monotonicity_note(grid) == ("No metric moves against its parameter beyond the "
                                       "intervals (34 comparisons).")


def test_a_recommendation_under_varying_stress_names_the_venue_parameters_apart(
        monkeypatch, tmp_path) -> None:
    monkeypatch.setattr(sweep_module, "run_task", fake_run)
    spec = Sweep(name="storms", scenario="jelly_like", runs=2, batch=2,
                 axes={"imf": [0.2, 0.333], "crash_intensity": [0.5, 1.5]})
    summary = run_sweep(spec, "local", 1)
    assert summary["stress_axes"] == ["crash_intensity"]
    assert summary["scenarios"] == ["jelly_like"]
    pick = summary["recommendation"]["point"]
    assert summary["points"][pick]["point"] == {"crash_intensity": 0.5, "imf": 0.2}
    write_sweep(tmp_path, summary)
    page = (tmp_path / "sweep.html").read_text()
    assert "Venue parameters: imf 0.2." in page
    assert "This design varies the storm as well as the venue: crash_intensity differs" in page
    assert f"Point {pick} met crash_intensity 0.5 (the low end of 0.5 .. 1.5)." in page
