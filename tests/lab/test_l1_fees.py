"""The L1 data fee in the lab (lab/l1fees.py): under `l1_gas_spike` (its full three hours, the
L1 priced at $3,000 per ETH, batches a minute apart) the raw pass-through of the L1 base fee
jumps by far more than the published hourly rate may move, while the published rate steps
within its bound each hour; the fee pool absorbs the difference and the reconciler's R6 holds;
the report says so in a finding and a chart."""

from __future__ import annotations

import pytest

from l2perp.engine.l1fee import step_bound_e9
from l2perp.engine.params import L1FeeConfig
from l2perp.lab.l1fees import hour_pairs, max_change_within
from l2perp.lab.report import render_html
from l2perp.lab.runner import run
from l2perp.lab.scenario import ScenarioError, load_scenario, parse_scenario


@pytest.fixture(scope="module")
def spike():
    return run(load_scenario("l1_gas_spike"), 1)


def test_the_published_rate_moves_within_its_bound_while_raw_pass_through_does_not(
        spike) -> None:
    fee = spike.report["rollup"]["l1_fee"]
    assert fee["published_within_bound"]
    assert fee["published_max_hourly_change_bp"] <= fee["published_step_bound_bp"]
    assert fee["published_max_hourly_change_bp"] > 0  # it did move, once the spike was seen
    # raw pass-through moves by more than the bound within an hour, several times over
    assert fee["raw_max_hourly_change_bp"] > 5 * fee["published_step_bound_bp"]
    assert fee["raw_bp"]["variance"] > 100 * fee["published_bp"]["variance"]
    assert fee["base_fee_gwei_max"] >= 6 * fee["base_fee_gwei_min"]
    # the pool absorbed the difference: costs beyond the charges, and L1 and L2 agree on them
    assert fee["pool_worst_balance_usd"] < 0
    assert fee["costs_usd"] > fee["charged_usd"] > 0
    assert spike.report["rollup"]["reconciler_mismatches"] == 0
    assert spike.report["l1_fee_max_hourly_change_bp"] == fee["published_max_hourly_change_bp"]


def test_the_report_states_the_comparison_and_draws_it(spike) -> None:
    html = render_html(spike.report, spike.metrics.series, spike.metrics.events)
    assert "L1 data fee: published hourly rate against raw pass-through" in html
    assert "within its bound" in html and "the fee pool absorbed the difference" in html
    assert "L1 data fee, largest hourly change" in html


def test_hourly_helpers_on_hand_made_paths() -> None:
    t = [0, 1_800, 3_600, 5_400, 7_200]
    assert hour_pairs(t, [10, 10, 20, 20, 15]) == [(10, 20), (20, 15)]
    assert hour_pairs([0, 7_200], [1, 2]) == []  # hours 0 and 2 are not consecutive
    assert max_change_within(t, [10, 40, 20, 20, 15], 3_600) == 30
    assert max_change_within(t, [10, 40, 20, 20, 15], 1_800) == 30
    assert max_change_within([0, 3_601], [0, 99], 3_600) == 0  # farther apart than the window
    config = L1FeeConfig()
    assert step_bound_e9(config, 60_000) == 15_000


@pytest.mark.parametrize("table, text", [
    ({"eth_usd": 0}, "eth_usd > 0"), ({"spike_multiple": 0}, "spike_multiple >= 1"),
    ({"gas_per_million_usd": -1}, "gas_per_million_usd >= 0"), ({"nope": 1}, "l1_fee"),
])
def test_a_bad_l1_fee_table_is_refused_with_its_field(table, text) -> None:
    data = {"markets": [{"name": "ETH", "sz_decimals": 4, "price": 3000}], "l1_fee": table}
    with pytest.raises(ScenarioError, match=text):
        parse_scenario(data, "bad")
