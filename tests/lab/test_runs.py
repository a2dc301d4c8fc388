"""Every shipped scenario runs (its CI version) with zero invariant violations and ends at its
golden state root; the root repeats in fresh processes with other PYTHONHASHSEEDs; the
reports hold every figure the issue names, and the HTML embeds its plots."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest

from l2perp import build
from l2perp.lab.report import write_run
from l2perp.lab.runner import run
from l2perp.lab.scenario import ScenarioError, load_scenario, parse_scenario, shipped_names

GOLDEN_SEED = 7
GOLDEN = {  # final_state_root of each CI version at seed 7
    "flashloan_governance": "0x2b4645f1b4d3c038e1ceacbd7f3d0b878072693294658f82b7efda4e3ff06010",
    "fraudulent_batch": "0xd6970f1e201388b2f9c7dee8c7914d2a738e980babde2a1aa34c8322e95d8754",
    "ftx_like": "0x018ed8711a1834a9e2f11c28b8f12e56142335a8b938d1a5a519ae259b9c4512",
    "jelly_like": "0x9c0a6fda9f21f477bed2120f5f210ea9ff0f110d4af563ecf8e64ff9a9ac35c3",
    "l1_gas_spike": "0xd4f7f595a2de477041cdd45ada0bad68b67b9d901437aa389ef6c78b9be2a1a6",
    "mar12_like": "0xe97086d916e0f91a03994ffb98286e11c20652be789f2f7e3b0d42cf0f81ce5f",
    "may19_like": "0x09ebf8203422c7b5e5ce048c016a80b5b5cab36864325f90c76154720da09272",
    "oct10_like": "0x01778170bc815f699d26f7acb6f77fb2794302537c6a4980cbab617e1695595b",
    "oracle_stall": "0x03411c8f888c56d79169e856046385457a67a2e8a4284b8affb4a41855582b55",
    "prover_lag": "0xae816cbf62971c8bc373cd8a8f95bd8171255a2993241909e8860342364f2fa1",
    "sequencer_outage_78m": "0xb177e56ef4b52d354774c73efa0db1c50e9a56f311a5c0d0612587534c53ccda",
}
REQUIRED = ("bad_debt_usd", "insurance_fund_start_usd", "insurance_fund_min_usd",
            "insurance_fund_end_usd", "liquidations_count", "liquidated_notional_usd",
            "backstop_notional_usd", "adl_count", "adl_notional_usd", "adl_excess_usd",
            "liq_delay_p50_s", "liq_delay_p99_s", "max_basis_bps", "mean_leverage",
            "capital_efficiency", "invariant_violations", "final_state_root", "seed",
            "scenario", "transactions_count", "fills_count", "active_agents")


def test_every_shipped_scenario_has_a_golden_root_and_cites_its_event() -> None:
    assert set(shipped_names()) == set(GOLDEN)
    for name in shipped_names():
        scenario = load_scenario(name)
        assert scenario.cites and scenario.description and scenario.name == name


@pytest.mark.parametrize("name", sorted(GOLDEN))
def test_same_seed_same_root_and_no_invariant_violation(name: str) -> None:
    result = run(load_scenario(name).for_ci(), GOLDEN_SEED)
    report = result.report
    assert report["invariant_violations"] == 0, report["invariant_details"]
    assert report["final_state_root"] == GOLDEN[name]
    assert all(key in report for key in REQUIRED)
    if name == "oct10_like":  # the integer index path it ran on (tests/lab/test_prices.py)
        assert report["price_path_digest"] == \
            "bbb4446cb9e7ea23a9168eebfe223d3dee99fc82856c75550b39ae74fa9b4748"
    if name == "fraudulent_batch":
        rollup = report["rollup"]
        assert rollup["frauds_proven"] == 1 and rollup["batches_reverted"] >= 1
        assert rollup["poster_slashed_usd"] > 0 and not rollup["frozen"]
    if name == "prover_lag":  # a settlement run: the validity model, its prover stopped
        settlement = report["rollup"]["settlement"]
        assert report["settlement_model"] == "validity" and settlement["exit_mode"] is None
        assert settlement["withdrawals"] == 59 and settlement["never_final"] == 0
        start = result.sim.kernel.start_ms  # the CI outage: 300 s to 1,575 s
        finals = [b.finalized_ms - start for b in result.sim.rollup.l1.batches if b.finalized_ms]
        assert finals and not any(300_000 <= t < 1_575_000 for t in finals)
    if name == "flashloan_governance":
        attacks = report["governance_attacks"]
        assert [a["kind"] for a in attacks] == ["flashloan_governance", "low_turnout_proposal",
                                                "content_swap"]
        assert not any(a["succeeded"] for a in attacks)
        assert attacks[0]["attacker_vote_weight"] == 20_000  # own power; borrowed weighs 0
        assert attacks[1]["state"] == "Defeated"
        assert any("content hash" in r for r in attacks[2]["refusals"])


SCRIPT = ("from l2perp.lab.runner import run; from l2perp.lab.scenario import load_scenario; "
          "print(run(load_scenario('oracle_stall').for_ci(), 7).report['final_state_root'])")


def test_the_root_repeats_under_other_hash_seeds() -> None:
    for seed in ("0", "977"):
        env = dict(os.environ, PYTHONHASHSEED=seed)
        out = subprocess.run([sys.executable, "-c", SCRIPT], env=env, capture_output=True,
                             text=True, check=True)
        assert out.stdout.strip() == GOLDEN["oracle_stall"]


BUILD_SCRIPT = (
    "import json, dataclasses; from l2perp import build; from l2perp.lab.runner import run; "
    "from l2perp.lab.scenario import load_scenario; "
    "r = run(load_scenario('jelly_like').for_ci(), 2); "
    "s = r.metrics.series; print(build.BUILD); print(r.report['liquidations_count']); "
    "print(json.dumps([r.report, r.metrics.events, r.metrics.delays_ms, "
    "[getattr(s, f.name) for f in dataclasses.fields(s)]], sort_keys=True))")


@pytest.mark.skipif(build.BUILD != build.COMPILED, reason=f"no compiled core here: {build.REASON}")
def test_compiled_and_interpreted_labs_give_the_same_report_series_and_events() -> None:
    """The lab's hot modules are compiled with the core (build.py): every figure of a run with
    liquidations, not only its root, is the same as the interpreted lab's (compared as JSON
    text: the series hold NaN)."""
    outs = [subprocess.run([sys.executable, "-c", BUILD_SCRIPT], capture_output=True, text=True,
                           check=True, env=dict(os.environ, L2PERP_PURE=pure)).stdout.split("\n")
            for pure in ("", "1")]
    (compiled, liquidations, figures), (interpreted, _, figures_pure) = (o[:3] for o in outs)
    assert (compiled, interpreted) == (build.COMPILED, build.INTERPRETED)
    assert int(liquidations) > 0
    assert figures == figures_pure


def test_reports_json_html_and_event_log(tmp_path) -> None:
    spec = load_scenario("jelly_like")
    result = run(spec.for_ci(), 2)
    write_run(tmp_path, result.report, result.metrics.series, result.metrics.events, spec)
    report = json.loads((tmp_path / "report.json").read_text())
    assert report == json.loads(json.dumps(result.report))
    html = (tmp_path / "report.html").read_text()
    # offline: charts are inline SVG, nothing is loaded (links to the sources are only links)
    assert html.count("<svg") >= 6 and "<script" not in html and "<img" not in html
    assert not re.search(r"(src|@import|url\()\s*=?\s*['\"(]?https?:", html)
    assert spec.event.summary[:40] in html and "<ol id='findings'>" in html
    events = [json.loads(line) for line in (tmp_path / "events.jsonl").read_text().splitlines()]
    assert [e["t"] for e in events] == sorted(e["t"] for e in events)
    assert sum(1 for e in events if e["kind"] == "liquidation") == report["liquidations_count"]


def test_a_malformed_scenario_says_which_field() -> None:
    base = {"markets": [{"name": "BTC", "sz_decimals": 5, "price": 1.0}]}
    with pytest.raises(ScenarioError, match="unknown field"):
        parse_scenario({**base, "agnets": {}}, "x")
    with pytest.raises(ScenarioError, match="unknown fault kind"):
        parse_scenario({**base, "faults": [{"kind": "meteor", "at_s": 1}]}, "x")
    with pytest.raises(ScenarioError, match="at least one"):
        parse_scenario({}, "x")
    with pytest.raises(ScenarioError, match="no scenario"):
        load_scenario("nope")
