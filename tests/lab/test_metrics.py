"""The liquidation delay: per liquidated unit, from its first eligibility (below maintenance at
the index, or found liquidatable by a block) to its liquidation."""

from __future__ import annotations

import pytest

from l2perp.lab.runner import run
from l2perp.lab.scenario import load_scenario


@pytest.mark.parametrize("name", ["sequencer_outage_78m", "l1_gas_spike"])
def test_the_liquidation_delay_is_positive_under_an_outage_and_a_gas_spike(name: str) -> None:
    result = run(load_scenario(name).for_ci(), 7)
    report, metrics = result.report, result.metrics
    assert metrics.liquidations > 0
    assert len(metrics.delays_ms) == len(metrics.venue_delays_ms) == metrics.liquidations
    assert all(d >= v >= 0 for d, v in zip(metrics.delays_ms, metrics.venue_delays_ms))
    assert report["liq_delay_p50_s"] > 0 and report["liq_delay_p99_s"] > 0
    if name == "sequencer_outage_78m":  # eligible during the outage, liquidated after it
        outage = result.sim.kernel.outages[0]
        grace_s = result.sim.scenario.post_outage_grace_s
        assert report["liq_delay_p99_s"] > grace_s
        assert report["liq_delay_p99_s"] <= (outage.end_ms - outage.start_ms) // 1_000 + 2 * grace_s
