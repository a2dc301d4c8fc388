"""Cached lab runs shared by the lab tests (one process may run several tests on one run)."""

from __future__ import annotations

from dataclasses import replace
from functools import lru_cache

from l2perp.lab.runner import RunResult, run
from l2perp.lab.scenario import load_scenario

SEEDS = (1, 2, 3)


@lru_cache(maxsize=None)
def ci_run(name: str, seed: int, faults: bool = True, fund_usd: float | None = None
           ) -> RunResult:
    """The CI version of a shipped scenario; optionally without its faults or with another
    insurance seed."""
    scenario = load_scenario(name).for_ci()
    if not faults:
        scenario = replace(scenario, faults=())
    if fund_usd is not None:
        scenario = replace(scenario, insurance_seed_usd=fund_usd)
    return run(scenario, seed)


def assert_activity(report: dict, transactions: int = 1_000, fills: int = 100,
                    agents: int = 30) -> None:
    """Minimum activity: the run was a market, not an empty loop."""
    assert report["transactions_count"] >= transactions, report["transactions_count"]
    assert report["fills_count"] >= fills, report["fills_count"]
    assert report["active_agents"] >= agents, report["active_agents"]
    assert report["invariant_violations"] == 0, report["invariant_details"]
